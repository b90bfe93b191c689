package detective

// The detective-accept step, invitation mode only: one account per
// invocation, in each region of the run, through the execution role (the
// management account with the Lambda's own role), "Accepting an invitation"
// / "Responding to a behavior graph invitation" (Amazon Detective
// Administration Guide) done by the API:
//
//  1. detective:ListInvitations: the account's open (INVITED) and accepted
//     (ENABLED) invitations in the region ("ListInvitations", Amazon
//     Detective API Reference; declined, resigned and removed memberships
//     are not listed). The invitation to the security account's graph is
//     the one whose graph ARN names the security account
//     (arn:aws:detective:<region>:<administrator>:graph:<id>).
//  2. detective:AcceptInvitation for it when it is INVITED ("The member
//     account status in the graph must be INVITED", AcceptInvitation).
//     ENABLED is success with no call. A ConflictException (another run
//     accepted it meanwhile) is success when a fresh read shows it ENABLED.
//
// An invitation from another administrator is never accepted nor declined:
// without one from the security account it is the region's failed row,
// naming both administrators; beside it, a warning. No invitation yet (the
// security account has no graph there, not yet eligible for GuardDuty's 48
// hours, or detective-org has not invited the account) is a skipped row
// that a later run picks up: the step does not wait, since a region not yet
// eligible has no invitation to wait for.
//
// The security account administers the graph and is no member: its rows
// are skipped. In organization mode every row is skipped: organization
// accounts are enabled, not invited.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/detective"
	dtypes "github.com/aws/aws-sdk-go-v2/service/detective/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// CallAccept is the action detective-accept takes.
const CallAccept = "detective:AcceptInvitation"

// Reasons of detective-accept's skipped rows.
const (
	ReasonOrganizationMode = "organization mode: members are enabled without invitations"
	ReasonAdministrator    = "the security account administers the behavior graph; it is not a member"
)

// AcceptAPI is the part of the Detective client detective-accept uses, in
// a member account and one region.
type AcceptAPI interface {
	detective.ListInvitationsAPIClient
	AcceptInvitation(ctx context.Context, in *detective.AcceptInvitationInput, optFns ...func(*detective.Options)) (*detective.AcceptInvitationOutput, error)
}

var _ AcceptAPI = (*detective.Client)(nil)

// AcceptInvitations accepts the security account's invitation in the
// item's account, in each of its regions, AcceptSpec.RegionConcurrency at a
// time; in returns Detective in the account and a region. Each region is
// its own row; only what the state machine is to retry is returned, and
// then the account is called again: its accepted regions cost one read each.
func AcceptInvitations(ctx context.Context, in func(region string) AcceptAPI, cfg settings.Config, item workflow.Item, log *slog.Logger) (workflow.StepResult, error) {
	res := workflow.StepResult{Step: AcceptSpec.Name, Mode: item.Input.Mode, Outcomes: []workflow.Outcome{}}
	regions := step.ItemRegions(item)
	reason := skippedItem(cfg, item.Input, len(regions) == 0 || item.Account == "")
	switch {
	case reason != "":
	case !cfg.Services.Detective.Invitation():
		reason = ReasonOrganizationMode
	case item.Account == cfg.Accounts.Security:
		reason = ReasonAdministrator
	}
	if reason != "" {
		step.SkipRegions(&res, item.Account, settings.ServiceDetective, regions, reason)
		return res, nil
	}

	apply := item.Input.Mode == workflow.ModeApply
	err := step.EachRegion(ctx, &res, item.Account, settings.ServiceDetective, regions, AcceptSpec.RegionConcurrency, apply,
		func(ctx context.Context, region string, row *workflow.Outcome) ([]string, error) {
			return acceptIn(ctx, in(region), cfg.Accounts.Security, apply, row, log)
		})
	return res, err
}

// acceptIn settles one region's row out: the invitation of security's
// graph accepted, or why not. It returns the region's warnings, and the
// error the state machine is to retry.
func acceptIn(ctx context.Context, api AcceptAPI, security string, apply bool, out *workflow.Outcome, log *slog.Logger) ([]string, error) {
	mine, others, err := invitations(ctx, api, security, out.Region)
	if err != nil {
		return nil, step.SettleRegion(out, "Amazon Detective", err)
	}
	var warnings []string
	if mine != nil && len(others) > 0 {
		warnings = append(warnings, fmt.Sprintf("detective in %s/%s: also invited to %s, left as it is", out.Account, out.Region, describe(others)))
	}
	switch {
	case mine == nil && len(others) > 0:
		out.Status = workflow.StatusFailed
		out.Reason = fmt.Sprintf("conflict: invited to %s, not by the security account %s; orgbaseline accepts only the security account's invitation and declines none",
			describe(others), security)
		return warnings, nil
	case mine == nil:
		out.Status = workflow.StatusSkipped
		out.Reason = "no invitation from the security account's behavior graph in " + out.Region +
			" yet: detective-org invites the account once the security account has a graph there (GuardDuty's 48 hours); a later run accepts it"
		return warnings, nil
	}
	graph := aws.ToString(mine.GraphArn)
	switch mine.Status {
	case dtypes.MemberStatusEnabled:
		return warnings, nil
	case dtypes.MemberStatusInvited:
	case dtypes.MemberStatusAcceptedButDisabled:
		out.Status, out.Reason = workflow.StatusFailed, "a member Detective does not monitor: "+string(mine.DisabledReason)
		return warnings, nil
	default:
		out.Status, out.Reason = workflow.StatusFailed, fmt.Sprintf("the invitation to %s is %s, not INVITED", graph, mine.Status)
		return warnings, nil
	}
	out.Actions = []workflow.Action{{Call: CallAccept, Target: graph}}
	if !apply {
		return warnings, nil
	}
	_, err = api.AcceptInvitation(ctx, &detective.AcceptInvitationInput{GraphArn: aws.String(graph)})
	var conflict *dtypes.ConflictException
	if errors.As(err, &conflict) {
		// Another run (or a resent call) may have accepted it.
		again, _, lerr := invitations(ctx, api, security, out.Region)
		if lerr == nil && again != nil && again.Status == dtypes.MemberStatusEnabled {
			return warnings, nil
		}
	}
	if err != nil {
		return warnings, step.SettleRegion(out, "Amazon Detective", awsclient.Classify("accept the invitation to "+graph, err))
	}
	log.InfoContext(ctx, "accepted the Detective invitation", "account", out.Account, "region", out.Region, "graph", graph)
	return warnings, nil
}

// maxInvitationPages bounds the pages of invitations read in one account
// and region (up to 200 a page, "ListInvitations"): the step's result and
// time stay bounded whatever the account holds.
const maxInvitationPages = 10

// invitations returns, of the account's open and accepted invitations in
// region, the one to security's graph (nil if none) and the others.
func invitations(ctx context.Context, api AcceptAPI, security, region string) (*dtypes.MemberDetail, []dtypes.MemberDetail, error) {
	var mine *dtypes.MemberDetail
	var others []dtypes.MemberDetail
	pages := detective.NewListInvitationsPaginator(api, &detective.ListInvitationsInput{})
	for n := 0; pages.HasMorePages() && n < maxInvitationPages; n++ {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, nil, err
		}
		for _, inv := range page.Invitations {
			owner, graphRegion := graphOwner(aws.ToString(inv.GraphArn))
			switch {
			case graphRegion != "" && graphRegion != region:
			case owner == security:
				mine = &inv
			default:
				others = append(others, inv)
			}
		}
	}
	return mine, others, nil
}

// graphOwner returns the administrator account and the region a behavior
// graph's ARN names (arn:aws:detective:<region>:<account>:graph:<id>,
// "AcceptInvitation", Amazon Detective API Reference), "" for what it does
// not.
func graphOwner(arn string) (account, region string) {
	parts := strings.Split(arn, ":")
	if len(parts) < 6 || parts[2] != "detective" {
		return "", ""
	}
	return parts[4], parts[3]
}

// describe names invitations by administrator, graph and status.
func describe(invs []dtypes.MemberDetail) string {
	parts := make([]string, len(invs))
	for i, inv := range invs {
		owner, _ := graphOwner(aws.ToString(inv.GraphArn))
		if owner == "" {
			owner = aws.ToString(inv.AdministratorId)
		}
		parts[i] = fmt.Sprintf("administrator %s's behavior graph %s (%s)", owner, aws.ToString(inv.GraphArn), inv.Status)
	}
	return strings.Join(parts, ", ")
}
