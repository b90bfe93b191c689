package securityhub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// Calls the local step reports.
const (
	CallLocalConfig   = "securityhub:UpdateOrganizationConfiguration"
	CallCreateMembers = "securityhub:CreateMembers"
)

// CentralSkip is the reason of the local configuration steps' rows under
// central configuration.
const CentralSkip = "central configuration: the configuration policy does this"

// CentralFoundShort is the local step's row when the organization is in
// central configuration; securityhub-central's row in the home region says
// what to do (centralFound).
const CentralFoundShort = "the organization uses central configuration, but configuration is local: not switched; securityhub-central's row in the home region says what to do"

// MembersPerCall is how many accounts one CreateMembers call names.
// "CreateMembers" (AWS Security Hub API Reference) sets no maximum on
// AccountDetails; 50, a ListMembers page, keeps each call and its
// UnprocessedAccounts small.
const MembersPerCall = 50

// Member statuses after which an organization account is made a member
// again with CreateMembers ("CreateMembers": for organization accounts it
// is used when the account was disassociated or deleted in Security Hub;
// "Member", AWS Security Hub API Reference, for the statuses).
var formerMember = []string{"Removed", "Resigned", "Deleted"}

// LocalAPI is the part of the Security Hub client the local step uses, in
// the delegated administrator and one region.
// Each method is the operation of its name in the AWS Security Hub CSPM
// API Reference; the errors handled are the ones its Errors section lists.
type LocalAPI interface {
	DescribeOrganizationConfiguration(ctx context.Context, in *securityhub.DescribeOrganizationConfigurationInput, optFns ...func(*securityhub.Options)) (*securityhub.DescribeOrganizationConfigurationOutput, error)
	UpdateOrganizationConfiguration(ctx context.Context, in *securityhub.UpdateOrganizationConfigurationInput, optFns ...func(*securityhub.Options)) (*securityhub.UpdateOrganizationConfigurationOutput, error)
	securityhub.ListMembersAPIClient
	CreateMembers(ctx context.Context, in *securityhub.CreateMembersInput, optFns ...func(*securityhub.Options)) (*securityhub.CreateMembersOutput, error)
}

var _ LocalAPI = (*securityhub.Client)(nil)

// ConfigureLocal keeps local configuration in the item's region, from the
// delegated administrator (the security account):
//
//  1. DescribeOrganizationConfiguration ("DescribeOrganizationConfiguration",
//     AWS Security Hub API Reference). An organization in CENTRAL
//     configuration is the row's failure (centralFound): never switched.
//  2. UpdateOrganizationConfiguration ("UpdateOrganizationConfiguration")
//     with AutoEnable true (new organization accounts become members, with
//     Security Hub on; false when the configuration's scope excludes any
//     account, since it takes every new account wherever it joins, and the
//     run's CreateMembers and the onboarding run add them),
//     AutoEnableStandards NONE (securityhub-standards enables the
//     configured ones) and ConfigurationType LOCAL, only when the read
//     differs.
//  3. ListMembers ("ListMembers", OnlyAssociated false: every member
//     whatever its status), then CreateMembers ("CreateMembers") for the
//     run's accounts that are not members, except the administrator,
//     MembersPerCall a call, without e-mail addresses (optional; accounts
//     of the organization get no invitation: they become members, and
//     Security Hub is turned on in those without it, with AWS's default
//     standards). An account CreateMembers leaves unprocessed, and not a
//     member on a fresh read, is that account's failed row.
func ConfigureLocal(ctx context.Context, api LocalAPI, cfg settings.Config, item workflow.Item, log *slog.Logger) (workflow.StepResult, error) {
	res := workflow.StepResult{Step: LocalSpec.Name, Mode: item.Input.Mode, Outcomes: []workflow.Outcome{}}
	sec := cfg.Accounts.Security
	out := workflow.Outcome{Account: sec, Region: item.Region, Service: settings.ServiceSecurityHub}
	reason := step.SkippedItem(cfg, item.Input, settings.ServiceSecurityHub, item.Region == "")
	if reason == "" && !cfg.Services.SecurityHub.Local() {
		reason = CentralSkip
	}
	if reason != "" {
		out.Status, out.Reason = workflow.StatusSkipped, reason
		if item.Region == "" {
			out.Region = "-"
		}
		res.Add(out)
		return res, nil
	}
	accounts, err := item.MemberAccounts(LocalSpec.Name, sec)
	if err != nil {
		return res, err
	}
	apply := item.Input.Mode == workflow.ModeApply

	got, err := api.DescribeOrganizationConfiguration(ctx, &securityhub.DescribeOrganizationConfigurationInput{})
	var notAdmin *shtypes.InvalidAccessException
	switch {
	case errors.As(err, &notAdmin) && !apply:
		// A plan on an organization whose administrator securityhub-admin
		// has not set yet: everything is to be done.
		out.Actions = append(out.Actions, localConfigAction(!cfg.Scope.Any()))
		if len(accounts) > 0 {
			out.Actions = append(out.Actions, membersAction(len(accounts)))
		}
		res.Add(out)
		return res, nil
	case errors.As(err, &notAdmin):
		return res, &workflow.NotReadyError{Op: "Security Hub local configuration in " + item.Region, Err: fmt.Errorf("the security account is not acting as Security Hub's delegated administrator yet: %w", err)}
	case err != nil:
		return res, settle(&out, &res, err)
	}
	if oc := got.OrganizationConfiguration; oc != nil && oc.ConfigurationType == shtypes.OrganizationConfigurationConfigurationTypeCentral {
		// The full instructions are securityhub-central's row's and the
		// log's: a region's row here is kept short (LocalSpec.ResultLimit).
		log.WarnContext(ctx, "the organization is in central configuration", "region", item.Region, "reason", centralFound(item.Region))
		out.Status, out.Reason = workflow.StatusFailed, CentralFoundShort
		res.Add(out)
		return res, nil
	}
	autoEnable := !cfg.Scope.Any()
	if aws.ToBool(got.AutoEnable) != autoEnable || got.AutoEnableStandards != shtypes.AutoEnableStandardsNone {
		out.Actions = append(out.Actions, localConfigAction(autoEnable))
		if apply {
			if _, err := api.UpdateOrganizationConfiguration(ctx, &securityhub.UpdateOrganizationConfigurationInput{
				AutoEnable: aws.Bool(autoEnable), AutoEnableStandards: shtypes.AutoEnableStandardsNone,
				OrganizationConfiguration: &shtypes.OrganizationConfiguration{ConfigurationType: shtypes.OrganizationConfigurationConfigurationTypeLocal},
			}); err != nil {
				return res, settle(&out, &res, awsclient.Classify("update the organization configuration in "+item.Region, err))
			}
			log.InfoContext(ctx, "Security Hub's organization configuration set", "region", item.Region, "autoEnable", autoEnable)
		}
	}

	members, err := listMembers(ctx, api)
	if err != nil {
		return res, settle(&out, &res, err)
	}
	for _, a := range item.Excluded {
		if st, ok := members[a]; ok && !slices.Contains(formerMember, st) {
			res.Add(workflow.Outcome{Account: a, Region: item.Region, Service: settings.ServiceSecurityHub, Status: workflow.StatusSkipped,
				Reason: fmt.Sprintf("%s, but a member already (%s): left as it is", settings.ScopeReason, st)})
		}
	}
	var todo []string
	for _, a := range accounts {
		if st, ok := members[a]; !ok || slices.Contains(formerMember, st) {
			todo = append(todo, a)
		}
	}
	if len(todo) > 0 {
		out.Actions = append(out.Actions, membersAction(len(todo)))
		if apply {
			if err := addMembers(ctx, api, item.Region, todo, &res); err != nil {
				return res, settle(&out, &res, err)
			}
			log.InfoContext(ctx, "Security Hub members added", "region", item.Region, "accounts", len(todo))
		}
	}
	res.Add(out)
	return res, nil
}

func localConfigAction(autoEnable bool) workflow.Action {
	if !autoEnable {
		return workflow.Action{Call: CallLocalConfig, Target: "LOCAL AutoEnable=false AutoEnableStandards=NONE"}
	}
	return workflow.Action{Call: CallLocalConfig, Target: "LOCAL AutoEnable AutoEnableStandards=NONE"}
}

func membersAction(n int) workflow.Action {
	return workflow.Action{Call: CallCreateMembers, Target: fmt.Sprintf("%d accounts", n)}
}

// addMembers makes the accounts of todo members, MembersPerCall a call; an
// account left unprocessed that a fresh read does not show as a member
// (a call the SDK sent again after a lost answer finds its accounts
// members already) is its own failed row.
func addMembers(ctx context.Context, api LocalAPI, region string, todo []string, res *workflow.StepResult) error {
	var unprocessed []shtypes.Result
	for batch := range slices.Chunk(todo, MembersPerCall) {
		in := &securityhub.CreateMembersInput{}
		for _, a := range batch {
			in.AccountDetails = append(in.AccountDetails, shtypes.AccountDetails{AccountId: aws.String(a)})
		}
		got, err := api.CreateMembers(ctx, in)
		if err != nil {
			return awsclient.Classify("add Security Hub members in "+region, err)
		}
		unprocessed = append(unprocessed, got.UnprocessedAccounts...)
	}
	if len(unprocessed) == 0 {
		return nil
	}
	now, err := listMembers(ctx, api)
	if err != nil {
		return err
	}
	for _, u := range unprocessed {
		id := aws.ToString(u.AccountId)
		if st, ok := now[id]; ok && !slices.Contains(formerMember, st) {
			continue
		}
		res.Add(workflow.Outcome{Account: id, Region: region, Service: settings.ServiceSecurityHub, Status: workflow.StatusFailed,
			Reason: "CreateMembers did not make it a Security Hub member: " + aws.ToString(u.ProcessingResult)})
	}
	return nil
}

// listMembers returns the administrator's members by account, with their
// status.
func listMembers(ctx context.Context, api LocalAPI) (map[string]string, error) {
	out := map[string]string{}
	pages := securityhub.NewListMembersPaginator(api, &securityhub.ListMembersInput{OnlyAssociated: aws.Bool(false)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range page.Members {
			out[aws.ToString(m.AccountId)] = aws.ToString(m.MemberStatus)
		}
	}
	return out, nil
}
