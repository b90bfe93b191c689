// Command securityhub-central is the step Lambda that sets Security Hub's
// central configuration from the delegated administrator in the home region.
package main

import (
	"github.com/orgbaseline/orgbaseline/shared/lambdamain"
	"github.com/orgbaseline/orgbaseline/shared/securityhub"
)

func main() { lambdamain.Run(securityhub.CentralStep) }
