// Package cli is the orgbaseline operator command line: apply (and plan) the
// baseline through the deployed state machine or locally, and the developer
// commands the local run and the build use.
package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Exit statuses.
const (
	ExitOK     = 0 // the run succeeded and nothing failed
	ExitFailed = 1 // the run ran, and something failed
	ExitUsage  = 2 // bad command line or configuration: nothing was called
	// ExitInterrupted: a signal ended the command, which did not wind down
	// within interruptGrace (128 + SIGINT, as a shell reports it).
	ExitInterrupted = 130
)

const usage = `orgbaseline switches on the AWS security baseline across an AWS Organization.

Usage:
  orgbaseline apply [--plan] [--local] [--accounts IDS] [--services NAMES]
                    [--regions NAMES] [--config FILE] [--output table|json] [--details]
  orgbaseline onboard --account ID | --event FILE [--plan] [--local] [--config FILE]
                      [--output table|json] [--details]
  orgbaseline notify --event FILE [--local] [--config FILE]
  orgbaseline deploy --local [--plan] [--config FILE] [--output table|json] [--details]
  orgbaseline rollback trail-encryption|trail-cloudwatch-logs [--plan] [--config FILE]
                       [--output table|json] [--details]
  orgbaseline disable SERVICE [--plan] [--config FILE] [--output table|json] [--details]
  orgbaseline status [EXECUTION_ARN] [--config FILE] [--output table|json] [--details]
  orgbaseline report [--local] [--accounts IDS] [--services NAMES] [--regions NAMES]
                     [--config FILE] [--output table|json|csv|html] [--out FILE]
  orgbaseline validate [--config FILE]
  orgbaseline version
  orgbaseline help [COMMAND]
  orgbaseline dev lambda-runtime STEP
  orgbaseline dev export-asl [--assembly DIR] [--out DIR]

Commands:
  apply      start the baseline state machine and follow it to the end; with
             --plan, report what would change and change nothing; with
             --local, run the synthesized state machine on this machine
  onboard    apply the baseline to one new account (--account), or to what an
             EventBridge event announces (--event: a created, joined or Control
             Tower-enrolled account, a region enabled), as the onboarding rules do;
             the same event twice starts one run
  notify     push one finding event through the notifications' path: the finding
             rules decide (an event they would not match is not published), the
             formatter makes the message, the findings topic gets it
  deploy     --local: create the log-archive and security stacks' resources on an
             emulator, standing in for 'cdk deploy --all' (see README)
  rollback   undo a part of the baseline: the trail's SSE-KMS encryption, or its
             delivery to CloudWatch Logs ('orgbaseline rollback' lists them)
  disable    undo what apply turned on for one service (members, organization
             configuration, delegated administrator, trusted access), keeping
             what holds evidence ('orgbaseline disable' lists the services)
  status     follow an execution of the deployed state machine (the latest, or the one
             named) to its end and report it: interrupting apply stops only the following
  report     the coverage matrix, account x region x service (on, off, partly on,
             skipped or excluded, with the reason), read from the organization's
             actual state by a plan run (read-only) and its tree; exit status 1
             when a cell is off, partly on or could not be read
  validate   check the configuration file and list every problem in it
  version    the CLI's version and the source revision it was built from
  help       this text, or what 'orgbaseline COMMAND -h' prints
  dev        commands used by the local run and the build

Run 'orgbaseline COMMAND -h' (or 'orgbaseline help COMMAND') for a command's
usage, what it does and all its flags with their defaults.
`

// Env is what the CLI reads from its surroundings; tests replace it.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

// Main runs the command line args (without the program name) and returns
// the exit status.
func Main(args []string) int {
	if len(args) >= 2 && args[0] == "dev" && args[1] == "lambda-runtime" {
		// A step process: it runs until the Lambda runtime loop ends, and
		// SIGTERM must end it at once, as on Lambda; no signal handling here.
		return Run(context.Background(), args, Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	done := make(chan struct{})
	defer close(done)
	go endAfterGrace(ctx, stop, done, interruptGrace, os.Stderr, os.Exit)
	return Run(ctx, args, Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
}

// interruptGrace is how long a command may wind down after SIGINT or
// SIGTERM (its context is cancelled) before the process ends anyway.
const interruptGrace = 10 * time.Second

// endAfterGrace makes every command end on a signal: once ctx is cancelled
// by one, a second signal ends the process at once (stop gives the signals
// back their default action), and a command still running after grace is
// ended with ExitInterrupted. It returns when done is closed.
func endAfterGrace(ctx context.Context, stop func(), done <-chan struct{}, grace time.Duration, stderr io.Writer, exit func(int)) {
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	stop()
	select {
	case <-done:
	case <-time.After(grace):
		fmt.Fprintf(stderr, "orgbaseline: interrupted, and still running %s later: stopping now\n", grace)
		exit(ExitInterrupted)
	}
}

// Run is Main with explicit context and environment.
func Run(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return ExitUsage
	}
	switch args[0] {
	case "apply":
		return apply(ctx, args[1:], env)
	case "validate":
		return validate(args[1:], env)
	case "onboard":
		return onboardCmd(ctx, args[1:], env)
	case "notify":
		return notifyCmd(ctx, args[1:], env)
	case "status":
		return status(ctx, args[1:], env)
	case "report":
		return reportCmd(ctx, args[1:], env)
	case "deploy":
		return deploy(ctx, args[1:], env)
	case "rollback":
		return rollback(ctx, args[1:], env)
	case "disable":
		return disable(ctx, args[1:], env)
	case "dev":
		return dev(ctx, args[1:], env)
	case "version", "--version":
		return version(args[1:], env)
	case "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
		return ExitOK
	case "help":
		return helpCmd(args[1:], env)
	}
	fmt.Fprintf(env.Stderr, "orgbaseline: unknown command %q%s\n\n%s", args[0], didYouMean(args[0], commands), usage)
	return ExitUsage
}

// newFlagSet returns a flag set that reports to stderr and does not exit;
// the flag set of a command prints the command's help for -h.
func newFlagSet(name string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	if _, ok := helps[name]; ok {
		setUsage(fs, name)
	}
	return fs
}

// parseFlags parses and turns -h into the command's help on stdout and
// ExitOK, errors into a short message on stderr and ExitUsage.
func parseFlags(fs *flag.FlagSet, args []string, env Env) (int, bool) {
	errOut := fs.Output()
	var help bytes.Buffer
	fs.SetOutput(&help)
	err := fs.Parse(args)
	fs.SetOutput(errOut)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			io.Copy(env.Stdout, &help)
			return ExitOK, false
		}
		// The flag package printed the whole help after the error; the
		// error, the closest flag and where the help is are enough.
		fmt.Fprintf(errOut, "orgbaseline %s: %v\n%s", fs.Name(), err, unknownFlag(fs, err))
		fmt.Fprintf(errOut, "run 'orgbaseline %s -h' for its flags\n", helpName(fs))
		return ExitUsage, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "orgbaseline %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return ExitUsage, false
	}
	return 0, true
}

// splitList reads a comma-separated flag value.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// findRoot returns the orgbaseline folder: the one holding the local
// runner's script and node_modules. ORGBASELINE_ROOT names it; otherwise it
// is searched for upwards from the executable and from the working folder.
func findRoot(env Env) (string, error) {
	if r := env.Getenv("ORGBASELINE_ROOT"); r != "" {
		return r, nil
	}
	var starts []string
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	for _, dir := range starts {
		for d := dir; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "scripts", "local-sfn.mjs")); err == nil {
				return d, nil
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return "", errors.New("cannot find the orgbaseline folder (with scripts/local-sfn.mjs): run from inside it or set ORGBASELINE_ROOT")
}
