package report

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// ServiceSummary is one service's line of the end-of-run summary: where it
// is on after the run and how its rows ended.
type ServiceSummary struct {
	Service string `json:"service"`
	// Accounts and Regions count the distinct accounts and regions whose
	// rows for the service ended changed, unchanged or planned (covered, or
	// in a plan about to be); organization-wide rows (region "global")
	// count their account but no region.
	Accounts int `json:"accounts"`
	Regions  int `json:"regions"`
	// Folded says some of the service's rows were folded into summary rows
	// (a step bounds its result): the accounts are then at least Accounts.
	Folded    bool `json:"folded,omitempty"`
	Changed   int  `json:"changed"`
	Unchanged int  `json:"unchanged"`
	Planned   int  `json:"planned"`
	Skipped   int  `json:"skipped"`
	Failed    int  `json:"failed"`
}

// Services returns the per-service summary, in the order the services first
// appear in the run.
func (r Report) Services() []ServiceSummary {
	type acc struct {
		sum              ServiceSummary
		accounts, region map[string]bool
	}
	var order []string
	by := map[string]*acc{}
	for _, row := range r.Rows {
		name := row.Service
		if name == "" || name == "-" {
			name = "(run)"
		}
		a := by[name]
		if a == nil {
			a = &acc{sum: ServiceSummary{Service: name}, accounts: map[string]bool{}, region: map[string]bool{}}
			by[name] = a
			order = append(order, name)
		}
		n := max(row.Count, 1)
		switch workflow.Status(row.Status) {
		case workflow.StatusChanged:
			a.sum.Changed += n
		case workflow.StatusUnchanged:
			a.sum.Unchanged += n
		case workflow.StatusPlanned:
			a.sum.Planned += n
		case workflow.StatusSkipped:
			a.sum.Skipped += n
		case workflow.StatusFailed:
			a.sum.Failed += n
		}
		switch workflow.Status(row.Status) {
		case workflow.StatusChanged, workflow.StatusUnchanged, workflow.StatusPlanned:
		default:
			continue
		}
		if row.Account == workflow.SummaryAccount {
			a.sum.Folded = true
		} else if row.Account != "" && row.Account != "-" {
			a.accounts[row.Account] = true
		}
		if row.Region != "" && row.Region != "-" && row.Region != workflow.RegionGlobal {
			a.region[row.Region] = true
		}
	}
	out := make([]ServiceSummary, 0, len(order))
	for _, name := range order {
		a := by[name]
		a.sum.Accounts, a.sum.Regions = len(a.accounts), len(a.region)
		out = append(out, a.sum)
	}
	return out
}

// TableOptions shape the table: Details lists every row with all its
// actions (the whole report); otherwise the table is the per-service
// summary and, below it, only the rows that changed, would change (plan)
// or failed, with their actions collapsed, and the skipped rows grouped by
// reason. Width, when positive, cuts every line to that many characters.
type TableOptions struct {
	Details bool
	Width   int
}

// maxSkipGroups is how many groups of skipped rows the short table lists.
const maxSkipGroups = 12

// Write prints the report as a table (see TableOptions), then warnings and
// the one-line summary.
func (r Report) Write(w io.Writer, o TableOptions) error {
	var buf bytes.Buffer
	if o.Details {
		r.writeRows(&buf, r.Rows, "OUTCOME\tACTIONS", func(row Row) (string, string) { return row.Outcome(), detailActions(row) })
	} else {
		r.writeServices(&buf)
		var notable []Row
		for _, row := range r.Rows {
			switch workflow.Status(row.Status) {
			case workflow.StatusChanged, workflow.StatusPlanned, workflow.StatusFailed:
				notable = append(notable, row)
			}
		}
		if len(notable) > 0 {
			fmt.Fprintln(&buf)
			r.writeRows(&buf, notable, "OUTCOME\tDETAIL", shortColumns)
		}
		r.writeSkips(&buf)
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(&buf, "warning: %s\n", warn)
	}
	fmt.Fprintf(&buf, "%s (%s): %s\n", strings.ToLower(r.Execution), r.Mode, r.Summary())
	if !o.Details && len(r.Rows) > 0 {
		fmt.Fprintln(&buf, "(--details lists every row with all its calls; --output json holds everything)")
	}
	_, err := w.Write(cut(buf.Bytes(), o.Width))
	return err
}

func (r Report) writeServices(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "SERVICE\tACCOUNTS\tREGIONS\tCHANGED\tUNCHANGED\tPLANNED\tSKIPPED\tFAILED\t")
	for _, s := range r.Services() {
		accounts := fmt.Sprint(s.Accounts)
		if s.Folded {
			accounts = "≥" + accounts
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t\n", s.Service, accounts, s.Regions, s.Changed, s.Unchanged, s.Planned, s.Skipped, s.Failed)
	}
	tw.Flush()
}

// writeRows prints rows sorted by account and region, the last two columns
// (named by header) as columns renders them.
func (r Report) writeRows(w io.Writer, rows []Row, header string, columns func(Row) (string, string)) {
	rows = append([]Row(nil), rows...)
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Account != rows[j].Account {
			return rows[i].Account < rows[j].Account
		}
		return rows[i].Region < rows[j].Region
	})
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tREGION\tSERVICE\t"+header)
	for _, row := range rows {
		outcome, last := columns(row)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", row.Account, row.Region, row.Service, outcome, last)
	}
	tw.Flush()
}

// shortColumns are the short table's outcome (the status alone) and detail:
// the reason, then the calls collapsed, so that cutting the line to the
// terminal's width shortens only the last column.
func shortColumns(row Row) (string, string) {
	detail := CollapseActions(row.Actions)
	switch {
	case row.Reason != "" && len(row.Actions) > 0:
		detail = row.Reason + " (" + detail + ")"
	case row.Reason != "":
		detail = row.Reason
	}
	return row.Status, detail
}

// detailActions is the whole actions column: every call, and the reason of
// a row whose outcome does not already say it.
func detailActions(row Row) string {
	actions := strings.Join(row.Actions, "; ")
	if actions == "" {
		actions = "-"
	}
	if row.Reason != "" && row.Outcome() == row.Status {
		actions += " (" + row.Reason + ")"
	}
	return actions
}

// writeSkips lists the skipped rows grouped by service and reason, the
// largest groups first.
func (r Report) writeSkips(w io.Writer) {
	type group struct {
		service, reason string
		rows            int
	}
	idx := map[[2]string]int{}
	var groups []group
	for _, row := range r.Rows {
		if row.Status != string(workflow.StatusSkipped) {
			continue
		}
		k := [2]string{row.Service, row.Reason}
		i, ok := idx[k]
		if !ok {
			i = len(groups)
			idx[k] = i
			groups = append(groups, group{service: row.Service, reason: row.Reason})
		}
		groups[i].rows += max(row.Count, 1)
	}
	if len(groups) == 0 {
		return
	}
	sort.SliceStable(groups, func(i, j int) bool { return groups[i].rows > groups[j].rows })
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Skipped:")
	for i, g := range groups {
		if i == maxSkipGroups {
			fmt.Fprintf(w, "  and %d more reasons\n", len(groups)-maxSkipGroups)
			break
		}
		reason := g.reason
		if reason == "" {
			reason = "no reason given"
		}
		fmt.Fprintf(w, "  %s: %d %s: %s\n", g.service, g.rows, plural(g.rows, "row", "rows"), reason)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// CollapseActions renders a row's calls in a few words: the call itself
// when there is one; "7 calls on bucket-x" when they all act on one
// target; "3 calls: s3:PutBucketPolicy, ..." otherwise (each Action's text
// is "service:Operation target").
func CollapseActions(actions []string) string {
	switch len(actions) {
	case 0:
		return "-"
	case 1:
		return actions[0]
	}
	var calls []string
	seen := map[string]bool{}
	target, sameTarget := "", true
	for i, a := range actions {
		call, t, _ := strings.Cut(a, " ")
		if i == 0 {
			target = t
		} else if t != target {
			sameTarget = false
		}
		if !seen[call] {
			seen[call] = true
			calls = append(calls, call)
		}
	}
	if sameTarget && target != "" {
		return fmt.Sprintf("%d calls on %s", len(actions), target)
	}
	return fmt.Sprintf("%d calls: %s", len(actions), strings.Join(calls, ", "))
}

// cut shortens every line of text to width characters, ending a cut line
// with "…"; a width of 0 or less leaves the text as it is.
func cut(text []byte, width int) []byte {
	if width <= 0 {
		return text
	}
	lines := strings.SplitAfter(string(text), "\n")
	var b strings.Builder
	for _, line := range lines {
		body := strings.TrimSuffix(line, "\n")
		if utf8.RuneCountInString(body) > width {
			runes := []rune(body)
			body = string(runes[:max(width-1, 0)]) + "…"
		}
		b.WriteString(body)
		if strings.HasSuffix(line, "\n") {
			b.WriteByte('\n')
		}
	}
	return []byte(b.String())
}
