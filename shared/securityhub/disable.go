package securityhub

import (
	"context"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/orgbaseline/orgbaseline/shared/org/teardown"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// DisableDeps are the clients of Disable, in the management account.
type DisableDeps struct {
	// Admins reads Security Hub's administrators in a region.
	Admins func(region string) securityhub.ListOrganizationAdminAccountsAPIClient
	// Orgs acts in the management account.
	Orgs teardown.OrgAPI
}

// Disable undoes Security Hub's organization, from the management account:
//
//  1. securityhub:ListOrganizationAdminAccounts in each region: another
//     administrator than the security account is a conflict, its region's
//     failed row, and then nothing is undone;
//  2. organizations:DeregisterDelegatedAdministrator for the security
//     account and securityhub.amazonaws.com ("Removing or changing the
//     delegated administrator", AWS Security Hub CSPM User Guide: under
//     central configuration the Security Hub API cannot remove the
//     administrator; removed through Organizations, it is removed in every
//     region, and Security Hub stops central configuration and deletes the
//     configuration policies and their associations; the member accounts
//     keep the configuration they had);
//  3. organizations:DisableAWSServiceAccess for securityhub.amazonaws.com.
//
// With trusted access already off and no delegated administrator
// (teardown.Gone), the regions are not read.
//
// Security Hub stays enabled, with its findings and standards, in the
// management account, the security account and the member accounts, and
// the security account keeps its finding aggregator: the warnings say so.
func Disable(ctx context.Context, d DisableDeps, cfg settings.Config, opts teardown.Options) workflow.StepResult {
	res := teardown.NewResult(settings.ServiceSecurityHub, opts.Plan)
	mgmt, security := cfg.Accounts.Management, cfg.Accounts.Security
	principals := []string{Principal}
	gone, err := teardown.Gone(ctx, d.Orgs, Principal)
	blocked := ""
	regions := opts.Regions
	switch {
	case err != nil:
		head := workflow.Outcome{Account: mgmt, Region: workflow.RegionGlobal, Service: settings.ServiceSecurityHub}
		teardown.Fail(&head, "read Security Hub's trusted access and delegated administrators", err)
		res.Add(head)
		blocked, regions = "they could not be read", nil
	case gone:
		teardown.GoneRow(&res, settings.ServiceSecurityHub, mgmt, Principal)
		regions = nil
	}
	for _, region := range regions {
		out := workflow.Outcome{Account: mgmt, Region: region, Service: settings.ServiceSecurityHub}
		admins, err := listAdmins(ctx, d.Admins(region))
		switch {
		case err != nil:
			teardown.Fail(&out, "list Security Hub administrators", err)
		case len(othersThan(admins, security)) > 0:
			others := othersThan(admins, security)
			slices.Sort(others)
			teardown.Conflict(&out, "Security Hub's administrator in "+region, strings.Join(others, ", "), security)
		case admins[security] != "":
			out.Reason = "the security account is the administrator (" + admins[security] + "); removing it through Organizations removes it in every region"
		default:
			out.Reason = "no Security Hub administrator"
		}
		if out.Status == workflow.StatusFailed && blocked == "" {
			blocked = "Security Hub's administrators could not be settled in " + region
		}
		res.Add(out)
	}
	if blocked != "" {
		teardown.SkipOrgWide(&res, settings.ServiceSecurityHub, mgmt, principals, blocked)
	} else {
		teardown.OrgWide(ctx, d.Orgs, &res, settings.ServiceSecurityHub, mgmt, security, principals, func(string) bool { return true }, opts.Plan)
	}
	res.Warnings = append(res.Warnings,
		"Security Hub stays enabled, with its findings and enabled standards, in the management account, the security account and the member accounts, which keep the configuration they had and become self-managed; disable it per account and region (securityhub:DisableSecurityHub) if it is to go",
		"the security account's finding aggregator is kept, with the findings it aggregated")
	return res
}
