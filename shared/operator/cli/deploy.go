package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/orgbaseline/orgbaseline/shared/local/localdeploy"
	"github.com/orgbaseline/orgbaseline/shared/local/localevents"
	"github.com/orgbaseline/orgbaseline/shared/logging"
	"github.com/orgbaseline/orgbaseline/shared/report"
)

// deployOptions are the deploy command's flags.
type deployOptions struct {
	applyOptions
	local bool
	run   runFlags
}

// deployFlags is the deploy command's flag set and the options it fills.
func deployFlags(env Env) (*flag.FlagSet, *deployOptions) {
	o := &deployOptions{}
	fs := newFlagSet("deploy", env)
	fs.BoolVar(&o.local, "local", false, "create the stacks' resources in the endpoint the AWS SDK resolves (AWS_ENDPOINT_URL), with SDK calls")
	o.run = addRunFlags(fs)
	fs.StringVar(&o.assembly, "assembly", "", "use this synthesized cloud assembly `dir` for the rules and topics instead of synthesizing")
	fs.StringVar(&o.cdkApp, "cdk-app", "", "the CDK app `binary` to synthesize with (default build/cdkapp in the orgbaseline folder)")
	return fs, o
}

// deploy is `orgbaseline deploy --local`: the local stand-in for
// `cdk deploy --all` (see package localdeploy).
func deploy(ctx context.Context, args []string, env Env) int {
	fs, op := deployFlags(env)
	if code, ok := parseFlags(fs, args, env); !ok {
		return code
	}
	o, local, flags := op.applyOptions, &op.local, op.run
	if !*local {
		fmt.Fprintln(env.Stderr, "orgbaseline deploy: on AWS, deploy the stacks with `cdk deploy --all` (see README); `orgbaseline deploy --local` stands in for it on an emulator")
		return ExitUsage
	}
	cfg, mode, ok := flags.load("deploy", env)
	if !ok {
		return ExitUsage
	}
	fmt.Fprintf(env.Stderr, "orgbaseline deploy --local (%s): the log-archive and security stacks' resources, with SDK calls\n", mode)
	awsCfg, accounts, err := connect(ctx, cfg, "orgbaseline-local-deploy")
	if err != nil {
		fmt.Fprintln(env.Stderr, "orgbaseline deploy:", err)
		return ExitFailed
	}
	res, err := localdeploy.Deploy(ctx, cfg, awsCfg, accounts, mode, logging.New(env.Stderr, localdeploy.StepName))
	if err != nil {
		fmt.Fprintln(env.Stderr, "orgbaseline deploy:", err)
		return ExitFailed
	}
	// The event-driven half: the rules and topics of the synthesized
	// templates (package localevents).
	o.configPath = *flags.configPath
	asm, err := localAssembly(ctx, o, cfg, env, newProgress(env.Stderr))
	if err != nil {
		fmt.Fprintln(env.Stderr, "orgbaseline deploy:", err)
		return ExitFailed
	}
	events, err := localevents.Deploy(ctx, asm, localConfigFor(accounts), mode)
	if err != nil {
		fmt.Fprintln(env.Stderr, "orgbaseline deploy:", err)
		return ExitFailed
	}
	return writeReport(report.FromResults(mode, res, events), *flags.output, *flags.details, env)
}
