package guardduty

import (
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// The guardduty-org step takes the run's accounts from the state machine
// and, in the management account, reads accounts only
// (organizations:DescribeAccount, or ListAccounts when it takes fewer
// calls): its Lambda's actions are exactly those.
func TestOrgSpecTakesTheRunsAccounts(t *testing.T) {
	if !OrgSpec.TakesAccounts {
		t.Error("the guardduty-org spec does not set TakesAccounts")
	}
	if e, a := []string{"organizations:DescribeAccount", "organizations:ListAccounts"}, step.Actions(OrgGrants(fakeConfig(t, "")).Lambda); !reflect.DeepEqual(e, a) {
		t.Errorf("guardduty-org actions: expect %v, got %v", e, a)
	}
	cfg := fakeConfig(t, "")
	d := step.Deps{Settings: cfg, Accounts: awsclient.NewAccounts(aws.Config{}, cfg.Accounts.Management, cfg.ExecutionRoleName, "test"), Log: quiet}
	if _, ok := OrgStep.Handler(d).(step.Handler[workflow.Item, workflow.StepResult]); !ok {
		t.Errorf("the guardduty-org handler is a %T, want a step.Handler[workflow.Item, workflow.StepResult]", OrgStep.Handler(d))
	}
}
