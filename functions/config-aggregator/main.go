// Command config-aggregator is the step Lambda that creates or converges
// AWS Config's organization aggregator in the security account's home
// region.
package main

import (
	"github.com/orgbaseline/orgbaseline/shared/configsvc"
	"github.com/orgbaseline/orgbaseline/shared/lambdamain"
)

func main() { lambdamain.Run(configsvc.AggregatorStep) }
