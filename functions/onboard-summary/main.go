// Command onboard-summary is the event Lambda of the rule on the
// onboarding runs that succeeded: it publishes the run's summary to the
// operations topic.
package main

import (
	"github.com/orgbaseline/orgbaseline/shared/eventfn"
	"github.com/orgbaseline/orgbaseline/shared/lambdamain"
)

func main() { lambdamain.RunEvent(eventfn.OnboardSummary) }
