package workflow

import (
	"encoding/json"
	"fmt"
	"time"
)

// ExecutionTimeout is the state machine's timeout. A Standard execution may
// run for up to a year ("Step Functions service quotas"); a run is bounded
// far below that, and RunBound says whether an organization fits. The
// bound counts every invocation at its Task timeout, so each per-account
// fan-out at 5,000 accounts adds about 21 hours to it (the Config
// recorders and the IAM Access Analyzer account analyzers by default,
// Security Hub's standards and Detective's invitations as options: 90
// hours with all four), while a real run takes a small part of that.
const ExecutionTimeout = 96 * time.Hour

// InvocationBound is the longest one step invocation takes as Step
// Functions sees it: the Task's timeout, a little above the function's.
const InvocationBound = 120 * time.Second

// EnvRunPaces carries the paces of a run's steps (Paces, as JSON) to the
// org-targets Lambda, which checks that the run fits in ExecutionTimeout.
const EnvRunPaces = "ORGBASELINE_RUN_PACES"

// Pace is what the length of a step's part of a run depends on.
type Pace struct {
	Step           string `json:"step"`
	Shape          Shape  `json:"shape,omitempty"`
	MaxConcurrency int    `json:"maxConcurrency,omitempty"`
	Poll           *Poll  `json:"poll,omitempty"`
}

// Paces returns the paces of specs, in order.
func Paces(specs []StepSpec) []Pace {
	out := make([]Pace, len(specs))
	for i, s := range specs {
		out[i] = Pace{Step: s.Name, Shape: s.Shape, MaxConcurrency: s.MaxConcurrency, Poll: s.Poll}
	}
	return out
}

// PacesFromJSON reads EnvRunPaces' value.
func PacesFromJSON(s string) ([]Pace, error) {
	var p []Pace
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return nil, fmt.Errorf("%s: %w", EnvRunPaces, err)
	}
	return p, nil
}

// RunBound is the longest a run of the steps may take on accounts x
// regions, retries aside: every invocation counted at InvocationBound, a
// Map's iterations in rounds of its MaxConcurrency, and a step with a Poll
// at its every check and wait (a Poll.OnboardingOnly one only in an
// onboarding run).
func RunBound(paces []Pace, accounts, regions int, onboarding bool) time.Duration {
	var total time.Duration
	for _, p := range paces {
		per := InvocationBound
		if p.Poll != nil && (onboarding || !p.Poll.OnboardingOnly) {
			per = time.Duration(p.Poll.MaxPolls) * (InvocationBound + time.Duration(p.Poll.IntervalSeconds)*time.Second)
		}
		total += time.Duration(p.invocations(accounts, regions)) * per
	}
	return total
}

// invocations is the number of invocations in a row (rounds) of the step.
func (p Pace) invocations(accounts, regions int) int {
	rounds := func(n int) int {
		c := max(p.MaxConcurrency, 1)
		return (n + c - 1) / c
	}
	switch p.Shape {
	case ShapeHomeThenOtherRegions:
		return 1 + rounds(max(regions-1, 0))
	case ShapeEachRegion:
		return rounds(regions)
	case ShapeEachAccount:
		return rounds(accounts)
	}
	return 1
}
