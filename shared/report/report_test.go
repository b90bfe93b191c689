package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/orgbaseline/orgbaseline/shared/org/prereq"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

func execOutput(t *testing.T, res workflow.StepResult) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"mode": res.Mode, "results": map[string]any{prereq.Spec.ResultKey: res}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTable(t *testing.T) {
	res := workflow.StepResult{Step: "org-prerequisites", Mode: workflow.ModePlan, Outcomes: []workflow.Outcome{
		{Account: "111111111111", Region: "global", Service: "config", Status: workflow.StatusPlanned, Actions: []workflow.Action{
			{Call: "organizations:EnableAWSServiceAccess", Target: "config.amazonaws.com"},
			{Call: "organizations:RegisterDelegatedAdministrator", Target: "config.amazonaws.com 222222222222"},
		}},
		{Account: "111111111111", Region: "global", Service: "guardduty", Status: workflow.StatusUnchanged, Reason: "registered by the guardduty step"},
		{Account: "444444444444", Region: "eu-west-1", Service: "config", Status: workflow.StatusSkipped, Reason: "account is SUSPENDED"},
	}, Warnings: []string{"heads up"}}
	rep, err := FromExecution(workflow.ModePlan, "SUCCEEDED", execOutput(t, res), "", "")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := rep.Write(&buf, TableOptions{Details: true}); err != nil {
		t.Fatal(err)
	}
	// Column widths vary with content; compare with runs of spaces collapsed.
	out := strings.Join(strings.Fields(buf.String()), " ")
	for _, want := range []string{
		"ACCOUNT REGION SERVICE OUTCOME ACTIONS",
		"111111111111 global config planned organizations:EnableAWSServiceAccess config.amazonaws.com; organizations:RegisterDelegatedAdministrator config.amazonaws.com 222222222222",
		"guardduty unchanged - (registered by the guardduty step)",
		"444444444444 eu-west-1 config skipped: account is SUSPENDED -",
		"warning: org-prerequisites: heads up",
		"succeeded (plan): 1 unchanged, 1 planned, 1 skipped, 0 failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table does not contain %q:\n%s", want, out)
		}
	}
	if rep.Failed() {
		t.Error("nothing failed")
	}
}

func TestFailedExecution(t *testing.T) {
	rep, err := FromExecution(workflow.ModeApply, "FAILED", nil, "TerminalError", `{"errorType":"TerminalError","errorMessage":"describe organization: access denied"}`)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Failed() {
		t.Error("a failed execution is a failed report")
	}
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if e, a := "failed: TerminalError: describe organization: access denied", back.Rows[0].Outcome(); e != a {
		t.Errorf("expect %q, got %q", e, a)
	}
}

// A Map state's results are an array of step results.
func TestMapResults(t *testing.T) {
	one := func(region string, status workflow.Status) workflow.StepResult {
		return workflow.StepResult{Step: "guardduty-admin", Mode: workflow.ModeApply, Outcomes: []workflow.Outcome{{Account: "111111111111", Region: region, Service: "guardduty", Status: status}}}
	}
	out, err := json.Marshal(map[string]any{"mode": "apply", "results": map[string]any{
		"guardDutyAdminHomeRegion":   one("eu-west-1", workflow.StatusChanged),
		"guardDutyAdminOtherRegions": []workflow.StepResult{one("us-east-1", workflow.StatusChanged), one("eu-central-1", workflow.StatusUnchanged)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := FromExecution(workflow.ModeApply, "SUCCEEDED", out, "", "")
	if err != nil {
		t.Fatal(err)
	}
	var regions []string
	for _, r := range rep.Rows {
		regions = append(regions, r.Region+":"+r.Status)
	}
	if e, a := "eu-west-1:changed us-east-1:changed eu-central-1:unchanged", strings.Join(regions, " "); e != a {
		t.Errorf("rows: expect %s, got %s", e, a)
	}
}

// A Map over accounts whose iterations are Maps over regions gives an array
// of arrays; every result in it is a row.
func TestNestedMapResults(t *testing.T) {
	one := func(account, region string) workflow.StepResult {
		return workflow.StepResult{Step: "config-recorders", Mode: workflow.ModeApply, Outcomes: []workflow.Outcome{{Account: account, Region: region, Service: "config", Status: workflow.StatusChanged}}}
	}
	out, err := json.Marshal(map[string]any{"mode": "apply", "results": map[string]any{
		"configRecorders": [][]workflow.StepResult{
			{one("111111111111", "us-east-1"), one("111111111111", "eu-west-1")},
			{one("444444444444", "us-east-1")},
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := FromExecution(workflow.ModeApply, "SUCCEEDED", out, "", "")
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, r := range rep.Rows {
		rows = append(rows, r.Account+"/"+r.Region)
	}
	if e, a := "111111111111/us-east-1 111111111111/eu-west-1 444444444444/us-east-1", strings.Join(rows, " "); e != a {
		t.Errorf("rows: expect %s, got %s", e, a)
	}
	if _, err := (decoder{ctx: context.Background()}).results(json.RawMessage(`[[{"step": 3}]]`)); err == nil {
		t.Error("a malformed result inside nested arrays was accepted")
	}
}

// A Distributed Map that wrote its results to S3 leaves only where they are
// in the output; the report reads the manifest and the result files, whose
// entries are child executions with their output as a JSON string.
func TestResultsWrittenToS3(t *testing.T) {
	one := func(account, region string) workflow.StepResult {
		return workflow.StepResult{Step: "config-recorders", Mode: workflow.ModeApply, Outcomes: []workflow.Outcome{{Account: account, Region: region, Service: "config", Status: workflow.StatusUnchanged}}}
	}
	child := func(results ...workflow.StepResult) map[string]any {
		b, err := json.Marshal(results)
		if err != nil {
			t.Fatal(err)
		}
		return map[string]any{"ExecutionArn": "arn:aws:states:us-east-1:111111111111:execution:sm/ConfigRecorders:x", "Input": "{}",
			"Name": "x", "Output": string(b), "OutputDetails": map[string]any{"Included": true}, "Status": "SUCCEEDED"}
	}
	files := map[string]any{
		"results/config-recorders/run/manifest.json": map[string]any{
			"DestinationBucket": "results-bucket",
			"MapRunArn":         "arn:aws:states:us-east-1:111111111111:mapRun:sm/ConfigRecorders:x",
			"ResultFiles": map[string]any{
				"FAILED":  []any{map[string]any{"Key": "results/config-recorders/run/FAILED_0.json", "Size": 100}},
				"PENDING": []any{},
				"SUCCEEDED": []any{
					map[string]any{"Key": "results/config-recorders/run/SUCCEEDED_0.json", "Size": 100},
					map[string]any{"Key": "results/config-recorders/run/SUCCEEDED_1.json", "Size": 100},
				},
			},
		},
		"results/config-recorders/run/SUCCEEDED_0.json": []any{child(one("111111111111", "us-east-1"), one("111111111111", "eu-west-1"))},
		"results/config-recorders/run/SUCCEEDED_1.json": []any{child(one("444444444444", "us-east-1"))},
		// A child that failed within the tolerance: its account's row.
		"results/config-recorders/run/FAILED_0.json": []any{map[string]any{
			"ExecutionArn": "arn:aws:states:us-east-1:111111111111:execution:sm/ConfigRecorders:y", "Status": "FAILED",
			"Input": `{"input":{"mode":"apply"},"account":"555555555555","regions":["us-east-1"]}`,
			"Error": "RetryableError", "Cause": `{"errorMessage":"describe the Config recorders: throttled"}`,
		}},
	}
	var read []string
	fetch := func(_ context.Context, bucket, key string) ([]byte, error) {
		read = append(read, bucket+"/"+key)
		f, ok := files[key]
		if !ok || bucket != "results-bucket" {
			return nil, fmt.Errorf("no such object %s/%s", bucket, key)
		}
		return json.Marshal(f)
	}
	out, err := json.Marshal(map[string]any{"mode": "apply", "results": map[string]any{
		"orgTargets": workflow.StepResult{Step: "org-targets", Mode: workflow.ModeApply, Outcomes: []workflow.Outcome{}},
		"configRecorders": map[string]any{
			"MapRunArn":           "arn:aws:states:us-east-1:111111111111:mapRun:sm/ConfigRecorders:x",
			"ResultWriterDetails": map[string]any{"Bucket": "results-bucket", "Key": "results/config-recorders/run/manifest.json"},
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := FromExecutionWith(context.Background(), fetch, workflow.ModeApply, "SUCCEEDED", out, "", "")
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, r := range rep.Rows {
		rows = append(rows, r.Account+"/"+r.Region+"/"+r.Status)
	}
	if e, a := "111111111111/us-east-1/unchanged 111111111111/eu-west-1/unchanged 444444444444/us-east-1/unchanged 555555555555/-/failed", strings.Join(rows, " "); e != a {
		t.Errorf("rows: expect %s, got %s", e, a)
	}
	if r := rep.Rows[3]; !strings.Contains(r.Reason, "RetryableError: describe the Config recorders: throttled") || !rep.Failed() {
		t.Errorf("the failed account's row: %+v", r)
	}
	if len(read) != 4 {
		t.Errorf("objects read: %v", read)
	}
	// Without S3, the report says where the results are.
	if _, err := FromExecution(workflow.ModeApply, "SUCCEEDED", out, "", ""); err == nil || !strings.Contains(err.Error(), "s3://results-bucket/results/config-recorders/run/manifest.json") {
		t.Errorf("without fetch: %v", err)
	}
	// A result file that cannot be read fails the report, naming it.
	delete(files, "results/config-recorders/run/SUCCEEDED_1.json")
	if _, err := FromExecutionWith(context.Background(), fetch, workflow.ModeApply, "SUCCEEDED", out, "", ""); err == nil || !strings.Contains(err.Error(), "SUCCEEDED_1.json") {
		t.Errorf("a missing result file: %v", err)
	}
}

func TestCountsWeighSummaryRows(t *testing.T) {
	r := FromResults(workflow.ModeApply, workflow.StepResult{Step: "guardduty-org", Mode: workflow.ModeApply, Outcomes: []workflow.Outcome{
		{Account: "111111111111", Region: "eu-west-1", Service: "guardduty", Status: workflow.StatusChanged},
		{Account: workflow.SummaryAccount, Region: "eu-west-1", Service: "guardduty", Status: workflow.StatusChanged, Count: 41, Reason: "41 more rows, listed in the step's log"},
	}})
	if got := r.Counts()["changed"]; got != 42 {
		t.Errorf("changed = %d, want 42", got)
	}
}
