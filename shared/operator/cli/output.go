package cli

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/term"

	"github.com/orgbaseline/orgbaseline/shared/report"
)

// detailsUsage is the --details flag's help.
const detailsUsage = "list every row of the report with all its calls (by default: a summary per service, then only the rows that changed or failed, cut to the terminal's width)"

// writeReport prints rep and returns the exit status it calls for.
func writeReport(rep report.Report, output string, details bool, env Env) int {
	var err error
	if output == "json" {
		err = rep.WriteJSON(env.Stdout)
	} else {
		err = rep.Write(env.Stdout, report.TableOptions{Details: details, Width: terminalWidth(env)})
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "orgbaseline:", err)
		return ExitFailed
	}
	if rep.Failed() {
		return ExitFailed
	}
	return ExitOK
}

// terminalWidth is how wide the short report may be: COLUMNS when set (as
// a shell exports it), else the width of the terminal standard output is,
// else 0 (not a terminal: nothing is cut).
func terminalWidth(env Env) int {
	if n, err := strconv.Atoi(env.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	if f, ok := env.Stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
	}
	return 0
}
