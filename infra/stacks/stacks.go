// Package stacks composes the constructs of orgbaseline into one stack per
// account: the management account runs the baseline, the log-archive and
// security accounts hold what the baseline delivers to them.
//
// The forwarding stacks of the regions other than the home region
// (forward.go) carry the events the baseline acts on to the home region.
//
// The constructs of the log-archive and security stacks are here too, a file
// each, as these stacks are their only users: LogBucket (logbucket.go), a
// log bucket and its policy, and AliasedKey (aliasedkey.go), a key and its
// alias. Both render the shared packages' policy documents as they are. The
// baseline's constructs are in package baseline.
package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsssm"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/orgbaseline/orgbaseline/shared/guardduty"
	"github.com/orgbaseline/orgbaseline/shared/logarchive"

	"github.com/orgbaseline/orgbaseline/infra/baseline"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// AccountRoleParameter is the SSM parameter, in every account with an
// orgbaseline stack, that names the part the account plays in the baseline.
const AccountRoleParameter = "/orgbaseline/account-role"

// Values of AccountRoleParameter.
const (
	RoleManagement = "management"
	RoleLogArchive = "log-archive"
	RoleSecurity   = "security"
)

// StackProps configures an orgbaseline stack.
type StackProps struct {
	awscdk.StackProps
	// Config is the validated configuration (settings.LoadFile).
	Config settings.Config
	// LambdaDir holds the Lambdas' bootstrap executables, one folder per
	// step or event Lambda (see baseline.BaselineProps): the management
	// stack's steps and onboard-start, the security stack's
	// notify-findings.
	LambdaDir string
}

// ManagementStack is the management account's stack.
type ManagementStack interface {
	awscdk.Stack
	// Baseline returns the step Lambdas and the state machine.
	Baseline() baseline.Baseline
}

type managementStack struct {
	awscdk.Stack
	baseline baseline.Baseline
}

func (s *managementStack) Baseline() baseline.Baseline { return s.baseline }

// NewManagementStack creates the management account's stack: the baseline
// state machine and its step Lambdas, and the output
// workflow.StateMachineArnOutput with the state machine's ARN; the
// operations topic with the rule on the state machine's failed runs, and
// with onboarding on the onboarding rules and the onboard-start Lambda
// (notifications.go). With the
// cloudtrail service and its cloudWatchLogs delivery on, and the trail
// managed from the management account, it also holds the trail's log group
// and the role CloudTrail delivers to it with.
func NewManagementStack(scope constructs.Construct, id string, props *StackProps) ManagementStack {
	p := withDescription(props, "orgbaseline: the management account's part of the baseline: the state machine and step Lambdas that switch on the security baseline across the organization")
	s := &managementStack{}
	awscdk.NewStack_Override(s, scope, &id, &p.StackProps)

	s.baseline = baseline.NewBaseline(s, "Baseline", &baseline.BaselineProps{
		Config:    p.Config,
		LambdaDir: p.LambdaDir,
	})
	awscdk.NewCfnOutput(s, jsii.String(workflow.StateMachineArnOutput), &awscdk.CfnOutputProps{
		Key:         jsii.String(workflow.StateMachineArnOutput),
		Description: jsii.String("ARN of the baseline state machine"),
		Value:       s.baseline.StateMachine().StateMachineArn(),
	})
	digest, err := p.Config.Digest()
	if err != nil {
		panic("stacks: " + err.Error())
	}
	awscdk.NewCfnOutput(s, jsii.String(workflow.SettingsDigestOutput), &awscdk.CfnOutputProps{
		Key:         jsii.String(workflow.SettingsDigestOutput),
		Description: jsii.String("SHA-256 of the configuration the stacks were deployed with: the CLI refuses to run another"),
		Value:       jsii.String(digest),
	})
	if logDeliveryIn(p.Config, p.Config.Accounts.Management) {
		newTrailLogDelivery(s, p.Config, s.baseline.Key().KeyArn())
	}
	newOperations(s, p.Config, p.LambdaDir)
	newAccountRole(s, RoleManagement)
	return s
}

// NewLogArchiveStack creates the log-archive account's stack. With the
// cloudtrail service on, it holds the organization trail's bucket and the
// bucket of its server access logs.
func NewLogArchiveStack(scope constructs.Construct, id string, props *StackProps) awscdk.Stack {
	p := withDescription(props, "orgbaseline: the log-archive account's part of the baseline (the account that keeps the organization's logs)")
	s := awscdk.NewStack(scope, &id, &p.StackProps)
	if logarchive.HasAccessLogBucket(p.Config) {
		accessLogs := newAccessLogBucket(s, p.Config)
		if trailEnabled(p.Config) {
			newTrailBuckets(s, p.Config, accessLogs)
		}
		if configEnabled(p.Config) {
			newConfigBucket(s, p.Config, accessLogs)
		}
		if guardduty.FindingsExported(p.Config) {
			newFindingsBucket(s, p.Config, accessLogs)
		}
	}
	newAccountRole(s, RoleLogArchive)
	return s
}

// NewSecurityStack creates the security (audit) account's stack. With the
// cloudtrail service on, it holds the key that encrypts the trail's log
// files; with cloudWatchLogs on and the trail managed from the security
// account, also the trail's log group, its key and the delivery role.
// Always: the findings topic, the finding rules and the notify-findings
// Lambda (notifications.go).
func NewSecurityStack(scope constructs.Construct, id string, props *StackProps) awscdk.Stack {
	p := withDescription(props, "orgbaseline: the security account's part of the baseline (the delegated administrator of the security services)")
	s := awscdk.NewStack(scope, &id, &p.StackProps)
	if trailEnabled(p.Config) {
		newTrailKey(s, p.Config)
	}
	if logDeliveryIn(p.Config, p.Config.Accounts.Security) {
		newTrailLogDelivery(s, p.Config, newLogGroupKey(s, p.Config).KeyArn())
	}
	if configEnabled(p.Config) {
		newConfigKey(s, p.Config)
		newAggregatorRole(s, p.Config)
	}
	if guardduty.FindingsExported(p.Config) {
		newFindingsKey(s, p.Config)
	}
	newFindingNotifications(s, p.Config, p.LambdaDir)
	newAccountRole(s, RoleSecurity)
	return s
}

// withDescription copies props, with description as the stack description
// unless one was given.
func withDescription(props *StackProps, description string) StackProps {
	var p StackProps
	if props != nil {
		p = *props
	}
	if p.Description == nil {
		p.Description = jsii.String(description)
	}
	return p
}

// newAccountRole records which part of the baseline the account plays.
func newAccountRole(stack awscdk.Stack, role string) {
	awsssm.NewStringParameter(stack, jsii.String("AccountRole"), &awsssm.StringParameterProps{
		ParameterName: jsii.String(AccountRoleParameter),
		StringValue:   jsii.String(role),
		Description:   jsii.String("The part this account plays in the orgbaseline security baseline"),
	})
}
