// Command detective-accept is the step Lambda that accepts, in Detective's
// invitation mode, the security account's behavior graph invitation in one
// account, in every region of the run.
package main

import (
	"github.com/orgbaseline/orgbaseline/shared/detective"
	"github.com/orgbaseline/orgbaseline/shared/lambdamain"
)

func main() { lambdamain.Run(detective.AcceptStep) }
