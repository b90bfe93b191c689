package prereq

import (
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// Spec checks the organization and enables trusted access and
// delegated administrators.
var Spec = workflow.StepSpec{
	Name:        "org-prerequisites",
	State:       "OrgPrerequisites",
	ResultKey:   "orgPrerequisites",
	Description: "orgbaseline: organization prerequisites (all features, trusted access, delegated administrators)",
}

// Step is the org-prerequisites step: Spec with its handler and grants; functions/org-prerequisites runs it.
var Step = step.Define(Spec, build).WithGrants(Grants)
