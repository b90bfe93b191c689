// Command detective-admin is the step Lambda that makes the security account
// Detective's administrator for the organization in one region.
package main

import (
	"github.com/orgbaseline/orgbaseline/shared/detective"
	"github.com/orgbaseline/orgbaseline/shared/lambdamain"
)

func main() { lambdamain.Run(detective.AdminStep) }
