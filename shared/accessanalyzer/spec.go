package accessanalyzer

import (
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// OrgSpec puts the organization's analyzers in the security account, the
// delegated administrator, one region per invocation.
var OrgSpec = workflow.StepSpec{
	Name:        "accessanalyzer-org",
	State:       "AccessAnalyzerOrg",
	ResultKey:   "accessAnalyzerOrg",
	Description: "orgbaseline: IAM Access Analyzer organization analyzers in the security account, per region",
	Reach:       workflow.ReachSecurity,
	Shape:       workflow.ShapeEachRegion,
	// Two or three calls per region, all to the one administrator
	// account; IAM Access Analyzer's request quotas are per account and
	// region, so every region may go at once.
	MaxConcurrency: 40,
	// The accounts the scope excludes (Item.Excluded) are the
	// unused-access analyzer's excluded accounts.
	TakesAccounts: true,
}

// AccountsSpec puts an ACCOUNT analyzer in one account, in every region of
// the run. In the management account the step works with its own role;
// elsewhere through the execution role.
var AccountsSpec = workflow.StepSpec{
	Name:        "accessanalyzer-accounts",
	State:       "AccessAnalyzerAccounts",
	ResultKey:   "accessAnalyzerAccounts",
	Description: "orgbaseline: IAM Access Analyzer account analyzers, per account, in every region",
	Reach:       workflow.ReachOrganization,
	Shape:       workflow.ShapeEachAccount,
	// One read per region on a re-run; accounts in parallel as for the
	// Config recorders (the management account's Lambda concurrency and
	// STS, one AssumeRole per account, bound the fan-out). An account's
	// regions all at once: one or two calls each, every region its own
	// endpoint and request quota.
	MaxConcurrency:    8,
	RegionConcurrency: 17,
}

// OrgStep is the accessanalyzer-org step: OrgSpec with its handler; functions/accessanalyzer-org runs it.
var OrgStep = step.Define(OrgSpec, buildOrg).WithGrants(OrgGrants)

// AccountsStep is the accessanalyzer-accounts step: AccountsSpec with its handler; functions/accessanalyzer-accounts runs it.
// The state machine runs it only with accountAnalyzers on (the default).
var AccountsStep = step.Define(AccountsSpec, buildAccounts).WithGrants(AccountsGrants).WhenNeeded(accountAnalyzers)

// accountAnalyzers reports whether c has IAM Access Analyzer on with an
// ACCOUNT analyzer in every account.
func accountAnalyzers(c settings.Config) bool {
	return c.Enabled(settings.ServiceAccessAnalyzer) && c.Services.AccessAnalyzer.WantsAccountAnalyzers()
}
