package health

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/health"
	"github.com/aws/smithy-go"

	"github.com/orgbaseline/orgbaseline/shared/org/teardown"
	"github.com/orgbaseline/orgbaseline/shared/org/teardown/fakeorg"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// view is the organizational view. offWithAccess says whether disabling it
// also turns trusted access off.
type view struct {
	log           *fakeorg.Log
	orgs          *fakeorg.Orgs
	status        string
	offWithAccess bool
	subscription  bool
}

func (v *view) DescribeHealthServiceStatusForOrganization(context.Context, *health.DescribeHealthServiceStatusForOrganizationInput, ...func(*health.Options)) (*health.DescribeHealthServiceStatusForOrganizationOutput, error) {
	if v.subscription {
		return nil, &smithy.GenericAPIError{Code: "SubscriptionRequiredException", Message: "no plan"}
	}
	return &health.DescribeHealthServiceStatusForOrganizationOutput{HealthServiceAccessStatusForOrganization: aws.String(v.status)}, nil
}

func (v *view) DisableHealthServiceAccessForOrganization(context.Context, *health.DisableHealthServiceAccessForOrganizationInput, ...func(*health.Options)) (*health.DisableHealthServiceAccessForOrganizationOutput, error) {
	v.log.Add(CallDisableView)
	v.status = statusDisabled
	if v.offWithAccess {
		delete(v.orgs.Access, Principal)
	}
	return &health.DisableHealthServiceAccessForOrganizationOutput{}, nil
}

func healthOrg(offWithAccess bool) (DisableDeps, *view, *fakeorg.Orgs, *fakeorg.Log) {
	log := &fakeorg.Log{}
	orgs := fakeorg.New(log)
	orgs.Admins[Principal] = []string{fakeorg.Security}
	orgs.Access[Principal] = true
	v := &view{log: log, orgs: orgs, status: statusEnabled, offWithAccess: offWithAccess}
	return DisableDeps{Health: v, Orgs: orgs}, v, orgs, log
}

func tdConfig() settings.Config { return fakeorg.Config() }

func TestDisableOrderPlanAndIdempotence(t *testing.T) {
	for _, offWithAccess := range []bool{true, false} {
		d, _, orgs, log := healthOrg(offWithAccess)
		ctx := context.Background()

		res := Disable(ctx, d, tdConfig(), teardown.Options{Plan: true})
		if got := log.Calls(); len(got) != 0 {
			t.Fatalf("plan called %v", got)
		}
		wantPlan := []workflow.Action{{Call: teardown.CallDeregister, Target: fakeorg.Security + " for " + Principal}, {Call: CallDisableView, Target: "organization"}}
		if o := res.Outcomes[0]; o.Status != workflow.StatusPlanned || !reflect.DeepEqual(o.Actions, wantPlan) {
			t.Errorf("plan row %+v", o)
		}

		Disable(ctx, d, tdConfig(), teardown.Options{})
		want := []string{"organizations:DeregisterDelegatedAdministrator " + fakeorg.Security + " " + Principal, CallDisableView}
		if !offWithAccess {
			want = append(want, "organizations:DisableAWSServiceAccess "+Principal)
		}
		if got := log.Calls(); !reflect.DeepEqual(got, want) {
			t.Errorf("view takes access off %v: calls %q, want %q", offWithAccess, got, want)
		}
		if orgs.Access[Principal] {
			t.Error("trusted access left on")
		}

		res = Disable(ctx, d, tdConfig(), teardown.Options{})
		log.ExpectQuietRerun(t, res)
	}
}

func TestDisableOtherAdministratorKeepsTheView(t *testing.T) {
	d, v, orgs, log := healthOrg(true)
	orgs.Admins[Principal] = []string{fakeorg.Security, fakeorg.Other}
	res := Disable(context.Background(), d, tdConfig(), teardown.Options{})
	want := []string{"organizations:DeregisterDelegatedAdministrator " + fakeorg.Security + " " + Principal}
	if got := log.Calls(); !reflect.DeepEqual(got, want) {
		t.Errorf("calls %q, want %q (orgbaseline's own registration only)", got, want)
	}
	if o := res.Outcomes[0]; o.Status != workflow.StatusFailed || !strings.Contains(o.Reason, fakeorg.Other) {
		t.Errorf("row %+v", o)
	}
	if v.status != statusEnabled || !reflect.DeepEqual(orgs.Admins[Principal], []string{fakeorg.Other}) {
		t.Errorf("view %s, administrators %v", v.status, orgs.Admins[Principal])
	}
}

func TestDisableWithoutSupportPlanIsSkipped(t *testing.T) {
	d, v, orgs, log := healthOrg(true)
	orgs.Admins[Principal] = nil
	v.subscription = true
	res := Disable(context.Background(), d, tdConfig(), teardown.Options{})
	if got := log.Calls(); len(got) != 0 {
		t.Errorf("calls %v", got)
	}
	if o := res.Outcomes[0]; o.Status != workflow.StatusSkipped || o.Reason != SubscriptionReason {
		t.Errorf("row %+v", o)
	}
}
