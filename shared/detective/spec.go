package detective

import (
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// AdminSpec makes the security account Detective's administrator for the
// organization, in the home region alone and then in the other regions, as
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

// AdminStep is the detective-admin step: AdminSpec with its handler; functions/detective-admin runs it.
var AdminStep = step.Define(AdminSpec, buildAdmin).WithGrants(AdminGrants)

// OrgStep is the detective-org step: OrgSpec with its handler; functions/detective-org runs it.
var OrgStep = step.Define(OrgSpec, buildOrg).WithGrants(OrgGrants)
