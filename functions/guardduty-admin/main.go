// Command guardduty-admin is the step Lambda that makes the security account
// GuardDuty's delegated administrator in one region.
package main

import (
	"github.com/orgbaseline/orgbaseline/shared/guardduty"
	"github.com/orgbaseline/orgbaseline/shared/lambdamain"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

func main() { lambdamain.Run(workflow.StepGuardDutyAdmin, guardduty.BuildAdmin) }
