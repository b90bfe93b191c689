// Command org-targets is the step Lambda that resolves the regions and
// ACTIVE accounts a run covers.
package main

import (
	"github.com/orgbaseline/orgbaseline/shared/lambdamain"
	"github.com/orgbaseline/orgbaseline/shared/org/targets"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

func main() { lambdamain.Run(workflow.StepOrgTargets, targets.Build) }
