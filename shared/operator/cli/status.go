package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/orgbaseline/orgbaseline/shared/report"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// ExecutionsAPI lists the state machine's executions.
type ExecutionsAPI interface {
	sfn.ListExecutionsAPIClient
}

var _ ExecutionsAPI = (*sfn.Client)(nil)

// statusFlags is the status command's flag set and the options it fills.
func statusFlags(env Env) (*flag.FlagSet, *applyOptions) {
	o := &applyOptions{}
	fs := newFlagSet("status", env)
	fs.StringVar(&o.configPath, "config", defaultConfigFile, "configuration `file`")
	fs.StringVar(&o.output, "output", "table", "report format: table or json")
	fs.BoolVar(&o.details, "details", false, detailsUsage)
	fs.StringVar(&o.stateMachineARN, "state-machine-arn", "", "the state machine `ARN` (default: the "+workflow.StateMachineArnOutput+" output of stack "+workflow.ManagementStackName+")")
	fs.DurationVar(&o.pollInterval, "poll", 2*time.Second, "how often to poll a running execution")
	return fs, o
}

// status re-attaches to an execution of the deployed state machine,
// running or ended: the one named, or the latest. Interrupting apply stops
// the following, never the execution; status picks it up again.
func status(ctx context.Context, args []string, env Env) int {
	fs, op := statusFlags(env)
	var execARN string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		execARN, args = args[0], args[1:]
	}
	if code, ok := parseFlags(fs, args, env); !ok {
		return code
	}
	o := *op
	if o.output != "table" && o.output != "json" {
		fmt.Fprintf(env.Stderr, "orgbaseline status: --output %q: want table or json\nnothing was called.\n", o.output)
		return ExitUsage
	}
	cfg, err := loadSettings("status", o.configPath)
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		fmt.Fprintln(env.Stderr, "nothing was called.")
		return ExitUsage
	}
	awsCfg, arn, err := deployedStateMachine(ctx, o, cfg)
	if err != nil {
		fmt.Fprintln(env.Stderr, "orgbaseline status:", err)
		return ExitFailed
	}
	api := sfn.NewFromConfig(awsCfg)
	rep, err := attach(ctx, api, api, s3.NewFromConfig(awsCfg), arn, execARN, o.pollInterval, newProgress(env.Stderr))
	if err != nil {
		fmt.Fprintln(env.Stderr, "orgbaseline status:", err)
		return ExitFailed
	}
	return writeReport(rep, o.output, o.details, env)
}

// attach follows execARN, or the state machine's latest execution, to its
// end and reports it.
func attach(ctx context.Context, api StepFunctionsAPI, list ExecutionsAPI, objects ObjectsAPI, machineARN, execARN string, interval time.Duration, p *progress) (report.Report, error) {
	if execARN == "" {
		// "ListExecutions": the results are sorted by time, the most
		// recent first.
		out, err := list.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(machineARN), MaxResults: 1})
		if err != nil {
			return report.Report{}, fmt.Errorf("list the executions of %s: %w", machineARN, err)
		}
		if len(out.Executions) == 0 {
			return report.Report{}, fmt.Errorf("%s has no execution yet: start one with orgbaseline apply", machineARN)
		}
		execARN = aws.ToString(out.Executions[0].ExecutionArn)
	}
	d, err := api.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(execARN)})
	if err != nil {
		return report.Report{}, fmt.Errorf("describe execution %s: %w", execARN, err)
	}
	var in workflow.Input
	if err := json.Unmarshal([]byte(aws.ToString(d.Input)), &in); err != nil {
		return report.Report{}, fmt.Errorf("the input of %s: %w", execARN, err)
	}
	p.note("following %s (%s, started %s)", execARN, d.Status, aws.ToTime(d.StartDate).UTC().Format(time.RFC3339))
	f := follower{api: api, objects: objects, interval: interval, progress: p}
	return f.follow(ctx, execARN, in.Mode)
}
