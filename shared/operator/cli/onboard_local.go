package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/local/localbus"
	"github.com/orgbaseline/orgbaseline/shared/local/localevents"
	"github.com/orgbaseline/orgbaseline/shared/local/localsfn"
	"github.com/orgbaseline/orgbaseline/shared/onboard"
	"github.com/orgbaseline/orgbaseline/shared/report"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
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
	starter, l, err := localStarter(ctx, o, cfg, env, p)
	if err != nil {
		return report.Report{}, err
	}
	started, err := starter.StartRequest(ctx, req)
	if err != nil {
		return report.Report{}, err
	}
	if err := nothingStarted(started); err != nil {
		return report.Report{}, err
	}
	return l.report, l.err
}

// localStarter is the onboard.Starter of a local run.
func localStarter(ctx context.Context, o applyOptions, cfg settings.Config, env Env, p *progress) (onboard.Starter, *localStarts, error) {
	awsCfg, err := awsclient.Load(ctx)
	if err != nil {
		return onboard.Starter{}, nil, err
	}
	api := sfn.NewFromConfig(awsclient.WithRegion(awsCfg, cfg.HomeRegion))
	arn, err := localStateMachine(ctx, api, cfg)
	if err != nil {
		return onboard.Starter{}, nil, err
	}
	l := &localStarts{api: api, run: func(ctx context.Context, in workflow.Input) (report.Report, localsfn.Execution, error) {
		return runLocalExecution(ctx, o, cfg, in, env, p)
	}}
	return onboard.Starter{SFN: planned{l, o.plan}, StateMachineARN: arn, Settings: cfg}, l, nil
}

// onboardEventLocal takes event the way EventBridge would: it puts it on
// the emulator's bus of the management account in the event's region
// (Organizations' events arrive in us-east-1); the rules the local deploy
// put there (the synthesized templates', forwarding included) bring it to
// the queue standing in for the onboard-start Lambda; when the event
// arrives there, it goes through the same Starter.
func onboardEventLocal(ctx context.Context, o applyOptions, cfg settings.Config, event []byte, env Env, p *progress) (report.Report, error) {
	_, accounts, err := connect(ctx, cfg, "orgbaseline-local-events")
	if err != nil {
		return report.Report{}, err
	}
	asm, err := localAssembly(ctx, o, cfg, env, p)
	if err != nil {
		return report.Report{}, err
	}
	cfgFor := localConfigFor(accounts)
	region := eventRegion(event, cfg.HomeRegion)
	if err := localbus.New(cfgFor(cfg.Accounts.Management, region)).Put(ctx, "default", event); err != nil {
		return report.Report{}, fmt.Errorf("put the event on the emulator's bus in %s: %w", region, err)
	}
	p.note("put the event on the management account's default bus in %s", region)
	var taken []json.RawMessage
	for _, r := range asm.Rules {
		if r.Stack != workflow.ManagementStackName || r.Target.Kind != localevents.TargetFunction {
			continue
		}
		got, err := localevents.Take(ctx, cfgFor(r.Account, r.Region), r)
		if err != nil {
			return report.Report{}, err
		}
		if len(got) > 0 {
			how := "on its own bus"
			if region != r.Region {
				how = "forwarded from " + region + " by the rule there"
			}
			p.note("matched by rule %s in %s (%s)", r.LogicalID, r.Region, how)
		}
		taken = append(taken, got...)
	}
	if len(taken) == 0 {
		return report.Report{}, &startedNothing{"no onboarding rule on the emulator matches the event: nothing was started"}
	}
	starter, l, err := localStarter(ctx, o, cfg, env, p)
	if err != nil {
		return report.Report{}, err
	}
	// The emulator's bus decided which rules match; its copy of the event
	// has a new id, as any PutEvents has. The file is the event as
	// EventBridge delivered it, id included: that is what the target gets,
	// so that the same file twice is the same event delivered twice
	// (EventBridge delivers at least once) and starts one run.
	started, err := starter.Start(ctx, event)
	if err != nil {
		return report.Report{}, err
	}
	if err := nothingStarted(started); err != nil {
		return report.Report{}, err
	}
	if l.err == nil && l.exec.Status == "SUCCEEDED" {
		if err := announceLocal(ctx, asm, cfgFor, cfg, started.Name, l, env, p); err != nil {
			return l.report, err
		}
	}
	return l.report, l.err
}

// announceLocal does what Step Functions and the onboarded rule do on AWS
// when an onboarding run succeeds: the run's status change event (as Step
// Functions emits it, "Automating Step Functions event delivery with
// EventBridge") goes on the management account's bus in the home region,
// naming the state machine as the synthesized rule's pattern resolves it
// locally; when the stand-in of onboard-summary receives it, the same
// Summarizer publishes to the emulator's operations topic, and what the
// topic's subscription received is shown on stderr.
func announceLocal(ctx context.Context, asm localevents.Assembly, cfgFor localevents.ConfigFor, cfg settings.Config, name string, l *localStarts, env Env, p *progress) error {
	var rule *localevents.Rule
	var topic *localevents.Topic
	for i, r := range asm.Rules {
		if r.Stack == workflow.ManagementStackName && r.LogicalID == workflow.RunEndedRuleID {
			rule = &asm.Rules[i]
		}
	}
	for i, t := range asm.Topics {
		if t.Stack == workflow.ManagementStackName && strings.HasPrefix(t.LogicalID, workflow.OperationsTopicID) {
			topic = &asm.Topics[i]
		}
	}
	if rule == nil || topic == nil {
		return nil // onboarding is off: no onboarded rule
	}
	var pattern struct {
		Detail struct {
			StateMachineArn []string `json:"stateMachineArn"`
		} `json:"detail"`
	}
	if err := json.Unmarshal(rule.Pattern, &pattern); err != nil || len(pattern.Detail.StateMachineArn) != 1 {
		return fmt.Errorf("the onboarded rule's pattern names no one state machine: %s", rule.Pattern)
	}
	event, err := json.Marshal(map[string]any{
		"version": "0", "id": "local-" + name, "detail-type": "Step Functions Execution Status Change", "source": "aws.states",
		"account": cfg.Accounts.Management, "time": time.Now().UTC().Format(time.RFC3339), "region": rule.Region, "resources": []string{l.executionArn},
		"detail": map[string]any{
			"executionArn": l.executionArn, "stateMachineArn": pattern.Detail.StateMachineArn[0], "name": name, "status": "SUCCEEDED",
			"input": l.input, "inputDetails": map[string]bool{"included": true},
			"output": string(l.exec.Output), "outputDetails": map[string]bool{"included": true},
		},
	})
	if err != nil {
		return err
	}
	ruleCfg := cfgFor(rule.Account, rule.Region)
	if err := localbus.New(ruleCfg).Put(ctx, "default", event); err != nil {
		return err
	}
	got, err := localevents.Take(ctx, ruleCfg, *rule)
	if err != nil {
		return err
	}
	if len(got) == 0 {
		return fmt.Errorf("the onboarded rule did not match the run's status change event")
	}
	topicCfg := cfgFor(topic.Account, topic.Region)
	s := onboard.Summarizer{SNS: sns.NewFromConfig(topicCfg), TopicARN: fmt.Sprintf("arn:aws:sns:%s:%s:%s", topic.Region, topic.Account, topic.TopicName())}
	if _, err := s.Handle(ctx, event); err != nil {
		return err
	}
	received, err := localevents.Received(ctx, topicCfg, *topic)
	if err != nil {
		return err
	}
	for _, n := range received {
		fmt.Fprintf(env.Stderr, "  the operations topic received: %s\n%s\n", n.Subject, indent(n.Message))
	}
	return nil
}

// indent indents every line of s by four spaces.
func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "    " + l
	}
	return strings.Join(lines, "\n")
}

// eventRegion is the region of an event's envelope, def without one.
func eventRegion(event []byte, def string) string {
	var e struct {
		Region string `json:"region"`
	}
	if json.Unmarshal(event, &e) == nil && e.Region != "" {
		return e.Region
	}
	return def
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
		RoleArn:    aws.String(step.RoleARN(cfg.Accounts.Management, localRoleName)),
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
	run    func(context.Context, workflow.Input) (report.Report, localsfn.Execution, error)
	report report.Report
	err    error
	// The run: its execution, input and output.
	executionArn, input string
	exec                localsfn.Execution
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
	l.report, l.exec, l.err = l.run(ctx, input)
	l.executionArn, l.input = aws.ToString(out.ExecutionArn), aws.ToString(in.Input)
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
