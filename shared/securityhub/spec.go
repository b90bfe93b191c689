package securityhub

import (
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// AdminSpec enables Security Hub in the management account and makes the
// security account the delegated administrator, in the home region alone
// and then in the other regions.
var AdminSpec = workflow.StepSpec{
	Name:        "securityhub-admin",
	State:       "SecurityHubAdmin",
	ResultKey:   "securityHubAdmin",
	Description: "orgbaseline: Security Hub in the management account and its delegated administrator, per region",
	Shape:       workflow.ShapeHomeThenOtherRegions,
	// Organizations-backed, as for GuardDuty's administrator.
	MaxConcurrency: 3,
}

// CentralPoll is how the state machine waits for Security Hub to apply
// central configuration and the policy's associations: 5 seconds between
// checks (a check is a few reads in one account and region), for at most
// 10 minutes.
var CentralPoll = workflow.Poll{IntervalSeconds: 5, MaxPolls: 120}

// CentralSpec sets central configuration from the delegated administrator
// in the home region: the finding aggregator, CENTRAL, the configuration
// policy and its associations, waited for (CentralPoll).
var CentralSpec = workflow.StepSpec{
	Name:           "securityhub-central",
	State:          "SecurityHubCentral",
	ResultKey:      "securityHubCentral",
	Description:    "orgbaseline: Security Hub central configuration (aggregator, configuration policy, associations) from the delegated administrator",
	Reach:          workflow.ReachSecurity,
	Shape:          workflow.ShapeHomeRegion,
	MaxConcurrency: 1,
	Poll:           &CentralPoll,
}

// AdminStep is the securityhub-admin step: AdminSpec with its handler; functions/securityhub-admin runs it.
var AdminStep = step.Define(AdminSpec, buildAdmin).WithGrants(AdminGrants)

// CentralStep is the securityhub-central step: CentralSpec with its handler; functions/securityhub-central runs it.
var CentralStep = step.Define(CentralSpec, buildCentral).WithGrants(CentralGrants)
