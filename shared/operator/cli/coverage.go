package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/coverage"
	"github.com/orgbaseline/orgbaseline/shared/report"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// coverageOutputs are report's formats.
var coverageOutputs = []string{"table", "json", "csv", "html"}

// reportFlags is the report command's flag set, the options it fills and
// its --out.
func reportFlags(env Env) (*flag.FlagSet, *applyOptions, *string) {
	o := &applyOptions{}
	fs := newFlagSet("report", env)
	addExecutionFlags(fs, o)
	fs.StringVar(&o.output, "output", "table", "format: table (an account per line, a column per service), json, csv (a line per cell) or html (one self-contained page: a heat map with filters)")
	outFile := fs.String("out", "", "write the report to this `file` instead of standard output")
	return fs, o, outFile
}

// reportCmd is `orgbaseline report`: the coverage matrix, account x region x
// service, read from the organization's actual state: a plan run of the
// state machine (every step reads and compares; nothing is changed) and the
// organization's tree, never the results of past runs.
func reportCmd(ctx context.Context, args []string, env Env) int {
	fs, op, outFile := reportFlags(env)
	if code, ok := parseFlags(fs, args, env); !ok {
		return code
	}
	o := *op
	cfg, in, ok := checkRun("report", o, workflow.ModePlan, coverageOutputs, env)
	if !ok {
		return ExitUsage
	}
	fmt.Fprintf(env.Stderr, "orgbaseline report: reading the organization's state with a plan run (%s, %s) with %s; nothing is changed\n", where(o), regionsText(cfg), o.configPath)
	rep, err := execute(ctx, o, cfg, in, env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "orgbaseline report:", err)
		return ExitFailed
	}
	awsCfg, err := awsclient.Load(ctx)
	if err != nil {
		fmt.Fprintln(env.Stderr, "orgbaseline report:", err)
		return ExitFailed
	}
	accounts, err := coverage.ReadTree(ctx, organizations.NewFromConfig(awsclient.WithRegion(awsCfg, cfg.HomeRegion)))
	if err != nil {
		fmt.Fprintln(env.Stderr, "orgbaseline report:", err)
		return ExitFailed
	}
	if len(in.Accounts) > 0 {
		accounts = slices.DeleteFunc(accounts, func(a coverage.Account) bool { return !slices.Contains(in.Accounts, a.ID) })
	}
	m := coverage.Build(rep, accounts, coverageServices(cfg, in), reportRegions(rep, cfg.HomeRegion))
	if err := writeCoverage(m, o.output, *outFile, env); err != nil {
		fmt.Fprintln(env.Stderr, "orgbaseline report:", err)
		return ExitFailed
	}
	if m.Problems() {
		fmt.Fprintln(env.Stderr, "orgbaseline report: some cells are off, partly on or could not be read (exit status 1)")
		return ExitFailed
	}
	return ExitOK
}

// coverageServices are the matrix's columns: the services the configuration
// switches on, narrowed by --services, in the catalog's order.
func coverageServices(cfg settings.Config, in workflow.Input) []string {
	var out []string
	for _, s := range cfg.EnabledServices() {
		if len(in.Services) == 0 || slices.Contains(in.Services, s) {
			out = append(out, s)
		}
	}
	return out
}

// reportRegions are the regions the run's rows name, the home region first.
func reportRegions(rep report.Report, home string) []string {
	seen := map[string]bool{}
	var rest []string
	for _, r := range rep.Rows {
		if r.Region == "" || r.Region == "-" || r.Region == workflow.RegionGlobal || seen[r.Region] {
			continue
		}
		seen[r.Region] = true
		if r.Region != home {
			rest = append(rest, r.Region)
		}
	}
	sort.Strings(rest)
	if seen[home] {
		return append([]string{home}, rest...)
	}
	return rest
}

// writeCoverage writes m as output says, to outFile or standard output.
func writeCoverage(m coverage.Matrix, output, outFile string, env Env) error {
	w, closeFn := io.Writer(env.Stdout), func() error { return nil }
	if outFile != "" {
		f, err := os.Create(outFile)
		if err != nil {
			return err
		}
		w, closeFn = f, f.Close
	}
	var err error
	switch output {
	case "json":
		err = m.WriteJSON(w)
	case "csv":
		err = m.WriteCSV(w)
	case "html":
		err = m.WriteHTML(w, time.Now())
	default:
		err = m.WriteTable(w)
	}
	if cerr := closeFn(); err == nil {
		err = cerr
	}
	if err == nil && outFile != "" {
		fmt.Fprintf(env.Stderr, "orgbaseline report: wrote %s\n", outFile)
	}
	return err
}
