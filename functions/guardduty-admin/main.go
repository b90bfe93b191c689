// Command guardduty-admin is the step Lambda that makes the security account
// GuardDuty's delegated administrator in one region.
package main

import (
	"github.com/orgbaseline/orgbaseline/shared/guardduty"
	"github.com/orgbaseline/orgbaseline/shared/lambdamain"
)

func main() { lambdamain.Run(guardduty.AdminStep) }
