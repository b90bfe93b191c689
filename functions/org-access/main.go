// Command org-access is the org-access step Lambda.
package main

import (
	"github.com/orgbaseline/orgbaseline/shared/lambdamain"
	"github.com/orgbaseline/orgbaseline/shared/org/access"
)

func main() { lambdamain.Run(access.Step) }
