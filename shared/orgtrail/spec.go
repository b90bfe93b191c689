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
	// The key in the security account, the bucket in the log-archive
	// account, and the member accounts' own trails (the preflight).
	Reach: workflow.ReachOrganization,
	// The run's ACTIVE accounts, for the preflight: the step does not list
	// the organization itself.
	TakesAccounts: true,
}

// Step is the org-trail step: Spec with its handler; functions/org-trail runs it.
var Step = step.Define(Spec, build).WithGrants(Grants)
