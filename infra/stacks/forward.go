package stacks

import (
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/orgbaseline/orgbaseline/infra/events"
	"github.com/orgbaseline/orgbaseline/shared/eventbus"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// ForwardRule is a rule of a forwarding stack: its pattern, and the home
// region's default bus as its target.
type ForwardRule struct {
	ID          string
	Description string
	Pattern     eventbus.Pattern
}

// ForwardRoleID is the role EventBridge forwards with, in each forwarding
// stack.
const ForwardRoleID = "ForwardRole"

// ForwardStackProps configures a forwarding stack.
type ForwardStackProps struct {
	// StackProps: the stack's account and region (not the home region).
	awscdk.StackProps
	// HomeRegion is the region whose default bus receives the events.
	HomeRegion string
	// Rules are the stack's rules, each with the home region's default bus
	// as its target.
	Rules []ForwardRule
}

// NewForwardStack creates a stack, in a region other than the home
// region, whose rules send the events they match to the home region's
// default event bus of the same account ("Sending and receiving events
// between AWS Regions in Amazon EventBridge": the target is the event bus
// ARN, with an IAM role allowed events:PutEvents on it; the receiving bus,
// in the same account, needs no resource policy), each with a dead-letter
// queue and the retry policy. Forwarded events keep their source,
// detail-type and detail, so the home region's rules match them as they
// match events emitted there.
func NewForwardStack(scope constructs.Construct, id string, props *ForwardStackProps) awscdk.Stack {
	p := *props
	if p.Description == nil {
		p.Description = jsii.String(fmt.Sprintf("orgbaseline: forwards the events the baseline acts on from %s to the home region's event bus (%s)", *p.Env.Region, p.HomeRegion))
	}
	s := awscdk.NewStack(scope, &id, &p.StackProps)
	if len(p.Rules) == 0 {
		panic("stacks: a forwarding stack needs at least one rule")
	}
	bus := s.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("events"),
		Region:       jsii.String(p.HomeRegion),
		Resource:     jsii.String("event-bus"),
		ResourceName: jsii.String("default"),
	})
	role := awsiam.NewRole(s, jsii.String(ForwardRoleID), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String(events.ServiceEvents), nil),
		Description: jsii.String("orgbaseline: EventBridge forwards events to the home region's default bus"),
	})
	// "Actions, resources, and condition keys for Amazon EventBridge":
	// PutEvents' resource type is the event-bus.
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("PutEventsOnTheHomeBus"),
		Actions:   jsii.Strings("events:PutEvents"),
		Resources: jsii.Strings(*bus),
	}))
	for _, r := range p.Rules {
		events.NewRule(s, r.ID+"Forward", &events.RuleProps{
			Description: r.Description,
			Pattern:     r.Pattern,
			TargetArn:   bus,
			Role:        role,
		})
	}
	return s
}

// NewForwardStacks creates the forwarding stacks c asks for, in region
// order: the management account's (OnboardingForwards), named
// workflow.ForwardStackName(workflow.ManagementForwardStackName, region),
// then the security account's (ForwardRegions, FindingForwards), named
// after workflow.SecurityForwardStackName.
func NewForwardStacks(scope constructs.Construct, c settings.Config) []awscdk.Stack {
	var out []awscdk.Stack
	add := func(base, account, region string, rules []ForwardRule) {
		name := workflow.ForwardStackName(base, region)
		out = append(out, NewForwardStack(scope, name, &ForwardStackProps{
			StackProps: awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}},
			HomeRegion: c.HomeRegion,
			Rules:      rules,
		}))
	}
	onboarding := OnboardingForwards(c)
	for _, region := range slices.Sorted(maps.Keys(onboarding)) {
		add(workflow.ManagementForwardStackName, c.Accounts.Management, region, onboarding[region])
	}
	for _, region := range ForwardRegions(c) {
		if rules := FindingForwards(c, region); len(rules) > 0 {
			add(workflow.SecurityForwardStackName, c.Accounts.Security, region, rules)
		}
	}
	return out
}
