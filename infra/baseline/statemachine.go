package baseline

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/orgbaseline/orgbaseline/infra/lintskip"
	"github.com/orgbaseline/orgbaseline/shared/org/targets"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// StateMachineProps configures a StateMachine.
type StateMachineProps struct {
	// Steps are the steps the state machine runs, in order.
	Steps []workflow.StepSpec
	// Functions are the steps' Lambdas, one per step, in the order of
	// Steps.
	Functions []awslambda.IFunction
	// Key encrypts the state machine's log group.
	Key awskms.IKey
	// ToleratedFailurePercent is the share of a Distributed Map's accounts
	// that may fail without failing the run
	// (settings.Config.ToleratedFailurePercent).
	ToleratedFailurePercent int
}

// StateMachine is the Standard state machine that runs the steps in order,
// each by its shape (workflow.Shape): once, in the home region then the
// other regions, in each region, or in each account and region; then the
// end states. It owns its log group and, if a step runs in each account and
// region, the bucket the Distributed Maps write their results to.
//
// A StateMachine is no node of the construct tree: the state machine (id),
// its log group (id+"Logs"), the results bucket ("Results") and the states,
// named after the steps (workflow.StepSpec.States) and the end states, are
// children of the scope it is given, so that the logical IDs and the state
// names do not depend on how the Go code groups them.
type StateMachine interface {
	// Machine returns the state machine.
	Machine() sfn.StateMachine
	// Results returns the bucket the Distributed Maps write their results
	// to, or nil if no step runs in each account and region.
	Results() awss3.IBucket
}

type stateMachine struct {
	machine sfn.StateMachine
	results awss3.IBucket
}

func (m *stateMachine) Machine() sfn.StateMachine { return m.machine }
func (m *stateMachine) Results() awss3.IBucket    { return m.results }

// NewStateMachine chains the steps' states (a Task, or the Map states of a
// fan-out) and the end states, and creates the state machine in scope.
func NewStateMachine(scope constructs.Construct, id string, props *StateMachineProps) StateMachine {
	b := newChainBuilder(scope)
	b.tolerated = props.ToleratedFailurePercent
	for i, step := range props.Steps {
		fn := props.Functions[i]
		switch step.Shape {
		case workflow.ShapeHomeThenOtherRegions:
			b.homeThenOtherRegions(step, fn)
		case workflow.ShapeEachRegion:
			b.eachRegion(step, fn)
		case workflow.ShapeEachAccount:
			b.eachAccount(step, fn)
		case workflow.ShapeHomeRegion:
			b.homeRegion(step, fn)
		default:
			b.once(step, fn)
		}
	}

	sm := sfn.NewStateMachine(scope, jsii.String(id), &sfn.StateMachineProps{
		Comment:          jsii.String("orgbaseline: switches on the security baseline across the organization, one step after another"),
		DefinitionBody:   sfn.DefinitionBody_FromChainable(b.chain.Next(b.done)),
		StateMachineType: sfn.StateMachineType_STANDARD,
		Timeout:          awscdk.Duration_Seconds(jsii.Number(workflow.ExecutionTimeout.Seconds())),
		TracingEnabled:   jsii.Bool(true),
		Logs: &sfn.LogOptions{
			Destination:          newLogGroup(scope, id+"Logs", props.Key),
			Level:                sfn.LogLevel_ALL,
			IncludeExecutionData: jsii.Bool(true),
		},
	})

	// As for the functions: CDK makes the state machine depend on its role,
	// which the RoleArn property already references.
	lintskip.CfnLint(sm, "W3005")
	trustOnlyThisAccountsStateMachines(sm)
	suppressStateMachineFindings(scope, sm, props.Functions, b.results != nil)
	return &stateMachine{machine: sm, results: b.results}
}

// trustOnlyThisAccountsStateMachines narrows the trust of the state
// machine's role to Step Functions acting for a state machine of this
// account and region: aws:SourceAccount and aws:SourceArn, as "Creating an
// IAM role for your state machine" (Step Functions Developer Guide,
// "Prevent cross-service confused deputy issue") gives them. The state
// machine's own ARN cannot be named: it would make the role depend on the
// state machine, which depends on the role.
func trustOnlyThisAccountsStateMachines(sm sfn.StateMachine) {
	stack := awscdk.Stack_Of(sm)
	role, ok := sm.Role().Node().DefaultChild().(awsiam.CfnRole)
	if !ok {
		panic("baseline: the state machine's role is not a CfnRole")
	}
	role.AddPropertyOverride(jsii.String("AssumeRolePolicyDocument.Statement.0.Condition"), map[string]any{
		"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()},
		"ArnLike": map[string]any{"aws:SourceArn": stack.FormatArn(&awscdk.ArnComponents{
			Service:      jsii.String("states"),
			Resource:     jsii.String("stateMachine"),
			ResourceName: jsii.String("*"),
			ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
		})},
	})
}

// suppressStateMachineFindings records why cdk-nag's wildcard findings on
// the state machine's role do not apply: the grants CDK makes for the Tasks,
// for logging and tracing, and with distributed, for the Distributed Maps.
func suppressStateMachineFindings(scope constructs.Construct, sm sfn.StateMachine, fns []awslambda.IFunction, distributed bool) {
	stack := awscdk.Stack_Of(scope)
	var invokeVersions []any
	for _, fn := range fns {
		id := stack.GetLogicalId(fn.Node().DefaultChild().(awscdk.CfnElement))
		invokeVersions = append(invokeVersions, fmt.Sprintf("Resource::<%s.Arn>:*", *id))
	}
	// The Task, logging and tracing grants, and the Distributed Maps'
	// results bucket, are in the role's default policy: one suppression,
	// each wildcard with its reason.
	appliesTo := append([]any{"Resource::*"}, invokeVersions...)
	reason := "The Task grant covers the step functions' versions and aliases (<function ARN>:*); the functions " +
		"themselves stay the only ones. Execution logging and X-Ray tracing (Resource *): the CloudWatch Logs " +
		"log-delivery actions (logs:CreateLogDelivery and the other *LogDelivery, *ResourcePolicy and " +
		"DescribeLogGroups calls) and xray:PutTraceSegments, PutTelemetryRecords and GetSampling* support no " +
		"resource-level permissions."
	if distributed {
		appliesTo = append(appliesTo, map[string]any{"regex": "/^Resource::arn:<AWS::Partition>:s3:::<BaselineResults[A-Z0-9]+>\\/\\*$/g"})
		reason += " The Distributed Maps' results grant (s3:PutObject and the multipart calls) is on the results bucket's objects."
		// CDK puts the Distributed Maps' own grant in a policy of the state
		// machine's: it starts, describes and stops its child executions.
		cdknag.NagSuppressions_AddResourceSuppressions(sm.Node().FindChild(jsii.String("DistributedMapPolicy")), &[]*cdknag.NagPackSuppression{{
			Id: jsii.String("AwsSolutions-IAM5"),
			Reason: jsii.String("A Distributed Map runs each account as a child execution of this state machine: " +
				"states:DescribeExecution and StopExecution apply to its executions, whose names are made at run time " +
				"(execution:<this state machine>:* and the map run's executions), never to another state machine's."),
			AppliesTo: &[]any{map[string]any{"regex": "/^Resource::arn:<AWS::Partition>:states:.*:execution:.*$/g"}},
		}}, jsii.Bool(true))
	}
	cdknag.NagSuppressions_AddResourceSuppressions(sm.Role().Node().FindChild(jsii.String("DefaultPolicy")), &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"), Reason: jsii.String(reason), AppliesTo: &appliesTo,
	}}, jsii.Bool(true))
}

// chainBuilder chains the states of the steps, one shape after another.
// Every step's Task or Map catches the errors that end a run: a
// ConflictError goes to the Conflict state, any other error, after the
// retries, to Failed.
type chainBuilder struct {
	scope            constructs.Construct
	conflict, failed sfn.Fail
	done             sfn.Succeed
	chain            sfn.Chain
	// results is the bucket of the Distributed Maps, made with the first
	// of them.
	results awss3.IBucket
	// tolerated is the Distributed Maps' ToleratedFailurePercentage.
	tolerated int
}

// newChainBuilder creates the end states, and a builder with an empty chain.
func newChainBuilder(scope constructs.Construct) *chainBuilder {
	endWithError := func(id, comment string) sfn.Fail {
		return sfn.NewFail(scope, jsii.String(id), &sfn.FailProps{
			Comment:   jsii.String(comment),
			ErrorPath: jsii.String(ErrorResultPath + ".Error"),
			CausePath: jsii.String(ErrorResultPath + ".Cause"),
		})
	}
	b := &chainBuilder{scope: scope}
	b.conflict = endWithError(StateConflict, "The organization contradicts the configuration; the step changed nothing.")
	b.failed = endWithError(StateFailed, "A step failed with an error that retrying did not fix.")
	b.done = sfn.NewSucceed(scope, jsii.String(StateDone), &sfn.SucceedProps{
		Comment: jsii.String("Every step succeeded."),
	})
	return b
}

// add appends s to the chain.
func (b *chainBuilder) add(s sfn.IChainable) {
	if b.chain == nil {
		b.chain = sfn.Chain_Start(s)
	} else {
		b.chain = b.chain.Next(s)
	}
}

// catch adds the Catch rules of every step through add, the AddCatch of the
// step's outermost state.
func (b *chainBuilder) catch(add func(handler sfn.IChainable, props *sfn.CatchProps)) {
	add(b.conflict, &sfn.CatchProps{Errors: jsii.Strings(workflow.ErrNameConflict), ResultPath: jsii.String(ErrorResultPath)})
	add(b.failed, &sfn.CatchProps{Errors: jsii.Strings(*sfn.Errors_ALL()), ResultPath: jsii.String(ErrorResultPath)})
}

// targetsPath is where the org-targets step's result (the accounts and
// regions to work in) is in the state.
func targetsPath() string { return "$.results." + targets.Spec.ResultKey }

// accountsPath is where the run's accounts are in the state.
func accountsPath() string { return targetsPath() + ".accounts" }

// excludedPath is where the accounts the scope excludes are in the state.
func excludedPath() string { return targetsPath() + ".excluded" }

// once adds a step that runs once, in the home region: a Task.
func (b *chainBuilder) once(step workflow.StepSpec, fn awslambda.IFunction) {
	var params *map[string]interface{}
	if step.TakesAccounts {
		// A workflow.Item: the execution input, the run's accounts and
		// those the scope excludes.
		params = &map[string]interface{}{"input.$": "$$.Execution.Input", "accounts.$": accountsPath(), "excluded.$": excludedPath()}
	}
	task := newTask(b.scope, step.State, step, fn, "$.results."+step.ResultKey, params)
	b.catch(func(h sfn.IChainable, p *sfn.CatchProps) { task.AddCatch(h, p) })
	b.add(task)
}

// homeThenOtherRegions adds a step that runs in the home region alone
// first, then in a Map over the others. Each invocation gets a
// workflow.Item: the execution input and its region.
func (b *chainBuilder) homeThenOtherRegions(step workflow.StepSpec, fn awslambda.IFunction) {
	states, keys := step.States(), step.ResultKeys()
	params := map[string]interface{}{
		"input.$":  "$$.Execution.Input",
		"region.$": targetsPath() + ".homeRegion",
	}
	if step.TakesAccounts {
		params["accounts.$"] = accountsPath()
		params["excluded.$"] = excludedPath()
	}
	home := newTask(b.scope, states[0], step, fn, "$.results."+keys[0], &params)
	b.catch(func(h sfn.IChainable, p *sfn.CatchProps) { home.AddCatch(h, p) })
	others := newRegionMap(b.scope, states[1], step, targetsPath()+".otherRegions", "$.results."+keys[1])
	others.ItemProcessor(newTask(b.scope, step.State, step, fn, "", nil), nil)
	b.catch(func(h sfn.IChainable, p *sfn.CatchProps) { others.AddCatch(h, p) })
	b.add(home)
	b.add(others)
}

// homeRegion adds a step that runs in the home region alone, in a Map over
// the org-targets result's homeRegions (none when the run does not cover
// it), its item given every region of the run; a step with a Poll repeats
// until its work is done (newPolledTask).
func (b *chainBuilder) homeRegion(step workflow.StepSpec, fn awslambda.IFunction) {
	home := newRegionMap(b.scope, step.States()[0], step, targetsPath()+".homeRegions", "$.results."+step.ResultKey)
	if step.Poll != nil {
		home.ItemProcessor(newPolledTask(b.scope, step, fn), nil)
	} else {
		home.ItemProcessor(newTask(b.scope, step.State, step, fn, "", nil), nil)
	}
	b.catch(func(h sfn.IChainable, p *sfn.CatchProps) { home.AddCatch(h, p) })
	b.add(home)
}

// eachRegion adds a step that runs in each region, in a Map; a step with a
// Poll repeats in each region until its work is done (newPolledTask).
func (b *chainBuilder) eachRegion(step workflow.StepSpec, fn awslambda.IFunction) {
	each := newRegionMap(b.scope, step.States()[0], step, targetsPath()+".regions", "$.results."+step.ResultKey)
	if step.Poll != nil {
		each.ItemProcessor(newPolledTask(b.scope, step, fn), nil)
	} else {
		each.ItemProcessor(newTask(b.scope, step.State, step, fn, "", nil), nil)
	}
	b.catch(func(h sfn.IChainable, p *sfn.CatchProps) { each.AddCatch(h, p) })
	b.add(each)
}

// eachAccount adds a step that runs once per account: a Distributed Map
// over the accounts, each iteration one Task given the account and every
// region of the run, which the step works through in-process (account-wide
// work once per account, not once per region).
//
// A Distributed Map: each account is a child execution with a history of
// its own, and the results go to S3 (the execution's state carries only
// where they are), so neither the 25,000 history events nor the 256 KiB
// state limit an organization's size.
func (b *chainBuilder) eachAccount(step workflow.StepSpec, fn awslambda.IFunction) {
	if b.results == nil {
		b.results = newResultsBucket(b.scope)
	}
	accounts := sfn.NewDistributedMap(b.scope, jsii.String(step.States()[0]), &sfn.DistributedMapProps{
		Comment:   jsii.String(step.Description + " (" + accountsPath() + ")"),
		ItemsPath: jsii.String(accountsPath()),
		ItemSelector: &map[string]interface{}{
			"input.$":   "$$.Execution.Input",
			"account.$": "$$.Map.Item.Value",
			"regions.$": targetsPath() + ".regions",
		},
		MaxConcurrency: jsii.Number(step.MaxConcurrency),
		// An account whose invocation fails after its retries is that
		// account's failure: the others go on, and only more failures
		// than the tolerance fail the map run.
		ToleratedFailurePercentage: jsii.Number(b.tolerated),
		MapExecutionType:           sfn.StateMachineType_STANDARD,
		Label:                      jsii.String(step.State),
		ResultWriterV2: sfn.NewResultWriterV2(&sfn.ResultWriterV2Props{
			Bucket: b.results,
			Prefix: jsii.String(ResultsPrefix + step.Name),
		}),
		ResultPath: jsii.String("$.results." + step.ResultKey),
	})
	accounts.ItemProcessor(newTask(b.scope, step.State, step, fn, "", nil), nil)
	b.catch(func(h sfn.IChainable, p *sfn.CatchProps) { accounts.AddCatch(h, p) })
	b.add(accounts)
}
