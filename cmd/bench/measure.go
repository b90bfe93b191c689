package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/orgbaseline/orgbaseline/shared/local/localsfn"
	"github.com/orgbaseline/orgbaseline/shared/local/motorig"
	"github.com/orgbaseline/orgbaseline/shared/local/sdkcount"
	"github.com/orgbaseline/orgbaseline/shared/org/targets"
	"github.com/orgbaseline/orgbaseline/shared/report"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// The runs measured on each organization.
const (
	firstRun   = "first run"
	reRun      = "re-run"
	onboarding = "onboarding"
)

var runKinds = []string{firstRun, reRun, onboarding}

// measurement is everything measured, and what the model reads besides.
type measurement struct {
	regions    []string
	runs       []runFigures // by organization size, then runKinds
	definition []byte       // the synthesized state machine (the last one)
	functions  []localsfn.Function
}

// measure runs the three runs on an organization of each size.
func measure(ctx context.Context, o rigOptions, sizes []int) (measurement, error) {
	r, err := startRig(ctx, o)
	if err != nil {
		return measurement{}, err
	}
	defer r.Close()
	m := measurement{regions: o.regions}
	for _, n := range sizes {
		fmt.Fprintf(o.progress, "organization of %d accounts x %d regions\n", n, len(o.regions))
		runs, stack, err := r.measureOrg(ctx, n, runKinds)
		if err != nil {
			return m, fmt.Errorf("%d accounts: %w", n, err)
		}
		m.runs = append(m.runs, runs...)
		m.definition, m.functions = stack.StateMachines[0].Definition, stack.Functions
	}
	return m, nil
}

// measureOrg seeds an organization of n accounts and runs kinds on it.
func (r *rig) measureOrg(ctx context.Context, n int, kinds []string) ([]runFigures, *localsfn.Stack, error) {
	o, err := r.seed(ctx, n)
	if err != nil {
		return nil, nil, err
	}
	if len(o.stack.StateMachines) != 1 {
		return nil, nil, fmt.Errorf("the management stack has %d state machines; expect one", len(o.stack.StateMachines))
	}
	var out []runFigures
	for _, kind := range kinds {
		in := workflow.Input{Mode: workflow.ModeApply}
		if kind == onboarding {
			a, err := motorig.AddAccount(ctx, o.mgmt, &o.Org, "onboarded")
			if err != nil {
				return nil, nil, err
			}
			in.Accounts = []string{a.ID}
		}
		f, err := r.execute(ctx, o, kind, in)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", kind, err)
		}
		fmt.Fprintf(r.progress, "  %-10s %5d calls (%d mutating), %.1f per account x region, %.1fs\n",
			kind, f.calls.total(), f.calls.mutating, f.callsPerAccountRegion(), f.seconds)
		out = append(out, f)
	}
	return out, o.stack, nil
}

// observed is what a run's hooks saw.
type observed struct {
	mu          sync.Mutex
	invocations []localsfn.Invocation
	transitions int // states entered
	maxState    int // the largest state output, as Step Functions counts it
	maxStateAt  string
}

func (ob *observed) event(e localsfn.Event) {
	if e.State == nil {
		return
	}
	ob.mu.Lock()
	defer ob.mu.Unlock()
	switch e.Type {
	case "StateEntered":
		ob.transitions++
	case "StateExited":
		if e.State.PayloadBytes > ob.maxState {
			ob.maxState, ob.maxStateAt = e.State.PayloadBytes, e.State.Name
		}
	}
}

func (ob *observed) invoke(i localsfn.Invocation) {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	ob.invocations = append(ob.invocations, i)
}

// execute runs the state machine of o with in, its step processes counting
// their calls, and returns the run's figures. A run that does not succeed,
// or reports a failed row, is an error: its figures would mislead.
func (r *rig) execute(ctx context.Context, o *org, kind string, in workflow.Input) (runFigures, error) {
	out, err := r.runOnce(ctx, o, in, nil)
	if err != nil {
		return runFigures{}, err
	}
	exe, calls, ob, seconds := out.exe, out.calls, out.ob, out.seconds
	if exe.Status != "SUCCEEDED" {
		return runFigures{}, fmt.Errorf("the execution ended %s: %s: %s (step logs: %s)", exe.Status, exe.Error, exe.Cause, r.logs.Name())
	}
	if err := checkReport(in.Mode, exe); err != nil {
		return runFigures{}, err
	}
	covered, err := coveredAccounts(exe.Output)
	if err != nil {
		return runFigures{}, err
	}
	if len(in.Accounts) == 0 && covered != len(o.Accounts) {
		return runFigures{}, fmt.Errorf("the run covered %d accounts of the %d in the organization", covered, len(o.Accounts))
	}
	f := collect(kind, o.cfg.HomeRegion, calls, ob.invocations)
	f.orgAccounts, f.accounts, f.regions = len(o.Accounts), covered, len(r.regions)
	f.transitions, f.maxState, f.maxStateAt, f.seconds = ob.transitions, ob.maxState, ob.maxStateAt, seconds
	f.inputBytes = jsonSize(in)
	f.made, f.cfg = calls, o.cfg
	return f, nil
}

// runOutput is what one local run left: the execution, the calls its step
// processes made and the faults injected into them, and what its hooks
// saw.
type runOutput struct {
	exe     localsfn.Execution
	calls   []sdkcount.Call
	faults  []sdkcount.Fault
	ob      *observed
	seconds float64
}

// runOnce runs the state machine of o with in, its step processes counting
// their calls, with env added to their environment (the fault layer's).
func (r *rig) runOnce(ctx context.Context, o *org, in workflow.Input, env []string) (runOutput, error) {
	dir, err := os.MkdirTemp(r.work, "calls-")
	if err != nil {
		return runOutput{}, err
	}
	defer os.RemoveAll(dir)
	ob := &observed{}
	l := localsfn.Local{
		Stack: o.stack, Tools: r.tools,
		WorkerCommand: func(localsfn.Function) []string { return r.worker },
		WorkerEnv:     append(r.workerEnv(dir), env...),
		Logs:          r.logs,
		OnEvent:       ob.event,
		OnInvoke:      ob.invoke,
		// As apply --local: the emulated services apply changes at once.
		WaitMillis: 1000,
	}
	start := time.Now()
	exe, err := l.Execute(ctx, in)
	if err != nil {
		return runOutput{}, err
	}
	out := runOutput{exe: exe, ob: ob, seconds: time.Since(start).Seconds()}
	if out.calls, err = sdkcount.ReadDir(dir); err != nil {
		return runOutput{}, err
	}
	if out.faults, err = sdkcount.ReadFaults(dir); err != nil {
		return runOutput{}, err
	}
	return out, nil
}

// checkReport fails on a failed row of the run's report.
func checkReport(mode workflow.Mode, exe localsfn.Execution) error {
	rep, err := report.FromExecution(mode, exe.Status, exe.Output, exe.Error, exe.Cause)
	if err != nil {
		return err
	}
	for _, row := range rep.Rows {
		if row.Status == string(workflow.StatusFailed) {
			return fmt.Errorf("the run reports %s %s %s failed: %s", row.Account, row.Region, row.Service, row.Reason)
		}
	}
	return nil
}

// coveredAccounts reads how many accounts the run worked on from the
// org-targets result in the execution's output.
func coveredAccounts(output []byte) (int, error) {
	var out struct {
		Results map[string]json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal(output, &out); err != nil {
		return 0, fmt.Errorf("execution output: %w", err)
	}
	var t targets.Result
	if err := json.Unmarshal(out.Results[targets.Spec.ResultKey], &t); err != nil || len(t.Accounts) == 0 {
		return 0, fmt.Errorf("execution output: no accounts at $.results.%s (%v)", targets.Spec.ResultKey, err)
	}
	return len(t.Accounts), nil
}

func jsonSize(v any) int {
	b, _ := json.Marshal(v)
	return len(b)
}
