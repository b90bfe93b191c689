package cli

import (
	"context"
	"flag"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/orgbaseline/orgbaseline/shared/report"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// applyOptions are the apply command's flags.
type applyOptions struct {
	plan       bool
	local      bool
	accounts   string
	services   string
	regions    string
	configPath string
	output     string
	details    bool
	// Local run.
	assembly string
	cdkApp   string
	stepLogs string
	// Deployed run.
	stateMachineARN string
	pollInterval    time.Duration
}

const defaultConfigFile = "orgbaseline.yaml"

// validateFlags is the validate command's flag set.
func validateFlags(env Env) (*flag.FlagSet, *string) {
	fs := newFlagSet("validate", env)
	path := fs.String("config", defaultConfigFile, "configuration `file`")
	return fs, path
}

func validate(args []string, env Env) int {
	fs, path := validateFlags(env)
	if code, ok := parseFlags(fs, args, env); !ok {
		return code
	}
	cfg, err := loadSettings("validate", *path)
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return ExitUsage
	}
	fmt.Fprintf(env.Stdout, "%s is valid: services %s in %s\n", *path, strings.Join(cfg.EnabledServices(), ", "), regionsText(cfg))
	return ExitOK
}

func regionsText(cfg settings.Config) string {
	if cfg.Regions.Discover {
		return "every enabled region"
	}
	return strings.Join(cfg.Regions.Names, ", ")
}

// applyFlags is the apply command's flag set and the options it fills.
func applyFlags(env Env) (*flag.FlagSet, *applyOptions) {
	o := &applyOptions{}
	fs := newFlagSet("apply", env)
	fs.BoolVar(&o.plan, "plan", false, "report what would change; change nothing")
	addExecutionFlags(fs, o)
	fs.StringVar(&o.output, "output", "table", "report format: table or json")
	fs.BoolVar(&o.details, "details", false, detailsUsage)
	return fs, o
}

// addLocalFlags adds the flags of a local run (--local) to fs.
func addLocalFlags(fs *flag.FlagSet, o *applyOptions) {
	fs.StringVar(&o.assembly, "assembly", "", "local: use this synthesized cloud assembly `dir` instead of synthesizing")
	fs.StringVar(&o.cdkApp, "cdk-app", "", "local: the CDK app `binary` to synthesize with (default build/cdkapp in the orgbaseline folder)")
	fs.StringVar(&o.stepLogs, "step-logs", "", "local: write the steps' JSON logs to this `file` (default build/local/runs/<time>-<id>/steps.log in the orgbaseline folder)")
}

// addDeployedFlags adds the flags of a run of the deployed state machine to
// fs.
func addDeployedFlags(fs *flag.FlagSet, o *applyOptions) {
	fs.StringVar(&o.stateMachineARN, "state-machine-arn", "", "deployed: the state machine `ARN` (default: the "+workflow.StateMachineArnOutput+" output of stack "+workflow.ManagementStackName+")")
	fs.DurationVar(&o.pollInterval, "poll", 2*time.Second, "deployed: how often to poll the execution")
}

func apply(ctx context.Context, args []string, env Env) int {
	fs, op := applyFlags(env)
	if code, ok := parseFlags(fs, args, env); !ok {
		return code
	}
	o := *op
	mode := workflow.ModeApply
	if o.plan {
		mode = workflow.ModePlan
	}
	cfg, in, ok := checkRun("apply", o, mode, []string{"table", "json"}, env)
	if !ok {
		return ExitUsage
	}
	fmt.Fprintf(env.Stderr, "orgbaseline %s (%s, %s) with %s\n", in.Mode, where(o), regionsText(cfg), o.configPath)
	rep, err := execute(ctx, o, cfg, in, env)
	if err != nil {
		fmt.Fprintln(env.Stderr, "orgbaseline apply:", err)
		return ExitFailed
	}
	return writeReport(rep, o.output, o.details, env)
}

// where says where a run executes, for the first line it prints.
func where(o applyOptions) string {
	if o.local {
		return "local run"
	}
	return "deployed state machine"
}

// execute runs the state machine, locally (--local) or deployed, with its
// progress on stderr, and returns its report.
func execute(ctx context.Context, o applyOptions, cfg settings.Config, in workflow.Input, env Env) (report.Report, error) {
	p := newProgress(env.Stderr)
	if o.local {
		return runLocal(ctx, o, cfg, in, env, p)
	}
	return runDeployed(ctx, o, cfg, in, env, p)
}

// addExecutionFlags adds the flags of a run of the state machine, local or
// deployed (apply and report).
func addExecutionFlags(fs *flag.FlagSet, o *applyOptions) {
	fs.BoolVar(&o.local, "local", false, "run the synthesized state machine on this machine, against the endpoint the AWS SDK resolves (AWS_ENDPOINT_URL)")
	fs.StringVar(&o.accounts, "accounts", "", "only these account `IDs` (comma-separated)")
	fs.StringVar(&o.services, "services", "", "only these `services` (comma-separated: "+strings.Join(settings.ServiceNames(), ", ")+")")
	fs.StringVar(&o.regions, "regions", "", "only these `regions` (comma-separated)")
	fs.StringVar(&o.configPath, "config", defaultConfigFile, "configuration `file`")
	addLocalFlags(fs, o)
	addDeployedFlags(fs, o)
}

// checkRun checks a run's flags and configuration before anything is
// called: on a problem it lists them all, says nothing was called and
// returns false.
func checkRun(command string, o applyOptions, mode workflow.Mode, outputs []string, env Env) (settings.Config, workflow.Input, bool) {
	var problems []string
	if !slices.Contains(outputs, o.output) {
		problems = append(problems, fmt.Sprintf("--output %q: want %s", o.output, strings.Join(outputs, ", ")))
	}
	cfg, cfgErr := loadSettings(command, o.configPath)
	in := workflow.Input{Mode: mode, Accounts: splitList(o.accounts), Services: splitList(o.services), Regions: splitList(o.regions)}
	problems = append(problems, emptyFilterProblems(map[string]string{"--accounts": o.accounts, "--services": o.services, "--regions": o.regions})...)
	problems = append(problems, filterProblems(in)...)
	if cfgErr != nil || len(problems) > 0 {
		if cfgErr != nil {
			fmt.Fprintln(env.Stderr, cfgErr)
		}
		for _, p := range problems {
			fmt.Fprintf(env.Stderr, "orgbaseline %s: %s\n", command, p)
		}
		fmt.Fprintln(env.Stderr, "nothing was called.")
		return cfg, in, false
	}
	for _, s := range in.Services {
		if !cfg.Enabled(s) {
			fmt.Fprintf(env.Stderr, "note: %s is switched off in %s; the filter leaves it out\n", s, o.configPath)
		}
	}
	return cfg, in, true
}

var accountPattern = regexp.MustCompile(`^[0-9]{12}$`)

// emptyFilterProblems refuses a filter given with nothing in it (",,,"):
// no filter means the whole organization, which such a value does not ask
// for.
func emptyFilterProblems(given map[string]string) []string {
	var p []string
	for _, flag := range []string{"--accounts", "--services", "--regions"} {
		if v := given[flag]; v != "" && len(splitList(v)) == 0 {
			p = append(p, fmt.Sprintf("%s %q names nothing: leave the flag out to cover everything", flag, v))
		}
	}
	return p
}

// filterProblems checks the --accounts, --services and --regions values.
func filterProblems(in workflow.Input) []string {
	var p []string
	for _, a := range in.Accounts {
		if !accountPattern.MatchString(a) {
			p = append(p, fmt.Sprintf("--accounts: %q is not a 12-digit account ID", a))
		}
	}
	for _, s := range in.Services {
		if _, ok := settings.LookupService(s); !ok {
			p = append(p, fmt.Sprintf("--services: unknown service %q (known: %s)%s", s, strings.Join(settings.ServiceNames(), ", "), didYouMean(s, settings.ServiceNames())))
		}
	}
	for _, r := range in.Regions {
		if !settings.KnownRegion(r) {
			p = append(p, fmt.Sprintf("--regions: %q is not a known region", r))
		}
	}
	return p
}
