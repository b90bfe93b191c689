// Command securityhub-standards is the step Lambda that enables the
// configured Security Hub standards in one account, in every region of the
// run, under local configuration.
package main

import (
	"github.com/orgbaseline/orgbaseline/shared/lambdamain"
	"github.com/orgbaseline/orgbaseline/shared/securityhub"
)

func main() { lambdamain.Run(securityhub.StandardsStep) }
