package main

import (
	"fmt"
	"math"

	"github.com/orgbaseline/orgbaseline/shared/local/localsfn"
)

// stepEstimate is one step's modelled part of a run.
type stepEstimate struct {
	name                     string
	invocations              float64
	calls, mutating          float64
	seconds                  float64 // the step's part of the run's wall time
	slowest                  float64 // the longest invocation, seconds
	timeout                  int     // its timeout, seconds
	transitions              float64
	events, worstEvents      float64 // in the execution's history (worst: every Poll at MaxPolls)
	child, worstChild        float64 // in one child execution's history (Distributed Map)
	stored                   float64 // bytes the step's results add to the state
	maxResult                float64 // the largest result of one invocation
	distributed, resultsInS3 bool
}

// runEstimate is one modelled run.
type runEstimate struct {
	kind                string
	scale               scale
	covered             float64
	steps               []stepEstimate
	calls, mutating     float64
	transitions         float64
	events, worstEvents float64
	child, worstChild   float64
	maxState            float64
	maxResult           float64
	maxResultStep       string
	seconds             float64
	dollars             float64
}

// estimate models the run on sc.
func (rm runModel) estimate(mod *model, sc scale) runEstimate {
	e := runEstimate{kind: rm.kind, scale: sc, covered: math.Round(rm.covered.at(float64(sc.accounts)))}
	e.events = executionEvents
	e.worstEvents = executionEvents
	stepStates := map[string]bool{}
	for _, sm := range rm.steps {
		s := sm.estimate(sc, e.covered, rm.mRegions)
		e.steps = append(e.steps, s)
		e.calls += s.calls
		e.mutating += s.mutating
		e.transitions += s.transitions
		e.events += s.events
		e.worstEvents += s.worstEvents
		e.child = max(e.child, s.child)
		e.worstChild = max(e.worstChild, s.worstChild)
		e.seconds += s.seconds
		if s.maxResult > e.maxResult {
			e.maxResult, e.maxResultStep = s.maxResult, s.name
		}
		for _, st := range sm.stages {
			stepStates[st.state] = true
		}
	}
	// The states between and after the steps (the end state).
	for _, name := range mod.top {
		if !stepStates[name] {
			e.transitions++
			e.events += plainEvents
			e.worstEvents += plainEvents
		}
	}
	e.maxState = rm.stateBytes(e, sc)
	e.dollars = e.transitions * dollarsPerTransition
	return e
}

// stateBytes models the largest state: the one at the end of the run,
// which holds every step's results. It is calibrated on the largest
// measured run of the kind: its largest state as the local run counted it
// (see localsfn.MaxPayloadBytes), less what the model gives the steps'
// results there, plus what it gives them on sc.
func (rm runModel) stateBytes(e runEstimate, sc scale) float64 {
	m := rm.measured
	mSteps := 0.0
	for _, sm := range rm.steps {
		mSteps += sm.estimate(scale{m.orgAccounts, m.regions}, float64(m.accounts), rm.mRegions).stored
	}
	stored := 0.0
	for _, s := range e.steps {
		stored += s.stored
	}
	return float64(m.maxState) - mSteps + stored
}

// estimate models the step on sc, for a run covering covered accounts;
// mRegions is the number of regions measured.
func (sm stepModel) estimate(sc scale, covered float64, mRegions int) stepEstimate {
	x := float64(sc.accounts)
	e := stepEstimate{name: sm.spec.Name, timeout: sm.timeout}
	for _, st := range sm.stages {
		polls := 0.0
		if st.over != overNothing {
			polls = math.Round(sm.polls.at(x))
		}
		kinds := stageKinds(st.over, sc, covered)
		var itemSeconds, stored float64
		for kind, n := range kinds {
			k := sm.kinds[kind]
			inv := sm.invocation(k, kind, x, sc)
			e.invocations += n * (1 + polls)
			e.calls += n * (1 + polls) * inv.calls
			e.mutating += n * (1 + polls) * inv.mutating
			e.slowest = max(e.slowest, inv.slowest)
			itemSeconds = max(itemSeconds, inv.seconds)
			result := sm.result(k, kind, x, sc, mRegions)
			e.maxResult = max(e.maxResult, result)
			stored += n * result
		}
		e.stored += sm.stateCost(&e, st, kinds, polls, itemSeconds, stored)
	}
	// The role assumptions, spread over the step's concurrent invocations.
	assume := sm.assumeRole.at(x)
	e.calls += assume
	e.seconds += assume * secondsPerCall / float64(max(sm.spec.MaxConcurrency, 1))
	return e
}

// stateCost adds the transitions, history events and wall time of stage
// st, whose iterations (by kind) take itemSeconds each, and returns the
// bytes it adds to the state: results, the results of its iterations as an
// array, or where a Distributed Map wrote them.
func (sm stepModel) stateCost(e *stepEstimate, st stage, kinds map[string]float64, polls, itemSeconds, results float64) float64 {
	if st.over == overNothing {
		e.transitions++
		e.events += taskEvents
		e.worstEvents += taskEvents
		e.seconds += itemSeconds
		return results
	}
	items := 0.0
	for _, n := range kinds {
		items += n
	}
	iter, _ := st.def.ItemProcessor.walk(int(polls))
	worst := iter
	if sm.spec.Poll != nil {
		worst, _ = st.def.ItemProcessor.walk(sm.spec.Poll.MaxPolls)
	}
	e.transitions += 1 + items*float64(iter.transitions)
	concurrency := float64(st.def.MaxConcurrency)
	if concurrency == 0 {
		concurrency = items
	}
	rounds := math.Ceil(items / max(concurrency, 1))
	e.seconds += rounds * ((1+polls)*itemSeconds + float64(iter.waitSeconds))
	if st.def.distributed() {
		e.distributed = true
		e.events += distributedMapEvent
		e.worstEvents += distributedMapEvent
		e.child = max(e.child, float64(executionEvents+iter.events))
		e.worstChild = max(e.worstChild, float64(executionEvents+worst.events))
		if len(st.def.ResultWriter) > 0 {
			// On AWS the results go to S3; the state holds where.
			e.resultsInS3 = true
			return float64(len(localsfn.ResultWriterOutput))
		}
	} else {
		e.events += inlineMapEvents + items*float64(inlineIterEvents+iter.events)
		e.worstEvents += inlineMapEvents + items*float64(inlineIterEvents+worst.events)
	}
	return results + items + 1 // [a,b,...]
}

// stageKinds returns how many invocations of each kind one pass of a stage
// makes.
func stageKinds(over string, sc scale, covered float64) map[string]float64 {
	switch over {
	case overNothing:
		return map[string]float64{kindAll: 1}
	case overOtherRegions:
		return map[string]float64{kindOther: float64(sc.regions - 1)}
	case overRegions:
		return map[string]float64{kindHome: 1, kindOther: float64(sc.regions - 1)}
	case overAccounts:
		return map[string]float64{kindAll: covered}
	case overHomeRegion:
		return map[string]float64{kindHome: 1}
	}
	panic(fmt.Sprintf("stage over %q", over))
}

// invocationEstimate is one modelled invocation.
type invocationEstimate struct {
	calls, mutating float64
	seconds         float64 // an invocation's time, as the mean invocation of its kind
	slowest         float64 // the time of the one that makes the most calls
}

// invocation models one invocation of kind k on sc (x accounts). An
// invocation that covers every region makes its home-region calls, then
// the other regions' RegionConcurrency at a time (one at a time without
// it); any other invocation makes its calls one after another.
func (sm stepModel) invocation(k *kindModel, kind string, x float64, sc scale) invocationEstimate {
	if kind != kindAll {
		calls := k.per(k.home, x) + k.per(k.other, x)
		return invocationEstimate{calls: calls, mutating: k.per(k.homeMut, x) + k.per(k.otherMut, x),
			seconds: calls * secondsPerCall, slowest: (k.maxHome.at(x) + k.maxOther.at(x)) * secondsPerCall}
	}
	others := float64(sc.regions - 1)
	rounds := math.Ceil(others / float64(max(sm.spec.RegionConcurrency, 1)))
	return invocationEstimate{
		calls:    k.per(k.home, x) + others*k.per(k.other, x),
		mutating: k.per(k.homeMut, x) + others*k.per(k.otherMut, x),
		seconds:  (k.per(k.home, x) + rounds*k.per(k.other, x)) * secondsPerCall,
		slowest:  (k.maxHome.at(x) + rounds*k.maxOther.at(x)) * secondsPerCall,
	}
}

// result models the largest result of one invocation of kind k on sc (x
// accounts; mRegions measured): what the step bounds, with its outcomes in
// the other regions scaled to sc's regions for an invocation that covers
// every region, at most the step's bound (step.Define folds the rest),
// plus what the result carries beside it.
func (sm stepModel) result(k *kindModel, kind string, x float64, sc scale, mRegions int) float64 {
	bounded := k.bounded.at(x)
	if kind == kindAll {
		bounded += k.boundedOther.at(x) * float64(sc.regions-mRegions)
	}
	return k.rest.at(x) + min(bounded, float64(sm.spec.ResultBytes()))
}
