package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/eventbus"
	"github.com/orgbaseline/orgbaseline/shared/local/localbus"
	"github.com/orgbaseline/orgbaseline/shared/local/localevents"
	"github.com/orgbaseline/orgbaseline/shared/notify"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// notifyOptions are the notify command's flags.
type notifyOptions struct {
	applyOptions
	eventFile string
}

// notifyFlags is the notify command's flag set and the options it fills.
func notifyFlags(env Env) (*flag.FlagSet, *notifyOptions) {
	o := &notifyOptions{}
	fs := newFlagSet("notify", env)
	fs.StringVar(&o.eventFile, "event", "", "the EventBridge event `file` (a GuardDuty finding, a Security Hub finding, an AWS Health event)")
	fs.BoolVar(&o.local, "local", false, "through the emulator's rules and topic (deploy --local puts them there)")
	fs.StringVar(&o.configPath, "config", defaultConfigFile, "configuration `file`")
	fs.StringVar(&o.assembly, "assembly", "", "local: use this synthesized cloud assembly `dir` instead of synthesizing")
	fs.StringVar(&o.cdkApp, "cdk-app", "", "local: the CDK app `binary` to synthesize with (default build/cdkapp in the orgbaseline folder)")
	return fs, o
}

// notifyCmd pushes one event through the finding notifications' path: the
// finding rules decide whether it is sent at all (an event they would not
// match is reported, not published), the formatter makes the message, and
// it is published to the findings topic.
func notifyCmd(ctx context.Context, args []string, env Env) int {
	fs, op := notifyFlags(env)
	if code, ok := parseFlags(fs, args, env); !ok {
		return code
	}
	o, eventFile := op.applyOptions, op.eventFile
	var problems []string
	if eventFile == "" {
		problems = append(problems, "give --event FILE")
	}
	cfg, err := loadSettings("notify", o.configPath)
	if err != nil {
		problems = append(problems, err.Error())
	}
	var event []byte
	if len(problems) == 0 {
		event, err = readEvent(eventFile)
		if err == nil {
			_, err = notify.Decode(event)
		}
		var nm *eventbus.NotMatchedError
		switch {
		case errors.As(err, &nm):
			fmt.Fprintf(env.Stdout, "not matched: %v; not published\n", nm)
			return ExitOK
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s: %v", eventFile, err))
		}
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(env.Stderr, "orgbaseline notify:", p)
		}
		fmt.Fprintln(env.Stderr, "nothing was called.")
		return ExitUsage
	}
	var received []localevents.Notification
	if o.local {
		received, err = notifyLocal(ctx, o, cfg, event, env)
	} else {
		received, err = notifyDeployed(ctx, cfg, event)
	}
	var done *startedNothing
	switch {
	case errors.As(err, &done):
		fmt.Fprintln(env.Stdout, done.reason)
		return ExitOK
	case err != nil:
		fmt.Fprintln(env.Stderr, "orgbaseline notify:", err)
		return ExitFailed
	}
	for _, n := range received {
		fmt.Fprintf(env.Stdout, "published: %s\n\n%s\n", n.Subject, strings.TrimRight(n.Message, "\n"))
	}
	return ExitOK
}

// notifyLocal puts the event on the emulator's bus of the security account
// in the event's region; when the finding rules (forwarding included) bring
// it to the queue standing in for notify-findings, the formatter publishes
// it to the emulator's findings topic, and what the topic's subscription
// received is returned.
func notifyLocal(ctx context.Context, o applyOptions, cfg settings.Config, event []byte, env Env) ([]localevents.Notification, error) {
	_, accounts, err := connect(ctx, cfg, "orgbaseline-local-events")
	if err != nil {
		return nil, err
	}
	p := newProgress(env.Stderr)
	asm, err := localAssembly(ctx, o, cfg, env, p)
	if err != nil {
		return nil, err
	}
	cfgFor := localConfigFor(accounts)
	sec := cfg.Accounts.Security
	region := eventRegion(event, cfg.HomeRegion)
	if err := localbus.New(cfgFor(sec, region)).Put(ctx, "default", event); err != nil {
		return nil, fmt.Errorf("put the event on the emulator's bus in %s: %w", region, err)
	}
	p.note("put the event on the security account's default bus in %s", region)
	matched := false
	for _, r := range asm.Rules {
		if r.Stack != workflow.SecurityStackName || r.Target.Kind != localevents.TargetFunction {
			continue
		}
		got, err := localevents.Take(ctx, cfgFor(r.Account, r.Region), r)
		if err != nil {
			return nil, err
		}
		if len(got) > 0 {
			how := "on its own bus"
			if region != r.Region {
				how = "forwarded from " + region + " by the rule there"
			}
			p.note("matched by rule %s in %s (%s)", r.LogicalID, r.Region, how)
			matched = true
		}
	}
	if !matched {
		return nil, &startedNothing{"not matched: no finding rule on the emulator matches the event; not published"}
	}
	var topic *localevents.Topic
	for _, t := range asm.Topics {
		if t.Stack == workflow.SecurityStackName && strings.HasPrefix(t.LogicalID, workflow.FindingsTopicID) {
			topic = &t
		}
	}
	if topic == nil {
		return nil, fmt.Errorf("the synthesized security stack has no findings topic")
	}
	topicCfg := cfgFor(topic.Account, topic.Region)
	pub := notify.Publisher{SNS: sns.NewFromConfig(topicCfg), TopicARN: fmt.Sprintf("arn:aws:sns:%s:%s:%s", topic.Region, topic.Account, topic.TopicName())}
	if _, err := pub.Handle(ctx, event); err != nil {
		return nil, err
	}
	return localevents.Received(ctx, topicCfg, *topic)
}

// PatternTestAPI asks EventBridge whether a pattern matches an event.
type PatternTestAPI interface {
	TestEventPattern(ctx context.Context, in *eventbridge.TestEventPatternInput, optFns ...func(*eventbridge.Options)) (*eventbridge.TestEventPatternOutput, error)
}

var _ PatternTestAPI = (*eventbridge.Client)(nil)

// matchesAny asks EventBridge ("TestEventPattern", Amazon EventBridge API
// Reference) whether one of the finding rules' patterns matches event.
func matchesAny(ctx context.Context, api PatternTestAPI, cfg settings.Config, event []byte) (bool, error) {
	for _, r := range notify.Rules(cfg) {
		p := r.Pattern
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false) // ">=" as it is written
		if err := enc.Encode(p); err != nil {
			return false, err
		}
		out, err := api.TestEventPattern(ctx, &eventbridge.TestEventPatternInput{EventPattern: aws.String(strings.TrimSpace(b.String())), Event: aws.String(string(event))})
		if err != nil {
			return false, fmt.Errorf("test the event against the finding rules: %w", err)
		}
		if out.Result {
			return true, nil
		}
	}
	return false, nil
}

// notifyDeployed checks the event against the finding rules' patterns with
// EventBridge in the security account, and publishes it to the deployed
// findings topic through the execution role, with the same formatter.
func notifyDeployed(ctx context.Context, cfg settings.Config, event []byte) ([]localevents.Notification, error) {
	_, accounts, err := connect(ctx, cfg, "orgbaseline-notify")
	if err != nil {
		return nil, err
	}
	sec := awsclient.WithRegion(accounts.Config(cfg.Accounts.Security), cfg.HomeRegion)
	ok, err := matchesAny(ctx, eventbridge.NewFromConfig(sec), cfg, event)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, &startedNothing{"not matched: the finding rules' patterns do not match the event; not published"}
	}
	outputs, err := stackOutputs(ctx, cloudformation.NewFromConfig(sec), workflow.SecurityStackName)
	if err != nil {
		return nil, err
	}
	arn, ok := outputs[workflow.FindingsTopicOutput]
	if !ok {
		return nil, fmt.Errorf("stack %s has no output %s", workflow.SecurityStackName, workflow.FindingsTopicOutput)
	}
	res, err := notify.Publisher{SNS: sns.NewFromConfig(sec), TopicARN: arn}.Handle(ctx, event)
	if err != nil {
		return nil, err
	}
	out := make([]localevents.Notification, len(res.Messages))
	for i, m := range res.Messages {
		out[i] = localevents.Notification{Subject: m.Subject, Message: m.Text}
	}
	return out, nil
}
