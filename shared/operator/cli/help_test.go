package cli

import (
	"flag"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestEveryCommandAnswersHelp: each command answers -h and --help (and
// `orgbaseline help COMMAND`) on stdout with exit status 0: its usage line,
// its description, and every flag its flag set defines, as the flag set
// itself lists them, so that a flag added later is held to it too.
func TestEveryCommandAnswersHelp(t *testing.T) {
	for _, cmd := range commands {
		if cmd == "help" {
			continue
		}
		h, ok := helps[cmd]
		if !ok {
			t.Errorf("command %s has no help", cmd)
			continue
		}
		if !strings.Contains(usage, "orgbaseline "+cmd) {
			t.Errorf("the top-level usage does not show orgbaseline %s", cmd)
		}
		sets := commandFlagSets(cmd, Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
		if sets == nil {
			t.Errorf("command %s: no flag set", cmd)
		}
		var flags []string
		for _, fs := range sets {
			fs.VisitAll(func(f *flag.Flag) { flags = append(flags, f.Name) })
		}
		for _, args := range [][]string{{cmd, "-h"}, {cmd, "--help"}, {"help", cmd}} {
			code, stdout, stderr := runCLI(t, args...)
			if code != ExitOK {
				t.Errorf("%v: exit %d, want %d; stderr:\n%s", args, code, ExitOK, stderr)
			}
			firstUsage, _, _ := strings.Cut(h.usage, "\n")
			firstAbout, _, _ := strings.Cut(h.about, "\n")
			for _, want := range []string{"Usage:\n  " + firstUsage, firstAbout} {
				if !strings.Contains(stdout, want) {
					t.Errorf("%v: the help does not show %q:\n%s", args, want, stdout)
				}
			}
			for _, name := range flags {
				if !strings.Contains(stdout, "  -"+name+" ") && !strings.Contains(stdout, "  -"+name+"\n") {
					t.Errorf("%v: the help does not list flag -%s:\n%s", args, name, stdout)
				}
			}
		}
	}
	for cmd := range helps {
		if !slices.Contains(commands, cmd) {
			t.Errorf("help for %s, which is no command", cmd)
		}
	}
}

// TestSubcommandsAnswerHelp: a rollback and dev export-asl answer -h with
// their command's help, and a bad flag is answered in a few lines that say
// where the help is.
func TestSubcommandsAnswerHelp(t *testing.T) {
	for _, args := range [][]string{
		{"rollback", "trail-encryption", "-h"},
		{"rollback", "trail-cloudwatch-logs", "--help"},
		{"dev", "export-asl", "-h"},
	} {
		code, stdout, _ := runCLI(t, args...)
		if code != ExitOK || !strings.Contains(stdout, "Usage:\n  orgbaseline "+args[0]) {
			t.Errorf("%v: exit %d:\n%s", args, code, stdout)
		}
	}
	code, stdout, stderr := runCLI(t, "status", "--nope")
	if code != ExitUsage || stdout != "" || !strings.Contains(stderr, "run 'orgbaseline status -h' for its flags") || strings.Contains(stderr, "Usage:") {
		t.Errorf("status --nope: exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
}
