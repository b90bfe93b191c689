package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/orgbaseline/orgbaseline/shared/orgtrail"
	"github.com/orgbaseline/orgbaseline/shared/report"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// rollbacks are the undo operations, by name.
var rollbacks = map[string]struct {
	what string
	run  func(context.Context, orgtrail.Deps, settings.Config, bool) (workflow.StepResult, error)
}{
	orgtrail.RollbackEncryptionName: {
		"remove SSE-KMS from the organization trail (the key is kept) and switch the bucket to SSE-S3",
		orgtrail.RollbackEncryption,
	},
	orgtrail.RollbackCloudWatchLogsName: {
		"stop the organization trail's delivery to CloudWatch Logs",
		orgtrail.RollbackCloudWatchLogs,
	},
}

const rollbackUsage = `Usage:
  orgbaseline rollback trail-encryption [--plan] [--config FILE] [--output table|json]
      remove SSE-KMS from the organization trail: UpdateTrail with no key in the
      trail's home region, check every configured region reports no key, switch
      the trail bucket's default encryption to SSE-S3. The key is kept: log files
      written before stay encrypted with it.
  orgbaseline rollback trail-cloudwatch-logs [--plan] [--config FILE] [--output table|json]
      stop delivering the trail to CloudWatch Logs (UpdateTrail with no log group
      and role); the role stays until the stack is redeployed with
      cloudWatchLogs off, and the log group is kept even then (retained).

Both run with the management account's credentials, read first, change only
what differs, and report like apply.
`

// rollbackFlags is the flag set of rollback NAME (name is "rollback NAME")
// and the flags it fills: the same for every rollback.
func rollbackFlags(name string, env Env) (*flag.FlagSet, runFlags) {
	return subjectFlags(name, "rollback", env)
}

// subjectFlags is the flag set of a command that takes a subject before its
// flags (name is "rollback NAME", "disable SERVICE"), with command's help,
// and the run flags it fills.
func subjectFlags(name, command string, env Env) (*flag.FlagSet, runFlags) {
	fs := newFlagSet(name, env)
	setUsage(fs, command)
	return fs, addRunFlags(fs)
}

func rollback(ctx context.Context, args []string, env Env) int {
	if len(args) > 0 && isHelp(args[0]) {
		fs, _ := rollbackFlags("rollback", env)
		printHelp(env.Stdout, "rollback", fs)
		return ExitOK
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(env.Stderr, rollbackUsage)
		return ExitUsage
	}
	rb, ok := rollbacks[args[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "orgbaseline rollback: unknown rollback %q\n\n%s", args[0], rollbackUsage)
		return ExitUsage
	}
	fs, flags := rollbackFlags("rollback "+args[0], env)
	if code, ok := parseFlags(fs, args[1:], env); !ok {
		return code
	}
	cfg, mode, ok := flags.load("rollback", env)
	if !ok {
		return ExitUsage
	}
	fmt.Fprintf(env.Stderr, "orgbaseline rollback %s (%s): %s\n", args[0], mode, rb.what)
	awsCfg, accounts, err := connect(ctx, cfg, "orgbaseline-rollback")
	if err != nil {
		fmt.Fprintln(env.Stderr, "orgbaseline rollback:", err)
		return ExitFailed
	}
	res, err := rb.run(ctx, orgtrail.NewDeps(awsCfg, accounts, cfg), cfg, mode == workflow.ModePlan)
	if err != nil {
		fmt.Fprintln(env.Stderr, "orgbaseline rollback:", err)
		return ExitFailed
	}
	return writeReport(report.FromResults(mode, res), *flags.output, *flags.details, env)
}
