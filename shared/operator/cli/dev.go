package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/orgbaseline/orgbaseline/shared/lambdamain"
	"github.com/orgbaseline/orgbaseline/shared/local/localsfn"
	"github.com/orgbaseline/orgbaseline/shared/registry"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

const devUsage = `orgbaseline dev: commands used by the local run and the build.

  orgbaseline dev lambda-runtime STEP
      serve STEP through the Lambda Runtime API named by AWS_LAMBDA_RUNTIME_API,
      exactly as functions/STEP/main.go does on AWS (the local run starts it)
  orgbaseline dev export-asl --assembly DIR --out DIR
      write each state machine of the management stack as plain ASL
      (DIR/<logical id>.asl.json), for asl-validator
`

func dev(ctx context.Context, args []string, env Env) int {
	if len(args) > 0 && isHelp(args[0]) {
		fs, _, _ := exportASLFlags(env)
		printHelp(env.Stdout, "dev", fs)
		return ExitOK
	}
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, devUsage)
		return ExitUsage
	}
	switch args[0] {
	case "lambda-runtime":
		if len(args) != 2 {
			fmt.Fprint(env.Stderr, devUsage)
			return ExitUsage
		}
		s, err := registry.Lookup(args[1])
		if err != nil {
			fmt.Fprintln(env.Stderr, "orgbaseline dev lambda-runtime:", err)
			return ExitUsage
		}
		lambdamain.Run(s) // does not return
		return ExitFailed
	case "export-asl":
		return exportASL(args[1:], env)
	}
	fmt.Fprint(env.Stderr, devUsage)
	return ExitUsage
}

// exportASLFlags is the flag set of dev export-asl and the flags it fills.
func exportASLFlags(env Env) (*flag.FlagSet, *string, *string) {
	fs := newFlagSet("export-asl", env)
	setUsage(fs, "dev")
	asm := fs.String("assembly", "cdk.out", "cloud assembly `dir`")
	out := fs.String("out", "build/asl", "output `dir`")
	return fs, asm, out
}

func exportASL(args []string, env Env) int {
	fs, asm, out := exportASLFlags(env)
	if code, ok := parseFlags(fs, args, env); !ok {
		return code
	}
	stack, err := localsfn.ReadStack(*asm, workflow.ManagementStackName)
	if err != nil {
		fmt.Fprintln(env.Stderr, "orgbaseline dev export-asl:", err)
		return ExitFailed
	}
	if len(stack.StateMachines) == 0 {
		fmt.Fprintln(env.Stderr, "orgbaseline dev export-asl: no state machine in", workflow.ManagementStackName)
		return ExitFailed
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(env.Stderr, "orgbaseline dev export-asl:", err)
		return ExitFailed
	}
	for _, sm := range stack.StateMachines {
		path := filepath.Join(*out, sm.LogicalID+".asl.json")
		if err := os.WriteFile(path, sm.Definition, 0o644); err != nil {
			fmt.Fprintln(env.Stderr, "orgbaseline dev export-asl:", err)
			return ExitFailed
		}
		fmt.Fprintln(env.Stdout, path)
	}
	return ExitOK
}
