// Command config-rules is the step Lambda that puts AWS Config's
// organization rules and conformance packs from the delegated administrator
// in one region, and follows their deployment to the member accounts.
package main

import (
	"github.com/orgbaseline/orgbaseline/shared/configsvc"
	"github.com/orgbaseline/orgbaseline/shared/lambdamain"
)

func main() { lambdamain.Run(configsvc.RulesStep) }
