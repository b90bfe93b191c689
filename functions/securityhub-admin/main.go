// Command securityhub-admin is the step Lambda that enables Security Hub in
// the management account and makes the security account its delegated
// administrator, in one region.
package main

import (
	"github.com/orgbaseline/orgbaseline/shared/lambdamain"
	"github.com/orgbaseline/orgbaseline/shared/securityhub"
)

func main() { lambdamain.Run(securityhub.AdminStep) }
