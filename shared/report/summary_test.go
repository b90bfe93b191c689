package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

func summaryReport() Report {
	calls := func(n int, target string) []workflow.Action {
		var a []workflow.Action
		for i := 0; i < n; i++ {
			a = append(a, workflow.Action{Call: "s3:PutBucketPolicy", Target: target})
		}
		return a
	}
	return FromResults(workflow.ModeApply,
		workflow.StepResult{Step: "trail", Outcomes: []workflow.Outcome{
			{Account: "111111111111", Region: "eu-west-1", Service: "trail", Status: workflow.StatusChanged, Actions: calls(7, "orgbaseline-trail-bucket")},
			{Account: "111111111111", Region: "us-east-1", Service: "trail", Status: workflow.StatusUnchanged},
		}},
		workflow.StepResult{Step: "guardduty-members", Outcomes: []workflow.Outcome{
			{Account: "222222222222", Region: "eu-west-1", Service: "guardduty", Status: workflow.StatusUnchanged},
			{Account: "333333333333", Region: "eu-west-1", Service: "guardduty", Status: workflow.StatusFailed, Reason: "AccessDenied: " + strings.Repeat("x", 300)},
			{Account: workflow.SummaryAccount, Region: "us-east-1", Service: "guardduty", Status: workflow.StatusUnchanged, Count: 40},
			{Account: "444444444444", Region: "eu-west-1", Service: "guardduty", Status: workflow.StatusSkipped, Reason: "account is SUSPENDED"},
			{Account: "555555555555", Region: "eu-west-1", Service: "guardduty", Status: workflow.StatusSkipped, Reason: "account is SUSPENDED"},
		}},
		workflow.StepResult{Step: "org-prerequisites", Outcomes: []workflow.Outcome{
			{Account: "111111111111", Region: workflow.RegionGlobal, Service: "guardduty", Status: workflow.StatusChanged, Actions: []workflow.Action{
				{Call: "organizations:EnableAWSServiceAccess", Target: "guardduty.amazonaws.com"},
				{Call: "organizations:RegisterDelegatedAdministrator", Target: "guardduty.amazonaws.com 222222222222"},
			}},
		}},
	)
}

func TestServicesCountAccountsRegionsAndOutcomes(t *testing.T) {
	got := summaryReport().Services()
	want := []ServiceSummary{
		{Service: "trail", Accounts: 1, Regions: 2, Changed: 1, Unchanged: 1},
		// The failed and skipped accounts are not covered; the folded row
		// counts its 40 rows and makes the account count a lower bound;
		// the global row adds its account but no region.
		{Service: "guardduty", Accounts: 2, Regions: 2, Folded: true, Changed: 1, Unchanged: 41, Skipped: 2, Failed: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("services %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("service %d: expect %+v, got %+v", i, want[i], got[i])
		}
	}
}

func TestShortTableListsOnlyChangedAndFailedRowsCutToWidth(t *testing.T) {
	var buf bytes.Buffer
	if err := summaryReport().Write(&buf, TableOptions{Width: 100}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if n := utf8.RuneCountInString(line); n > 100 {
			t.Errorf("line of %d characters: %q", n, line)
		}
	}
	flat := strings.Join(strings.Fields(out), " ")
	for _, want := range []string{
		"SERVICE ACCOUNTS REGIONS CHANGED UNCHANGED PLANNED SKIPPED FAILED",
		"trail 1 2 1 1 0 0 0",
		"guardduty ≥2 2 1 41 0 2 1",
		"111111111111 eu-west-1 trail changed 7 calls on orgbaseline-trail-bucket",
		"111111111111 global guardduty changed 2 calls: organizations:EnableAWSServiceAccess, organiz…",
		"333333333333 eu-west-1 guardduty failed AccessDenied: xxx",
		"guardduty: 2 rows: account is SUSPENDED",
		"succeeded (apply): 2 changed, 42 unchanged, 2 skipped, 1 failed",
		"--details",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("short table lacks %q:\n%s", want, out)
		}
	}
	// Unchanged rows are counted in the summary, not listed.
	if strings.Contains(out, "222222222222") || strings.Contains(out, "us-east-1 trail") {
		t.Errorf("an unchanged row is listed:\n%s", out)
	}
	if !strings.Contains(out, "…") {
		t.Errorf("the long failure is not cut:\n%s", out)
	}
}

func TestDetailsListEveryRowWithItsCalls(t *testing.T) {
	var buf bytes.Buffer
	if err := summaryReport().Write(&buf, TableOptions{Details: true}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "222222222222") || strings.Count(out, "s3:PutBucketPolicy orgbaseline-trail-bucket") != 7 || !strings.Contains(out, strings.Repeat("x", 300)) {
		t.Errorf("details miss rows or calls:\n%s", out)
	}
}

func TestJSONHoldsRowsAndServices(t *testing.T) {
	var buf bytes.Buffer
	if err := summaryReport().WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Rows) != 8 || len(back.ServiceSummaries) != 2 || back.ServiceSummaries[1].Failed != 1 {
		t.Errorf("json: %d rows, services %+v", len(back.Rows), back.ServiceSummaries)
	}
}

func TestCollapseActions(t *testing.T) {
	for _, tt := range []struct {
		in   []string
		want string
	}{
		{nil, "-"},
		{[]string{"config:PutConfigurationRecorder default"}, "config:PutConfigurationRecorder default"},
		{[]string{"s3:PutBucketPolicy b", "s3:PutBucketVersioning b", "s3:PutBucketEncryption b"}, "3 calls on b"},
		{[]string{"guardduty:CreateMembers", "guardduty:CreateMembers"}, "2 calls: guardduty:CreateMembers"},
		{[]string{"a:X t1", "a:Y t2", "a:X t3"}, "3 calls: a:X, a:Y"},
	} {
		if got := CollapseActions(tt.in); got != tt.want {
			t.Errorf("%v: expect %q, got %q", tt.in, tt.want, got)
		}
	}
}

func TestCut(t *testing.T) {
	if got := string(cut([]byte("abcdef\nab\n"), 4)); got != "abc…\nab\n" {
		t.Errorf("cut: %q", got)
	}
	if got := string(cut([]byte("abcdef"), 0)); got != "abcdef" {
		t.Errorf("no width, no cut: %q", got)
	}
}
