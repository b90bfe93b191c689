package motorig

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/orgbaseline/orgbaseline/shared/local/fakeaws"
)

// Environment variables the rig reads. The Makefile exports both.
const (
	// EnvPython names the Python interpreter that has moto[server].
	EnvPython = "ORGBASELINE_PYTHON"
	// EnvRoot names the repository root.
	EnvRoot = "ORGBASELINE_ROOT"
)

// LauncherScript is the launcher's path relative to the repository root.
const LauncherScript = "scripts/motoserver.py"

const (
	defaultRegion       = "us-east-1"
	defaultStartTimeout = 30 * time.Second
	defaultMaxAttempts  = 2
	// stopTimeout is how long Close waits after SIGTERM before killing.
	stopTimeout = 10 * time.Second
	// bindAttempts is how often Start picks a new port when the one it
	// picked was taken before the server could bind it.
	bindAttempts = 3
	// exitAddrInUse is the launcher's exit status when the port is taken.
	exitAddrInUse = 98
	logTailBytes  = 4096
)

// Option configures Start.
type Option func(*options)

type options struct {
	region       string
	python       string
	root         string
	logPath      string
	startTimeout time.Duration
	maxAttempts  int
}

// WithRegion sets the region of AWSConfig and Env (default us-east-1).
func WithRegion(region string) Option { return func(o *options) { o.region = region } }

// WithPython sets the Python interpreter, overriding ORGBASELINE_PYTHON.
func WithPython(path string) Option { return func(o *options) { o.python = path } }

// WithRoot sets the repository root, overriding ORGBASELINE_ROOT.
func WithRoot(dir string) Option { return func(o *options) { o.root = dir } }

// WithLogFile writes the server's output to path and keeps the file after
// Close. By default it goes to a temporary file that Close removes unless
// the server failed.
func WithLogFile(path string) Option { return func(o *options) { o.logPath = path } }

// WithStartTimeout bounds the wait for the server to answer (default 30 s).
func WithStartTimeout(d time.Duration) Option { return func(o *options) { o.startTimeout = d } }

// WithMaxAttempts sets the SDK's attempts per call in AWSConfig (default 2).
// moto answers operations it does not implement with HTTP 500, which the
// SDK retries, so keep it small.
func WithMaxAttempts(n int) Option { return func(o *options) { o.maxAttempts = n } }

// Server is a running moto server.
type Server struct {
	endpoint    string
	region      string
	maxAttempts int
	http        *http.Client

	cmd        *exec.Cmd
	stdin      *os.File // closing it makes the launcher exit
	done       chan struct{}
	waitErr    error         // set before done is closed
	stdout     *os.File      // read end of the server's stdout
	stdoutDone chan struct{} // closed when all of stdout is in the log

	log     *os.File
	logPath string
	keepLog bool
	// sharedConfig is a shared config file with only an empty default
	// profile, for AWSConfig.
	sharedConfig string
	// fake answers the services moto lacks.
	fake *fakeaws.Server

	mu        sync.Mutex // guards keepLog
	closeErr  error
	closeOnce sync.Once
}

// Start launches a moto server on a free port of 127.0.0.1 and waits until
// it answers HTTP requests. ctx bounds the start only; the server runs until
// Close. The server's stdout and stderr go to a log file (LogPath); when it
// fails to start, the error carries the end of that log.
func Start(ctx context.Context, opts ...Option) (*Server, error) {
	o := options{region: defaultRegion, startTimeout: defaultStartTimeout, maxAttempts: defaultMaxAttempts}
	for _, fn := range opts {
		fn(&o)
	}
	root := o.root
	if root == "" {
		r, err := RepoRoot()
		if err != nil {
			return nil, err
		}
		root = r
	}
	python, err := findPython(o.python, root)
	if err != nil {
		return nil, err
	}
	script := filepath.Join(root, filepath.FromSlash(LauncherScript))
	if _, err := os.Stat(script); err != nil {
		return nil, fmt.Errorf("motorig: launcher not found: %w (is %s the orgbaseline repository root?)", err, root)
	}

	var log *os.File
	keep := o.logPath != ""
	if keep {
		log, err = os.OpenFile(o.logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	} else {
		log, err = os.CreateTemp("", "motorig-*.log")
	}
	if err != nil {
		return nil, fmt.Errorf("motorig: server log: %w", err)
	}

	sharedConfig, err := writeSharedConfig()
	if err != nil {
		log.Close()
		return nil, err
	}

	ctx, cancel := context.WithTimeout(ctx, o.startTimeout)
	defer cancel()
	for attempt := 1; ; attempt++ {
		s := &Server{
			region:       o.region,
			maxAttempts:  o.maxAttempts,
			http:         &http.Client{Timeout: 30 * time.Second},
			log:          log,
			logPath:      log.Name(),
			keepLog:      keep,
			sharedConfig: sharedConfig,
		}
		err := s.launch(ctx, python, script, root)
		if err == nil {
			err = s.startFake(ctx)
		}
		if err == nil {
			return s, nil
		}
		if errors.Is(err, errAddrInUse) && attempt < bindAttempts {
			continue
		}
		log.Close()
		os.Remove(sharedConfig)
		tail := logTail(log.Name())
		where := "server log " + log.Name()
		if !keep {
			os.Remove(log.Name()) // its end is in the error
			where = "server output"
		}
		if tail != "" {
			tail = fmt.Sprintf("\n%s (end):\n%s", where, tail)
		}
		return nil, fmt.Errorf("motorig: start moto server with %s: %w%s", python, err, tail)
	}
}

func writeSharedConfig() (string, error) {
	f, err := os.CreateTemp("", "motorig-*.awsconfig")
	if err != nil {
		return "", fmt.Errorf("motorig: shared config file: %w", err)
	}
	_, err = f.WriteString("[default]\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("motorig: shared config file: %w", err)
	}
	return f.Name(), nil
}

var errAddrInUse = errors.New("port taken")

// startFake starts, beside the running moto server, the fake that answers
// the services moto lacks. If it cannot, the moto server is stopped.
func (s *Server) startFake(ctx context.Context) error {
	fake, err := fakeaws.Start(ctx, s.endpoint)
	if err != nil {
		s.kill()
		return err
	}
	s.fake = fake
	return nil
}

// launch starts the launcher on a free port and waits until the server
// answers there.
func (s *Server) launch(ctx context.Context, python, script, root string) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	fmt.Fprintf(s.log, "motorig: starting %s %s %d\n", python, script, port)
	ready, err := s.spawn(python, script, root, port)
	if err != nil {
		return err
	}
	return s.awaitReady(ctx, ready, "http://127.0.0.1:"+strconv.Itoa(port))
}

// spawn starts the launcher on port, its stderr going to the log and its
// stdout copied there, and returns the channel that receives the URL of its
// READY line.
func (s *Server) spawn(python, script, root string, port int) (<-chan string, error) {
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	stdoutR, stdoutW, err := os.Pipe()
	if err != nil {
		stdinR.Close()
		stdinW.Close()
		return nil, err
	}
	cmd := exec.Command(python, script, strconv.Itoa(port), "--exit-on-stdin-eof")
	cmd.Dir = root
	cmd.Env = serverEnv()
	cmd.Stdin = stdinR
	cmd.Stdout = stdoutW
	cmd.Stderr = s.log
	err = cmd.Start()
	stdinR.Close()
	stdoutW.Close()
	if err != nil {
		stdinW.Close()
		stdoutR.Close()
		return nil, err
	}
	s.cmd, s.stdin, s.stdout = cmd, stdinW, stdoutR
	s.done, s.stdoutDone = make(chan struct{}), make(chan struct{})
	go func() {
		s.waitErr = cmd.Wait()
		close(s.done)
	}()
	ready := make(chan string, 1)
	go s.copyStdout(ready)
	return ready, nil
}

// copyStdout copies the server's stdout to the log, handing over the URL of
// the READY line.
func (s *Server) copyStdout(ready chan<- string) {
	defer close(s.stdoutDone)
	defer s.stdout.Close()
	sc := bufio.NewScanner(s.stdout)
	sent := false
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(s.log, line)
		if !sent && strings.HasPrefix(line, "READY ") {
			ready <- strings.TrimSpace(strings.TrimPrefix(line, "READY "))
			sent = true
		}
	}
}

// awaitReady waits until the launcher reports READY at want and the server
// answers there. If it does not, the server is stopped; errAddrInUse says
// that the launcher found the port taken.
func (s *Server) awaitReady(ctx context.Context, ready <-chan string, want string) error {
	fail := func(err error) error {
		s.kill()
		return err
	}
	select {
	case url := <-ready:
		if url != want {
			return fail(fmt.Errorf("launcher reported %q, want %q", url, want))
		}
		s.endpoint = url
	case <-s.done:
		s.stdin.Close()
		s.waitStdout()
		var ee *exec.ExitError
		if errors.As(s.waitErr, &ee) && ee.ExitCode() == exitAddrInUse {
			return errAddrInUse
		}
		return fmt.Errorf("server exited before it was ready (%v)", s.waitErr)
	case <-ctx.Done():
		return fail(fmt.Errorf("server did not report READY: %w", ctx.Err()))
	}
	if err := s.waitHTTP(ctx); err != nil {
		return fail(err)
	}
	return nil
}

// waitHTTP polls until the server answers a request.
func (s *Server) waitHTTP(ctx context.Context) error {
	delay := 20 * time.Millisecond
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.endpoint+"/moto-api/config", nil)
		if err != nil {
			return err
		}
		resp, err := s.http.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return nil
			}
			err = fmt.Errorf("HTTP %s", resp.Status)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("server does not answer at %s (last: %v): %w", s.endpoint, err, ctx.Err())
		case <-s.done:
			t.Stop()
			return fmt.Errorf("server exited (%v)", s.waitErr)
		case <-t.C:
		}
		delay = min(2*delay, 500*time.Millisecond)
	}
}

// kill stops the process at once and waits for it.
func (s *Server) kill() {
	s.cmd.Process.Kill()
	<-s.done
	s.stdin.Close()
	s.waitStdout()
}

// waitStdout waits, after the process exited, until its stdout is copied to
// the log. A child process of the server could keep the pipe open, so the
// wait is bounded.
func (s *Server) waitStdout() {
	t := time.NewTimer(2 * time.Second)
	defer t.Stop()
	select {
	case <-s.stdoutDone:
	case <-t.C:
		s.stdout.Close()
		<-s.stdoutDone
	}
}

// Endpoint is the server's URL, http://127.0.0.1:PORT.
func (s *Server) Endpoint() string { return s.endpoint }

// Region is the region of AWSConfig and Env.
func (s *Server) Region() string { return s.region }

// LogPath is the file that receives the server's output.
func (s *Server) LogPath() string { return s.logPath }

// KeepLog makes Close keep the log file.
func (s *Server) KeepLog() {
	s.mu.Lock()
	s.keepLog = true
	s.mu.Unlock()
}

// Reset clears all state of the server (POST /moto-api/reset): every
// account, the organization and every resource, and the state of the fake
// (FakeAWS).
func (s *Server) Reset(ctx context.Context) error {
	err := s.control(ctx, "reset", "/moto-api/reset")
	s.fake.Reset()
	return err
}

// FakeAWS is the fake that answers AWS Health, IAM Access Analyzer, Amazon
// Detective and AWS Security Hub for the server (see the package
// documentation).
func (s *Server) FakeAWS() *fakeaws.Server { return s.fake }

// FakeEndpoint is the fake's URL, http://127.0.0.1:PORT.
func (s *Server) FakeEndpoint() string { return s.fake.URL() }

// SeedRandom seeds the server's random IDs (POST /moto-api/seed): after a
// Reset and the same seed, the same calls make the same organization,
// account and resource IDs.
func (s *Server) SeedRandom(ctx context.Context, seed int) error {
	return s.control(ctx, "seed", fmt.Sprintf("/moto-api/seed?a=%d", seed))
}

// control posts to one of moto's control endpoints.
func (s *Server) control(ctx context.Context, what, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint+path, nil)
	if err != nil {
		return err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return fmt.Errorf("motorig: %s: %w", what, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("motorig: %s: HTTP %s: %s", what, resp.Status, body)
	}
	return nil
}

// Close stops the server and its fake: SIGTERM, then a kill if it has not
// stopped within 10 s. It reports whether the server had failed or had to
// be killed. Calling it again returns the first result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		fakeErr := s.fake.Close()
		s.closeErr = s.stop()
		if s.closeErr == nil {
			s.closeErr = fakeErr
		}
		s.waitStdout()
		s.http.CloseIdleConnections()
		s.mu.Lock()
		keep := s.keepLog || s.closeErr != nil
		s.mu.Unlock()
		s.log.Close()
		os.Remove(s.sharedConfig)
		if !keep {
			os.Remove(s.logPath)
		} else if s.closeErr != nil {
			s.closeErr = fmt.Errorf("%w (server log: %s)", s.closeErr, s.logPath)
		}
	})
	return s.closeErr
}

func (s *Server) stop() error {
	defer s.stdin.Close()
	select {
	case <-s.done:
		return fmt.Errorf("motorig: moto server had already exited (%v)", s.waitErr)
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.kill()
		return nil
	}
	t := time.NewTimer(stopTimeout)
	defer t.Stop()
	select {
	case <-s.done:
		if s.waitErr != nil {
			return fmt.Errorf("motorig: moto server stopped with %v", s.waitErr)
		}
		return nil
	case <-t.C:
		s.kill()
		return fmt.Errorf("motorig: moto server did not stop within %v of SIGTERM and was killed", stopTimeout)
	}
}

// RepoRoot returns ORGBASELINE_ROOT if set, else the nearest directory at or
// above the working directory that holds go.mod.
func RepoRoot() (string, error) {
	if r := os.Getenv(EnvRoot); r != "" {
		return filepath.Abs(r)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("motorig: find repository root: %w", err)
	}
	for dir := wd; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("motorig: no go.mod in %s or above it; set %s to the orgbaseline repository root", wd, EnvRoot)
		}
		dir = parent
	}
}

func findPython(explicit, root string) (string, error) {
	const hint = "run `make deps` to create the project's Python environment (.venv) with moto[server]"
	p, source := explicit, "WithPython"
	if p == "" {
		p, source = os.Getenv(EnvPython), EnvPython
	}
	if p != "" {
		if !strings.ContainsRune(p, os.PathSeparator) {
			if lp, err := exec.LookPath(p); err == nil {
				return lp, nil
			}
		}
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("motorig: %s is %s, which does not exist: %s", source, p, hint)
		}
		return p, nil
	}
	venv := filepath.Join(root, ".venv", "bin", "python")
	if _, err := os.Stat(venv); err != nil {
		return "", fmt.Errorf("motorig: no Python for the moto server: %s is not set and %s does not exist: %s", EnvPython, venv, hint)
	}
	return venv, nil
}

// serverEnv is this process's environment without MOTO_ACCOUNT_ID, which
// would pin every request to one account.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MOTO_ACCOUNT_ID=") {
			env = append(env, kv)
		}
	}
	return env
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// logTail returns the end of the log file at path, for error messages.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 {
		return ""
	}
	if len(b) > logTailBytes {
		b = b[len(b)-logTailBytes:]
	}
	return strings.TrimRight(string(b), "\n")
}
