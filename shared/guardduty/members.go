package guardduty

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/org/targets"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// MembersPerCall is the most accounts one CreateMembers, GetMemberDetectors
// or UpdateMemberDetectors call takes.
const MembersPerCall = 50

// MembersAPI lists the members of the delegated administrator's detector
// and adds accounts as members.
type MembersAPI interface {
	guardduty.ListMembersAPIClient
	CreateMembers(ctx context.Context, in *guardduty.CreateMembersInput, optFns ...func(*guardduty.Options)) (*guardduty.CreateMembersOutput, error)
}

// members adds the organization's ACTIVE accounts that are not members of
// detector id ("" in plan mode before the detector exists: none are). It
// returns those of the accounts that are members now, in ID order (in plan
// mode, those that already are), or, when the members could not be listed,
// the reason. The accounts are listed through accounts, the members listed
// and added through api.
func (r *orgRun) members(ctx context.Context, accounts organizations.ListAccountsAPIClient, api MembersAPI, id string) (members []string, unknown string, err error) {
	all, listed, unknown, err := r.membership(ctx, accounts, api, id)
	if unknown != "" || err != nil {
		return nil, unknown, err
	}
	existing := map[string]bool{}
	var todo []gdtypes.AccountDetail
	var left []string
	for _, a := range all {
		acct := aws.ToString(a.AccountId)
		status, ok := listed[acct]
		switch {
		case status == memberEnabled:
			existing[acct] = true
		case ok:
			left = append(left, fmt.Sprintf("%s (%s)", acct, status))
			todo = append(todo, a)
		default:
			todo = append(todo, a)
		}
	}
	if len(left) > 0 {
		r.log.WarnContext(ctx, "GuardDuty members that are not Enabled are added again", "accounts", left)
	}
	if len(todo) == 0 {
		r.add(workflow.StatusUnchanged, fmt.Sprintf("members: all %d ACTIVE accounts are members", len(all)))
		return memberIDs(all, existing, nil), "", nil
	}
	if r.plan() {
		var acts []workflow.Action
		for batch := range slices.Chunk(todo, MembersPerCall) {
			acts = append(acts, workflow.Action{Call: CallCreateMembers, Target: membersTarget(batch)})
		}
		r.add("", fmt.Sprintf("members: %d of %d ACTIVE accounts are not members%s", len(todo), len(all), leftNote(left)), acts...)
		return memberIDs(all, existing, nil), "", nil
	}
	added, err := r.addMembers(ctx, api, id, todo, len(all), leftNote(left))
	if err != nil {
		return nil, "", err
	}
	return memberIDs(all, existing, added), "", nil
}

// membership lists the organization's ACTIVE accounts (orgAccounts) and the
// members of detector id with their relationship status: none when id is
// "". unknown is the reason, with a skipped outcome, when an operation the
// endpoint does not offer kept either from being listed.
func (r *orgRun) membership(ctx context.Context, accounts organizations.ListAccountsAPIClient, api guardduty.ListMembersAPIClient, id string) (all []gdtypes.AccountDetail, existing map[string]string, unknown string, err error) {
	all, err = r.orgAccounts(ctx, accounts)
	if skip, ok := r.unavailable(err); ok {
		r.add(workflow.StatusSkipped, "members: "+skip)
		return nil, nil, skip, nil
	}
	if err != nil {
		return nil, nil, "", awsclient.Classify("list the organization's accounts", err)
	}
	existing = map[string]string{}
	if id != "" {
		existing, err = listMembers(ctx, api, id)
		if skip, ok := r.unavailable(err); ok {
			r.add(workflow.StatusSkipped, skip)
			return nil, nil, skip, nil
		}
		if err != nil {
			return nil, nil, "", awsclient.Classify("list GuardDuty members in "+r.region, err)
		}
	}
	return all, existing, "", nil
}

// memberIDs returns the IDs of the accounts that are in existing or added,
// in the order of accounts.
func memberIDs(accounts []gdtypes.AccountDetail, existing, added map[string]bool) []string {
	var out []string
	for _, a := range accounts {
		if acct := aws.ToString(a.AccountId); existing[acct] || added[acct] {
			out = append(out, acct)
		}
	}
	return out
}

// memberCreation is the progress of the CreateMembers calls of one run.
type memberCreation struct {
	// added holds the accounts CreateMembers made members.
	added map[string]bool
	// unprocessed holds GuardDuty's reason for each account it did not add.
	unprocessed map[string]string
	// acts are the calls made, each naming the accounts it added.
	acts []workflow.Action
}

// leftNote is what a members outcome says of the accounts that had left
// (account (status), as listed), or "" when none had.
func leftNote(left []string) string {
	if len(left) == 0 {
		return ""
	}
	return fmt.Sprintf("; %d of them had left (%s) and are added again", len(left), capped(left, ", "))
}

// addMembers makes the accounts of todo, of total ACTIVE accounts, members
// of detector id: CreateMembers in calls of at most MembersPerCall, the
// accounts GuardDuty leaves unprocessed tried once more. It adds the
// outcome of the calls made, a skipped one when the endpoint does not offer
// CreateMembers, else a failed one naming the accounts left unprocessed,
// and returns the accounts made members.
func (r *orgRun) addMembers(ctx context.Context, api MembersAPI, id string, todo []gdtypes.AccountDetail, total int, note string) (map[string]bool, error) {
	c := &memberCreation{added: map[string]bool{}, unprocessed: map[string]string{}}
	skip, err := r.createMembers(ctx, api, id, c, todo)
	if err == nil && skip == "" && len(c.unprocessed) > 0 {
		var again []gdtypes.AccountDetail
		for _, a := range todo {
			if _, ok := c.unprocessed[aws.ToString(a.AccountId)]; ok {
				again = append(again, a)
			}
		}
		r.log.InfoContext(ctx, "trying the unprocessed accounts again", "accounts", len(again))
		skip, err = r.createMembers(ctx, api, id, c, again)
	}
	if err != nil {
		return nil, err
	}
	if len(c.acts) > 0 {
		r.log.InfoContext(ctx, "added GuardDuty members", "calls", len(c.acts))
		r.add("", fmt.Sprintf("members: %d of %d ACTIVE accounts were not members%s", len(todo), total, note), c.acts...)
	}
	if skip != "" {
		r.add(workflow.StatusSkipped, skip)
		return c.added, nil
	}
	if len(c.unprocessed) > 0 {
		var parts []string
		for _, a := range todo {
			if why, ok := c.unprocessed[aws.ToString(a.AccountId)]; ok {
				parts = append(parts, fmt.Sprintf("%s (%s)", aws.ToString(a.AccountId), why))
			}
		}
		r.log.Warn("GuardDuty did not add some accounts as members", "accounts", parts)
		r.add(workflow.StatusFailed, fmt.Sprintf("members: CreateMembers did not add %d account(s): %s", len(parts), strings.Join(parts, "; ")))
	}
	return c.added, nil
}

// createMembers calls CreateMembers for details, at most MembersPerCall
// accounts a call, and records the outcome of each call in c. skip is the
// reason when the endpoint does not offer CreateMembers.
func (r *orgRun) createMembers(ctx context.Context, api MembersAPI, id string, c *memberCreation, details []gdtypes.AccountDetail) (skip string, err error) {
	for batch := range slices.Chunk(details, MembersPerCall) {
		out, err := api.CreateMembers(ctx, &guardduty.CreateMembersInput{DetectorId: aws.String(id), AccountDetails: batch})
		if skip, ok := r.unavailable(err); ok {
			return skip, nil
		}
		if err != nil {
			return "", awsclient.Classify("add GuardDuty members in "+r.region, err)
		}
		c.record(batch, out.UnprocessedAccounts)
	}
	return "", nil
}

// record notes the accounts of batch that one CreateMembers call added,
// and GuardDuty's reason for those it left unprocessed.
func (c *memberCreation) record(batch []gdtypes.AccountDetail, unprocessed []gdtypes.UnprocessedAccount) {
	left := map[string]bool{}
	for _, u := range unprocessed {
		left[aws.ToString(u.AccountId)] = true
		c.unprocessed[aws.ToString(u.AccountId)] = aws.ToString(u.Result)
	}
	var done []gdtypes.AccountDetail
	for _, a := range batch {
		if !left[aws.ToString(a.AccountId)] {
			done = append(done, a)
			c.added[aws.ToString(a.AccountId)] = true
			delete(c.unprocessed, aws.ToString(a.AccountId))
		}
	}
	if len(done) > 0 {
		c.acts = append(c.acts, workflow.Action{Call: CallCreateMembers, Target: membersTarget(done)})
	}
}

// maxTargetIDs caps the account IDs an action names: results of every
// region travel through the state machine, whose payloads are limited to
// 256 KB, so a large organization's members are summarized.
const maxTargetIDs = 10

// membersTarget names the accounts of a CreateMembers call: all of them, or
// the first maxTargetIDs and how many more.
func membersTarget(details []gdtypes.AccountDetail) string {
	if len(details) <= maxTargetIDs {
		return ids(details)
	}
	return fmt.Sprintf("%s and %d more (%d accounts)", ids(details[:maxTargetIDs]), len(details)-maxTargetIDs, len(details))
}

func ids(details []gdtypes.AccountDetail) string {
	out := make([]string, len(details))
	for i, a := range details {
		out[i] = aws.ToString(a.AccountId)
	}
	return strings.Join(out, ",")
}

// orgAccounts lists the organization's ACTIVE accounts, less the security
// account and those the accounts filter leaves out, in ID order.
func (r *orgRun) orgAccounts(ctx context.Context, api organizations.ListAccountsAPIClient) ([]gdtypes.AccountDetail, error) {
	var out []gdtypes.AccountDetail
	pages := organizations.NewListAccountsPaginator(api, &organizations.ListAccountsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range page.Accounts {
			id := aws.ToString(a.Id)
			if id == r.security || !r.in.WantsAccount(id) || !targets.Active(a) {
				continue
			}
			out = append(out, gdtypes.AccountDetail{AccountId: aws.String(id), Email: a.Email})
		}
	}
	slices.SortFunc(out, func(a, b gdtypes.AccountDetail) int {
		return strings.Compare(aws.ToString(a.AccountId), aws.ToString(b.AccountId))
	})
	return out, nil
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
