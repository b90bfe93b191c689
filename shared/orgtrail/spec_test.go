package orgtrail

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// The org-trail step grants what CloudTrail documents for the caller that
// creates an organization trail ("Prepare for creating a trail for your
// organization": permissions in IAM and Organizations to create the
// service-linked role and enable trusted access) and registers its
// delegated administrator ("Required permissions to assign a delegated
// administrator", CloudTrail User Guide). The first page's minimum policy
// lists organizations:ListAccounts and organizations:DescribeOrganization
// as well; the step, which never disables trusted access, needs all but
// organizations:DisableAWSServiceAccess.
func TestSpecGrantsWhatCloudTrailDocuments(t *testing.T) {
	for _, a := range []string{
		// Creating the organization trail.
		"iam:CreateServiceLinkedRole",
		"iam:GetRole",
		"organizations:EnableAWSServiceAccess",
		"organizations:ListAWSServiceAccessForOrganization",
		"organizations:ListAccounts",
		"organizations:DescribeOrganization",
		// Registering the delegated administrator.
		"cloudtrail:RegisterOrganizationDelegatedAdmin",
		"organizations:RegisterDelegatedAdministrator",
	} {
		if !slices.Contains(Spec.Actions, a) {
			t.Errorf("the org-trail step does not grant %s", a)
		}
	}
}

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
