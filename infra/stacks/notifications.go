package stacks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"

	"github.com/orgbaseline/orgbaseline/infra/baseline"
	"github.com/orgbaseline/orgbaseline/infra/events"
	"github.com/orgbaseline/orgbaseline/shared/eventfn"
	"github.com/orgbaseline/orgbaseline/shared/notify"
	"github.com/orgbaseline/orgbaseline/shared/onboard"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// The event-driven half of the baseline: in the management account, the
// onboarding rules and their Lambda, the operations topic with the rule on
// the state machine's failed executions; in the security account, the
// findings topic, the finding rules and their Lambda; in both, an alarm on
// each dead-letter queue. The forwarding stacks of the other regions are in
// forward.go.

// Logical IDs of the resources tests and the local deployment look up.
const (
	// OnboardStartID begins the ids of the onboard-start Lambda's
	// resources (events.NewEventLambda).
	OnboardStartID = "OnboardStart"
	// NotifyFindingsID begins the ids of the notify-findings Lambda's.
	NotifyFindingsID = "NotifyFindings"
	// OnboardingRulePrefix begins each onboarding rule's id, followed by
	// the onboard.Rule's ID.
	OnboardingRulePrefix = "Onboarding"
	// ExecutionFailedRuleID is the rule on the state machine's failed,
	// timed-out and aborted executions.
	ExecutionFailedRuleID = "ExecutionFailedRule"
	// OnboardedRuleID is the rule on the onboarding runs that succeeded.
	OnboardedRuleID = workflow.RunEndedRuleID
	// OnboardSummaryID begins the ids of the onboard-summary Lambda\'s
	// resources.
	OnboardSummaryID = "OnboardSummary"
	// ReconvergeRuleID is the scheduled re-converge's rule.
	ReconvergeRuleID  = "ReconvergeSchedule"
	OperationsTopicID = workflow.OperationsTopicID
	OperationsKeyID   = "OperationsTopicKey"
	FindingsTopicID   = workflow.FindingsTopicID
	// NotificationsKeyID is the security stack's key: the findings and
	// operations topics, the notify-findings Lambda's logs and environment.
	NotificationsKeyID = "NotificationsKey"
)

// Outputs of the topics.
const (
	OperationsTopicOutput = "OperationsTopicArn"
	FindingsTopicOutput   = workflow.FindingsTopicOutput
)

// FindingRules are the finding rules c asks for (notify.Rules): in the
// home region, their target is the notify-findings Lambda; in the other
// regions, the home region's bus.
func FindingRules(c settings.Config) []notify.Rule { return notify.Rules(c) }

// newOperations adds to the management stack the operations topic, the
// rule on the baseline's failed executions, with onboarding on the
// onboarding rules and the onboard-start Lambda, and an alarm on each
// dead-letter queue.
func newOperations(s *managementStack, c settings.Config, lambdaDir string) {
	key := events.NewKey(s, OperationsKeyID, &events.KeyProps{
		Description: "orgbaseline: encrypts the operations topic (failed baseline runs, undelivered events)",
		Publishers:  []string{events.ServiceEvents, events.ServiceCloudWatch},
	})
	topic := events.NewTopic(s, OperationsTopicID, &events.TopicProps{
		DisplayName: "orgbaseline operations",
		Key:         key,
		Emails:      c.Operations.EmailSubscriptions,
		Alarms:      true,
	})
	newOutput(s, OperationsTopicOutput, "ARN of the operations topic", topic.TopicArn())

	var dlqs []awssqs.IQueue
	machine := s.baseline.StateMachine()
	failed := events.NewRule(s, ExecutionFailedRuleID, &events.RuleProps{
		Description: "orgbaseline: a baseline run that failed, timed out or was aborted, to the operations topic",
		Pattern:     onboard.ExecutionFailedPattern(machine.StateMachineArn()),
		TargetArn:   topic.TopicArn(),
	})
	events.AllowRule(topic, "EventBridgeExecutionFailed", failed)
	dlqs = append(dlqs, failed.DeadLetterQueue())

	if c.Onboarding.On() || c.Reconverge.On() {
		dlqs = append(dlqs, newOnboarding(s, c, lambdaDir)...)
		dlqs = append(dlqs, newOnboardSummary(s, lambdaDir, topic, key.KeyArn())...)
	}
	for i, q := range dlqs {
		events.NewDeadLetterAlarm(s, fmt.Sprintf("DeadLetterAlarm%d", i+1), q, topic)
	}
}

// newOnboardSummary adds the onboard-summary Lambda and the rule on the
// onboarding runs that succeeded, whose target it is, and returns their
// dead-letter queues. The Lambda reads the run (its output, when the event
// does not carry it, and the results its Distributed Maps wrote) and
// publishes the summary to the operations topic.
func newOnboardSummary(s *managementStack, lambdaDir string, topic awssns.ITopic, keyArn *string) []awssqs.IQueue {
	machine := s.baseline.StateMachine()
	// The grants' wildcards, for cdk-nag: the executions' names are made at
	// run time, and so are the keys of the results.
	wildcards := []any{map[string]any{"regex": "/^Resource::arn:<AWS::Partition>:states:[a-z0-9-]+:[0-9]{12}:execution:<BaselineStateMachine[A-Z0-9]+\\.Name>:\\*$/g"}}
	reason := "states:DescribeExecution on the baseline state machine's executions, whose names are made at run time (execution:<this state machine>:*)."
	results := s.baseline.Results()
	if results != nil {
		wildcards = append(wildcards, map[string]any{"regex": "/^Resource::<BaselineResults[A-Z0-9]+\\.Arn>\\/results\\/\\*$/g"})
		reason += " s3:GetObject on the results the runs' Distributed Maps wrote (results/*), whose keys are made at run time."
	}
	fn := events.NewEventLambda(s, OnboardSummaryID, &events.EventLambdaProps{
		Function:       eventfn.OnboardSummary,
		LambdaDir:      lambdaDir,
		Key:            s.baseline.Key(),
		Env:            map[string]*string{eventfn.EnvOperationsTopicARN: topic.TopicArn()},
		Wildcards:      wildcards,
		WildcardReason: reason,
	})
	role := fn.Role()
	// "Actions, resources, and condition keys for Amazon SNS": Publish's
	// resource type is the topic; "Managing Amazon SNS encryption keys and
	// costs": a publisher to an encrypted topic needs kms:GenerateDataKey
	// and kms:Decrypt.
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("PublishSummary"), Actions: jsii.Strings("sns:Publish"), Resources: jsii.Strings(*topic.TopicArn()),
	}))
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("EncryptSummary"), Actions: jsii.Strings("kms:GenerateDataKey", "kms:Decrypt"), Resources: jsii.Strings(*keyArn),
	}))
	// "Actions, resources, and condition keys for AWS Step Functions":
	// DescribeExecution's resource type is the execution, whose ARN names
	// its state machine.
	executions := awscdk.Stack_Of(s).FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("states"), Resource: jsii.String("execution"),
		ResourceName: jsii.String(*machine.StateMachineName() + ":*"), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("ReadBaselineExecutions"), Actions: jsii.Strings("states:DescribeExecution"), Resources: jsii.Strings(*executions),
	}))
	if results != nil {
		// The results the Distributed Maps wrote, under ResultsPrefix
		// ("Actions, resources, and condition keys for Amazon S3":
		// GetObject's resource type is the object).
		role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("ReadRunResults"), Actions: jsii.Strings("s3:GetObject"),
			Resources: jsii.Strings(*results.ArnForObjects(jsii.String(baseline.ResultsPrefix + "*"))),
		}))
	}
	rule := events.NewRule(s, OnboardedRuleID, &events.RuleProps{
		Description: "orgbaseline: an onboarding run, or a re-converge that put drift back or failed somewhere, summarized to the operations topic",
		Pattern:     onboard.RunEndedPattern(machine.StateMachineArn()),
		TargetArn:   fn.Function().FunctionArn(),
	})
	fn.AllowRule(OnboardedRuleID+"Permission", rule)
	return []awssqs.IQueue{fn.DeadLetterQueue(), rule.DeadLetterQueue()}
}

// newOnboarding adds the onboard-start Lambda and the onboarding rules, on
// the home region's default bus, and returns their dead-letter queues.
func newOnboarding(s *managementStack, c settings.Config, lambdaDir string) []awssqs.IQueue {
	encoded, err := c.Encode()
	if err != nil {
		panic("stacks: " + err.Error())
	}
	if len(encoded) > baseline.MaxSettingsBytes {
		panic(fmt.Sprintf("stacks: the encoded settings are %d bytes, over the %d bytes a Lambda's environment can carry", len(encoded), baseline.MaxSettingsBytes))
	}
	machine := s.baseline.StateMachine()
	fn := events.NewEventLambda(s, OnboardStartID, &events.EventLambdaProps{
		Function:  eventfn.OnboardStart,
		LambdaDir: lambdaDir,
		Key:       s.baseline.Key(),
		Env: map[string]*string{
			eventfn.EnvStateMachineARN: machine.StateMachineArn(),
			settings.EnvVar:            jsii.String(encoded),
		},
	})
	// "Actions, resources, and condition keys for AWS Step Functions":
	// StartExecution's resource type is the stateMachine.
	fn.Role().AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("StartBaselineExecution"),
		Actions:   jsii.Strings("states:StartExecution"),
		Resources: jsii.Strings(*machine.StateMachineArn()),
	}))
	dlqs := []awssqs.IQueue{fn.DeadLetterQueue()}
	if c.Onboarding.On() {
		for _, r := range onboard.Rules() {
			rule := events.NewRule(s, OnboardingRulePrefix+r.ID, &events.RuleProps{
				Description: r.Description,
				Pattern:     r.Pattern,
				TargetArn:   fn.Function().FunctionArn(),
			})
			fn.AllowRule(OnboardingRulePrefix+r.ID+"Permission", rule)
			dlqs = append(dlqs, rule.DeadLetterQueue())
		}
	}
	if c.Reconverge.On() {
		// The scheduled re-converge: its event starts the whole baseline
		// (onboard.Decode: "Scheduled Event").
		rule := events.NewRule(s, ReconvergeRuleID, &events.RuleProps{
			Description: "orgbaseline: re-applies the baseline on its schedule (" + c.Reconverge.Schedule + ")",
			Schedule:    c.Reconverge.Schedule,
			TargetArn:   fn.Function().FunctionArn(),
		})
		fn.AllowRule(ReconvergeRuleID+"Permission", rule)
		dlqs = append(dlqs, rule.DeadLetterQueue())
	}
	return dlqs
}

// newFindingNotifications adds to the security stack the findings topic,
// the notify-findings Lambda and the finding rules, the operations topic
// of the security account and an alarm on each dead-letter queue: a
// CloudWatch alarm notifies a topic of its own account and region.
func newFindingNotifications(stack awscdk.Stack, c settings.Config, lambdaDir string) {
	key := events.NewKey(stack, NotificationsKeyID, &events.KeyProps{
		Description: "orgbaseline: encrypts the findings and operations topics and the notify-findings Lambda's logs and environment",
		Publishers:  []string{events.ServiceCloudWatch},
		Logs:        true,
	})
	findings := events.NewTopic(stack, FindingsTopicID, &events.TopicProps{
		DisplayName: "orgbaseline findings",
		Key:         key,
		Emails:      c.Findings.EmailSubscriptions,
	})
	newOutput(stack, FindingsTopicOutput, "ARN of the findings topic", findings.TopicArn())
	operations := events.NewTopic(stack, OperationsTopicID, &events.TopicProps{
		DisplayName: "orgbaseline operations (security account)",
		Key:         key,
		Emails:      c.Operations.EmailSubscriptions,
		Alarms:      true,
	})
	newOutput(stack, OperationsTopicOutput, "ARN of the security account's operations topic", operations.TopicArn())

	fn := events.NewEventLambda(stack, NotifyFindingsID, &events.EventLambdaProps{
		Function:  eventfn.NotifyFindings,
		LambdaDir: lambdaDir,
		Key:       key,
		Env:       map[string]*string{eventfn.EnvTopicARN: findings.TopicArn()},
	})
	grantPublish(fn.Role(), findings, key.KeyArn())

	dlqs := []awssqs.IQueue{fn.DeadLetterQueue()}
	for _, r := range FindingRules(c) {
		rule := events.NewRule(stack, r.ID+"Rule", &events.RuleProps{
			Description: r.Description,
			Pattern:     r.Pattern,
			TargetArn:   fn.Function().FunctionArn(),
		})
		fn.AllowRule(r.ID+"Permission", rule)
		dlqs = append(dlqs, rule.DeadLetterQueue())
	}
	for i, q := range dlqs {
		events.NewDeadLetterAlarm(stack, fmt.Sprintf("DeadLetterAlarm%d", i+1), q, operations)
	}
}

// grantPublish lets role publish to topic, encrypted with the key keyArn:
// sns:Publish on the topic ("Actions, resources, and condition keys for
// Amazon SNS": Publish's resource type is the topic), and the key use a
// publisher to an encrypted topic needs ("Managing Amazon SNS encryption
// keys and costs": kms:GenerateDataKey and kms:Decrypt).
func grantPublish(role awsiam.IRole, topic awssns.ITopic, keyArn *string) {
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("PublishFindings"),
		Actions:   jsii.Strings("sns:Publish"),
		Resources: jsii.Strings(*topic.TopicArn()),
	}))
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("EncryptFindings"),
		Actions:   jsii.Strings("kms:GenerateDataKey", "kms:Decrypt"),
		Resources: jsii.Strings(*keyArn),
	}))
}

// ForwardRegions are the regions, other than the home region, with a
// forwarding stack of the security account: the run's regions (with
// regions: discover, the regions enabled by default in every account,
// settings.DefaultRegions: an opt-in region is enabled account by account,
// and a stack cannot be deployed where the security account has not
// enabled it), and us-east-1 with findings.healthEvents (AWS Health emits
// the events of global services there). Sorted.
func ForwardRegions(c settings.Config) []string {
	regions := c.Regions.Names
	if c.Regions.Discover {
		regions = settings.DefaultRegions()
	}
	regions = slices.Clone(regions)
	if c.Findings.HealthEvents && !slices.Contains(regions, usEast1) {
		regions = append(regions, usEast1)
	}
	regions = slices.DeleteFunc(regions, func(r string) bool { return r == c.HomeRegion })
	slices.Sort(regions)
	return slices.Compact(regions)
}

const usEast1 = "us-east-1"

// FindingForwards returns, for region (one of ForwardRegions), the finding
// rules its forwarding stack holds: the forwarded ones, or in us-east-1
// when it is no region of the run only Health's.
func FindingForwards(c settings.Config, region string) []ForwardRule {
	regions := c.Regions.Names
	if c.Regions.Discover {
		regions = settings.DefaultRegions()
	}
	var out []ForwardRule
	for _, r := range FindingRules(c) {
		if !r.Forwarded {
			continue
		}
		if region == usEast1 && !slices.Contains(regions, usEast1) && r.ID != "HealthEvents" {
			continue
		}
		out = append(out, ForwardRule{ID: r.ID, Pattern: r.Pattern,
			Description: forwarded(r.Description)})
	}
	return out
}

// OnboardingForwards returns, by region other than the home region, the
// onboarding rules whose events arrive there: the Global rules' in
// us-east-1, the Control Tower rules' in onboarding.controlTowerRegion
// (empty: the home region). None with onboarding off.
func OnboardingForwards(c settings.Config) map[string][]ForwardRule {
	out := map[string][]ForwardRule{}
	if !c.Onboarding.On() {
		return out
	}
	ct := c.Onboarding.ControlTowerRegion
	if ct == "" {
		ct = c.HomeRegion
	}
	for _, r := range onboard.Rules() {
		region := ct
		if r.Global {
			region = usEast1
		}
		if region == c.HomeRegion {
			continue
		}
		out[region] = append(out[region], ForwardRule{ID: r.ID, Pattern: r.Pattern,
			Description: forwarded(r.Description)})
	}
	return out
}

// forwarded is the description of the forwarding copy of a rule described
// so.
func forwarded(description string) string {
	return "orgbaseline: forwarded to the home region: " + strings.TrimPrefix(description, "orgbaseline: ")
}
