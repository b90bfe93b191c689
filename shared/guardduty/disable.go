package guardduty

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"

	"github.com/orgbaseline/orgbaseline/shared/org/teardown"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// The actions of disable.
const (
	CallDisassociateMembers = "guardduty:DisassociateMembers"
	CallDeleteMembers       = "guardduty:DeleteMembers"
	CallDisableAdmin        = "guardduty:DisableOrganizationAdminAccount"
)

// memberRemoved is the relationship status of a member the administrator
// has disassociated ("Member", GuardDuty API Reference).
const memberRemoved = "Removed"

// DisableAPI is the part of the GuardDuty client disable uses in the
// security account, the delegated administrator, in one region.
type DisableAPI interface {
	guardduty.ListDetectorsAPIClient
	DescribeOrganizationConfiguration(ctx context.Context, in *guardduty.DescribeOrganizationConfigurationInput, optFns ...func(*guardduty.Options)) (*guardduty.DescribeOrganizationConfigurationOutput, error)
	UpdateOrganizationConfiguration(ctx context.Context, in *guardduty.UpdateOrganizationConfigurationInput, optFns ...func(*guardduty.Options)) (*guardduty.UpdateOrganizationConfigurationOutput, error)
	guardduty.ListMembersAPIClient
	DisassociateMembers(ctx context.Context, in *guardduty.DisassociateMembersInput, optFns ...func(*guardduty.Options)) (*guardduty.DisassociateMembersOutput, error)
	DeleteMembers(ctx context.Context, in *guardduty.DeleteMembersInput, optFns ...func(*guardduty.Options)) (*guardduty.DeleteMembersOutput, error)
}

// DisableAdminAPI is the part of the GuardDuty client disable uses in the
// management account, in one region.
type DisableAdminAPI interface {
	guardduty.ListOrganizationAdminAccountsAPIClient
	DisableOrganizationAdminAccount(ctx context.Context, in *guardduty.DisableOrganizationAdminAccountInput, optFns ...func(*guardduty.Options)) (*guardduty.DisableOrganizationAdminAccountOutput, error)
}

var (
	_ DisableAPI      = (*guardduty.Client)(nil)
	_ DisableAdminAPI = (*guardduty.Client)(nil)
)

// DisableDeps are the clients of Disable.
type DisableDeps struct {
	// Security acts in the security account, in a region.
	Security func(region string) DisableAPI
	// Management acts in the management account, in a region.
	Management func(region string) DisableAdminAPI
	// Orgs acts in the management account.
	Orgs teardown.OrgAPI
}

// Disable undoes what the guardduty steps turned on, in each region of
// opts, then for the organization:
//
//  1. from the management account, guardduty:ListOrganizationAdminAccounts:
//     another administrator than the security account is a conflict, that
//     region's failed row, and nothing of that region is touched;
//  2. in the security account, guardduty:UpdateOrganizationConfiguration
//     with AutoEnableOrganizationMembers NONE, so that GuardDuty does not
//     add the organization's accounts back while their membership is
//     undone;
//  3. guardduty:DisassociateMembers for the members still associated, then
//     guardduty:DeleteMembers for all, 50 accounts a call;
//  4. from the management account, guardduty:DisableOrganizationAdminAccount;
//
// then, once every region is done, the Organizations delegated
// administrator for guardduty.amazonaws.com if it is still registered, and
// trusted access for GuardDuty's principals (teardown.OrgWide).
//
// The detectors stay, in the security account and in the former members,
// with their findings, and so do the findings' export bucket and key: the
// report's warnings say so.
func Disable(ctx context.Context, d DisableDeps, cfg settings.Config, opts teardown.Options) workflow.StepResult {
	res := teardown.NewResult(settings.ServiceGuardDuty, opts.Plan)
	mgmt, security := cfg.Accounts.Management, cfg.Accounts.Security
	info, _ := settings.LookupService(settings.ServiceGuardDuty)
	var principals []string
	for _, p := range info.Principals {
		principals = append(principals, p.Name)
	}
	gone, err := teardown.Gone(ctx, d.Orgs, principals[0])
	blocked := ""
	switch {
	case err != nil:
		head := workflow.Outcome{Account: mgmt, Region: workflow.RegionGlobal, Service: settings.ServiceGuardDuty}
		teardown.Fail(&head, "read GuardDuty's trusted access and delegated administrators", err)
		res.Add(head)
		blocked = "they could not be read"
	case gone:
		teardown.GoneRow(&res, settings.ServiceGuardDuty, mgmt, principals[0])
	default:
		for _, region := range opts.Regions {
			if wait := disableRegion(ctx, d, &res, mgmt, security, region, opts.Plan); wait != "" && blocked == "" {
				blocked = wait
			}
		}
	}
	if blocked != "" {
		teardown.SkipOrgWide(&res, settings.ServiceGuardDuty, mgmt, principals, blocked)
	} else {
		teardown.OrgWide(ctx, d.Orgs, &res, settings.ServiceGuardDuty, mgmt, security, principals,
			func(p string) bool { return p == principals[0] }, opts.Plan)
	}
	res.Warnings = append(res.Warnings,
		"GuardDuty detectors stay enabled, with their findings, in the security account and in the former member accounts, which become standalone: delete a detector (guardduty:DeleteDetector) in an account to stop GuardDuty there",
		"the findings' export destination, its bucket and its KMS key are kept: the exported findings are evidence")
	return res
}

// disableRegion undoes GuardDuty's organization in one region, adding the
// security account's row and the management account's; it returns why
// the organization-wide parts must wait, "" when the region is done (or
// planned).
func disableRegion(ctx context.Context, d DisableDeps, res *workflow.StepResult, mgmt, security, region string, plan bool) string {
	adminRow := workflow.Outcome{Account: mgmt, Region: region, Service: settings.ServiceGuardDuty}
	secRow := workflow.Outcome{Account: security, Region: region, Service: settings.ServiceGuardDuty}
	failed := "the teardown failed in " + region
	removing := "GuardDuty is still removing its administrator in " + region + ": run disable guardduty again once it is done"
	m := d.Management(region)
	admins, err := listAdmins(ctx, m)
	if err != nil {
		teardown.Fail(&adminRow, "list GuardDuty administrators", err)
		res.Add(adminRow)
		if adminRow.Status == workflow.StatusSkipped {
			return ""
		}
		return failed
	}
	if others := others(admins, security); others != "none" {
		teardown.Conflict(&adminRow, "GuardDuty's administrator in "+region, others, security)
		res.Add(adminRow)
		return "another account administers GuardDuty in " + region
	}
	status, ok := admins[security]
	switch {
	case !ok:
		adminRow.Reason = "no GuardDuty administrator"
		res.Add(adminRow)
		return ""
	case status == gdtypes.AdminStatusDisableInProgress:
		adminRow.Reason = "GuardDuty is removing the security account as administrator (" + string(status) + ")"
		res.Add(adminRow)
		return removing
	}

	if !disableMembers(ctx, d.Security(region), &secRow, plan) {
		res.Add(secRow)
		adminRow.Status, adminRow.Reason = workflow.StatusSkipped, "the administrator stays until its organization and members are undone"
		res.Add(adminRow)
		return failed
	}
	res.Add(secRow)

	// "DisableOrganizationAdminAccount", Amazon GuardDuty API Reference:
	// only the management account can call it; per region.
	err = teardown.Act(&adminRow, plan, workflow.Action{Call: CallDisableAdmin, Target: security}, func() error {
		_, err := m.DisableOrganizationAdminAccount(ctx, &guardduty.DisableOrganizationAdminAccountInput{AdminAccountId: aws.String(security)})
		return err
	})
	if err != nil {
		teardown.Fail(&adminRow, "disable the GuardDuty administrator", err)
		res.Add(adminRow)
		return failed
	}
	if !plan {
		// The removal may take a while (DISABLE_IN_PROGRESS): the
		// organization's parts wait until it is done.
		again, err := listAdmins(ctx, m)
		if err != nil {
			teardown.Fail(&adminRow, "list GuardDuty administrators again", err)
			res.Add(adminRow)
			return failed
		}
		if s, still := again[security]; still {
			teardown.Note(&adminRow, "GuardDuty is removing it ("+string(s)+")")
			res.Add(adminRow)
			return removing
		}
	}
	res.Add(adminRow)
	return ""
}

// disableMembers sets the organization's auto-enable to NONE and removes
// the members of the security account's detector in one region, into row;
// it returns whether that is done (or planned).
func disableMembers(ctx context.Context, api DisableAPI, row *workflow.Outcome, plan bool) bool {
	ids, err := listDetectors(ctx, api)
	if err != nil {
		teardown.Fail(row, "list GuardDuty detectors", err)
		return false
	}
	if len(ids) == 0 {
		row.Reason = "no detector, so no organization configuration or members"
		return true
	}
	id := ids[0]

	conf, err := api.DescribeOrganizationConfiguration(ctx, &guardduty.DescribeOrganizationConfigurationInput{DetectorId: aws.String(id)})
	if err != nil {
		teardown.Fail(row, "read GuardDuty's organization configuration", err)
		return false
	}
	if conf.AutoEnableOrganizationMembers != gdtypes.AutoEnableMembersNone {
		// "UpdateOrganizationConfiguration", Amazon GuardDuty API Reference:
		// autoEnableOrganizationMembers NONE, no account is enabled
		// automatically. With ALL, GuardDuty refuses disabling it in a
		// member ("DisassociateFromAdministratorAccount").
		err = teardown.Act(row, plan, workflow.Action{Call: CallUpdateOrganizationConfiguration, Target: "autoEnableOrganizationMembers=" + string(gdtypes.AutoEnableMembersNone)}, func() error {
			_, err := api.UpdateOrganizationConfiguration(ctx, &guardduty.UpdateOrganizationConfigurationInput{
				DetectorId: aws.String(id), AutoEnableOrganizationMembers: gdtypes.AutoEnableMembersNone,
			})
			return err
		})
		if err != nil {
			teardown.Fail(row, "set GuardDuty's organization auto-enable to NONE", err)
			return false
		}
	}

	members, err := listMembers(ctx, api, id)
	if err != nil {
		teardown.Fail(row, "list GuardDuty members", err)
		return false
	}
	var all, associated []string
	for acct, status := range members {
		all = append(all, acct)
		// Only an associated member is disassociated ("DisassociateMembers",
		// GuardDuty API Reference: "Disassociates GuardDuty member accounts
		// (from the current administrator account)"): Enabled or Disabled;
		// one only created, invited, resigned or removed is deleted alone.
		if status == "Enabled" || status == "Disabled" {
			associated = append(associated, acct)
		}
	}
	slices.Sort(all)
	slices.Sort(associated)
	if len(all) == 0 {
		teardown.Note(row, "no members")
		return true
	}
	// "Disassociating (removing) member account from administrator
	// account", then "Deleting member accounts from GuardDuty
	// organization", Amazon GuardDuty User Guide: a member is disassociated
	// first, then deleted; GuardDuty stays enabled in the account.
	for _, batch := range batches(associated) {
		err := teardown.Act(row, plan, workflow.Action{Call: CallDisassociateMembers, Target: strings.Join(batch, ",")}, func() error {
			out, err := api.DisassociateMembers(ctx, &guardduty.DisassociateMembersInput{DetectorId: aws.String(id), AccountIds: batch})
			if err == nil {
				err = unprocessed(out.UnprocessedAccounts)
			}
			return err
		})
		if err != nil {
			teardown.Fail(row, "disassociate GuardDuty members", err)
			return false
		}
	}
	for _, batch := range batches(all) {
		err := teardown.Act(row, plan, workflow.Action{Call: CallDeleteMembers, Target: strings.Join(batch, ",")}, func() error {
			out, err := api.DeleteMembers(ctx, &guardduty.DeleteMembersInput{DetectorId: aws.String(id), AccountIds: batch})
			if err == nil {
				err = unprocessed(out.UnprocessedAccounts)
			}
			return err
		})
		if err != nil {
			teardown.Fail(row, "delete GuardDuty members", err)
			return false
		}
	}
	teardown.Note(row, fmt.Sprintf("%d members removed (%d associated)", len(all), len(associated)))
	return true
}

// batches cuts ids into calls of at most MembersPerCall accounts.
func batches(ids []string) [][]string {
	var out [][]string
	for len(ids) > 0 {
		n := min(len(ids), MembersPerCall)
		out = append(out, ids[:n])
		ids = ids[n:]
	}
	return out
}

// unprocessed is an error naming the accounts GuardDuty did not process,
// nil when there are none.
func unprocessed(accounts []gdtypes.UnprocessedAccount) error {
	if len(accounts) == 0 {
		return nil
	}
	var s []string
	for _, a := range accounts {
		s = append(s, aws.ToString(a.AccountId)+" ("+aws.ToString(a.Result)+")")
	}
	return fmt.Errorf("not processed: %s", strings.Join(s, ", "))
}
