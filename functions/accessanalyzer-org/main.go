// Command accessanalyzer-org is the step Lambda that puts the organization's
// IAM Access Analyzer analyzers in the security account, in one region.
package main

import (
	"github.com/orgbaseline/orgbaseline/shared/accessanalyzer"
	"github.com/orgbaseline/orgbaseline/shared/lambdamain"
)

func main() { lambdamain.Run(accessanalyzer.OrgStep) }
