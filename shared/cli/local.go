package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/orgbaseline/orgbaseline/shared/localsfn"
	"github.com/orgbaseline/orgbaseline/shared/report"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// runLocal synthesizes the stacks for cfg (unless --assembly names a cloud
// assembly), then runs the management stack's state machine on this machine.
func runLocal(ctx context.Context, o applyOptions, cfg settings.Config, in workflow.Input, env Env, p *progress) (report.Report, error) {
	root, err := findRoot(env)
	if err != nil {
		return report.Report{}, err
	}
	tools, err := localsfn.FindTools(root)
	if err != nil {
		return report.Report{}, err
	}
	asm := o.assembly
	if asm == "" {
		start := time.Now()
		dir, cleanup, err := synthesize(ctx, root, o.cdkApp, o.configPath, env)
		if err != nil {
			return report.Report{}, err
		}
		defer cleanup()
		asm = dir
		p.note("synthesized the stacks from %s (%.1fs)", o.configPath, time.Since(start).Seconds())
	}
	stack, err := localsfn.ReadStack(asm, workflow.ManagementStackName)
	if err != nil {
		return report.Report{}, err
	}
	if err := sameSettings(stack, cfg); err != nil {
		return report.Report{}, err
	}

	logPath := o.stepLogs
	if logPath == "" {
		logPath = filepath.Join(root, "build", "local", "steps.log")
	}
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return report.Report{}, err
	}
	logs, err := os.Create(logPath)
	if err != nil {
		return report.Report{}, fmt.Errorf("step logs: %w", err)
	}
	defer logs.Close()

	exe, err := os.Executable()
	if err != nil {
		return report.Report{}, err
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
	}
	exec, err := l.Execute(ctx, in)
	if err != nil {
		return report.Report{}, err
	}
	p.note("step logs: %s", logPath)
	return report.FromExecution(in.Mode, exec.Status, exec.Output, exec.Error, exec.Cause)
}

// localEvent turns the interpreter's events into progress lines.
func localEvent(p *progress, e localsfn.Event) {
	if e.State == nil || e.State.Type != "Task" {
		return
	}
	switch e.Type {
	case "StateEntered":
		p.entered(e.State.Name)
	case "StateExited":
		p.exited(e.State.Name)
	case "StateRetried":
		attempt := 0
		if e.Retry != nil {
			attempt = e.Retry.Attempt
		}
		p.retried(e.State.Name, attempt, "")
	case "StateFailed":
		p.failed(e.State.Name, e.Error)
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

// synthesize runs the CDK app binary into a temporary cloud assembly. The
// local run executes each step from this binary, so the Lambda assets the app
// packages are placeholders here.
func synthesize(ctx context.Context, root, app, configPath string, env Env) (string, func(), error) {
	if app == "" {
		app = filepath.Join(root, "build", "cdkapp")
	}
	if _, err := os.Stat(app); err != nil {
		return "", nil, fmt.Errorf("the CDK app %s is not built: run `make app` in %s (or give --assembly): %w", app, root, err)
	}
	cfgAbs, err := filepath.Abs(configPath)
	if err != nil {
		return "", nil, err
	}
	tmp, err := os.MkdirTemp("", "orgbaseline-synth-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(tmp) }
	out := filepath.Join(tmp, "cdk.out")
	assets := filepath.Join(tmp, "lambda")
	for _, s := range workflow.Steps {
		dir := filepath.Join(assets, s.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			cleanup()
			return "", nil, err
		}
		stub := "#!/bin/sh\necho 'placeholder: a local run executes steps from the orgbaseline binary' >&2\nexit 1\n"
		if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte(stub), 0o755); err != nil {
			cleanup()
			return "", nil, err
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
		cleanup()
		return "", nil, fmt.Errorf("synthesize with %s: %w\n%s", app, err, strings.TrimSpace(combined.String()))
	}
	return out, cleanup, nil
}
