package guardduty

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"
	"github.com/aws/smithy-go"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/local/motorig"
	"github.com/orgbaseline/orgbaseline/shared/local/mototest"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

var srv *mototest.Server

func TestMain(m *testing.M) { mototest.Main(m, func(s *mototest.Server) { srv = s }) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func config(t *testing.T, org motorig.Org) settings.Config {
	t.Helper()
	path := t.TempDir() + "/orgbaseline.yaml"
	if err := motorig.WriteConfig(path, org, "us-east-1", []string{"us-east-1", "eu-west-1"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := settings.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func admins(t *testing.T, api AdminAPI) map[string]gdtypes.AdminStatus {
	t.Helper()
	a, err := listAdmins(context.Background(), api)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestMotoEnableAdminPerRegion(t *testing.T) {
	mgmt, org := srv.SeedT(t)
	cfg := config(t, org)
	h := &AdminHandler{Settings: cfg, Log: quiet, In: clientsByRegion(mgmt)}
	ctx := context.Background()
	item := func(mode workflow.Mode, region string) workflow.Item {
		return workflow.Item{Input: workflow.Input{Mode: mode}, Region: region}
	}

	res, err := h.Handle(ctx, item(workflow.ModePlan, "us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	if o := res.Outcomes[0]; o.Status != workflow.StatusPlanned || o.Region != "us-east-1" || o.Actions[0].Target != org.Security {
		t.Errorf("plan: %+v", o)
	}
	if a := admins(t, h.In("us-east-1")); len(a) != 0 {
		t.Errorf("plan enabled an administrator: %v", a)
	}

	res, err = h.Handle(ctx, item(workflow.ModeApply, "us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	if o := res.Outcomes[0]; o.Status != workflow.StatusChanged {
		t.Errorf("apply: %+v", o)
	}
	if e, a := (map[string]gdtypes.AdminStatus{org.Security: gdtypes.AdminStatusEnabled}), admins(t, h.In("us-east-1")); !reflect.DeepEqual(e, a) {
		t.Errorf("us-east-1 administrators: expect %v, got %v", e, a)
	}
	// The administrator is per region: eu-west-1 is untouched so far.
	if a := admins(t, h.In("eu-west-1")); len(a) != 0 {
		t.Errorf("eu-west-1 has administrators before its run: %v", a)
	}

	res, err = h.Handle(ctx, item(workflow.ModeApply, "us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	if o := res.Outcomes[0]; o.Status != workflow.StatusUnchanged || len(o.Actions) != 0 {
		t.Errorf("re-run: %+v", o)
	}
}

func TestMotoConflictingAdmin(t *testing.T) {
	mgmt, org := srv.SeedT(t)
	cfg := config(t, org)
	h := &AdminHandler{Settings: cfg, Log: quiet, In: clientsByRegion(mgmt)}
	other := org.Workloads[0]
	if _, err := guardduty.NewFromConfig(awsclient.WithRegion(mgmt, "eu-west-1")).EnableOrganizationAdminAccount(context.Background(),
		&guardduty.EnableOrganizationAdminAccountInput{AdminAccountId: aws.String(other)}); err != nil {
		t.Fatal(err)
	}
	_, err := h.Handle(context.Background(), workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}, Region: "eu-west-1"})
	var ce *workflow.ConflictError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), other) || !strings.Contains(err.Error(), org.Security) || !strings.Contains(err.Error(), "eu-west-1") {
		t.Fatalf("expect a conflict naming both accounts and the region, got %T %v", err, err)
	}
	if e, a := (map[string]gdtypes.AdminStatus{other: gdtypes.AdminStatusEnabled}), admins(t, h.In("eu-west-1")); !reflect.DeepEqual(e, a) {
		t.Errorf("the conflict changed the administrators: %v", a)
	}
}

// fakeAdmin is a GuardDuty administrator list behind AdminAPI.
type fakeAdmin struct {
	admins    []gdtypes.AdminAccount
	listErr   error
	enableErr error
	// onEnable runs when Enable is called (e.g. another run wins the race).
	onEnable func(f *fakeAdmin)
	enabled  []string
}

func (f *fakeAdmin) ListOrganizationAdminAccounts(ctx context.Context, in *guardduty.ListOrganizationAdminAccountsInput, _ ...func(*guardduty.Options)) (*guardduty.ListOrganizationAdminAccountsOutput, error) {
	if f.listErr != nil {
		return nil, f.listErr
	}
	return &guardduty.ListOrganizationAdminAccountsOutput{AdminAccounts: f.admins}, nil
}

func (f *fakeAdmin) EnableOrganizationAdminAccount(ctx context.Context, in *guardduty.EnableOrganizationAdminAccountInput, _ ...func(*guardduty.Options)) (*guardduty.EnableOrganizationAdminAccountOutput, error) {
	f.enabled = append(f.enabled, aws.ToString(in.AdminAccountId))
	if f.onEnable != nil {
		f.onEnable(f)
	}
	if f.enableErr != nil {
		return nil, f.enableErr
	}
	f.admins = append(f.admins, gdtypes.AdminAccount{AdminAccountId: in.AdminAccountId, AdminStatus: gdtypes.AdminStatusEnabled})
	return &guardduty.EnableOrganizationAdminAccountOutput{}, nil
}

func fakeConfig(t *testing.T, extra string) settings.Config {
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

func TestFakePaths(t *testing.T) {
	already := &gdtypes.BadRequestException{Message: aws.String("The request is rejected because the account is already enabled as the GuardDuty delegated administrator for the organization.")}
	tests := []struct {
		name       string
		extra      string
		fake       *fakeAdmin
		region     string
		wantErr    string // type name of the error the state machine sees
		wantStatus workflow.Status
		wantReason string
		wantCalls  int
	}{
		{name: "disable in progress is not ready", fake: &fakeAdmin{admins: []gdtypes.AdminAccount{{AdminAccountId: aws.String("222222222222"), AdminStatus: gdtypes.AdminStatusDisableInProgress}}}, region: "eu-west-1", wantErr: workflow.ErrNameNotReady},
		{name: "another admin is a conflict", fake: &fakeAdmin{admins: []gdtypes.AdminAccount{{AdminAccountId: aws.String("999999999999"), AdminStatus: gdtypes.AdminStatusEnabled}}}, region: "eu-west-1", wantErr: workflow.ErrNameConflict},
		{name: "throttled list is retryable", fake: &fakeAdmin{listErr: &smithy.GenericAPIError{Code: "TooManyRequestsException"}}, region: "eu-west-1", wantErr: workflow.ErrNameRetryable},
		{name: "already admin after a race is success", fake: &fakeAdmin{enableErr: already, onEnable: func(f *fakeAdmin) {
			f.admins = []gdtypes.AdminAccount{{AdminAccountId: aws.String("222222222222"), AdminStatus: gdtypes.AdminStatusEnabled}}
		}}, region: "eu-west-1", wantStatus: workflow.StatusUnchanged, wantCalls: 1},
		{name: "already admin but another account is a conflict", fake: &fakeAdmin{enableErr: already, onEnable: func(f *fakeAdmin) {
			f.admins = []gdtypes.AdminAccount{{AdminAccountId: aws.String("888888888888"), AdminStatus: gdtypes.AdminStatusEnabled}}
		}}, region: "eu-west-1", wantErr: workflow.ErrNameConflict, wantCalls: 1},
		{name: "already admin but being disabled after a race is not ready", fake: &fakeAdmin{enableErr: already, onEnable: func(f *fakeAdmin) {
			f.admins = []gdtypes.AdminAccount{{AdminAccountId: aws.String("222222222222"), AdminStatus: gdtypes.AdminStatusDisableInProgress}}
		}}, region: "eu-west-1", wantErr: workflow.ErrNameNotReady, wantCalls: 1},
		{name: "already admin but none listed yet is not ready", fake: &fakeAdmin{enableErr: already}, region: "eu-west-1", wantErr: workflow.ErrNameNotReady, wantCalls: 1},
		{name: "not offered in the region is skipped", fake: &fakeAdmin{listErr: &net.DNSError{Err: "no such host", Name: "guardduty.xx-east-9.amazonaws.com", IsNotFound: true}}, region: "eu-west-1", wantStatus: workflow.StatusSkipped, wantReason: "not offered"},
		{name: "home region outside the run is skipped", fake: &fakeAdmin{}, region: "", wantStatus: workflow.StatusSkipped, wantReason: "home region is not part of this run"},
		{name: "guardduty off is skipped", extra: "services: {guardduty: {enabled: false}}", fake: &fakeAdmin{}, region: "eu-west-1", wantStatus: workflow.StatusSkipped, wantReason: "disabled in the configuration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &AdminHandler{Settings: fakeConfig(t, tt.extra), Log: quiet, In: func(string) AdminAPI { return tt.fake }}
			res, err := h.Handle(context.Background(), workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}, Region: tt.region})
			if tt.wantErr != "" {
				if err == nil || reflect.TypeOf(err).Elem().Name() != tt.wantErr {
					t.Fatalf("expect %s, got %T %v", tt.wantErr, err, err)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				o := res.Outcomes[0]
				if o.Status != tt.wantStatus || !strings.Contains(o.Reason, tt.wantReason) {
					t.Errorf("outcome: %+v", o)
				}
			}
			if e, a := tt.wantCalls, len(tt.fake.enabled); e != a {
				t.Errorf("EnableOrganizationAdminAccount calls: expect %d, got %d", e, a)
			}
		})
	}
}
