package orgtrail

import (
	"reflect"
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

// moto's PutInsightSelectors appends to the trail's selectors instead of
// replacing them, so switching Insights off is tested here.
func TestFakeSelectorsAndInsightsConverge(t *testing.T) {
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
	if e, a := []string{"PutEventSelectors", "PutInsightSelectors"}, f.calls; !reflect.DeepEqual(e, a) {
		t.Errorf("calls: expect %v, got %v", e, a)
	}
	if len(f.insights) != 0 {
		t.Errorf("insights not switched off: %v", insightNames(f.insights))
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
