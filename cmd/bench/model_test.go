package main

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/orgbaseline/orgbaseline/shared/local/localsfn"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// definitionOf parses an ASL definition for the tests.
func definitionOf(t *testing.T, s string) asl {
	t.Helper()
	var d asl
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// A definition shaped as the state machine builds the shapes: a Task, a
// polled Map over the regions and a Distributed Map over the accounts.
const testDefinition = `{"StartAt": "Once", "States": {
  "Once": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:once", "TimeoutSeconds": 60, "ResultPath": "$.results.once", "Next": "PolledEachRegion"},
  "PolledEachRegion": {"Type": "Map", "MaxConcurrency": 3, "ResultPath": "$.results.polled", "Next": "PerAccountEachAccount",
    "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Polled", "States": {
      "Polled": {"Type": "Task", "Resource": "x", "ResultPath": "$.result", "Next": "PolledPending"},
      "PolledPending": {"Type": "Choice", "Choices": [{"Variable": "$.result.pending", "BooleanEquals": true, "Next": "PolledWait"}], "Default": "PolledResult"},
      "PolledWait": {"Type": "Wait", "Seconds": 30, "Next": "PolledAgain"},
      "PolledAgain": {"Type": "Pass", "Next": "Polled"},
      "PolledResult": {"Type": "Pass", "End": true}}}},
  "PerAccountEachAccount": {"Type": "Map", "MaxConcurrency": 5, "ResultPath": "$.results.perAccount", "Next": "Done",
    "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b", "Prefix": "p"}},
    "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "PerAccount", "States": {
      "PerAccount": {"Type": "Task", "Resource": "x", "End": true}}}},
  "Done": {"Type": "Succeed"}}}`

func TestUnknownShapeIsAnError(t *testing.T) {
	def := definitionOf(t, testDefinition)
	_, err := stages(def, workflow.StepSpec{Name: "per-account", State: "PerAccount", Shape: "each-account-region"})
	if err == nil || !strings.Contains(err.Error(), `shape "each-account-region" is not modelled`) {
		t.Errorf("expect an error naming the shape, got %v", err)
	}
	// A known shape whose states the definition does not have, or has of
	// another type, is an error too.
	if _, err := stages(def, workflow.StepSpec{Name: "x", State: "Missing", Shape: workflow.ShapeOnce}); err == nil {
		t.Error("a state missing from the definition was modelled")
	}
	if _, err := stages(def, workflow.StepSpec{Name: "x", State: "Done", Shape: workflow.ShapeOnce}); err == nil {
		t.Error("a Succeed state was modelled as a step's Task")
	}
}

func TestWalkTakesThePollLoop(t *testing.T) {
	iter := *definitionOf(t, testDefinition).States["PolledEachRegion"].ItemProcessor
	for polls, want := range map[int]pathCost{
		// Task, Choice, Pass.
		0: {transitions: 3, events: 5 + 2 + 2},
		// And twice Wait, Pass, Task, Choice.
		2: {transitions: 3 + 2*4, events: 9 + 2*(2+2+5+2), waitSeconds: 60},
	} {
		got, err := iter.walk(polls)
		if err != nil || got != want {
			t.Errorf("%d polls: expect %+v, got %+v (%v)", polls, want, got, err)
		}
	}
}

func TestFit(t *testing.T) {
	l := fit([]float64{5, 10, 20}, []float64{12, 22, 42})
	if math.Abs(l.a-2) > 1e-9 || math.Abs(l.b-2) > 1e-9 {
		t.Errorf("expect 2 + 2x, got %+v", l)
	}
	if e, a := 5.0, fit([]float64{7}, []float64{5}).at(1000); e != a {
		t.Errorf("one point: expect %v, got %v", e, a)
	}
	if e, a := 0.0, (line{a: 1, b: -1}).at(10); e != a {
		t.Errorf("a count is never below zero: got %v", a)
	}
}

func TestEstimateOfADistributedMapOverAccounts(t *testing.T) {
	def := definitionOf(t, testDefinition)
	spec := workflow.StepSpec{Name: "per-account", State: "PerAccount", Shape: workflow.ShapeEachAccount, MaxConcurrency: 5, RegionConcurrency: 4}
	st, err := stages(def, spec)
	if err != nil {
		t.Fatal(err)
	}
	// Each account: 3 calls in the home region and 2 in each other one;
	// measured on 2 regions, where each invocation was 1 of the accounts.
	sm := stepModel{spec: spec, stages: st, kinds: map[string]*kindModel{
		kindAll: {invocations: line{b: 1}, home: line{b: 3}, other: line{b: 2}, maxHome: line{a: 3}, maxOther: line{a: 2}, bounded: line{a: 500}},
	}}
	e := sm.estimate(scale{accounts: 100, regions: 9}, 100, 2)
	if e.invocations != 100 || e.calls != 100*(3+8*2) {
		t.Errorf("invocations %v, calls %v: expect 100 and %d", e.invocations, e.calls, 100*(3+8*2))
	}
	// Each child execution is one Task; the execution sees the Map only.
	if e.transitions != 1+100 || e.events != distributedMapEvent || e.child != executionEvents+taskEvents {
		t.Errorf("transitions %v, events %v, child events %v", e.transitions, e.events, e.child)
	}
	// 20 rounds of 5 accounts, each 3 calls then 2 rounds of 4 regions x 2 calls.
	if math.Abs(e.seconds-20*(3+2*2)*secondsPerCall) > 1e-9 {
		t.Errorf("seconds: expect %v, got %v", 20*(3+2*2)*secondsPerCall, e.seconds)
	}
	if !e.resultsInS3 || e.stored != float64(len(localsfn.ResultWriterOutput)) {
		t.Errorf("the results go to S3 and the state keeps where (%d bytes): got %v bytes", len(localsfn.ResultWriterOutput), e.stored)
	}
}
