package workflow

import (
	"encoding/json"
	"fmt"
)

// Result size bounds. Step Functions caps every state's input and output at
// 256 KiB ("Step Functions service quotas": maximum input or output size for
// a task, state, or execution), and the execution's state carries the
// results of every step, a Map's as an array of one result per region. A
// step result is therefore bounded whatever the organization's size: a
// region's result at StateResultBytes, the result of a step that runs once
// at OnceResultBytes, an account's result of a Distributed Map (written to
// S3, one object per child execution) at ChildResultBytes. Beyond its
// bound a result folds its rows into counted summary rows (Bound), and the
// step logs them one by one.
//
// Every region fan-out keeps one result per region in the state: at 5,000
// accounts (their IDs in the org-targets result) and 17 regions, the steps'
// results at these bounds must fit in 256 KiB, which StateBound computes
// and a test of the registry holds.
const (
	StateResultBytes = 1280
	OnceResultBytes  = 3 << 10
	ChildResultBytes = 64 << 10
)

// MaxPayloadBytes is Step Functions' limit on a state's input and output.
const MaxPayloadBytes = 256 << 10

// accountIDBytes is what one account ID takes in a JSON list:
// "123456789012", with its comma.
const accountIDBytes = 15

// resultReferenceBytes is what a Distributed Map with a ResultWriter keeps
// in the state in place of its results: where they were written.
const resultReferenceBytes = 512

// StateResults is how many results of the step the state keeps at the
// given number of regions: one a region for a region fan-out, none (a
// reference) for a Distributed Map over accounts.
func (s StepSpec) StateResults(regions int) int {
	switch s.Shape {
	case ShapeHomeThenOtherRegions, ShapeEachRegion:
		return regions
	case ShapeEachAccount:
		return 0
	}
	return 1 // ShapeOnce, ShapeHomeRegion
}

// StateBound is the largest the execution's state may grow to with specs at
// accounts x regions: every result kept in it at its bound, the
// Distributed Maps' references, the org-targets result's account and region
// lists, and an execution input naming no accounts (inputBytes). The
// result's accounts and the accounts the scope excludes (Excluded) are
// each the organization's at most once, so accounts counts both.
func StateBound(specs []StepSpec, accounts, regions, inputBytes int) int {
	n := inputBytes + accounts*accountIDBytes + regions*20
	for _, s := range specs {
		n += s.StateResults(regions) * s.ResultBytes()
		if s.Shape == ShapeEachAccount {
			n += resultReferenceBytes
		}
	}
	return n
}

// Keep, when a result is bounded: actions per outcome, and warnings.
const (
	keptActions  = 3
	keptWarnings = 5
)

// ResultBytes returns the step's bound: ChildResultBytes for a step whose
// results a Distributed Map writes to S3, OnceResultBytes for a step that
// keeps one result in the state, StateResultBytes for a region's result;
// the spec's ResultLimit when it is smaller.
func (s StepSpec) ResultBytes() int {
	n := StateResultBytes
	switch s.Shape {
	case ShapeEachAccount:
		n = ChildResultBytes
	case ShapeOnce:
		n = OnceResultBytes
	}
	if s.ResultLimit > 0 && s.ResultLimit < n {
		return s.ResultLimit
	}
	return n
}

// Bound shrinks the result to at most limit bytes of JSON, and returns the
// outcomes it folded into summary rows (for the step to log them, so that
// nothing is lost). In order, while the result is too large: the actions of
// each outcome beyond the first few become one action that counts them,
// warnings beyond the first few one warning that counts them, and then the
// last outcomes fold into one summary row per region, service and status
// (Count says how many account x region rows it stands for). Failed rows
// are kept before the others.
func (r *StepResult) Bound(limit int) (folded []Outcome) {
	if size(r) <= limit {
		return nil
	}
	for i := range r.Outcomes {
		if a := r.Outcomes[i].Actions; len(a) > keptActions {
			r.Outcomes[i].Actions = append(a[:keptActions:keptActions], Action{Call: fmt.Sprintf("%d more calls", len(a)-keptActions)})
		}
	}
	if len(r.Warnings) > keptWarnings {
		r.Warnings = append(r.Warnings[:keptWarnings:keptWarnings], fmt.Sprintf("%d more warnings in the step's log", len(r.Warnings)-keptWarnings))
	}
	if size(r) <= limit {
		return nil
	}
	all := failedFirst(r.Outcomes)
	keep := len(all)
	for keep > 0 {
		keep /= 2
		r.Outcomes = append(all[:keep:keep], summarize(all[keep:])...)
		if size(r) <= limit {
			break
		}
	}
	return all[keep:]
}

// failedFirst returns the outcomes with the failed ones first, each group
// in its order.
func failedFirst(in []Outcome) []Outcome {
	out := make([]Outcome, 0, len(in))
	for _, o := range in {
		if o.Status == StatusFailed {
			out = append(out, o)
		}
	}
	for _, o := range in {
		if o.Status != StatusFailed {
			out = append(out, o)
		}
	}
	return out
}

// summarize folds outcomes into one row per region, service and status, in
// the order each first appears.
func summarize(in []Outcome) []Outcome {
	type key struct {
		region, service string
		status          Status
	}
	idx := map[key]int{}
	var out []Outcome
	for _, o := range in {
		k := key{o.Region, o.Service, o.Status}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, Outcome{Account: SummaryAccount, Region: o.Region, Service: o.Service, Status: o.Status})
		}
		out[i].Count += o.Rows()
	}
	for i := range out {
		out[i].Reason = fmt.Sprintf("%d more rows, listed in the step's log", out[i].Count)
	}
	return out
}

// SummaryAccount is the account column of a row that stands for several.
const SummaryAccount = "*"

// Rows is how many account x region rows the outcome stands for.
func (o Outcome) Rows() int {
	if o.Count > 0 {
		return o.Count
	}
	return 1
}

func size(v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		return 0
	}
	return len(b)
}
