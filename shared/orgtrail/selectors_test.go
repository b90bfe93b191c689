package orgtrail

import (
	"reflect"
	"strings"
	"testing"

	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

func insightNames(sel []cttypes.InsightSelector) []string {
	var out []string
	for _, s := range sel {
		out = append(out, string(s.InsightType))
	}
	return out
}

// Insights switched off in the configuration are left on the trail, with a
// warning that says how to stop them: the step may call
// cloudtrail:PutInsightSelectors only with Insights on. The event selectors
// still converge.
func TestFakeSelectorsConvergeAndInsightsLeftOnAreWarned(t *testing.T) {
	f := newFake()
	if _, err := fakeRun(t, f, config(t, "services: {cloudtrail: {insights: true, dataEvents: {s3: true}}}"), workflow.ModeApply); err != nil {
		t.Fatal(err)
	}
	f.calls = nil
	cfg := config(t, "services: {cloudtrail: {insights: false, dataEvents: {lambda: true}}}")
	res, err := fakeRun(t, f, cfg, workflow.ModeApply)
	if err != nil {
		t.Fatal(err)
	}
	if e, a := []string{"PutEventSelectors"}, f.calls; !reflect.DeepEqual(e, a) {
		t.Errorf("calls: expect %v, got %v", e, a)
	}
	if len(f.insights) != 2 {
		t.Errorf("insights changed: %v", insightNames(f.insights))
	}
	if len(res.Warnings) == 0 || !strings.Contains(strings.Join(res.Warnings, "\n"), "put-insight-selectors --trail-name") {
		t.Errorf("warnings: %v", res.Warnings)
	}
	if e, a := []string{"eventCategory =Data; resources.type =AWS::Lambda::Function", "eventCategory =Management"}, selectorKeys(f.advanced); !reflect.DeepEqual(e, a) {
		t.Errorf("selectors: expect %v, got %v", e, a)
	}
	if res.Outcomes[len(res.Outcomes)-1].Status != workflow.StatusChanged {
		t.Errorf("trail outcome: %+v", res.Outcomes)
	}
	f.calls = nil
	if _, err := fakeRun(t, f, cfg, workflow.ModeApply); err != nil || len(f.calls) != 0 {
		t.Errorf("re-run: calls %v, err %v", f.calls, err)
	}
}
