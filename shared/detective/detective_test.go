package detective

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/detective"
	dtypes "github.com/aws/aws-sdk-go-v2/service/detective/types"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
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
	region   = "eu-west-1"
	// testGraph is the security account's behavior graph in region.
	testGraph = "arn:aws:detective:" + region + ":" + security + ":graph:0123456789abcdef0123456789abcdef"
)

var (
	quiet = slog.New(slog.NewTextHandler(io.Discard, nil))
	now   = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
)

// fakeDetective is Detective in one region: the organization's
// administrators (management side) and the security account's graph
// (administrator side), with errors once per operation and the mutating
// calls.
type fakeDetective struct {
	admins     []string
	graph      string
	autoEnable bool
	members    []dtypes.MemberDetail
	refuse     string // a ValidationException message on enable
	errs       map[string]error
	calls      []string
	// unprocessed are accounts CreateMembers leaves out, with the reason.
	unprocessed map[string]string
	// limit is the most members the graph takes (0: no limit).
	limit int
	// lostResponse adds the first batch but answers as a retry of it
	// would: every account unprocessed, already a member.
	lostResponse bool
	// invite: the graph is not the organization's (invitation mode), so
	// CreateMembers invites the accounts.
	invite bool
}

func (f *fakeDetective) err(op string) error {
	if e, ok := f.errs[op]; ok {
		delete(f.errs, op)
		return e
	}
	return nil
}

func (f *fakeDetective) ListOrganizationAdminAccounts(ctx context.Context, in *detective.ListOrganizationAdminAccountsInput, _ ...func(*detective.Options)) (*detective.ListOrganizationAdminAccountsOutput, error) {
	if err := f.err("ListAdmins"); err != nil {
		return nil, err
	}
	out := &detective.ListOrganizationAdminAccountsOutput{}
	for _, a := range f.admins {
		out.Administrators = append(out.Administrators, dtypes.Administrator{AccountId: aws.String(a)})
	}
	return out, nil
}

func (f *fakeDetective) EnableOrganizationAdminAccount(ctx context.Context, in *detective.EnableOrganizationAdminAccountInput, _ ...func(*detective.Options)) (*detective.EnableOrganizationAdminAccountOutput, error) {
	f.calls = append(f.calls, "Enable "+aws.ToString(in.AccountId))
	if f.refuse != "" {
		return nil, &dtypes.ValidationException{Message: aws.String(f.refuse)}
	}
	if err := f.err("Enable"); err != nil {
		return nil, err
	}
	f.admins = []string{aws.ToString(in.AccountId)}
	f.graph = "arn:aws:detective:" + region + ":" + security + ":graph:abc"
	return &detective.EnableOrganizationAdminAccountOutput{}, nil
}

func (f *fakeDetective) ListGraphs(ctx context.Context, in *detective.ListGraphsInput, _ ...func(*detective.Options)) (*detective.ListGraphsOutput, error) {
	if err := f.err("ListGraphs"); err != nil {
		return nil, err
	}
	out := &detective.ListGraphsOutput{}
	if f.graph != "" {
		out.GraphList = []dtypes.Graph{{Arn: aws.String(f.graph)}}
	}
	return out, nil
}

func (f *fakeDetective) CreateGraph(ctx context.Context, in *detective.CreateGraphInput, _ ...func(*detective.Options)) (*detective.CreateGraphOutput, error) {
	f.calls = append(f.calls, "CreateGraph")
	if f.refuse != "" {
		return nil, &dtypes.ValidationException{Message: aws.String(f.refuse)}
	}
	if err := f.err("CreateGraph"); err != nil {
		return nil, err
	}
	if f.graph == "" {
		f.graph = testGraph
	}
	return &detective.CreateGraphOutput{GraphArn: aws.String(f.graph)}, nil
}

func (f *fakeDetective) DescribeOrganizationConfiguration(ctx context.Context, in *detective.DescribeOrganizationConfigurationInput, _ ...func(*detective.Options)) (*detective.DescribeOrganizationConfigurationOutput, error) {
	return &detective.DescribeOrganizationConfigurationOutput{AutoEnable: f.autoEnable}, nil
}

func (f *fakeDetective) UpdateOrganizationConfiguration(ctx context.Context, in *detective.UpdateOrganizationConfigurationInput, _ ...func(*detective.Options)) (*detective.UpdateOrganizationConfigurationOutput, error) {
	f.calls = append(f.calls, fmt.Sprintf("UpdateOrganizationConfiguration %v", in.AutoEnable))
	f.autoEnable = in.AutoEnable
	return &detective.UpdateOrganizationConfigurationOutput{}, nil
}

// ListMembers pages one member at a time.
func (f *fakeDetective) ListMembers(ctx context.Context, in *detective.ListMembersInput, _ ...func(*detective.Options)) (*detective.ListMembersOutput, error) {
	i := 0
	if in.NextToken != nil {
		i = len(*in.NextToken)
	}
	out := &detective.ListMembersOutput{}
	if i < len(f.members) {
		out.MemberDetails = f.members[i : i+1]
		if i+1 < len(f.members) {
			out.NextToken = aws.String(strings.Repeat("x", i+1))
		}
	}
	return out, nil
}

func (f *fakeDetective) CreateMembers(ctx context.Context, in *detective.CreateMembersInput, _ ...func(*detective.Options)) (*detective.CreateMembersOutput, error) {
	f.calls = append(f.calls, fmt.Sprintf("CreateMembers %d", len(in.Accounts)))
	if !in.DisableEmailNotification {
		return nil, errors.New("organization accounts are enabled, not invited: no e-mail")
	}
	if f.limit > 0 && len(f.members)+len(in.Accounts) > f.limit {
		return nil, &dtypes.ServiceQuotaExceededException{Message: aws.String("A behavior graph cannot have more than 1,200 member accounts.")}
	}
	out := &detective.CreateMembersOutput{}
	lost := f.lostResponse
	f.lostResponse = false
	for _, a := range in.Accounts {
		id := aws.ToString(a.AccountId)
		if lost {
			f.members = append(f.members, dtypes.MemberDetail{AccountId: a.AccountId, Status: dtypes.MemberStatusEnabled})
			out.UnprocessedAccounts = append(out.UnprocessedAccounts, dtypes.UnprocessedAccount{AccountId: a.AccountId, Reason: aws.String("The account is already a member of the behavior graph")})
			continue
		}
		if aws.ToString(a.EmailAddress) != id+"@example.com" {
			return nil, fmt.Errorf("account %s with e-mail %q", id, aws.ToString(a.EmailAddress))
		}
		if why, ok := f.unprocessed[id]; ok {
			out.UnprocessedAccounts = append(out.UnprocessedAccounts, dtypes.UnprocessedAccount{AccountId: a.AccountId, Reason: aws.String(why)})
			continue
		}
		m := dtypes.MemberDetail{AccountId: a.AccountId, Status: dtypes.MemberStatusEnabled, InvitationType: dtypes.InvitationTypeOrganization}
		if f.invite {
			m.Status, m.InvitationType = dtypes.MemberStatusInvited, dtypes.InvitationTypeInvitation
		}
		f.members = append(f.members, m)
		out.Members = append(out.Members, m)
	}
	return out, nil
}

// fakeDetector is the security account's GuardDuty in one region.
type fakeDetector struct {
	created string // "" for no detector
	err     error
}

func (f *fakeDetector) ListDetectors(ctx context.Context, in *guardduty.ListDetectorsInput, _ ...func(*guardduty.Options)) (*guardduty.ListDetectorsOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	out := &guardduty.ListDetectorsOutput{}
	if f.created != "" {
		out.DetectorIds = []string{"d1"}
	}
	return out, nil
}

func (f *fakeDetector) GetDetector(ctx context.Context, in *guardduty.GetDetectorInput, _ ...func(*guardduty.Options)) (*guardduty.GetDetectorOutput, error) {
	return &guardduty.GetDetectorOutput{CreatedAt: aws.String(f.created)}, nil
}

// fakeOrgs is the organization: every account ACTIVE with the address
// <id>@example.com, but for suspended ones; it counts its calls.
type fakeOrgs struct {
	all       []string
	suspended []string
	calls     int
}

func (f *fakeOrgs) account(id string) *otypes.Account {
	state := otypes.AccountStateActive
	if slices.Contains(f.suspended, id) {
		state = otypes.AccountStateSuspended
	}
	return &otypes.Account{Id: aws.String(id), Email: aws.String(id + "@example.com"), State: state}
}

func (f *fakeOrgs) DescribeAccount(ctx context.Context, in *organizations.DescribeAccountInput, _ ...func(*organizations.Options)) (*organizations.DescribeAccountOutput, error) {
	f.calls++
	return &organizations.DescribeAccountOutput{Account: f.account(aws.ToString(in.AccountId))}, nil
}

func (f *fakeOrgs) ListAccounts(ctx context.Context, in *organizations.ListAccountsInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error) {
	f.calls++
	out := &organizations.ListAccountsOutput{}
	for _, id := range f.all {
		out.Accounts = append(out.Accounts, *f.account(id))
	}
	return out, nil
}

func config(t *testing.T, extra string) settings.Config {
	t.Helper()
	c, err := settings.Load("t.yaml", strings.NewReader(`
accounts: {management: "111111111111", security: "222222222222", logArchive: "333333333333"}
organizationId: o-abcdef1234
homeRegion: us-east-1
regions: [us-east-1, eu-west-1]
services:
  detective: {enabled: true}
`+extra))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func item(mode workflow.Mode, accounts ...string) workflow.Item {
	return workflow.Item{Input: workflow.Input{Mode: mode}, Region: region, Accounts: accounts}
}

func aged(d time.Duration) string { return now.Add(-d).Format(time.RFC3339) }

func TestAdminEnabledOnceGuardDutyIsOldEnoughAndARerunChangesNothing(t *testing.T) {
	det, gd := &fakeDetective{errs: map[string]error{}}, &fakeDetector{created: aged(49 * time.Hour)}
	d := AdminDeps{Detective: det, GuardDuty: gd, Now: func() time.Time { return now }}
	res, err := EnableAdmin(context.Background(), d, config(t, ""), item(workflow.ModePlan), quiet)
	if err != nil || len(det.calls) > 0 || res.Outcomes[0].Status != workflow.StatusPlanned {
		t.Fatalf("plan: %+v %v, calls %v", res, err, det.calls)
	}
	if res, err = EnableAdmin(context.Background(), d, config(t, ""), item(workflow.ModeApply), quiet); err != nil {
		t.Fatal(err)
	}
	if o := res.Outcomes[0]; o.Status != workflow.StatusChanged || o.Account != mgmt || !slices.Equal(det.calls, []string{"Enable " + security}) {
		t.Fatalf("apply: row %+v, calls %v", o, det.calls)
	}
	det.calls = nil
	if res, err = EnableAdmin(context.Background(), d, config(t, ""), item(workflow.ModeApply), quiet); err != nil || len(det.calls) > 0 || res.Outcomes[0].Status != workflow.StatusUnchanged {
		t.Fatalf("re-run: %+v %v, calls %v", res, err, det.calls)
	}
}

func TestAdminOutcomes(t *testing.T) {
	throttled := awstest.ResponseErr("Detective", "ListOrganizationAdminAccounts", 429, &dtypes.TooManyRequestsException{Message: aws.String("slow down")})
	cases := []struct {
		name       string
		det        *fakeDetective
		gd         *fakeDetector
		wantStatus workflow.Status
		wantReason string
		wantErr    any
		wantCalls  []string
	}{
		{name: "GuardDuty younger than 48 hours: not yet eligible", det: &fakeDetective{}, gd: &fakeDetector{created: aged(47 * time.Hour)},
			wantStatus: workflow.StatusSkipped, wantReason: "not yet eligible: GuardDuty has been on in the security account in eu-west-1 since 2026-11-28T13:00:00Z (47h0m0s); Detective needs 48 hours, a run after 2026-11-30T13:00:00Z enables it"},
		{name: "no GuardDuty detector: not yet eligible", det: &fakeDetective{}, gd: &fakeDetector{},
			wantStatus: workflow.StatusSkipped, wantReason: "not yet eligible: GuardDuty has no detector in the security account in eu-west-1"},
		{name: "Detective refuses, naming GuardDuty: not yet eligible", det: &fakeDetective{refuse: "GuardDuty must be enabled for 48 hours"}, gd: &fakeDetector{created: aged(72 * time.Hour)},
			wantStatus: workflow.StatusSkipped, wantReason: "not yet eligible: Detective refused: GuardDuty must be enabled for 48 hours", wantCalls: []string{"Enable " + security}},
		{name: "another administrator is a conflict", det: &fakeDetective{admins: []string{"999999999999"}}, gd: &fakeDetector{created: aged(72 * time.Hour)},
			wantErr: new(*workflow.ConflictError)},
		{name: "throttled is retried", det: &fakeDetective{errs: map[string]error{"ListAdmins": throttled}}, gd: &fakeDetector{created: aged(72 * time.Hour)},
			wantErr: new(*workflow.RetryableError)},
		{name: "access denied is the region's failure", det: &fakeDetective{errs: map[string]error{"Enable": awstest.ResponseErr("Detective", "EnableOrganizationAdminAccount", 403, &dtypes.AccessDeniedException{Message: aws.String("denied")})}},
			gd: &fakeDetector{created: aged(72 * time.Hour)}, wantStatus: workflow.StatusFailed, wantReason: "denied", wantCalls: []string{"Enable " + security}},
		{name: "GuardDuty's read denied is the region's failure", det: &fakeDetective{},
			gd: &fakeDetector{err: awstest.ResponseErr("GuardDuty", "ListDetectors", 403, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "no"})}, wantStatus: workflow.StatusFailed, wantReason: "AccessDeniedException"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.det.errs == nil {
				c.det.errs = map[string]error{}
			}
			d := AdminDeps{Detective: c.det, GuardDuty: c.gd, Now: func() time.Time { return now }}
			res, err := EnableAdmin(context.Background(), d, config(t, ""), item(workflow.ModeApply), quiet)
			if c.wantErr != nil {
				if !errors.As(err, c.wantErr) {
					t.Fatalf("error %T %v, want %T", err, err, c.wantErr)
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
			if !slices.Equal(c.det.calls, c.wantCalls) {
				t.Errorf("calls %v, want %v", c.det.calls, c.wantCalls)
			}
		})
	}
}

func TestOrgConfiguresTheGraphAndItsMembers(t *testing.T) {
	graph := "arn:aws:detective:" + region + ":" + security + ":graph:abc"
	det := &fakeDetective{graph: graph, errs: map[string]error{},
		members:     []dtypes.MemberDetail{{AccountId: aws.String("444444444444"), Status: dtypes.MemberStatusEnabled}, {AccountId: aws.String("555555555555"), Status: dtypes.MemberStatusAcceptedButDisabled, DisabledReason: dtypes.MemberDisabledReasonVolumeTooHigh}},
		unprocessed: map[string]string{"777777777777": "The account is a member of another graph"}}
	accounts := []string{mgmt, security, "444444444444", "555555555555", "666666666666", "777777777777", "888888888888"}
	orgs := &fakeOrgs{all: accounts, suspended: []string{"888888888888"}}
	d := OrgDeps{Detective: det, Accounts: orgs}
	res, err := ConfigureOrg(context.Background(), d, config(t, ""), item(workflow.ModeApply, accounts...), quiet)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"UpdateOrganizationConfiguration true", "CreateMembers 3"}; !slices.Equal(det.calls, want) {
		t.Fatalf("calls %v, want %v; result %+v", det.calls, want, res)
	}
	rows := map[string]string{}
	for _, o := range res.Outcomes {
		rows[o.Account] = string(o.Status) + ": " + o.Reason
	}
	want := map[string]string{
		security:       "changed: ",
		"555555555555": "failed: a member Detective does not monitor: VOLUME_TOO_HIGH",
		"777777777777": "failed: CreateMembers did not add it: The account is a member of another graph",
		"888888888888": "skipped: not a member: the account is SUSPENDED",
	}
	for a, w := range want {
		if rows[a] != w {
			t.Errorf("%s: %q, want %q", a, rows[a], w)
		}
	}
	if len(rows) != len(want) {
		t.Errorf("rows %v", rows)
	}
	var acts []string
	for _, o := range res.Outcomes {
		for _, a := range o.Actions {
			acts = append(acts, a.String())
		}
	}
	if !slices.Contains(acts, CallCreateMembers+" 2 accounts") {
		t.Errorf("actions %v: want the two accounts added counted", acts)
	}

	// The re-run adds only what failed before, reads no address again for
	// the members, and changes nothing else.
	det.calls, orgs.calls, det.unprocessed = nil, 0, nil
	if _, err = ConfigureOrg(context.Background(), d, config(t, ""), item(workflow.ModeApply, accounts...), quiet); err != nil {
		t.Fatal(err)
	}
	if want := []string{"CreateMembers 1"}; !slices.Equal(det.calls, want) || orgs.calls != 1 {
		t.Errorf("re-run: calls %v (want %v), %d reads of accounts (want 1: the two still not members cost one ListAccounts page, fewer calls than a DescribeAccount each)", det.calls, want, orgs.calls)
	}
}

func TestOrgWithoutAGraphIsSkipped(t *testing.T) {
	d := OrgDeps{Detective: &fakeDetective{errs: map[string]error{}}, Accounts: &fakeOrgs{}}
	res, err := ConfigureOrg(context.Background(), d, config(t, ""), item(workflow.ModeApply, mgmt), quiet)
	if err != nil || res.Outcomes[0].Status != workflow.StatusSkipped || !strings.Contains(res.Outcomes[0].Reason, "no behavior graph in eu-west-1 yet") {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestOrgPlanChangesNothing(t *testing.T) {
	det := &fakeDetective{graph: "arn:g", errs: map[string]error{}}
	orgs := &fakeOrgs{}
	res, err := ConfigureOrg(context.Background(), OrgDeps{Detective: det, Accounts: orgs}, config(t, ""), item(workflow.ModePlan, mgmt, "444444444444"), quiet)
	if err != nil || len(det.calls) > 0 || orgs.calls > 0 {
		t.Fatalf("%+v %v, calls %v, %d reads", res, err, det.calls, orgs.calls)
	}
	if o := res.Outcomes[0]; o.Status != workflow.StatusPlanned || len(o.Actions) != 2 || o.Actions[1].Target != "2 accounts" {
		t.Fatalf("row %+v", o)
	}
}

func TestDisabledDetectiveDoesNothing(t *testing.T) {
	c := config(t, "")
	c.Services.Detective.Enabled = aws.Bool(false)
	res, err := ConfigureOrg(context.Background(), OrgDeps{}, c, item(workflow.ModeApply, mgmt), quiet)
	if err != nil || res.Outcomes[0].Status != workflow.StatusSkipped || res.Outcomes[0].Reason != "detective is disabled in the configuration" {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestMembersAddedByARetriedCallAreNotFailures(t *testing.T) {
	accounts := []string{mgmt, "444444444444", "666666666666"}
	det := &fakeDetective{graph: "arn:g", autoEnable: true, errs: map[string]error{}, lostResponse: true}
	d := OrgDeps{Detective: det, Accounts: &fakeOrgs{all: accounts}}
	res, err := ConfigureOrg(context.Background(), d, config(t, ""), item(workflow.ModeApply, accounts...), quiet)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Outcomes) != 1 || res.Outcomes[0].Status != workflow.StatusChanged || res.Outcomes[0].Actions[0].Target != "3 accounts" {
		t.Fatalf("want one changed row counting the 3 accounts added: %+v", res.Outcomes)
	}
}

func TestAFullGraphFailsTheAccountsItCannotTake(t *testing.T) {
	var accounts []string
	for i := range 120 {
		accounts = append(accounts, fmt.Sprintf("5000000%05d", i))
	}
	det := &fakeDetective{graph: "arn:g", autoEnable: true, errs: map[string]error{}, limit: 60}
	d := OrgDeps{Detective: det, Accounts: &fakeOrgs{all: accounts}}
	res, err := ConfigureOrg(context.Background(), d, config(t, ""), item(workflow.ModeApply, accounts...), quiet)
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, o := range res.Outcomes {
		if o.Status == workflow.StatusFailed && strings.Contains(o.Reason, "the behavior graph is full") {
			failed++
		}
		if o.Account == security && (len(o.Actions) != 1 || o.Actions[0].Target != "50 accounts") {
			t.Errorf("the region's row %+v: want the 50 accounts added counted", o)
		}
	}
	if failed != 70 || len(det.members) != 50 {
		t.Errorf("%d failed rows (want 70), %d members (want 50)", failed, len(det.members))
	}
}

func TestWithGuardDutyOffDetectiveDecides(t *testing.T) {
	det := &fakeDetective{errs: map[string]error{}}
	d := AdminDeps{Detective: det, GuardDuty: &fakeDetector{}, Now: func() time.Time { return now }}
	res, err := EnableAdmin(context.Background(), d, config(t, "  guardduty: {enabled: false}\n"), item(workflow.ModeApply), quiet)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcomes[0].Status != workflow.StatusChanged || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "Detective decides") {
		t.Fatalf("%+v", res)
	}
}
