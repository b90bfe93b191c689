package sdkcount

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync"

	"github.com/aws/smithy-go/middleware"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/lambdamain"
	"github.com/orgbaseline/orgbaseline/shared/local/faults"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
)

// EnvCallDir names the folder a counting step process (Serve) writes its
// calls to, one file per process.
const EnvCallDir = "ORGBASELINE_SDK_CALL_DIR"

// Serve runs step s through the Lambda runtime as lambdamain.Run does
// (functions/<step> on AWS, `orgbaseline dev lambda-runtime` locally), with
// Option on every client the handler is given: the management account's
// configuration and, through it, the sessions in the other accounts. Each
// call is appended as a JSON line to a file of its own in dir as it is
// made, so nothing is lost when the process is stopped. It does not
// return.
func Serve(s step.Step, dir string) {
	path := filepath.Join(dir, fmt.Sprintf("%s-%d.jsonl", s.Spec.Name, os.Getpid()))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdkcount:", err)
		os.Exit(1)
	}
	var extra []func(*middleware.Stack) error
	spec, ok, err := faults.FromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdkcount:", err)
		os.Exit(1)
	}
	if ok {
		fl, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("%s-%d.faultlog", s.Spec.Name, os.Getpid())), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, "sdkcount:", err)
			os.Exit(1)
		}
		log := &fileLog{f: fl}
		layer := faults.New(spec, AccountOf, Mutating, func(kind, op string) {
			log.write(Fault{Step: s.Spec.Name, Kind: kind, Operation: op})
		})
		extra = append(extra, layer.Option())
	}
	lambdamain.Run(Counted(s, (&fileLog{f: f}).record, extra...))
}

// Fault is one fault the fault layer injected into a step's call.
type Fault struct {
	Step      string `json:"step"`
	Kind      string `json:"kind"`
	Operation string `json:"operation"`
}

// ReadFaults returns the faults the step processes wrote to dir.
func ReadFaults(dir string) ([]Fault, error) {
	return readLines[Fault](dir, "*.faultlog")
}

// Counted returns step s with its handler built from counting clients:
// Option(s's name, record) is added to the management account's
// configuration, and the cross-account sessions are made from that
// configuration as step.Setup makes them (with the step's grants, so their
// session policies), each marked with its account (InAccount). The step's
// own handler runs inside the one Counted defines, so step.Define's
// deadline margin (step.DeadlineMargin) applies twice: the step stops that
// much earlier than on AWS, which no local run comes near.
//
// extra are further API options of every client (the fault layer of a
// fault-injection run).
func Counted(s step.Step, record func(Call), extra ...func(*middleware.Stack) error) step.Step {
	counted := step.Define(s.Spec, func(d step.Deps) step.Handler[json.RawMessage, json.RawMessage] {
		d.AWS = d.AWS.Copy()
		d.AWS.APIOptions = append(append(slices.Clone(d.AWS.APIOptions), Option(s.Spec.Name, record)), extra...)
		opts := append(slices.Clone(d.AccountsOptions), awsclient.WithAPIOptionsFor(func(account string) []func(*middleware.Stack) error {
			return []func(*middleware.Stack) error{InAccount(account)}
		}))
		d.Accounts = awsclient.NewAccounts(d.AWS, d.Settings.Accounts.Management, d.Settings.ExecutionRoleName, step.SessionName(s.Spec), opts...)
		h := reflect.ValueOf(s.Handler(d))
		if t := h.Type(); t.Kind() != reflect.Func || t.NumIn() != 2 || t.NumOut() != 2 {
			panic(fmt.Sprintf("sdkcount: step %s: handler %s is not func(context.Context, In) (Out, error)", s.Spec.Name, t))
		}
		return func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
			return invoke(ctx, h, in)
		}
	})
	return counted.WithGrants(func(c settings.Config) step.Grants {
		g, _ := s.Grants(c)
		return g
	})
}

// invoke calls handler h (a step.Handler[In, Out]) with in decoded as In
// and returns its result encoded as JSON, or its error unchanged: the Lambda
// runtime reports the error's type name, as it does for the step itself.
func invoke(ctx context.Context, h reflect.Value, in json.RawMessage) (json.RawMessage, error) {
	arg := reflect.New(h.Type().In(1))
	if err := json.Unmarshal(in, arg.Interface()); err != nil {
		return nil, err
	}
	out := h.Call([]reflect.Value{reflect.ValueOf(ctx), arg.Elem()})
	if err, _ := out[1].Interface().(error); err != nil {
		return nil, err
	}
	// Encoded as the runtime encodes a handler's result: no HTML escaping,
	// no trailing newline.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out[0].Interface()); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// fileLog appends calls to a file, one JSON line and one write each.
type fileLog struct {
	mu sync.Mutex
	f  *os.File
}

func (l *fileLog) record(c Call) { l.write(c) }

// write appends v as one JSON line.
func (l *fileLog) write(v any) {
	line, _ := json.Marshal(v)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.f.Write(append(line, '\n'))
}

// ReadDir returns the calls the step processes wrote to dir.
func ReadDir(dir string) ([]Call, error) {
	return readLines[Call](dir, "*.jsonl")
}

// readLines reads the JSON lines of the files of dir that match pattern.
func readLines[T any](dir, pattern string) ([]T, error) {
	files, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		return nil, err
	}
	var out []T
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var v T
			if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
				f.Close()
				return nil, fmt.Errorf("sdkcount: %s: %w", name, err)
			}
			out = append(out, v)
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("sdkcount: %s: %w", name, err)
		}
	}
	return out, nil
}
