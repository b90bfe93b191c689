package targets

import (
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// Spec resolves the regions and accounts the run covers; the state
// machine fans out over its result.
var Spec = workflow.StepSpec{
	Name:        "org-targets",
	State:       "OrgTargets",
	ResultKey:   "orgTargets",
	Description: "orgbaseline: the regions and ACTIVE accounts a run covers",
}

// Step is the org-targets step: Spec with its handler; functions/org-targets runs it.
var Step = step.Define(Spec, build).WithGrants(Grants)
