package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/report"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// StepFunctionsAPI is what following a deployed execution needs.
type StepFunctionsAPI interface {
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, optFns ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
	DescribeExecution(ctx context.Context, in *sfn.DescribeExecutionInput, optFns ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
	sfn.GetExecutionHistoryAPIClient
}

var _ StepFunctionsAPI = (*sfn.Client)(nil)

// StacksAPI finds the state machine's ARN in the management stack's outputs.
type StacksAPI interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, optFns ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

var _ StacksAPI = (*cloudformation.Client)(nil)

// ObjectsAPI reads the results a Distributed Map wrote to S3.
type ObjectsAPI = report.ObjectsAPI

var _ ObjectsAPI = (*s3.Client)(nil)

func runDeployed(ctx context.Context, o applyOptions, cfg settings.Config, in workflow.Input, env Env, p *progress) (report.Report, error) {
	awsCfg, arn, err := deployedStateMachine(ctx, o, cfg)
	if err != nil {
		return report.Report{}, err
	}
	f := follower{api: sfn.NewFromConfig(awsCfg), objects: s3.NewFromConfig(awsCfg), interval: o.pollInterval, progress: p}
	return f.run(ctx, arn, in)
}

// deployedStateMachine returns the AWS configuration in the home region and
// the deployed state machine's ARN: --state-machine-arn, or the
// management stack's output.
func deployedStateMachine(ctx context.Context, o applyOptions, cfg settings.Config) (aws.Config, string, error) {
	awsCfg, err := awsclient.Load(ctx)
	if err != nil {
		return aws.Config{}, "", err
	}
	awsCfg = awsclient.WithRegion(awsCfg, cfg.HomeRegion)
	if _, err := awsCfg.Credentials.Retrieve(ctx); err != nil {
		return aws.Config{}, "", fmt.Errorf("no AWS credentials for the management account %s: set AWS_PROFILE (after `aws sso login` for an SSO profile) "+
			"or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where a role provides them; nothing was called (%w)", cfg.Accounts.Management, err)
	}
	outputs, err := stackOutputs(ctx, cloudformation.NewFromConfig(awsCfg), workflow.ManagementStackName)
	if err != nil {
		return aws.Config{}, "", err
	}
	if err := sameDeployedSettings(outputs, cfg, o.configPath); err != nil {
		return aws.Config{}, "", err
	}
	arn := o.stateMachineARN
	if arn == "" {
		var ok bool
		if arn, ok = outputs[workflow.StateMachineArnOutput]; !ok {
			return aws.Config{}, "", fmt.Errorf("stack %s has no output %s", workflow.ManagementStackName, workflow.StateMachineArnOutput)
		}
	}
	return awsCfg, arn, nil
}

// stackOutputs reads a stack's outputs ("DescribeStacks", AWS
// CloudFormation API Reference).
func stackOutputs(ctx context.Context, api StacksAPI, stack string) (map[string]string, error) {
	out, err := api.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		return nil, fmt.Errorf("read stack %s (deployed with `cdk deploy --all`?): %w", stack, err)
	}
	outputs := map[string]string{}
	for _, s := range out.Stacks {
		for _, o := range s.Outputs {
			outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
		}
	}
	return outputs, nil
}

// sameDeployedSettings refuses a run whose configuration file is not the
// one the stacks were deployed with: the Lambdas run the configuration in
// their environment, and their IAM grants were made from it, so a run
// cannot take another one as input; the management stack outputs the
// deployed configuration's digest (settings.Config.Digest).
func sameDeployedSettings(outputs map[string]string, cfg settings.Config, path string) error {
	deployed, ok := outputs[workflow.SettingsDigestOutput]
	if !ok {
		return fmt.Errorf("stack %s has no output %s: it was deployed by an orgbaseline that did not record its configuration; "+
			"deploy again with `ORGBASELINE_CONFIG=%s cdk deploy --all`; nothing was started", workflow.ManagementStackName, workflow.SettingsDigestOutput, path)
	}
	here, err := cfg.Digest()
	if err != nil {
		return err
	}
	if deployed != here {
		return fmt.Errorf("the deployed stacks run another configuration than %s (deployed %.12s, this file %.12s): deploy this one with "+
			"`ORGBASELINE_CONFIG=%s cdk deploy --all`, or give --config the file that was deployed; nothing was started", path, deployed, here, path)
	}
	return nil
}

// follower starts an execution and follows it to its end.
type follower struct {
	api StepFunctionsAPI
	// objects reads the results the Distributed Maps wrote to S3.
	objects  ObjectsAPI
	interval time.Duration
	progress *progress
	sleep    func(context.Context, time.Duration) error
}

// executionName is unique per run and says what the run was.
func executionName(mode workflow.Mode, now time.Time) string {
	b := make([]byte, 3)
	rand.Read(b)
	return fmt.Sprintf("orgbaseline-%s-%s-%s", mode, now.UTC().Format("20060102T150405Z"), hex.EncodeToString(b))
}

func (f follower) run(ctx context.Context, arn string, in workflow.Input) (report.Report, error) {
	input, err := json.Marshal(in)
	if err != nil {
		return report.Report{}, err
	}
	start, err := f.api.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(arn),
		Name:            aws.String(executionName(in.Mode, time.Now())),
		Input:           aws.String(string(input)),
	})
	if err != nil {
		return report.Report{}, fmt.Errorf("start execution of %s: %w", arn, err)
	}
	execARN := aws.ToString(start.ExecutionArn)
	f.progress.note("started %s", execARN)
	return f.follow(ctx, execARN, in.Mode)
}

// follow follows the execution execARN to its end and reports it.
func (f follower) follow(ctx context.Context, execARN string, mode workflow.Mode) (report.Report, error) {
	var err error
	in := workflow.Input{Mode: mode}
	sleep := f.sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	var lastID int64
	for {
		if lastID, err = f.printNewEvents(ctx, execARN, lastID); err != nil {
			return report.Report{}, err
		}
		d, err := f.api.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(execARN)})
		if err != nil {
			return report.Report{}, fmt.Errorf("describe execution: %w", err)
		}
		if d.Status != sfntypes.ExecutionStatusRunning && d.Status != sfntypes.ExecutionStatusPendingRedrive {
			if _, err := f.printNewEvents(ctx, execARN, lastID); err != nil {
				return report.Report{}, err
			}
			var fetch report.Fetch
			if f.objects != nil {
				fetch = report.FetchWith(f.objects)
			}
			return report.FromExecutionWith(ctx, fetch, in.Mode, string(d.Status), []byte(aws.ToString(d.Output)), aws.ToString(d.Error), aws.ToString(d.Cause))
		}
		if err := sleep(ctx, f.interval); err != nil {
			return report.Report{}, fmt.Errorf("stopped following %s (the execution goes on): %w", execARN, err)
		}
	}
}

// printNewEvents prints the history events after lastID and returns the
// newest event ID. It reads the history newest first (ReverseOrder,
// "GetExecutionHistory", AWS Step Functions API Reference) and stops at the
// first event it printed before: a poll reads the new events only, not the
// whole history again.
func (f follower) printNewEvents(ctx context.Context, execARN string, lastID int64) (int64, error) {
	var fresh []sfntypes.HistoryEvent
	pages := sfn.NewGetExecutionHistoryPaginator(f.api, &sfn.GetExecutionHistoryInput{
		ExecutionArn: aws.String(execARN), MaxResults: 1000, ReverseOrder: true,
	})
pages:
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return lastID, fmt.Errorf("read execution history: %w", err)
		}
		for _, e := range page.Events {
			if e.Id <= lastID {
				break pages
			}
			fresh = append(fresh, e)
		}
	}
	for i := len(fresh) - 1; i >= 0; i-- {
		f.historyEvent(fresh[i])
		lastID = max(lastID, fresh[i].Id)
	}
	return lastID, nil
}

func (f follower) historyEvent(e sfntypes.HistoryEvent) {
	switch e.Type {
	case sfntypes.HistoryEventTypeTaskStateEntered:
		d := e.StateEnteredEventDetails
		f.progress.entered(aws.ToString(d.Name))
	case sfntypes.HistoryEventTypeTaskStateExited:
		d := e.StateExitedEventDetails
		f.progress.exited(aws.ToString(d.Name), []byte(aws.ToString(d.Output)))
	case sfntypes.HistoryEventTypeMapStateEntered:
		f.progress.mapEntered(aws.ToString(e.StateEnteredEventDetails.Name))
	case sfntypes.HistoryEventTypeMapStateExited:
		f.progress.mapExited(aws.ToString(e.StateExitedEventDetails.Name))
	case sfntypes.HistoryEventTypeLambdaFunctionFailed:
		if d := e.LambdaFunctionFailedEventDetails; d != nil {
			f.progress.note(".. step error %s (the state machine retries or catches it)", aws.ToString(d.Error))
		}
	case sfntypes.HistoryEventTypeLambdaFunctionTimedOut:
		f.progress.note(".. step timed out")
	case sfntypes.HistoryEventTypeExecutionFailed:
		if d := e.ExecutionFailedEventDetails; d != nil {
			f.progress.note("!! execution failed: %s", strings.TrimSpace(aws.ToString(d.Error)))
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
