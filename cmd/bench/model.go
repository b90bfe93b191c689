package main

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/orgbaseline/orgbaseline/shared/local/localsfn"
	"github.com/orgbaseline/orgbaseline/shared/registry"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// What the model holds runs against and prices them at.
const (
	// historyLimit is the most events one execution's history may hold
	// ("Step Functions service quotas": maximum execution history size).
	historyLimit = 25000
	// payloadLimit is the largest input or output of a task, a state or an
	// execution (the same page); the local run enforces it too.
	payloadLimit = localsfn.MaxPayloadBytes
	// secondsPerCall is the modelled time of one AWS call.
	secondsPerCall = 0.1
	// dollarsPerTransition is Standard workflows' price per state
	// transition: $0.025 per 1,000.
	dollarsPerTransition = 0.025 / 1000
)

// scale is an organization the model is evaluated on.
type scale struct{ accounts, regions int }

var modelScales = []scale{{1000, 17}, {5000, 17}}

// kindModel is what the invocations of one kind of a step cost in a run,
// as lines over the organization's size (its accounts).
type kindModel struct {
	invocations line
	// Over all the invocations: calls in the home region (with the global
	// endpoints), calls in the other regions (per other region for an
	// invocation that covers every region), and of those the mutating.
	home, other, homeMut, otherMut line
	// The same of the invocation that made the most calls.
	maxHome, maxOther line
	// The largest parts of one result (resultParts): what the step bounds,
	// of which the outcomes in the other regions (per other region for an
	// invocation that covers every region), and the rest.
	bounded, boundedOther, rest line
}

// per is l over the invocations at x: a figure of one invocation.
func (k *kindModel) per(l line, x float64) float64 {
	n := k.invocations.at(x)
	if n < 0.5 {
		return 0
	}
	return l.at(x) / n
}

// stepModel is one step of one kind of run.
type stepModel struct {
	spec   workflow.StepSpec
	stages []stage
	kinds  map[string]*kindModel
	// polls is the extra invocations of each Map iteration of a step
	// with a Poll, as measured.
	polls line
	// assumeRole is the step's sts:AssumeRole calls in a run, and any
	// call it made outside an invocation.
	assumeRole line
	// timeout is the shorter of the function's and the Task's timeouts.
	timeout int
}

// runModel is one kind of run.
type runModel struct {
	kind    string
	steps   []stepModel
	covered line // accounts the run covers
	// measured is the largest measured run of this kind: the model's
	// state payload is calibrated on it.
	measured runFigures
	mRegions int
}

// model models runs of each kind from the measurement and the definition.
type model struct {
	def  asl
	top  []string
	runs []runModel
}

func newModel(m measurement) (*model, error) {
	mod := &model{}
	if err := json.Unmarshal(m.definition, &mod.def); err != nil {
		return nil, fmt.Errorf("the synthesized definition: %w", err)
	}
	top, err := mod.def.topLevel()
	if err != nil {
		return nil, err
	}
	mod.top = top
	for _, kind := range runKinds {
		var runs []runFigures
		for _, r := range m.runs {
			if r.kind == kind {
				runs = append(runs, r)
			}
		}
		rm, err := mod.runModel(kind, runs, m.functions)
		if err != nil {
			return nil, err
		}
		mod.runs = append(mod.runs, rm)
	}
	if err := mod.check(m.runs); err != nil {
		return nil, err
	}
	return mod, nil
}

func (mod *model) runModel(kind string, runs []runFigures, fns []localsfn.Function) (runModel, error) {
	if len(runs) == 0 {
		return runModel{}, fmt.Errorf("no %s was measured", kind)
	}
	xs := make([]float64, len(runs))
	covered := make([]float64, len(runs))
	for i, r := range runs {
		xs[i], covered[i] = float64(r.orgAccounts), float64(r.accounts)
	}
	rm := runModel{kind: kind, covered: fit(xs, covered), measured: runs[len(runs)-1], mRegions: runs[0].regions}
	for _, spec := range registry.Specs() {
		if _, ok := mod.def.States[spec.States()[0]]; !ok {
			// A step the runs' configuration does not need is not in the
			// state machine (registry.For).
			continue
		}
		st, err := stages(mod.def, spec)
		if err != nil {
			return rm, err
		}
		sm := stepModel{spec: spec, stages: st, kinds: map[string]*kindModel{}, timeout: timeoutOf(spec, st, fns)}
		for _, k := range []string{kindHome, kindOther, kindAll} {
			sm.kinds[k] = fitKind(runs, xs, spec.Name, k)
		}
		sm.polls = fitPolls(runs, xs, sm)
		assume := make([]float64, len(runs))
		for i, r := range runs {
			assume[i] = float64(r.step(spec.Name).assumeRole + r.step(spec.Name).unattributed)
		}
		sm.assumeRole = fit(xs, assume)
		rm.steps = append(rm.steps, sm)
	}
	return rm, nil
}

// fitKind fits the figures of one kind of a step's invocations over the
// runs. Calls are fitted as totals over a run and divided by the fitted
// invocations: a step that runs once per account makes calls that grow
// with the accounts in total, whatever the mix of accounts.
func fitKind(runs []runFigures, xs []float64, step, kind string) *kindModel {
	cols := make([][]float64, 11)
	for i := range cols {
		cols[i] = make([]float64, len(runs))
	}
	for i, r := range runs {
		k := r.step(step).kinds[kind]
		if k == nil || k.invocations == 0 {
			continue
		}
		regions := 1.0
		if kind == kindAll {
			regions = float64(r.regions - 1) // other-region figures per other region
		}
		for j, v := range []float64{float64(k.invocations), float64(k.home.total()), float64(k.other.total()) / regions,
			float64(k.home.mutating), float64(k.other.mutating) / regions, float64(k.maxHome), float64(k.maxOther) / regions,
			float64(k.bounded), float64(k.boundedOther) / regions, float64(k.rest)} {
			cols[j][i] = v
		}
	}
	l := func(j int) line { return fit(xs, cols[j]) }
	return &kindModel{invocations: l(0), home: l(1), other: l(2), homeMut: l(3), otherMut: l(4), maxHome: l(5), maxOther: l(6),
		bounded: l(7), boundedOther: l(8), rest: l(9)}
}

// fitPolls fits the extra invocations per Map iteration of a step with a
// Poll (0 for the others).
func fitPolls(runs []runFigures, xs []float64, sm stepModel) line {
	if sm.spec.Poll == nil {
		return line{}
	}
	ys := make([]float64, len(runs))
	for i, r := range runs {
		items := sm.items(scale{r.orgAccounts, r.regions}, float64(r.accounts))
		if items > 0 {
			ys[i] = float64(r.step(sm.spec.Name).invocations)/items - 1
		}
	}
	return fit(xs, ys)
}

// items is the number of Map iterations of the step's Map states on sc,
// for a run covering covered accounts.
func (sm stepModel) items(sc scale, covered float64) float64 {
	n := 0.0
	for _, st := range sm.stages {
		n += itemsOf(st.over, sc, covered)
	}
	return n
}

func itemsOf(over string, sc scale, covered float64) float64 {
	switch over {
	case overOtherRegions:
		return float64(sc.regions - 1)
	case overRegions:
		return float64(sc.regions)
	case overAccounts:
		return covered
	case overHomeRegion:
		return 1
	}
	return 0
}

// timeoutOf is the shorter of the step function's timeout and its Task's.
func timeoutOf(spec workflow.StepSpec, st []stage, fns []localsfn.Function) int {
	t := math.MaxInt
	for _, f := range fns {
		if f.Name == spec.Name && f.TimeoutSeconds > 0 {
			t = f.TimeoutSeconds
		}
	}
	for _, s := range st {
		task := s.def
		if s.def.ItemProcessor != nil {
			for _, inner := range s.def.ItemProcessor.States {
				if inner.Type == "Task" {
					task = inner
				}
			}
		}
		if task.TimeoutSeconds > 0 {
			t = min(t, task.TimeoutSeconds)
		}
	}
	return t
}

// check holds the model to the runs it was fitted on: at each measured size,
// the invocations of every step (its Map iterations, retries aside, and
// polls as measured) and the states entered must be what the local
// interpreter counted.
func (mod *model) check(runs []runFigures) error {
	var problems []string
	for _, r := range runs {
		rm := mod.run(r.kind)
		est := rm.estimate(mod, scale{r.orgAccounts, r.regions})
		for _, s := range est.steps {
			if got := r.step(s.name).invocations; math.Abs(s.invocations-float64(got)) > 0.5 {
				problems = append(problems, fmt.Sprintf("%s on %d accounts: step %s: the model gives %.1f invocations, the run made %d", r.kind, r.orgAccounts, s.name, s.invocations, got))
			}
		}
		if math.Abs(est.transitions-float64(r.transitions)) > 0.5 {
			problems = append(problems, fmt.Sprintf("%s on %d accounts: the model gives %.0f state transitions, the local run entered %d states", r.kind, r.orgAccounts, est.transitions, r.transitions))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("the model does not match the runs it models:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

func (mod *model) run(kind string) runModel {
	for _, r := range mod.runs {
		if r.kind == kind {
			return r
		}
	}
	panic("no model of " + kind)
}
