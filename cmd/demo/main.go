// Command demo is `make demo`: it starts a moto server, seeds an emulated
// organization, and runs the orgbaseline CLI against it as a user would —
// plan, apply, then apply again to show that nothing changes — then stops the
// server. It expects build/orgbaseline and build/cdkapp (make builds them).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/orgbaseline/orgbaseline/shared/motorig"
	"github.com/orgbaseline/orgbaseline/shared/report"
)

const (
	homeRegion = "us-east-1"
	banner     = "=============================================================================="
)

var regions = []string{"us-east-1", "eu-west-1"}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	root, err := motorig.RepoRoot()
	if err != nil {
		return err
	}
	dir := filepath.Join(root, "build", "demo")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cli := filepath.Join(root, "build", "orgbaseline")
	app := filepath.Join(root, "build", "cdkapp")
	for _, b := range []string{cli, app} {
		if _, err := os.Stat(b); err != nil {
			return fmt.Errorf("%s is missing: run `make demo`, which builds it", b)
		}
	}

	section(out, "1. Start the AWS emulator (moto server) and seed an organization")
	start := time.Now()
	srv, err := motorig.Start(ctx, motorig.WithRoot(root), motorig.WithLogFile(filepath.Join(dir, "moto.log")))
	if err != nil {
		return err
	}
	defer func() {
		srv.Close()
		fmt.Fprintf(out, "\nmoto server stopped (its log: %s)\n", srv.LogPath())
	}()
	awsCfg, err := srv.AWSConfig(ctx)
	if err != nil {
		return err
	}
	org, err := motorig.Seed(ctx, awsCfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "moto server at %s (%.1fs)\norganization %s:\n", srv.Endpoint(), time.Since(start).Seconds(), org.ID)
	for _, a := range org.Accounts {
		fmt.Fprintf(out, "  %s  %s\n", a.ID, a.Name)
	}
	config := filepath.Join(dir, "orgbaseline.yaml")
	if err := motorig.WriteConfig(config, org, homeRegion, regions); err != nil {
		return err
	}
	fmt.Fprintf(out, "configuration for it: %s (from orgbaseline.example.yaml)\n", config)
	fmt.Fprint(out, coverage)

	env := append(srv.Environ(), "ORGBASELINE_ROOT="+root)
	steps := []struct {
		title string
		args  []string
	}{
		{"2. Plan: what would change (nothing is changed)", []string{"apply", "--local", "--plan"}},
		{"3. Apply", []string{"apply", "--local"}},
		{"4. Apply again: nothing should change", []string{"apply", "--local"}},
	}
	var last report.Report
	for _, s := range steps {
		section(out, s.title)
		args := append(s.args, "--config", config, "--cdk-app", app)
		fmt.Fprintf(out, "$ orgbaseline %s\n\n", strings.Join(args, " "))
		if last, err = runCLI(ctx, cli, args, env, out); err != nil {
			return err
		}
	}
	c := last.Counts()
	if c["changed"] != 0 || c["planned"] != 0 || c["failed"] != 0 {
		return fmt.Errorf("the second apply was expected to change nothing, but reported %s", last.Summary())
	}
	section(out, "Done")
	fmt.Fprintln(out, "The second apply changed nothing: every step read the organization first and found it")
	fmt.Fprintln(out, "already as configured.")
	return nil
}

// runCLI runs the CLI with --output json, shows its progress as it goes and
// its report as the same table the CLI prints, and returns the report.
func runCLI(ctx context.Context, cli string, args, env []string, out io.Writer) (report.Report, error) {
	cmd := exec.CommandContext(ctx, cli, append(args, "--output", "json")...)
	cmd.Env = env
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = out
	runErr := cmd.Run()
	var rep report.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		return report.Report{}, fmt.Errorf("orgbaseline %s: %v; no report", strings.Join(args, " "), runErr)
	}
	fmt.Fprintln(out)
	if err := rep.WriteTable(out); err != nil {
		return report.Report{}, err
	}
	if runErr != nil {
		return rep, fmt.Errorf("orgbaseline %s: %w", strings.Join(args, " "), runErr)
	}
	return rep, nil
}

func section(out io.Writer, title string) {
	fmt.Fprintf(out, "\n%s\n%s\n%s\n", banner, title, banner)
}

// coverage says plainly what ran against the emulator.
const coverage = `
What runs where in this demo:
  - The state machine is the one 'cdk synth' produced, run by aws-local-stepfunctions;
    each Lambda task runs the step's Go handler through the aws-lambda-go runtime.
  - Against the emulator (moto): AWS Organizations (DescribeOrganization, trusted
    access, delegated administrators) and STS. moto 5.2 rejects delegated
    administrators for config, securityhub, detective, health and cloudtrail, which
    AWS accepts; scripts/motoserver.py adds them to moto's list before it starts.
  - Not run in this demo: the per-service steps (CloudTrail, Config, GuardDuty,
    Security Hub, IAM Access Analyzer, Detective, Health) are not part of the state
    machine yet; moto has no Access Analyzer, Detective or Health service at all,
    and those will be tested with fakes of the SDK's own types.
`
