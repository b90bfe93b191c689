// Command notify-findings is the event Lambda of the finding rules: it
// publishes each GuardDuty, Security Hub or AWS Health event to the findings
// topic.
package main

import (
	"github.com/orgbaseline/orgbaseline/shared/eventfn"
	"github.com/orgbaseline/orgbaseline/shared/lambdamain"
)

func main() { lambdamain.RunEvent(eventfn.NotifyFindings) }
