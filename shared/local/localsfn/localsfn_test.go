package localsfn

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// The test binary doubles as the step process: started with
// LOCALSFN_TEST_WORKER set, it serves the step named by ORGBASELINE_STEP
// through aws-lambda-go's runtime loop, as a deployed bootstrap would.
func TestMain(m *testing.M) {
	if os.Getenv("LOCALSFN_TEST_WORKER") != "" {
		serveTestStep()
		return
	}
	os.Exit(m.Run())
}

type testInput struct {
	Then string `json:"then"`
	Dir  string `json:"dir"`
	// Size is the size of the big step's result; Items the iterations of
	// the Maps over it.
	Size  int   `json:"size,omitempty"`
	Items []int `json:"items,omitempty"`
}

func serveTestStep() {
	switch step := os.Getenv(workflow.EnvStep); step {
	case "echo":
		lambda.Start(func(in map[string]any) (map[string]any, error) {
			return map[string]any{"got": in["then"], "var": os.Getenv("STEP_VAR"), "fn": os.Getenv("AWS_LAMBDA_FUNCTION_NAME")}, nil
		})
	case "flaky":
		// Fails twice with RetryableError, then succeeds; attempts are
		// counted in a file because each attempt may reach another process.
		lambda.Start(func(in testInput) (int, error) {
			path := filepath.Join(in.Dir, "attempts")
			b, _ := os.ReadFile(path)
			n, _ := strconv.Atoi(string(b))
			n++
			os.WriteFile(path, []byte(strconv.Itoa(n)), 0o600)
			if n < 3 {
				return n, &workflow.RetryableError{Op: "attempt " + strconv.Itoa(n), Err: os.ErrDeadlineExceeded}
			}
			return n, nil
		})
	case "conflict":
		lambda.Start(func() error {
			return &workflow.ConflictError{Conflicts: []workflow.Conflict{{Service: "guardduty", Resource: "delegated administrator", Found: "999999999999", Wanted: "222222222222"}}}
		})
	case "crash":
		lambda.Start(func() error { os.Exit(3); return nil })
	case "big":
		// A result of about size bytes of JSON.
		lambda.Start(func(in testInput) (map[string]string, error) {
			return map[string]string{"data": strings.Repeat("x", in.Size)}, nil
		})
	default:
		panic("unknown step " + step)
	}
}

func repoRoot(t *testing.T) string {
	t.Helper()
	if r := os.Getenv("ORGBASELINE_ROOT"); r != "" {
		return r
	}
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func TestReadStack(t *testing.T) {
	s, err := ReadStack("testdata/assembly", "Test-Management")
	if err != nil {
		t.Fatal(err)
	}
	if s.Account != "111111111111" || s.Region != "eu-west-1" {
		t.Errorf("environment: got %s/%s", s.Account, s.Region)
	}
	if e, a := 5, len(s.Functions); e != a {
		t.Fatalf("expect %d step functions (the provider has no step), got %d", e, a)
	}
	f, ok := s.Function("arn:aws:lambda:eu-west-1:111111111111:function:flaky:$LATEST")
	if !ok || f.LogicalID != "FlakyFn9F8E7D6C" || f.TimeoutSeconds != 10 || f.Env["STEP_VAR"] != "from-template-flaky" {
		t.Errorf("function by qualified ARN: %+v %v", f, ok)
	}
	if _, ok := s.Function("nope"); ok {
		t.Error("found a function that does not exist")
	}
	var def struct {
		States map[string]struct {
			Resource string `json:"Resource"`
		} `json:"States"`
	}
	if err := json.Unmarshal(s.StateMachines[0].Definition, &def); err != nil {
		t.Fatalf("definition: %v", err)
	}
	for state, want := range map[string]string{
		"Echo":        "arn:aws:lambda:eu-west-1:111111111111:function:echo",
		"Conflicting": "arn:aws:lambda:eu-west-1:111111111111:function:conflict",
	} {
		if a := def.States[state].Resource; a != want {
			t.Errorf("%s resource: expect %s, got %s", state, want, a)
		}
	}
}

func TestReadStackErrors(t *testing.T) {
	for name, want := range map[string]string{"Missing": "not in the cloud assembly", "Unbound": "names no account and region"} {
		if _, err := ReadStack("testdata/assembly", name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: expect error containing %q, got %v", name, want, err)
		}
	}
}

func localRun(t *testing.T, input testInput) (Execution, []Event) {
	t.Helper()
	res, events, _ := localRunInvocations(t, input)
	return res, events
}

// localRunInvocations is localRun that also returns the invocations the
// local Lambda service saw.
func localRunInvocations(t *testing.T, input testInput) (Execution, []Event, []Invocation) {
	t.Helper()
	tools, err := FindTools(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	stack, err := ReadStack("testdata/assembly", "Test-Management")
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var events []Event
	var invocations []Invocation
	var logs strings.Builder
	l := Local{
		Stack: stack, Tools: tools,
		WorkerCommand: func(Function) []string { return []string{exe} },
		WorkerEnv:     append(os.Environ(), "LOCALSFN_TEST_WORKER=1"),
		Logs:          &logs,
		// No pause before retries: the test does not wait on the clock.
		RetryIntervalOverrides: map[string]int{"Flaky": 0},
		OnEvent:                func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() },
		OnInvoke:               func(i Invocation) { mu.Lock(); invocations = append(invocations, i); mu.Unlock() },
	}
	res, err := l.Execute(context.Background(), input)
	if err != nil {
		t.Fatalf("Execute: %v\nstep logs:\n%s", err, logs.String())
	}
	return res, events, invocations
}

func count(events []Event, typ, state string) int {
	n := 0
	for _, e := range events {
		if e.Type == typ && (state == "" || (e.State != nil && e.State.Name == state)) {
			n++
		}
	}
	return n
}

func TestExecuteRetriesNamedErrorAndSucceeds(t *testing.T) {
	res, events := localRun(t, testInput{Then: "done", Dir: t.TempDir()})
	if res.Status != "SUCCEEDED" {
		t.Fatalf("expect SUCCEEDED, got %+v", res)
	}
	var out struct {
		Echo  map[string]string `json:"echo"`
		Flaky int               `json:"flaky"`
	}
	if err := json.Unmarshal(res.Output, &out); err != nil {
		t.Fatal(err)
	}
	if e, a := (map[string]string{"got": "done", "var": "from-template-echo", "fn": "echo"}), out.Echo; e["got"] != a["got"] || e["var"] != a["var"] || e["fn"] != a["fn"] {
		t.Errorf("echo result: expect %v, got %v", e, a)
	}
	// RetryableError reached the interpreter under its name and matched Retry.
	if e, a := 2, count(events, "StateRetried", "Flaky"); e != a {
		t.Errorf("expect %d retries of Flaky, got %d", e, a)
	}
	if e, a := 3, out.Flaky; e != a {
		t.Errorf("expect success on attempt %d, got %d", e, a)
	}
}

func TestExecuteCatchesConflictByName(t *testing.T) {
	res, events := localRun(t, testInput{Then: "conflict", Dir: t.TempDir()})
	if res.Status != "FAILED" || res.Error != workflow.ErrNameConflict {
		t.Fatalf("expect FAILED with %s, got %+v", workflow.ErrNameConflict, res)
	}
	if !strings.Contains(res.Cause, "999999999999") || !strings.Contains(res.Cause, "222222222222") {
		t.Errorf("cause does not carry the conflict: %s", res.Cause)
	}
	if e, a := 1, count(events, "StateCaught", "Conflicting"); e != a {
		t.Errorf("expect the Catch to route the error (%d), got %d", e, a)
	}
}

func TestExecuteCrashedProcess(t *testing.T) {
	res, _ := localRun(t, testInput{Then: "crash", Dir: t.TempDir()})
	if res.Status != "FAILED" || res.Error != "Runtime.ExitError" {
		t.Fatalf("expect FAILED with Runtime.ExitError, got %+v", res)
	}
	if !strings.Contains(res.Cause, "exit status 3") {
		t.Errorf("cause does not say how the process ended: %s", res.Cause)
	}
}
