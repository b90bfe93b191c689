// Command org-prerequisites is the step Lambda that checks the organization
// and enables trusted access and delegated administrators.
package main

import (
	"github.com/orgbaseline/orgbaseline/shared/lambdamain"
	"github.com/orgbaseline/orgbaseline/shared/org/prereq"
)

func main() { lambdamain.Run(prereq.Step) }
