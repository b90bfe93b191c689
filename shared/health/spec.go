package health

import (
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// Spec switches on the AWS Health organizational view from the management
// account and, with delegatedAdmin (the default), registers the security
// account as Health's delegated administrator. Health's API is global: one
// call for the organization, whatever its size.
var Spec = workflow.StepSpec{
	Name:        "health-org",
	State:       "HealthOrg",
	ResultKey:   "healthOrg",
	Description: "orgbaseline: AWS Health organizational view and its delegated administrator",
}

// Step is the health-org step: Spec with its handler and grants; functions/health-org runs it.
var Step = step.Define(Spec, build).WithGrants(Grants)
