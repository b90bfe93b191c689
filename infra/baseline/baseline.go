// Package baseline is the construct that runs the baseline from the
// management account: one Lambda per step of registry.Specs() and the Standard
// state machine that calls them in order.
//
// Every Task passes the whole execution input to its step and stores the
// step's result at $.results.<ResultKey>. Retry and Catch match the error
// names of package workflow, so a step steers the run by the type of the
// error it returns.
package baseline

import (
	"fmt"
	"github.com/orgbaseline/orgbaseline/shared/org/targets"
	"github.com/orgbaseline/orgbaseline/shared/registry"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	tasks "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctionstasks"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/orgbaseline/orgbaseline/infra/lintskip"
	"github.com/orgbaseline/orgbaseline/shared/settings"
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
	taskTimeoutSeconds  = 120
	stateMachineTimeout = 2 // hours
)

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
}

// BaselineProps configures a Baseline.
type BaselineProps struct {
	// Config is the validated configuration (settings.LoadFile). Each step
	// Lambda receives it, encoded, in settings.EnvVar.
	Config settings.Config
	// LambdaDir holds one folder per step, named after the step, with the
	// step's bootstrap executable: LambdaDir/<step>/bootstrap.
	LambdaDir string
	// Steps are the steps the state machine runs, in order.
	//
	// Default: registry.Specs().
	Steps []workflow.StepSpec
}

type baseline struct {
	constructs.Construct
	stateMachine sfn.StateMachine
	functions    []awslambda.IFunction
	steps        []workflow.StepSpec
	key          awskms.IKey
}

// NewBaseline creates the step Lambdas and the state machine. It panics,
// listing every problem, if props are invalid: a missing bootstrap, a step
// without actions, settings too large for a Lambda's environment.
// resultWriterV2Flag enables DistributedMapProps.ResultWriterV2.
const resultWriterV2Flag = "@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2"

func NewBaseline(scope constructs.Construct, id string, props *BaselineProps) Baseline {
	p, encoded := validate(props)

	b := &baseline{steps: p.Steps}
	constructs.NewConstruct_Override(b, scope, &id)
	// The Distributed Maps' result writer with a bucket (ResultWriterV2)
	// is behind a feature flag; the flag is set here, on the construct and
	// before its children, so the app needs no cdk.json context for it.
	b.Node().SetContext(jsii.String(resultWriterV2Flag), true)

	b.key = newKey(b)
	for _, step := range p.Steps {
		b.functions = append(b.functions, newStepFunction(b, step, p, encoded, b.key))
	}
	b.stateMachine = newStateMachine(b, p.Steps, b.functions, b.key)
	return b
}

func (b *baseline) StateMachine() sfn.StateMachine { return b.stateMachine }

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

// validate returns props with defaults applied and the encoded settings, or
// panics with every problem found.
func validate(props *BaselineProps) (BaselineProps, string) {
	if props == nil {
		panic("baseline: props are required")
	}
	p := *props
	if p.Steps == nil {
		p.Steps = registry.Specs()
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
	reserved := []string{StateConflict, StateFailed, StateDone}
	for i, s := range p.Steps {
		if s.Name == "" || s.State == "" || s.ResultKey == "" {
			add("step %d: Name, State and ResultKey are required", i)
			continue
		}
		for _, key := range []string{"name " + s.Name, "state " + s.State, "result key " + s.ResultKey} {
			if seen[key] {
				add("step %s: %s is used by an earlier step", s.Name, key)
			}
			seen[key] = true
		}
		if slices.Contains(reserved, s.State) {
			add("step %s: state name %q is reserved for the end states", s.Name, s.State)
		}
		if len(s.Actions) == 0 && s.Reach == workflow.ReachNone {
			add("step %s: Actions is empty and Reach is none: list the IAM actions the step calls", s.Name)
		}
		if s.Shape == workflow.ShapeEachAccountRegion && s.RegionConcurrency < 1 {
			add("step %s: RegionConcurrency must be at least 1 for its inner Map state", s.Name)
		}
		if s.Poll != nil && (s.Shape != workflow.ShapeEachRegion || s.Poll.IntervalSeconds < 1 || s.Poll.MaxPolls < 1) {
			add("step %s: a Poll needs ShapeEachRegion, an interval and a maximum of at least 1", s.Name)
		}
		if s.Shape != workflow.ShapeOnce {
			if !seen["name "+targets.Spec.Name] {
				add("step %s fans out over the regions of step %s, which must come before it", s.Name, targets.Spec.Name)
			}
			if s.MaxConcurrency < 1 {
				add("step %s: MaxConcurrency must be at least 1 for its Map state", s.Name)
			}
			for _, st := range s.States() {
				if seen["state "+st] || slices.Contains(reserved, st) {
					add("step %s: state %q is used elsewhere", s.Name, st)
				}
				seen["state "+st] = true
			}
		}
		for _, problem := range scopeProblems(s, p.Config) {
			add("step %s: %s", s.Name, problem)
		}
		if p.LambdaDir != "" {
			bootstrap := filepath.Join(p.LambdaDir, s.Name, BootstrapFile)
			if fi, err := os.Stat(bootstrap); err != nil || !fi.Mode().IsRegular() {
				add("step %s: %s not found: build the Lambdas first (make lambdas)", s.Name, bootstrap)
			}
		}
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

func newLogGroup(scope constructs.Construct, id string, key awskms.IKey) awslogs.LogGroup {
	return awslogs.NewLogGroup(scope, jsii.String(id), &awslogs.LogGroupProps{
		Retention:     awslogs.RetentionDays_ONE_YEAR,
		EncryptionKey: key,
	})
}

// newStepFunction creates a step's Lambda, its role and its log group.
func newStepFunction(scope constructs.Construct, step workflow.StepSpec, p BaselineProps, encoded string, key awskms.IKey) awslambda.IFunction {
	role := awsiam.NewRole(scope, jsii.String(step.State+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("orgbaseline step " + step.Name),
	})
	logs := newLogGroup(scope, step.State+"Logs", key)
	// What AWSLambdaBasicExecutionRole would allow, for this log group only.
	logs.GrantWrite(role)

	// The step's actions on Resource *, except those of ScopeRequired, which
	// get a statement each on the resources of the step's ScopedGrants.
	scoped := ScopedGrants(step.Name, p.Config)
	onAny := UnscopedActions(step, p.Config)
	var statements []awsiam.PolicyStatement
	if len(onAny) > 0 {
		statements = append(statements, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("StepActions"),
			Actions:   jsii.Strings(onAny...),
			Resources: jsii.Strings("*"),
		}))
	}
	// The execution role, only in the accounts the step works in, and only
	// in accounts of this organization.
	executionRole := ExecutionRoleARN(step.Reach, p.Config)
	if executionRole != "" {
		statements = append(statements, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("AssumeExecutionRole"),
			Actions:   jsii.Strings("sts:AssumeRole"),
			Resources: jsii.Strings(executionRole),
			Conditions: &map[string]any{
				"StringEquals": map[string]any{"aws:ResourceOrgID": "${aws:PrincipalOrgID}"},
			},
		}))
	}
	for _, g := range scoped {
		statements = append(statements, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String(g.Sid),
			Actions:    jsii.Strings(g.Action),
			Resources:  jsii.Strings(g.Resources...),
			Conditions: &g.Condition,
		}))
	}
	policy := awsiam.NewPolicy(scope, jsii.String(step.State+"Policy"), &awsiam.PolicyProps{
		Roles:      &[]awsiam.IRole{role},
		Statements: &statements,
	})

	codeDir, err := StepCodeDir(p.LambdaDir, step, p.Config)
	if err != nil {
		panic("baseline: " + err.Error())
	}
	fn := awslambda.NewFunction(scope, jsii.String(step.State+"Function"), &awslambda.FunctionProps{
		Description:   jsii.String(step.Description),
		Runtime:       awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:  awslambda.Architecture_ARM_64(),
		Handler:       jsii.String(BootstrapFile),
		Code:          awslambda.Code_FromAsset(jsii.String(codeDir), nil),
		Timeout:       awscdk.Duration_Seconds(jsii.Number(functionTimeoutSeconds)),
		MemorySize:    jsii.Number(functionMemoryMB),
		Role:          role,
		LoggingFormat: awslambda.LoggingFormat_JSON,
		LogGroup:      logs,
		Tracing:       awslambda.Tracing_ACTIVE,
		Environment: &map[string]*string{
			workflow.EnvStep: jsii.String(step.Name),
			settings.EnvVar:  jsii.String(encoded),
		},
		EnvironmentEncryption: key,
	})
	// The function is usable only once its step policy is attached.
	fn.Node().AddDependency(policy)

	var appliesTo []any
	var reason string
	if len(onAny) > 0 {
		appliesTo = append(appliesTo, "Resource::*")
		reason = fmt.Sprintf("Resource * for the step's own actions (%s): the step acts on the "+
			"organization and on accounts it finds at run time; most of these actions support no resource-level "+
			"permissions, and the others would need ARNs with the organization ID or account IDs, which are only "+
			"known at run time.", strings.Join(onAny, ", "))
	}
	if step.Reach == workflow.ReachOrganization {
		appliesTo = append(appliesTo, "Resource::arn:<AWS::Partition>:iam::*:role/"+p.Config.ExecutionRoleName)
		reason += fmt.Sprintf(" The step works in any account of the organization (member accounts it finds at run "+
			"time): the account wildcard of the %s ARN is confined to this organization by the aws:ResourceOrgID "+
			"condition.", p.Config.ExecutionRoleName)
	}
	if len(appliesTo) > 0 {
		cdknag.NagSuppressions_AddResourceSuppressions(policy, &[]*cdknag.NagPackSuppression{{
			Id:        jsii.String("AwsSolutions-IAM5"),
			Reason:    jsii.String(strings.TrimSpace(reason)),
			AppliesTo: &appliesTo,
		}}, jsii.Bool(true))
	}
	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		Reason:    jsii.String("X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions."),
		AppliesTo: &[]any{"Resource::*"},
	}}, jsii.Bool(true))

	lintskip.Checkov(fn,
		lintskip.Check{ID: "CKV_AWS_116", Comment: "Only the state machine invokes the function, synchronously; a dead-letter queue " +
			"receives failed asynchronous invocations only, so it would stay empty. Failures reach the Task's Catch and the execution history."},
		lintskip.Check{ID: "CKV_AWS_117", Comment: "The function calls AWS service APIs (Organizations, STS and the security services) only " +
			"and serves no network endpoint; a VPC would add NAT or interface endpoints without narrowing what the function can reach."},
		lintskip.Check{ID: "CKV_AWS_115", Comment: "Only the state machine calls the step, with its Map states' MaxConcurrency as the bound. Reserved concurrency would be " +
			"taken from the account's unreserved pool, and deployment fails in accounts whose concurrency quota is at the minimum of 10."},
	)
	// CDK makes the function depend on everything under its role, the role
	// itself included, which the Role property already references.
	lintskip.CfnLint(fn, "W3005")
	if len(onAny) > 0 {
		lintskip.Checkov(policy, lintskip.Check{ID: "CKV_AWS_111", Comment: "The policy grants exactly the step's declared " +
			"actions (" + strings.Join(onAny, ", ") + ") on Resource *: most of them support no resource-level " +
			"permissions, and the others would need ARNs that are only known at run time. iam:PassRole and " +
			"iam:CreateServiceLinkedRole are never on Resource *: they have statements of their own on named resources. " +
			"Only the Lambda service can assume the role, and only this step's function uses it."})
	}
	return fn
}

// ExecutionRoleARN is the execution role a step may assume, by its reach:
// every account's (the account ID a wildcard, confined to the organization by
// the statement's condition), the security account's, or none ("").
func ExecutionRoleARN(reach workflow.Reach, cfg settings.Config) string {
	switch reach {
	case workflow.ReachOrganization:
		return fmt.Sprintf("arn:%s:iam::*:role/%s", *awscdk.Aws_PARTITION(), cfg.ExecutionRoleName)
	case workflow.ReachSecurity:
		return fmt.Sprintf("arn:%s:iam::%s:role/%s", *awscdk.Aws_PARTITION(), cfg.Accounts.Security, cfg.ExecutionRoleName)
	}
	return ""
}

// newRegionMap is a Map over the regions at itemsPath: each iteration is
// given a workflow.Item, the execution input and its region; the array of
// the iterations' results goes to resultPath.
func newRegionMap(scope constructs.Construct, id string, step workflow.StepSpec, itemsPath, resultPath string) sfn.Map {
	return sfn.NewMap(scope, jsii.String(id), &sfn.MapProps{
		Comment:   jsii.String(step.Description + " (" + itemsPath + ")"),
		ItemsPath: jsii.String(itemsPath),
		ItemSelector: &map[string]interface{}{
			"input.$":  "$$.Execution.Input",
			"region.$": "$$.Map.Item.Value",
		},
		MaxConcurrency: jsii.Number(step.MaxConcurrency),
		ResultPath:     jsii.String(resultPath),
	})
}

// newTask is the Lambda Task of a step: the function ARN as Resource, the
// step's result at resultPath ("" keeps the result as the state's output),
// the payload built from params (nil passes the state's input), and the
// retries every step gets.
func newTask(scope constructs.Construct, id string, step workflow.StepSpec, fn awslambda.IFunction, resultPath string, params *map[string]interface{}) tasks.LambdaInvoke {
	props := &tasks.LambdaInvokeProps{
		Comment:        jsii.String(step.Description),
		LambdaFunction: fn,
		// The Task's Resource is then the function ARN itself, and the
		// step's return value is the Task's result.
		PayloadResponseOnly: jsii.Bool(true),
		// The Lambda service errors get the one retry below.
		RetryOnServiceExceptions: jsii.Bool(false),
		TaskTimeout:              sfn.Timeout_Duration(awscdk.Duration_Seconds(jsii.Number(taskTimeoutSeconds))),
	}
	if resultPath != "" {
		props.ResultPath = jsii.String(resultPath)
	}
	if params != nil {
		props.Payload = sfn.TaskInput_FromObject(params)
	}
	task := tasks.NewLambdaInvoke(scope, jsii.String(id), props)
	task.AddRetry(&sfn.RetryProps{
		Errors:         jsii.Strings(workflow.ErrNameRetryable),
		Interval:       awscdk.Duration_Seconds(jsii.Number(2)),
		BackoffRate:    jsii.Number(2),
		MaxAttempts:    jsii.Number(6),
		JitterStrategy: sfn.JitterType_FULL,
	})
	task.AddRetry(&sfn.RetryProps{
		Errors:      jsii.Strings(workflow.ErrNameNotReady),
		Interval:    awscdk.Duration_Seconds(jsii.Number(15)),
		BackoffRate: jsii.Number(1.5),
		MaxAttempts: jsii.Number(12),
	})
	task.AddRetry(&sfn.RetryProps{
		Errors:         jsii.Strings(LambdaServiceErrors...),
		Interval:       awscdk.Duration_Seconds(jsii.Number(2)),
		BackoffRate:    jsii.Number(2),
		MaxAttempts:    jsii.Number(6),
		JitterStrategy: sfn.JitterType_FULL,
	})
	return task
}

// newStateMachine chains the steps' states — a Task, or the Map states of a
// fan-out — and the end states.
// Suffixes of the states that repeat a step with a Poll.
const (
	pendingSuffix = "Pending"
	waitSuffix    = "Wait"
	againSuffix   = "Again"
	resultSuffix  = "Result"
)

// newPolledTask returns the iteration of a step with a Poll: the Task, its
// result kept beside the item ($.result); a Choice that, while the result is
// pending, waits the poll interval and calls the Task again with the item and
// the result's poll count; and at the end the result alone, as the
// iteration's output. The step bounds the loop (workflow.Poll.MaxPolls).
func newPolledTask(scope constructs.Construct, step workflow.StepSpec, fn awslambda.IFunction) sfn.IChainable {
	task := newTask(scope, step.State, step, fn, "$.result", nil)
	wait := sfn.NewWait(scope, jsii.String(step.State+waitSuffix), &sfn.WaitProps{
		Comment: jsii.String("Gives the service time to reach the members before the step checks again."),
		Time:    sfn.WaitTime_Duration(awscdk.Duration_Seconds(jsii.Number(step.Poll.IntervalSeconds))),
	})
	again := sfn.NewPass(scope, jsii.String(step.State+againSuffix), &sfn.PassProps{
		Comment: jsii.String("The item again, with the number of checks so far and the last result (whose actions the step carries on)."),
		Parameters: &map[string]interface{}{
			"input.$":    "$.input",
			"region.$":   "$.region",
			"polls.$":    "$.result.polls",
			"previous.$": "$.result",
		},
	})
	result := sfn.NewPass(scope, jsii.String(step.State+resultSuffix), &sfn.PassProps{
		Comment:   jsii.String("The step's last result is the iteration's output."),
		InputPath: jsii.String("$.result"),
	})
	pending := sfn.NewChoice(scope, jsii.String(step.State+pendingSuffix), &sfn.ChoiceProps{
		Comment: jsii.String("Is the step's work still reaching the members?"),
	})
	pending.When(sfn.Condition_And(
		sfn.Condition_IsPresent(jsii.String("$.result.pending")),
		sfn.Condition_BooleanEquals(jsii.String("$.result.pending"), jsii.Bool(true)),
	), wait.Next(again).Next(task), nil).Otherwise(result)
	return task.Next(pending)
}

func newStateMachine(scope constructs.Construct, steps []workflow.StepSpec, fns []awslambda.IFunction, key awskms.IKey) sfn.StateMachine {
	endWithError := func(id, comment string) sfn.Fail {
		return sfn.NewFail(scope, jsii.String(id), &sfn.FailProps{
			Comment:   jsii.String(comment),
			ErrorPath: jsii.String(ErrorResultPath + ".Error"),
			CausePath: jsii.String(ErrorResultPath + ".Cause"),
		})
	}
	conflict := endWithError(StateConflict, "The organization contradicts the configuration; the step changed nothing.")
	failed := endWithError(StateFailed, "A step failed with an error that retrying did not fix.")
	done := sfn.NewSucceed(scope, jsii.String(StateDone), &sfn.SucceedProps{
		Comment: jsii.String("Every step succeeded."),
	})

	var chain sfn.Chain
	add := func(s sfn.IChainable) {
		if chain == nil {
			chain = sfn.Chain_Start(s)
		} else {
			chain = chain.Next(s)
		}
	}
	catch := func(add func(handler sfn.IChainable, props *sfn.CatchProps)) {
		add(conflict, &sfn.CatchProps{Errors: jsii.Strings(workflow.ErrNameConflict), ResultPath: jsii.String(ErrorResultPath)})
		add(failed, &sfn.CatchProps{Errors: jsii.Strings(*sfn.Errors_ALL()), ResultPath: jsii.String(ErrorResultPath)})
	}
	targets := "$.results." + targets.Spec.ResultKey
	var results awss3.IBucket
	for i, step := range steps {
		switch step.Shape {
		case workflow.ShapeHomeThenOtherRegions:
			// The home region alone first, then a Map over the others.
			// Each invocation gets a workflow.Item: the execution input and
			// its region.
			states, keys := step.States(), step.ResultKeys()
			home := newTask(scope, states[0], step, fns[i], "$.results."+keys[0], &map[string]interface{}{
				"input.$":  "$$.Execution.Input",
				"region.$": targets + ".homeRegion",
			})
			catch(func(h sfn.IChainable, p *sfn.CatchProps) { home.AddCatch(h, p) })
			others := newRegionMap(scope, states[1], step, targets+".otherRegions", "$.results."+keys[1])
			others.ItemProcessor(newTask(scope, step.State, step, fns[i], "", nil), nil)
			catch(func(h sfn.IChainable, p *sfn.CatchProps) { others.AddCatch(h, p) })
			add(home)
			add(others)
		case workflow.ShapeEachRegion:
			each := newRegionMap(scope, step.States()[0], step, targets+".regions", "$.results."+step.ResultKey)
			if step.Poll != nil {
				each.ItemProcessor(newPolledTask(scope, step, fns[i]), nil)
			} else {
				each.ItemProcessor(newTask(scope, step.State, step, fns[i], "", nil), nil)
			}
			catch(func(h sfn.IChainable, p *sfn.CatchProps) { each.AddCatch(h, p) })
			add(each)
		case workflow.ShapeEachAccountRegion:
			if results == nil {
				results = newResultsBucket(scope)
			}
			states := step.States()
			// A Distributed Map: each account is a child execution with a
			// history of its own, and the results go to S3 (the execution's
			// state carries only where they are), so neither the 25,000
			// history events nor the 256 KB state limit an organization's
			// size.
			accounts := sfn.NewDistributedMap(scope, jsii.String(states[0]), &sfn.DistributedMapProps{
				Comment:   jsii.String(step.Description + " (" + targets + ".accounts)"),
				ItemsPath: jsii.String(targets + ".accounts"),
				ItemSelector: &map[string]interface{}{
					"input.$":   "$$.Execution.Input",
					"account.$": "$$.Map.Item.Value",
					"regions.$": targets + ".regions",
				},
				MaxConcurrency:   jsii.Number(step.MaxConcurrency),
				MapExecutionType: sfn.StateMachineType_STANDARD,
				Label:            jsii.String(step.State),
				ResultWriterV2: sfn.NewResultWriterV2(&sfn.ResultWriterV2Props{
					Bucket: results,
					Prefix: jsii.String(ResultsPrefix + step.Name),
				}),
				ResultPath: jsii.String("$.results." + step.ResultKey),
			})
			regions := sfn.NewMap(scope, jsii.String(step.State+"EachRegion"), &sfn.MapProps{
				Comment:   jsii.String(step.Description + " (the account's regions)"),
				ItemsPath: jsii.String("$.regions"),
				ItemSelector: &map[string]interface{}{
					"input.$":   "$.input",
					"account.$": "$.account",
					"region.$":  "$$.Map.Item.Value",
				},
				MaxConcurrency: jsii.Number(step.RegionConcurrency),
			})
			regions.ItemProcessor(newTask(scope, step.State, step, fns[i], "", nil), nil)
			accounts.ItemProcessor(regions, nil)
			catch(func(h sfn.IChainable, p *sfn.CatchProps) { accounts.AddCatch(h, p) })
			add(accounts)
		default:
			task := newTask(scope, step.State, step, fns[i], "$.results."+step.ResultKey, nil)
			catch(func(h sfn.IChainable, p *sfn.CatchProps) { task.AddCatch(h, p) })
			add(task)
		}
	}
	chain = chain.Next(done)

	sm := sfn.NewStateMachine(scope, jsii.String("StateMachine"), &sfn.StateMachineProps{
		Comment:          jsii.String("orgbaseline: switches on the security baseline across the organization, one step after another"),
		DefinitionBody:   sfn.DefinitionBody_FromChainable(chain),
		StateMachineType: sfn.StateMachineType_STANDARD,
		Timeout:          awscdk.Duration_Hours(jsii.Number(stateMachineTimeout)),
		TracingEnabled:   jsii.Bool(true),
		Logs: &sfn.LogOptions{
			Destination:          newLogGroup(scope, "StateMachineLogs", key),
			Level:                sfn.LogLevel_ALL,
			IncludeExecutionData: jsii.Bool(true),
		},
	})

	// As for the functions: CDK makes the state machine depend on its role,
	// which the RoleArn property already references.
	lintskip.CfnLint(sm, "W3005")

	stack := awscdk.Stack_Of(scope)
	var invokeVersions []any
	for _, fn := range fns {
		id := stack.GetLogicalId(fn.Node().DefaultChild().(awscdk.CfnElement))
		invokeVersions = append(invokeVersions, fmt.Sprintf("Resource::<%s.Arn>:*", *id))
	}
	if results != nil {
		// CDK's grant for the Distributed Maps: the state machine starts,
		// describes and stops its own child executions.
		cdknag.NagSuppressions_AddResourceSuppressions(sm, &[]*cdknag.NagPackSuppression{{
			Id: jsii.String("AwsSolutions-IAM5"),
			Reason: jsii.String("A Distributed Map runs each account as a child execution of this state machine: " +
				"states:DescribeExecution and StopExecution apply to its executions, whose names are made at run time " +
				"(execution:<this state machine>:* and the map run's executions), never to another state machine's. " +
				"The results bucket grant (s3:PutObject and the multipart calls) is on that one bucket's objects."),
			AppliesTo: &[]any{
				map[string]any{"regex": "/^Resource::arn:<AWS::Partition>:states:.*:execution:.*$/g"},
				map[string]any{"regex": "/^Resource::arn:<AWS::Partition>:s3:::<BaselineResults[A-Z0-9]+>\\/\\*$/g"},
			},
		}}, jsii.Bool(true))
	}
	cdknag.NagSuppressions_AddResourceSuppressions(sm.Role(), &[]*cdknag.NagPackSuppression{
		{
			Id: jsii.String("AwsSolutions-IAM5"),
			Reason: jsii.String("The Task grant covers the step function's versions and aliases (<function ARN>:*); " +
				"the function itself stays the only one."),
			AppliesTo: &invokeVersions,
		},
		{
			Id: jsii.String("AwsSolutions-IAM5"),
			Reason: jsii.String("Execution logging and X-Ray tracing: the CloudWatch Logs log-delivery actions " +
				"(logs:CreateLogDelivery and the other *LogDelivery, *ResourcePolicy and DescribeLogGroups calls) and " +
				"xray:PutTraceSegments, PutTelemetryRecords and GetSampling* support no resource-level permissions."),
			AppliesTo: &[]any{"Resource::*"},
		},
	}, jsii.Bool(true))
	return sm
}
