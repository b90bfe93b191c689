package orgtrail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/smithy-go"

	"github.com/orgbaseline/orgbaseline/shared/settings"
)

// Bounds of the preflight check of member accounts: how many accounts are
// read at once, at most, and how long one account may take; how much of the
// step's time the preflight leaves for the trail's own work, and how long it
// takes at most without a deadline; how many accounts a warning names and
// how much of an error it quotes.
//
// The step's Lambda has 90 seconds and a response of 256 KB at most. The
// member accounts are read only when the trail is to be created or changed,
// or when the run names its accounts (preflightMembers); a converged
// trail's re-run reads none. When they are read, an organization can have
// more accounts than 90 seconds can read, one AssumeRole and one
// DescribeTrails each, retried; the preflight reads them until its time is
// spent and reports the rest as not checked, and its warnings name a
// bounded number of accounts whatever the organization's size. Every
// account's finding is in the step's log.
const (
	PreflightConcurrency = 5
	PreflightMaxAccounts = 1000
	PreflightTimeout     = 30 * time.Second
	PreflightReserve     = 30 * time.Second
	PreflightBudget      = 40 * time.Second
	PreflightNamed       = 10
	PreflightErrorChars  = 200
)

// trailsNamed is how many of an account's own trails a warning names: all
// of them, unless the account has more than CloudTrail's usual five trails
// per region.
const trailsNamed = 5

// preflight returns the warnings the step gives in plan and apply: member
// accounts (members, the accounts preflightMembers chose) that have trails
// of their own, which the organization trail records again (and CloudTrail
// charges again); that the management account's activity lands in the
// log-archive bucket; and who can copy the trail into CloudTrail Lake. A
// member account that cannot be read is a warning, never a failure.
//
// The member accounts are read within a time budget (preflightDeadline), so
// that the trail's own work has time left.
func preflight(ctx context.Context, d Deps, cfg settings.Config, members []string, log *slog.Logger) []string {
	budget, cancel := context.WithDeadline(ctx, preflightDeadline(ctx, time.Now()))
	defer cancel()
	warnings := memberWarnings(ctx, budget, d, cfg, members, log)
	return append(warnings,
		fmt.Sprintf("the management account's own activity (%s) is recorded by the organization trail and delivered to the log-archive bucket %s in account %s, readable by whoever can read that bucket", cfg.Accounts.Management, BucketName(cfg), cfg.Accounts.LogArchive),
		lakeWarning,
	)
}

// preflightMembers returns the member accounts the preflight reads for
// trails of their own: the run's accounts (accounts, the ACTIVE accounts
// the org-targets step resolved) other than the management account, when
// the trail is to be created or changed (changes) — when the organization
// trail starts recording them, or records them differently — or when the
// run names its accounts (named, the --accounts filter). Otherwise it
// returns none, and the warning that says so: a converged trail's re-run
// makes no call in the member accounts, however large the organization.
func preflightMembers(cfg settings.Config, accounts []string, named, changes bool) ([]string, []string) {
	var members []string
	for _, id := range accounts {
		if id != cfg.Accounts.Management {
			members = append(members, id)
		}
	}
	if changes || named || len(members) == 0 {
		return members, nil
	}
	return nil, []string{fmt.Sprintf("%d member %s not checked for trails of their own: the organization trail is unchanged, and member accounts are checked when it is created or changed; to check accounts now, name them with --accounts, or run %s in each",
		len(members), plural(len(members), "account was", "accounts were"), describeCommand(cfg))}
}

// preflightDeadline is when the preflight stops starting new accounts: the
// context's deadline (the Lambda's) less PreflightReserve, or without a
// deadline PreflightBudget from now.
func preflightDeadline(ctx context.Context, now time.Time) time.Time {
	if dl, ok := ctx.Deadline(); ok {
		return dl.Add(-PreflightReserve)
	}
	return now.Add(PreflightBudget)
}

// memberCheck is what the preflight found in one member account.
type memberCheck struct {
	account string
	trails  []string // the account's own trails
	err     error    // the account could not be read
	assume  bool     // err is the execution role's assumption failing
	skipped bool     // not checked: the budget was spent first
}

// memberWarnings reads the trails of the member accounts members while
// budget lasts, and returns the warnings about them: a bounded number,
// whatever the number of accounts. ctx is the step's, for logging.
func memberWarnings(ctx, budget context.Context, d Deps, cfg settings.Config, members []string, log *slog.Logger) []string {
	var warnings []string
	if len(members) > PreflightMaxAccounts {
		warnings = append(warnings, fmt.Sprintf("only the first %d of %d member accounts were checked for trails of their own", PreflightMaxAccounts, len(members)))
		members = members[:PreflightMaxAccounts]
	}
	checks := checkMembers(budget, d.MemberTrails, cfg, members)
	for _, c := range checks {
		switch {
		case len(c.trails) > 0:
			log.WarnContext(ctx, "preflight: account has trails of its own", "account", c.account, "trails", c.trails)
		case c.err != nil:
			log.WarnContext(ctx, "preflight: could not check the account for trails of its own", "account", c.account, "error", c.err)
		}
	}
	return append(warnings, summarize(cfg, checks)...)
}

// checkMembers reads the trails of accounts, PreflightConcurrency at a time
// and in their order, until budget is done; the accounts not started by then
// are skipped. members gives the client that reads an account's trails.
func checkMembers(budget context.Context, members func(account string) DescribeTrailsAPI, cfg settings.Config, accounts []string) []memberCheck {
	checks := make([]memberCheck, len(accounts))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(PreflightConcurrency, len(accounts)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(accounts) {
					return
				}
				if budget.Err() != nil {
					checks[i] = memberCheck{account: accounts[i], skipped: true}
					continue
				}
				checks[i] = memberTrails(budget, members(accounts[i]), cfg, accounts[i])
			}
		})
	}
	wg.Wait()
	return checks
}

// summarize turns the checks into warnings: each of the first
// PreflightNamed accounts with trails of their own, and of those that could
// not be read, with a count of the others; one warning for the accounts
// where the execution role could not be assumed and one for those not
// checked, each naming PreflightNamed accounts at most.
func summarize(cfg settings.Config, checks []memberCheck) []string {
	var own, failed, assume, skipped []memberCheck
	for _, c := range checks {
		switch {
		case c.skipped:
			skipped = append(skipped, c)
		case c.assume:
			assume = append(assume, c)
		case c.err != nil:
			failed = append(failed, c)
		case len(c.trails) > 0:
			own = append(own, c)
		}
	}
	region := cfg.HomeRegion
	var warnings []string
	for _, c := range own[:min(len(own), PreflightNamed)] {
		warnings = append(warnings, fmt.Sprintf("account %s has trail(s) of its own in %s: %s; the organization trail records its events as well, so they are recorded and charged twice", c.account, region, namedList(c.trails, trailsNamed)))
	}
	if n := len(own) - PreflightNamed; n > 0 {
		warnings = append(warnings, fmt.Sprintf("and %d more %s trails of their own in %s, whose events are recorded and charged twice as well; the step's log names them", n, plural(n, "account has", "accounts have"), region))
	}
	for _, c := range failed[:min(len(failed), PreflightNamed)] {
		warnings = append(warnings, fmt.Sprintf("account %s: could not check for trails of its own in %s: %s", c.account, region, shortError(c.err)))
	}
	if n := len(failed) - PreflightNamed; n > 0 {
		warnings = append(warnings, fmt.Sprintf("and %d more %s could not be checked for trails of their own in %s; the step's log has the errors", n, plural(n, "account", "accounts"), region))
	}
	if len(assume) > 0 {
		warnings = append(warnings, fmt.Sprintf("could not check %d %s for trails of their own in %s: the role %s could not be assumed there (%s: %s): %s",
			len(assume), plural(len(assume), "account", "accounts"), region, cfg.ExecutionRoleName, assume[0].account, shortError(assume[0].err), namedList(accountsOf(assume), PreflightNamed)))
	}
	if len(skipped) > 0 {
		warnings = append(warnings, fmt.Sprintf("%d %s not checked for trails of their own: the preflight's time ran out; run again or check with %s in each: %s",
			len(skipped), plural(len(skipped), "account", "accounts"), describeCommand(cfg), namedList(accountsOf(skipped), PreflightNamed)))
	}
	return warnings
}

// describeCommand is the CLI command that lists an account's own trails in
// the home region.
func describeCommand(cfg settings.Config) string {
	return "aws cloudtrail describe-trails --no-include-shadow-trails --region " + cfg.HomeRegion
}

func accountsOf(checks []memberCheck) []string {
	ids := make([]string, len(checks))
	for i, c := range checks {
		ids[i] = c.account
	}
	return ids
}

// namedList joins the first max names, and counts the others.
func namedList(names []string, max int) string {
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:max], ", "), len(names)-max)
}

func plural(n int, one, more string) string {
	if n == 1 {
		return one
	}
	return more
}

// shortError is err's text for a warning: the API error's code and message
// when there is one (without the SDK's operation and request details), at
// most PreflightErrorChars characters.
func shortError(err error) string {
	text := err.Error()
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		text = apiErr.ErrorCode()
		if m := apiErr.ErrorMessage(); m != "" {
			text += ": " + m
		}
	}
	if r := []rune(text); len(r) > PreflightErrorChars {
		text = string(r[:PreflightErrorChars-1]) + "…"
	}
	return text
}

// assumeRoleFailed reports whether err is the failure to assume the
// execution role in the account, as the SDK's credential provider reports
// it: an STS AssumeRole operation error within the call's error.
func assumeRoleFailed(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if op, ok := e.(*smithy.OperationError); ok && op.ServiceID == "STS" && op.OperationName == "AssumeRole" {
			return true
		}
	}
	return strings.Contains(err.Error(), "STS: AssumeRole")
}

// memberTrails reads account's own trails in the home region, through api
// (the account's client). A read that fails because budget is done leaves
// the account skipped.
func memberTrails(budget context.Context, api DescribeTrailsAPI, cfg settings.Config, account string) memberCheck {
	ctx, cancel := context.WithTimeout(budget, PreflightTimeout)
	defer cancel()
	c := memberCheck{account: account}
	out, err := api.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(false)})
	switch {
	case err != nil && budget.Err() != nil:
		c.skipped = true
		return c
	case err != nil:
		c.err, c.assume = err, assumeRoleFailed(err)
		return c
	}
	if out == nil {
		return c
	}
	orgTrail := TrailARN(cfg)
	for _, t := range out.TrailList {
		arn := aws.ToString(t.TrailARN)
		if arn == orgTrail || (arn != "" && !strings.Contains(arn, ":"+account+":trail/")) {
			continue
		}
		c.trails = append(c.trails, aws.ToString(t.Name))
	}
	return c
}
