package onboard

import "github.com/orgbaseline/orgbaseline/shared/eventbus"

// ExecutionAlarmStatuses are the statuses of a baseline execution that
// reach the operations topic.
var ExecutionAlarmStatuses = []string{"FAILED", "TIMED_OUT", "ABORTED"}

// ExecutionFailedPattern matches the "Step Functions Execution Status
// Change" events ("Automating Step Functions event delivery with
// EventBridge", AWS Step Functions Developer Guide) of stateMachineArn's
// executions that ended in one of ExecutionAlarmStatuses. stateMachineArn
// is the ARN, or the CDK token that stands for it.
func ExecutionFailedPattern(stateMachineArn any) eventbus.Pattern {
	return eventbus.Pattern{
		"source":      []string{sourceStates},
		"detail-type": []string{detailTypeStatus},
		"detail": map[string]any{
			"status":          ExecutionAlarmStatuses,
			"stateMachineArn": []any{stateMachineArn},
		},
	}
}

// RunEndedPattern matches the status change events of stateMachineArn's
// onboarding and re-converge runs (their names begin with OnboardPrefix or
// ReconvergePrefix: ExecutionName) that SUCCEEDED: what Summarizer reads.
func RunEndedPattern(stateMachineArn any) eventbus.Pattern {
	return eventbus.Pattern{
		"source":      []string{sourceStates},
		"detail-type": []string{detailTypeStatus},
		"detail": map[string]any{
			"status":          []string{"SUCCEEDED"},
			"stateMachineArn": []any{stateMachineArn},
			"name":            []any{map[string]any{"prefix": onboardNamePrefix}, map[string]any{"prefix": reconvergeNamePrefix}},
		},
	}
}
