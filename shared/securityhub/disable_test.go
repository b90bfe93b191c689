package securityhub

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/orgbaseline/orgbaseline/shared/org/teardown"
	"github.com/orgbaseline/orgbaseline/shared/org/teardown/fakeorg"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// hubAdmins is one region's Security Hub administrators, as the
// management account lists them; they follow the Organizations
// registration, as AWS documents for its removal.
type hubAdmins struct {
	orgs  *fakeorg.Orgs
	other string
}

func (h hubAdmins) ListOrganizationAdminAccounts(context.Context, *securityhub.ListOrganizationAdminAccountsInput, ...func(*securityhub.Options)) (*securityhub.ListOrganizationAdminAccountsOutput, error) {
	out := &securityhub.ListOrganizationAdminAccountsOutput{}
	ids := h.orgs.Admins[Principal]
	if h.other != "" {
		ids = []string{h.other}
	}
	for _, id := range ids {
		out.AdminAccounts = append(out.AdminAccounts, shtypes.AdminAccount{AccountId: aws.String(id), Status: shtypes.AdminStatusEnabled})
	}
	return out, nil
}

func hubOrg(otherIn string) (DisableDeps, *fakeorg.Orgs, *fakeorg.Log) {
	log := &fakeorg.Log{}
	orgs := fakeorg.New(log)
	orgs.Admins[Principal] = []string{fakeorg.Security}
	orgs.Access[Principal] = true
	return DisableDeps{
		Admins: func(region string) securityhub.ListOrganizationAdminAccountsAPIClient {
			if region == otherIn {
				return hubAdmins{orgs: orgs, other: fakeorg.Other}
			}
			return hubAdmins{orgs: orgs}
		},
		Orgs: orgs,
	}, orgs, log
}

func tdConfig() settings.Config { return fakeorg.Config() }

func TestDisableOrderPlanAndIdempotence(t *testing.T) {
	d, orgs, log := hubOrg("")
	ctx := context.Background()
	opts := teardown.Options{Regions: []string{"us-east-1", "eu-west-1"}, Plan: true}

	res := Disable(ctx, d, tdConfig(), opts)
	if got := log.Calls(); len(got) != 0 {
		t.Fatalf("plan called %v", got)
	}
	var planned []workflow.Action
	for _, o := range res.Outcomes {
		if o.Status == workflow.StatusPlanned {
			planned = append(planned, o.Actions...)
		}
	}
	wantPlan := []workflow.Action{
		{Call: teardown.CallDeregister, Target: fakeorg.Security + " for " + Principal},
		{Call: teardown.CallDisableAccess, Target: Principal},
	}
	if !reflect.DeepEqual(planned, wantPlan) {
		t.Errorf("planned %v, want %v", planned, wantPlan)
	}

	opts.Plan = false
	res = Disable(ctx, d, tdConfig(), opts)
	want := []string{
		"organizations:DeregisterDelegatedAdministrator " + fakeorg.Security + " " + Principal,
		"organizations:DisableAWSServiceAccess " + Principal,
	}
	if got := log.Calls(); !reflect.DeepEqual(got, want) {
		t.Errorf("calls %q, want %q", got, want)
	}
	if !res.Changed || len(orgs.Access) != 0 {
		t.Errorf("changed %v, trusted access %v", res.Changed, orgs.Access)
	}
	if !strings.Contains(strings.Join(res.Warnings, "\n"), "finding aggregator is kept") {
		t.Errorf("warnings %q", res.Warnings)
	}

	res = Disable(ctx, d, tdConfig(), opts)
	log.ExpectQuietRerun(t, res)
}

func TestDisableOtherAdministratorIsAConflict(t *testing.T) {
	d, orgs, log := hubOrg("eu-west-1")
	res := Disable(context.Background(), d, tdConfig(), teardown.Options{Regions: []string{"us-east-1", "eu-west-1"}})
	if got := log.Calls(); len(got) != 0 {
		t.Errorf("calls despite another administrator: %v", got)
	}
	var failed, skipped int
	for _, o := range res.Outcomes {
		switch {
		case o.Status == workflow.StatusFailed && o.Region == "eu-west-1" && strings.Contains(o.Reason, fakeorg.Other):
			failed++
		case o.Status == workflow.StatusSkipped && o.Region == workflow.RegionGlobal:
			skipped++
		}
	}
	if failed != 1 || skipped != 1 {
		t.Errorf("failed %d (want 1), skipped %d (want 1): %+v", failed, skipped, res.Outcomes)
	}
	if len(orgs.Admins[Principal]) != 1 || !orgs.Access[Principal] {
		t.Error("the registration or trusted access was touched")
	}
}
