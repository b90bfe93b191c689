// Package lambdamain is the main of every Lambda: it loads the settings
// and the AWS configuration once per container, builds the handler and
// hands it to the Lambda runtime. functions/<step>/main.go calls Run and
// nothing else, and an event Lambda's main (registry.Events) RunEvent; the
// CLI's local Lambda runtime calls the same Run, so the local run and AWS go
// through the same code.
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

// RunEvent builds an event Lambda's handler and starts the Lambda runtime
// with it, as Run does for a step: EventBridge invokes the function
// asynchronously with one event, and an error the handler returns sends the
// event, after Lambda's retries, to the function's dead-letter queue.
func RunEvent(f EventFunction) {
	h, err := f.LambdaHandler(context.Background())
	if err == nil {
		lambda.Start(h)
		return
	}
	logging.Default(f.LambdaName()).Error("init failed", "error", err.Error())
	os.Exit(1)
}

// EventFunction is an event Lambda (an eventfn.Function): its name, and
// its handler, built from the environment. An interface, so that the step
// Lambdas, which link this package, do not link the event Lambdas' code.
type EventFunction interface {
	LambdaName() string
	LambdaHandler(ctx context.Context) (any, error)
}
