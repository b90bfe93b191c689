package detective

// The detective-org step, one region per invocation, in the security
// account (the Detective administrator) through the execution role:
//
//  1. detective:ListGraphs: the administrator's behavior graph in the
//     region. Without one, the region is skipped: detective-admin has not
//     enabled Detective there (GuardDuty not old enough yet).
//  2. detective:DescribeOrganizationConfiguration, then
//     UpdateOrganizationConfiguration with AutoEnable when it is off: new
//     accounts of the organization become members by themselves. When the
//     configuration's scope excludes any account, AutoEnable is wanted off
//     instead: it takes every new account, wherever it joins, so the
//     run's CreateMembers (and an onboarding run) adds them.
//  3. detective:ListMembers, then CreateMembers for the run's accounts that
//     are not members (AutoEnable covers new accounts only), MembersPerCall
//     a call, with their e-mail addresses read from the management account
//     (shared/org/emails). Organization accounts do not receive
//     invitations: they are enabled. A member Detective could not enable
//     (ACCEPTED_BUT_DISABLED, e.g. its data volume) or whose verification
//     failed is that account's row.
//
// In invitation mode the graph is the security account's own (made by
// detective-admin with CreateGraph), not the organization's: step 2 is not
// made (DescribeOrganizationConfiguration and UpdateOrganizationConfiguration
// belong to the organization behavior graph), and CreateMembers invites the
// accounts (INVITED); detective-accept accepts each invitation in its
// account through the execution role.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/detective"
	dtypes "github.com/aws/aws-sdk-go-v2/service/detective/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/org/emails"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// Calls the step reports.
const (
	CallUpdateOrgConfig = "detective:UpdateOrganizationConfiguration"
	CallCreateMembers   = "detective:CreateMembers"
)

// MembersPerCall is the most accounts one CreateMembers call takes
// ("CreateMembers", Amazon Detective API Reference: up to 50 accounts at a
// time).
const MembersPerCall = 50

// OrgAPI is the part of the Detective client the step uses, in the
// security account and one region.
// Each method is the operation of its name in the Amazon Detective API
// Reference; the errors handled are the ones its Errors section lists.
type OrgAPI interface {
	detective.ListGraphsAPIClient
	DescribeOrganizationConfiguration(ctx context.Context, in *detective.DescribeOrganizationConfigurationInput, optFns ...func(*detective.Options)) (*detective.DescribeOrganizationConfigurationOutput, error)
	UpdateOrganizationConfiguration(ctx context.Context, in *detective.UpdateOrganizationConfigurationInput, optFns ...func(*detective.Options)) (*detective.UpdateOrganizationConfigurationOutput, error)
	detective.ListMembersAPIClient
	CreateMembers(ctx context.Context, in *detective.CreateMembersInput, optFns ...func(*detective.Options)) (*detective.CreateMembersOutput, error)
}

var _ OrgAPI = (*detective.Client)(nil)

// OrgDeps are the detective-org step's clients: Detective in the security
// account and the region, the organization's accounts from the management
// account.
type OrgDeps struct {
	Detective OrgAPI
	Accounts  emails.API
}

// ConfigureOrg configures the organization behavior graph in the item's region.
func ConfigureOrg(ctx context.Context, d OrgDeps, cfg settings.Config, item workflow.Item, log *slog.Logger) (workflow.StepResult, error) {
	res := workflow.StepResult{Step: OrgSpec.Name, Mode: item.Input.Mode, Outcomes: []workflow.Outcome{}}
	security := cfg.Accounts.Security
	out := workflow.Outcome{Account: security, Region: item.Region, Service: settings.ServiceDetective}
	if reason := skippedItem(cfg, item.Input, item.Region == ""); reason != "" {
		out.Status, out.Reason = workflow.StatusSkipped, reason
		if item.Region == "" {
			out.Region = "-"
		}
		res.Add(out)
		return res, nil
	}
	accounts, err := item.MemberAccounts(OrgSpec.Name, security)
	if err != nil {
		return res, err
	}
	apply := item.Input.Mode == workflow.ModeApply

	graph, err := ownGraph(ctx, d.Detective)
	if err != nil {
		return res, settle(&out, &res, err)
	}
	if graph == "" {
		out.Status = workflow.StatusSkipped
		out.Reason = "no behavior graph in " + item.Region + " yet: detective-admin enables Detective there once GuardDuty has been on for 48 hours"
		res.Add(out)
		return res, nil
	}

	if err := autoEnable(ctx, d.Detective, cfg, graph, item, &out, log); err != nil {
		return res, settle(&out, &res, err)
	}

	members, err := listMembers(ctx, d.Detective, graph)
	if err != nil {
		return res, settle(&out, &res, err)
	}
	for _, a := range item.Excluded {
		if m, ok := members[a]; ok {
			res.Add(workflow.Outcome{Account: a, Region: item.Region, Service: settings.ServiceDetective, Status: workflow.StatusSkipped,
				Reason: fmt.Sprintf("%s, but a member already (%s): left as it is (detective:DeleteMembers removes it)", settings.ScopeReason, m.Status)})
		}
	}
	var todo []string
	for _, a := range accounts {
		m, ok := members[a]
		switch {
		case !ok:
			todo = append(todo, a)
		case m.Status == dtypes.MemberStatusAcceptedButDisabled:
			res.Add(workflow.Outcome{Account: a, Region: item.Region, Service: settings.ServiceDetective, Status: workflow.StatusFailed,
				Reason: "a member Detective does not monitor: " + string(m.DisabledReason)})
		case m.Status == dtypes.MemberStatusVerificationFailed:
			res.Add(workflow.Outcome{Account: a, Region: item.Region, Service: settings.ServiceDetective, Status: workflow.StatusFailed,
				Reason: "Detective could not verify the member (VERIFICATION_FAILED)"})
		}
	}
	if len(todo) > 0 {
		added, err := addMembers(ctx, d, graph, item.Region, todo, len(accounts), apply, &res)
		if err != nil {
			return res, settle(&out, &res, err)
		}
		switch {
		case !apply:
			out.Actions = append(out.Actions, workflow.Action{Call: CallCreateMembers, Target: fmt.Sprintf("%d accounts", len(todo))})
		case added > 0:
			out.Actions = append(out.Actions, workflow.Action{Call: CallCreateMembers, Target: fmt.Sprintf("%d accounts", added)})
			log.InfoContext(ctx, "added Detective members", "region", item.Region, "accounts", added)
		}
	}
	res.Add(out)
	return res, nil
}

// autoEnable turns on the organization behavior graph's AutoEnable in
// organization mode (off when the scope excludes any account: "AutoEnable",
// "UpdateOrganizationConfiguration", Amazon Detective API Reference, enables
// new organization accounts, any of them), adding the action to out;
// invitation mode's graph is not the organization's and has no
// organization configuration.
func autoEnable(ctx context.Context, api OrgAPI, cfg settings.Config, graph string, item workflow.Item, out *workflow.Outcome, log *slog.Logger) error {
	if cfg.Services.Detective.Invitation() {
		return nil
	}
	conf, err := api.DescribeOrganizationConfiguration(ctx, &detective.DescribeOrganizationConfigurationInput{GraphArn: aws.String(graph)})
	want := !cfg.Scope.Any()
	if err != nil || conf.AutoEnable == want {
		return err
	}
	out.Actions = append(out.Actions, workflow.Action{Call: CallUpdateOrgConfig, Target: fmt.Sprintf("AutoEnable %t", want)})
	if item.Input.Mode != workflow.ModeApply {
		return nil
	}
	if _, err := api.UpdateOrganizationConfiguration(ctx, &detective.UpdateOrganizationConfigurationInput{GraphArn: aws.String(graph), AutoEnable: want}); err != nil {
		return err
	}
	log.InfoContext(ctx, "Detective's AutoEnable set", "region", item.Region, "autoEnable", want)
	return nil
}

// addMembers makes the accounts of todo members of graph, MembersPerCall a
// call, and adds a row for each account left out: not ACTIVE or gone
// (skipped), or not processed by Detective and not a member on a fresh
// read (failed, with its reason). It
// returns how many accounts were added; in plan mode it only reads.
func addMembers(ctx context.Context, d OrgDeps, graph, region string, todo []string, runSize int, apply bool, res *workflow.StepResult) (int, error) {
	if !apply {
		return 0, nil
	}
	reader := emails.NewReader(d.Accounts, runSize)
	if err := reader.Prepare(ctx, todo); err != nil {
		return 0, err
	}
	added := 0
	var unprocessed []dtypes.UnprocessedAccount
	for batch := range slices.Chunk(todo, MembersPerCall) {
		read, err := reader.Read(ctx, batch)
		if err != nil {
			return added, err
		}
		if len(read) == 0 {
			continue
		}
		// No e-mail in either mode: organization accounts get none
		// anyway, and invited accounts are accepted by detective-accept
		// through the execution role ("CreateMembers", Amazon Detective
		// API Reference: the administrator can choose not to send
		// invitation emails, "used when the administrator manages their
		// member accounts centrally"). The addresses are still required
		// for an invited account.
		in := &detective.CreateMembersInput{GraphArn: aws.String(graph), DisableEmailNotification: true}
		for _, a := range read {
			in.Accounts = append(in.Accounts, dtypes.Account{AccountId: aws.String(a.ID), EmailAddress: aws.String(a.Email)})
		}
		got, err := d.Detective.CreateMembers(ctx, in)
		var full *dtypes.ServiceQuotaExceededException
		if errors.As(err, &full) {
			// A behavior graph holds at most 1,200 members ("Amazon
			// Detective quotas"): the accounts not added are their rows.
			for _, a := range todo[slices.Index(todo, batch[0]):] {
				if slices.ContainsFunc(reader.Skipped(), func(sk emails.Skip) bool { return sk.Account == a }) {
					continue
				}
				res.Add(workflow.Outcome{Account: a, Region: region, Service: settings.ServiceDetective, Status: workflow.StatusFailed,
					Reason: "not a member: the behavior graph is full (" + aws.ToString(full.Message) + ")"})
			}
			break
		}
		if err != nil {
			return added, awsclient.Classify("add Detective members in "+region, err)
		}
		added += len(got.Members)
		unprocessed = append(unprocessed, got.UnprocessedAccounts...)
	}
	if len(unprocessed) > 0 {
		// A CreateMembers the SDK sent again after a lost response finds
		// its accounts members already: what the graph holds now decides.
		now, err := listMembers(ctx, d.Detective, graph)
		if err != nil {
			return added, err
		}
		for _, u := range unprocessed {
			if _, ok := now[aws.ToString(u.AccountId)]; ok {
				added++
				continue
			}
			res.Add(workflow.Outcome{Account: aws.ToString(u.AccountId), Region: region, Service: settings.ServiceDetective, Status: workflow.StatusFailed,
				Reason: "CreateMembers did not add it: " + aws.ToString(u.Reason)})
		}
	}
	for _, s := range reader.Skipped() {
		res.Add(workflow.Outcome{Account: s.Account, Region: region, Service: settings.ServiceDetective, Status: workflow.StatusSkipped, Reason: "not a member: " + s.Reason})
	}
	return added, nil
}

// listMembers returns the graph's members by account.
func listMembers(ctx context.Context, api OrgAPI, graph string) (map[string]dtypes.MemberDetail, error) {
	out := map[string]dtypes.MemberDetail{}
	pages := detective.NewListMembersPaginator(api, &detective.ListMembersInput{GraphArn: aws.String(graph)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range page.MemberDetails {
			out[aws.ToString(m.AccountId)] = m
		}
	}
	return out, nil
}
