package orgtrail

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// The state machine passes the run's accounts to a step whose spec sets
// TakesAccounts, as a workflow.Item; the step's handler takes one.
func TestStepTakesTheRunsAccounts(t *testing.T) {
	if !Spec.TakesAccounts {
		t.Error("the org-trail spec does not set TakesAccounts")
	}
	cfg := config(t, "")
	d := step.Deps{Settings: cfg, Accounts: awsclient.NewAccounts(aws.Config{}, cfg.Accounts.Management, cfg.ExecutionRoleName, "test"), Log: quiet}
	if _, ok := Step.Handler(d).(step.Handler[workflow.Item, workflow.StepResult]); !ok {
		t.Errorf("the org-trail handler is a %T, want a step.Handler[workflow.Item, workflow.StepResult]", Step.Handler(d))
	}
}
