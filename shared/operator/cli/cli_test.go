package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/orgbaseline/orgbaseline/shared/org/targets"
	"github.com/orgbaseline/orgbaseline/shared/registry"
	"github.com/orgbaseline/orgbaseline/shared/report"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, Env{Stdout: &out, Stderr: &errOut, Getenv: os.Getenv})
	return code, out.String(), errOut.String()
}

// countingEndpoint points the AWS SDK at a server that counts requests, so a
// test can show that nothing was called.
func countingEndpoint(t *testing.T) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		http.Error(w, "unexpected call", http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "testing")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	t.Setenv("AWS_REGION", "us-east-1")
	return &n
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "orgbaseline.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestApplyBadConfigListsEveryProblemAndCallsNothing(t *testing.T) {
	calls := countingEndpoint(t)
	cfg := writeFile(t, `
accounts: {management: "12", security: "222222222222"}
homeRegion: us-east-1
regions: [us-east-1, nowhere-1]
findings: {severityThreshold: 42}
`)
	for _, local := range []bool{false, true} {
		args := []string{"apply", "--config", cfg}
		if local {
			args = append(args, "--local")
		}
		code, _, stderr := runCLI(t, args...)
		if e, a := ExitUsage, code; e != a {
			t.Errorf("exit: expect %d, got %d", e, a)
		}
		for _, want := range []string{
			`accounts.management is "12"`, "accounts.logArchive is missing",
			`regions: "nowhere-1" is not a known region`, "severityThreshold 42 is out of range",
			"nothing was called",
		} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr does not mention %q:\n%s", want, stderr)
			}
		}
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("%d AWS calls were made with a bad configuration", n)
	}
}

func TestApplyBadFlags(t *testing.T) {
	calls := countingEndpoint(t)
	code, _, stderr := runCLI(t, "apply", "--config", filepath.Join("..", "..", "..", "orgbaseline.example.yaml"),
		"--accounts", "123,111111111111", "--services", "guardduty,macie", "--regions", "us-east-1,moon-1", "--output", "yaml")
	if e, a := ExitUsage, code; e != a {
		t.Errorf("exit: expect %d, got %d", e, a)
	}
	for _, want := range []string{`--accounts: "123"`, `unknown service "macie"`, `--regions: "moon-1"`, `--output "yaml"`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not mention %q:\n%s", want, stderr)
		}
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("%d AWS calls were made with bad flags", n)
	}
}

// A filter that names nothing is refused: it would otherwise mean the
// whole organization.
func TestApplyEmptyFilters(t *testing.T) {
	calls := countingEndpoint(t)
	code, _, stderr := runCLI(t, "apply", "--config", filepath.Join("..", "..", "..", "orgbaseline.example.yaml"),
		"--accounts", ",,,", "--regions", " , ")
	if code != ExitUsage {
		t.Errorf("exit: expect %d, got %d", ExitUsage, code)
	}
	for _, want := range []string{`--accounts ",,," names nothing`, `--regions " , " names nothing`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not mention %q:\n%s", want, stderr)
		}
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("%d AWS calls were made with empty filters", n)
	}
}

func TestValidate(t *testing.T) {
	code, out, _ := runCLI(t, "validate", "--config", filepath.Join("..", "..", "..", "orgbaseline.example.yaml"))
	if code != ExitOK || !strings.Contains(out, "is valid") {
		t.Errorf("validate example: %d %s", code, out)
	}
	code, _, stderr := runCLI(t, "validate", "--config", writeFile(t, "homeRegion: x\n"))
	if code != ExitUsage || !strings.Contains(stderr, `homeRegion "x"`) {
		t.Errorf("validate bad: %d %s", code, stderr)
	}
}

func TestUnknownCommand(t *testing.T) {
	if code, _, _ := runCLI(t, "destroy"); code != ExitUsage {
		t.Errorf("expect usage error, got %d", code)
	}
	if code, _, _ := runCLI(t); code != ExitUsage {
		t.Errorf("expect usage error without a command, got %d", code)
	}
}

// fakeSFN plays back an execution: each DescribeExecution call moves one
// step further along the history.
type fakeSFN struct {
	started  *sfn.StartExecutionInput
	history  [][]sfntypes.HistoryEvent // events visible after each poll
	final    sfn.DescribeExecutionOutput
	polls    int
	pageSize int
	// read counts the history events GetExecutionHistory returned.
	read int
	// input is the execution's input DescribeExecution answers.
	input string
}

func (f *fakeSFN) StartExecution(ctx context.Context, in *sfn.StartExecutionInput, _ ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	f.started = in
	return &sfn.StartExecutionOutput{ExecutionArn: aws.String("arn:aws:states:us-east-1:111111111111:execution:sm:" + aws.ToString(in.Name))}, nil
}

func (f *fakeSFN) visible() []sfntypes.HistoryEvent {
	var all []sfntypes.HistoryEvent
	for i := 0; i <= f.polls && i < len(f.history); i++ {
		all = append(all, f.history[i]...)
	}
	return all
}

func (f *fakeSFN) GetExecutionHistory(ctx context.Context, in *sfn.GetExecutionHistoryInput, _ ...func(*sfn.Options)) (*sfn.GetExecutionHistoryOutput, error) {
	all := f.visible()
	if in.ReverseOrder {
		all = slices.Clone(all)
		slices.Reverse(all)
	}
	start := 0
	if in.NextToken != nil {
		start = len(aws.ToString(in.NextToken))
	}
	end := min(start+f.pageSize, len(all))
	out := &sfn.GetExecutionHistoryOutput{Events: all[start:end]}
	f.read += end - start
	if end < len(all) {
		out.NextToken = aws.String(strings.Repeat("x", end))
	}
	return out, nil
}

func (f *fakeSFN) DescribeExecution(ctx context.Context, in *sfn.DescribeExecutionInput, _ ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	f.polls++
	if f.polls < len(f.history) {
		return &sfn.DescribeExecutionOutput{Status: sfntypes.ExecutionStatusRunning, Input: aws.String(f.input)}, nil
	}
	final := f.final
	final.Input = aws.String(f.input)
	return &final, nil
}

func entered(id int64, name string) sfntypes.HistoryEvent {
	return sfntypes.HistoryEvent{Id: id, Type: sfntypes.HistoryEventTypeTaskStateEntered, StateEnteredEventDetails: &sfntypes.StateEnteredEventDetails{Name: aws.String(name)}}
}

func exited(id int64, name string) sfntypes.HistoryEvent {
	return sfntypes.HistoryEvent{Id: id, Type: sfntypes.HistoryEventTypeTaskStateExited, StateExitedEventDetails: &sfntypes.StateExitedEventDetails{Name: aws.String(name)}}
}

func lambdaFailed(id int64, errName string) sfntypes.HistoryEvent {
	return sfntypes.HistoryEvent{Id: id, Type: sfntypes.HistoryEventTypeLambdaFunctionFailed, LambdaFunctionFailedEventDetails: &sfntypes.LambdaFunctionFailedEventDetails{Error: aws.String(errName)}}
}

func follow(t *testing.T, f *fakeSFN, in workflow.Input) (report.Report, string) {
	t.Helper()
	var progressOut bytes.Buffer
	fl := follower{api: f, interval: time.Hour, progress: newProgress(&progressOut),
		sleep: func(context.Context, time.Duration) error { return nil }} // no waiting on the clock
	rep, err := fl.run(context.Background(), "arn:aws:states:us-east-1:111111111111:stateMachine:sm", in)
	if err != nil {
		t.Fatal(err)
	}
	return rep, progressOut.String()
}

func TestFollowSucceeded(t *testing.T) {
	output, _ := json.Marshal(map[string]any{
		"mode": "apply",
		"results": map[string]any{"orgPrerequisites": workflow.StepResult{
			Step: "org-prerequisites", Mode: workflow.ModeApply, Changed: true,
			Outcomes: []workflow.Outcome{{Account: "111111111111", Region: "global", Service: "config", Status: workflow.StatusChanged,
				Actions: []workflow.Action{{Call: "organizations:EnableAWSServiceAccess", Target: "config.amazonaws.com"}}}},
			Warnings: []string{"something to know"},
		}},
	})
	f := &fakeSFN{
		pageSize: 1,
		history: [][]sfntypes.HistoryEvent{
			{entered(1, "OrgPrerequisites")},
			{lambdaFailed(2, "RetryableError")},
			{exited(3, "OrgPrerequisites")},
		},
		final: sfn.DescribeExecutionOutput{Status: sfntypes.ExecutionStatusSucceeded, Output: aws.String(string(output))},
	}
	rep, prog := follow(t, f, workflow.Input{Mode: workflow.ModeApply, Services: []string{"config"}})

	var sent workflow.Input
	if err := json.Unmarshal([]byte(aws.ToString(f.started.Input)), &sent); err != nil || sent.Mode != workflow.ModeApply || sent.Services[0] != "config" {
		t.Errorf("execution input: %s (%v)", aws.ToString(f.started.Input), err)
	}
	if !strings.HasPrefix(aws.ToString(f.started.Name), "orgbaseline-apply-") {
		t.Errorf("execution name: %s", aws.ToString(f.started.Name))
	}
	// Each event printed once, in order, across polls and pages.
	for _, want := range []string{"> OrgPrerequisites", "step error RetryableError", "ok OrgPrerequisites"} {
		if strings.Count(prog, want) != 1 {
			t.Errorf("progress should show %q once:\n%s", want, prog)
		}
	}
	if i, j := strings.Index(prog, "> OrgPrerequisites"), strings.Index(prog, "ok OrgPrerequisites"); i < 0 || j < i {
		t.Errorf("progress out of order:\n%s", prog)
	}
	// Each poll read the new events and at most one it had seen (where
	// it stops), not the whole history again: 3 events over 4 reads.
	if f.read > 3+3 {
		t.Errorf("the polls read %d history events for 3", f.read)
	}
	if rep.Failed() || len(rep.Rows) != 1 || rep.Rows[0].Status != "changed" || rep.Warnings[0] != "org-prerequisites: something to know" {
		t.Errorf("report: %+v", rep)
	}
}

func TestFollowFailed(t *testing.T) {
	f := &fakeSFN{
		pageSize: 10,
		history:  [][]sfntypes.HistoryEvent{{entered(1, "OrgPrerequisites")}},
		final: sfn.DescribeExecutionOutput{Status: sfntypes.ExecutionStatusFailed, Error: aws.String("ConflictError"),
			Cause: aws.String(`{"errorMessage":"conflict, nothing was changed: config: delegated administrator for config.amazonaws.com is 999999999999, configuration wants 222222222222","errorType":"ConflictError"}`)},
	}
	rep, _ := follow(t, f, workflow.Input{Mode: workflow.ModeApply})
	if !rep.Failed() {
		t.Fatal("a failed execution must fail the report")
	}
	if e, a := "ConflictError: conflict, nothing was changed: config: delegated administrator for config.amazonaws.com is 999999999999, configuration wants 222222222222", rep.Rows[0].Reason; e != a {
		t.Errorf("failure row:\nexpect %s\ngot    %s", e, a)
	}
}

type fakeStacks struct{ outputs []cfntypes.Output }

func (f fakeStacks) DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	if aws.ToString(in.StackName) != workflow.ManagementStackName {
		return nil, &cfntypes.StackNotFoundException{}
	}
	return &cloudformation.DescribeStacksOutput{Stacks: []cfntypes.Stack{{Outputs: f.outputs}}}, nil
}

func TestStackOutputs(t *testing.T) {
	outputs, err := stackOutputs(context.Background(), fakeStacks{outputs: []cfntypes.Output{
		{OutputKey: aws.String("Other"), OutputValue: aws.String("x")},
		{OutputKey: aws.String(workflow.StateMachineArnOutput), OutputValue: aws.String("arn:sm")},
	}}, workflow.ManagementStackName)
	if err != nil || outputs[workflow.StateMachineArnOutput] != "arn:sm" || outputs["Other"] != "x" {
		t.Errorf("outputs %v, %v", outputs, err)
	}
	if _, err := stackOutputs(context.Background(), fakeStacks{}, "OrgBaseline-Other"); err == nil || !strings.Contains(err.Error(), "read stack OrgBaseline-Other") {
		t.Errorf("expect an error naming the stack, got %v", err)
	}
}

func TestProgressCaughtStateIsNotOK(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf)
	p.entered("OrgTrail")
	p.failed("OrgTrail", "TerminalError")
	p.caught("OrgTrail")
	p.exited("OrgTrail", nil)
	p.entered("Other")
	p.exited("Other", nil)
	out := buf.String()
	if strings.Contains(out, "ok OrgTrail") || !strings.Contains(out, "ok Other") || !strings.Contains(out, "OrgTrail failed: TerminalError") {
		t.Errorf("progress:\n%s", out)
	}
}

func TestDeployAndRollbackRefuseBadInputWithoutCalls(t *testing.T) {
	calls := countingEndpoint(t)
	bad := writeFile(t, "homeRegion: nowhere\n")
	example := filepath.Join("..", "..", "..", "orgbaseline.example.yaml")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"deploy", "--config", example}, "cdk deploy --all"},
		{[]string{"deploy", "--local", "--config", bad}, `homeRegion "nowhere"`},
		{[]string{"deploy", "--local", "--config", example, "--output", "xml"}, `--output "xml"`},
		{[]string{"rollback"}, "trail-encryption"},
		{[]string{"rollback", "everything"}, `unknown rollback "everything"`},
		{[]string{"rollback", "trail-encryption", "--config", bad}, `homeRegion "nowhere"`},
	} {
		code, _, stderr := runCLI(t, tt.args...)
		if code != ExitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr does not mention %q:\n%s", tt.args, code, tt.want, stderr)
		}
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("%d AWS calls were made with bad input", n)
	}
}

func TestStateLabel(t *testing.T) {
	for _, tt := range []struct{ input, want string }{
		{`{"input":{"mode":"apply"},"region":"eu-west-1"}`, "GuardDutyOrg eu-west-1"},
		{`{"input":{"mode":"apply"},"region":"eu-west-1","account":"111111111111"}`, "GuardDutyOrg 111111111111 eu-west-1"},
		{`{"mode":"apply"}`, "GuardDutyOrg"},
		{`not json`, "GuardDutyOrg"},
	} {
		if got := stateLabel("GuardDutyOrg", []byte(tt.input)); got != tt.want {
			t.Errorf("%s: expect %q, got %q", tt.input, tt.want, got)
		}
	}
}

// targetsOutput is the org-targets state's output: accounts and regions.
func targetsOutput(t *testing.T, accounts int, regions ...string) []byte {
	t.Helper()
	res := targets.Result{Regions: regions, HomeRegions: regions[:1], OtherRegions: regions[1:]}
	for i := 0; i < accounts; i++ {
		res.Accounts = append(res.Accounts, fmt.Sprintf("%012d", i+1))
	}
	b, err := json.Marshal(map[string]any{"results": map[string]any{targets.Spec.ResultKey: res}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// specOfShape returns a registered step of the shape.
func specOfShape(t *testing.T, shape workflow.Shape) workflow.StepSpec {
	t.Helper()
	for _, s := range registry.Specs() {
		if s.Shape == shape {
			return s
		}
	}
	t.Fatalf("no step of shape %s", shape)
	return workflow.StepSpec{}
}

func TestProgressCountsEachPhaseNotEachInvocation(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf)
	p.now = func() time.Time { return time.Unix(0, 0) }
	p.entered(targets.Spec.State)
	p.exited(targets.Spec.State, targetsOutput(t, 8, "us-east-1", "eu-west-1", "eu-central-1"))
	accounts := specOfShape(t, workflow.ShapeEachAccount)
	for i := 0; i < 8; i++ {
		p.entered(accounts.State)
	}
	for i := 0; i < 8; i++ {
		p.exited(accounts.State, []byte(`{"step":"x"}`))
	}
	regions := specOfShape(t, workflow.ShapeEachRegion)
	for i := 0; i < 3; i++ {
		p.entered(regions.State)
		// A polled step still pending is not done.
		p.exited(regions.State, []byte(`{"pending":true,"polls":1}`))
		p.entered(regions.State)
		p.exited(regions.State, []byte(`{"step":"x"}`))
	}
	want := fmt.Sprintf(`  > %[1]s
  ok %[1]s (0.0s)
  > %[2]s (8 accounts)
  .. %[2]s: 2/8 accounts
  .. %[2]s: 4/8 accounts
  .. %[2]s: 6/8 accounts
  ok %[2]s: 8/8 accounts (0.0s)
  > %[3]s (3 regions)
  .. %[3]s: 1/3 regions
  .. %[3]s: 2/3 regions
  ok %[3]s: 3/3 regions (0.0s)
`, targets.Spec.State, accounts.State, regions.State)
	if got := buf.String(); got != want {
		t.Errorf("progress:\n%s\nwant:\n%s", got, want)
	}
}

func TestProgressOfADeployedDistributedMap(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf)
	p.exited(targets.Spec.State, targetsOutput(t, 40, "us-east-1"))
	accounts := specOfShape(t, workflow.ShapeEachAccount)
	// A deployed history holds the Map state's events, not its child
	// executions'.
	p.mapEntered(accounts.States()[0])
	p.mapExited(accounts.States()[0])
	p.mapEntered("SomeInlineMap")
	out := buf.String()
	if !strings.Contains(out, "  > "+accounts.State+" (40 accounts)\n") || !strings.Contains(out, "  ok "+accounts.State+": 40/40 accounts") || strings.Contains(out, "SomeInlineMap") {
		t.Errorf("progress:\n%s", out)
	}
}

// fakeObjects is S3 holding a Distributed Map's results.
type fakeObjects map[string]string

func (f fakeObjects) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	body, ok := f[aws.ToString(in.Bucket)+"/"+aws.ToString(in.Key)]
	if !ok {
		return nil, &s3types.NoSuchKey{}
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(strings.NewReader(body))}, nil
}

// The results of the accounts-by-regions Map are in S3 on AWS: following an
// execution reads them from there into the report.
func TestFollowReadsResultsFromS3(t *testing.T) {
	result, _ := json.Marshal([]workflow.StepResult{{Step: "config-recorders", Mode: workflow.ModeApply,
		Outcomes: []workflow.Outcome{{Account: "444444444444", Region: "eu-west-1", Service: "config", Status: workflow.StatusUnchanged}}}})
	file, _ := json.Marshal([]map[string]any{{"Status": "SUCCEEDED", "Output": string(result)}})
	objects := fakeObjects{
		"results/r/manifest.json":    `{"DestinationBucket":"results","ResultFiles":{"SUCCEEDED":[{"Key":"r/SUCCEEDED_0.json","Size":1}]}}`,
		"results/r/SUCCEEDED_0.json": string(file),
	}
	output, _ := json.Marshal(map[string]any{"mode": "apply", "results": map[string]any{
		"configRecorders": map[string]any{"MapRunArn": "arn:run", "ResultWriterDetails": map[string]any{"Bucket": "results", "Key": "r/manifest.json"}},
	}})
	f := &fakeSFN{pageSize: 10, history: [][]sfntypes.HistoryEvent{{entered(1, "OrgPrerequisites")}},
		final: sfn.DescribeExecutionOutput{Status: sfntypes.ExecutionStatusSucceeded, Output: aws.String(string(output))}}
	var progressOut bytes.Buffer
	fl := follower{api: f, objects: objects, interval: time.Hour, progress: newProgress(&progressOut),
		sleep: func(context.Context, time.Duration) error { return nil }}
	rep, err := fl.run(context.Background(), "arn:aws:states:us-east-1:111111111111:stateMachine:sm", workflow.Input{Mode: workflow.ModeApply})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 1 || rep.Rows[0].Account != "444444444444" || rep.Rows[0].Status != "unchanged" {
		t.Errorf("report: %+v", rep.Rows)
	}
}

// A signal ends every command: one that does not wind down within the
// grace period is ended with ExitInterrupted; one that returns in time is
// not.
func TestSignalEndsACommandThatHangs(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	stopped, exited := make(chan struct{}), make(chan int, 1)
	var stderr strings.Builder
	go endAfterGrace(ctx, func() { close(stopped) }, make(chan struct{}), 10*time.Millisecond, &stderr, func(code int) { exited <- code })
	cancel() // the signal
	select {
	case code := <-exited:
		if code != ExitInterrupted || !strings.Contains(stderr.String(), "interrupted") {
			t.Errorf("exit %d, stderr %q", code, stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a hanging command was not ended")
	}
	<-stopped

	ctx, cancel = context.WithCancel(context.Background())
	done, returned := make(chan struct{}), make(chan struct{})
	go func() {
		endAfterGrace(ctx, func() {}, done, time.Hour, io.Discard, func(int) { t.Error("exit called for a command that returned") })
		close(returned)
	}()
	cancel()
	close(done)
	<-returned
}

type fakePatterns struct {
	patterns []string
	match    func(pattern string) bool
}

func (f *fakePatterns) TestEventPattern(_ context.Context, in *eventbridge.TestEventPatternInput, _ ...func(*eventbridge.Options)) (*eventbridge.TestEventPatternOutput, error) {
	f.patterns = append(f.patterns, aws.ToString(in.EventPattern))
	return &eventbridge.TestEventPatternOutput{Result: f.match(aws.ToString(in.EventPattern))}, nil
}

// TestNotifyMatchesTheDeployedPatterns: the deployed check asks
// EventBridge about the patterns the configuration deploys (GuardDuty's
// threshold; Security Hub's labels and Health only when configured), and
// publishes only when one matches.
func TestNotifyMatchesTheDeployedPatterns(t *testing.T) {
	threshold := 4.0
	cfg := settings.Config{Findings: settings.Findings{SeverityThreshold: &threshold, SecurityHubLabels: []string{"CRITICAL"}}}
	f := &fakePatterns{match: func(p string) bool { return strings.Contains(p, "aws.securityhub") }}
	ok, err := matchesAny(context.Background(), f, cfg, []byte(`{}`))
	if err != nil || !ok {
		t.Fatalf("%v, %v", ok, err)
	}
	if len(f.patterns) != 2 || !strings.Contains(f.patterns[0], `"numeric":[">=",4]`) || !strings.Contains(f.patterns[1], `"CRITICAL"`) {
		t.Errorf("patterns asked: %v", f.patterns)
	}
	none := &fakePatterns{match: func(string) bool { return false }}
	if ok, err := matchesAny(context.Background(), none, cfg, []byte(`{}`)); err != nil || ok || len(none.patterns) != 2 {
		t.Errorf("no match: %v, %v, %v", ok, err, none.patterns)
	}
}

// TestWhereANewUserStumbles: a mistyped command, flag or service names
// the closest one; a missing configuration file says how to give one;
// version answers.
func TestWhereANewUserStumbles(t *testing.T) {
	example := filepath.Join("..", "..", "..", "orgbaseline.example.yaml")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"aply"}, ExitUsage, `unknown command "aply"; did you mean apply?`},
		{[]string{"frobnicate"}, ExitUsage, `unknown command "frobnicate"` + "\n"},
		{[]string{"apply", "--plann"}, ExitUsage, "orgbaseline apply: did you mean --plan?"},
		{[]string{"onboard", "--acount", "1"}, ExitUsage, "orgbaseline onboard: did you mean --account?"},
		{[]string{"apply", "--config", example, "--services", "guardduy"}, ExitUsage, `unknown service "guardduy"`},
		{[]string{"apply", "--config", example, "--services", "guardduy"}, ExitUsage, "did you mean guardduty?"},
		{[]string{"apply", "--config", filepath.Join(t.TempDir(), "missing.yaml")}, ExitUsage, "no configuration file"},
		{[]string{"validate", "--config", filepath.Join(t.TempDir(), "missing.yaml")}, ExitUsage, "give one with --config FILE; orgbaseline.example.yaml"},
	} {
		code, _, stderr := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, want %d, and %q in:\n%s", tc.args, code, tc.code, tc.want, stderr)
		}
	}
	if code, stdout, _ := runCLI(t, "version"); code != ExitOK || !strings.Contains(stdout, "go1.") {
		t.Errorf("version: %d %q", code, stdout)
	}
	if c := closest("frobnicate", commands); c != "" {
		t.Errorf("closest(frobnicate) = %q, want none", c)
	}
}

// TestDeployedWithoutCredentials: without credentials the deployed run
// says what to set and calls nothing.
func TestDeployedWithoutCredentials(t *testing.T) {
	calls := countingEndpoint(t)
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"} {
		t.Setenv(v, "")
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	code, _, stderr := runCLI(t, "apply", "--plan", "--config", filepath.Join("..", "..", "..", "orgbaseline.example.yaml"))
	if code != ExitFailed || !strings.Contains(stderr, "no AWS credentials for the management account 111111111111: set AWS_PROFILE") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("%d AWS calls without credentials", n)
	}
}

type fakeList struct{ arns []string }

func (f fakeList) ListExecutions(_ context.Context, in *sfn.ListExecutionsInput, _ ...func(*sfn.Options)) (*sfn.ListExecutionsOutput, error) {
	var out sfn.ListExecutionsOutput
	for _, a := range f.arns[:min(len(f.arns), int(in.MaxResults))] {
		out.Executions = append(out.Executions, sfntypes.ExecutionListItem{ExecutionArn: aws.String(a)})
	}
	return &out, nil
}

// TestStatusAttachesToTheLatestExecution: status follows the latest
// execution (or the one named) from where it is to its end, and reports it
// in the mode of its input.
func TestStatusAttachesToTheLatestExecution(t *testing.T) {
	output, _ := json.Marshal(map[string]any{"mode": "plan", "results": map[string]any{"orgPrerequisites": workflow.StepResult{
		Step: "org-prerequisites", Mode: workflow.ModePlan,
		Outcomes: []workflow.Outcome{{Account: "111111111111", Region: "global", Service: "config", Status: workflow.StatusPlanned}}}}})
	f := &fakeSFN{pageSize: 10, input: `{"mode":"plan"}`,
		history: [][]sfntypes.HistoryEvent{{entered(1, "OrgPrerequisites")}, {exited(2, "OrgPrerequisites")}},
		final:   sfn.DescribeExecutionOutput{Status: sfntypes.ExecutionStatusSucceeded, Output: aws.String(string(output))}}
	var progressOut bytes.Buffer
	p := newProgress(&progressOut)
	rep, err := attach(context.Background(), f, fakeList{arns: []string{"arn:aws:states:us-east-1:111111111111:execution:sm:latest", "arn:old"}}, nil,
		"arn:aws:states:us-east-1:111111111111:stateMachine:sm", "", time.Millisecond, p)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Mode != "plan" || len(rep.Rows) != 1 || rep.Rows[0].Status != "planned" || !strings.Contains(progressOut.String(), "following arn:aws:states:us-east-1:111111111111:execution:sm:latest") {
		t.Errorf("report %+v\n%s", rep, progressOut.String())
	}
	if _, err := attach(context.Background(), f, fakeList{}, nil, "arn:sm", "", time.Millisecond, p); err == nil || !strings.Contains(err.Error(), "has no execution yet") {
		t.Errorf("no execution: %v", err)
	}
}

// TestSameDeployedSettings: a run refuses a configuration file other than
// the one the stacks were deployed with, and says how to deploy it.
func TestSameDeployedSettings(t *testing.T) {
	cfg, err := settings.LoadFile(filepath.Join("..", "..", "..", "orgbaseline.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	digest, err := cfg.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if err := sameDeployedSettings(map[string]string{workflow.SettingsDigestOutput: digest}, cfg, "orgbaseline.yaml"); err != nil {
		t.Errorf("the deployed configuration: %v", err)
	}
	edited := cfg
	edited.Findings.HealthEvents = true
	err = sameDeployedSettings(map[string]string{workflow.SettingsDigestOutput: digest}, edited, "orgbaseline.yaml")
	if err == nil || !strings.Contains(err.Error(), "the deployed stacks run another configuration than orgbaseline.yaml") ||
		!strings.Contains(err.Error(), "ORGBASELINE_CONFIG=orgbaseline.yaml cdk deploy --all") {
		t.Errorf("an edited configuration: %v", err)
	}
	if err := sameDeployedSettings(map[string]string{}, cfg, "orgbaseline.yaml"); err == nil || !strings.Contains(err.Error(), "has no output SettingsDigest") {
		t.Errorf("no digest: %v", err)
	}
}
