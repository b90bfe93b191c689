// Command accessanalyzer-accounts is the step Lambda that puts an IAM Access
// Analyzer ACCOUNT analyzer in one account, in every region of the run.
package main

import (
	"github.com/orgbaseline/orgbaseline/shared/accessanalyzer"
	"github.com/orgbaseline/orgbaseline/shared/lambdamain"
)

func main() { lambdamain.Run(accessanalyzer.AccountsStep) }
