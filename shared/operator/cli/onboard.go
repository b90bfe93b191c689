package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/orgbaseline/orgbaseline/shared/eventbus"
	"github.com/orgbaseline/orgbaseline/shared/onboard"
	"github.com/orgbaseline/orgbaseline/shared/report"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// onboardOptions are the onboard command's flags.
type onboardOptions struct {
	applyOptions
	account, eventFile string
}

// onboardFlags is the onboard command's flag set and the options it fills.
func onboardFlags(env Env) (*flag.FlagSet, *onboardOptions) {
	o := &onboardOptions{}
	fs := newFlagSet("onboard", env)
	fs.StringVar(&o.account, "account", "", "onboard this account `ID` in every enabled region")
	fs.StringVar(&o.eventFile, "event", "", "onboard what this EventBridge event `file` announces (CreateAccountResult, AcceptHandshake, AccountJoinedOrganization, Control Tower's CreateManagedAccount/UpdateManagedAccount, Region Opt-In Status Change)")
	fs.BoolVar(&o.plan, "plan", false, "report what would change; change nothing")
	fs.BoolVar(&o.local, "local", false, "run the synthesized state machine on this machine, against the endpoint the AWS SDK resolves (AWS_ENDPOINT_URL)")
	fs.StringVar(&o.configPath, "config", defaultConfigFile, "configuration `file`")
	fs.StringVar(&o.output, "output", "table", "report format: table or json")
	fs.BoolVar(&o.details, "details", false, detailsUsage)
	addLocalFlags(fs, &o.applyOptions)
	addDeployedFlags(fs, &o.applyOptions)
	return fs, o
}

// onboardCmd runs the onboarding path by hand: the run an event (--event,
// as EventBridge delivers it) or an account (--account) starts, through
// the same onboard.Starter the onboard-start Lambda uses: the same input,
// the same execution name, so that an event already onboarded starts
// nothing.
func onboardCmd(ctx context.Context, args []string, env Env) int {
	fs, op := onboardFlags(env)
	if code, ok := parseFlags(fs, args, env); !ok {
		return code
	}
	o, account, eventFile := op.applyOptions, op.account, op.eventFile

	var problems []string
	switch {
	case (account == "") == (eventFile == ""):
		problems = append(problems, "give --account ID or --event FILE (one of them)")
	case account != "" && !accountPattern.MatchString(account):
		problems = append(problems, fmt.Sprintf("--account %q is not a 12-digit account ID", account))
	}
	if o.output != "table" && o.output != "json" {
		problems = append(problems, fmt.Sprintf("--output %q: want table or json", o.output))
	}
	cfg, cfgErr := loadSettings("onboard", o.configPath)
	if cfgErr != nil {
		problems = append(problems, cfgErr.Error())
	}
	var req onboard.Request
	var event []byte
	if len(problems) == 0 && eventFile != "" {
		b, err := readEvent(eventFile)
		event = b
		if err == nil {
			req, err = onboard.Decode(b, cfg.Accounts.Management)
		}
		var nm *eventbus.NotMatchedError
		switch {
		case errors.As(err, &nm):
			fmt.Fprintf(env.Stderr, "orgbaseline onboard: %s starts nothing: %v\n", eventFile, nm)
			return ExitOK
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s: %v", eventFile, err))
		}
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(env.Stderr, "orgbaseline onboard:", p)
		}
		fmt.Fprintln(env.Stderr, "nothing was called.")
		return ExitUsage
	}
	if account != "" {
		req = onboard.Request{Trigger: onboard.TriggerManual, Account: account}
	}
	if o.plan {
		// A plan does not take the event's execution name: the apply that
		// follows must not find it taken.
		req.EventID = ""
	}

	where := "deployed state machine"
	if o.local {
		where = "local run"
	}
	fmt.Fprintf(env.Stderr, "orgbaseline onboard (%s): %s\n", where, req)
	p := newProgress(env.Stderr)
	var (
		rep report.Report
		err error
	)
	switch {
	case o.local && event != nil && !o.plan:
		rep, err = onboardEventLocal(ctx, o, cfg, event, env, p)
	case o.local:
		rep, err = onboardLocal(ctx, o, cfg, req, env, p)
	default:
		rep, err = onboardDeployed(ctx, o, cfg, req, p)
	}
	var done *startedNothing
	switch {
	case errors.As(err, &done):
		fmt.Fprintln(env.Stderr, "orgbaseline onboard:", done.reason)
		return ExitOK
	case err != nil:
		fmt.Fprintln(env.Stderr, "orgbaseline onboard:", err)
		return ExitFailed
	}
	return writeReport(rep, o.output, o.details, env)
}

// startedNothing: the request started no run (a duplicate event, a region
// the configuration leaves out).
type startedNothing struct{ reason string }

func (e *startedNothing) Error() string { return e.reason }

// nothingStarted turns a Started that started nothing into its error.
func nothingStarted(s onboard.Started) error {
	switch {
	case s.Duplicate:
		return &startedNothing{fmt.Sprintf("execution %s exists: this event was onboarded already; nothing was started", s.Name)}
	case s.Skipped != "":
		return &startedNothing{"nothing was started: " + s.Skipped}
	}
	return nil
}

// readEvent reads an event file, at most an EventBridge event's size.
func readEvent(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, eventbus.MaxEventBytes+1))
}

// starterInput is the execution input a Starter would send for req, in
// plan mode when asked.
func starterInput(req onboard.Request, plan bool) workflow.Input {
	in := onboard.Input(req)
	if plan {
		in.Mode = workflow.ModePlan
	}
	return in
}

func onboardDeployed(ctx context.Context, o applyOptions, cfg settings.Config, req onboard.Request, p *progress) (report.Report, error) {
	awsCfg, arn, err := deployedStateMachine(ctx, o, cfg)
	if err != nil {
		return report.Report{}, err
	}
	api := sfn.NewFromConfig(awsCfg)
	started, err := onboard.Starter{SFN: planned{api, o.plan}, StateMachineARN: arn, Settings: cfg}.StartRequest(ctx, req)
	if err != nil {
		return report.Report{}, err
	}
	if err := nothingStarted(started); err != nil {
		return report.Report{}, err
	}
	p.note("started %s", started.ExecutionARN)
	f := follower{api: api, objects: s3.NewFromConfig(awsCfg), interval: o.pollInterval, progress: p}
	return f.follow(ctx, started.ExecutionARN, starterInput(req, o.plan).Mode)
}

// planned passes StartExecution on, with the input's mode set to plan when
// plan is set.
type planned struct {
	onboard.StartAPI
	plan bool
}

func (p planned) StartExecution(ctx context.Context, in *sfn.StartExecutionInput, optFns ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	if p.plan {
		var input workflow.Input
		if err := json.Unmarshal([]byte(aws.ToString(in.Input)), &input); err != nil {
			return nil, err
		}
		input.Mode = workflow.ModePlan
		b, err := json.Marshal(input)
		if err != nil {
			return nil, err
		}
		copied := *in
		copied.Input = aws.String(string(b))
		in = &copied
	}
	return p.StartAPI.StartExecution(ctx, in, optFns...)
}
