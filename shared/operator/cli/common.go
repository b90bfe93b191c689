package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// runFlags are the flags of the commands that act on the organization
// directly (deploy --local, rollback).
type runFlags struct {
	plan       *bool
	configPath *string
	output     *string
	details    *bool
}

func addRunFlags(fs *flag.FlagSet) runFlags {
	return runFlags{
		plan:       fs.Bool("plan", false, "report what would change; change nothing"),
		configPath: fs.String("config", defaultConfigFile, "configuration `file`"),
		output:     fs.String("output", "table", "report format: table or json"),
		details:    fs.Bool("details", false, detailsUsage),
	}
}

// load checks the flags and reads the configuration; on a problem it says so,
// and that nothing was called, and returns false.
func (f runFlags) load(command string, env Env) (settings.Config, workflow.Mode, bool) {
	if *f.output != "table" && *f.output != "json" {
		fmt.Fprintf(env.Stderr, "orgbaseline %s: --output %q: want table or json\nnothing was called.\n", command, *f.output)
		return settings.Config{}, "", false
	}
	cfg, err := loadSettings(command, *f.configPath)
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		fmt.Fprintln(env.Stderr, "nothing was called.")
		return settings.Config{}, "", false
	}
	if *f.plan {
		return cfg, workflow.ModePlan, true
	}
	return cfg, workflow.ModeApply, true
}

// connect loads the AWS configuration (the management account's) and the
// cross-account access through the execution role.
func connect(ctx context.Context, cfg settings.Config, session string) (aws.Config, *awsclient.Accounts, error) {
	awsCfg, err := awsclient.Load(ctx)
	if err != nil {
		return aws.Config{}, nil, err
	}
	return awsCfg, awsclient.NewAccounts(awsCfg, cfg.Accounts.Management, cfg.ExecutionRoleName, session), nil
}
