package localsfn

import (
	"strings"
	"testing"
)

// The local run holds payloads to Step Functions' limit, as AWS does, and the
// error it fails with is terminal: the states under test all have a Catch on
// States.ALL (to Caught), which must not take it.

func stateExited(events []Event, state string) (Event, bool) {
	for _, e := range events {
		if e.Type == "StateExited" && e.State != nil && e.State.Name == state {
			return e, true
		}
	}
	return Event{}, false
}

func TestLambdaResultOverTheLimitFailsTheExecution(t *testing.T) {
	res, events, invocations := localRunInvocations(t, testInput{Then: "big-result", Dir: t.TempDir(), Size: MaxPayloadBytes})
	if res.Status != "FAILED" || res.Error != ErrDataLimitExceeded {
		t.Fatalf("expect FAILED with %s, got %s %s %s", ErrDataLimitExceeded, res.Status, res.Error, res.Cause)
	}
	if !strings.Contains(res.Cause, "function:big' returned a result with a size exceeding the maximum number of bytes service limit") {
		t.Errorf("cause does not say which task and why: %s", res.Cause)
	}
	if n := count(events, "StateCaught", ""); n != 0 {
		t.Errorf("a Catch on States.ALL took %s (%d times); it is terminal on AWS", ErrDataLimitExceeded, n)
	}
	var big *Invocation
	for i := range invocations {
		if invocations[i].Function == "big" {
			big = &invocations[i]
		}
	}
	if big == nil || big.ErrorType != ErrDataLimitExceeded || big.ResultBytes <= MaxPayloadBytes || big.RequestID == "" {
		t.Errorf("the invocation as seen: %+v", big)
	}
}

func TestLambdaResultUnderTheLimitPasses(t *testing.T) {
	// {"data":"x..."} with 200,000 x is under 256 KiB; the state carries it.
	res, events := localRun(t, testInput{Then: "big-result", Dir: t.TempDir(), Size: 200000})
	if res.Status != "SUCCEEDED" {
		t.Fatalf("expect SUCCEEDED, got %s %s %s", res.Status, res.Error, res.Cause)
	}
	e, ok := stateExited(events, "BigResult")
	if !ok || e.State.PayloadBytes < 200000 || e.State.PayloadBytes > MaxPayloadBytes {
		t.Errorf("BigResult's output size as counted: %+v", e.State)
	}
}

func TestStateOutputOverTheLimitFailsTheExecution(t *testing.T) {
	// Each iteration's result is 100,000 bytes, under the limit; the Map's
	// output holds three of them.
	res, events := localRun(t, testInput{Then: "big-state", Dir: t.TempDir(), Size: 100000, Items: []int{1, 2, 3}})
	if res.Status != "FAILED" || res.Error != ErrDataLimitExceeded {
		t.Fatalf("expect FAILED with %s, got %s %s %s", ErrDataLimitExceeded, res.Status, res.Error, res.Cause)
	}
	if !strings.Contains(res.Cause, "'BigMap' returned a result with a size exceeding") {
		t.Errorf("cause does not name the state: %s", res.Cause)
	}
	if e, a := 3, count(events, "StateExited", "BigItem"); e != a {
		t.Errorf("expect the %d iterations to have run, got %d", e, a)
	}
	if _, ok := stateExited(events, "BigMap"); ok {
		t.Error("the Map over the limit exited")
	}
	if n := count(events, "StateCaught", ""); n != 0 {
		t.Errorf("a Catch on States.ALL took %s (%d times); it is terminal on AWS", ErrDataLimitExceeded, n)
	}
}

func TestDistributedMapResultsCountAsTheirReference(t *testing.T) {
	// The same results from a Distributed Map with a ResultWriter: AWS puts
	// them in S3 and only their location in the state.
	res, events := localRun(t, testInput{Then: "big-distributed", Dir: t.TempDir(), Size: 100000, Items: []int{1, 2, 3}})
	if res.Status != "SUCCEEDED" {
		t.Fatalf("expect SUCCEEDED, got %s %s %s", res.Status, res.Error, res.Cause)
	}
	e, ok := stateExited(events, "BigDistributed")
	if !ok || e.State.PayloadBytes <= 0 || e.State.PayloadBytes > 2000 {
		t.Fatalf("BigDistributed's output size as counted: %+v", e.State)
	}
	if len(e.State.Output) < 300000 {
		t.Errorf("the interpreter keeps the results inline (the report reads them there), got %d bytes", len(e.State.Output))
	}
}
