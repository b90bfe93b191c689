package main

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// asl is the part of a state machine definition (Amazon States Language)
// the model reads.
type asl struct {
	StartAt string              `json:"StartAt"`
	States  map[string]aslState `json:"States"`
}

type aslState struct {
	Type    string `json:"Type"`
	Next    string `json:"Next"`
	End     bool   `json:"End"`
	Default string `json:"Default"`
	Choices []struct {
		Next string `json:"Next"`
	} `json:"Choices"`
	MaxConcurrency int             `json:"MaxConcurrency"`
	Seconds        int             `json:"Seconds"`
	TimeoutSeconds int             `json:"TimeoutSeconds"`
	ResultWriter   json.RawMessage `json:"ResultWriter"`
	ItemProcessor  *struct {
		ProcessorConfig struct {
			Mode string `json:"Mode"`
		} `json:"ProcessorConfig"`
		asl
	} `json:"ItemProcessor"`
}

func (s aslState) distributed() bool {
	return s.ItemProcessor != nil && s.ItemProcessor.ProcessorConfig.Mode == "DISTRIBUTED"
}

// History events of one state in a Standard execution's history, on the
// path a successful run takes: a Lambda Task is TaskStateEntered,
// LambdaFunctionScheduled, LambdaFunctionStarted, LambdaFunctionSucceeded and
// TaskStateExited; Pass, Wait, Choice and Succeed are entered and exited; an
// inline Map is MapStateEntered, MapStateStarted, MapStateSucceeded and
// MapStateExited, plus MapIterationStarted and MapIterationSucceeded per
// iteration around the iteration's own events; a Distributed Map is
// MapStateEntered, MapRunStarted, MapRunSucceeded and MapStateExited in the
// execution, each iteration being a child execution with a history of its
// own (ExecutionStarted, its states, ExecutionSucceeded). An execution adds
// ExecutionStarted and ExecutionSucceeded.
const (
	taskEvents          = 5
	plainEvents         = 2
	inlineMapEvents     = 4
	inlineIterEvents    = 2
	distributedMapEvent = 4
	executionEvents     = 2
)

// pathCost is what one pass through a definition costs: states entered
// (state transitions), history events and seconds in Wait states.
type pathCost struct {
	transitions, events int
	waitSeconds         int
}

// walk follows the definition from StartAt to its end, as a successful run
// goes: Next, and at a Choice its Default, except that loops times the
// Choice's first branch is taken instead (a step's Poll: pending, wait, call
// again). Nested Maps are not modelled.
func (d asl) walk(loops int) (pathCost, error) {
	var c pathCost
	name := d.StartAt
	for steps := 0; ; steps++ {
		s, ok := d.States[name]
		if !ok || steps > 10000 {
			return c, fmt.Errorf("state %q: not in the definition, or the path does not end", name)
		}
		c.transitions++
		switch s.Type {
		case "Task":
			c.events += taskEvents
		case "Pass", "Choice", "Succeed":
			c.events += plainEvents
		case "Wait":
			c.events += plainEvents
			c.waitSeconds += s.Seconds
		default:
			return c, fmt.Errorf("state %q: a %s inside a Map iteration is not modelled", name, s.Type)
		}
		switch {
		case s.End || s.Type == "Succeed":
			return c, nil
		case s.Type == "Choice" && loops > 0 && len(s.Choices) > 0:
			loops--
			name = s.Choices[0].Next
		case s.Type == "Choice":
			name = s.Default
		default:
			name = s.Next
		}
	}
}

// Stages of a step: what its states iterate over.
const (
	overNothing      = ""              // a Task: one invocation
	overOtherRegions = "other regions" // a Map over the regions but the home region
	overRegions      = "regions"       // a Map over every region
	overAccounts     = "accounts"      // a Map over the accounts the run covers
	overHomeRegion   = "home region"   // a Map over the home region alone
)

// stage is one top-level state of a step.
type stage struct {
	state string
	def   aslState
	over  string
}

// stages returns the top-level states of spec in the definition, with what
// each iterates over, from the spec's shape. A shape the model does not
// know is an error, so that it never counts a step it does not understand.
func stages(def asl, spec workflow.StepSpec) ([]stage, error) {
	var over []string
	switch spec.Shape {
	case workflow.ShapeOnce:
		over = []string{overNothing}
	case workflow.ShapeHomeThenOtherRegions:
		over = []string{overNothing, overOtherRegions}
	case workflow.ShapeEachRegion:
		over = []string{overRegions}
	case workflow.ShapeEachAccount:
		over = []string{overAccounts}
	case workflow.ShapeHomeRegion:
		over = []string{overHomeRegion}
	default:
		return nil, fmt.Errorf("step %s: shape %q is not modelled (cmd/bench/definition.go knows %q, %q, %q, %q and %q): "+
			"say what its states iterate over there, or its figures would be wrong", spec.Name, spec.Shape,
			workflow.ShapeOnce, workflow.ShapeHomeThenOtherRegions, workflow.ShapeEachRegion, workflow.ShapeEachAccount, workflow.ShapeHomeRegion)
	}
	names := spec.States()
	if len(names) != len(over) {
		return nil, fmt.Errorf("step %s: shape %q has %d states (%v), the model expects %d", spec.Name, spec.Shape, len(names), names, len(over))
	}
	out := make([]stage, len(names))
	for i, name := range names {
		s, ok := def.States[name]
		if !ok {
			return nil, fmt.Errorf("step %s: state %s is not in the definition", spec.Name, name)
		}
		want := "Map"
		if over[i] == overNothing {
			want = "Task"
		}
		if s.Type != want || (want == "Map" && s.ItemProcessor == nil) {
			return nil, fmt.Errorf("step %s: state %s is a %s; shape %q makes it a %s", spec.Name, name, s.Type, spec.Shape, want)
		}
		out[i] = stage{state: name, def: s, over: over[i]}
	}
	return out, nil
}

// topLevel returns the states a successful run goes through, in order.
func (d asl) topLevel() ([]string, error) {
	var out []string
	for name := d.StartAt; ; {
		s, ok := d.States[name]
		if !ok || slices.Contains(out, name) {
			return nil, fmt.Errorf("state %q: not in the definition, or the path loops", name)
		}
		out = append(out, name)
		switch {
		case s.End || s.Type == "Succeed" || s.Type == "Fail":
			return out, nil
		case s.Type == "Choice":
			name = s.Default
		default:
			name = s.Next
		}
	}
}
