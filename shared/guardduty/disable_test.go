package guardduty

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"

	"github.com/orgbaseline/orgbaseline/shared/org/teardown"
	"github.com/orgbaseline/orgbaseline/shared/org/teardown/fakeorg"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// gdRegion is one region's GuardDuty: the administrators (management
// account's view) and the security account's detector.
type gdRegion struct {
	region     string
	log        *fakeorg.Log
	admins     map[string]gdtypes.AdminStatus
	detector   string
	autoEnable gdtypes.AutoEnableMembers
	members    map[string]string
	// slow leaves the administrator DISABLE_IN_PROGRESS after its removal.
	slow bool
	// access says whether trusted access is on: without it GuardDuty
	// refuses the organization's calls.
	access func() bool
}

func (g *gdRegion) ListOrganizationAdminAccounts(context.Context, *guardduty.ListOrganizationAdminAccountsInput, ...func(*guardduty.Options)) (*guardduty.ListOrganizationAdminAccountsOutput, error) {
	if !g.access() {
		return nil, &gdtypes.BadRequestException{Message: aws.String("trusted access is not enabled")}
	}
	out := &guardduty.ListOrganizationAdminAccountsOutput{}
	for id, s := range g.admins {
		out.AdminAccounts = append(out.AdminAccounts, gdtypes.AdminAccount{AdminAccountId: aws.String(id), AdminStatus: s})
	}
	return out, nil
}

func (g *gdRegion) DisableOrganizationAdminAccount(_ context.Context, in *guardduty.DisableOrganizationAdminAccountInput, _ ...func(*guardduty.Options)) (*guardduty.DisableOrganizationAdminAccountOutput, error) {
	g.log.Add(CallDisableAdmin + " " + g.region + " " + aws.ToString(in.AdminAccountId))
	if g.slow {
		g.admins[aws.ToString(in.AdminAccountId)] = gdtypes.AdminStatusDisableInProgress
		return &guardduty.DisableOrganizationAdminAccountOutput{}, nil
	}
	delete(g.admins, aws.ToString(in.AdminAccountId))
	return &guardduty.DisableOrganizationAdminAccountOutput{}, nil
}

func (g *gdRegion) ListDetectors(context.Context, *guardduty.ListDetectorsInput, ...func(*guardduty.Options)) (*guardduty.ListDetectorsOutput, error) {
	out := &guardduty.ListDetectorsOutput{}
	if g.detector != "" {
		out.DetectorIds = []string{g.detector}
	}
	return out, nil
}

func (g *gdRegion) DescribeOrganizationConfiguration(context.Context, *guardduty.DescribeOrganizationConfigurationInput, ...func(*guardduty.Options)) (*guardduty.DescribeOrganizationConfigurationOutput, error) {
	return &guardduty.DescribeOrganizationConfigurationOutput{AutoEnableOrganizationMembers: g.autoEnable}, nil
}

func (g *gdRegion) UpdateOrganizationConfiguration(_ context.Context, in *guardduty.UpdateOrganizationConfigurationInput, _ ...func(*guardduty.Options)) (*guardduty.UpdateOrganizationConfigurationOutput, error) {
	g.log.Add(CallUpdateOrganizationConfiguration + " " + g.region + " " + string(in.AutoEnableOrganizationMembers))
	g.autoEnable = in.AutoEnableOrganizationMembers
	return &guardduty.UpdateOrganizationConfigurationOutput{}, nil
}

func (g *gdRegion) ListMembers(_ context.Context, in *guardduty.ListMembersInput, _ ...func(*guardduty.Options)) (*guardduty.ListMembersOutput, error) {
	out := &guardduty.ListMembersOutput{}
	for id, s := range g.members {
		if aws.ToString(in.OnlyAssociated) == "false" || s != memberRemoved {
			out.Members = append(out.Members, gdtypes.Member{AccountId: aws.String(id), RelationshipStatus: aws.String(s)})
		}
	}
	return out, nil
}

func (g *gdRegion) DisassociateMembers(_ context.Context, in *guardduty.DisassociateMembersInput, _ ...func(*guardduty.Options)) (*guardduty.DisassociateMembersOutput, error) {
	g.log.Add(CallDisassociateMembers + " " + g.region + " " + strings.Join(in.AccountIds, ","))
	for _, id := range in.AccountIds {
		g.members[id] = memberRemoved
	}
	return &guardduty.DisassociateMembersOutput{}, nil
}

func (g *gdRegion) DeleteMembers(_ context.Context, in *guardduty.DeleteMembersInput, _ ...func(*guardduty.Options)) (*guardduty.DeleteMembersOutput, error) {
	g.log.Add(CallDeleteMembers + " " + g.region + " " + strings.Join(in.AccountIds, ","))
	for _, id := range in.AccountIds {
		delete(g.members, id)
	}
	return &guardduty.DeleteMembersOutput{}, nil
}

// gdOrg is two regions of an organization orgbaseline set GuardDuty up in.
func gdOrg() (DisableDeps, map[string]*gdRegion, *fakeorg.Orgs, *fakeorg.Log) {
	log := &fakeorg.Log{}
	regions := map[string]*gdRegion{}
	for _, r := range []string{"us-east-1", "eu-west-1"} {
		regions[r] = &gdRegion{
			region: r, log: log, detector: "det-" + r, autoEnable: gdtypes.AutoEnableMembersAll,
			admins:  map[string]gdtypes.AdminStatus{fakeorg.Security: gdtypes.AdminStatusEnabled},
			members: map[string]string{"333333333333": "Enabled", "444444444444": "Removed", "555555555555": "Created"},
		}
	}
	orgs := fakeorg.New(log)
	for _, r := range regions {
		r.access = func() bool { return orgs.Access["guardduty.amazonaws.com"] }
	}
	orgs.Admins["guardduty.amazonaws.com"] = []string{fakeorg.Security}
	orgs.Access["guardduty.amazonaws.com"] = true
	orgs.Access["malware-protection.guardduty.amazonaws.com"] = true
	d := DisableDeps{
		Security:   func(r string) DisableAPI { return regions[r] },
		Management: func(r string) DisableAdminAPI { return regions[r] },
		Orgs:       orgs,
	}
	return d, regions, orgs, log
}

func tdConfig() settings.Config { return fakeorg.Config() }

var tdRegions = teardown.Options{Regions: []string{"us-east-1", "eu-west-1"}}

func TestDisableOrderPlanAndIdempotence(t *testing.T) {
	d, regions, orgs, log := gdOrg()
	ctx := context.Background()

	plan := tdRegions
	plan.Plan = true
	res := Disable(ctx, d, tdConfig(), plan)
	if got := log.Calls(); len(got) != 0 {
		t.Fatalf("plan called %v", got)
	}
	var planned int
	for _, o := range res.Outcomes {
		if o.Status == workflow.StatusPlanned {
			planned++
		}
		if o.Status == workflow.StatusFailed || o.Status == workflow.StatusChanged {
			t.Errorf("plan row %+v", o)
		}
	}
	// 2 regions x (security account, management account), the
	// administrator in Organizations, trusted access for two principals.
	if planned != 7 {
		t.Errorf("%d planned rows, want 7: %+v", planned, res.Outcomes)
	}

	res = Disable(ctx, d, tdConfig(), tdRegions)
	want := []string{
		CallUpdateOrganizationConfiguration + " us-east-1 NONE",
		CallDisassociateMembers + " us-east-1 333333333333",
		CallDeleteMembers + " us-east-1 333333333333,444444444444,555555555555",
		CallDisableAdmin + " us-east-1 " + fakeorg.Security,
		CallUpdateOrganizationConfiguration + " eu-west-1 NONE",
		CallDisassociateMembers + " eu-west-1 333333333333",
		CallDeleteMembers + " eu-west-1 333333333333,444444444444,555555555555",
		CallDisableAdmin + " eu-west-1 " + fakeorg.Security,
		"organizations:DeregisterDelegatedAdministrator " + fakeorg.Security + " guardduty.amazonaws.com",
		"organizations:DisableAWSServiceAccess guardduty.amazonaws.com",
		"organizations:DisableAWSServiceAccess malware-protection.guardduty.amazonaws.com",
	}
	if got := log.Calls(); !reflect.DeepEqual(got, want) {
		t.Errorf("calls\n got %q\nwant %q", got, want)
	}
	if !res.Changed {
		t.Error("apply did not report a change")
	}
	if len(regions["eu-west-1"].members) != 0 || len(orgs.Access) != 0 {
		t.Error("members or trusted access left")
	}
	if !strings.Contains(strings.Join(res.Warnings, "\n"), "bucket") {
		t.Errorf("warnings do not say the findings' bucket is kept: %q", res.Warnings)
	}

	res = Disable(ctx, d, tdConfig(), tdRegions)
	log.ExpectQuietRerun(t, res)
}

func TestDisableOtherAdministratorIsAConflict(t *testing.T) {
	d, regions, orgs, log := gdOrg()
	regions["eu-west-1"].admins = map[string]gdtypes.AdminStatus{fakeorg.Other: gdtypes.AdminStatusEnabled}

	res := Disable(context.Background(), d, tdConfig(), tdRegions)
	calls := log.Calls()
	for _, c := range calls {
		if strings.Contains(c, "eu-west-1") || strings.HasPrefix(c, "organizations:") {
			t.Errorf("call %q despite the other administrator", c)
		}
	}
	if len(calls) != 4 {
		t.Errorf("us-east-1 is its own: want its 4 calls, got %q", calls)
	}
	var conflict, skipped int
	for _, o := range res.Outcomes {
		switch {
		case o.Region == "eu-west-1" && o.Status == workflow.StatusFailed && strings.Contains(o.Reason, fakeorg.Other):
			conflict++
		case o.Region == workflow.RegionGlobal && o.Status == workflow.StatusSkipped:
			skipped++
		}
	}
	if conflict != 1 || skipped != 2 {
		t.Errorf("conflict rows %d (want 1), organization rows skipped %d (want 2): %+v", conflict, skipped, res.Outcomes)
	}
	if _, ok := regions["eu-west-1"].admins[fakeorg.Other]; !ok || !orgs.Access["guardduty.amazonaws.com"] {
		t.Error("the other administrator or trusted access was removed")
	}
}

func TestDisableWaitsForTheAdministratorsRemoval(t *testing.T) {
	d, regions, _, log := gdOrg()
	regions["eu-west-1"].slow = true
	ctx := context.Background()

	res := Disable(ctx, d, tdConfig(), tdRegions)
	for _, c := range log.Calls() {
		if strings.HasPrefix(c, "organizations:") {
			t.Errorf("%q while GuardDuty is still removing its administrator", c)
		}
	}
	var waiting int
	for _, o := range res.Outcomes {
		if o.Region == workflow.RegionGlobal && o.Status == workflow.StatusSkipped && strings.Contains(o.Reason, "run disable guardduty again") {
			waiting++
		}
	}
	if waiting != 2 {
		t.Errorf("%d organization rows wait, want 2: %+v", waiting, res.Outcomes)
	}

	res = Disable(ctx, d, tdConfig(), tdRegions)
	if got := log.Calls(); len(got) != 0 {
		t.Errorf("calls while the removal is in progress: %q", got)
	}

	delete(regions["eu-west-1"].admins, fakeorg.Security)
	Disable(ctx, d, tdConfig(), tdRegions)
	want := []string{
		"organizations:DeregisterDelegatedAdministrator " + fakeorg.Security + " guardduty.amazonaws.com",
		"organizations:DisableAWSServiceAccess guardduty.amazonaws.com",
		"organizations:DisableAWSServiceAccess malware-protection.guardduty.amazonaws.com",
	}
	if got := log.Calls(); !reflect.DeepEqual(got, want) {
		t.Errorf("once removed, calls %q\nwant %q", got, want)
	}
}
