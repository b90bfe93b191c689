package stacks_test

import (
	"reflect"
	"testing"
)

// "Creating an IAM role for your state machine" (Step Functions Developer
// Guide, "Prevent cross-service confused deputy issue"): the state
// machine's role trusts Step Functions only for state machines of this
// account (aws:SourceAccount, aws:SourceArn).
func TestStateMachineRoleTrustNamesItsSource(t *testing.T) {
	a := build(t)
	sm := props(a.mgmtJSON.resource(t, stateMachineID(t, a)))
	role := props(a.mgmtJSON.resource(t, ref(sm["RoleArn"])))
	doc, _ := role["AssumeRolePolicyDocument"].(map[string]any)
	sts, _ := doc["Statement"].([]any)
	if len(sts) != 1 {
		t.Fatalf("trust statements: %v", sts)
	}
	st, _ := sts[0].(map[string]any)
	if p, _ := st["Principal"].(map[string]any); p["Service"] != "states.amazonaws.com" {
		t.Errorf("principal: %v", st["Principal"])
	}
	cond, _ := st["Condition"].(map[string]any)
	mgmt := a.cfg.Accounts.Management
	if want := map[string]any{"aws:SourceAccount": mgmt}; !reflect.DeepEqual(cond["StringEquals"], want) {
		t.Errorf("StringEquals: %v, want %v", cond["StringEquals"], want)
	}
	arn, _ := cond["ArnLike"].(map[string]any)["aws:SourceArn"].(map[string]any)
	want := map[string]any{"Fn::Join": []any{"", []any{"arn:", map[string]any{"Ref": "AWS::Partition"}, ":states:" + a.cfg.HomeRegion + ":" + mgmt + ":stateMachine:*"}}}
	if !reflect.DeepEqual(arn, want) {
		t.Errorf("aws:SourceArn: %v, want %v", arn, want)
	}
}
