// Command detective-org is the step Lambda that configures the organization
// behavior graph from Detective's administrator in one region: new accounts
// enabled automatically, the existing accounts as members.
package main

import (
	"github.com/orgbaseline/orgbaseline/shared/detective"
	"github.com/orgbaseline/orgbaseline/shared/lambdamain"
)

func main() { lambdamain.Run(detective.OrgStep) }
