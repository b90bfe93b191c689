// Package localbus runs EventBridge rules on the emulator: moto's
// EventBridge evaluates event patterns as EventBridge does (numeric
// matching, exists, prefix, anything-but...) and delivers to SQS, but not
// to Step Functions, Lambda or SNS targets (shared/notes: "EventBridge
// delivery behaviour"). So a rule here gets an SQS queue standing in for
// its target, and Match checks a pattern against events through the same
// PutRule, PutEvents and ReceiveMessage calls: the matcher is the
// emulator's, never one written here.
package localbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/orgbaseline/orgbaseline/shared/eventbus"
)

// Bus is EventBridge and SQS in one account and region of the emulator.
type Bus struct {
	EventBridge *eventbridge.Client
	SQS         *sqs.Client
}

// New returns the Bus of cfg (an account's configuration, in a region).
func New(cfg aws.Config) Bus {
	return Bus{EventBridge: eventbridge.NewFromConfig(cfg), SQS: sqs.NewFromConfig(cfg)}
}

// Rule is a rule put on a bus, with the queue standing in for its target.
type Rule struct {
	Bus, Name, QueueURL, QueueARN string
}

// PutRule puts a rule with pattern on the event bus busName (created if it
// is not "default" and does not exist) and an SQS queue, named after the
// rule, as its target.
func (b Bus) PutRule(ctx context.Context, busName, name, pattern string) (Rule, error) {
	r := Rule{Bus: busName, Name: name}
	if busName != "default" {
		_, err := b.EventBridge.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(busName)})
		var exists *ebtypes.ResourceAlreadyExistsException
		if err != nil && !errors.As(err, &exists) {
			return r, fmt.Errorf("create the event bus %s: %w", busName, err)
		}
	}
	q, err := b.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		return r, fmt.Errorf("create the queue %s: %w", name, err)
	}
	r.QueueURL = aws.ToString(q.QueueUrl)
	attrs, err := b.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return r, fmt.Errorf("read the queue %s: %w", name, err)
	}
	r.QueueARN = attrs.Attributes["QueueArn"]
	if _, err := b.EventBridge.PutRule(ctx, &eventbridge.PutRuleInput{
		Name: aws.String(name), EventBusName: aws.String(busName), EventPattern: aws.String(pattern), State: ebtypes.RuleStateEnabled,
	}); err != nil {
		return r, fmt.Errorf("put the rule %s: %w", name, err)
	}
	out, err := b.EventBridge.PutTargets(ctx, &eventbridge.PutTargetsInput{
		Rule: aws.String(name), EventBusName: aws.String(busName),
		Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(r.QueueARN)}},
	})
	if err == nil && out.FailedEntryCount > 0 {
		err = fmt.Errorf("%d targets failed", out.FailedEntryCount)
	}
	if err != nil {
		return r, fmt.Errorf("put the rule %s's target: %w", name, err)
	}
	return r, nil
}

// Put puts an event, given as EventBridge delivers it (the envelope), on
// busName: its source, detail-type, detail, time and resources. The
// emulator sets the id, account and region.
func (b Bus) Put(ctx context.Context, busName string, event []byte) error {
	env, err := eventbus.DecodeEnvelope(event)
	if err != nil {
		return err
	}
	entry := ebtypes.PutEventsRequestEntry{
		EventBusName: aws.String(busName), Source: aws.String(env.Source), DetailType: aws.String(env.DetailType),
		Detail: aws.String(string(env.Detail)), Resources: env.Resources,
	}
	if env.Time != "" {
		if t, err := time.Parse(time.RFC3339, env.Time); err == nil {
			entry.Time = aws.Time(t)
		}
	}
	out, err := b.EventBridge.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{entry}})
	if err != nil {
		return fmt.Errorf("put the event on %s: %w", busName, err)
	}
	if out.FailedEntryCount > 0 {
		e := out.Entries[0]
		return fmt.Errorf("put the event on %s: %s %s", busName, aws.ToString(e.ErrorCode), aws.ToString(e.ErrorMessage))
	}
	return nil
}

// Receive takes the messages waiting in a rule's queue (the events it
// matched, as delivered), deleting them.
func (b Bus) Receive(ctx context.Context, r Rule) ([]json.RawMessage, error) {
	var got []json.RawMessage
	for {
		out, err := b.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(r.QueueURL), MaxNumberOfMessages: 10})
		if err != nil {
			return got, fmt.Errorf("receive from %s: %w", r.Name, err)
		}
		if len(out.Messages) == 0 {
			return got, nil
		}
		for _, m := range out.Messages {
			got = append(got, json.RawMessage(aws.ToString(m.Body)))
			if _, err := b.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(r.QueueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				return got, fmt.Errorf("delete from %s: %w", r.Name, err)
			}
		}
	}
}

// Match reports, for each event, whether the rule named name with pattern
// matches it: the rule is put on a bus of its own (busName), and each
// event put and looked for in the queue before the next (the emulator
// delivers within PutEvents).
func (b Bus) Match(ctx context.Context, busName, name string, pattern eventbus.Pattern, events [][]byte) ([]bool, error) {
	p, err := json.Marshal(pattern)
	if err != nil {
		return nil, err
	}
	r, err := b.PutRule(ctx, busName, name, string(p))
	if err != nil {
		return nil, err
	}
	matched := make([]bool, len(events))
	for i, e := range events {
		if err := b.Put(ctx, busName, e); err != nil {
			return nil, fmt.Errorf("event %d: %w", i, err)
		}
		got, err := b.Receive(ctx, r)
		if err != nil {
			return nil, err
		}
		matched[i] = len(got) > 0
	}
	return matched, nil
}
