package accessanalyzer

import (
	"context"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgbaseline/orgbaseline/shared/org/admins"
	"github.com/orgbaseline/orgbaseline/shared/org/teardown"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// CallDelete is the action disable takes on an analyzer.
const CallDelete = "access-analyzer:DeleteAnalyzer"

// DeleteAPI is the part of the IAM Access Analyzer client disable uses, in
// one account and region.
type DeleteAPI interface {
	accessanalyzer.ListAnalyzersAPIClient
	DeleteAnalyzer(ctx context.Context, in *accessanalyzer.DeleteAnalyzerInput, optFns ...func(*accessanalyzer.Options)) (*accessanalyzer.DeleteAnalyzerOutput, error)
}

var _ DeleteAPI = (*accessanalyzer.Client)(nil)

// DisableDeps are the clients of Disable.
type DisableDeps struct {
	// In acts in an account (the management account's own configuration
	// there, the execution role elsewhere), in a region.
	In func(account, region string) DeleteAPI
	// Orgs acts in the management account; Accounts lists the
	// organization's accounts there.
	Orgs     teardown.OrgAPI
	Accounts organizations.ListAccountsAPIClient
}

// Disable undoes what the accessanalyzer steps made, deleting only the
// analyzers of orgbaseline's names ("DeleteAnalyzer", IAM Access Analyzer
// API Reference: Access Analyzer stops for the account or organization in
// that region, and the analyzer's findings are deleted with it):
//
//  0. organizations:ListDelegatedAdministrators for
//     access-analyzer.amazonaws.com: another account than the security
//     account is a conflict, and nothing is touched;
//  1. in every ACTIVE account of the organization and every region, the
//     ACCOUNT analyzer orgbaseline-account, through the execution role
//     (the management account with its own credentials);
//  2. in the security account, every region, the ORGANIZATION analyzer
//     orgbaseline-organization and the ORGANIZATION_UNUSED_ACCESS analyzer
//     orgbaseline-unused-access;
//  3. the security account's delegated administration, then trusted access
//     ("Removing a delegated administrator" and "Disabling trusted access"
//     follow the analyzers: teardown.OrgWide).
//
// One account's or region's failure is its row's; a failure in the
// security account leaves the delegated administrator and trusted access
// as they are.
func Disable(ctx context.Context, d DisableDeps, cfg settings.Config, opts teardown.Options) workflow.StepResult {
	res := teardown.NewResult(settings.ServiceAccessAnalyzer, opts.Plan)
	mgmt, security := cfg.Accounts.Management, cfg.Accounts.Security
	principals := []string{Principal}
	head := workflow.Outcome{Account: mgmt, Region: workflow.RegionGlobal, Service: settings.ServiceAccessAnalyzer}
	ids, err := admins.List(ctx, d.Orgs, Principal)
	if err != nil {
		teardown.Fail(&head, "list delegated administrators for "+Principal, err)
		res.Add(head)
		teardown.SkipOrgWide(&res, settings.ServiceAccessAnalyzer, mgmt, principals, "the delegated administrators could not be read")
		return res
	}
	if others := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == security }); len(others) > 0 {
		teardown.Conflict(&head, "the delegated administrator for "+Principal, admins.Join(others), security)
		res.Add(head)
		return res
	}
	accounts, err := teardown.ActiveAccounts(ctx, d.Accounts)
	if err != nil {
		teardown.Fail(&head, "list the organization's accounts", err)
		res.Add(head)
		teardown.SkipOrgWide(&res, settings.ServiceAccessAnalyzer, mgmt, principals, "the organization's accounts could not be listed")
		return res
	}

	account := []target{{types.TypeAccount, AccountAnalyzer}}
	for _, acct := range accounts {
		if opts.SkipExcluded(&res, settings.ServiceAccessAnalyzer, acct) {
			continue
		}
		for _, region := range opts.Regions {
			res.Add(deleteAnalyzers(ctx, d.In(acct, region), acct, region, account, opts.Plan))
		}
	}
	org := []target{{types.TypeOrganization, OrganizationAnalyzer}, {types.TypeOrganizationUnusedAccess, UnusedAccessAnalyzer}}
	blocked := ""
	for _, region := range opts.Regions {
		out := deleteAnalyzers(ctx, d.In(security, region), security, region, org, opts.Plan)
		if out.Status == workflow.StatusFailed && blocked == "" {
			blocked = "the organization's analyzers could not be deleted in " + region
		}
		res.Add(out)
	}
	if blocked != "" {
		teardown.SkipOrgWide(&res, settings.ServiceAccessAnalyzer, mgmt, principals, blocked)
	} else {
		teardown.OrgWide(ctx, d.Orgs, &res, settings.ServiceAccessAnalyzer, mgmt, security, principals, func(string) bool { return true }, opts.Plan)
	}
	res.Warnings = append(res.Warnings,
		"an analyzer's findings are deleted with it (IAM Access Analyzer recomputes them from the resources' policies if analyzers are created again); analyzers of other names are kept",
		"the service-linked role "+ServiceLinkedRole+" stays in each account")
	return res
}

// target is an analyzer orgbaseline made: its type and name.
type target struct {
	kind types.Type
	name string
}

// deleteAnalyzers deletes the analyzers of targets found in one account
// and region, and returns the row.
func deleteAnalyzers(ctx context.Context, api DeleteAPI, account, region string, targets []target, plan bool) workflow.Outcome {
	out := workflow.Outcome{Account: account, Region: region, Service: settings.ServiceAccessAnalyzer}
	for _, t := range targets {
		found, err := list(ctx, api, t.kind)
		if err != nil {
			teardown.Fail(&out, "list "+string(t.kind)+" analyzers", err)
			return out
		}
		if !slices.ContainsFunc(found, func(a types.AnalyzerSummary) bool { return aws.ToString(a.Name) == t.name }) {
			continue
		}
		// "DeleteAnalyzer", IAM Access Analyzer API Reference.
		err = teardown.Act(&out, plan, workflow.Action{Call: CallDelete, Target: t.name}, func() error {
			_, err := api.DeleteAnalyzer(ctx, &accessanalyzer.DeleteAnalyzerInput{AnalyzerName: aws.String(t.name)})
			return err
		})
		if err != nil {
			teardown.Fail(&out, "delete analyzer "+t.name, err)
			return out
		}
	}
	if len(out.Actions) == 0 {
		var names []string
		for _, t := range targets {
			names = append(names, t.name)
		}
		out.Reason = "no analyzer " + strings.Join(names, " or ")
	}
	return out
}
