package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/onboard"
	"github.com/orgbaseline/orgbaseline/shared/operator/report"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// LocalStateMachineName is the state machine the local run registers in
// the emulator's Step Functions. The emulator does not run it
// (aws-local-stepfunctions does): it keeps the executions' names, so that
// StartExecution answers a name taken as AWS does ("StartExecution": the
// same name and input while running is the same execution; a closed one,
// ExecutionAlreadyExists).
const LocalStateMachineName = "orgbaseline-local"

// localRoleName is the role the emulator's state machine names; the
// emulator checks its form only.
const localRoleName = "orgbaseline-local-state-machine"

func onboardLocal(ctx context.Context, o applyOptions, cfg settings.Config, req onboard.Request, env Env, p *progress) (report.Report, error) {
	awsCfg, err := awsclient.Load(ctx)
	if err != nil {
		return report.Report{}, err
	}
	api := sfn.NewFromConfig(awsclient.WithRegion(awsCfg, cfg.HomeRegion))
	arn, err := localStateMachine(ctx, api, cfg)
	if err != nil {
		return report.Report{}, err
	}
	l := &localStarts{api: api, run: func(ctx context.Context, in workflow.Input) (report.Report, error) {
		return runLocal(ctx, o, cfg, in, env, p)
	}}
	started, err := onboard.Starter{SFN: planned{l, o.plan}, StateMachineARN: arn, Settings: cfg}.StartRequest(ctx, req)
	if err != nil {
		return report.Report{}, err
	}
	if err := nothingStarted(started); err != nil {
		return report.Report{}, err
	}
	return l.report, l.err
}

// localStateMachine returns the ARN of LocalStateMachineName in the
// emulator, registering it the first time.
func localStateMachine(ctx context.Context, api *sfn.Client, cfg settings.Config) (string, error) {
	pages := sfn.NewListStateMachinesPaginator(api, &sfn.ListStateMachinesInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("list the emulator's state machines: %w", err)
		}
		for _, m := range page.StateMachines {
			if aws.ToString(m.Name) == LocalStateMachineName {
				return aws.ToString(m.StateMachineArn), nil
			}
		}
	}
	out, err := api.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name:       aws.String(LocalStateMachineName),
		Definition: aws.String(`{"Comment":"orgbaseline: keeps the local runs' execution names; aws-local-stepfunctions runs them","StartAt":"Done","States":{"Done":{"Type":"Succeed"}}}`),
		RoleArn:    aws.String(fmt.Sprintf("arn:aws:iam::%s:role/%s", cfg.Accounts.Management, localRoleName)),
	})
	if err != nil {
		return "", fmt.Errorf("register %s in the emulator: %w", LocalStateMachineName, err)
	}
	return aws.ToString(out.StateMachineArn), nil
}

// localStarts is onboard.StartAPI for a local run: StartExecution records
// the execution in the emulator (its name, as AWS would), runs the
// synthesized state machine on this machine, and closes the emulator's
// execution, so that the same event again finds its name taken.
type localStarts struct {
	api    *sfn.Client
	run    func(context.Context, workflow.Input) (report.Report, error)
	report report.Report
	err    error
}

func (l *localStarts) StartExecution(ctx context.Context, in *sfn.StartExecutionInput, optFns ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	out, err := l.api.StartExecution(ctx, in, optFns...)
	if err != nil {
		return nil, err
	}
	var input workflow.Input
	if err := json.Unmarshal([]byte(aws.ToString(in.Input)), &input); err != nil {
		return nil, err
	}
	l.report, l.err = l.run(ctx, input)
	cause := "the local run ended"
	if l.err != nil {
		cause = "the local run failed: " + l.err.Error()
	}
	_, err = l.api.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: out.ExecutionArn, Cause: aws.String(cause)})
	var gone *sfntypes.ExecutionDoesNotExist
	if err != nil && !errors.As(err, &gone) {
		return out, fmt.Errorf("close the emulator's execution %s: %w", aws.ToString(out.ExecutionArn), err)
	}
	return out, nil
}
