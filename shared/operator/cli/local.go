package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/orgbaseline/orgbaseline/shared/registry"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/local/localevents"
	"github.com/orgbaseline/orgbaseline/shared/local/localsfn"
	"github.com/orgbaseline/orgbaseline/shared/report"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// assemblyDir returns the cloud assembly of a local run: --assembly, or
// the stacks synthesized for cfg (cachedAssembly).
func assemblyDir(ctx context.Context, o applyOptions, cfg settings.Config, env Env, p *progress) (string, error) {
	if o.assembly != "" {
		return o.assembly, nil
	}
	root, err := findRoot(env)
	if err != nil {
		return "", err
	}
	start := time.Now()
	dir, fresh, err := cachedAssembly(ctx, root, o.cdkApp, o.configPath, cfg)
	if err != nil {
		return "", err
	}
	if fresh {
		p.note("synthesized the stacks from %s (%.1fs)", o.configPath, time.Since(start).Seconds())
	}
	return dir, nil
}

// localAssembly reads the rules and topics of the synthesized stacks.
func localAssembly(ctx context.Context, o applyOptions, cfg settings.Config, env Env, p *progress) (localevents.Assembly, error) {
	dir, err := assemblyDir(ctx, o, cfg, env, p)
	if err != nil {
		return localevents.Assembly{}, err
	}
	return localevents.Read(dir)
}

// localConfigFor acts in an account (through the execution role, but in
// the management account) and a region of the emulator.
func localConfigFor(accounts *awsclient.Accounts) localevents.ConfigFor {
	return func(account, region string) aws.Config {
		return awsclient.WithRegion(accounts.Config(account), region)
	}
}

// runLocal is runLocalExecution's report.
func runLocal(ctx context.Context, o applyOptions, cfg settings.Config, in workflow.Input, env Env, p *progress) (report.Report, error) {
	rep, _, err := runLocalExecution(ctx, o, cfg, in, env, p)
	return rep, err
}

// runLocalExecution synthesizes the stacks for cfg (unless --assembly names a cloud
// assembly), then runs the management stack's state machine on this machine.
func runLocalExecution(ctx context.Context, o applyOptions, cfg settings.Config, in workflow.Input, env Env, p *progress) (report.Report, localsfn.Execution, error) {
	fail := func(err error) (report.Report, localsfn.Execution, error) {
		return report.Report{}, localsfn.Execution{}, err
	}
	root, err := findRoot(env)
	if err != nil {
		return fail(err)
	}
	tools, err := localsfn.FindTools(root)
	if err != nil {
		return fail(err)
	}
	asm := o.assembly
	if asm == "" {
		start := time.Now()
		dir, fresh, err := cachedAssembly(ctx, root, o.cdkApp, o.configPath, cfg)
		if err != nil {
			return fail(err)
		}
		asm = dir
		if fresh {
			p.note("synthesized the stacks from %s (%.1fs)", o.configPath, time.Since(start).Seconds())
		} else {
			p.note("using the stacks synthesized earlier from the same configuration and CDK app")
		}
	}
	stack, err := localsfn.ReadStack(asm, workflow.ManagementStackName)
	if err != nil {
		return fail(err)
	}
	if err := sameSettings(stack, cfg); err != nil {
		return fail(err)
	}

	logPath := o.stepLogs
	if logPath == "" {
		dir, err := runDir(root)
		if err != nil {
			return fail(err)
		}
		logPath = filepath.Join(dir, "steps.log")
	}
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return fail(err)
	}
	logs, err := os.Create(logPath)
	if err != nil {
		return fail(fmt.Errorf("step logs: %w", err))
	}
	defer logs.Close()

	exe, err := os.Executable()
	if err != nil {
		return fail(err)
	}
	l := localsfn.Local{
		Stack: stack,
		Tools: tools,
		WorkerCommand: func(f localsfn.Function) []string {
			return []string{exe, "dev", "lambda-runtime", f.Name}
		},
		WorkerEnv: os.Environ(),
		Logs:      logs,
		OnEvent:   func(e localsfn.Event) { localEvent(p, e) },
		// The emulator and the local fake apply changes at once: a Poll's
		// Wait is a second here, not its interval.
		WaitMillis: localWaitMillis,
	}
	exec, err := l.Execute(ctx, in)
	if err != nil {
		return fail(err)
	}
	p.note("step logs: %s", logPath)
	rep, err := report.FromExecution(in.Mode, exec.Status, exec.Output, exec.Error, exec.Cause)
	return rep, exec, err
}

// localWaitMillis is how long a Wait state waits in a local run.
const localWaitMillis = 1000

// localEvent turns the interpreter's events into progress lines.
func localEvent(p *progress, e localsfn.Event) {
	if e.State == nil || e.State.Type != "Task" {
		return
	}
	name := stateLabel(e.State.Name, e.State.Input)
	switch e.Type {
	case "StateEntered":
		p.entered(e.State.Name)
	case "StateExited":
		p.exited(e.State.Name, e.State.Output)
	case "StateRetried":
		attempt := 0
		if e.Retry != nil {
			attempt = e.Retry.Attempt
		}
		p.retried(name, attempt, "")
	case "StateFailed":
		p.failed(name, e.Error)
	case "StateCaught":
		p.caught(e.State.Name)
	}
}

// sameSettings checks that the assembly was synthesized from cfg: a local run
// of another configuration's state machine would mislead.
func sameSettings(stack *localsfn.Stack, cfg settings.Config) error {
	want, err := cfg.Encode()
	if err != nil {
		return err
	}
	for _, f := range stack.Functions {
		if f.Env[settings.EnvVar] != want {
			return fmt.Errorf("the cloud assembly's %s function was synthesized from another configuration; synthesize again, or leave out --assembly", f.Name)
		}
	}
	return nil
}

// cachedAssembly returns a cloud assembly synthesized from cfg by the CDK
// app, reusing the one made by an earlier run when the settings and the app
// binary are the same (synthesis takes seconds; the demo runs twice).
// fresh reports whether it was synthesized now. Each synthesis happens in a
// folder of its own, and only assemblies unused for a day are removed, so
// runs at the same time never remove each other's.
func cachedAssembly(ctx context.Context, root, app, configPath string, cfg settings.Config) (dir string, fresh bool, err error) {
	if app == "" {
		app = filepath.Join(root, "build", "cdkapp")
	}
	info, err := os.Stat(app)
	if err != nil {
		return "", false, fmt.Errorf("the CDK app %s is not built: run `make app` in %s (or give --assembly): %w", app, root, err)
	}
	enc, err := cfg.Encode()
	if err != nil {
		return "", false, err
	}
	appAbs, _ := filepath.Abs(app)
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%s\x00%d\x00%d", enc, appAbs, info.Size(), info.ModTime().UnixNano())))
	cacheRoot := filepath.Join(root, "build", "local", "assemblies")
	dir = filepath.Join(cacheRoot, hex.EncodeToString(sum[:8]))
	if _, err := os.Stat(filepath.Join(dir, "cdk.out", "manifest.json")); err == nil {
		// In use again: not stale (pruneStale).
		now := time.Now()
		os.Chtimes(dir, now, now)
		return filepath.Join(dir, "cdk.out"), false, nil
	}
	if err := os.MkdirAll(cacheRoot, 0o755); err != nil {
		return "", false, err
	}
	tmp, err := os.MkdirTemp(cacheRoot, "synth-")
	if err != nil {
		return "", false, err
	}
	if err := synthesize(ctx, root, app, configPath, tmp); err != nil {
		os.RemoveAll(tmp)
		return "", false, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		// Another run synthesized the same configuration meanwhile.
		if _, statErr := os.Stat(filepath.Join(dir, "cdk.out", "manifest.json")); statErr == nil {
			return filepath.Join(dir, "cdk.out"), true, nil
		}
		return "", false, err
	}
	pruneStale(cacheRoot, dir)
	return filepath.Join(dir, "cdk.out"), true, nil
}

// staleAfter is how long a run's folder (an assembly, a synthesis in
// progress, a run's logs) is kept after it was last changed: other runs,
// perhaps at the same time, may be using theirs.
const staleAfter = 24 * time.Hour

// pruneStale removes the entries of root, but keep, last changed more than
// staleAfter ago. A run never removes what another run may be using.
func pruneStale(root, keep string) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		p := filepath.Join(root, e.Name())
		info, err := e.Info()
		if p == keep || err != nil || time.Since(info.ModTime()) < staleAfter {
			continue
		}
		os.RemoveAll(p)
	}
}

// runDir makes a folder of this run's own under root/build/local/runs, for
// its step logs: runs at the same time never share one.
func runDir(root string) (string, error) {
	runs := filepath.Join(root, "build", "local", "runs")
	if err := os.MkdirAll(runs, 0o755); err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp(runs, time.Now().UTC().Format("20060102T150405Z")+"-")
	if err != nil {
		return "", err
	}
	pruneStale(runs, dir)
	return dir, nil
}

// synthesize runs the CDK app binary into dir/cdk.out. The local run executes
// each step from the orgbaseline binary, so the Lambda assets the app
// packages are placeholders here (dir/lambda).
func synthesize(ctx context.Context, root, app, configPath, dir string) error {
	cfgAbs, err := filepath.Abs(configPath)
	if err != nil {
		return err
	}
	out := filepath.Join(dir, "cdk.out")
	assets := filepath.Join(dir, "lambda")
	for _, name := range registry.FunctionNames() {
		stepDir := filepath.Join(assets, name)
		if err := os.MkdirAll(stepDir, 0o755); err != nil {
			return err
		}
		stub := "#!/bin/sh\necho 'placeholder: a local run executes steps from the orgbaseline binary' >&2\nexit 1\n"
		if err := os.WriteFile(filepath.Join(stepDir, "bootstrap"), []byte(stub), 0o755); err != nil {
			return err
		}
	}
	cmd := exec.CommandContext(ctx, app)
	cmd.Dir = root
	cmd.Env = append(os.Environ(),
		"CDK_OUTDIR="+out,
		"ORGBASELINE_CONFIG="+cfgAbs,
		"ORGBASELINE_LAMBDA_DIR="+assets,
		"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20",
		"JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION=1",
		"JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1",
	)
	var combined bytes.Buffer
	cmd.Stdout, cmd.Stderr = &combined, &combined
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("synthesize with %s: %w\n%s", app, err, strings.TrimSpace(combined.String()))
	}
	return nil
}
