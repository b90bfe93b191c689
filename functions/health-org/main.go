// Command health-org is the step Lambda that switches on the AWS Health
// organizational view and registers its delegated administrator.
package main

import (
	"github.com/orgbaseline/orgbaseline/shared/health"
	"github.com/orgbaseline/orgbaseline/shared/lambdamain"
)

func main() { lambdamain.Run(health.Step) }
