package accessanalyzer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"
	"github.com/aws/smithy-go"

	"github.com/orgbaseline/orgbaseline/shared/local/awstest"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

const (
	mgmt     = "111111111111"
	security = "222222222222"
	member   = "444444444444"
)

// fakeAnalyzers is IAM Access Analyzer in one account and region, behind
// API: its analyzers, listed one per page, an error per operation once,
// and the mutating calls.
type fakeAnalyzers struct {
	mu        sync.Mutex
	analyzers []types.AnalyzerSummary
	errs      map[string]error
	calls     []string
	// sneak is an analyzer another run makes just before CreateAnalyzer.
	sneak *types.AnalyzerSummary
	// oneAccountAnalyzer: a member account, with room for one ACCOUNT
	// analyzer in the region.
	oneAccountAnalyzer bool
}

func (f *fakeAnalyzers) injected(op string) error {
	if e, ok := f.errs[op]; ok {
		delete(f.errs, op)
		return e
	}
	return nil
}

func (f *fakeAnalyzers) ListAnalyzers(ctx context.Context, in *accessanalyzer.ListAnalyzersInput, _ ...func(*accessanalyzer.Options)) (*accessanalyzer.ListAnalyzersOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.injected("List"); err != nil {
		return nil, err
	}
	var of []types.AnalyzerSummary
	for _, a := range f.analyzers {
		if in.Type == "" || a.Type == in.Type {
			of = append(of, a)
		}
	}
	i := 0
	if in.NextToken != nil {
		i = len(*in.NextToken)
	}
	out := &accessanalyzer.ListAnalyzersOutput{}
	if i < len(of) {
		out.Analyzers = of[i : i+1]
		if i+1 < len(of) {
			out.NextToken = aws.String(strings.Repeat("x", i+1))
		}
	}
	return out, nil
}

func (f *fakeAnalyzers) CreateAnalyzer(ctx context.Context, in *accessanalyzer.CreateAnalyzerInput, _ ...func(*accessanalyzer.Options)) (*accessanalyzer.CreateAnalyzerOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("Create %s %s %d", aws.ToString(in.AnalyzerName), in.Type, age(types.AnalyzerSummary{Configuration: in.Configuration})))
	if f.sneak != nil {
		f.analyzers = append(f.analyzers, *f.sneak)
		f.sneak = nil
		return nil, &types.ConflictException{Message: aws.String("exists")}
	}
	if err := f.injected("Create"); err != nil {
		return nil, err
	}
	for _, a := range f.analyzers {
		if aws.ToString(a.Name) == aws.ToString(in.AnalyzerName) {
			return nil, &types.ConflictException{Message: aws.String("exists")}
		}
		if f.oneAccountAnalyzer && in.Type == types.TypeAccount && a.Type == types.TypeAccount {
			return nil, &types.ServiceQuotaExceededException{Message: aws.String("one analyzer with the account as zone of trust")}
		}
	}
	a := analyzer(aws.ToString(in.AnalyzerName), in.Type, types.AnalyzerStatusActive, 0)
	a.Configuration = in.Configuration
	f.analyzers = append(f.analyzers, a)
	return &accessanalyzer.CreateAnalyzerOutput{Arn: aws.String("arn")}, nil
}

func (f *fakeAnalyzers) UpdateAnalyzer(ctx context.Context, in *accessanalyzer.UpdateAnalyzerInput, _ ...func(*accessanalyzer.Options)) (*accessanalyzer.UpdateAnalyzerOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	days := age(types.AnalyzerSummary{Configuration: in.Configuration})
	f.calls = append(f.calls, fmt.Sprintf("Update %s %d", aws.ToString(in.AnalyzerName), days))
	for i, a := range f.analyzers {
		if aws.ToString(a.Name) == aws.ToString(in.AnalyzerName) {
			f.analyzers[i].Configuration = in.Configuration
			return &accessanalyzer.UpdateAnalyzerOutput{}, nil
		}
	}
	return nil, &types.ResourceNotFoundException{Message: aws.String("no analyzer")}
}

func analyzer(name string, kind types.Type, status types.AnalyzerStatus, days int32) types.AnalyzerSummary {
	a := types.AnalyzerSummary{Name: aws.String(name), Type: kind, Status: status}
	if days > 0 {
		a.Configuration = unusedAccess(days, nil, nil)
	}
	return a
}

func config(t *testing.T, extra string) settings.Config {
	t.Helper()
	c, err := settings.Load("t.yaml", strings.NewReader(`
accounts: {management: "111111111111", security: "222222222222", logArchive: "333333333333"}
organizationId: o-abcdef1234
homeRegion: us-east-1
regions: [us-east-1, eu-west-1]
`+extra))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func orgItem(mode workflow.Mode, region string) workflow.Item {
	return workflow.Item{Input: workflow.Input{Mode: mode}, Region: region}
}

func actions(res workflow.StepResult) []string {
	var out []string
	for _, o := range res.Outcomes {
		for _, a := range o.Actions {
			out = append(out, a.String())
		}
	}
	return out
}

func TestOrgAnalyzersPlanApplyRerun(t *testing.T) {
	cfg := config(t, "services: {accessanalyzer: {unusedAccess: {enabled: true, ageDays: 60}}}")
	f := &fakeAnalyzers{errs: map[string]error{}}
	res, err := ConfigureOrg(context.Background(), f, cfg, orgItem(workflow.ModePlan, "eu-west-1"), quiet)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.calls) > 0 || len(actions(res)) != 2 || res.Outcomes[0].Status != workflow.StatusPlanned {
		t.Fatalf("plan: calls %v, result %+v", f.calls, res)
	}
	if res, err = ConfigureOrg(context.Background(), f, cfg, orgItem(workflow.ModeApply, "eu-west-1"), quiet); err != nil {
		t.Fatal(err)
	}
	want := []string{"Create orgbaseline-organization ORGANIZATION 0", "Create orgbaseline-unused-access ORGANIZATION_UNUSED_ACCESS 60"}
	if !slices.Equal(f.calls, want) || !res.Changed {
		t.Fatalf("apply: calls %v, want %v (changed %v)", f.calls, want, res.Changed)
	}
	o := res.Outcomes[0]
	if o.Account != security || o.Region != "eu-west-1" || o.Service != settings.ServiceAccessAnalyzer || o.Status != workflow.StatusChanged {
		t.Fatalf("row %+v", o)
	}
	f.calls = nil
	if res, err = ConfigureOrg(context.Background(), f, cfg, orgItem(workflow.ModeApply, "eu-west-1"), quiet); err != nil {
		t.Fatal(err)
	}
	if len(f.calls) > 0 || res.Changed || res.Outcomes[0].Status != workflow.StatusUnchanged {
		t.Fatalf("re-run: calls %v, result %+v", f.calls, res)
	}

	// A new age is put on orgbaseline's analyzer.
	cfg.Services.AccessAnalyzer.UnusedAccess.AgeDays = 120
	if res, err = ConfigureOrg(context.Background(), f, cfg, orgItem(workflow.ModeApply, "eu-west-1"), quiet); err != nil {
		t.Fatal(err)
	}
	if want := []string{"Update orgbaseline-unused-access 120"}; !slices.Equal(f.calls, want) {
		t.Fatalf("age change: calls %v, want %v", f.calls, want)
	}
}

func TestExistingAnalyzersAreReused(t *testing.T) {
	cfg := config(t, "services: {accessanalyzer: {unusedAccess: {enabled: true}}}")
	f := &fakeAnalyzers{errs: map[string]error{}, analyzers: []types.AnalyzerSummary{
		analyzer("theirs-org", types.TypeOrganization, types.AnalyzerStatusActive, 0),
		analyzer("theirs-unused", types.TypeOrganizationUnusedAccess, types.AnalyzerStatusActive, 30),
	}}
	res, err := ConfigureOrg(context.Background(), f, cfg, orgItem(workflow.ModeApply, "us-east-1"), quiet)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.calls) > 0 || res.Outcomes[0].Status != workflow.StatusUnchanged {
		t.Fatalf("calls %v, row %+v", f.calls, res.Outcomes[0])
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "theirs-unused") || !strings.Contains(res.Warnings[0], "30 days, not the configured 90") {
		t.Fatalf("warnings %v", res.Warnings)
	}
}

func TestOrgRowOutcomes(t *testing.T) {
	throttled := awstest.ResponseErr("AccessAnalyzer", "ListAnalyzers", 429, &smithy.GenericAPIError{Code: "ThrottlingException"})
	denied := awstest.ResponseErr("AccessAnalyzer", "CreateAnalyzer", 403, &types.AccessDeniedException{Message: aws.String("Account 222222222222 is not a delegated administrator")})
	noEndpoint := &net.DNSError{Name: "access-analyzer.xx-east-9.amazonaws.com", IsNotFound: true}
	cases := []struct {
		name       string
		f          *fakeAnalyzers
		wantStatus workflow.Status
		wantReason string
		wantErr    bool
		wantCalls  []string
	}{
		{name: "throttled is retried by the state machine", f: &fakeAnalyzers{errs: map[string]error{"List": throttled}}, wantErr: true},
		{name: "not the delegated administrator is the row's failure", f: &fakeAnalyzers{errs: map[string]error{"Create": denied}},
			wantStatus: workflow.StatusFailed, wantReason: "not a delegated administrator", wantCalls: []string{"Create orgbaseline-organization ORGANIZATION 0"}},
		{name: "not offered in the region", f: &fakeAnalyzers{errs: map[string]error{"List": noEndpoint}},
			wantStatus: workflow.StatusSkipped, wantReason: "IAM Access Analyzer is not offered in eu-west-1"},
		{name: "orgbaseline's analyzer failed", f: &fakeAnalyzers{analyzers: []types.AnalyzerSummary{{Name: aws.String(OrganizationAnalyzer), Type: types.TypeOrganization, Status: types.AnalyzerStatusFailed,
			StatusReason: &types.StatusReason{Code: types.ReasonCodeServiceLinkedRoleCreationFailed}}}},
			wantStatus: workflow.StatusFailed, wantReason: "analyzer orgbaseline-organization is FAILED (SERVICE_LINKED_ROLE_CREATION_FAILED)"},
		{name: "another's disabled organization analyzer does not block ours", f: &fakeAnalyzers{analyzers: []types.AnalyzerSummary{analyzer("old", types.TypeOrganization, types.AnalyzerStatusDisabled, 0)}},
			wantStatus: workflow.StatusChanged, wantCalls: []string{"Create orgbaseline-organization ORGANIZATION 0"}},
		{name: "made by another run meanwhile", f: &fakeAnalyzers{sneak: &types.AnalyzerSummary{Name: aws.String(OrganizationAnalyzer), Type: types.TypeOrganization, Status: types.AnalyzerStatusCreating}},
			wantStatus: workflow.StatusUnchanged, wantCalls: []string{"Create orgbaseline-organization ORGANIZATION 0"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.f.errs == nil {
				c.f.errs = map[string]error{}
			}
			res, err := ConfigureOrg(context.Background(), c.f, config(t, ""), orgItem(workflow.ModeApply, "eu-west-1"), quiet)
			if c.wantErr {
				var again *workflow.RetryableError
				if !errors.As(err, &again) {
					t.Fatalf("want a RetryableError, got %T %v", err, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			o := res.Outcomes[0]
			if o.Status != c.wantStatus || !strings.Contains(o.Reason, c.wantReason) {
				t.Errorf("row %s %q, want %s %q", o.Status, o.Reason, c.wantStatus, c.wantReason)
			}
			if !slices.Equal(c.f.calls, c.wantCalls) {
				t.Errorf("calls %v, want %v", c.f.calls, c.wantCalls)
			}
		})
	}
}

func TestAccountAnalyzersEveryRegionEachItsRow(t *testing.T) {
	regions := []string{"us-east-1", "eu-west-1", "ap-east-1", "ap-southeast-2"}
	fakes := map[string]*fakeAnalyzers{}
	for _, r := range regions {
		fakes[r] = &fakeAnalyzers{errs: map[string]error{}}
	}
	// One region has an ACCOUNT analyzer of another's, one an opt-in
	// region the account has not enabled, one refuses the call.
	fakes["eu-west-1"].analyzers = []types.AnalyzerSummary{analyzer("console", types.TypeAccount, types.AnalyzerStatusActive, 0)}
	fakes["ap-east-1"].errs["List"] = awstest.ResponseErr("AccessAnalyzer", "ListAnalyzers", 403, &smithy.GenericAPIError{Code: "UnrecognizedClientException", Message: "The security token included in the request is invalid"})
	fakes["ap-southeast-2"].errs["Create"] = awstest.ResponseErr("AccessAnalyzer", "CreateAnalyzer", 403, &types.AccessDeniedException{Message: aws.String("denied by an SCP")})
	in := func(region string) API { return fakes[region] }
	item := workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}, Account: member, Regions: regions}
	res, err := ConfigureAccount(context.Background(), in, config(t, ""), item, quiet)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, o := range res.Outcomes {
		if o.Account != member || o.Service != settings.ServiceAccessAnalyzer {
			t.Errorf("row %+v", o)
		}
		got[o.Region] = string(o.Status) + ": " + o.Reason
	}
	want := map[string]string{
		"us-east-1":      "changed: ",
		"eu-west-1":      "unchanged: ",
		"ap-east-1":      "skipped: opt-in region ap-east-1 is not enabled in account " + member + " (its credentials are refused there)",
		"ap-southeast-2": "failed: ",
	}
	for r, w := range want {
		if !strings.HasPrefix(got[r], w) {
			t.Errorf("%s: %q, want %q...", r, got[r], w)
		}
	}
	if !strings.Contains(got["ap-southeast-2"], "denied by an SCP") {
		t.Errorf("the failure does not say why: %q", got["ap-southeast-2"])
	}
	if !res.Changed || !slices.Equal(fakes["us-east-1"].calls, []string{"Create orgbaseline-account ACCOUNT 0"}) || len(fakes["eu-west-1"].calls) > 0 {
		t.Errorf("calls: us-east-1 %v, eu-west-1 %v", fakes["us-east-1"].calls, fakes["eu-west-1"].calls)
	}

	// The re-run: one read a region, no change where it converged.
	for _, f := range fakes {
		f.calls = nil
	}
	if res, err = ConfigureAccount(context.Background(), in, config(t, ""), item, quiet); err != nil {
		t.Fatal(err)
	}
	if len(fakes["us-east-1"].calls) > 0 || len(fakes["eu-west-1"].calls) > 0 {
		t.Errorf("re-run made calls: %v %v", fakes["us-east-1"].calls, fakes["eu-west-1"].calls)
	}
}

func TestAccountAnalyzerNotInUse(t *testing.T) {
	disabled := types.AnalyzerSummary{Name: aws.String("console"), Type: types.TypeAccount, Status: types.AnalyzerStatusDisabled,
		StatusReason: &types.StatusReason{Code: types.ReasonCodeAwsServiceAccessDisabled}}
	item := workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}, Account: member, Regions: []string{"us-east-1"}}

	// In a member account it takes the one place: the row fails, naming it.
	f := &fakeAnalyzers{errs: map[string]error{}, oneAccountAnalyzer: true, analyzers: []types.AnalyzerSummary{disabled}}
	res, err := ConfigureAccount(context.Background(), func(string) API { return f }, config(t, ""), item, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if o := res.Outcomes[0]; o.Status != workflow.StatusFailed || o.Reason != "analyzer console is DISABLED (AWS_SERVICE_ACCESS_DISABLED)" {
		t.Fatalf("member account: row %+v, calls %v", o, f.calls)
	}

	// Where there is room (the management and administrator accounts),
	// orgbaseline's is made beside it.
	f = &fakeAnalyzers{errs: map[string]error{}, analyzers: []types.AnalyzerSummary{disabled}}
	if res, err = ConfigureAccount(context.Background(), func(string) API { return f }, config(t, ""), item, quiet); err != nil {
		t.Fatal(err)
	}
	if o := res.Outcomes[0]; o.Status != workflow.StatusChanged || !slices.Equal(f.calls, []string{"Create orgbaseline-account ACCOUNT 0"}) {
		t.Fatalf("with room: row %+v, calls %v", o, f.calls)
	}
}

func TestSwitchedOff(t *testing.T) {
	item := workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}, Account: member, Regions: []string{"us-east-1", "eu-west-1"}}
	for extra, reason := range map[string]string{
		"services: {accessanalyzer: {accountAnalyzers: false}}": "accessanalyzer.accountAnalyzers is off in the configuration",
		"services: {accessanalyzer: {enabled: false}}":          "accessanalyzer is disabled in the configuration",
	} {
		res, err := ConfigureAccount(context.Background(), func(string) API { t.Fatal("a call"); return nil }, config(t, extra), item, quiet)
		if err != nil || len(res.Outcomes) != 2 || res.Outcomes[0].Status != workflow.StatusSkipped || res.Outcomes[0].Reason != reason {
			t.Errorf("%s: %+v %v", extra, res, err)
		}
	}
	if g := AccountsGrants(config(t, "services: {accessanalyzer: {accountAnalyzers: false}}")); len(g.Lambda)+len(g.Members) > 0 {
		t.Errorf("grants without account analyzers: %+v", g)
	}
}

func TestGrants(t *testing.T) {
	for _, extra := range []string{"", "services: {accessanalyzer: {unusedAccess: {enabled: true}}}"} {
		c := config(t, extra)
		for name, g := range map[string]step.Grants{"org": OrgGrants(c), "accounts": AccountsGrants(c)} {
			if p := step.GrantProblems(g, c); len(p) > 0 {
				t.Errorf("%s %q: %v", name, extra, p)
			}
		}
	}
	has := func(g step.Grants, action string) bool {
		return slices.ContainsFunc(g.Security, func(gr step.Grant) bool { return slices.Contains(gr.Actions, action) })
	}
	if has(OrgGrants(config(t, "")), "access-analyzer:UpdateAnalyzer") || !has(OrgGrants(config(t, "services: {accessanalyzer: {unusedAccess: {enabled: true}}}")), "access-analyzer:UpdateAnalyzer") {
		t.Error("UpdateAnalyzer must follow unusedAccess")
	}
}
