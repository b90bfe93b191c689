package accessanalyzer

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"

	"github.com/orgbaseline/orgbaseline/shared/org/teardown"
	"github.com/orgbaseline/orgbaseline/shared/org/teardown/fakeorg"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

const tdMember = "333333333333"

// analyzers is IAM Access Analyzer in one account and region: name to type.
type analyzers struct {
	where string
	log   *fakeorg.Log
	by    map[string]types.Type
	err   error
}

func (a *analyzers) ListAnalyzers(_ context.Context, in *accessanalyzer.ListAnalyzersInput, _ ...func(*accessanalyzer.Options)) (*accessanalyzer.ListAnalyzersOutput, error) {
	if a.err != nil {
		return nil, a.err
	}
	out := &accessanalyzer.ListAnalyzersOutput{}
	for name, kind := range a.by {
		if kind == in.Type {
			out.Analyzers = append(out.Analyzers, types.AnalyzerSummary{Name: aws.String(name), Type: kind, Status: types.AnalyzerStatusActive})
		}
	}
	return out, nil
}

func (a *analyzers) DeleteAnalyzer(_ context.Context, in *accessanalyzer.DeleteAnalyzerInput, _ ...func(*accessanalyzer.Options)) (*accessanalyzer.DeleteAnalyzerOutput, error) {
	a.log.Add(CallDelete + " " + a.where + " " + aws.ToString(in.AnalyzerName))
	delete(a.by, aws.ToString(in.AnalyzerName))
	return &accessanalyzer.DeleteAnalyzerOutput{}, nil
}

var tdRegionNames = []string{"us-east-1", "eu-west-1"}

func aaOrg() (DisableDeps, map[string]*analyzers, *fakeorg.Orgs, *fakeorg.Log) {
	log := &fakeorg.Log{}
	orgs := fakeorg.New(log)
	orgs.Members = []string{fakeorg.Management, fakeorg.Security, tdMember}
	orgs.Admins[Principal] = []string{fakeorg.Security}
	orgs.Access[Principal] = true
	by := map[string]*analyzers{}
	for _, acct := range orgs.Members {
		for _, r := range tdRegionNames {
			a := &analyzers{where: acct + "/" + r, log: log, by: map[string]types.Type{AccountAnalyzer: types.TypeAccount}}
			if acct == tdMember {
				a.by["someone-elses"] = types.TypeAccount
			}
			if acct == fakeorg.Security {
				a.by[OrganizationAnalyzer] = types.TypeOrganization
				a.by[UnusedAccessAnalyzer] = types.TypeOrganizationUnusedAccess
			}
			by[a.where] = a
		}
	}
	return DisableDeps{
		In:   func(acct, region string) DeleteAPI { return by[acct+"/"+region] },
		Orgs: orgs, Accounts: orgs,
	}, by, orgs, log
}

func tdConfig() settings.Config { return fakeorg.Config() }

func TestDisableOrderPlanAndIdempotence(t *testing.T) {
	d, by, orgs, log := aaOrg()
	ctx := context.Background()

	res := Disable(ctx, d, tdConfig(), teardown.Options{Regions: tdRegionNames, Plan: true})
	if got := log.Calls(); len(got) != 0 {
		t.Fatalf("plan called %v", got)
	}
	var planned int
	for _, o := range res.Outcomes {
		planned += len(o.Actions)
		if len(o.Actions) > 0 && o.Status != workflow.StatusPlanned {
			t.Errorf("plan row %+v", o)
		}
	}
	// 3 accounts x 2 regions, 2 organization analyzers x 2 regions, the
	// registration, trusted access.
	if planned != 12 {
		t.Errorf("%d planned actions, want 12", planned)
	}

	Disable(ctx, d, tdConfig(), teardown.Options{Regions: tdRegionNames})
	want := []string{
		CallDelete + " 111111111111/us-east-1 " + AccountAnalyzer,
		CallDelete + " 111111111111/eu-west-1 " + AccountAnalyzer,
		CallDelete + " 222222222222/us-east-1 " + AccountAnalyzer,
		CallDelete + " 222222222222/eu-west-1 " + AccountAnalyzer,
		CallDelete + " 333333333333/us-east-1 " + AccountAnalyzer,
		CallDelete + " 333333333333/eu-west-1 " + AccountAnalyzer,
		CallDelete + " 222222222222/us-east-1 " + OrganizationAnalyzer,
		CallDelete + " 222222222222/us-east-1 " + UnusedAccessAnalyzer,
		CallDelete + " 222222222222/eu-west-1 " + OrganizationAnalyzer,
		CallDelete + " 222222222222/eu-west-1 " + UnusedAccessAnalyzer,
		"organizations:DeregisterDelegatedAdministrator " + fakeorg.Security + " " + Principal,
		"organizations:DisableAWSServiceAccess " + Principal,
	}
	if got := log.Calls(); !reflect.DeepEqual(got, want) {
		t.Errorf("calls\n got %q\nwant %q", got, want)
	}
	if _, ok := by[tdMember+"/eu-west-1"].by["someone-elses"]; !ok || len(orgs.Access) != 0 {
		t.Error("another's analyzer was deleted, or trusted access is left")
	}

	res = Disable(ctx, d, tdConfig(), teardown.Options{Regions: tdRegionNames})
	log.ExpectQuietRerun(t, res)
}

func TestDisableOtherAdministratorTouchesNothing(t *testing.T) {
	d, by, orgs, log := aaOrg()
	orgs.Admins[Principal] = []string{fakeorg.Other}
	res := Disable(context.Background(), d, tdConfig(), teardown.Options{Regions: tdRegionNames})
	if got := log.Calls(); len(got) != 0 {
		t.Errorf("calls despite another administrator: %v", got)
	}
	if len(res.Outcomes) != 1 || res.Outcomes[0].Status != workflow.StatusFailed || !strings.Contains(res.Outcomes[0].Reason, fakeorg.Other) {
		t.Errorf("rows %+v", res.Outcomes)
	}
	if len(by[fakeorg.Security+"/us-east-1"].by) != 3 {
		t.Error("analyzers were deleted")
	}
}

func TestDisableOneAccountsFailureIsItsRow(t *testing.T) {
	d, _, _, log := aaOrg()
	d0 := d.In
	d.In = func(acct, region string) DeleteAPI {
		a := d0(acct, region).(*analyzers)
		if acct == tdMember && region == "eu-west-1" {
			a.err = errors.New("AccessDenied: no role")
		}
		return a
	}
	res := Disable(context.Background(), d, tdConfig(), teardown.Options{Regions: tdRegionNames})
	var failed []workflow.Outcome
	for _, o := range res.Outcomes {
		if o.Status == workflow.StatusFailed {
			failed = append(failed, o)
		}
	}
	if len(failed) != 1 || failed[0].Account != tdMember || failed[0].Region != "eu-west-1" || !strings.Contains(failed[0].Reason, "no role") {
		t.Errorf("failed rows %+v", failed)
	}
	if got := log.Calls(); len(got) != 11 {
		t.Errorf("the other accounts and the organization's parts go on: %d calls, want 11: %q", len(got), got)
	}
}

func TestDisableLeavesExcludedAccounts(t *testing.T) {
	d, by, _, log := aaOrg()
	why := settings.ScopeReason + " (scope.excludeAccounts)"
	res := Disable(context.Background(), d, tdConfig(), teardown.Options{Regions: tdRegionNames, Excluded: map[string]string{tdMember: why}})
	for _, c := range log.Calls() {
		if strings.Contains(c, tdMember+"/") {
			t.Errorf("call %q in the excluded account", c)
		}
	}
	for _, r := range tdRegionNames {
		if _, ok := by[tdMember+"/"+r].by[AccountAnalyzer]; !ok {
			t.Errorf("the excluded account's analyzer in %s was deleted", r)
		}
		if _, ok := by[fakeorg.Management+"/"+r].by[AccountAnalyzer]; ok {
			t.Errorf("the management account's analyzer in %s was left", r)
		}
	}
	rows := 0
	for _, o := range res.Outcomes {
		if o.Account == tdMember {
			rows++
			if o.Status != workflow.StatusSkipped || !strings.HasPrefix(o.Reason, why) {
				t.Errorf("excluded account row %+v", o)
			}
		}
	}
	if rows != 1 {
		t.Errorf("%d rows for the excluded account, want 1", rows)
	}
}
