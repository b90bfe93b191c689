package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// commandHelp is what `orgbaseline COMMAND -h` (and `orgbaseline help
// COMMAND`) prints before the command's flags: its usage line and a
// paragraph on what it does.
type commandHelp struct {
	usage string
	about string
}

// helps holds every command's help, by command name (the names of
// commands, and nothing else).
var helps = map[string]commandHelp{
	"apply": {
		usage: `orgbaseline apply [--plan] [--local] [--accounts IDS] [--services NAMES]
                  [--regions NAMES] [--config FILE] [--output table|json] [--details]`,
		about: `Start the deployed baseline state machine (the BaselineStateMachineArn output
of stack OrgBaseline-Management) and follow its history to the end, then print
a summary per service and the rows that changed or failed (--details: every
row with all its calls; --output json: everything). With --plan nothing is changed: the
rows list the actions a run would take. With --local the stacks are
synthesized from --config and the management stack's state machine runs on
this machine, against the endpoint the AWS SDK resolves (AWS_ENDPOINT_URL).
A deployed run refuses a configuration file other than the one deployed.
Interrupting apply stops the following, never the execution: see status.
Exit status 0 when nothing failed, 1 when something failed, 2 for a bad
command line or configuration (nothing was called).`,
	},
	"onboard": {
		usage: `orgbaseline onboard --account ID | --event FILE [--plan] [--local]
                    [--config FILE] [--output table|json] [--details]`,
		about: `Apply the baseline to one new account in every enabled region (--account),
or to what an EventBridge event announces (--event: CreateAccountResult,
AcceptHandshake, AccountJoinedOrganization, Control Tower's
CreateManagedAccount/UpdateManagedAccount, Region Opt-In Status Change), as
the onboarding rules do: the same input and execution name, so the same event
twice starts one run. An event that starts nothing says why; a malformed one
is refused, and nothing is called. --plan reports and changes nothing, under
an execution name of its own. --local runs on this machine, as apply --local.`,
	},
	"notify": {
		usage: `orgbaseline notify --event FILE [--local] [--config FILE]`,
		about: `Push one finding event (GuardDuty, Security Hub, AWS Health) through the
notifications' path. Deployed: EventBridge's TestEventPattern checks it
against the finding rules' patterns in the security account, and a match is
formatted and published to the findings topic through the execution role.
--local: the event is put on the emulator's bus, where the rules deploy
--local put from the synthesized templates decide. An event the rules would
not match is reported as not matched and not published.`,
	},
	"deploy": {
		usage: `orgbaseline deploy --local [--plan] [--config FILE] [--output table|json] [--details]`,
		about: `The local stand-in for 'cdk deploy --all', on an emulator: create the
resources of the stacks the steps depend on (buckets, keys, roles, a log
group) with SDK calls, from the same policy documents the templates carry, then put the synthesized
templates' EventBridge rules and topics on the emulator. It reads first and
changes only what differs. On AWS, deploy the stacks with
'cdk deploy --all' instead; without --local this command does nothing.`,
	},
	"rollback": {
		usage: `orgbaseline rollback trail-encryption|trail-cloudwatch-logs [--plan]
                     [--config FILE] [--output table|json] [--details]`,
		about: `Undo a part of the organization trail. trail-encryption removes SSE-KMS
from the trail (UpdateTrail with no key in its home region), checks that
every configured region reports no key, and switches the trail bucket's
default encryption to SSE-S3; the key is kept, since log files written
before stay encrypted with it. trail-cloudwatch-logs stops the trail's
delivery to CloudWatch Logs; the log group and the role stay in their stack.
Both run with the management account's credentials, make the trail's calls
from the account services.cloudtrail.manageFrom names, read first, change
only what differs, and report like apply. Set the configuration to match
(kmsEncryption: false, cloudWatchLogs.enabled: false), or the next apply
turns the part on again.`,
	},
	"disable": {
		usage: `orgbaseline disable SERVICE [--plan] [--config FILE] [--output table|json] [--details]`,
		about: `Undo what apply turned on for one service (cloudtrail, config, guardduty,
securityhub, accessanalyzer, detective, health), in the order the service
documents: its members, its organization configuration, its delegated
administrator, trusted access. What holds evidence is kept and named in the
warnings: the trail and Config buckets with what was delivered to them, the
keys, exported findings. It runs with the management account's credentials
and the execution role, reads first and changes only what differs, so a
second run is safe; config and guardduty may need a second run once AWS has
finished removing things in the background. A delegated administrator that
is not accounts.security is reported, never removed. 'orgbaseline disable'
lists what each service's disable does; docs/disable.md has the calls.
Switch the service off in the configuration too, or the next apply turns it
on again.`,
	},
	"status": {
		usage: `orgbaseline status [EXECUTION_ARN] [--config FILE] [--output table|json] [--details]`,
		about: `Re-attach to an execution of the deployed state machine, the latest one or
the one named, follow it to its end, and print the same report as apply.
Interrupting apply stops only the following; status picks it up again.`,
	},
	"report": {
		usage: `orgbaseline report [--local] [--accounts IDS] [--services NAMES] [--regions NAMES]
                   [--config FILE] [--output table|json|csv|html] [--out FILE]`,
		about: `The coverage matrix, account x region x service: on (as configured), off
(would change), partial, skipped or excluded with the reason, or none (the
service has no check of its own there: it is set organization-wide). It is
read from the organization's actual state: a plan run of the state machine
(deployed, or with --local on this machine; read-only calls, nothing is
changed) and the organization's tree (ListRoots,
ListOrganizationalUnitsForParent, ListAccountsForParent), never from past
runs. table: an account per line, a column per service; csv: a line per
cell; json: everything; html: one self-contained page, a heat map with
filters by service, region, OU and state. Exit status 0 when no cell is off,
partial or unreadable, 1 otherwise, 2 for a bad command line.`,
	},
	"validate": {
		usage: `orgbaseline validate [--config FILE]`,
		about: `Check the configuration file and list every problem in it at once, each on
its own line (exit status 2), or say which services and regions it covers.
Nothing is called.`,
	},
	"version": {
		usage: `orgbaseline version`,
		about: `Print the CLI's version, the source revision it was built from (when the
build recorded it) and the Go version.`,
	},
	"dev": {
		usage: `orgbaseline dev lambda-runtime STEP
orgbaseline dev export-asl [--assembly DIR] [--out DIR]`,
		about: `Commands the local run and the build use. lambda-runtime serves STEP through
the Lambda Runtime API named by AWS_LAMBDA_RUNTIME_API, exactly as
functions/STEP/main.go does on AWS (the local run starts it). export-asl
writes each state machine of the management stack in the cloud assembly as
plain ASL (DIR/<logical id>.asl.json), for asl-validator.`,
	},
}

// setUsage gives fs the Usage func that prints command's help: its usage
// line and description first, then fs's flags with their defaults. The
// flag package calls it for -h and --help, and after a bad flag.
func setUsage(fs *flag.FlagSet, command string) {
	fs.Usage = func() { printHelp(fs.Output(), command, fs) }
}

// printHelp writes command's usage line, its description and the flags of
// sets (a command with subcommands may have more than one) to w.
func printHelp(w io.Writer, command string, sets ...*flag.FlagSet) {
	h, ok := helps[command]
	if !ok {
		panic("cli: no help for command " + command)
	}
	fmt.Fprintf(w, "Usage:\n%s\n\n%s\n", indentLines(h.usage, "  "), h.about)
	for _, fs := range sets {
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n == 0 {
			continue
		}
		title := "Flags"
		if name := fs.Name(); name != command {
			title = "Flags of " + name
		}
		fmt.Fprintf(w, "\n%s:\n", title)
		out := fs.Output()
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(out)
	}
}

// indentLines puts prefix before every line of s.
func indentLines(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// helpCmd is `orgbaseline help [COMMAND]`: the top-level usage, or what
// `orgbaseline COMMAND -h` prints.
func helpCmd(args []string, env Env) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stdout, usage)
		return ExitOK
	}
	if _, ok := helps[args[0]]; !ok {
		fmt.Fprintf(env.Stderr, "orgbaseline help: unknown command %q%s\n\n%s", args[0], didYouMean(args[0], commands), usage)
		return ExitUsage
	}
	printHelp(env.Stdout, args[0], commandFlagSets(args[0], env)...)
	return ExitOK
}

// commandFlagSets returns the flag sets of command, built by the same
// functions the command parses its arguments with.
func commandFlagSets(command string, env Env) []*flag.FlagSet {
	switch command {
	case "apply":
		fs, _ := applyFlags(env)
		return []*flag.FlagSet{fs}
	case "onboard":
		fs, _ := onboardFlags(env)
		return []*flag.FlagSet{fs}
	case "notify":
		fs, _ := notifyFlags(env)
		return []*flag.FlagSet{fs}
	case "deploy":
		fs, _ := deployFlags(env)
		return []*flag.FlagSet{fs}
	case "rollback":
		fs, _ := rollbackFlags("rollback", env)
		return []*flag.FlagSet{fs}
	case "disable":
		fs, _ := disableFlags("disable", env)
		return []*flag.FlagSet{fs}
	case "status":
		fs, _ := statusFlags(env)
		return []*flag.FlagSet{fs}
	case "report":
		fs, _, _ := reportFlags(env)
		return []*flag.FlagSet{fs}
	case "validate":
		fs, _ := validateFlags(env)
		return []*flag.FlagSet{fs}
	case "version":
		return []*flag.FlagSet{versionFlags(env)}
	case "dev":
		fs, _, _ := exportASLFlags(env)
		return []*flag.FlagSet{fs}
	}
	return nil
}

// isHelp reports whether arg asks for help, as the flag package reads it.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "--h", "-help", "--help":
		return true
	}
	return false
}

// helpName is the command line that fs parses the flags of, for "run
// 'orgbaseline NAME -h'": "dev export-asl" for export-asl.
func helpName(fs *flag.FlagSet) string {
	name := fs.Name()
	if name == "export-asl" {
		return "dev export-asl"
	}
	return name
}
