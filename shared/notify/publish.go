package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/orgbaseline/orgbaseline/shared/eventbus"
)

// PublishAPI publishes to the findings topic.
type PublishAPI interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

var _ PublishAPI = (*sns.Client)(nil)

// Publisher formats the events its rules match and publishes them.
type Publisher struct {
	SNS      PublishAPI
	TopicARN string
	Log      *slog.Logger
}

// Published is what Handle did with an event.
type Published struct {
	// Messages are the messages published, in order.
	Messages []Message `json:"messages,omitempty"`
	// Skipped says why nothing was published: an event no finding rule
	// matches.
	Skipped string `json:"skipped,omitempty"`
}

// Decode reads a GuardDuty, Security Hub or AWS Health event into its
// notifications (Security Hub's may carry several findings).
func Decode(event []byte) ([]Notification, error) {
	env, err := eventbus.DecodeEnvelope(event)
	if err != nil {
		return nil, err
	}
	switch env.Source {
	case GuardDutySource:
		n, err := DecodeGuardDuty(event)
		return []Notification{n}, err
	case SecurityHubSource:
		return DecodeSecurityHub(event)
	case HealthSource:
		n, err := DecodeHealth(event)
		return []Notification{n}, err
	}
	return nil, &eventbus.NotMatchedError{Source: env.Source, DetailType: env.DetailType, Reason: "not a GuardDuty, Security Hub or AWS Health event"}
}

// Handle publishes event's notifications, one message each, with
// MessageStructure json (Message.PublishBody). An event of another kind is
// Skipped; a malformed one is an *eventbus.DecodeError, which the Lambda
// returns so that the event ends in its dead-letter queue.
func (p Publisher) Handle(ctx context.Context, event json.RawMessage) (Published, error) {
	ns, err := Decode(event)
	var nm *eventbus.NotMatchedError
	switch {
	case errors.As(err, &nm):
		p.log().InfoContext(ctx, "not a finding", "reason", nm.Error())
		return Published{Skipped: nm.Error()}, nil
	case err != nil:
		return Published{}, err
	}
	var out Published
	for _, n := range ns {
		m := Format(n)
		// "Publish", Amazon SNS API Reference: Subject for e-mail
		// endpoints; MessageStructure json, a message per protocol.
		if _, err := p.SNS.Publish(ctx, &sns.PublishInput{
			TopicArn: aws.String(p.TopicARN), Subject: aws.String(m.Subject),
			Message: aws.String(m.PublishBody()), MessageStructure: aws.String("json"),
		}); err != nil {
			return out, fmt.Errorf("publish %q: %w", m.Subject, err)
		}
		p.log().InfoContext(ctx, "published", "subject", m.Subject)
		out.Messages = append(out.Messages, m)
	}
	return out, nil
}

func (p Publisher) log() *slog.Logger {
	if p.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Log
}
