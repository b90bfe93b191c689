// Package eventfn is the contract of the event Lambdas: the functions
// EventBridge invokes with one event, beside the steps the state machine
// calls. Each is a name (its functions/<name> folder), a description and a
// setup that builds its handler from the environment the CDK stacks give
// it (the variables named here). functions/<name>/main.go passes its
// Function to lambdamain.RunEvent; registry.Events lists them.
//
// A handler returns an error for a malformed event, so that Lambda's
// asynchronous invocation ends it in the function's dead-letter queue, and
// nil for an event that starts or publishes nothing.
package eventfn

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/logging"
	"github.com/orgbaseline/orgbaseline/shared/notify"
	"github.com/orgbaseline/orgbaseline/shared/onboard"
	"github.com/orgbaseline/orgbaseline/shared/report"
	"github.com/orgbaseline/orgbaseline/shared/settings"
)

// Environment variables of the event Lambdas.
const (
	// EnvStateMachineARN is the baseline state machine onboard-start
	// starts.
	EnvStateMachineARN = "ORGBASELINE_STATE_MACHINE_ARN"
	// EnvOperationsTopicARN is the operations topic onboard-summary
	// publishes to.
	EnvOperationsTopicARN = "ORGBASELINE_OPERATIONS_TOPIC_ARN"
	// EnvTopicARN is the findings topic notify-findings publishes to.
	EnvTopicARN = "ORGBASELINE_TOPIC_ARN"
)

// Handler handles one EventBridge event; what it returns is logged by the
// Lambda runtime's caller only (an asynchronous invocation has no caller to
// read it).
type Handler func(ctx context.Context, event json.RawMessage) (any, error)

// Deps are what a Function's setup is given.
type Deps struct {
	AWS aws.Config
	Log *slog.Logger
}

// Function is one event Lambda.
type Function struct {
	// Name is the functions/<Name> folder and the name in logs.
	Name        string
	Description string
	// Env are the variables the function needs; settings.EnvVar among
	// them if it reads the settings.
	Env   []string
	setup func(d Deps) (Handler, error)
}

// Setup loads the AWS configuration and builds the handler. It fails when
// a variable of Env is missing.
func (f Function) Setup(ctx context.Context) (Handler, error) {
	for _, v := range f.Env {
		if os.Getenv(v) == "" {
			return nil, fmt.Errorf("%s: %s is not set", f.Name, v)
		}
	}
	cfg, err := awsclient.Load(ctx)
	if err != nil {
		return nil, err
	}
	cfg.AppID = "orgbaseline-" + f.Name
	return f.Build(Deps{AWS: cfg, Log: logging.Default(f.Name)})
}

// LambdaName is the function's name (lambdamain.EventFunction).
func (f Function) LambdaName() string { return f.Name }

// LambdaHandler is Setup's handler (lambdamain.EventFunction).
func (f Function) LambdaHandler(ctx context.Context) (any, error) { return f.Setup(ctx) }

// Build builds the handler from d and the environment.
func (f Function) Build(d Deps) (Handler, error) {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return f.setup(d)
}

// OnboardStart is the onboard-start Lambda: the onboarding rules' target,
// which starts the onboarding run an event asks for (onboard.Starter).
var OnboardStart = Function{
	Name:        "onboard-start",
	Description: "orgbaseline: starts the baseline state machine for the account or region an onboarding event announces",
	Env:         []string{EnvStateMachineARN, settings.EnvVar},
	setup: func(d Deps) (Handler, error) {
		cfg, err := settings.FromEnv()
		if err != nil {
			return nil, err
		}
		s := onboard.Starter{
			SFN:             sfn.NewFromConfig(d.AWS),
			StateMachineARN: os.Getenv(EnvStateMachineARN),
			Settings:        cfg,
			Log:             d.Log,
		}
		return logged(d.Log, s.Start), nil
	},
}

// NotifyFindings is the notify-findings Lambda: the finding rules' target,
// which publishes each finding to the findings topic (notify.Publisher).
var NotifyFindings = Function{
	Name:        "notify-findings",
	Description: "orgbaseline: publishes GuardDuty, Security Hub and AWS Health events to the findings topic",
	Env:         []string{EnvTopicARN},
	setup: func(d Deps) (Handler, error) {
		p := notify.Publisher{SNS: sns.NewFromConfig(d.AWS), TopicARN: os.Getenv(EnvTopicARN), Log: d.Log}
		return logged(d.Log, p.Handle), nil
	},
}

// OnboardSummary is the onboard-summary Lambda: the target of the rule on
// the onboarding runs that succeeded, which publishes the run's summary
// to the operations topic (onboard.Summarizer): the counts by service and
// the rows that failed, from the run's report.
var OnboardSummary = Function{
	Name:        "onboard-summary",
	Description: "orgbaseline: publishes the summary of an onboarding run that succeeded to the operations topic",
	Env:         []string{EnvOperationsTopicARN},
	setup: func(d Deps) (Handler, error) {
		objects := s3.NewFromConfig(d.AWS)
		s := onboard.Summarizer{
			SFN:      sfn.NewFromConfig(d.AWS),
			Fetch:    report.FetchWith(objects),
			SNS:      sns.NewFromConfig(d.AWS),
			TopicARN: os.Getenv(EnvOperationsTopicARN),
			Log:      d.Log,
		}
		return logged(d.Log, s.Handle), nil
	},
}

// logged is handle as a Handler that logs the error it returns: the
// caller of an asynchronous invocation reads nothing.
func logged[R any](log *slog.Logger, handle func(context.Context, json.RawMessage) (R, error)) Handler {
	return func(ctx context.Context, event json.RawMessage) (any, error) {
		out, err := handle(ctx, event)
		if err != nil {
			log.ErrorContext(ctx, "event not handled", "error", err.Error())
			return nil, err
		}
		return out, nil
	}
}
