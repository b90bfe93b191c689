package detective

import (
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// AdminSpec makes the security account Detective's administrator for the
// organization (in invitation mode: enables Detective in the security
// account with its own behavior graph), in the home region alone and then in the other regions, as
// for GuardDuty: "The Detective administrator account for an organization
// must be the same in all Regions" (EnableOrganizationAdminAccount). It
// reads the security account's GuardDuty detector first (Reach), for
// Detective's 48 hours.
var AdminSpec = workflow.StepSpec{
	Name:           "detective-admin",
	State:          "DetectiveAdmin",
	ResultKey:      "detectiveAdmin",
	Description:    "orgbaseline: Detective administrator for the organization, per region",
	Reach:          workflow.ReachSecurity,
	Shape:          workflow.ShapeHomeThenOtherRegions,
	MaxConcurrency: 3,
}

// OrgSpec configures the organization behavior graph from the Detective
// administrator in each region: new accounts enabled automatically, the
// run's accounts as members. The accounts' e-mail addresses are read from
// the management account.
var OrgSpec = workflow.StepSpec{
	Name:          "detective-org",
	State:         "DetectiveOrg",
	ResultKey:     "detectiveOrg",
	Description:   "orgbaseline: Detective organization configuration and members, per region, from the administrator",
	Reach:         workflow.ReachSecurity,
	Shape:         workflow.ShapeEachRegion,
	TakesAccounts: true,
	// Per region the calls go to one administrator account.
	MaxConcurrency: 5,
}

// AcceptSpec accepts, in invitation mode, the security account's
// invitation in every other account of the run, in every region: in the
// management account with the step's own role, elsewhere through the
// execution role. In organization mode it only reports that there is
// nothing to accept.
var AcceptSpec = workflow.StepSpec{
	Name:        "detective-accept",
	State:       "DetectiveAccept",
	ResultKey:   "detectiveAccept",
	Description: "orgbaseline: Detective invitations accepted in each account, in every region (invitation mode)",
	Reach:       workflow.ReachOrganization,
	Shape:       workflow.ShapeEachAccount,
	// One read per region on a re-run, as accessanalyzer-accounts: accounts
	// in parallel as far as the management account's Lambda concurrency
	// and STS (one AssumeRole per account) allow, an account's regions all
	// at once (Detective's request quotas are per account and region).
	MaxConcurrency:    8,
	RegionConcurrency: 17,
}

// AdminStep is the detective-admin step: AdminSpec with its handler; functions/detective-admin runs it.
var AdminStep = step.Define(AdminSpec, buildAdmin).WithGrants(AdminGrants)

// OrgStep is the detective-org step: OrgSpec with its handler; functions/detective-org runs it.
var OrgStep = step.Define(OrgSpec, buildOrg).WithGrants(OrgGrants)

// AcceptStep is the detective-accept step: AcceptSpec with its handler; functions/detective-accept runs it.
// The state machine runs it only in invitation mode.
var AcceptStep = step.Define(AcceptSpec, buildAccept).WithGrants(AcceptGrants).WhenNeeded(invitationMode)

// invitationMode reports whether c has Detective on in invitation mode.
func invitationMode(c settings.Config) bool {
	return c.Enabled(settings.ServiceDetective) && c.Services.Detective.Mode == settings.DetectiveInvitation
}
