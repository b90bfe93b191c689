package main

import (
	"encoding/json"

	"github.com/orgbaseline/orgbaseline/shared/local/localsfn"
	"github.com/orgbaseline/orgbaseline/shared/local/sdkcount"
	"github.com/orgbaseline/orgbaseline/shared/registry"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// callCount counts calls, read and mutating.
type callCount struct{ reads, mutating int }

func (c callCount) total() int { return c.reads + c.mutating }

func (c *callCount) add(call sdkcount.Call) {
	if call.Mutating {
		c.mutating++
	} else {
		c.reads++
	}
}

// Invocation kinds, by the region in the task's input (a workflow.Item):
// the home region, another region, or none (the invocation covers every
// region of the run).
const (
	kindHome  = "home region"
	kindOther = "other region"
	kindAll   = "all regions"
)

// kindFigures are the invocations of one kind of a step.
type kindFigures struct {
	invocations int
	// home and other are the calls made in the home region (with the
	// global services' endpoints, which are in us-east-1, the benchmark's
	// home region) and in the other regions, over all the invocations;
	// maxHome and maxOther those of the invocation that made the most.
	home, other       callCount
	maxHome, maxOther int
	maxResult         int
	// The largest parts of one result (resultParts).
	rest, bounded, boundedOther int
}

// stepFigures are one step's part of a run.
type stepFigures struct {
	name        string
	invocations int
	calls       callCount
	maxResult   int // the largest result of one invocation, bytes of JSON
	kinds       map[string]*kindFigures
	// assumeRole counts the step's sts:AssumeRole calls, which are kept
	// out of the kinds: the credentials are cached per Lambda container,
	// so which invocation makes the call, and how many there are, depends
	// on how the invocations fall on containers.
	assumeRole int
	// unattributed are calls made outside an invocation.
	unattributed int
}

// runFigures are one run's figures.
type runFigures struct {
	kind        string
	orgAccounts int // accounts in the organization
	accounts    int // accounts the run covered (org-targets)
	regions     int
	steps       []stepFigures // in the registry's order
	calls       callCount
	transitions int    // states entered
	maxState    int    // the largest state output, as Step Functions counts it
	maxStateAt  string // the state that had it
	inputBytes  int    // the execution input
	seconds     float64
	// made are the calls themselves, cfg the configuration of the run.
	made []sdkcount.Call
	cfg  settings.Config
}

// callsPerAccountRegion is the run's calls over the accounts it covered
// times the regions.
func (f runFigures) callsPerAccountRegion() float64 {
	return float64(f.calls.total()) / float64(f.accounts*f.regions)
}

// maxResult returns the largest Lambda result of the run and its step.
func (f runFigures) maxResult() (int, string) {
	n, at := 0, ""
	for _, s := range f.steps {
		if s.maxResult > n {
			n, at = s.maxResult, s.name
		}
	}
	return n, at
}

func (f runFigures) step(name string) *stepFigures {
	for i := range f.steps {
		if f.steps[i].name == name {
			return &f.steps[i]
		}
	}
	return nil
}

// invocationFigures are one invocation's calls.
type invocationFigures struct {
	kind        *kindFigures
	home, other int
}

// collect adds up the calls and invocations of a run by step and kind.
func collect(kind, home string, calls []sdkcount.Call, invocations []localsfn.Invocation) runFigures {
	f := runFigures{kind: kind}
	for _, s := range registry.Specs() {
		f.steps = append(f.steps, stepFigures{name: s.Name, kinds: map[string]*kindFigures{}})
	}
	byID := map[string]*invocationFigures{}
	for _, inv := range invocations {
		s := f.step(inv.Function)
		if s == nil {
			continue
		}
		k := s.kind(invocationKind(inv.Input, home))
		k.invocations++
		k.maxResult = max(k.maxResult, inv.ResultBytes)
		rest, bounded, other := resultParts(inv.Result, home)
		k.rest, k.bounded, k.boundedOther = max(k.rest, rest), max(k.bounded, bounded), max(k.boundedOther, other)
		s.invocations++
		s.maxResult = max(s.maxResult, inv.ResultBytes)
		byID[inv.RequestID] = &invocationFigures{kind: k}
	}
	for _, c := range calls {
		f.calls.add(c)
		s := f.step(c.Step)
		if s == nil {
			continue
		}
		s.calls.add(c)
		inv, ok := byID[c.Invocation]
		switch {
		case c.Operation == "AssumeRole":
			s.assumeRole++
		case !ok:
			s.unattributed++
		case c.Region == home:
			inv.kind.home.add(c)
			inv.home++
			inv.kind.maxHome = max(inv.kind.maxHome, inv.home)
		default:
			inv.kind.other.add(c)
			inv.other++
			inv.kind.maxOther = max(inv.kind.maxOther, inv.other)
		}
	}
	return f
}

// resultParts splits a step's result (JSON) into the workflow.StepResult
// that step.Define bounds at the step's workflow.StepSpec.ResultBytes
// (bounded), of which the outcomes in regions other than home (other), and
// the rest: what a result carries beside it, such as org-targets' accounts.
func resultParts(result []byte, home string) (rest, bounded, other int) {
	var r workflow.StepResult
	if len(result) == 0 || json.Unmarshal(result, &r) != nil {
		return len(result), 0, 0
	}
	b, _ := json.Marshal(r)
	for _, o := range r.Outcomes {
		if o.Region != home && o.Region != workflow.RegionGlobal {
			ob, _ := json.Marshal(o)
			other += len(ob) + 1
		}
	}
	return max(len(result)-len(b), 0), len(b), other
}

func (s *stepFigures) kind(name string) *kindFigures {
	k, ok := s.kinds[name]
	if !ok {
		k = &kindFigures{}
		s.kinds[name] = k
	}
	return k
}

// invocationKind tells the kind of an invocation from its input.
func invocationKind(input []byte, home string) string {
	var item struct {
		Region string `json:"region"`
	}
	json.Unmarshal(input, &item)
	switch item.Region {
	case "":
		return kindAll
	case home:
		return kindHome
	}
	return kindOther
}
