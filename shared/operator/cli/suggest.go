package cli

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/orgbaseline/orgbaseline/shared/settings"
)

// closest returns the candidate nearest to s by edit distance, "" when
// none is near enough to be what was meant (at most a third of s's
// letters differ, and no more than 3).
func closest(s string, candidates []string) string {
	best, bestD := "", max(1, min(3, len(s)/3))+1
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// didYouMean is " (did you mean X?)" for the candidate nearest to s, or "".
func didYouMean(s string, candidates []string) string {
	if c := closest(s, candidates); c != "" {
		return fmt.Sprintf("; did you mean %s?", c)
	}
	return ""
}

// commands are the CLI's commands, for suggestions.
var commands = []string{"apply", "onboard", "notify", "status", "report", "deploy", "rollback", "disable", "validate", "version", "help", "dev"}

// unknownFlag says which flag of fs an unknown one probably was.
func unknownFlag(fs *flag.FlagSet, err error) string {
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: ")
	if !ok {
		return ""
	}
	name = strings.TrimLeft(name, "-")
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	if c := closest(name, names); c != "" {
		return fmt.Sprintf("orgbaseline %s: did you mean --%s?\n", fs.Name(), c)
	}
	return ""
}

// loadSettings reads the configuration file at path; a missing file says
// how to give one.
func loadSettings(command, path string) (settings.Config, error) {
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return settings.Config{}, fmt.Errorf("orgbaseline %s: no configuration file %s: give one with --config FILE; "+
			"orgbaseline.example.yaml (in the orgbaseline folder) is an example to start from, `orgbaseline validate --config FILE` checks it", command, path)
	}
	return settings.LoadFile(path)
}

// versionFlags is the version command's flag set: it has no flags, and
// answers -h.
func versionFlags(env Env) *flag.FlagSet {
	return newFlagSet("version", env)
}

// version prints the CLI's version: the module's, and the source revision
// it was built from, when the build recorded them.
func version(args []string, env Env) int {
	if code, ok := parseFlags(versionFlags(env), args, env); !ok {
		return code
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		fmt.Fprintln(env.Stdout, "orgbaseline (no build information)")
		return ExitOK
	}
	v := info.Main.Version
	var rev, modified, at string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = " (modified)"
			}
		case "vcs.time":
			at = " " + s.Value
		}
	}
	fmt.Fprintf(env.Stdout, "%s %s", filepath.Base(info.Main.Path), v)
	if rev != "" {
		fmt.Fprintf(env.Stdout, ", revision %s%s%s", rev, modified, at)
	}
	fmt.Fprintf(env.Stdout, ", %s\n", info.GoVersion)
	return ExitOK
}
