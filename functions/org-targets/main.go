// Command org-targets is the step Lambda that resolves the regions and
// ACTIVE accounts a run covers.
package main

import (
	"github.com/orgbaseline/orgbaseline/shared/lambdamain"
	"github.com/orgbaseline/orgbaseline/shared/org/targets"
)

func main() { lambdamain.Run(targets.Step) }
