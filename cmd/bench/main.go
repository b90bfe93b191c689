// Command bench is `make bench`: it measures what a run costs at scale. It
// runs the synthesized state machine locally (aws-local-stepfunctions, the
// step handlers, a moto server) on emulated organizations of increasing
// size, each three times — a first run, a re-run, and the onboarding of one
// account added afterwards (--accounts) — and counts every AWS call the
// steps make at the SDK (package sdkcount), the Lambda results and the
// state's size. From those counts and the synthesized definition it then
// models runs on 1,000 and 5,000 accounts in 17 regions against Step
// Functions' limits. It writes a table (bench/results.md) and a plot
// (docs/bench-calls.png).
//
// It needs the CDK app binary (make app) and what `make deps` installs.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/orgbaseline/orgbaseline/shared/local/motorig"
	"github.com/orgbaseline/orgbaseline/shared/local/sdkcount"
	"github.com/orgbaseline/orgbaseline/shared/registry"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

func main() {
	// The benchmark starts itself again as the step processes of a run.
	if dir := os.Getenv(sdkcount.EnvCallDir); dir != "" {
		serveStep(dir)
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// serveStep runs the step its environment names (workflow.EnvStep, which
// the local Lambda service sets from the template) with counted clients.
func serveStep(dir string) {
	s, err := registry.Lookup(os.Getenv(workflow.EnvStep))
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench step process:", err)
		os.Exit(1)
	}
	sdkcount.Serve(s, dir)
}

// options are the command's flags.
type options struct {
	sizes   []int
	regions []string
	app     string
	table   string
	plot    string
	work    string
	// faults, when set, is where the fault-injection table goes: the
	// command then tries the faults (faults.go) instead of measuring.
	faults string
}

func parseFlags(args []string, root string) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	sizes := fs.String("sizes", "5,10,20,40,80,160,320", "organization `sizes` to measure: accounts in all, management, security and log-archive included (at least 3)")
	regions := fs.String("regions", "us-east-1,eu-west-1", "the configuration's `regions`; the first is the home region")
	o := options{}
	fs.StringVar(&o.app, "cdk-app", filepath.Join(root, "build", "cdkapp"), "the CDK app `binary` to synthesize with")
	fs.StringVar(&o.table, "table", filepath.Join(root, "bench", "results.md"), "write the tables to this `file`")
	fs.StringVar(&o.plot, "plot", filepath.Join(root, "docs", "bench-calls.png"), "write the plot to this `file` (PNG)")
	fs.StringVar(&o.work, "work", filepath.Join(root, "build", "bench"), "work `folder`: configurations, cloud assemblies, logs")
	fs.StringVar(&o.faults, "faults", "", "try the faults (shared/local/faults) on an organization of the first size instead of measuring, and write their table to this `file`")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < motorig.MinAccounts {
			return o, fmt.Errorf("-sizes: %q is not a number of accounts of at least %d", s, motorig.MinAccounts)
		}
		o.sizes = append(o.sizes, n)
	}
	o.regions = strings.Split(*regions, ",")
	if len(o.regions) < 2 {
		return o, fmt.Errorf("-regions: want at least two (a home region and another), to tell the calls of the home region from those of each other region")
	}
	return o, nil
}

func run(ctx context.Context, args []string) error {
	root, err := motorig.RepoRoot()
	if err != nil {
		return err
	}
	o, err := parseFlags(args, root)
	if err != nil {
		return err
	}
	start := time.Now()
	ro := rigOptions{root: root, app: o.app, work: o.work, regions: o.regions, progress: os.Stderr}
	if o.faults != "" {
		results, err := tryFaults(ctx, ro, o.sizes[0])
		if err != nil {
			return err
		}
		if err := writeFile(o.faults, func(f *os.File) error { return writeFaults(f, results, o.regions) }); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "wrote %s (%.0fs)\n", o.faults, time.Since(start).Seconds())
		return nil
	}
	m, err := measure(ctx, ro, o.sizes)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "measured in %.0fs\n", time.Since(start).Seconds())
	mod, err := newModel(m)
	if err != nil {
		return err
	}
	if err := writeFile(o.table, func(f *os.File) error { return writeTables(f, m, mod, time.Since(start)) }); err != nil {
		return err
	}
	if err := writePlot(o.plot, m, mod); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s and %s (%.0fs in all)\n", o.table, o.plot, time.Since(start).Seconds())
	return nil
}

// writeFile creates path and writes it with write.
func writeFile(path string, write func(*os.File) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
