package securityhub

import (
	"github.com/orgbaseline/orgbaseline/shared/settings"
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

// LocalSpec keeps local configuration from the delegated administrator,
// one region per invocation: the organization configuration (new accounts
// join by themselves) and the run's accounts as members. Under central
// configuration its rows are skipped.
var LocalSpec = workflow.StepSpec{
	Name:          "securityhub-local",
	State:         "SecurityHubLocal",
	ResultKey:     "securityHubLocal",
	Description:   "orgbaseline: Security Hub local configuration (organization configuration, members) from the delegated administrator, per region",
	Reach:         workflow.ReachSecurity,
	Shape:         workflow.ShapeEachRegion,
	TakesAccounts: true,
	// Per region two reads and at most a few writes, all to the one
	// administrator account; a few regions at a time, as for GuardDuty's
	// and Detective's members.
	MaxConcurrency: 5,
	// A region's result is one row (two actions), or a short failure, and
	// the accounts CreateMembers left out folded into a counted row: 600
	// bytes, so that the state keeps a result per region at 17 regions
	// and 5,000 accounts (workflow.StateBound).
	ResultLimit: 600,
}

// StandardsSpec enables the configured standards in one account, in every
// region of the run, under local configuration. In the management account
// the step works with its own role; elsewhere through the execution role.
var StandardsSpec = workflow.StepSpec{
	Name:        "securityhub-standards",
	State:       "SecurityHubStandards",
	ResultKey:   "securityHubStandards",
	Description: "orgbaseline: Security Hub standards under local configuration, per account, in every region",
	Reach:       workflow.ReachOrganization,
	Shape:       workflow.ShapeEachAccount,
	// Two reads per region on a re-run; accounts in parallel as for the
	// account analyzers. An account's regions all at once: each region is
	// its own endpoint and its own BatchEnableStandards quota (1 request
	// per second per account and region), which the step calls once.
	MaxConcurrency:    8,
	RegionConcurrency: 17,
}

// AdminStep is the securityhub-admin step: AdminSpec with its handler; functions/securityhub-admin runs it.
var AdminStep = step.Define(AdminSpec, buildAdmin).WithGrants(AdminGrants)

// CentralStep is the securityhub-central step: CentralSpec with its handler; functions/securityhub-central runs it.
var CentralStep = step.Define(CentralSpec, buildCentral).WithGrants(CentralGrants)

// LocalStep is the securityhub-local step: LocalSpec with its handler; functions/securityhub-local runs it.
// The state machine runs it only under local configuration.
var LocalStep = step.Define(LocalSpec, buildLocal).WithGrants(LocalGrants).WhenNeeded(localConfiguration)

// StandardsStep is the securityhub-standards step: StandardsSpec with its handler; functions/securityhub-standards runs it.
// The state machine runs it only under local configuration.
var StandardsStep = step.Define(StandardsSpec, buildStandards).WithGrants(StandardsGrants).WhenNeeded(localConfiguration)

// localConfiguration reports whether c has Security Hub on under local
// configuration.
func localConfiguration(c settings.Config) bool {
	return c.Enabled(settings.ServiceSecurityHub) && c.Services.SecurityHub.Configuration == settings.SecurityHubLocal
}
