package orgtrail

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/orgbaseline/orgbaseline/shared/org/teardown"
	"github.com/orgbaseline/orgbaseline/shared/org/teardown/fakeorg"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

const (
	disMgmt     = "111111111111"
	disSecurity = "222222222222"
	disOther    = "999999999999"
)

// disTrails is CloudTrail as the managing account sees it in the home
// region, and the management account's delegated administrator call.
type disTrails struct {
	log    *fakeorg.Log
	orgs   *fakeorg.Orgs
	trails []cttypes.Trail
}

func (f *disTrails) DescribeTrails(_ context.Context, in *cloudtrail.DescribeTrailsInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.DescribeTrailsOutput, error) {
	return &cloudtrail.DescribeTrailsOutput{TrailList: f.trails}, nil
}

func (f *disTrails) DeleteTrail(_ context.Context, in *cloudtrail.DeleteTrailInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.DeleteTrailOutput, error) {
	f.log.Add(CallDeleteTrail + " " + aws.ToString(in.Name))
	f.trails = slices.DeleteFunc(f.trails, func(t cttypes.Trail) bool {
		return aws.ToString(t.Name) == aws.ToString(in.Name) || aws.ToString(t.TrailARN) == aws.ToString(in.Name)
	})
	return &cloudtrail.DeleteTrailOutput{}, nil
}

func (f *disTrails) DeregisterOrganizationDelegatedAdmin(_ context.Context, in *cloudtrail.DeregisterOrganizationDelegatedAdminInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.DeregisterOrganizationDelegatedAdminOutput, error) {
	f.log.Add(CallDeregisterAdmin + " " + aws.ToString(in.DelegatedAdminAccountId))
	f.orgs.Admins[cloudTrailPrincipal] = nil
	return &cloudtrail.DeregisterOrganizationDelegatedAdminOutput{}, nil
}

func disCfg() settings.Config {
	var c settings.Config
	c.Accounts.Management, c.Accounts.Security, c.Accounts.LogArchive, c.HomeRegion = disMgmt, disSecurity, "444444444444", "us-east-1"
	c.Services.CloudTrail.TrailName = "orgbaseline"
	return c
}

func disTrail(home string) cttypes.Trail {
	return cttypes.Trail{Name: aws.String("orgbaseline"), HomeRegion: aws.String(home), TrailARN: aws.String("arn:aws:cloudtrail:" + home + ":" + disMgmt + ":trail/orgbaseline")}
}

func disOrg() (DisableDeps, *disTrails, *fakeorg.Orgs, *fakeorg.Log) {
	log := &fakeorg.Log{}
	orgs := fakeorg.New(log)
	orgs.Admins[cloudTrailPrincipal] = []string{disSecurity}
	orgs.Access[cloudTrailPrincipal] = true
	f := &disTrails{log: log, orgs: orgs, trails: []cttypes.Trail{disTrail("us-east-1")}}
	return DisableDeps{Trail: f, Admin: f, Orgs: orgs}, f, orgs, log
}

func TestDisableTrailOrderPlanAndIdempotence(t *testing.T) {
	d, f, orgs, log := disOrg()
	ctx := context.Background()

	res := Disable(ctx, d, disCfg(), teardown.Options{Plan: true})
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
		{Call: CallDeleteTrail, Target: "orgbaseline"},
		{Call: CallDeregisterAdmin, Target: disSecurity + " for " + cloudTrailPrincipal},
		{Call: teardown.CallDisableAccess, Target: cloudTrailPrincipal},
	}
	if !reflect.DeepEqual(planned, wantPlan) {
		t.Errorf("planned %v\nwant %v", planned, wantPlan)
	}

	res = Disable(ctx, d, disCfg(), teardown.Options{})
	want := []string{CallDeleteTrail + " orgbaseline", CallDeregisterAdmin + " " + disSecurity, "organizations:DisableAWSServiceAccess " + cloudTrailPrincipal}
	if got := log.Calls(); !reflect.DeepEqual(got, want) {
		t.Errorf("calls %q\nwant %q", got, want)
	}
	if len(f.trails) != 0 || len(orgs.Access) != 0 {
		t.Error("trail or trusted access left")
	}
	if w := strings.Join(res.Warnings, "\n"); !strings.Contains(w, BucketName(disCfg())) || !strings.Contains(w, KeyAlias) {
		t.Errorf("warnings do not say the bucket and key are kept: %q", res.Warnings)
	}

	res = Disable(ctx, d, disCfg(), teardown.Options{})
	log.ExpectQuietRerun(t, res)
}

func TestDisableTrailConflicts(t *testing.T) {
	t.Run("trail homed elsewhere", func(t *testing.T) {
		d, f, _, log := disOrg()
		f.trails = []cttypes.Trail{disTrail("eu-west-1")}
		res := Disable(context.Background(), d, disCfg(), teardown.Options{})
		if got := log.Calls(); len(got) != 0 {
			t.Errorf("calls %v", got)
		}
		if o := res.Outcomes[0]; o.Status != workflow.StatusFailed || !strings.Contains(o.Reason, "eu-west-1") {
			t.Errorf("row %+v", o)
		}
	})
	t.Run("another delegated administrator", func(t *testing.T) {
		d, _, orgs, log := disOrg()
		orgs.Admins[cloudTrailPrincipal] = []string{disOther}
		res := Disable(context.Background(), d, disCfg(), teardown.Options{})
		if got := log.Calls(); !reflect.DeepEqual(got, []string{CallDeleteTrail + " orgbaseline"}) {
			t.Errorf("calls %q: only orgbaseline's trail goes", got)
		}
		if o := res.Outcomes[1]; o.Status != workflow.StatusFailed || !strings.Contains(o.Reason, disOther) {
			t.Errorf("row %+v", o)
		}
		if !orgs.Access[cloudTrailPrincipal] || orgs.Admins[cloudTrailPrincipal][0] != disOther {
			t.Error("the other administrator or trusted access was touched")
		}
	})
}

func TestDisableTrailLeavesTrustedAccessForAnotherOrganizationTrail(t *testing.T) {
	d, f, orgs, log := disOrg()
	ct := controlTowerTrailOf()
	f.trails = append(f.trails, ct)
	res := Disable(context.Background(), d, disCfg(), teardown.Options{})
	want := []string{CallDeleteTrail + " orgbaseline", CallDeregisterAdmin + " " + disSecurity}
	if got := log.Calls(); !reflect.DeepEqual(got, want) {
		t.Errorf("calls %q\nwant %q", got, want)
	}
	if !orgs.Access[cloudTrailPrincipal] {
		t.Error("trusted access was turned off under Control Tower's organization trail")
	}
	last := res.Outcomes[len(res.Outcomes)-1]
	if last.Status != workflow.StatusSkipped || !strings.Contains(last.Reason, aws.ToString(ct.Name)) {
		t.Errorf("trusted access row %+v", last)
	}
}
