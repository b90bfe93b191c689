// Package localsfn runs the state machine that `cdk synth` produced on this
// machine: the definition is taken from the synthesized template, executed by
// aws-local-stepfunctions, and every Lambda task is served by a local Lambda
// service that runs the step's Go handler through the real aws-lambda-go
// runtime loop. The handlers call whatever AWS endpoint the SDK resolves
// (the moto server, in tests and the demo).
//
// The run holds payloads to Step Functions' limit (MaxPayloadBytes), which
// the interpreter alone does not: a task's input or result over it, and a
// state's output over it, fail the execution with ErrDataLimitExceeded, as
// on AWS.
package localsfn

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// Function is a Lambda function of the synthesized stack.
type Function struct {
	LogicalID string
	// Name is the step it runs (its ORGBASELINE_STEP variable); the local ARN
	// ends in it.
	Name string
	ARN  string
	// Env is the environment the template gives the function.
	Env map[string]string
	// TimeoutSeconds is the function's timeout.
	TimeoutSeconds int
}

// StateMachine is a state machine of the synthesized stack, its definition
// resolved to plain ASL.
type StateMachine struct {
	LogicalID  string
	Definition json.RawMessage
}

// Stack is what the local run needs from one synthesized stack.
type Stack struct {
	Name          string
	Account       string
	Region        string
	Functions     []Function
	StateMachines []StateMachine
}

// Function returns the function whose ARN or name is nameOrARN.
func (s *Stack) Function(nameOrARN string) (Function, bool) {
	name := nameOrARN
	if i := strings.LastIndex(nameOrARN, ":function:"); i >= 0 {
		name = nameOrARN[i+len(":function:"):]
		if j := strings.Index(name, ":"); j >= 0 { // a qualifier
			name = name[:j]
		}
	}
	for _, f := range s.Functions {
		if f.Name == name {
			return f, true
		}
	}
	return Function{}, false
}

type manifest struct {
	Artifacts map[string]struct {
		Type        string `json:"type"`
		Environment string `json:"environment"`
		Properties  struct {
			TemplateFile string `json:"templateFile"`
			StackName    string `json:"stackName"`
		} `json:"properties"`
	} `json:"artifacts"`
}

type template struct {
	Resources map[string]struct {
		Type       string                     `json:"Type"`
		Properties map[string]json.RawMessage `json:"Properties"`
	} `json:"Resources"`
}

// StackArtifact is a stack of a cloud assembly: its name, environment and
// template.
type StackArtifact struct {
	Name, Account, Region string
	// TemplatePath is the template's file.
	TemplatePath string
	// Err, when set, says why the stack's environment names no account
	// and region; its Account and Region are empty.
	Err error
}

// Stacks lists the stacks of the cloud assembly in dir (cdk.out), by name;
// a stack whose environment names no account and region carries the
// reason in Err.
func Stacks(dir string) ([]StackArtifact, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("read cloud assembly: %w", err)
	}
	var m manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("read cloud assembly manifest: %w", err)
	}
	var out []StackArtifact
	for id, a := range m.Artifacts {
		if a.Type != "aws:cloudformation:stack" {
			continue
		}
		name := a.Properties.StackName
		if name == "" {
			name = id
		}
		account, region, err := parseEnvironment(a.Environment)
		if err != nil {
			err = fmt.Errorf("stack %s: %w", name, err)
		}
		out = append(out, StackArtifact{Name: name, Account: account, Region: region, TemplatePath: filepath.Join(dir, a.Properties.TemplateFile), Err: err})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ReadStack reads stack stackName from the cloud assembly in dir (cdk.out).
func ReadStack(dir, stackName string) (*Stack, error) {
	stacks, err := Stacks(dir)
	if err != nil {
		return nil, err
	}
	for _, a := range stacks {
		if a.Name == stackName && a.Err != nil {
			return nil, a.Err
		}
		if a.Name == stackName {
			return readTemplate(a.TemplatePath, stackName, a.Account, a.Region)
		}
	}
	return nil, fmt.Errorf("stack %s is not in the cloud assembly %s", stackName, dir)
}

// parseEnvironment reads "aws://<account>/<region>".
func parseEnvironment(env string) (string, string, error) {
	rest, ok := strings.CutPrefix(env, "aws://")
	parts := strings.Split(rest, "/")
	if !ok || len(parts) != 2 || strings.HasPrefix(parts[0], "unknown") || strings.HasPrefix(parts[1], "unknown") {
		return "", "", fmt.Errorf("environment %q names no account and region: synthesize with the configuration's accounts", env)
	}
	return parts[0], parts[1], nil
}

func readTemplate(path, stackName, account, region string) (*Stack, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	var t template
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, fmt.Errorf("read template %s: %w", path, err)
	}
	s := &Stack{Name: stackName, Account: account, Region: region}
	r := resolver{stack: s, t: &t, arns: map[string]string{}}

	ids := make([]string, 0, len(t.Resources))
	for id := range t.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		res := t.Resources[id]
		if res.Type != "AWS::Lambda::Function" {
			continue
		}
		// A step function's environment is plain strings; another
		// function's (an event Lambda's, naming the state machine) may
		// hold references, and is not run by the state machine.
		var vars struct {
			Variables map[string]json.RawMessage `json:"Variables"`
		}
		if e, ok := res.Properties["Environment"]; ok {
			if err := json.Unmarshal(e, &vars); err != nil {
				return nil, fmt.Errorf("function %s: environment: %w", id, err)
			}
		}
		var step string
		if v, ok := vars.Variables[workflow.EnvStep]; !ok || json.Unmarshal(v, &step) != nil || step == "" {
			continue // not a step function (e.g. an event Lambda, a custom-resource provider)
		}
		var env struct {
			Variables map[string]string `json:"Variables"`
		}
		if err := json.Unmarshal(res.Properties["Environment"], &env); err != nil {
			return nil, fmt.Errorf("function %s: environment must be plain strings: %w", id, err)
		}
		timeout := 3
		if v, ok := res.Properties["Timeout"]; ok {
			if err := json.Unmarshal(v, &timeout); err != nil {
				return nil, fmt.Errorf("function %s: timeout: %w", id, err)
			}
		}
		f := Function{
			LogicalID: id, Name: step, Env: env.Variables, TimeoutSeconds: timeout,
			ARN: fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, account, step),
		}
		r.arns[id] = f.ARN
		s.Functions = append(s.Functions, f)
	}
	for _, id := range ids {
		res := t.Resources[id]
		if res.Type != "AWS::StepFunctions::StateMachine" {
			continue
		}
		body, ok := res.Properties["DefinitionString"]
		if !ok {
			return nil, fmt.Errorf("state machine %s has no DefinitionString", id)
		}
		def, err := r.resolveString(body)
		if err != nil {
			return nil, fmt.Errorf("state machine %s: %w", id, err)
		}
		if !json.Valid([]byte(def)) {
			return nil, fmt.Errorf("state machine %s: the resolved definition is not JSON", id)
		}
		s.StateMachines = append(s.StateMachines, StateMachine{LogicalID: id, Definition: json.RawMessage(def)})
	}
	return s, nil
}

// resolver evaluates the intrinsic functions CDK uses in a definition string.
// Step Lambdas become their local ARNs; other resources become placeholder
// names or ARNs, which a local run never calls.
type resolver struct {
	stack *Stack
	t     *template
	arns  map[string]string
}

var errNotString = errors.New("not a string")

func (r *resolver) resolveString(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var fn map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fn); err != nil || len(fn) != 1 {
		return "", fmt.Errorf("cannot resolve %s: %w", raw, errNotString)
	}
	for name, arg := range fn {
		switch name {
		case "Fn::Join":
			var parts []json.RawMessage
			if err := json.Unmarshal(arg, &parts); err != nil || len(parts) != 2 {
				return "", fmt.Errorf("bad Fn::Join %s", arg)
			}
			sep, err := r.resolveString(parts[0])
			if err != nil {
				return "", err
			}
			var items []json.RawMessage
			if err := json.Unmarshal(parts[1], &items); err != nil {
				return "", fmt.Errorf("bad Fn::Join list %s", parts[1])
			}
			out := make([]string, len(items))
			for i, it := range items {
				if out[i], err = r.resolveString(it); err != nil {
					return "", err
				}
			}
			return strings.Join(out, sep), nil
		case "Ref":
			var ref string
			if err := json.Unmarshal(arg, &ref); err != nil {
				return "", fmt.Errorf("bad Ref %s", arg)
			}
			return r.ref(ref), nil
		case "Fn::GetAtt":
			var ga []string
			if err := json.Unmarshal(arg, &ga); err != nil || len(ga) != 2 {
				return "", fmt.Errorf("bad Fn::GetAtt %s", arg)
			}
			return r.getAtt(ga[0], ga[1]), nil
		case "Fn::Sub":
			var tmpl string
			if err := json.Unmarshal(arg, &tmpl); err != nil {
				return "", fmt.Errorf("only the one-argument Fn::Sub is supported: %s", arg)
			}
			return r.sub(tmpl), nil
		default:
			return "", fmt.Errorf("intrinsic %s is not supported in a local definition", name)
		}
	}
	panic("unreachable")
}

func (r *resolver) ref(name string) string {
	switch name {
	case "AWS::Partition":
		return "aws"
	case "AWS::Region":
		return r.stack.Region
	case "AWS::AccountId":
		return r.stack.Account
	case "AWS::URLSuffix":
		return "amazonaws.com"
	case "AWS::StackName":
		return r.stack.Name
	}
	if arn, ok := r.arns[name]; ok {
		return arn
	}
	return "local-" + name
}

func (r *resolver) getAtt(id, attr string) string {
	if arn, ok := r.arns[id]; ok && attr == "Arn" {
		return arn
	}
	typ := "resource"
	if res, ok := r.t.Resources[id]; ok {
		// AWS::SNS::Topic -> sns
		if parts := strings.Split(res.Type, "::"); len(parts) == 3 {
			typ = strings.ToLower(parts[1])
		}
	}
	return fmt.Sprintf("arn:aws:%s:%s:%s:local-%s-%s", typ, r.stack.Region, r.stack.Account, id, attr)
}

func (r *resolver) sub(tmpl string) string {
	var b strings.Builder
	for {
		i := strings.Index(tmpl, "${")
		if i < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		j := strings.Index(tmpl[i:], "}")
		if j < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		b.WriteString(tmpl[:i])
		name := tmpl[i+2 : i+j]
		if id, attr, ok := strings.Cut(name, "."); ok {
			b.WriteString(r.getAtt(id, attr))
		} else {
			b.WriteString(r.ref(name))
		}
		tmpl = tmpl[i+j+1:]
	}
}
