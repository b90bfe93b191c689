package localsfn

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// LambdaService is a local stand-in for the Lambda service, just enough for a
// state machine run:
//
//   - the Invoke API (POST /2015-03-31/functions/{name}/invocations), which
//     the interpreter calls through the AWS SDK for JavaScript;
//   - the Lambda Runtime API (/2018-06-01/runtime/...), which each step
//     process polls through aws-lambda-go's own runtime client, exactly as
//     a provided.al2023 function does on AWS.
//
// So a handler's result and its error type name (reflect type name, as
// aws-lambda-go reports it) reach the interpreter the way they reach Step
// Functions. Each step process has its own Runtime API listener, serves one
// invocation at a time and stays warm for the next; concurrent invocations
// start more processes, up to MaxWorkers per function.
//
// The AWS Lambda Runtime Interface Emulator does the same for one function
// and one invocation at a time on a fixed port; a run needs several functions
// and, in Map states, concurrent invocations, hence this service.
type LambdaService struct {
	stack   *Stack
	command func(Function) []string
	env     []string
	logs    io.Writer

	// MaxWorkers caps the processes per function.
	MaxWorkers int
	// writerPaths are where Distributed Maps with a ResultWriter leave
	// their results inline in the local state (inputBytes).
	writerPaths [][]string
	// token is the run's secret (Credentials).
	token string
	// OnInvoke, if set, sees every invocation once it has ended.
	OnInvoke func(Invocation)

	ln  net.Listener
	srv *http.Server

	mu    sync.Mutex
	funcs map[string]*fnPool
	done  chan struct{}
	seq   atomic.Int64
}

// NewLambdaService returns a service for the step functions of stack.
// command gives the argv of the process that runs a function (it must call
// lambda.Start, e.g. through lambdamain.Run); env is the environment every
// process starts from, before the function's own variables; the processes'
// stdout and stderr go to logs.
func NewLambdaService(stack *Stack, command func(Function) []string, env []string, logs io.Writer) *LambdaService {
	if logs == nil {
		logs = io.Discard
	}
	var defs []json.RawMessage
	for _, sm := range stack.StateMachines {
		defs = append(defs, sm.Definition)
	}
	return &LambdaService{
		stack: stack, command: command, env: env, logs: &lockedWriter{w: logs},
		MaxWorkers: 8, funcs: map[string]*fnPool{}, done: make(chan struct{}),
		writerPaths: writerPaths(defs),
	}
}

// Start listens on a free loopback port, and makes the run's secret: the
// service answers only requests signed with Credentials (any local process
// can reach the port, and a step process holds the operator's
// credentials).
func (s *LambdaService) Start() error {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return fmt.Errorf("local lambda service: %w", err)
	}
	s.token = hex.EncodeToString(secret)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("local lambda service: %w", err)
	}
	s.ln = ln
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serveInvoke), ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return nil
}

// Endpoint is the URL to give the SDK as the Lambda endpoint.
func (s *LambdaService) Endpoint() string { return "http://" + s.ln.Addr().String() }

// Credentials are the ones an Invoke must be signed with: the session
// token is the run's secret, which the SDK sends in X-Amz-Security-Token.
func (s *LambdaService) Credentials() (accessKey, secretKey, sessionToken string) {
	return "local", "local", s.token
}

// authorized reports whether r carries the run's secret.
func (s *LambdaService) authorized(r *http.Request) bool {
	got := r.Header.Get("X-Amz-Security-Token")
	return s.token != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.token)) == 1
}

// Close stops every process and listener.
func (s *LambdaService) Close() error {
	s.mu.Lock()
	select {
	case <-s.done:
		s.mu.Unlock()
		return nil
	default:
	}
	close(s.done)
	pools := make([]*fnPool, 0, len(s.funcs))
	for _, p := range s.funcs {
		pools = append(pools, p)
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range pools {
		wg.Add(1)
		go func() { defer wg.Done(); p.close() }()
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}

// invokeResult is what an invocation ends with.
type invokeResult struct {
	payload   []byte
	errorType string
	errorMsg  string
	// id is the invocation's request ID; resultBytes the size of a result
	// refused for its size.
	id          string
	resultBytes int
}

// size is the size of the result the function returned.
func (r invokeResult) size() int { return max(len(r.payload), r.resultBytes) }

// Invocation is one invocation of a step function, as the local Lambda
// service saw it.
type Invocation struct {
	Function  string
	RequestID string
	// Input is the payload the task sent.
	Input []byte
	// Result is the function's result (JSON), unless it failed or was
	// refused; ResultBytes is its size, also when it was refused for it.
	Result      []byte
	ResultBytes int
	// ErrorType is the error the task got, "" for none.
	ErrorType string
}

type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	once     sync.Once
	finished atomic.Bool
	done     chan invokeResult
}

// finish ends the invocation with r, unless it has ended already; it reports
// whether r was the outcome.
func (inv *invocation) finish(r invokeResult) bool {
	ok := false
	inv.once.Do(func() { inv.finished.Store(true); inv.done <- r; ok = true })
	return ok
}

func (s *LambdaService) serveInvoke(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		writeAPIError(w, http.StatusForbidden, "UnrecognizedClientException", "the request does not carry this run's credentials")
		return
	}
	name, ok := strings.CutPrefix(r.URL.Path, "/2015-03-31/functions/")
	name, ok2 := strings.CutSuffix(name, "/invocations")
	if r.Method != http.MethodPost || !ok || !ok2 {
		writeAPIError(w, http.StatusNotFound, "ResourceNotFoundException", "only Invoke is served here")
		return
	}
	fn, found := s.stack.Function(name)
	if !found {
		writeAPIError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+name)
		return
	}
	payload, err := io.ReadAll(r.Body)
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequestContentException", err.Error())
		return
	}
	res, err := s.invoke(r.Context(), fn, payload)
	if err != nil {
		writeAPIError(w, http.StatusServiceUnavailable, "ServiceException", err.Error())
		return
	}
	if s.OnInvoke != nil {
		s.OnInvoke(Invocation{Function: fn.Name, RequestID: res.id, Input: payload, Result: res.payload, ResultBytes: res.size(), ErrorType: res.errorType})
	}
	w.Header().Set("X-Amz-Executed-Version", "$LATEST")
	if res.errorType != "" {
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		body, _ := json.Marshal(map[string]string{"errorType": res.errorType, "errorMessage": res.errorMsg})
		w.Write(body)
		return
	}
	w.Write(res.payload)
}

// invoke runs fn with payload, holding both to Step Functions' payload
// limit as a task's input and result.
func (s *LambdaService) invoke(ctx context.Context, fn Function, payload []byte) (invokeResult, error) {
	if len(payload) > MaxPayloadBytes && inputBytes(payload, s.writerPaths) > MaxPayloadBytes {
		// Step Functions does not schedule a task whose input is over the
		// limit: the function is not run.
		return dataLimitExceeded(fn, "was given an input"), nil
	}
	pool, err := s.pool(fn)
	if err != nil {
		return invokeResult{}, err
	}
	res := pool.invoke(ctx, payload)
	if n := len(res.payload); res.errorType == "" && n > MaxPayloadBytes {
		id := res.id
		res = dataLimitExceeded(fn, "returned a result")
		res.id, res.resultBytes = id, n
	}
	return res, nil
}

func writeAPIError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("X-Amzn-ErrorType", code)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	body, _ := json.Marshal(map[string]string{"Type": "User", "message": msg})
	w.Write(body)
}

func (s *LambdaService) pool(fn Function) (*fnPool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.done:
		return nil, errors.New("the local lambda service is closed")
	default:
	}
	p, ok := s.funcs[fn.Name]
	if !ok {
		p = &fnPool{svc: s, fn: fn, queue: make(chan *invocation, 1024)}
		s.funcs[fn.Name] = p
	}
	return p, nil
}

// fnPool holds the processes of one function and its queue of invocations.
type fnPool struct {
	svc   *LambdaService
	fn    Function
	queue chan *invocation

	mu        sync.Mutex
	available int // processes starting or waiting in /next
	workers   []*worker
}

func (p *fnPool) invoke(ctx context.Context, payload []byte) invokeResult {
	timeout := time.Duration(p.fn.TimeoutSeconds) * time.Second
	inv := &invocation{
		id:       fmt.Sprintf("local-%d-%d", time.Now().UnixNano(), p.svc.seq.Add(1)),
		payload:  payload,
		deadline: time.Now().Add(timeout),
		done:     make(chan invokeResult, 1),
	}
	p.mu.Lock()
	if p.available == 0 && len(p.workers) < p.svc.MaxWorkers {
		if err := p.startWorker(); err != nil {
			p.mu.Unlock()
			return invokeResult{errorType: "Runtime.StartError", errorMsg: err.Error()}
		}
	}
	p.mu.Unlock()
	p.queue <- inv

	r := p.await(ctx, inv, timeout)
	r.id = inv.id
	return r
}

// await waits for inv to end, and ends it when it times out or is
// cancelled.
func (p *fnPool) await(ctx context.Context, inv *invocation, timeout time.Duration) invokeResult {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-inv.done:
		return r
	case <-timer.C:
		msg := fmt.Sprintf("Task timed out after %d.00 seconds", p.fn.TimeoutSeconds)
		if inv.finish(invokeResult{errorType: "Sandbox.Timedout", errorMsg: msg}) {
			p.killHolder(inv)
		}
		return <-inv.done
	case <-ctx.Done():
		inv.finish(invokeResult{errorType: "Runtime.Cancelled", errorMsg: ctx.Err().Error()})
		return <-inv.done
	case <-p.svc.done:
		inv.finish(invokeResult{errorType: "Runtime.Cancelled", errorMsg: "the local lambda service closed"})
		return <-inv.done
	}
}

// worker is one step process and its Runtime API listener.
type worker struct {
	pool    *fnPool
	cmd     *exec.Cmd
	ln      net.Listener
	srv     *http.Server
	mu      sync.Mutex
	current *invocation
	exited  chan struct{}
	started bool // has called /next once
}

// startWorker starts a process; p.mu is held.
func (p *fnPool) startWorker() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("runtime API listener: %w", err)
	}
	w := &worker{pool: p, ln: ln, exited: make(chan struct{})}
	w.srv = &http.Server{Handler: http.HandlerFunc(w.serveRuntime), ReadHeaderTimeout: 10 * time.Second}
	go w.srv.Serve(ln)

	argv := p.svc.command(p.fn)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(append([]string{}, p.svc.env...), p.functionEnv(ln.Addr().String())...)
	cmd.Stdout = p.svc.logs
	cmd.Stderr = p.svc.logs
	if err := cmd.Start(); err != nil {
		ln.Close()
		return fmt.Errorf("start %s: %w", p.fn.Name, err)
	}
	w.cmd = cmd
	p.workers = append(p.workers, w)
	p.available++
	go w.wait()
	return nil
}

// functionEnv is the environment Lambda gives a function, plus its own
// variables from the template.
func (p *fnPool) functionEnv(runtimeAPI string) []string {
	region := p.svc.stack.Region
	env := []string{
		"AWS_LAMBDA_RUNTIME_API=" + runtimeAPI,
		"AWS_LAMBDA_FUNCTION_NAME=" + p.fn.Name,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
		"AWS_LAMBDA_LOG_FORMAT=JSON",
		"AWS_REGION=" + region,
		"AWS_DEFAULT_REGION=" + region,
		"_HANDLER=bootstrap",
	}
	for k, v := range p.fn.Env {
		env = append(env, k+"="+v)
	}
	return env
}

// wait reaps the process; an invocation it held fails as Lambda reports a
// crashed runtime.
func (w *worker) wait() {
	err := w.cmd.Wait()
	close(w.exited)
	w.srv.Close()
	p := w.pool
	p.mu.Lock()
	for i, x := range p.workers {
		if x == w {
			p.workers = append(p.workers[:i], p.workers[i+1:]...)
			break
		}
	}
	w.mu.Lock()
	inv, started := w.current, w.started
	w.mu.Unlock()
	if inv == nil || !started {
		// It died waiting for, or before asking for, work.
		p.available--
	}
	p.mu.Unlock()
	if !started {
		// It never reached the runtime loop (an init failure): fail the
		// invocation that started it rather than leave it to time out.
		select {
		case q := <-p.queue:
			q.finish(invokeResult{errorType: "Runtime.ExitError", errorMsg: "the step process exited before taking an invocation (" + exitStatus(err) + "); its log says why"})
		default:
		}
		return
	}
	if inv != nil {
		inv.finish(invokeResult{errorType: "Runtime.ExitError", errorMsg: "the step process exited during the invocation (" + exitStatus(err) + ")"})
	}
}

func exitStatus(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

func (p *fnPool) killHolder(inv *invocation) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, w := range p.workers {
		w.mu.Lock()
		holds := w.current == inv
		w.mu.Unlock()
		if holds {
			w.cmd.Process.Kill()
		}
	}
}

func (p *fnPool) close() {
	p.mu.Lock()
	ws := append([]*worker{}, p.workers...)
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-w.exited:
			case <-time.After(2 * time.Second):
				w.cmd.Process.Kill()
				<-w.exited
			}
		}()
	}
	wg.Wait()
}

const runtimePrefix = "/2018-06-01/runtime/"

func (w *worker) serveRuntime(rw http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, runtimePrefix)
	if !ok {
		http.NotFound(rw, r)
		return
	}
	switch {
	case r.Method == http.MethodGet && path == "invocation/next":
		w.next(rw, r)
	case r.Method == http.MethodPost && path == "init/error":
		w.initError(rw, r)
	case r.Method == http.MethodPost && strings.HasPrefix(path, "invocation/"):
		rest := strings.TrimPrefix(path, "invocation/")
		id, kind, _ := strings.Cut(rest, "/")
		w.complete(rw, r, id, kind)
	default:
		http.NotFound(rw, r)
	}
}

func (w *worker) next(rw http.ResponseWriter, r *http.Request) {
	p := w.pool
	w.mu.Lock()
	if !w.started {
		w.started = true
	} else {
		// Back from an invocation: available again.
		p.mu.Lock()
		p.available++
		p.mu.Unlock()
	}
	w.current = nil
	w.mu.Unlock()

	var inv *invocation
	for inv == nil {
		select {
		case inv = <-p.queue:
			if inv.finished.Load() { // timed out or cancelled while queued
				inv = nil
			}
		case <-r.Context().Done():
			return
		case <-p.svc.done:
			// Shutting down: leave the poll unanswered until the process
			// is stopped, as Lambda does with a frozen environment.
			<-r.Context().Done()
			return
		}
	}
	p.mu.Lock()
	p.available--
	p.mu.Unlock()
	w.mu.Lock()
	w.current = inv
	w.mu.Unlock()

	h := rw.Header()
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", p.fn.ARN)
	h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
	h.Set("Content-Type", "application/json")
	rw.Write(inv.payload)
}

// runtimeError is the body a runtime posts for a failed invocation or init.
type runtimeError struct {
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
}

func (w *worker) complete(rw http.ResponseWriter, r *http.Request, id, kind string) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	w.mu.Lock()
	inv := w.current
	w.mu.Unlock()
	if inv == nil || inv.id != id {
		http.Error(rw, "unknown invocation "+id, http.StatusBadRequest)
		return
	}
	switch kind {
	case "response":
		inv.finish(invokeResult{payload: body})
	case "error":
		var e runtimeError
		if json.Unmarshal(body, &e) != nil || e.ErrorType == "" {
			e = runtimeError{ErrorType: "Runtime.Unknown", ErrorMessage: string(body)}
		}
		inv.finish(invokeResult{errorType: e.ErrorType, errorMsg: e.ErrorMessage})
	default:
		http.NotFound(rw, r)
		return
	}
	rw.WriteHeader(http.StatusAccepted)
}

// initError: the handler could not be built. The process exits next; the
// invocation it would have served fails with the init error, as on Lambda.
func (w *worker) initError(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var e runtimeError
	if json.Unmarshal(body, &e) != nil || e.ErrorType == "" {
		e = runtimeError{ErrorType: "Runtime.InitError", ErrorMessage: string(body)}
	}
	select {
	case inv := <-w.pool.queue:
		inv.finish(invokeResult{errorType: e.ErrorType, errorMsg: e.ErrorMessage})
	default:
	}
	rw.WriteHeader(http.StatusAccepted)
}

// lockedWriter serializes writes of several processes to one writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// MaxPayloadBytes is Step Functions' limit on the input and the output of a
// task, a state and an execution: 256 KiB of UTF-8 encoded JSON ("Step
// Functions service quotas": maximum input or output size for a task,
// state, or execution). Step Functions fails a task whose Lambda function
// returns more, or that would be given more, with ErrDataLimitExceeded.
const MaxPayloadBytes = workflow.MaxPayloadBytes

// ResultWriterOutput is what a Distributed Map with a ResultWriter puts at
// its ResultPath on AWS: where its results were written, not the results,
// which the local interpreter keeps inline. Its size stands in for theirs
// where the local run measures a state's output against MaxPayloadBytes.
const ResultWriterOutput = `{"MapRunArn":"arn:aws:states:us-east-1:123456789012:mapRun:OrgBaseline-Management-BaselineStateMachine0123456789AB-abcdefghijkl/ConfigRecorders:01234567-89ab-cdef-0123-456789abcdef",` +
	`"ResultWriterDetails":{"Bucket":"orgbaseline-management-baselineresults0123abcd-abcdefghijkl","Key":"results/config-recorders/01234567-89ab-cdef-0123-456789abcdef/manifest.json"}}`

// ErrDataLimitExceeded is the error Step Functions raises for a payload over
// MaxPayloadBytes: a terminal error, which States.ALL neither retries nor
// catches.
const ErrDataLimitExceeded = "States.DataLimitExceeded"

// dataLimitExceeded is a task's failure for a payload over the limit, worded
// as Step Functions words it.
func dataLimitExceeded(fn Function, what string) invokeResult {
	return invokeResult{
		errorType: ErrDataLimitExceeded,
		errorMsg: fmt.Sprintf("The state/task '%s' %s with a size exceeding the maximum number of bytes service limit (%d bytes).",
			fn.ARN, what, MaxPayloadBytes),
	}
}
