package guardduty

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// The results of every region travel through the state machine, whose
// payloads are limited to 256 KB, so what one invocation returns must not
// grow with the organization: a part's outcome counts the accounts it acted
// on (one action per kind of call, "guardduty:CreateMembers 37 accounts"),
// and only accounts that changed, were skipped or failed get an outcome of
// their own, at most maxAccountRows of them a part. The full lists go to the
// step's log.
const (
	// maxAccountRows caps the per-account outcomes of one part.
	maxAccountRows = 8
	// maxTargetIDs caps the account IDs a reason or warning names.
	maxTargetIDs = 10
	// maxRowReason caps the reason of a per-account outcome, which may
	// carry GuardDuty's own text, in bytes.
	maxRowReason = 200
)

// accountRow is the outcome of one account x region of a part.
type accountRow struct {
	account string
	status  workflow.Status
	reason  string
}

// rowRank orders rows: failed first, then skipped, then changed.
func rowRank(s workflow.Status) int {
	switch s {
	case workflow.StatusFailed:
		return 0
	case workflow.StatusSkipped:
		return 1
	}
	return 2
}

// addRows keeps the outcomes of rows for the end of the result, failed
// first, then skipped, then changed, each kept in its order, at most
// maxAccountRows of them. Each reason begins with part. It logs the rows
// left out and returns a note saying how many there are, "" when none.
func (r *orgRun) addRows(part string, rows []accountRow) string {
	rows = slices.Clone(rows)
	slices.SortStableFunc(rows, func(a, b accountRow) int { return rowRank(a.status) - rowRank(b.status) })
	keep := rows[:min(len(rows), maxAccountRows)]
	for _, row := range keep {
		r.rows = append(r.rows, workflow.Outcome{
			Account: row.account, Region: r.region, Service: settings.ServiceGuardDuty,
			Status: row.status, Reason: clip(part+": "+row.reason, maxRowReason),
		})
	}
	left := rows[len(keep):]
	if len(left) == 0 {
		return ""
	}
	byStatus := map[workflow.Status][]string{}
	for _, row := range left {
		byStatus[row.status] = append(byStatus[row.status], row.account)
	}
	for status, accounts := range byStatus {
		r.log.Info("accounts without an outcome of their own in the result", "part", part, "status", string(status), "accounts", accounts)
	}
	return fmt.Sprintf(" (outcomes of %d more accounts are in the step's log)", len(left))
}

// countAccounts is the target of an action on n accounts.
func countAccounts(n int) string {
	if n == 1 {
		return "1 account"
	}
	return fmt.Sprintf("%d accounts", n)
}

// capped joins the first maxTargetIDs items and says how many more there
// are.
func capped(items []string, sep string) string {
	if len(items) <= maxTargetIDs {
		return strings.Join(items, sep)
	}
	return fmt.Sprintf("%s%sand %d more", strings.Join(items[:maxTargetIDs], sep), sep, len(items)-maxTargetIDs)
}

// clip cuts s to at most n bytes, at a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("...")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
