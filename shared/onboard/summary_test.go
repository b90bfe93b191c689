package onboard

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/orgbaseline/orgbaseline/shared/eventbus"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

type fakeDescribe struct {
	calls  int
	output string
	input  string
}

func (f *fakeDescribe) DescribeExecution(_ context.Context, in *sfn.DescribeExecutionInput, _ ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	f.calls++
	return &sfn.DescribeExecutionOutput{Output: aws.String(f.output), Input: aws.String(f.input)}, nil
}

type fakePublish struct{ in []*sns.PublishInput }

func (f *fakePublish) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	f.in = append(f.in, in)
	return &sns.PublishOutput{}, nil
}

// statusEvent is the published status change sample (FAILED), as an
// onboarding run that succeeded, without its output: the summary reads
// the execution then.
func statusEvent(t *testing.T, name, status string) []byte {
	t.Helper()
	var e map[string]any
	if err := json.Unmarshal(sample(t, "stepfunctions-execution-status-change-failed.json"), &e); err != nil {
		t.Fatal(err)
	}
	d := e["detail"].(map[string]any)
	d["name"], d["status"] = name, status
	d["executionArn"] = "arn:aws:states:us-east-1:012345678912:execution:state-machine-name:" + name
	b, _ := json.Marshal(e)
	return b
}

// TestSummary: an onboarding run that succeeded is summarized from its
// report: counts by service, the failed rows, the execution; the output
// not in the event is read from the execution.
func TestSummary(t *testing.T) {
	results := map[string]any{"configRecorders": []workflow.StepResult{
		{Step: "config-recorders", Mode: workflow.ModeApply, Outcomes: []workflow.Outcome{
			{Account: newAccount, Region: "us-east-1", Service: "config", Status: workflow.StatusChanged},
			{Account: newAccount, Region: "eu-west-1", Service: "config", Status: workflow.StatusFailed, Reason: "AccessDenied"},
		}}},
		"guardDutyOrg": []workflow.StepResult{{Step: "guardduty-org", Mode: workflow.ModeApply, Outcomes: []workflow.Outcome{
			{Account: "222222222222", Region: "us-east-1", Service: "guardduty", Status: workflow.StatusUnchanged},
		}}}}
	out, _ := json.Marshal(map[string]any{"mode": "apply", "results": results})
	in, _ := json.Marshal(Input(Request{Trigger: TriggerCreateAccount, Account: newAccount, EventID: "e"}))
	d := &fakeDescribe{output: string(out), input: string(in)}
	p := &fakePublish{}
	s := Summarizer{SFN: d, SNS: p, TopicARN: "arn:aws:sns:us-east-1:111111111111:operations"}
	name := "onboard-" + newAccount + "-e"
	sum, err := s.Handle(context.Background(), statusEvent(t, name, "SUCCEEDED"))
	if err != nil {
		t.Fatal(err)
	}
	if d.calls != 1 || len(p.in) != 1 {
		t.Fatalf("%d reads of the execution, %d publishes", d.calls, len(p.in))
	}
	if sum.Subject != "orgbaseline onboarded account 444455556666: 1 changed, 1 failed" || aws.ToString(p.in[0].Subject) != sum.Subject {
		t.Errorf("subject %q", sum.Subject)
	}
	for _, want := range []string{
		"orgbaseline onboarded account 444455556666 in every enabled region (CreateAccountResult): 1 changed, 1 unchanged, 1 failed",
		"  config          1 changed, 1 failed\n",
		"  guardduty       1 unchanged\n",
		"Failed:\n  444455556666 eu-west-1 config: AccessDenied\n",
		"Execution " + name + ": arn:aws:states:us-east-1:012345678912:execution:state-machine-name:" + name,
	} {
		if !strings.Contains(sum.Text, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum.Text)
		}
	}

	// Not an onboarding run, or not succeeded: nothing.
	for _, e := range [][]byte{statusEvent(t, "orgbaseline-apply-x", "SUCCEEDED"), statusEvent(t, name, "FAILED")} {
		if sum, err := s.Handle(context.Background(), e); err != nil || sum.Skipped == "" || len(p.in) != 1 {
			t.Errorf("%+v, %v", sum, err)
		}
	}
	var de *eventbus.DecodeError
	if _, err := s.Handle(context.Background(), []byte(`{"source":"aws.states"`)); !errors.As(err, &de) {
		t.Errorf("truncated: %v", err)
	}
}

// TestReconverge: the schedule's event starts the whole baseline under a
// name of its own; its run is told to the operations topic only when it
// put drift back or failed.
func TestReconverge(t *testing.T) {
	req, err := Decode(sample(t, "eventbridge-scheduled-event.json"), management)
	if err != nil {
		t.Fatal(err)
	}
	if req.Trigger != TriggerSchedule || !req.AllAccounts || req.EventID != "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa" {
		t.Errorf("request %+v", req)
	}
	name := ExecutionName(req, "x")
	if name != "reconverge-53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa" {
		t.Errorf("name %q", name)
	}
	if in := Input(req); in.Mode != workflow.ModeApply || in.Accounts != nil || in.Regions != nil || in.Onboarding != nil {
		t.Errorf("input %+v", in)
	}

	run := func(outcomes ...workflow.Outcome) (Summary, *fakePublish) {
		out, _ := json.Marshal(map[string]any{"mode": "apply", "results": map[string]any{"configRecorders": []workflow.StepResult{
			{Step: "config-recorders", Mode: workflow.ModeApply, Outcomes: outcomes}}}})
		p := &fakePublish{}
		s := Summarizer{SFN: &fakeDescribe{output: string(out), input: `{"mode":"apply"}`}, SNS: p, TopicARN: "arn:aws:sns:us-east-1:111111111111:operations"}
		sum, err := s.Handle(context.Background(), statusEvent(t, name, "SUCCEEDED"))
		if err != nil {
			t.Fatal(err)
		}
		return sum, p
	}
	quiet, p := run(workflow.Outcome{Account: newAccount, Region: "us-east-1", Service: "config", Status: workflow.StatusUnchanged})
	if quiet.Skipped == "" || len(p.in) != 0 {
		t.Errorf("nothing drifted, yet %+v, %d publishes", quiet, len(p.in))
	}
	drift, p := run(workflow.Outcome{Account: newAccount, Region: "us-east-1", Service: "config", Status: workflow.StatusChanged,
		Actions: []workflow.Action{{Call: "config:StartConfigurationRecorder", Target: "default"}}})
	if len(p.in) != 1 || drift.Subject != "orgbaseline re-converge: 1 put back, 0 failed" ||
		!strings.Contains(drift.Text, "Put back:\n  444455556666 us-east-1 config: config:StartConfigurationRecorder default") ||
		!strings.Contains(drift.Text, "  config          1 changed") {
		t.Errorf("drift: %+v\n%s", drift, drift.Text)
	}
}
