package report

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/orgbaseline/orgbaseline/shared/configsvc"
	"github.com/orgbaseline/orgbaseline/shared/securityhub"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// TestRecorderWarnings: Security Hub CSPM needs AWS Config recording for
// its control findings ("Enabling and configuring AWS Config for Security
// Hub CSPM"): the report warns, naming the accounts, where the run's
// recorder rows failed or were skipped, and says so when the run checked no
// recorder at all.
func TestRecorderWarnings(t *testing.T) {
	hub := func(region string, status workflow.Status) workflow.StepResult {
		return workflow.StepResult{Step: securityhub.AdminSpec.Name, Mode: workflow.ModeApply, Outcomes: []workflow.Outcome{
			{Account: "111111111111", Region: region, Service: "securityhub", Status: status}}}
	}
	rec := func(account, region string, status workflow.Status, count int) workflow.StepResult {
		return workflow.StepResult{Step: configsvc.RecordersSpec.Name, Mode: workflow.ModeApply, Outcomes: []workflow.Outcome{
			{Account: account, Region: region, Service: "config", Status: status, Reason: "why", Count: count}}}
	}
	for _, tc := range []struct {
		name    string
		hub     []workflow.StepResult
		rec     []workflow.StepResult
		want    []string // substrings, one warning each
		wantNot string
	}{
		{name: "recording everywhere", hub: []workflow.StepResult{hub("us-east-1", workflow.StatusChanged)},
			rec: []workflow.StepResult{rec("222222222222", "us-east-1", workflow.StatusUnchanged, 0)}},
		{name: "no Security Hub in the run", hub: []workflow.StepResult{hub("us-east-1", workflow.StatusSkipped)},
			rec: []workflow.StepResult{rec("222222222222", "us-east-1", workflow.StatusFailed, 0)}},
		{name: "recorders not checked", hub: []workflow.StepResult{hub("us-east-1", workflow.StatusUnchanged), hub("eu-west-1", workflow.StatusChanged)},
			want: []string{"did not check AWS Config's recorders (config is off in the configuration, or not among --services), and Security Hub CSPM generates control findings only where AWS Config records the resources its controls evaluate: make sure every account records in eu-west-1, us-east-1"}},
		{name: "gaps named per region",
			hub: []workflow.StepResult{hub("us-east-1", workflow.StatusUnchanged), hub("eu-west-1", workflow.StatusUnchanged)},
			rec: []workflow.StepResult{
				rec("333333333333", "us-east-1", workflow.StatusFailed, 0),
				rec("222222222222", "us-east-1", workflow.StatusSkipped, 0),
				rec("444444444444", "us-east-1", workflow.StatusUnchanged, 0),
				rec(workflow.SummaryAccount, "eu-west-1", workflow.StatusFailed, 40),
				rec("555555555555", "ap-south-2", workflow.StatusFailed, 0), // no Security Hub there
			},
			want: []string{
				"not confirmed recording in eu-west-1 for 40 accounts",
				"not confirmed recording in us-east-1 for 222222222222 (skipped), 333333333333 (failed) (see their config rows)",
			}, wantNot: "444444444444"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			results := map[string]any{}
			results[securityhub.AdminSpec.ResultKeys()[1]] = tc.hub
			if tc.rec != nil {
				results[configsvc.RecordersSpec.ResultKey] = tc.rec
			}
			out, err := json.Marshal(map[string]any{"mode": workflow.ModeApply, "results": results})
			if err != nil {
				t.Fatal(err)
			}
			rep, err := FromExecution(workflow.ModeApply, "SUCCEEDED", out, "", "")
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Warnings) != len(tc.want) {
				t.Fatalf("warnings %q, want %d", rep.Warnings, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(rep.Warnings[i], w) {
					t.Errorf("warning %d: %q does not contain %q", i, rep.Warnings[i], w)
				}
			}
			if tc.wantNot != "" && strings.Contains(strings.Join(rep.Warnings, "\n"), tc.wantNot) {
				t.Errorf("warnings name %s, whose recorder is fine: %q", tc.wantNot, rep.Warnings)
			}
		})
	}
}
