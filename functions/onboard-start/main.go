// Command onboard-start is the event Lambda of the onboarding rules: it
// starts the baseline state machine for the account or region an event
// announces.
package main

import (
	"github.com/orgbaseline/orgbaseline/shared/eventfn"
	"github.com/orgbaseline/orgbaseline/shared/lambdamain"
)

func main() { lambdamain.RunEvent(eventfn.OnboardStart) }
