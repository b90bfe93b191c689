package workflow

import (
	"testing"
	"time"
)

func TestRunBoundCountsRoundsAndPolls(t *testing.T) {
	paces := []Pace{
		{Step: "once"},
		{Step: "home", Shape: ShapeHomeThenOtherRegions, MaxConcurrency: 3},
		{Step: "each-region", Shape: ShapeEachRegion, MaxConcurrency: 20, Poll: &Poll{IntervalSeconds: 30, MaxPolls: 4}},
		{Step: "each-account", Shape: ShapeEachAccount, MaxConcurrency: 8},
	}
	// 1 + (1 + ceil(16/3)=6) + 1 round x 4 x (120 s + 30 s) / 120 s + ceil(1000/8)=125
	want := time.Duration(1+7+125)*InvocationBound + 4*(InvocationBound+30*time.Second)
	if got := RunBound(paces, 1000, 17, false); got != want {
		t.Errorf("RunBound = %v, want %v", got, want)
	}
	if RunBound(paces, 2000, 17, false) <= RunBound(paces, 1000, 17, false) {
		t.Error("the bound does not grow with the accounts")
	}
	back, err := PacesFromJSON(`[{"step":"a","shape":"each-account","maxConcurrency":8}]`)
	if err != nil || len(back) != 1 || back[0].Shape != ShapeEachAccount || back[0].MaxConcurrency != 8 {
		t.Errorf("PacesFromJSON: %+v %v", back, err)
	}
	if _, err := PacesFromJSON("{"); err == nil {
		t.Error("bad JSON accepted")
	}
}
