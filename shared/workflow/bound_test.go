package workflow

import (
	"encoding/json"
	"fmt"
	"testing"
)

func bigResult(accounts int) StepResult {
	r := StepResult{Step: "s", Mode: ModeApply}
	for i := range accounts {
		o := Outcome{Account: fmt.Sprintf("%012d", i), Region: "eu-west-1", Service: "config"}
		if i%7 == 3 {
			o.Status, o.Reason = StatusFailed, "AccessDenied: not authorized to perform config:PutConfigurationRecorder"
		} else {
			o.Actions = []Action{{Call: "config:PutConfigurationRecorder"}, {Call: "config:PutDeliveryChannel"}, {Call: "config:StartConfigurationRecorder"}, {Call: "iam:CreateServiceLinkedRole"}}
		}
		r.Add(o)
	}
	for i := range 20 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("warning %d", i))
	}
	return r
}

// Step Functions caps a state's payload at 256 KiB ("Step Functions
// service quotas"): a result stays under its bound at any size, and its
// summary rows still count every account.
func TestBoundKeepsResultUnderLimitAndCountsEveryRow(t *testing.T) {
	for _, n := range []int{10, 1000, 5000} {
		r := bigResult(n)
		folded := r.Bound(StateResultBytes)
		b, _ := json.Marshal(r)
		if len(b) > StateResultBytes {
			t.Fatalf("%d accounts: %d bytes after Bound, limit %d", n, len(b), StateResultBytes)
		}
		rows, failed := 0, 0
		for _, o := range r.Outcomes {
			rows += o.Rows()
			if o.Status == StatusFailed {
				failed += o.Rows()
			}
		}
		if rows != n {
			t.Errorf("%d accounts: the bounded rows stand for %d", n, rows)
		}
		if want := (n + 3) / 7; failed != want {
			t.Errorf("%d accounts: %d failed rows after Bound, want %d", n, failed, want)
		}
		kept := 0
		for _, o := range r.Outcomes {
			if o.Account != SummaryAccount {
				kept++
			}
		}
		if kept+len(folded) != n {
			t.Errorf("%d accounts: %d kept + %d folded", n, kept, len(folded))
		}
	}
}

func TestBoundKeepsFailedRowsFirstAndSmallResultsWhole(t *testing.T) {
	r := bigResult(200)
	r.Bound(StateResultBytes)
	if r.Outcomes[0].Status != StatusFailed {
		t.Errorf("first row after Bound is %s, want the failed rows first", r.Outcomes[0].Status)
	}
	small := bigResult(2)
	before, _ := json.Marshal(small)
	if folded := small.Bound(StateResultBytes); folded != nil {
		t.Errorf("a small result folded %d rows", len(folded))
	}
	after, _ := json.Marshal(small)
	if string(before) != string(after) {
		t.Errorf("a small result changed:\n%s\n%s", before, after)
	}
}

func TestBoundCountsCollapsedActions(t *testing.T) {
	r := StepResult{Step: "s", Mode: ModeApply}
	var actions []Action
	for i := range 400 {
		actions = append(actions, Action{Call: "guardduty:CreateMembers", Target: fmt.Sprintf("batch %d", i)})
	}
	r.Add(Outcome{Account: "111111111111", Region: "eu-west-1", Service: "guardduty", Actions: actions})
	r.Bound(StateResultBytes)
	got := r.Outcomes[0].Actions
	if len(got) != keptActions+1 || got[keptActions].Call != "397 more calls" {
		t.Errorf("actions after Bound: %v", got)
	}
}

// A spec's ResultLimit bounds its results only below its shape's bound.
func TestResultLimit(t *testing.T) {
	for _, c := range []struct {
		spec StepSpec
		want int
	}{
		{StepSpec{Shape: ShapeEachRegion}, StateResultBytes},
		{StepSpec{Shape: ShapeEachRegion, ResultLimit: 600}, 600},
		{StepSpec{Shape: ShapeEachRegion, ResultLimit: 1 << 20}, StateResultBytes},
	} {
		if got := c.spec.ResultBytes(); got != c.want {
			t.Errorf("%+v: %d, want %d", c.spec, got, c.want)
		}
	}
}
