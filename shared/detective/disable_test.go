package detective

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/detective"
	dtypes "github.com/aws/aws-sdk-go-v2/service/detective/types"

	"github.com/orgbaseline/orgbaseline/shared/org/teardown"
	"github.com/orgbaseline/orgbaseline/shared/org/teardown/fakeorg"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// dtRegion is one region's Detective: the administrator (management
// account's view) and the security account's own graph.
type dtRegion struct {
	region  string
	log     *fakeorg.Log
	admin   string
	graph   string
	members []string
}

func (r *dtRegion) ListOrganizationAdminAccounts(context.Context, *detective.ListOrganizationAdminAccountsInput, ...func(*detective.Options)) (*detective.ListOrganizationAdminAccountsOutput, error) {
	out := &detective.ListOrganizationAdminAccountsOutput{}
	if r.admin != "" {
		out.Administrators = []dtypes.Administrator{{AccountId: aws.String(r.admin)}}
	}
	return out, nil
}

func (r *dtRegion) DisableOrganizationAdminAccount(context.Context, *detective.DisableOrganizationAdminAccountInput, ...func(*detective.Options)) (*detective.DisableOrganizationAdminAccountOutput, error) {
	r.log.Add(CallDisableAdmin + " " + r.region)
	r.admin = ""
	return &detective.DisableOrganizationAdminAccountOutput{}, nil
}

func (r *dtRegion) ListGraphs(context.Context, *detective.ListGraphsInput, ...func(*detective.Options)) (*detective.ListGraphsOutput, error) {
	out := &detective.ListGraphsOutput{}
	if r.graph != "" {
		out.GraphList = []dtypes.Graph{{Arn: aws.String(r.graph)}}
	}
	return out, nil
}

func (r *dtRegion) ListMembers(context.Context, *detective.ListMembersInput, ...func(*detective.Options)) (*detective.ListMembersOutput, error) {
	out := &detective.ListMembersOutput{}
	for _, id := range r.members {
		out.MemberDetails = append(out.MemberDetails, dtypes.MemberDetail{AccountId: aws.String(id)})
	}
	return out, nil
}

func (r *dtRegion) DeleteMembers(_ context.Context, in *detective.DeleteMembersInput, _ ...func(*detective.Options)) (*detective.DeleteMembersOutput, error) {
	r.log.Add(CallDeleteMembers + " " + r.region + " " + strings.Join(in.AccountIds, ","))
	for _, id := range in.AccountIds {
		r.members = removeID(r.members, id)
	}
	return &detective.DeleteMembersOutput{}, nil
}

func removeID(ids []string, id string) []string {
	var out []string
	for _, s := range ids {
		if s != id {
			out = append(out, s)
		}
	}
	return out
}

var tdRegionNames = []string{"us-east-1", "eu-west-1"}

func dtOrg(admin string) (DisableDeps, map[string]*dtRegion, *fakeorg.Orgs, *fakeorg.Log) {
	log := &fakeorg.Log{}
	regions := map[string]*dtRegion{}
	for _, r := range tdRegionNames {
		regions[r] = &dtRegion{region: r, log: log, admin: admin}
	}
	orgs := fakeorg.New(log)
	orgs.Access[Principal] = true
	orgs.Members = []string{fakeorg.Management, fakeorg.Security, "333333333333", "444444444444"}
	return DisableDeps{
		Management: func(r string) DisableAdminAPI { return regions[r] },
		Security:   func(r string) DisableGraphAPI { return regions[r] },
		Orgs:       orgs, Accounts: orgs,
	}, regions, orgs, log
}

func tdConfig(mode string) settings.Config {
	c := fakeorg.Config()
	c.Services.Detective.Mode = mode
	return c
}

func TestDisableOrganizationMode(t *testing.T) {
	d, _, orgs, log := dtOrg(fakeorg.Security)
	orgs.Admins[Principal] = []string{fakeorg.Security}
	ctx := context.Background()
	cfg := tdConfig(settings.DetectiveOrganization)

	res := Disable(ctx, d, cfg, teardown.Options{Regions: tdRegionNames, Plan: true})
	if got := log.Calls(); len(got) != 0 {
		t.Fatalf("plan called %v", got)
	}
	var planned int
	for _, o := range res.Outcomes {
		if o.Status == workflow.StatusPlanned {
			planned++
		}
	}
	if planned != 4 {
		t.Errorf("%d planned rows, want 4 (2 regions, the registration, trusted access): %+v", planned, res.Outcomes)
	}

	Disable(ctx, d, cfg, teardown.Options{Regions: tdRegionNames})
	want := []string{
		CallDisableAdmin + " us-east-1",
		CallDisableAdmin + " eu-west-1",
		"organizations:DeregisterDelegatedAdministrator " + fakeorg.Security + " " + Principal,
		"organizations:DisableAWSServiceAccess " + Principal,
	}
	if got := log.Calls(); !reflect.DeepEqual(got, want) {
		t.Errorf("calls %q\nwant %q", got, want)
	}

	res = Disable(ctx, d, cfg, teardown.Options{Regions: tdRegionNames})
	log.ExpectQuietRerun(t, res)
}

func TestDisableOtherAdministratorIsAConflict(t *testing.T) {
	d, regions, orgs, log := dtOrg(fakeorg.Other)
	orgs.Admins[Principal] = []string{fakeorg.Other}
	res := Disable(context.Background(), d, tdConfig(settings.DetectiveOrganization), teardown.Options{Regions: tdRegionNames})
	if got := log.Calls(); len(got) != 0 {
		t.Errorf("calls despite another administrator: %v", got)
	}
	var failed int
	for _, o := range res.Outcomes {
		if o.Status == workflow.StatusFailed && strings.Contains(o.Reason, fakeorg.Other) {
			failed++
		}
	}
	if failed != 2 || regions["us-east-1"].admin != fakeorg.Other || !orgs.Access[Principal] {
		t.Errorf("failed rows %d (want 2), admin %q, access %v: %+v", failed, regions["us-east-1"].admin, orgs.Access, res.Outcomes)
	}
}

func TestDisableInvitationModeRemovesTheOrganizationsMembersOnly(t *testing.T) {
	d, regions, _, log := dtOrg("")
	for _, r := range regions {
		r.graph = "arn:aws:detective:" + r.region + ":" + fakeorg.Security + ":graph:abc"
		r.members = []string{"333333333333", "444444444444", "555555555555"}
	}
	cfg := tdConfig(settings.DetectiveInvitation)
	res := Disable(context.Background(), d, cfg, teardown.Options{Regions: tdRegionNames})
	want := []string{
		CallDeleteMembers + " us-east-1 333333333333,444444444444",
		CallDeleteMembers + " eu-west-1 333333333333,444444444444",
		"organizations:DisableAWSServiceAccess " + Principal,
	}
	if got := log.Calls(); !reflect.DeepEqual(got, want) {
		t.Errorf("calls %q\nwant %q", got, want)
	}
	if m := regions["eu-west-1"].members; !reflect.DeepEqual(m, []string{"555555555555"}) {
		t.Errorf("members left %v: the account outside the organization is not orgbaseline's", m)
	}
	if !strings.Contains(strings.Join(res.Warnings, "\n"), "behavior graph is kept") {
		t.Errorf("warnings %q", res.Warnings)
	}
	Disable(context.Background(), d, cfg, teardown.Options{Regions: tdRegionNames})
	if got := log.Calls(); len(got) != 0 {
		t.Errorf("second run called %v", got)
	}
}
