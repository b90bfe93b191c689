// Package lambdamain is the main of every step Lambda: it loads the settings
// and the AWS configuration once per container, builds the step's handler and
// hands it to the Lambda runtime. functions/<step>/main.go calls Run and
// nothing else; the CLI's local Lambda runtime calls the same Run, so the
// local run and AWS go through the same code.
//
// It is the only package of the project that imports the Lambda runtime.
package lambdamain

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/orgbaseline/orgbaseline/shared/logging"
	"github.com/orgbaseline/orgbaseline/shared/step"
)

// Run builds the step's handler and starts the Lambda runtime. It does not
// return; a setup failure is logged and ends the process, which Lambda
// reports as an init error.
func Run(s step.Step) {
	ctx := context.Background()
	d, err := step.Setup(ctx, s)
	if err == nil {
		lambda.Start(s.Handler(d))
		return
	}
	logging.Default(s.Spec.Name).Error("init failed", "error", err.Error())
	os.Exit(1)
}
