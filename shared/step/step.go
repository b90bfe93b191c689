// Package step is the contract between a step's logic and the Lambda that
// runs it: what a handler is built from (Deps), a step as its spec with a
// typed handler builder (Step, Define), and the wrapper every invocation
// goes through (Handle).
//
// It does not import the Lambda runtime: the service packages, the registry
// and the CDK app link it without aws-lambda-go. Package lambdamain starts
// the runtime with a Step.
package step

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

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
	// Accounts gives configurations for the other accounts;
	// AccountsOptions are the options it was made with (the session
	// policy), for code that makes another one from AWS.
	Accounts        *awsclient.Accounts
	AccountsOptions []awsclient.AccountsOption
	Log             *slog.Logger
}

// Handler is the function one invocation of a step runs: the state
// machine's payload in, the step's result out. The Lambda runtime decodes
// In from JSON and encodes Out.
type Handler[In, Out any] func(ctx context.Context, in In) (Out, error)

// Step is one step Lambda: its spec (what infra deploys and the state
// machine calls) and how its handler is built.
type Step struct {
	Spec   workflow.StepSpec
	build  func(Deps) any
	grants GrantsFunc
	needed func(settings.Config) bool
}

// WhenNeeded returns s that the state machine runs only for a
// configuration needed accepts: an option's own step (Detective's
// invitation mode, Security Hub's local configuration), which would
// otherwise fan out over every account to report that the option is off.
func (s Step) WhenNeeded(needed func(settings.Config) bool) Step {
	s.needed = needed
	return s
}

// Needed reports whether the state machine runs s for c: always, unless
// WhenNeeded says otherwise.
func (s Step) Needed(c settings.Config) bool { return s.needed == nil || s.needed(c) }

// Define makes a Step of spec and build. The handler's signature is
// checked by the compiler here, not when the Lambda starts.
//
// Every result is bounded (workflow.StepResult.Bound, at the spec's
// ResultBytes) before it leaves the handler, so that no organization is too
// large for the state machine's payload limit; the rows folded into summary
// rows are logged one by one.
func Define[In, Out any](spec workflow.StepSpec, build func(Deps) Handler[In, Out]) Step {
	return Step{Spec: spec, build: func(d Deps) any { return bounded(spec, d.Log, build(d)) }}
}

// bounder is a step result that can be bounded: workflow.StepResult, or a
// result that embeds it.
type bounder interface {
	Bound(limit int) []workflow.Outcome
}

// DeadlineMargin is the time a step keeps before its Lambda's deadline.
// A Lambda that runs out of time ends in Sandbox.Timedout, which no Retry
// of the state machine matches; a step whose calls are still being retried
// when the margin begins stops and returns a RetryableError instead, and
// the state machine's back-off takes over.
const DeadlineMargin = 10 * time.Second

// bounded wraps h: the handler runs under a deadline DeadlineMargin before
// the invocation's own, an error met past it is a RetryableError, and the
// result is bounded at spec.ResultBytes.
func bounded[In, Out any](spec workflow.StepSpec, log *slog.Logger, h Handler[In, Out]) Handler[In, Out] {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(ctx context.Context, in In) (Out, error) {
		inner, cancel := beforeDeadline(ctx)
		defer cancel()
		out, err := h(inner, in)
		if err != nil {
			return out, outOfTime(inner, err)
		}
		if b, ok := any(&out).(bounder); ok {
			folded := b.Bound(spec.ResultBytes())
			for _, o := range folded {
				log.InfoContext(ctx, "outcome", "account", o.Account, "region", o.Region, "service", o.Service,
					"status", string(o.Status), "reason", o.Reason, "actions", len(o.Actions))
			}
			if len(folded) > 0 {
				log.InfoContext(ctx, "result bounded", "folded", len(folded), "limit", spec.ResultBytes())
			}
		}
		return out, nil
	}
}

// Handler builds the step's handler from d: a Handler[In, Out] of the
// types Define was given, in the form the Lambda runtime's Start takes.
func (s Step) Handler(d Deps) any {
	if s.build == nil {
		panic(fmt.Sprintf("step %q was not made with step.Define", s.Spec.Name))
	}
	return s.build(d)
}

// beforeDeadline returns ctx with a deadline DeadlineMargin before ctx's
// (the Lambda's), or ctx as it is when it has none.
func beforeDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, d.Add(-DeadlineMargin))
	}
	return context.WithCancel(ctx)
}

// outOfTime makes err, met once ctx's deadline has passed, a RetryableError:
// the work was cut short by time, not refused. A conflict, and an error
// already retried by the state machine, stay as they are.
func outOfTime(ctx context.Context, err error) error {
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return err
	}
	var (
		again    *workflow.RetryableError
		notReady *workflow.NotReadyError
		conflict *workflow.ConflictError
	)
	if errors.As(err, &again) || errors.As(err, &notReady) || errors.As(err, &conflict) {
		return err
	}
	return &workflow.RetryableError{Op: "finish before the Lambda's deadline (" + DeadlineMargin.String() + " kept)", Err: err}
}

// Setup loads everything a step needs from the environment: the settings,
// the AWS configuration, the cross-account sessions and the logger. It
// refuses to run when the environment names another step, so a Lambda
// wired to the wrong binary fails at init.
//
// Every session in another account carries the step's session policy (its
// grants there, Grants.SessionPolicy): the execution role is typically an
// administrator of its account, the session may do only the step's own
// calls. Every call names the step in its User-Agent (aws.Config.AppID),
// which CloudTrail records.
func Setup(ctx context.Context, s Step) (Deps, error) {
	spec := s.Spec
	log := logging.Default(spec.Name)
	if got := os.Getenv(workflow.EnvStep); got != spec.Name {
		return Deps{}, fmt.Errorf("%s is %q but this binary runs step %q", workflow.EnvStep, got, spec.Name)
	}
	cfg, err := settings.FromEnv()
	if err != nil {
		return Deps{}, err
	}
	awsCfg, err := awsclient.Load(ctx)
	if err != nil {
		return Deps{}, err
	}
	awsCfg.AppID = AppID(spec)
	var opts []awsclient.AccountsOption
	if g, ok := s.Grants(cfg); ok {
		opts = append(opts, awsclient.WithSessionPolicy(func(account string) string { return g.SessionPolicy(cfg, account) }))
	}
	return Deps{
		Settings:        cfg,
		AWS:             awsCfg,
		Accounts:        awsclient.NewAccounts(awsCfg, cfg.Accounts.Management, cfg.ExecutionRoleName, SessionName(spec), opts...),
		AccountsOptions: opts,
		Log:             log,
	}, nil
}

// AppID is the application ID the step's calls carry in their User-Agent.
func AppID(spec workflow.StepSpec) string { return "orgbaseline-" + spec.Name }

// SessionName names the step's sessions in other accounts, in CloudTrail.
func SessionName(spec workflow.StepSpec) string { return "orgbaseline-" + spec.Name }

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
