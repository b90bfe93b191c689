package detective

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/detective"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgbaseline/orgbaseline/shared/org/teardown"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// The actions of disable.
const (
	CallDisableAdmin  = "detective:DisableOrganizationAdminAccount"
	CallDeleteMembers = "detective:DeleteMembers"
)

// MembersPerDelete is the most accounts one DeleteMembers call takes
// ("DeleteMembers", Amazon Detective API Reference).
const MembersPerDelete = 50

// DisableAdminAPI is the part of the Detective client disable uses in the
// management account, in one region.
type DisableAdminAPI interface {
	detective.ListOrganizationAdminAccountsAPIClient
	DisableOrganizationAdminAccount(ctx context.Context, in *detective.DisableOrganizationAdminAccountInput, optFns ...func(*detective.Options)) (*detective.DisableOrganizationAdminAccountOutput, error)
}

// DisableGraphAPI is the part of the Detective client disable uses in the
// security account, in one region, in invitation mode: its graph's members.
type DisableGraphAPI interface {
	detective.ListGraphsAPIClient
	detective.ListMembersAPIClient
	DeleteMembers(ctx context.Context, in *detective.DeleteMembersInput, optFns ...func(*detective.Options)) (*detective.DeleteMembersOutput, error)
}

var (
	_ DisableAdminAPI = (*detective.Client)(nil)
	_ DisableGraphAPI = (*detective.Client)(nil)
)

// DisableDeps are the clients of Disable.
type DisableDeps struct {
	// Management acts in the management account, in a region.
	Management func(region string) DisableAdminAPI
	// Security acts in the security account, in a region.
	Security func(region string) DisableGraphAPI
	// Orgs acts in the management account; Accounts lists the
	// organization's accounts there.
	Orgs     teardown.OrgAPI
	Accounts organizations.ListAccountsAPIClient
}

// Disable undoes what the detective steps turned on, in each region of
// opts, then for the organization.
//
// Organization mode, from the management account, per region:
// detective:ListOrganizationAdminAccounts, then, when the security account
// is the administrator, detective:DisableOrganizationAdminAccount
// ("Removing the Detective administrator account", Amazon Detective
// Administration Guide: it removes the administrator in the current region
// and deletes the organization behavior graph, whose members go with it).
// Another administrator is a conflict, the region's failed row.
//
// Invitation mode, in the security account, per region: the members of its
// behavior graph that are accounts of the organization are removed,
// detective:DeleteMembers, 50 a call ("DeleteMembers", Amazon Detective API
// Reference); the graph itself stays.
//
// Then, once every region is done: the Organizations delegated
// administrator for detective.amazonaws.com if it is still registered, and
// trusted access (teardown.OrgWide). With trusted access already off and no
// delegated administrator (teardown.Gone), no region has an organization
// administrator, and that read is left out.
func Disable(ctx context.Context, d DisableDeps, cfg settings.Config, opts teardown.Options) workflow.StepResult {
	res := teardown.NewResult(settings.ServiceDetective, opts.Plan)
	mgmt, security := cfg.Accounts.Management, cfg.Accounts.Security
	invitation := cfg.Services.Detective.Invitation()
	var orgAccounts []string
	if invitation {
		var err error
		if orgAccounts, err = teardown.Accounts(ctx, d.Accounts); err != nil {
			out := workflow.Outcome{Account: mgmt, Region: workflow.RegionGlobal, Service: settings.ServiceDetective}
			teardown.Fail(&out, "list the organization's accounts", err)
			res.Add(out)
			teardown.SkipOrgWide(&res, settings.ServiceDetective, mgmt, []string{Principal}, "the organization's accounts could not be listed")
			return res
		}
	}
	gone, err := teardown.Gone(ctx, d.Orgs, Principal)
	if err != nil {
		out := workflow.Outcome{Account: mgmt, Region: workflow.RegionGlobal, Service: settings.ServiceDetective}
		teardown.Fail(&out, "read Detective's trusted access and delegated administrators", err)
		res.Add(out)
		teardown.SkipOrgWide(&res, settings.ServiceDetective, mgmt, []string{Principal}, "they could not be read")
		return res
	}
	if gone {
		teardown.GoneRow(&res, settings.ServiceDetective, mgmt, Principal)
	}
	blocked := ""
	for _, region := range opts.Regions {
		ok := gone || disableAdmin(ctx, d.Management(region), &res, mgmt, security, region, opts.Plan)
		if ok && invitation {
			ok = deleteInvited(ctx, d.Security(region), &res, security, region, orgAccounts, opts.Plan)
		}
		if !ok && blocked == "" {
			blocked = "the regional teardown did not finish in " + region
		}
	}
	if blocked != "" {
		teardown.SkipOrgWide(&res, settings.ServiceDetective, mgmt, []string{Principal}, blocked)
	} else {
		teardown.OrgWide(ctx, d.Orgs, &res, settings.ServiceDetective, mgmt, security, []string{Principal}, func(string) bool { return true }, opts.Plan)
	}
	if invitation {
		res.Warnings = append(res.Warnings, "the security account's own behavior graph is kept, with its data: delete it (detective:DeleteGraph) if it is to go")
	} else {
		res.Warnings = append(res.Warnings, "Detective deletes the organization behavior graph, and the data it holds, when its administrator is removed in a region: export what is to be kept first (the findings themselves stay in GuardDuty and Security Hub)")
	}
	return res
}

// disableAdmin removes the security account as Detective's administrator
// in region, adding the management account's row; it returns whether the
// region may go on.
func disableAdmin(ctx context.Context, api DisableAdminAPI, res *workflow.StepResult, mgmt, security, region string, plan bool) bool {
	out := workflow.Outcome{Account: mgmt, Region: region, Service: settings.ServiceDetective}
	admins, err := listAdmins(ctx, api)
	if err != nil {
		teardown.Fail(&out, "list Detective administrators", err)
		res.Add(out)
		return out.Status == workflow.StatusSkipped
	}
	others := slices.DeleteFunc(slices.Clone(admins), func(id string) bool { return id == security })
	switch {
	case len(others) > 0:
		teardown.Conflict(&out, "Detective's administrator in "+region, strings.Join(others, ", "), security)
		res.Add(out)
		return false
	case !slices.Contains(admins, security):
		out.Reason = "no Detective administrator"
		res.Add(out)
		return true
	}
	// "DisableOrganizationAdminAccount", Amazon Detective API Reference:
	// only the management account; it removes the administrator in the
	// current region and deletes the organization behavior graph.
	err = teardown.Act(&out, plan, workflow.Action{Call: CallDisableAdmin, Target: security}, func() error {
		_, err := api.DisableOrganizationAdminAccount(ctx, &detective.DisableOrganizationAdminAccountInput{})
		return err
	})
	if err != nil {
		teardown.Fail(&out, "disable the Detective administrator", err)
		res.Add(out)
		return false
	}
	res.Add(out)
	return true
}

// deleteInvited removes the organization's accounts from the security
// account's graph in region (invitation mode), adding the security
// account's row; it returns whether that is done.
func deleteInvited(ctx context.Context, api DisableGraphAPI, res *workflow.StepResult, security, region string, orgAccounts []string, plan bool) bool {
	out := workflow.Outcome{Account: security, Region: region, Service: settings.ServiceDetective}
	defer func() { res.Add(out) }()
	graph, err := ownGraph(ctx, api)
	if err != nil {
		teardown.Fail(&out, "list Detective behavior graphs", err)
		return out.Status == workflow.StatusSkipped
	}
	if graph == "" {
		out.Reason = "no behavior graph"
		return true
	}
	var ids []string
	pages := detective.NewListMembersPaginator(api, &detective.ListMembersInput{GraphArn: aws.String(graph)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			teardown.Fail(&out, "list the behavior graph's members", err)
			return false
		}
		for _, m := range page.MemberDetails {
			if id := aws.ToString(m.AccountId); slices.Contains(orgAccounts, id) && id != security {
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	if len(ids) == 0 {
		out.Reason = "no member of the organization in the behavior graph"
		return true
	}
	for len(ids) > 0 {
		batch := ids[:min(len(ids), MembersPerDelete)]
		ids = ids[len(batch):]
		err := teardown.Act(&out, plan, workflow.Action{Call: CallDeleteMembers, Target: strings.Join(batch, ",")}, func() error {
			o, err := api.DeleteMembers(ctx, &detective.DeleteMembersInput{GraphArn: aws.String(graph), AccountIds: batch})
			if err == nil && len(o.UnprocessedAccounts) > 0 {
				var s []string
				for _, u := range o.UnprocessedAccounts {
					s = append(s, aws.ToString(u.AccountId)+" ("+aws.ToString(u.Reason)+")")
				}
				err = fmt.Errorf("not processed: %s", strings.Join(s, ", "))
			}
			return err
		})
		if err != nil {
			teardown.Fail(&out, "remove the behavior graph's members", err)
			return false
		}
	}
	return true
}
