// Command org-trail is the step Lambda that creates or converges the
// organization trail.
package main

import (
	"github.com/orgbaseline/orgbaseline/shared/lambdamain"
	"github.com/orgbaseline/orgbaseline/shared/orgtrail"
)

func main() { lambdamain.Run(orgtrail.Step) }
