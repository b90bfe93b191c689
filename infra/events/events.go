// Package events holds the constructs of the event-driven half of the
// baseline: EventBridge rules with their target, dead-letter queue and
// retry policy (Rule), the event Lambdas (EventLambda), encrypted topics
// (Topic and the key that encrypts them) and the alarms on dead-letter
// queues. The stacks of package stacks compose them.
//
// The rules are L1 resources (AWS::Events::Rule) whose EventPattern is the
// Go value of shared/onboard or shared/notify as it is, and whose one
// target names its ARN, dead-letter queue and retry policy in the template:
// what a rule matches and where it sends it can be read from the
// synthesized template alone.
//
// Like the baseline's constructs, these are no nodes of the construct tree:
// their resources are children of the scope they are given, with ids that
// begin with the id given, so that the logical IDs do not depend on how the
// Go code groups them.
package events

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/orgbaseline/orgbaseline/infra/lintskip"
	"github.com/orgbaseline/orgbaseline/shared/eventbus"
)

// The retry policy of every rule's target ("Event retry policy and using
// dead-letter queues", EventBridge User Guide: up to 185 attempts over up
// to 24 hours, the defaults, set here so the template says them). An event
// still undelivered then goes to the rule's dead-letter queue.
const (
	MaxRetryAttempts   = 185
	MaxEventAgeSeconds = 24 * 60 * 60
)

// DeadLetterRetentionDays is how long a dead-letter queue keeps an event:
// SQS's maximum, 14 days ("Amazon SQS message quotas").
const DeadLetterRetentionDays = 14

// TargetID is the Id of each rule's one target.
const TargetID = "Target"

// ServiceEvents is EventBridge's service principal, which invokes the
// rules' targets.
const ServiceEvents = "events.amazonaws.com"

// RuleProps configures a Rule.
type RuleProps struct {
	Description string
	// Pattern is the rule's event pattern, put in the template as it is.
	Pattern eventbus.Pattern
	// TargetArn is the ARN of the rule's one target: a Lambda function, an
	// SNS topic or an event bus.
	TargetArn *string
	// Role is the role EventBridge sends with: for an event bus target
	// only. A Lambda or SNS target is allowed through its resource policy
	// instead ("Using resource-based policies for Amazon EventBridge": do
	// not specify a RoleArn for Lambda, Amazon SNS and Amazon SQS targets).
	Role awsiam.IRole
	// InputTransformer, when set, makes what the target receives from the
	// event ("Amazon EventBridge input transformation").
	InputTransformer *awsevents.CfnRule_InputTransformerProperty
	// Schedule, instead of Pattern, makes a rule that runs on a schedule
	// ("Creating an Amazon EventBridge rule that runs on a schedule").
	Schedule string
}

// Rule is an EventBridge rule on the default bus of its stack's region,
// with one target, the target's retry policy and dead-letter queue.
type Rule interface {
	Rule() awsevents.CfnRule
	// Arn returns the rule's ARN.
	Arn() *string
	// DeadLetterQueue returns the queue of the events the rule could not
	// deliver.
	DeadLetterQueue() awssqs.Queue
}

type rule struct {
	rule awsevents.CfnRule
	dlq  awssqs.Queue
}

func (r *rule) Rule() awsevents.CfnRule       { return r.rule }
func (r *rule) Arn() *string                  { return r.rule.AttrArn() }
func (r *rule) DeadLetterQueue() awssqs.Queue { return r.dlq }

// NewRule creates the rule id and its dead-letter queue id+"DeadLetters",
// whose policy lets EventBridge send to it for this rule only.
func NewRule(scope constructs.Construct, id string, props *RuleProps) Rule {
	dlq := NewDeadLetterQueue(scope, id+"DeadLetters")
	cdknag.NagSuppressions_AddResourceSuppressions(dlq, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-SQS3"),
		Reason: jsii.String("The queue is the dead-letter queue of an EventBridge rule's target (the rule's DeadLetterConfig, which " +
			"cdk-nag does not read); a dead-letter queue has none of its own."),
	}}, nil)
	target := &awsevents.CfnRule_TargetProperty{
		Id:               jsii.String(TargetID),
		Arn:              props.TargetArn,
		DeadLetterConfig: &awsevents.CfnRule_DeadLetterConfigProperty{Arn: dlq.QueueArn()},
		RetryPolicy: &awsevents.CfnRule_RetryPolicyProperty{
			MaximumRetryAttempts:     jsii.Number(MaxRetryAttempts),
			MaximumEventAgeInSeconds: jsii.Number(MaxEventAgeSeconds),
		},
	}
	if props.Role != nil {
		target.RoleArn = props.Role.RoleArn()
	}
	target.InputTransformer = props.InputTransformer
	ruleProps := &awsevents.CfnRuleProps{
		Description: jsii.String(props.Description),
		State:       jsii.String("ENABLED"),
		Targets:     &[]any{target},
	}
	if props.Schedule != "" {
		ruleProps.ScheduleExpression = jsii.String(props.Schedule)
	} else {
		ruleProps.EventPattern = map[string]any(props.Pattern)
	}
	r := awsevents.NewCfnRule(scope, jsii.String(id), ruleProps)
	// "Using dead-letter queues to process undelivered events in
	// EventBridge" (EventBridge User Guide): the queue's policy grants
	// events.amazonaws.com sqs:SendMessage, for the rule's ARN only
	// (aws:SourceArn).
	dlq.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("EventBridgeDeadLetters"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String(ServiceEvents), nil)},
		Actions:    jsii.Strings("sqs:SendMessage"),
		Resources:  jsii.Strings(*dlq.QueueArn()),
		Conditions: &map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": r.AttrArn()}},
	}))
	return &rule{rule: r, dlq: dlq}
}

// NewDeadLetterQueue creates a dead-letter queue: encrypted at rest with
// SSE-SQS, TLS only, keeping a message DeadLetterRetentionDays days.
func NewDeadLetterQueue(scope constructs.Construct, id string) awssqs.Queue {
	q := awssqs.NewQueue(scope, jsii.String(id), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(DeadLetterRetentionDays)),
	})
	lintskip.Checkov(q, lintskip.Check{ID: "CKV_AWS_27", Comment: "The queue is encrypted at rest with SSE-SQS (SqsManagedSseEnabled), " +
		"which checkov's check does not read (it wants KmsMasterKeyId). SSE-SQS needs no key policy for EventBridge or Lambda to " +
		"send to the queue, and no key in each region of the forwarding stacks; the queue holds copies of events the services emitted."})
	return q
}

// AlarmPeriodMinutes is the period over which a dead-letter queue's alarm
// reads the queue's visible messages.
const AlarmPeriodMinutes = 5

// NewDeadLetterAlarm creates the alarm id on queue: it fires when the queue
// holds a message (ApproximateNumberOfMessagesVisible above 0), and
// notifies topic, which must be in the alarm's account and region.
func NewDeadLetterAlarm(scope constructs.Construct, id string, queue awssqs.IQueue, topic awssns.ITopic) awscloudwatch.Alarm {
	alarm := awscloudwatch.NewAlarm(scope, jsii.String(id), &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String("orgbaseline: events that could not be delivered are in a dead-letter queue; read them there (they are kept 14 days)"),
		Metric: queue.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
			Period:    awscdk.Duration_Minutes(jsii.Number(AlarmPeriodMinutes)),
			Statistic: jsii.String("Maximum"),
		}),
		Threshold:          jsii.Number(0),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		EvaluationPeriods:  jsii.Number(1),
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	alarm.AddAlarmAction(awscloudwatchactions.NewSnsAction(topic))
	return alarm
}
