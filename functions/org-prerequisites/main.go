// Command org-prerequisites is the step Lambda that checks the organization
// and enables trusted access and delegated administrators.
package main

import (
	"github.com/orgbaseline/orgbaseline/shared/lambdamain"
	"github.com/orgbaseline/orgbaseline/shared/org/prereq"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

func main() { lambdamain.Run(workflow.StepOrgPrerequisites, prereq.Build) }
