// Command config-recorders is the step Lambda that sets up AWS Config in one
// account and region: the service-linked role, the recorder, the delivery
// channel to the log-archive bucket and recording.
package main

import (
	"github.com/orgbaseline/orgbaseline/shared/configsvc"
	"github.com/orgbaseline/orgbaseline/shared/lambdamain"
)

func main() { lambdamain.Run(configsvc.RecordersStep) }
