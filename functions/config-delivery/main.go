// Command config-delivery is the step Lambda that keeps the AWS Config
// delivery bucket's and key's policies admitting every ACTIVE account of the
// organization.
package main

import (
	"github.com/orgbaseline/orgbaseline/shared/configsvc"
	"github.com/orgbaseline/orgbaseline/shared/lambdamain"
)

func main() { lambdamain.Run(configsvc.DeliveryStep) }
