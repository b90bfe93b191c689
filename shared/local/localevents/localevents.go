// Package localevents stands in for the event-driven half of `cdk deploy`
// on the emulator: it reads the EventBridge rules and SNS topics of the
// synthesized templates (every stack of the cloud assembly, in its account
// and region) and puts them on the emulator: each rule with the pattern the
// template carries, on its stack's default bus. A rule whose target is an
// event bus (the forwarding rules) keeps it; moto delivers across regions.
// A rule whose target moto cannot invoke (Lambda, SNS, Step Functions:
// shared/notes, "EventBridge delivery behaviour") gets an SQS queue
// standing in for it, from which the local run takes the events into the
// same code the target runs. Each topic gets an SQS subscription, so that
// what it publishes can be read back.
package localevents

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/orgbaseline/orgbaseline/shared/local/localsfn"
)

// Kinds of rule target.
const (
	TargetFunction = "function"
	TargetTopic    = "topic"
	TargetBus      = "bus"
)

// Target is where a rule sends what it matches.
type Target struct {
	Kind string
	// LogicalID is the function's or the topic's, in the rule's stack.
	LogicalID string
	// BusARN is the event bus of a TargetBus.
	BusARN string
}

// Rule is an EventBridge rule of a synthesized stack.
type Rule struct {
	Stack, Account, Region, LogicalID string
	// Pattern is the rule's event pattern, its intrinsic functions
	// resolved (a reference to another resource becomes a local
	// placeholder: no local event names it).
	Pattern json.RawMessage
	Target  Target
}

// Topic is an SNS topic of a synthesized stack.
type Topic struct {
	Stack, Account, Region, LogicalID string
}

// Assembly is what the event-driven half of the stacks declares.
type Assembly struct {
	Rules  []Rule
	Topics []Topic
}

type template struct {
	Resources map[string]struct {
		Type       string          `json:"Type"`
		Properties json.RawMessage `json:"Properties"`
	} `json:"Resources"`
}

// Read reads the rules and topics of every stack of the cloud assembly in
// dir (cdk.out), in stack and logical ID order.
func Read(dir string) (Assembly, error) {
	var asm Assembly
	stacks, err := localsfn.Stacks(dir)
	if err != nil {
		return asm, err
	}
	for _, st := range stacks {
		if st.Err != nil {
			return asm, st.Err
		}
		b, err := os.ReadFile(st.TemplatePath)
		if err != nil {
			return asm, fmt.Errorf("stack %s: %w", st.Name, err)
		}
		if err := asm.add(st.Name, st.Account, st.Region, b); err != nil {
			return asm, fmt.Errorf("stack %s: %w", st.Name, err)
		}
	}
	return asm, nil
}

func (asm *Assembly) add(stack, account, region string, b []byte) error {
	var t template
	if err := json.Unmarshal(b, &t); err != nil {
		return err
	}
	r := resolver{account: account, region: region}
	lids := make([]string, 0, len(t.Resources))
	for lid := range t.Resources {
		lids = append(lids, lid)
	}
	sort.Strings(lids)
	for _, lid := range lids {
		res := t.Resources[lid]
		switch res.Type {
		case "AWS::SNS::Topic":
			asm.Topics = append(asm.Topics, Topic{Stack: stack, Account: account, Region: region, LogicalID: lid})
		case "AWS::Events::Rule":
			var p struct {
				EventBusName       string            `json:"EventBusName"`
				EventPattern       any               `json:"EventPattern"`
				ScheduleExpression string            `json:"ScheduleExpression"`
				Targets            []json.RawMessage `json:"Targets"`
			}
			if err := json.Unmarshal(res.Properties, &p); err != nil {
				return fmt.Errorf("rule %s: %w", lid, err)
			}
			if p.ScheduleExpression != "" {
				// A schedule matches no event: nothing to put locally
				// (the re-converge's run is `orgbaseline apply --local`).
				continue
			}
			if p.EventBusName != "" && p.EventBusName != "default" {
				return fmt.Errorf("rule %s is on bus %s: only the default bus is deployed locally", lid, p.EventBusName)
			}
			if len(p.Targets) != 1 {
				return fmt.Errorf("rule %s has %d targets, want one", lid, len(p.Targets))
			}
			pattern, err := json.Marshal(r.resolve(p.EventPattern))
			if err != nil {
				return err
			}
			target, err := r.target(p.Targets[0], t)
			if err != nil {
				return fmt.Errorf("rule %s: %w", lid, err)
			}
			asm.Rules = append(asm.Rules, Rule{Stack: stack, Account: account, Region: region, LogicalID: lid, Pattern: pattern, Target: target})
		}
	}
	return nil
}

// resolver resolves the intrinsic functions the rules use, in a stack.
type resolver struct{ account, region string }

// resolve returns v with Ref, Fn::GetAtt and Fn::Join resolved: the
// pseudo parameters to the stack's, other resources to a local
// placeholder.
func (r resolver) resolve(v any) any {
	switch t := v.(type) {
	case map[string]any:
		if len(t) == 1 {
			for k, arg := range t {
				switch k {
				case "Ref":
					return r.ref(fmt.Sprint(arg))
				case "Fn::GetAtt":
					if l, ok := arg.([]any); ok && len(l) == 2 {
						return fmt.Sprintf("local-%v-%v", l[0], l[1])
					}
				case "Fn::Join":
					if l, ok := arg.([]any); ok && len(l) == 2 {
						if items, ok := l[1].([]any); ok {
							parts := make([]string, len(items))
							for i, it := range items {
								parts[i] = fmt.Sprint(r.resolve(it))
							}
							return strings.Join(parts, fmt.Sprint(l[0]))
						}
					}
				}
			}
		}
		out := map[string]any{}
		for k, x := range t {
			out[k] = r.resolve(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = r.resolve(x)
		}
		return out
	}
	return v
}

func (r resolver) ref(name string) string {
	switch name {
	case "AWS::Partition":
		return "aws"
	case "AWS::Region":
		return r.region
	case "AWS::AccountId":
		return r.account
	case "AWS::URLSuffix":
		return "amazonaws.com"
	}
	return "local-" + name
}

// target reads a rule's target: a function or topic of the stack (by
// Fn::GetAtt or Ref), or an event bus (its ARN).
func (r resolver) target(raw json.RawMessage, t template) (Target, error) {
	var tg struct {
		Arn any `json:"Arn"`
	}
	if err := json.Unmarshal(raw, &tg); err != nil {
		return Target{}, err
	}
	ref := func() string {
		m, ok := tg.Arn.(map[string]any)
		if !ok {
			return ""
		}
		if s, ok := m["Ref"].(string); ok {
			return s
		}
		if l, ok := m["Fn::GetAtt"].([]any); ok && len(l) == 2 {
			return fmt.Sprint(l[0])
		}
		return ""
	}()
	if res, ok := t.Resources[ref]; ok {
		switch res.Type {
		case "AWS::Lambda::Function":
			return Target{Kind: TargetFunction, LogicalID: ref}, nil
		case "AWS::SNS::Topic":
			return Target{Kind: TargetTopic, LogicalID: ref}, nil
		}
		return Target{}, fmt.Errorf("target %s is a %s: not deployed locally", ref, res.Type)
	}
	arn, _ := r.resolve(tg.Arn).(string)
	if busARN.MatchString(arn) {
		return Target{Kind: TargetBus, BusARN: arn}, nil
	}
	return Target{}, fmt.Errorf("target %v is neither a resource of the stack nor an event bus", tg.Arn)
}

var busARN = regexp.MustCompile(`^arn:aws:events:[a-z0-9-]+:[0-9]{12}:event-bus/[A-Za-z0-9._-]+$`)

// name makes a local name of at most max characters of [A-Za-z0-9-_] from
// parts, keeping it unique with a hash when it must be cut.
func name(max int, parts ...string) string {
	s := regexp.MustCompile(`[^A-Za-z0-9_-]+`).ReplaceAllString(strings.Join(parts, "-"), "-")
	if len(s) <= max {
		return s
	}
	h := sha256.Sum256([]byte(s))
	suffix := "-" + hex.EncodeToString(h[:4])
	return s[:max-len(suffix)] + suffix
}

// RuleName is the rule's name on the emulator (EventBridge rule names: at
// most 64 characters), and the name of the SQS queue standing in for its
// target.
func (r Rule) RuleName() string { return name(64, r.Stack, r.LogicalID) }

// TopicName is the topic's name on the emulator.
func (t Topic) TopicName() string { return name(256, t.Stack, t.LogicalID) }

// QueueName is the name of the queue subscribed to the topic.
func (t Topic) QueueName() string { return name(80, "received", t.Stack, t.LogicalID) }
