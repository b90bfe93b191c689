// Command securityhub-local is the step Lambda that keeps Security Hub's
// local configuration from the delegated administrator, per region: the
// organization configuration and the run's accounts as members.
package main

import (
	"github.com/orgbaseline/orgbaseline/shared/lambdamain"
	"github.com/orgbaseline/orgbaseline/shared/securityhub"
)

func main() { lambdamain.Run(securityhub.LocalStep) }
