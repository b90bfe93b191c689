package step

import (
	"context"
	"errors"
	"testing"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// TestEachRegion: the rows come in region order with their warnings, a
// region that acted is a change in apply mode, and an error returns with
// no row added.
func TestEachRegion(t *testing.T) {
	regions := []string{"us-east-1", "eu-west-1", "ap-south-1"}
	res := workflow.StepResult{Mode: workflow.ModeApply}
	err := EachRegion(context.Background(), &res, "111111111111", "config", regions, 2, true,
		func(_ context.Context, region string, row *workflow.Outcome) ([]string, error) {
			if region == "eu-west-1" {
				row.Actions = []workflow.Action{{Call: "config:PutConfigurationRecorder"}}
			}
			return []string{"w " + region}, nil
		})
	if err != nil || len(res.Outcomes) != 3 || !res.Changed {
		t.Fatalf("%+v, %v", res, err)
	}
	for i, o := range res.Outcomes {
		if o.Region != regions[i] || o.Account != "111111111111" || o.Service != "config" || res.Warnings[i] != "w "+regions[i] {
			t.Errorf("row %d: %+v, warnings %v", i, o, res.Warnings)
		}
	}
	retry := &workflow.RetryableError{Op: "x", Err: errors.New("throttled")}
	res = workflow.StepResult{Mode: workflow.ModeApply}
	err = EachRegion(context.Background(), &res, "1", "config", regions, 3, true,
		func(_ context.Context, region string, _ *workflow.Outcome) ([]string, error) {
			if region == "ap-south-1" {
				return nil, retry
			}
			return nil, nil
		})
	if !errors.Is(err, retry) || len(res.Outcomes) != 0 {
		t.Errorf("%v, %+v", err, res.Outcomes)
	}
	res = workflow.StepResult{}
	SkipRegions(&res, "", "config", nil, "why")
	if len(res.Outcomes) != 1 || res.Outcomes[0].Account != "-" || res.Outcomes[0].Region != "-" || res.Outcomes[0].Status != workflow.StatusSkipped {
		t.Errorf("skip: %+v", res.Outcomes)
	}
}
