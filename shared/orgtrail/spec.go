package orgtrail

import (
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// Spec creates or converges the organization trail.
var Spec = workflow.StepSpec{
	Name:        "org-trail",
	State:       "OrgTrail",
	ResultKey:   "orgTrail",
	Description: "orgbaseline: organization CloudTrail trail (log-archive bucket, security-account key, CloudWatch Logs)",
	Actions: []string{
		// The trail, from the management account in the home region.
		"cloudtrail:DescribeTrails",
		"cloudtrail:GetTrailStatus",
		"cloudtrail:CreateTrail",
		"cloudtrail:UpdateTrail",
		"cloudtrail:StartLogging",
		"cloudtrail:GetEventSelectors",
		"cloudtrail:PutEventSelectors",
		"cloudtrail:GetInsightSelectors",
		"cloudtrail:PutInsightSelectors",
		"cloudtrail:RegisterOrganizationDelegatedAdmin",
		// What CloudTrail calls in Organizations when it registers the
		// delegated administrator ("Required permissions to assign a
		// delegated administrator", CloudTrail User Guide).
		"organizations:RegisterDelegatedAdministrator",
		// What CloudTrail itself checks and creates for an organization
		// trail: the caller needs the permissions "to create the
		// service-linked role and enable trusted access", whose minimum
		// policy lists organizations:ListAccounts too ("Prepare for
		// creating a trail for your organization", CloudTrail User Guide).
		// The step itself lists no accounts: the state machine passes the
		// run's accounts (TakesAccounts).
		"organizations:EnableAWSServiceAccess",
		"organizations:DescribeOrganization",
		"organizations:ListAccounts",
		"organizations:ListAWSServiceAccessForOrganization",
		// The delegated administrators, read by the step (planAdmin).
		"organizations:ListDelegatedAdministrators",
		"iam:GetRole",
		"iam:CreateServiceLinkedRole",
		// Handing the CloudWatch Logs delivery role to CloudTrail (unneeded
		// when the trail is managed from the security account: see
		// baseline.UnneededActions).
		"iam:PassRole",
	},
	// The key in the security account, the bucket in the log-archive
	// account, and the member accounts' own trails (the preflight).
	Reach: workflow.ReachOrganization,
	// The run's ACTIVE accounts, for the preflight: the step does not list
	// the organization itself.
	TakesAccounts: true,
}

// Step is the org-trail step: Spec with its handler; functions/org-trail runs it.
var Step = step.Define(Spec, build)
