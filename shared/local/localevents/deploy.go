package localevents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/orgbaseline/orgbaseline/shared/local/localbus"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// StepName names the event-driven half of the local deploy in results.
const StepName = "local-deploy-events"

// ServiceName is the service column of its rows.
const ServiceName = "events"

// ConfigFor returns a configuration acting in account, in region.
type ConfigFor func(account, region string) aws.Config

// Deploy puts asm's topics and rules on the emulator: each topic with an
// SQS subscription; each rule with its pattern and its target, or an SQS
// queue standing in for it. Like a deploy, it reads first: what is there
// as declared is unchanged; in plan mode it changes nothing.
func Deploy(ctx context.Context, asm Assembly, cfgFor ConfigFor, mode workflow.Mode) (workflow.StepResult, error) {
	res := workflow.StepResult{Step: StepName, Mode: mode, Outcomes: []workflow.Outcome{}}
	apply := mode == workflow.ModeApply
	for _, t := range asm.Topics {
		out := workflow.Outcome{Account: t.Account, Region: t.Region, Service: ServiceName, Reason: "topic " + t.LogicalID}
		cfg := cfgFor(t.Account, t.Region)
		there, err := topicThere(ctx, cfg, t)
		if err != nil {
			return res, err
		}
		if !there {
			out.Actions = []workflow.Action{{Call: "sns:CreateTopic", Target: t.TopicName()}, {Call: "sns:Subscribe", Target: "sqs " + t.QueueName()}}
			if apply {
				if _, err := deployTopic(ctx, cfg, t); err != nil {
					return res, err
				}
			}
		}
		res.Add(out)
	}
	for _, r := range asm.Rules {
		out := workflow.Outcome{Account: r.Account, Region: r.Region, Service: ServiceName}
		target := "sqs " + r.RuleName() + " standing in for " + r.Target.Kind + " " + r.Target.LogicalID
		if r.Target.Kind == TargetBus {
			target = "event bus " + r.Target.BusARN
		}
		out.Reason = "rule " + r.RuleName() + " to " + target
		bus := localbus.New(cfgFor(r.Account, r.Region))
		there, err := ruleThere(ctx, bus, r)
		if err != nil {
			return res, err
		}
		if !there {
			out.Actions = []workflow.Action{{Call: "events:PutRule", Target: r.RuleName()}, {Call: "events:PutTargets", Target: target}}
			if apply {
				if r.Target.Kind == TargetBus {
					err = putForwardRule(ctx, bus, r)
				} else {
					// The stand-in queue has the rule's name.
					_, err = bus.PutRule(ctx, "default", r.RuleName(), string(r.Pattern))
				}
				if err != nil {
					return res, err
				}
			}
		}
		res.Add(out)
	}
	return res, nil
}

// topicThere reports whether t's topic and the queue subscribed to it are
// on the emulator.
func topicThere(ctx context.Context, cfg aws.Config, t Topic) (bool, error) {
	pages := sns.NewListTopicsPaginator(sns.NewFromConfig(cfg), &sns.ListTopicsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return false, err
		}
		for _, tp := range page.Topics {
			if strings.HasSuffix(aws.ToString(tp.TopicArn), ":"+t.TopicName()) {
				_, err := sqs.NewFromConfig(cfg).GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(t.QueueName())})
				return err == nil, nil
			}
		}
	}
	return false, nil
}

// ruleThere reports whether r is on the emulator with its pattern and
// target.
func ruleThere(ctx context.Context, bus localbus.Bus, r Rule) (bool, error) {
	d, err := bus.EventBridge.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(r.RuleName())})
	var missing *ebtypes.ResourceNotFoundException
	if errors.As(err, &missing) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !sameJSON(aws.ToString(d.EventPattern), string(r.Pattern)) {
		return false, nil
	}
	targets, err := bus.EventBridge.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(r.RuleName())})
	if err != nil {
		return false, err
	}
	want := r.Target.BusARN
	if r.Target.Kind != TargetBus {
		q, err := bus.SQS.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(r.RuleName())})
		if err != nil {
			return false, nil
		}
		attrs, err := bus.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		if err != nil {
			return false, err
		}
		want = attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	}
	return len(targets.Targets) == 1 && aws.ToString(targets.Targets[0].Arn) == want, nil
}

func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func deployTopic(ctx context.Context, cfg aws.Config, t Topic) (string, error) {
	api, q := sns.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	topic, err := api.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(t.TopicName())})
	if err != nil {
		return "", fmt.Errorf("topic %s: %w", t.LogicalID, err)
	}
	queue, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(t.QueueName())})
	if err != nil {
		return "", fmt.Errorf("topic %s's queue: %w", t.LogicalID, err)
	}
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: queue.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return "", err
	}
	if _, err := api.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]),
	}); err != nil {
		return "", fmt.Errorf("subscribe to topic %s: %w", t.LogicalID, err)
	}
	return aws.ToString(topic.TopicArn), nil
}

// putForwardRule puts a rule whose target is an event bus, as the template
// has it.
func putForwardRule(ctx context.Context, bus localbus.Bus, r Rule) error {
	if _, err := bus.EventBridge.PutRule(ctx, &eventbridge.PutRuleInput{
		Name: aws.String(r.RuleName()), EventPattern: aws.String(string(r.Pattern)), State: ebtypes.RuleStateEnabled,
	}); err != nil {
		return fmt.Errorf("put the rule %s: %w", r.RuleName(), err)
	}
	out, err := bus.EventBridge.PutTargets(ctx, &eventbridge.PutTargetsInput{
		Rule: aws.String(r.RuleName()),
		Targets: []ebtypes.Target{{Id: aws.String("Target"), Arn: aws.String(r.Target.BusARN),
			RoleArn: aws.String(fmt.Sprintf("arn:aws:iam::%s:role/%s-forward", r.Account, r.RuleName()))}},
	})
	if err == nil && out.FailedEntryCount > 0 {
		err = fmt.Errorf("%d targets failed", out.FailedEntryCount)
	}
	if err != nil {
		return fmt.Errorf("put the rule %s's target: %w", r.RuleName(), err)
	}
	return nil
}

// ErrNotDeployed is returned when the emulator has no stand-in queue for a
// rule: `orgbaseline deploy --local` has not put the rules there.
var ErrNotDeployed = errors.New("the emulator has no queue for the rule: run orgbaseline deploy --local first")

// Take takes the events waiting in the queue standing in for r's target.
func Take(ctx context.Context, cfg aws.Config, r Rule) ([]json.RawMessage, error) {
	return take(ctx, cfg, r.RuleName())
}

// Received takes what topic t published, as its SQS subscription got it:
// each message's subject and message.
func Received(ctx context.Context, cfg aws.Config, t Topic) ([]Notification, error) {
	raw, err := take(ctx, cfg, t.QueueName())
	if err != nil {
		return nil, err
	}
	out := make([]Notification, 0, len(raw))
	for _, m := range raw {
		// The SNS envelope an SQS subscription receives without raw
		// message delivery ("Amazon SNS message and JSON formats").
		var n Notification
		if err := json.Unmarshal(m, &n); err != nil {
			return out, fmt.Errorf("a message of %s: %w", t.LogicalID, err)
		}
		out = append(out, n)
	}
	return out, nil
}

// Notification is a message an SNS topic delivered to SQS.
type Notification struct {
	Subject string `json:"Subject"`
	Message string `json:"Message"`
}

func take(ctx context.Context, cfg aws.Config, queue string) ([]json.RawMessage, error) {
	q := sqs.NewFromConfig(cfg)
	url, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(queue)})
	var missing *sqstypes.QueueDoesNotExist
	if errors.As(err, &missing) {
		return nil, fmt.Errorf("%s: %w", queue, ErrNotDeployed)
	}
	if err != nil {
		return nil, err
	}
	return localbus.Bus{SQS: q}.Receive(ctx, localbus.Rule{Name: queue, QueueURL: aws.ToString(url.QueueUrl)})
}
