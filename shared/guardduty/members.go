package guardduty

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/org/emails"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// MembersPerCall is the most accounts one CreateMembers, GetMemberDetectors
// or UpdateMemberDetectors call takes.
const MembersPerCall = 50

// membersPart begins the reasons of the members' part.
const membersPart = "members"

// MembersAPI lists the members of the delegated administrator's detector
// and adds accounts as members.
type MembersAPI interface {
	guardduty.ListMembersAPIClient
	CreateMembers(ctx context.Context, in *guardduty.CreateMembersInput, optFns ...func(*guardduty.Options)) (*guardduty.CreateMembersOutput, error)
}

// AccountAPI reads the organization's accounts, from the management
// account: their e-mail addresses, which CreateMembers needs.
type AccountAPI = emails.API

// runAccounts returns the accounts the step makes members
// (workflow.Item.MemberAccounts).
func runAccounts(item workflow.Item, security string) ([]string, error) {
	return item.MemberAccounts(OrgSpec.Name, security)
}

// members adds the run's accounts (r.accounts) that are not members of
// detector id ("" in plan mode before the detector exists: none are). It
// returns those of them that are members now, in ID order (in plan mode,
// those that already are), or, when the members could not be listed, the
// reason. The members are listed and added through api, the e-mail
// addresses of the accounts to add read through orgs (addMembers).
func (r *orgRun) members(ctx context.Context, orgs AccountAPI, api MembersAPI, id string) (members []string, unknown string, err error) {
	listed := map[string]string{}
	if id != "" {
		listed, err = listMembers(ctx, api, id)
		if skip, ok := r.unavailable(err); ok {
			r.add(workflow.StatusSkipped, skip)
			return nil, skip, nil
		}
		if err != nil {
			return nil, "", awsclient.Classify("list GuardDuty members in "+r.region, err)
		}
	}
	r.reportExcludedMembers(listed)
	existing := map[string]bool{}
	var todo, left []string
	for _, acct := range r.accounts {
		status, ok := listed[acct]
		switch {
		case status == memberEnabled:
			existing[acct] = true
		case ok:
			left = append(left, fmt.Sprintf("%s (%s)", acct, status))
			todo = append(todo, acct)
		default:
			todo = append(todo, acct)
		}
	}
	if len(left) > 0 {
		r.log.WarnContext(ctx, "GuardDuty members that are not Enabled are added again", "accounts", left)
	}
	switch {
	case len(todo) == 0:
		r.add(workflow.StatusUnchanged, fmt.Sprintf("%s: all %d accounts of the run are members", membersPart, len(r.accounts)))
	case r.plan():
		r.add("", fmt.Sprintf("%s: %d of %d accounts of the run are not members (%s)%s", membersPart, len(todo), len(r.accounts), capped(todo, ", "), leftNote(left)),
			workflow.Action{Call: CallCreateMembers, Target: countAccounts(len(todo))})
	default:
		added, err := r.addMembers(ctx, orgs, api, id, todo, leftNote(left))
		if err != nil {
			return nil, "", err
		}
		for _, a := range added {
			existing[a] = true
		}
	}
	for _, acct := range r.accounts {
		if existing[acct] {
			members = append(members, acct)
		}
	}
	return members, "", nil
}

// reportExcludedMembers adds a skipped row for each account the scope
// excludes that is an Enabled member of the detector already (added before the
// scope excluded it, or by an earlier auto-enable): the step leaves it as
// it is, and says so. The accounts the scope excludes that are not members
// are reported once, by the org-targets step.
func (r *orgRun) reportExcludedMembers(listed map[string]string) {
	var rows []accountRow
	for _, acct := range r.excluded {
		if listed[acct] == memberEnabled {
			rows = append(rows, accountRow{account: acct, status: workflow.StatusSkipped,
				reason: settings.ScopeReason + ", but a member already (Enabled): left as it is (guardduty:DisassociateMembers removes it)"})
		}
	}
	if len(rows) == 0 {
		return
	}
	note := r.addRows(membersPart, rows)
	r.add(workflow.StatusSkipped, fmt.Sprintf("%s: %d accounts %s are members already, left as they are%s", membersPart, len(rows), settings.ScopeReason, note))
}

// leftNote is what a members outcome says of the accounts that had left
// (account (status), as listed), or "" when none had.
func leftNote(left []string) string {
	if len(left) == 0 {
		return ""
	}
	return fmt.Sprintf("; %d of them had left (%s) and are added again", len(left), capped(left, ", "))
}

// memberCreation is the progress of the CreateMembers calls of one run.
type memberCreation struct {
	// reader reads the e-mail addresses of the accounts to add, once each,
	// and keeps those left out (not ACTIVE, or gone).
	reader *emails.Reader
	// added holds the accounts CreateMembers made members, in order.
	added []string
	// unprocessed holds GuardDuty's reason for each account it did not add.
	unprocessed map[string]string
}

// addMembers makes the accounts of todo members of detector id, in calls
// of at most MembersPerCall accounts: for each call, the e-mail address of
// each of its accounts is read (organizations:DescribeAccount, one call an
// account: only accounts to add cost a read), then CreateMembers adds them.
// The accounts GuardDuty leaves unprocessed are tried once more, except
// those whose region is not enabled for them (notOptedIn). It adds the
// part's outcome, with one action counting the accounts added, an outcome
// for each account added, skipped or failed (addRows), and a skipped
// outcome when the endpoint does not offer CreateMembers, and returns the
// accounts added.
func (r *orgRun) addMembers(ctx context.Context, orgs AccountAPI, api MembersAPI, id string, todo []string, note string) ([]string, error) {
	c := &memberCreation{reader: emails.NewReader(orgs, len(r.accounts)), unprocessed: map[string]string{}}
	if err := c.reader.Prepare(ctx, todo); err != nil {
		return nil, err
	}
	skip, err := r.createMembers(ctx, orgs, api, id, c, todo)
	if err == nil && skip == "" && len(c.unprocessed) > 0 {
		var again []string
		for _, a := range todo {
			if why, ok := c.unprocessed[a]; ok && !notOptedIn(r.region, why) {
				again = append(again, a)
			}
		}
		if len(again) > 0 {
			r.log.InfoContext(ctx, "trying the unprocessed accounts again", "accounts", len(again))
			skip, err = r.createMembers(ctx, orgs, api, id, c, again)
		}
	}
	if err != nil {
		return nil, err
	}
	r.reportMembers(ctx, c, todo, note)
	if skip != "" {
		r.add(workflow.StatusSkipped, skip)
	}
	return c.added, nil
}

// reportMembers adds the outcomes of the members' part from c, for the
// accounts of todo.
func (r *orgRun) reportMembers(ctx context.Context, c *memberCreation, todo []string, note string) {
	var rows []accountRow
	counts := map[workflow.Status]int{}
	for _, sk := range c.reader.Skipped() {
		rows = append(rows, accountRow{account: sk.Account, status: workflow.StatusSkipped, reason: "not a member: " + sk.Reason})
		counts[workflow.StatusSkipped]++
	}
	for _, a := range todo {
		why, ok := c.unprocessed[a]
		switch {
		case ok && notOptedIn(r.region, why):
			rows = append(rows, accountRow{account: a, status: workflow.StatusSkipped, reason: fmt.Sprintf("not a member: the account has not enabled the opt-in region %s (CreateMembers: %s)", r.region, why)})
		case ok:
			rows = append(rows, accountRow{account: a, status: workflow.StatusFailed, reason: "CreateMembers did not add it: " + why})
		default:
			continue
		}
		counts[rows[len(rows)-1].status]++
	}
	for _, a := range c.added {
		rows = append(rows, accountRow{account: a, status: workflow.StatusChanged, reason: "now a member of " + r.security})
	}
	reason := fmt.Sprintf("%s: %d of %d accounts of the run were not members%s: %d added, %d skipped, %d failed",
		membersPart, len(todo), len(r.accounts), note, len(c.added), counts[workflow.StatusSkipped], counts[workflow.StatusFailed]) + r.addRows(membersPart, rows)
	switch {
	case len(c.added) > 0:
		r.log.InfoContext(ctx, "added GuardDuty members", "accounts", len(c.added))
		r.add("", reason, workflow.Action{Call: CallCreateMembers, Target: countAccounts(len(c.added))})
	case counts[workflow.StatusFailed] > 0:
		r.add(workflow.StatusFailed, reason)
	case counts[workflow.StatusSkipped] > 0:
		r.add(workflow.StatusSkipped, reason)
	}
}

// createMembers adds the accounts of accounts, MembersPerCall a call, each
// call preceded by the reads of its accounts' e-mail addresses (describe),
// and records the outcome of each call in c. skip is the reason when the
// endpoint does not offer CreateMembers.
func (r *orgRun) createMembers(ctx context.Context, orgs AccountAPI, api MembersAPI, id string, c *memberCreation, accounts []string) (skip string, err error) {
	for batch := range slices.Chunk(accounts, MembersPerCall) {
		read, err := c.reader.Read(ctx, batch)
		if err != nil {
			return "", err
		}
		details := make([]gdtypes.AccountDetail, len(read))
		for i, a := range read {
			details[i] = gdtypes.AccountDetail{AccountId: aws.String(a.ID), Email: aws.String(a.Email)}
		}
		if len(details) == 0 {
			continue
		}
		out, err := api.CreateMembers(ctx, &guardduty.CreateMembersInput{DetectorId: aws.String(id), AccountDetails: details})
		if skip, ok := r.unavailable(err); ok {
			return skip, nil
		}
		if err != nil {
			return "", awsclient.Classify("add GuardDuty members in "+r.region, err)
		}
		c.record(details, out.UnprocessedAccounts)
	}
	return "", nil
}

// record notes the accounts of details that one CreateMembers call added,
// and GuardDuty's reason for those it left unprocessed.
func (c *memberCreation) record(details []gdtypes.AccountDetail, unprocessed []gdtypes.UnprocessedAccount) {
	left := map[string]bool{}
	for _, u := range unprocessed {
		left[aws.ToString(u.AccountId)] = true
		c.unprocessed[aws.ToString(u.AccountId)] = aws.ToString(u.Result)
	}
	for _, d := range details {
		if acct := aws.ToString(d.AccountId); !left[acct] {
			c.added = append(c.added, acct)
			delete(c.unprocessed, acct)
		}
	}
}

// enabledByDefault are the regions enabled in every account, which no
// account can disable: those AWS launched before March 20, 2019 ("Enable or
// disable AWS Regions in your account", AWS Account Management Reference
// Guide). Every later region is an opt-in region, which an account may not
// have enabled.
var enabledByDefault = map[string]bool{
	"us-east-1": true, "us-east-2": true, "us-west-1": true, "us-west-2": true,
	"ca-central-1": true, "sa-east-1": true,
	"eu-west-1": true, "eu-west-2": true, "eu-west-3": true, "eu-central-1": true, "eu-north-1": true,
	"ap-south-1": true, "ap-northeast-1": true, "ap-northeast-2": true, "ap-northeast-3": true,
	"ap-southeast-1": true, "ap-southeast-2": true,
}

// notOptedIn reports whether why, GuardDuty's reason for leaving an
// account unprocessed in region, says the account has not enabled that
// region. A member account that has not enabled an opt-in region cannot be
// a member there. GuardDuty documents the reason only as text (the
// UnprocessedAccount result: "a reason why the account hasn't been
// processed"; "CreateMembers", GuardDuty API Reference), so the text is
// read, narrowly, and only in an opt-in region: in a region enabled by
// default that cannot be the reason, whatever the text says. A reason this
// does not recognize makes the account failed, never skipped.
func notOptedIn(region, why string) bool {
	if enabledByDefault[region] {
		return false
	}
	low := strings.ToLower(why)
	for _, s := range []string{"opt-in", "opted in", "opted-in", "opt in"} {
		if strings.Contains(low, s) {
			return true
		}
	}
	return strings.Contains(low, "region") && (strings.Contains(low, "not enabled") || strings.Contains(low, "disabled"))
}

// memberEnabled is the relationship status of a member whose account the
// administrator manages ("Member", GuardDuty API Reference: Created,
// Invited, Disabled, Enabled, Removed, Resigned, EmailVerificationInProgress
// or EmailVerificationFailed). A member in any other status is associated
// again with CreateMembers: accounts added through Organizations and later
// disassociated cannot be invited, only created again ("CreateMembers",
// GuardDuty API Reference).
const memberEnabled = "Enabled"

// listMembers returns the members of detector id, associated or not, with
// their relationship status.
func listMembers(ctx context.Context, api guardduty.ListMembersAPIClient, id string) (map[string]string, error) {
	members := map[string]string{}
	pages := guardduty.NewListMembersPaginator(api, &guardduty.ListMembersInput{DetectorId: aws.String(id), OnlyAssociated: aws.String("false")})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range page.Members {
			members[aws.ToString(m.AccountId)] = aws.ToString(m.RelationshipStatus)
		}
	}
	return members, nil
}
