package health

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/health"
	htypes "github.com/aws/aws-sdk-go-v2/service/health/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	otypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"

	"github.com/orgbaseline/orgbaseline/shared/local/awstest"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

const (
	mgmt     = "111111111111"
	security = "222222222222"
)

// fakeHealth is the organizational view behind ViewAPI. Enabling it
// leaves it pendingReads reads in PENDING first.
type fakeHealth struct {
	status       string
	pendingReads int
	errs         map[string]error // once, by operation
	calls        []string
}

func (f *fakeHealth) err(op string) error {
	f.calls = append(f.calls, op)
	if e, ok := f.errs[op]; ok {
		delete(f.errs, op)
		return e
	}
	return nil
}

func (f *fakeHealth) DescribeHealthServiceStatusForOrganization(ctx context.Context, _ *health.DescribeHealthServiceStatusForOrganizationInput, _ ...func(*health.Options)) (*health.DescribeHealthServiceStatusForOrganizationOutput, error) {
	if err := f.err("Describe"); err != nil {
		return nil, err
	}
	s := f.status
	if s == statusEnabled && f.pendingReads > 0 {
		f.pendingReads--
		s = statusPending
	}
	return &health.DescribeHealthServiceStatusForOrganizationOutput{HealthServiceAccessStatusForOrganization: aws.String(s)}, nil
}

func (f *fakeHealth) EnableHealthServiceAccessForOrganization(ctx context.Context, _ *health.EnableHealthServiceAccessForOrganizationInput, _ ...func(*health.Options)) (*health.EnableHealthServiceAccessForOrganizationOutput, error) {
	if err := f.err("Enable"); err != nil {
		return nil, err
	}
	f.status = statusEnabled
	return &health.EnableHealthServiceAccessForOrganizationOutput{}, nil
}

// fakeOrgs keeps Health's delegated administrators, one per page.
type fakeOrgs struct {
	admins []string
	errs   map[string]error
	calls  []string
}

func (f *fakeOrgs) ListDelegatedAdministrators(ctx context.Context, in *organizations.ListDelegatedAdministratorsInput, _ ...func(*organizations.Options)) (*organizations.ListDelegatedAdministratorsOutput, error) {
	if aws.ToString(in.ServicePrincipal) != Principal {
		return nil, errors.New("unexpected principal " + aws.ToString(in.ServicePrincipal))
	}
	i := 0
	if in.NextToken != nil {
		i = len(*in.NextToken)
	}
	out := &organizations.ListDelegatedAdministratorsOutput{}
	if i < len(f.admins) {
		out.DelegatedAdministrators = []otypes.DelegatedAdministrator{{Id: aws.String(f.admins[i])}}
		if i+1 < len(f.admins) {
			out.NextToken = aws.String(strings.Repeat("x", i+1))
		}
	}
	return out, nil
}

func (f *fakeOrgs) RegisterDelegatedAdministrator(ctx context.Context, in *organizations.RegisterDelegatedAdministratorInput, _ ...func(*organizations.Options)) (*organizations.RegisterDelegatedAdministratorOutput, error) {
	f.calls = append(f.calls, "Register "+aws.ToString(in.AccountId))
	if e, ok := f.errs["Register"]; ok {
		delete(f.errs, "Register")
		return nil, e
	}
	if slices.Contains(f.admins, aws.ToString(in.AccountId)) {
		return nil, &otypes.AccountAlreadyRegisteredException{Message: aws.String("already")}
	}
	f.admins = append(f.admins, aws.ToString(in.AccountId))
	return &organizations.RegisterDelegatedAdministratorOutput{}, nil
}

func config() settings.Config {
	c, err := settings.Load("t.yaml", strings.NewReader(`
accounts: {management: "111111111111", security: "222222222222", logArchive: "333333333333"}
organizationId: o-abcdef1234
homeRegion: us-east-1
regions: [us-east-1]
`))
	if err != nil {
		panic(err)
	}
	return c
}

func run(t *testing.T, h *fakeHealth, o *fakeOrgs, cfg settings.Config, mode workflow.Mode) (workflow.StepResult, error) {
	t.Helper()
	if h.errs == nil {
		h.errs = map[string]error{}
	}
	if o.errs == nil {
		o.errs = map[string]error{}
	}
	return Run(context.Background(), Deps{Health: h, Orgs: o}, cfg, workflow.Input{Mode: mode}, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func calls(res workflow.StepResult) []string {
	var out []string
	for _, o := range res.Outcomes {
		for _, a := range o.Actions {
			out = append(out, a.Call+" "+a.Target)
		}
	}
	return out
}

func subscriptionRequiredErr(op string) error {
	return awstest.ResponseErr("Health", op, 400, &smithy.GenericAPIError{Code: "SubscriptionRequiredException", Message: "The requested operation requires a subscription"})
}

func TestEnablesTheViewThenRegistersTheSecurityAccountAndARerunChangesNothing(t *testing.T) {
	h, o := &fakeHealth{status: statusDisabled}, &fakeOrgs{}
	res, err := run(t, h, o, config(), workflow.ModePlan)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{CallEnableView + " organization", CallRegister + " " + Principal + " " + security}
	if got := calls(res); !reflect.DeepEqual(got, want) {
		t.Fatalf("plan: %v, want %v", got, want)
	}
	if h.status != statusDisabled || len(o.admins) != 0 {
		t.Fatal("plan changed something")
	}

	if res, err = run(t, h, o, config(), workflow.ModeApply); err != nil {
		t.Fatal(err)
	}
	if got := calls(res); !reflect.DeepEqual(got, want) || !res.Changed {
		t.Fatalf("apply: %v (changed %v), want %v", got, res.Changed, want)
	}
	if h.status != statusEnabled || !reflect.DeepEqual(o.admins, []string{security}) {
		t.Fatalf("after apply: view %s, admins %v", h.status, o.admins)
	}

	h.calls, o.calls = nil, nil
	if res, err = run(t, h, o, config(), workflow.ModeApply); err != nil {
		t.Fatal(err)
	}
	if res.Changed || len(calls(res)) > 0 || slices.Contains(h.calls, "Enable") || len(o.calls) > 0 {
		t.Fatalf("re-run: %+v, health calls %v, orgs calls %v", res, h.calls, o.calls)
	}
	if res.Outcomes[0].Account != mgmt || res.Outcomes[0].Region != workflow.RegionGlobal || res.Outcomes[0].Service != settings.ServiceHealth {
		t.Fatalf("row: %+v", res.Outcomes[0])
	}
}

func TestOutcomes(t *testing.T) {
	busy := &htypes.ConcurrentModificationException{Message: aws.String("in progress")}
	five := []string{"400000000001", "400000000002", "400000000003", "400000000004", "400000000005"}
	off := config()
	off.Services.Health.DelegatedAdmin = aws.Bool(false)
	disabled := config()
	disabled.Services.Health.Enabled = aws.Bool(false)
	cases := []struct {
		name        string
		cfg         settings.Config
		h           *fakeHealth
		o           *fakeOrgs
		wantErr     any // a pointer to the named error type, or nil
		wantStatus  workflow.Status
		wantReason  string
		wantCalls   []string
		wantAdmins  []string
		wantWarning string
	}{
		{name: "already enabled and registered", cfg: config(), h: &fakeHealth{status: statusEnabled}, o: &fakeOrgs{admins: []string{security}},
			wantStatus: workflow.StatusUnchanged, wantAdmins: []string{security}},
		{name: "no delegated administrator wanted", cfg: off, h: &fakeHealth{status: statusDisabled}, o: &fakeOrgs{},
			wantStatus: workflow.StatusChanged, wantCalls: []string{CallEnableView + " organization"}},
		{name: "disabled in the configuration", cfg: disabled, h: &fakeHealth{status: statusDisabled}, o: &fakeOrgs{},
			wantStatus: workflow.StatusSkipped, wantReason: "health is disabled in the configuration"},
		{name: "subscription required on the read", cfg: config(), h: &fakeHealth{status: statusDisabled, errs: map[string]error{"Describe": subscriptionRequiredErr("DescribeHealthServiceStatusForOrganization")}}, o: &fakeOrgs{},
			wantStatus: workflow.StatusSkipped, wantReason: SubscriptionReason},
		{name: "subscription required on the enable", cfg: config(), h: &fakeHealth{status: statusDisabled, errs: map[string]error{"Enable": subscriptionRequiredErr("EnableHealthServiceAccessForOrganization")}}, o: &fakeOrgs{},
			wantStatus: workflow.StatusSkipped, wantReason: SubscriptionReason},
		{name: "an enable in progress is not ready", cfg: config(), h: &fakeHealth{status: statusDisabled, errs: map[string]error{"Enable": busy}}, o: &fakeOrgs{},
			wantErr: new(*workflow.NotReadyError)},
		{name: "pending is not ready", cfg: config(), h: &fakeHealth{status: statusEnabled, pendingReads: 1}, o: &fakeOrgs{},
			wantErr: new(*workflow.NotReadyError)},
		{name: "still pending after the enable: registered on the next call", cfg: config(), h: &fakeHealth{status: statusDisabled, pendingReads: 1}, o: &fakeOrgs{},
			wantErr: new(*workflow.NotReadyError)},
		{name: "throttled", cfg: config(), h: &fakeHealth{status: statusEnabled, errs: map[string]error{"Describe": awstest.ResponseErr("Health", "DescribeHealthServiceStatusForOrganization", 400, &smithy.GenericAPIError{Code: "ThrottlingException"})}}, o: &fakeOrgs{},
			wantErr: new(*workflow.RetryableError)},
		{name: "others registered are kept", cfg: config(), h: &fakeHealth{status: statusEnabled}, o: &fakeOrgs{admins: slices.Clone(five[:2])},
			wantStatus: workflow.StatusChanged, wantCalls: []string{CallRegister + " " + Principal + " " + security}, wantAdmins: append(slices.Clone(five[:2]), security), wantWarning: five[0] + ", " + five[1]},
		{name: "five others leave no room", cfg: config(), h: &fakeHealth{status: statusEnabled}, o: &fakeOrgs{admins: five},
			wantErr: new(*workflow.ConflictError), wantAdmins: five},
		{name: "registered by another run meanwhile", cfg: config(), h: &fakeHealth{status: statusEnabled},
			o:         &fakeOrgs{errs: map[string]error{"Register": &otypes.AccountAlreadyRegisteredException{Message: aws.String("already")}}},
			wantCalls: []string{CallRegister + " " + Principal + " " + security}, wantErr: new(*workflow.ConflictError)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := run(t, c.h, c.o, c.cfg, workflow.ModeApply)
			if c.wantErr != nil {
				target := reflect.ValueOf(c.wantErr).Interface()
				if !errors.As(err, target) {
					t.Fatalf("error %T %v, want %T", err, err, c.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if err == nil {
				if len(res.Outcomes) != 1 {
					t.Fatalf("outcomes: %+v", res.Outcomes)
				}
				o := res.Outcomes[0]
				if o.Status != c.wantStatus || o.Reason != c.wantReason {
					t.Errorf("row %s %q, want %s %q", o.Status, o.Reason, c.wantStatus, c.wantReason)
				}
				if got := calls(res); !slices.Equal(got, c.wantCalls) {
					t.Errorf("actions %v, want %v", got, c.wantCalls)
				}
				if c.wantWarning != "" && (len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], c.wantWarning)) {
					t.Errorf("warnings %v, want one naming %s", res.Warnings, c.wantWarning)
				}
			}
			if c.wantAdmins != nil && !slices.Equal(c.o.admins, c.wantAdmins) {
				t.Errorf("admins %v, want %v", c.o.admins, c.wantAdmins)
			}
		})
	}
}

func TestGrantsFollowTheConfiguration(t *testing.T) {
	has := func(c settings.Config, action string) bool {
		for _, g := range Grants(c).Lambda {
			if slices.Contains(g.Actions, action) {
				return true
			}
		}
		return false
	}
	off := config()
	off.Services.Health.DelegatedAdmin = aws.Bool(false)
	if !has(config(), "organizations:RegisterDelegatedAdministrator") || has(off, "organizations:RegisterDelegatedAdministrator") || has(off, "organizations:ListDelegatedAdministrators") {
		t.Error("the registration's grants do not follow delegatedAdmin")
	}
	if !has(off, CallEnableView) {
		t.Error("no grant for the organizational view")
	}
}
