// Command guardduty-org is the step Lambda that configures GuardDuty from
// the delegated administrator in one region: its detector, the organization
// configuration and the existing accounts as members.
package main

import (
	"github.com/orgbaseline/orgbaseline/shared/guardduty"
	"github.com/orgbaseline/orgbaseline/shared/lambdamain"
)

func main() { lambdamain.Run(guardduty.OrgStep) }
