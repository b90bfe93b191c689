// Package access is the org-access step: an onboarding run waits, before
// any other step reaches the new account, until the execution role there
// can be assumed. A created account gets OrganizationAccountAccessRole from
// Organizations, and Control Tower sets up AWSControlTowerExecution, some
// time after the event that starts onboarding; an invited account has
// neither until someone creates it ("Accessing a member account that has a
// management account access role", AWS Organizations User Guide).
package access

import (
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// Poll is how the state machine waits: a check every 30 seconds, at most
// two hours (settings.Onboarding.RoleWaitMinutes, at most 120, ends the
// wait sooner).
var Poll = workflow.Poll{IntervalSeconds: 30, MaxPolls: 240, OnboardingOnly: true}

// Spec is the org-access step: in the home region, once, with the run's
// ACTIVE accounts; it reaches every account's execution role.
var Spec = workflow.StepSpec{
	Name:           "org-access",
	State:          "OrgAccess",
	ResultKey:      "orgAccess",
	Description:    "orgbaseline: an onboarding run waits until the new account's execution role can be assumed",
	Reach:          workflow.ReachOrganization,
	Shape:          workflow.ShapeHomeRegion,
	TakesAccounts:  true,
	MaxConcurrency: 1,
	Poll:           &Poll,
	// A row per account the run onboards, and onboarding runs name one
	// account: a small share of the state (workflow.StateBound).
	ResultLimit: 200,
}

// Step is the org-access step; functions/org-access runs it.
var Step = step.Define(Spec, build).WithGrants(Grants)
