package guardduty

import (
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// AdminSpec makes the security account GuardDuty's delegated
// administrator, in the home region alone and then in the other regions.
var AdminSpec = workflow.StepSpec{
	Name:        "guardduty-admin",
	State:       "GuardDutyAdmin",
	ResultKey:   "guardDutyAdmin",
	Description: "orgbaseline: GuardDuty delegated administrator, per region",
	Shape:       workflow.ShapeHomeThenOtherRegions,
	// Organizations-backed and known to fail when many regions go at once.
	MaxConcurrency: 3,
}

// OrgSpec configures GuardDuty from the delegated administrator in
// each region: its detector, the organization configuration (auto-enable
// and protection plans) and the run's accounts as members. The work in
// the security account is done through the execution role. The run's
// ACTIVE accounts come from the state machine (TakesAccounts); from the
// management account the step only reads the e-mail address of each
// account it adds as a member: one by one, or by listing the organization
// when that takes fewer calls (many accounts to add).
var OrgSpec = workflow.StepSpec{
	Name:          "guardduty-org",
	State:         "GuardDutyOrg",
	ResultKey:     "guardDutyOrg",
	Description:   "orgbaseline: GuardDuty detector, organization configuration and members, per region, from the delegated administrator",
	Reach:         workflow.ReachSecurity,
	Shape:         workflow.ShapeEachRegion,
	TakesAccounts: true,
	// Per region the calls go to one administrator account; a few regions
	// at a time keep GuardDuty's per-account request rates in reach.
	MaxConcurrency: 5,
}

// AdminStep is the guardduty-admin step: AdminSpec with its handler; functions/guardduty-admin runs it.
var AdminStep = step.Define(AdminSpec, buildAdmin).WithGrants(AdminGrants)

// OrgStep is the guardduty-org step: OrgSpec with its handler; functions/guardduty-org runs it.
var OrgStep = step.Define(OrgSpec, buildOrg).WithGrants(OrgGrants)
