// Package lambdamain is the main of every step Lambda: it loads the settings
// and the AWS configuration once per container, builds the step's handler and
// hands it to the Lambda runtime. functions/<step>/main.go calls Run and
// nothing else; the CLI's local Lambda runtime calls the same Run, so the
// local run and AWS go through the same code.
package lambdamain

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/logging"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// Deps is what a step's handler is built from.
type Deps struct {
	Settings settings.Config
	// AWS is the management account's configuration in the Lambda's region.
	AWS aws.Config
	// Accounts gives configurations for the other accounts.
	Accounts *awsclient.Accounts
	Log      *slog.Logger
}

// Builder builds a step's handler: a function lambda.Start accepts.
type Builder func(ctx context.Context, d Deps) (any, error)

// Setup loads everything a step needs from the environment.
func Setup(ctx context.Context, step workflow.StepSpec) (Deps, error) {
	log := logging.Default(step.Name)
	if got := os.Getenv(workflow.EnvStep); got != step.Name {
		return Deps{}, fmt.Errorf("%s is %q but this binary runs step %q", workflow.EnvStep, got, step.Name)
	}
	cfg, err := settings.FromEnv()
	if err != nil {
		return Deps{}, err
	}
	awsCfg, err := awsclient.Load(ctx)
	if err != nil {
		return Deps{}, err
	}
	return Deps{
		Settings: cfg,
		AWS:      awsCfg,
		Accounts: awsclient.NewAccounts(awsCfg, cfg.Accounts.Management, cfg.ExecutionRoleName, "orgbaseline-"+step.Name),
		Log:      log,
	}, nil
}

// Run builds the handler and starts the Lambda runtime. It does not return;
// a setup failure is logged and ends the process, which Lambda reports as an
// init error.
func Run(step workflow.StepSpec, build Builder) {
	ctx := context.Background()
	d, err := Setup(ctx, step)
	if err == nil {
		var h any
		if h, err = build(ctx, d); err == nil {
			lambda.Start(h)
			return
		}
	}
	logging.Default(step.Name).Error("init failed", "error", err.Error())
	os.Exit(1)
}

// Handle runs one invocation of a step: it checks the input, runs run, logs
// how it ended, and returns run's error as the named workflow error at the
// top level — a Go Lambda reports the error's type name, and the state
// machine's Retry and Catch match on it.
func Handle[R any](ctx context.Context, in workflow.Input, log *slog.Logger, run func(context.Context, *slog.Logger) (R, error)) (R, error) {
	var zero R
	if err := in.Validate(); err != nil {
		return zero, err
	}
	log = log.With("mode", string(in.Mode))
	res, err := run(ctx, log)
	if err != nil {
		err = workflow.Unwrapped(err)
		log.ErrorContext(ctx, "step failed", "error", err.Error())
		return zero, err
	}
	var attrs []any
	if s, ok := any(res).(interface{ LogAttrs() []any }); ok {
		attrs = s.LogAttrs()
	}
	log.InfoContext(ctx, "step done", attrs...)
	return res, nil
}
