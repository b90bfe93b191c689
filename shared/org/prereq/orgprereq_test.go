package prereq

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"

	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

const (
	mgmt     = "111111111111"
	security = "222222222222"
	other    = "999999999999"
)

// fakeOrgs is an in-memory organization behind OrganizationsAPI. It keeps
// state, so a second run sees what the first one did, and records every
// mutating call.
type fakeOrgs struct {
	featureSet types.OrganizationFeatureSet
	master     string
	orgID      string
	notInOrg   bool
	trusted    map[string]bool
	admins     map[string][]string // principal -> account IDs
	pageSize   int                 // paginate list results to exercise the paginators

	// errs injects an error for the named operation, once.
	errs  map[string]error
	calls []string // mutating calls, "Op principal"
}

func newFakeOrgs() *fakeOrgs {
	return &fakeOrgs{
		featureSet: types.OrganizationFeatureSetAll, master: mgmt, orgID: "o-example1234",
		trusted: map[string]bool{}, admins: map[string][]string{}, errs: map[string]error{}, pageSize: 2,
	}
}

func (f *fakeOrgs) injected(op string) error {
	if err, ok := f.errs[op]; ok {
		delete(f.errs, op)
		return err
	}
	return nil
}

func (f *fakeOrgs) DescribeOrganization(ctx context.Context, in *organizations.DescribeOrganizationInput, _ ...func(*organizations.Options)) (*organizations.DescribeOrganizationOutput, error) {
	if f.notInOrg {
		return nil, &types.AWSOrganizationsNotInUseException{Message: aws.String("not in use")}
	}
	if err := f.injected("DescribeOrganization"); err != nil {
		return nil, err
	}
	return &organizations.DescribeOrganizationOutput{Organization: &types.Organization{
		Id: aws.String(f.orgID), FeatureSet: f.featureSet, MasterAccountId: aws.String(f.master),
	}}, nil
}

// page returns the items of the page that token points at, and the next token.
func page[T any](items []T, token *string, size int) ([]T, *string) {
	start := 0
	if token != nil {
		for i := range items {
			if strings.Repeat("x", i) == *token {
				start = i
			}
		}
	}
	end := min(start+size, len(items))
	if end < len(items) {
		return items[start:end], aws.String(strings.Repeat("x", end))
	}
	return items[start:end], nil
}

func (f *fakeOrgs) ListAWSServiceAccessForOrganization(ctx context.Context, in *organizations.ListAWSServiceAccessForOrganizationInput, _ ...func(*organizations.Options)) (*organizations.ListAWSServiceAccessForOrganizationOutput, error) {
	if err := f.injected("ListAWSServiceAccessForOrganization"); err != nil {
		return nil, err
	}
	var all []types.EnabledServicePrincipal
	for _, p := range slices.Sorted(maps.Keys(f.trusted)) {
		all = append(all, types.EnabledServicePrincipal{ServicePrincipal: aws.String(p)})
	}
	items, next := page(all, in.NextToken, f.pageSize)
	return &organizations.ListAWSServiceAccessForOrganizationOutput{EnabledServicePrincipals: items, NextToken: next}, nil
}

func (f *fakeOrgs) ListDelegatedAdministrators(ctx context.Context, in *organizations.ListDelegatedAdministratorsInput, _ ...func(*organizations.Options)) (*organizations.ListDelegatedAdministratorsOutput, error) {
	if err := f.injected("ListDelegatedAdministrators"); err != nil {
		return nil, err
	}
	var all []types.DelegatedAdministrator
	for _, id := range f.admins[aws.ToString(in.ServicePrincipal)] {
		all = append(all, types.DelegatedAdministrator{Id: aws.String(id)})
	}
	items, next := page(all, in.NextToken, f.pageSize)
	return &organizations.ListDelegatedAdministratorsOutput{DelegatedAdministrators: items, NextToken: next}, nil
}

func (f *fakeOrgs) EnableAWSServiceAccess(ctx context.Context, in *organizations.EnableAWSServiceAccessInput, _ ...func(*organizations.Options)) (*organizations.EnableAWSServiceAccessOutput, error) {
	p := aws.ToString(in.ServicePrincipal)
	f.calls = append(f.calls, "EnableAWSServiceAccess "+p)
	if err := f.injected("EnableAWSServiceAccess"); err != nil {
		return nil, err
	}
	f.trusted[p] = true
	return &organizations.EnableAWSServiceAccessOutput{}, nil
}

func (f *fakeOrgs) RegisterDelegatedAdministrator(ctx context.Context, in *organizations.RegisterDelegatedAdministratorInput, _ ...func(*organizations.Options)) (*organizations.RegisterDelegatedAdministratorOutput, error) {
	p := aws.ToString(in.ServicePrincipal)
	f.calls = append(f.calls, "RegisterDelegatedAdministrator "+p)
	if err := f.injected("RegisterDelegatedAdministrator"); err != nil {
		return nil, err
	}
	if slices.Contains(f.admins[p], aws.ToString(in.AccountId)) {
		return nil, &types.AccountAlreadyRegisteredException{Message: aws.String("already registered")}
	}
	f.admins[p] = append(f.admins[p], aws.ToString(in.AccountId))
	return &organizations.RegisterDelegatedAdministratorOutput{}, nil
}

func testConfig(t *testing.T, extra string) settings.Config {
	t.Helper()
	src := `
accounts: {management: "111111111111", security: "222222222222", logArchive: "333333333333"}
organizationId: o-example1234
homeRegion: us-east-1
regions: [us-east-1]
` + extra
	c, err := settings.Load("test.yaml", strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func run(t *testing.T, f *fakeOrgs, cfg settings.Config, in workflow.Input) (workflow.StepResult, error) {
	t.Helper()
	return Run(context.Background(), f, cfg, in, quiet)
}

// Principals and registrations the default configuration needs.
var (
	defaultPrincipals = []string{
		"cloudtrail.amazonaws.com", "config.amazonaws.com", "config-multiaccountsetup.amazonaws.com",
		"guardduty.amazonaws.com", "securityhub.amazonaws.com", "access-analyzer.amazonaws.com",
	}
	defaultRegistrations = []string{
		"config.amazonaws.com", "config-multiaccountsetup.amazonaws.com", "access-analyzer.amazonaws.com",
	}
)

func TestPlanOnFreshOrgChangesNothing(t *testing.T) {
	f := newFakeOrgs()
	res, err := run(t, f, testConfig(t, ""), workflow.Input{Mode: workflow.ModePlan})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 0 {
		t.Errorf("plan made mutating calls: %v", f.calls)
	}
	if res.Changed {
		t.Error("plan reports a change")
	}
	var enables, registers []string
	for _, o := range res.Outcomes {
		if e, a := workflow.StatusPlanned, o.Status; e != a {
			t.Errorf("%s: expect %s, got %s", o.Service, e, a)
		}
		if o.Account != mgmt || o.Region != workflow.RegionGlobal {
			t.Errorf("%s: outcome at %s/%s, expect %s/global", o.Service, o.Account, o.Region, mgmt)
		}
		for _, a := range o.Actions {
			switch a.Call {
			case CallEnableServiceAccess:
				enables = append(enables, a.Target)
			case CallRegisterAdmin:
				registers = append(registers, strings.TrimSuffix(a.Target, " "+security))
			}
		}
	}
	if e, a := defaultPrincipals, enables; !reflect.DeepEqual(e, a) {
		t.Errorf("planned trusted access:\nexpect %v\ngot    %v", e, a)
	}
	if e, a := defaultRegistrations, registers; !reflect.DeepEqual(e, a) {
		t.Errorf("planned registrations:\nexpect %v\ngot    %v", e, a)
	}
}

func TestApplyThenRerunIsUnchanged(t *testing.T) {
	f := newFakeOrgs()
	cfg := testConfig(t, "")
	res, err := run(t, f, cfg, workflow.Input{Mode: workflow.ModeApply})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Changed {
		t.Error("first apply reports no change")
	}
	for _, p := range defaultPrincipals {
		if !f.trusted[p] {
			t.Errorf("trusted access for %s not enabled", p)
		}
	}
	for _, p := range defaultRegistrations {
		if e, a := []string{security}, f.admins[p]; !reflect.DeepEqual(e, a) {
			t.Errorf("%s admins: expect %v, got %v", p, e, a)
		}
	}
	if n := len(f.admins["guardduty.amazonaws.com"]); n != 0 {
		t.Errorf("guardduty admin registered through Organizations; its own step does that (%d)", n)
	}
	gd := outcomeFor(t, res, settings.ServiceGuardDuty)
	if sh := outcomeFor(t, res, settings.ServiceSecurityHub); !strings.Contains(sh.Reason, "registered by the securityhub-admin step") {
		t.Errorf("security hub's outcome does not say who registers its admin: %q", sh.Reason)
	}
	if f.trusted["health.amazonaws.com"] || len(f.admins["health.amazonaws.com"]) > 0 {
		t.Error("the step enabled or registered what Health's own step does")
	}
	for _, o := range res.Outcomes {
		if o.Service == settings.ServiceHealth {
			t.Errorf("health has a row of its own step, not this one: %+v", o)
		}
	}
	if !strings.Contains(gd.Reason, "registered by the guardduty-admin step") {
		t.Errorf("guardduty outcome does not say who registers its admin: %q", gd.Reason)
	}

	f.calls = nil
	res, err = run(t, f, cfg, workflow.Input{Mode: workflow.ModeApply})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 0 {
		t.Errorf("second apply made mutating calls: %v", f.calls)
	}
	if res.Changed {
		t.Error("second apply reports a change")
	}
	for _, o := range res.Outcomes {
		if o.Status != workflow.StatusUnchanged || len(o.Actions) != 0 {
			t.Errorf("%s: expect unchanged with no actions, got %s %v", o.Service, o.Status, o.Actions)
		}
	}
}

func outcomeFor(t *testing.T, res workflow.StepResult, service string) workflow.Outcome {
	t.Helper()
	for _, o := range res.Outcomes {
		if o.Service == service {
			return o
		}
	}
	t.Fatalf("no outcome for %s in %+v", service, res.Outcomes)
	return workflow.Outcome{}
}

func TestConflicts(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*fakeOrgs)
		want  []string // all in the error message
	}{
		{"another delegated admin through Organizations", func(f *fakeOrgs) {
			f.admins["config.amazonaws.com"] = []string{other}
		}, []string{"delegated administrator for config.amazonaws.com is " + other, "wants " + security}},
		{"another delegated admin of a service-API service", func(f *fakeOrgs) {
			f.admins["guardduty.amazonaws.com"] = []string{other}
		}, []string{"guardduty", other, security}},
		{"every conflict at once", func(f *fakeOrgs) {
			f.admins["guardduty.amazonaws.com"] = []string{other}
			f.admins["access-analyzer.amazonaws.com"] = []string{"888888888888"}
			f.featureSet = types.OrganizationFeatureSetConsolidatedBilling
		}, []string{"guardduty.amazonaws.com is " + other, "access-analyzer.amazonaws.com is 888888888888", "feature set is CONSOLIDATED_BILLING", "aws organizations enable-all-features"}},
		{"other management account", func(f *fakeOrgs) { f.master = other }, []string{"management account is " + other + ", configuration wants " + mgmt}},
		{"other organization", func(f *fakeOrgs) { f.orgID = "o-other12345" }, []string{"organization ID is o-other12345, configuration wants o-example1234"}},
		{"not an organization", func(f *fakeOrgs) { f.notInOrg = true }, []string{"not in an organization"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, mode := range []workflow.Mode{workflow.ModePlan, workflow.ModeApply} {
				f := newFakeOrgs()
				tt.setup(f)
				before := cloneState(f)
				_, err := run(t, f, testConfig(t, ""), workflow.Input{Mode: mode})
				var ce *workflow.ConflictError
				if !errors.As(err, &ce) {
					t.Fatalf("%s: expect *ConflictError, got %T %v", mode, err, err)
				}
				for _, w := range tt.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("%s: error does not mention %q: %v", mode, w, err)
					}
				}
				if len(f.calls) != 0 || !reflect.DeepEqual(before, cloneState(f)) {
					t.Errorf("%s: a conflict changed the organization: calls %v", mode, f.calls)
				}
			}
		})
	}
}

// Another account registered for cloudtrail.amazonaws.com is a conflict only
// when the configuration asks for a CloudTrail delegated administrator.
func TestCloudTrailDelegatedAdminOption(t *testing.T) {
	for _, mode := range []workflow.Mode{workflow.ModePlan, workflow.ModeApply} {
		t.Run("off/"+string(mode), func(t *testing.T) {
			f := newFakeOrgs()
			f.admins["cloudtrail.amazonaws.com"] = []string{other}
			res, err := run(t, f, testConfig(t, "services: {cloudtrail: {delegatedAdmin: false}}"), workflow.Input{Mode: mode, Services: []string{"cloudtrail"}})
			if err != nil {
				t.Fatalf("expect no error, got %T %v", err, err)
			}
			ct := outcomeFor(t, res, settings.ServiceCloudTrail)
			if strings.Contains(ct.Reason, "registered by the org-trail step") {
				t.Errorf("outcome says the cloudtrail step registers an administrator it does not: %q", ct.Reason)
			}
			if slices.ContainsFunc(f.calls, func(c string) bool { return strings.HasPrefix(c, "RegisterDelegatedAdministrator") }) {
				t.Errorf("registered a CloudTrail delegated administrator: %v", f.calls)
			}
		})
		t.Run("on/"+string(mode), func(t *testing.T) {
			f := newFakeOrgs()
			f.admins["cloudtrail.amazonaws.com"] = []string{other}
			_, err := run(t, f, testConfig(t, "services: {cloudtrail: {delegatedAdmin: true}}"), workflow.Input{Mode: mode, Services: []string{"cloudtrail"}})
			var ce *workflow.ConflictError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), other) || !strings.Contains(err.Error(), security) {
				t.Fatalf("expect a conflict naming %s and %s, got %T %v", other, security, err, err)
			}
			if len(f.calls) != 0 {
				t.Errorf("a conflict made calls: %v", f.calls)
			}
		})
	}
	// Without another administrator, the outcome says the cloudtrail step
	// registers one only when delegatedAdmin asks for it.
	for _, on := range []bool{false, true} {
		f := newFakeOrgs()
		res, err := run(t, f, testConfig(t, fmt.Sprintf("services: {cloudtrail: {delegatedAdmin: %v}}", on)), workflow.Input{Mode: workflow.ModePlan, Services: []string{"cloudtrail"}})
		if err != nil {
			t.Fatal(err)
		}
		if ct := outcomeFor(t, res, settings.ServiceCloudTrail); strings.Contains(ct.Reason, "registered by the org-trail step") != on {
			t.Errorf("delegatedAdmin %v: cloudtrail outcome reason %q", on, ct.Reason)
		}
	}
}

// In Detective's invitation mode the step neither enables Detective's
// trusted access nor says a step registers its delegated administrator.
func TestDetectiveInvitationModeNeedsNoOrganizations(t *testing.T) {
	for _, mode := range []string{settings.DetectiveOrganization, settings.DetectiveInvitation} {
		f := newFakeOrgs()
		res, err := run(t, f, testConfig(t, "services: {detective: {enabled: true, mode: "+mode+"}}"), workflow.Input{Mode: workflow.ModeApply, Services: []string{"detective"}})
		if err != nil {
			t.Fatal(err)
		}
		o := outcomeFor(t, res, settings.ServiceDetective)
		enabled := slices.Contains(f.calls, "EnableAWSServiceAccess detective.amazonaws.com")
		if invitation := mode == settings.DetectiveInvitation; enabled == invitation || strings.Contains(o.Reason, "detective-admin") == invitation {
			t.Errorf("%s mode: calls %v, row %+v", mode, f.calls, o)
		}
	}
}

func cloneState(f *fakeOrgs) [2]string {
	var b1, b2 strings.Builder
	for _, k := range slices.Sorted(maps.Keys(f.trusted)) {
		b1.WriteString(k + ",")
	}
	for _, k := range slices.Sorted(maps.Keys(f.admins)) {
		b2.WriteString(k + "=" + strings.Join(f.admins[k], "|") + ",")
	}
	return [2]string{b1.String(), b2.String()}
}

func TestSecurityAccountAlongsideAnotherAdminWarns(t *testing.T) {
	f := newFakeOrgs()
	f.admins["config-multiaccountsetup.amazonaws.com"] = []string{other, security}
	res, err := run(t, f, testConfig(t, ""), workflow.Input{Mode: workflow.ModeApply})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], other) {
		t.Errorf("expect one warning naming %s, got %v", other, res.Warnings)
	}
	if slices.Contains(f.calls, "RegisterDelegatedAdministrator config-multiaccountsetup.amazonaws.com") {
		t.Error("registered an admin that was already registered")
	}
}

func TestFiltersAndOptions(t *testing.T) {
	tests := []struct {
		name      string
		extra     string
		in        workflow.Input
		wantCalls []string
	}{
		{"services filter", "", workflow.Input{Mode: workflow.ModeApply, Services: []string{"config"}}, []string{
			"EnableAWSServiceAccess config.amazonaws.com", "RegisterDelegatedAdministrator config.amazonaws.com",
			"EnableAWSServiceAccess config-multiaccountsetup.amazonaws.com", "RegisterDelegatedAdministrator config-multiaccountsetup.amazonaws.com",
		}},
		{"disabled service is left alone", "services: {config: {enabled: false}}", workflow.Input{Mode: workflow.ModeApply, Services: []string{"config", "accessanalyzer"}}, []string{
			"EnableAWSServiceAccess access-analyzer.amazonaws.com", "RegisterDelegatedAdministrator access-analyzer.amazonaws.com",
		}},
		{"health is its own step's", "", workflow.Input{Mode: workflow.ModeApply, Services: []string{"health"}}, nil},
		{"security hub's administrator is its own step's", "", workflow.Input{Mode: workflow.ModeApply, Services: []string{"securityhub"}}, []string{
			"EnableAWSServiceAccess securityhub.amazonaws.com",
		}},
		{"detective's administrator is its own step's", "services: {detective: {enabled: true}}", workflow.Input{Mode: workflow.ModeApply, Services: []string{"detective"}}, []string{
			"EnableAWSServiceAccess detective.amazonaws.com",
		}},
		{"guardduty malware protection principal", "services: {guardduty: {features: {ebsMalwareProtection: true}}}", workflow.Input{Mode: workflow.ModeApply, Services: []string{"guardduty"}}, []string{
			"EnableAWSServiceAccess guardduty.amazonaws.com", "EnableAWSServiceAccess malware-protection.guardduty.amazonaws.com",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOrgs()
			if _, err := run(t, f, testConfig(t, tt.extra), tt.in); err != nil {
				t.Fatal(err)
			}
			if e, a := tt.wantCalls, f.calls; !reflect.DeepEqual(e, a) {
				t.Errorf("calls:\nexpect %v\ngot    %v", e, a)
			}
		})
	}
}

func TestUnknownServiceFilterIsTerminal(t *testing.T) {
	f := newFakeOrgs()
	_, err := run(t, f, testConfig(t, ""), workflow.Input{Mode: workflow.ModePlan, Services: []string{"macie"}})
	var te *workflow.TerminalError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "macie") {
		t.Errorf("expect a TerminalError naming macie, got %T %v", err, err)
	}
}

func TestErrorClassification(t *testing.T) {
	throttled := &smithy.GenericAPIError{Code: "TooManyRequestsException", Message: "slow down"}
	denied := &types.AccessDeniedException{Message: aws.String("no")}
	tests := []struct {
		name string
		op   string
		err  error
		want string // type name the state machine sees
	}{
		{"throttled enable", "EnableAWSServiceAccess", throttled, workflow.ErrNameRetryable},
		{"concurrent modification", "RegisterDelegatedAdministrator", &types.ConcurrentModificationException{Message: aws.String("busy")}, workflow.ErrNameRetryable},
		{"access denied", "DescribeOrganization", denied, workflow.ErrNameTerminal},
		{"throttled list", "ListDelegatedAdministrators", throttled, workflow.ErrNameRetryable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOrgs()
			f.errs[tt.op] = tt.err
			h := &Handler{Settings: testConfig(t, ""), Orgs: f, Log: quiet}
			_, err := h.Handle(context.Background(), workflow.Input{Mode: workflow.ModeApply})
			if err == nil {
				t.Fatal("expect an error")
			}
			// aws-lambda-go reports reflect.TypeOf(err).Elem().Name().
			if e, a := tt.want, reflect.TypeOf(err).Elem().Name(); e != a {
				t.Errorf("expect top-level %s, got %s (%v)", e, a, err)
			}
		})
	}
}

func TestAlreadyRegisteredRace(t *testing.T) {
	f := newFakeOrgs()
	// Another run registers the security account between our read and our
	// call: the call fails with AccountAlreadyRegisteredException and a fresh
	// read shows the security account.
	f.errs["RegisterDelegatedAdministrator"] = &types.AccountAlreadyRegisteredException{Message: aws.String("already")}
	r := &raceOrgs{fakeOrgs: f, principal: "config.amazonaws.com"}
	res, err := Run(context.Background(), r, testConfig(t, ""), workflow.Input{Mode: workflow.ModeApply, Services: []string{"config"}}, quiet)
	if err != nil {
		t.Fatalf("already-registered with the same account must be success: %v", err)
	}
	if e, a := []string{security}, f.admins["config.amazonaws.com"]; !reflect.DeepEqual(e, a) {
		t.Errorf("config admins: expect %v, got %v", e, a)
	}
	if !res.Changed {
		t.Error("expect a change: trusted access was enabled")
	}
}

// raceOrgs registers the security account for principal the first time it is
// listed after a register attempt fails, to model a concurrent run.
type raceOrgs struct {
	*fakeOrgs
	principal string
}

func (r *raceOrgs) RegisterDelegatedAdministrator(ctx context.Context, in *organizations.RegisterDelegatedAdministratorInput, o ...func(*organizations.Options)) (*organizations.RegisterDelegatedAdministratorOutput, error) {
	out, err := r.fakeOrgs.RegisterDelegatedAdministrator(ctx, in, o...)
	if err != nil && aws.ToString(in.ServicePrincipal) == r.principal {
		r.admins[r.principal] = []string{aws.ToString(in.AccountId)}
	}
	return out, err
}

func TestAlreadyRegisteredWithAnotherAccountIsConflict(t *testing.T) {
	f := newFakeOrgs()
	r := &raceOrgs{fakeOrgs: f, principal: "none"}
	f.errs["RegisterDelegatedAdministrator"] = &types.AccountAlreadyRegisteredException{Message: aws.String("already")}
	// The list after the failed call shows another account.
	_, err := Run(context.Background(), &listAfterFail{raceOrgs: r, show: other}, testConfig(t, ""), workflow.Input{Mode: workflow.ModeApply, Services: []string{"accessanalyzer"}}, quiet)
	var ce *workflow.ConflictError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), other) {
		t.Errorf("expect a conflict naming %s, got %v", other, err)
	}
}

// listAfterFail shows account show as the only admin once a register call has failed.
type listAfterFail struct {
	*raceOrgs
	show   string
	failed bool
}

func (l *listAfterFail) RegisterDelegatedAdministrator(ctx context.Context, in *organizations.RegisterDelegatedAdministratorInput, o ...func(*organizations.Options)) (*organizations.RegisterDelegatedAdministratorOutput, error) {
	out, err := l.fakeOrgs.RegisterDelegatedAdministrator(ctx, in, o...)
	if err != nil {
		l.failed = true
	}
	return out, err
}

func (l *listAfterFail) ListDelegatedAdministrators(ctx context.Context, in *organizations.ListDelegatedAdministratorsInput, o ...func(*organizations.Options)) (*organizations.ListDelegatedAdministratorsOutput, error) {
	if l.failed {
		return &organizations.ListDelegatedAdministratorsOutput{DelegatedAdministrators: []types.DelegatedAdministrator{{Id: aws.String(l.show)}}}, nil
	}
	return l.fakeOrgs.ListDelegatedAdministrators(ctx, in, o...)
}

func TestBadMode(t *testing.T) {
	h := &Handler{Settings: testConfig(t, ""), Orgs: newFakeOrgs(), Log: quiet}
	_, err := h.Handle(context.Background(), workflow.Input{Mode: "destroy"})
	var te *workflow.TerminalError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), `"destroy"`) {
		t.Errorf("expect a TerminalError for mode destroy, got %v", err)
	}
}

// BenchmarkConvergedRun measures a run that finds everything in place (the
// common case of a scheduled re-run): the reads and the comparison.
func BenchmarkConvergedRun(b *testing.B) {
	f := newFakeOrgs()
	cfg, err := settings.Load("bench.yaml", strings.NewReader(`
accounts: {management: "111111111111", security: "222222222222", logArchive: "333333333333"}
organizationId: o-example1234
homeRegion: us-east-1
regions: [us-east-1]
`))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := Run(context.Background(), f, cfg, workflow.Input{Mode: workflow.ModeApply}, quiet); err != nil {
		b.Fatal(err)
	}
	f.calls = nil
	for b.Loop() {
		if _, err := Run(context.Background(), f, cfg, workflow.Input{Mode: workflow.ModeApply}, quiet); err != nil {
			b.Fatal(err)
		}
	}
	if len(f.calls) != 0 {
		b.Fatalf("a converged run made mutating calls: %v", f.calls)
	}
}
