// Command orgbaseline applies and plans the AWS Organization security
// baseline, through the deployed state machine or locally. See README.md.
package main

import (
	"os"

	"github.com/orgbaseline/orgbaseline/shared/operator/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
