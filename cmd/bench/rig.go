package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/local/localdeploy"
	"github.com/orgbaseline/orgbaseline/shared/local/localsfn"
	"github.com/orgbaseline/orgbaseline/shared/local/motorig"
	"github.com/orgbaseline/orgbaseline/shared/local/sdkcount"
	"github.com/orgbaseline/orgbaseline/shared/registry"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// rigOptions say where and how the organizations are run.
type rigOptions struct {
	root    string   // the repository
	app     string   // the CDK app binary
	work    string   // the work folder
	regions []string // the configuration's regions, the home region first
	// worker is the argv of a step process; nil means this binary, which
	// serves a step when sdkcount.EnvCallDir is set (main, TestMain).
	worker   []string
	progress io.Writer
}

// rig is a moto server and what a local run on it needs.
type rig struct {
	rigOptions
	srv    *motorig.Server
	tools  localsfn.Tools
	logs   *os.File                   // the step processes' logs
	stacks map[string]*localsfn.Stack // synthesized, by configuration
}

func startRig(ctx context.Context, o rigOptions) (*rig, error) {
	if _, err := os.Stat(o.app); err != nil {
		return nil, fmt.Errorf("the CDK app %s is not built (make app): %w", o.app, err)
	}
	tools, err := localsfn.FindTools(o.root)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.work, 0o755); err != nil {
		return nil, err
	}
	if o.worker == nil {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		o.worker = []string{exe}
	}
	logs, err := os.Create(filepath.Join(o.work, "steps.log"))
	if err != nil {
		return nil, err
	}
	srv, err := motorig.Start(ctx, motorig.WithRoot(o.root), motorig.WithLogFile(filepath.Join(o.work, "moto.log")))
	if err != nil {
		logs.Close()
		return nil, err
	}
	return &rig{rigOptions: o, srv: srv, tools: tools, logs: logs, stacks: map[string]*localsfn.Stack{}}, nil
}

func (r *rig) Close() error {
	r.logs.Close()
	return r.srv.Close()
}

// org is one emulated organization, its configuration and its stacks.
type org struct {
	motorig.Org
	mgmt  aws.Config // the management account's
	cfg   settings.Config
	stack *localsfn.Stack
}

// seed empties the emulator and makes an organization of n accounts in
// it, writes its configuration (orgbaseline.example.yaml with the
// organization's accounts and the regions), synthesizes the stacks with the CDK app and deploys
// what they declare (localdeploy, the local stand-in for cdk deploy).
func (r *rig) seed(ctx context.Context, n int) (*org, error) {
	// The same seed makes the same organization ID and management,
	// security and log-archive accounts whatever the size, and so the
	// same configuration and stacks.
	if err := r.srv.Reset(ctx); err != nil {
		return nil, err
	}
	if err := r.srv.SeedRandom(ctx, randomSeed); err != nil {
		return nil, err
	}
	mgmt, err := r.srv.AWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	o, err := motorig.SeedAccounts(ctx, mgmt, n)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(r.work, fmt.Sprintf("org-%d", n))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "orgbaseline.yaml")
	if err := motorig.WriteConfig(path, o, r.regions[0], r.regions); err != nil {
		return nil, err
	}
	cfg, err := settings.LoadFile(path)
	if err != nil {
		return nil, err
	}
	stack, err := r.stack(ctx, path, dir)
	if err != nil {
		return nil, err
	}
	acc := awsclient.NewAccounts(mgmt, cfg.Accounts.Management, cfg.ExecutionRoleName, "orgbaseline-bench")
	res, err := localdeploy.Deploy(ctx, cfg, mgmt, acc, workflow.ModeApply, slog.New(slog.NewJSONHandler(r.logs, nil)))
	if err != nil {
		return nil, fmt.Errorf("local deploy: %w", err)
	}
	for _, out := range res.Outcomes {
		if out.Status == workflow.StatusFailed {
			return nil, fmt.Errorf("local deploy: %s %s: %s", out.Account, out.Service, out.Reason)
		}
	}
	return &org{Org: o, mgmt: mgmt, cfg: cfg, stack: stack}, nil
}

// randomSeed seeds the emulator's IDs.
const randomSeed = 20

// stack returns the management stack synthesized from the configuration at
// path, synthesizing into dir unless the same configuration was
// synthesized before.
func (r *rig) stack(ctx context.Context, path, dir string) (*localsfn.Stack, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if s, ok := r.stacks[string(b)]; ok {
		return s, nil
	}
	s, err := r.synthesize(ctx, path, dir)
	if err != nil {
		return nil, err
	}
	r.stacks[string(b)] = s
	return s, nil
}

// synthesize runs the CDK app on the configuration at path into
// dir/cdk.out, as `orgbaseline apply --local` does, and reads the
// management stack. The step processes are this binary, so the Lambda
// assets are placeholders.
func (r *rig) synthesize(ctx context.Context, path, dir string) (*localsfn.Stack, error) {
	out, assets := filepath.Join(dir, "cdk.out"), filepath.Join(dir, "lambda")
	if err := os.RemoveAll(out); err != nil {
		return nil, err
	}
	for _, name := range registry.FunctionNames() {
		stepDir := filepath.Join(assets, name)
		if err := os.MkdirAll(stepDir, 0o755); err != nil {
			return nil, err
		}
		stub := "#!/bin/sh\necho 'placeholder: the benchmark runs steps from its own binary' >&2\nexit 1\n"
		if err := os.WriteFile(filepath.Join(stepDir, "bootstrap"), []byte(stub), 0o755); err != nil {
			return nil, err
		}
	}
	start := time.Now()
	cmd := exec.CommandContext(ctx, r.app)
	cmd.Dir = r.root
	cmd.Env = append(os.Environ(), "CDK_OUTDIR="+out, "ORGBASELINE_CONFIG="+path, "ORGBASELINE_LAMBDA_DIR="+assets,
		"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20", "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION=1",
		"JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1")
	var combined bytes.Buffer
	cmd.Stdout, cmd.Stderr = &combined, &combined
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("synthesize with %s: %w\n%s", r.app, err, strings.TrimSpace(combined.String()))
	}
	fmt.Fprintf(r.progress, "  synthesized (%.1fs)\n", time.Since(start).Seconds())
	return localsfn.ReadStack(out, workflow.ManagementStackName)
}

// workerEnv is the environment of the step processes of a run whose calls
// go to callDir: the emulator's AWS settings and the repository.
func (r *rig) workerEnv(callDir string) []string {
	return append(r.srv.Environ(), motorig.EnvRoot+"="+r.root, sdkcount.EnvCallDir+"="+callDir)
}
