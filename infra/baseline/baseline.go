// Package baseline is the construct that runs the baseline from the
// management account: one Lambda per step of registry.Specs() and the Standard
// state machine that calls them in order.
//
// The Baseline is composed of a StepLambda per step (steplambda.go) and the
// StateMachine (statemachine.go), which chains the states of each step
// (states.go) by the step's shape.
//
// Every Task passes the whole execution input to its step and stores the
// step's result at $.results.<ResultKey>. Retry and Catch match the error
// names of package workflow, so a step steers the run by the type of the
// error it returns.
package baseline

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/orgbaseline/orgbaseline/shared/org/targets"
	"github.com/orgbaseline/orgbaseline/shared/registry"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// Names of the states that end a run. A step's State must not reuse them.
const (
	// StateConflict ends a run whose step returned a ConflictError.
	StateConflict = "Conflict"
	// StateFailed ends a run whose step failed with any other error, after
	// the retries.
	StateFailed = "Failed"
	// StateDone ends a run in which every step succeeded.
	StateDone = "Done"
)

// ErrorResultPath is where a caught error is stored before a Fail state
// reports its Error and Cause.
const ErrorResultPath = "$.error"

// MaxSettingsBytes caps the encoded configuration a Lambda receives in
// settings.EnvVar. Lambda allows 4 KB for all environment variables of a
// function together (names and values); the rest is left for the others.
const MaxSettingsBytes = 3500

// BootstrapFile is the executable a provided.al2023 Lambda runs.
const BootstrapFile = "bootstrap"

// LambdaServiceErrors are the errors of the Lambda service itself that every
// Task retries, as Step Functions recommends for Lambda invocations.
var LambdaServiceErrors = []string{
	"Lambda.ServiceException",
	"Lambda.AWSLambdaException",
	"Lambda.SdkClientException",
	"Lambda.ClientExecutionTimeoutException",
	"Lambda.TooManyRequestsException",
}

// Settings of every step Lambda and Task.
const (
	functionTimeoutSeconds = 90
	functionMemoryMB       = 256
	// taskTimeoutSeconds bounds one invocation as Step Functions sees it,
	// a little above the function timeout so the function's own timeout
	// error reaches the Catch first.
	taskTimeoutSeconds = int(workflow.InvocationBound / time.Second)
)

// stepEnv is a step's further environment: for org-targets, the paces of
// the run's steps, with which it checks that the run fits in the state
// machine's timeout (workflow.RunBound).
func stepEnv(step workflow.StepSpec, steps []workflow.StepSpec) map[string]string {
	if step.Name != targets.Spec.Name {
		return nil
	}
	b, err := json.Marshal(workflow.Paces(steps))
	if err != nil {
		panic("baseline: " + err.Error())
	}
	return map[string]string{workflow.EnvRunPaces: string(b)}
}

// Baseline is the management account's part of the baseline: the step
// Lambdas and the state machine that runs them.
type Baseline interface {
	constructs.Construct
	// StateMachine returns the state machine that runs the steps in order.
	StateMachine() sfn.StateMachine
	// Functions returns the step Lambdas, in step order.
	Functions() []awslambda.IFunction
	// Function returns the Lambda of the named step, or nil if there is none.
	Function(step string) awslambda.IFunction
	// Key returns the customer-managed key that encrypts the log groups and
	// the Lambdas' environment variables.
	Key() awskms.IKey
	// Results returns the bucket the Distributed Maps write their results
	// to, nil without a Distributed Map.
	Results() awss3.IBucket
}

// BaselineProps configures a Baseline.
type BaselineProps struct {
	// Config is the validated configuration (settings.LoadFile). Each step
	// Lambda receives it, encoded, in settings.EnvVar.
	Config settings.Config
	// LambdaDir holds one folder per step, named after the step, with the
	// step's bootstrap executable: LambdaDir/<step>/bootstrap.
	LambdaDir string
	// Steps are the steps the state machine runs, in order, with their
	// grants.
	//
	// Default: the steps the configuration needs, registry.For(Config).
	Steps []step.Step
}

type baseline struct {
	constructs.Construct
	stateMachine StateMachine
	functions    []awslambda.IFunction
	steps        []workflow.StepSpec
	key          awskms.IKey
}

// specs returns the specs of steps, in order.
func specs(steps []step.Step) []workflow.StepSpec {
	out := make([]workflow.StepSpec, len(steps))
	for i, s := range steps {
		out[i] = s.Spec
	}
	return out
}

// resultWriterV2Flag enables DistributedMapProps.ResultWriterV2.
const resultWriterV2Flag = "@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2"

// NewBaseline creates the key, a StepLambda per step and the StateMachine
// that runs them, all children of the Baseline. It panics, listing every
// problem, if props are invalid: a missing bootstrap, a step without
// actions, settings too large for a Lambda's environment.
func NewBaseline(scope constructs.Construct, id string, props *BaselineProps) Baseline {
	p, encoded := validate(props)

	all := specs(p.Steps)
	b := &baseline{steps: all}
	constructs.NewConstruct_Override(b, scope, &id)
	// The Distributed Maps' result writer with a bucket (ResultWriterV2)
	// is behind a feature flag; the flag is set here, on the construct and
	// before its children, so the app needs no cdk.json context for it.
	b.Node().SetContext(jsii.String(resultWriterV2Flag), true)

	b.key = newKey(b)
	for _, s := range p.Steps {
		grants, _ := s.Grants(p.Config)
		fn := NewStepLambda(b, s.Spec.State, &StepLambdaProps{
			Step:      s.Spec,
			Grants:    grants.Lambda,
			Config:    p.Config,
			Settings:  encoded,
			LambdaDir: p.LambdaDir,
			Key:       b.key,
			Env:       stepEnv(s.Spec, all),
		})
		b.functions = append(b.functions, fn.Function())
	}
	b.stateMachine = NewStateMachine(b, "StateMachine", &StateMachineProps{
		Steps:                   all,
		Functions:               b.functions,
		Key:                     b.key,
		ToleratedFailurePercent: p.Config.Tolerated(),
	})
	return b
}

func (b *baseline) StateMachine() sfn.StateMachine { return b.stateMachine.Machine() }

func (b *baseline) Functions() []awslambda.IFunction { return slices.Clone(b.functions) }

func (b *baseline) Function(step string) awslambda.IFunction {
	for i, s := range b.steps {
		if s.Name == step {
			return b.functions[i]
		}
	}
	return nil
}

func (b *baseline) Key() awskms.IKey { return b.key }

func (b *baseline) Results() awss3.IBucket { return b.stateMachine.Results() }

// validate returns props with defaults applied and the encoded settings, or
// panics with every problem found.
func validate(props *BaselineProps) (BaselineProps, string) {
	if props == nil {
		panic("baseline: props are required")
	}
	p := *props
	if p.Steps == nil {
		p.Steps = registry.For(p.Config)
	}

	var problems []string
	add := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }

	if p.LambdaDir == "" {
		add("LambdaDir is empty: give the folder that holds <step>/%s", BootstrapFile)
	}
	if p.Config.ExecutionRoleName == "" {
		add("Config.ExecutionRoleName is empty: load the configuration with settings.LoadFile")
	}
	if len(p.Steps) == 0 {
		add("Steps is empty: the state machine needs at least one step")
	}
	seen := map[string]bool{}
	for i, s := range p.Steps {
		stepProblems(add, seen, p, i, s.Spec)
		grantProblems(add, p.Config, s)
	}

	encoded, err := p.Config.Encode()
	switch {
	case err != nil:
		add("%v", err)
	case len(encoded) > MaxSettingsBytes:
		add("the encoded settings are %d bytes, over the %d bytes a step Lambda's environment can carry (Lambda allows 4 KB for all variables): shorten the configuration, e.g. the e-mail subscriptions", len(encoded), MaxSettingsBytes)
	}

	if len(problems) > 0 {
		panic("baseline: invalid props:\n  - " + strings.Join(problems, "\n  - "))
	}
	return p, encoded
}

// reservedStates are the states that end a run.
var reservedStates = []string{StateConflict, StateFailed, StateDone}

// stepProblems adds, through add, the problems of step i, s: its names,
// states and result keys must be its own (seen holds those of the earlier
// steps, and gets the step's), its shape needs its settings, its actions
// their grants, and its bootstrap must exist.
func stepProblems(add func(format string, a ...any), seen map[string]bool, p BaselineProps, i int, s workflow.StepSpec) {
	if s.Name == "" || s.State == "" || s.ResultKey == "" {
		add("step %d: Name, State and ResultKey are required", i)
		return
	}
	for _, key := range []string{"name " + s.Name, "state " + s.State, "result key " + s.ResultKey} {
		if seen[key] {
			add("step %s: %s is used by an earlier step", s.Name, key)
		}
		seen[key] = true
	}
	if slices.Contains(reservedStates, s.State) {
		add("step %s: state name %q is reserved for the end states", s.Name, s.State)
	}
	if s.Shape == workflow.ShapeEachAccount && s.RegionConcurrency < 1 {
		add("step %s: RegionConcurrency must be at least 1: the regions an account's invocation works through at once", s.Name)
	}
	if s.Poll != nil && ((s.Shape != workflow.ShapeEachRegion && s.Shape != workflow.ShapeHomeRegion) || s.Poll.IntervalSeconds < 1 || s.Poll.MaxPolls < 1) {
		add("step %s: a Poll needs ShapeEachRegion or ShapeHomeRegion, an interval and a maximum of at least 1", s.Name)
	}
	if (s.Shape != workflow.ShapeOnce || s.TakesAccounts) && !seen["name "+targets.Spec.Name] {
		add("step %s works on the regions or accounts of step %s, which must come before it", s.Name, targets.Spec.Name)
	}
	if s.Shape != workflow.ShapeOnce {
		if s.MaxConcurrency < 1 {
			add("step %s: MaxConcurrency must be at least 1 for its Map state", s.Name)
		}
		for _, st := range s.States() {
			if seen["state "+st] || slices.Contains(reservedStates, st) {
				add("step %s: state %q is used elsewhere", s.Name, st)
			}
			seen["state "+st] = true
		}
	}
	if p.LambdaDir != "" {
		bootstrap := filepath.Join(p.LambdaDir, s.Name, BootstrapFile)
		if fi, err := os.Stat(bootstrap); err != nil || !fi.Mode().IsRegular() {
			add("step %s: %s not found: build the Lambdas first (make lambdas)", s.Name, bootstrap)
		}
	}
}

// grantProblems adds the problems of the step's grants under c: none given,
// none at all while it reaches no other account, or not sound
// (step.GrantProblems).
func grantProblems(add func(format string, a ...any), c settings.Config, s step.Step) {
	g, ok := s.Grants(c)
	switch {
	case !ok:
		add("step %s has no grants: give its step.Step its grants (WithGrants)", s.Spec.Name)
		return
	case len(g.Lambda) == 0 && s.Spec.Reach == workflow.ReachNone:
		add("step %s grants nothing and reaches no other account: list the IAM actions the step calls", s.Spec.Name)
	}
	for _, p := range step.GrantProblems(g, c) {
		add("step %s: %s", s.Spec.Name, p)
	}
}

// newKey creates the key of the log groups and the Lambda environments.
func newKey(scope constructs.Construct) awskms.IKey {
	stack := awscdk.Stack_Of(scope)
	key := awskms.NewKey(scope, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("orgbaseline: encrypts the baseline's log groups and the step Lambdas' environment variables"),
		EnableKeyRotation: jsii.Bool(true),
	})
	// CloudWatch Logs encrypts a log group with the key only if the key
	// policy allows it, for log groups of this account and region.
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchLogsOfThisAccount"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("logs."+*stack.Region()+".amazonaws.com"), nil)},
		Actions: jsii.Strings(
			"kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*",
		),
		Resources: jsii.Strings("*"),
		Conditions: &map[string]any{
			"ArnLike": map[string]any{
				"kms:EncryptionContext:aws:logs:arn": stack.FormatArn(&awscdk.ArnComponents{
					Service:      jsii.String("logs"),
					Resource:     jsii.String("log-group"),
					ResourceName: jsii.String("*"),
					ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
				}),
			},
		},
	}), nil)
	return key
}

// newLogGroup creates a log group kept one year, encrypted with key.
func newLogGroup(scope constructs.Construct, id string, key awskms.IKey) awslogs.LogGroup {
	return awslogs.NewLogGroup(scope, jsii.String(id), &awslogs.LogGroupProps{
		Retention:     awslogs.RetentionDays_ONE_YEAR,
		EncryptionKey: key,
	})
}
