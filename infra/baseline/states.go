package baseline

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	sfn "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	tasks "github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctionstasks"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// The states of one step, which the StateMachine chains: the Lambda Task
// with the retries every step gets, the Map over regions of a fan-out, and
// the loop of a step with a Poll.

// newRegionMap is a Map over the regions at itemsPath: each iteration is
// given a workflow.Item, the execution input and its region; the array of
// the iterations' results goes to resultPath.
//
// A step that TakesAccounts also gets the run's accounts and those the
// scope excludes.
func newRegionMap(scope constructs.Construct, id string, step workflow.StepSpec, itemsPath, resultPath string) sfn.Map {
	selector := map[string]interface{}{
		"input.$":  "$$.Execution.Input",
		"region.$": "$$.Map.Item.Value",
	}
	if step.Shape == workflow.ShapeHomeRegion {
		selector["regions.$"] = targetsPath() + ".regions"
	}
	if step.TakesAccounts {
		selector["accounts.$"] = accountsPath()
		selector["excluded.$"] = excludedPath()
	}
	return sfn.NewMap(scope, jsii.String(id), &sfn.MapProps{
		Comment:        jsii.String(step.Description + " (" + itemsPath + ")"),
		ItemsPath:      jsii.String(itemsPath),
		ItemSelector:   &selector,
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
	item := map[string]interface{}{
		"input.$":    "$.input",
		"region.$":   "$.region",
		"polls.$":    "$.result.polls",
		"previous.$": "$.result",
	}
	if step.Shape == workflow.ShapeHomeRegion {
		item["regions.$"] = "$.regions"
	}
	if step.TakesAccounts {
		item["accounts.$"] = "$.accounts"
		item["excluded.$"] = "$.excluded"
	}
	again := sfn.NewPass(scope, jsii.String(step.State+againSuffix), &sfn.PassProps{
		Comment:    jsii.String("The item again, with the number of checks so far and the last result (whose actions the step carries on)."),
		Parameters: &item,
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
