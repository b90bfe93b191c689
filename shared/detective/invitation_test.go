package detective

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/detective"
	dtypes "github.com/aws/aws-sdk-go-v2/service/detective/types"

	"github.com/orgbaseline/orgbaseline/shared/local/awstest"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

const (
	member = "444444444444"
	other  = "999999999999"
	// otherGraph is another administrator's behavior graph in region.
	otherGraph = "arn:aws:detective:" + region + ":" + other + ":graph:fedcba9876543210fedcba9876543210"
)

// invitationConfig is config with Detective in invitation mode.
func invitationConfig(t *testing.T) settings.Config {
	t.Helper()
	c := config(t, "")
	c.Services.Detective.Mode = settings.DetectiveInvitation
	return c
}

func TestAdminInvitationMode(t *testing.T) {
	throttled := awstest.ResponseErr("Detective", "ListGraphs", 429, &dtypes.TooManyRequestsException{Message: aws.String("slow down")})
	denied := awstest.ResponseErr("Detective", "CreateGraph", 403, &dtypes.AccessDeniedException{Message: aws.String("denied")})
	cases := []struct {
		name       string
		mode       workflow.Mode
		mgmt       *fakeDetective // ListOrganizationAdminAccounts, management account
		sec        *fakeDetective // the security account's graph
		age        time.Duration
		wantStatus workflow.Status
		wantReason string
		wantErr    any
		wantCalls  []string
	}{
		{name: "first apply creates the security account's graph", mode: workflow.ModeApply, mgmt: &fakeDetective{}, sec: &fakeDetective{}, age: 49 * time.Hour,
			wantStatus: workflow.StatusChanged, wantCalls: []string{"CreateGraph"}},
		{name: "a graph already there changes nothing", mode: workflow.ModeApply, mgmt: &fakeDetective{}, sec: &fakeDetective{graph: testGraph}, age: 49 * time.Hour,
			wantStatus: workflow.StatusUnchanged},
		{name: "plan only reads", mode: workflow.ModePlan, mgmt: &fakeDetective{}, sec: &fakeDetective{}, age: 49 * time.Hour,
			wantStatus: workflow.StatusPlanned},
		{name: "GuardDuty younger than 48 hours: not yet eligible", mode: workflow.ModeApply, mgmt: &fakeDetective{}, sec: &fakeDetective{}, age: 47 * time.Hour,
			wantStatus: workflow.StatusSkipped, wantReason: "not yet eligible: GuardDuty has been on in the security account in eu-west-1"},
		{name: "Detective refuses, naming GuardDuty: not yet eligible", mode: workflow.ModeApply, mgmt: &fakeDetective{}, sec: &fakeDetective{refuse: "GuardDuty must be enabled for 48 hours"}, age: 72 * time.Hour,
			wantStatus: workflow.StatusSkipped, wantReason: "not yet eligible: Detective refused", wantCalls: []string{"CreateGraph"}},
		{name: "the security account already the organization administrator: conflict, nothing undone", mode: workflow.ModeApply,
			mgmt: &fakeDetective{admins: []string{security}}, sec: &fakeDetective{graph: testGraph}, age: 72 * time.Hour, wantErr: new(*workflow.ConflictError)},
		{name: "another organization administrator: conflict", mode: workflow.ModeApply,
			mgmt: &fakeDetective{admins: []string{other}}, sec: &fakeDetective{}, age: 72 * time.Hour, wantErr: new(*workflow.ConflictError)},
		{name: "throttled is retried", mode: workflow.ModeApply, mgmt: &fakeDetective{}, sec: &fakeDetective{errs: map[string]error{"ListGraphs": throttled}}, age: 72 * time.Hour,
			wantErr: new(*workflow.RetryableError)},
		{name: "access denied is the region's failure", mode: workflow.ModeApply, mgmt: &fakeDetective{}, sec: &fakeDetective{errs: map[string]error{"CreateGraph": denied}}, age: 72 * time.Hour,
			wantStatus: workflow.StatusFailed, wantReason: "denied", wantCalls: []string{"CreateGraph"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, f := range []*fakeDetective{c.mgmt, c.sec} {
				if f.errs == nil {
					f.errs = map[string]error{}
				}
			}
			d := AdminDeps{Detective: c.mgmt, Graphs: c.sec, GuardDuty: &fakeDetector{created: aged(c.age)}, Now: func() time.Time { return now }}
			res, err := EnableAdmin(context.Background(), d, invitationConfig(t), item(c.mode), quiet)
			if len(c.mgmt.calls) > 0 {
				t.Errorf("calls in the management account: %v", c.mgmt.calls)
			}
			if !slices.Equal(c.sec.calls, c.wantCalls) {
				t.Errorf("calls %v, want %v", c.sec.calls, c.wantCalls)
			}
			if c.wantErr != nil {
				if !errors.As(err, c.wantErr) {
					t.Fatalf("error %T %v, want %T", err, err, c.wantErr)
				}
				var ce *workflow.ConflictError
				if errors.As(err, &ce) && (!strings.Contains(err.Error(), "services.detective.mode: organization") || !strings.Contains(err.Error(), c.mgmt.admins[0])) {
					t.Errorf("the conflict does not name the administrator and the setting to change: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			o := res.Outcomes[0]
			if o.Status != c.wantStatus || !strings.Contains(o.Reason, c.wantReason) || o.Account != security {
				t.Errorf("row %s %s %q, want %s in %s %q", o.Account, o.Status, o.Reason, c.wantStatus, security, c.wantReason)
			}
		})
	}
}

func TestAdminInvitationModeRerunChangesNothing(t *testing.T) {
	mgmtDet, sec := &fakeDetective{errs: map[string]error{}}, &fakeDetective{errs: map[string]error{}}
	d := AdminDeps{Detective: mgmtDet, Graphs: sec, GuardDuty: &fakeDetector{created: aged(72 * time.Hour)}, Now: func() time.Time { return now }}
	if _, err := EnableAdmin(context.Background(), d, invitationConfig(t), item(workflow.ModeApply), quiet); err != nil {
		t.Fatal(err)
	}
	sec.calls = nil
	res, err := EnableAdmin(context.Background(), d, invitationConfig(t), item(workflow.ModeApply), quiet)
	if err != nil || len(sec.calls) > 0 || res.Outcomes[0].Status != workflow.StatusUnchanged {
		t.Fatalf("re-run: %+v %v, calls %v", res, err, sec.calls)
	}
}

// In invitation mode detective-org invites the run's accounts to the
// security account's own graph, without the organization configuration,
// and a re-run makes no call.
func TestOrgInvitationModeInvites(t *testing.T) {
	accounts := []string{mgmt, security, member, "555555555555"}
	det := &fakeDetective{graph: testGraph, invite: true, errs: map[string]error{}}
	d := OrgDeps{Detective: det, Accounts: &fakeOrgs{all: accounts}}
	res, err := ConfigureOrg(context.Background(), d, invitationConfig(t), item(workflow.ModeApply, accounts...), quiet)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"CreateMembers 3"}; !slices.Equal(det.calls, want) {
		t.Fatalf("calls %v, want %v", det.calls, want)
	}
	if len(res.Outcomes) != 1 || res.Outcomes[0].Status != workflow.StatusChanged {
		t.Fatalf("rows %+v", res.Outcomes)
	}
	for _, m := range det.members {
		if m.Status != dtypes.MemberStatusInvited {
			t.Errorf("member %s is %s, want INVITED", aws.ToString(m.AccountId), m.Status)
		}
	}
	det.calls = nil
	res, err = ConfigureOrg(context.Background(), d, invitationConfig(t), item(workflow.ModeApply, accounts...), quiet)
	if err != nil || len(det.calls) > 0 || res.Outcomes[0].Status != workflow.StatusUnchanged {
		t.Fatalf("re-run: %+v %v, calls %v", res.Outcomes, err, det.calls)
	}
}

// fakeInvitations is Detective in one member account and region: its
// invitations, errors once per operation, and the mutating calls.
type fakeInvitations struct {
	mu    sync.Mutex
	invs  []dtypes.MemberDetail
	errs  map[string]error
	calls []string
	// acceptedMeanwhile: AcceptInvitation finds the invitation accepted by
	// another run (ConflictException), which it is.
	acceptedMeanwhile bool
}

func (f *fakeInvitations) err(op string) error {
	if e, ok := f.errs[op]; ok {
		delete(f.errs, op)
		return e
	}
	return nil
}

func (f *fakeInvitations) ListInvitations(ctx context.Context, in *detective.ListInvitationsInput, _ ...func(*detective.Options)) (*detective.ListInvitationsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.err("ListInvitations"); err != nil {
		return nil, err
	}
	return &detective.ListInvitationsOutput{Invitations: slices.Clone(f.invs)}, nil
}

func (f *fakeInvitations) AcceptInvitation(ctx context.Context, in *detective.AcceptInvitationInput, _ ...func(*detective.Options)) (*detective.AcceptInvitationOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "AcceptInvitation "+aws.ToString(in.GraphArn))
	if err := f.err("AcceptInvitation"); err != nil {
		return nil, err
	}
	for i := range f.invs {
		if aws.ToString(f.invs[i].GraphArn) != aws.ToString(in.GraphArn) {
			continue
		}
		if f.invs[i].Status != dtypes.MemberStatusInvited || f.acceptedMeanwhile {
			f.invs[i].Status = dtypes.MemberStatusEnabled
			return nil, &dtypes.ConflictException{Message: aws.String("the membership is ENABLED, not INVITED")}
		}
		f.invs[i].Status = dtypes.MemberStatusEnabled
		return &detective.AcceptInvitationOutput{}, nil
	}
	return nil, &dtypes.ResourceNotFoundException{Message: aws.String("no invitation")}
}

func invitation(graph string, status dtypes.MemberStatus) dtypes.MemberDetail {
	owner, _ := graphOwner(graph)
	return dtypes.MemberDetail{GraphArn: aws.String(graph), AccountId: aws.String(member), AdministratorId: aws.String(owner), Status: status, InvitationType: dtypes.InvitationTypeInvitation}
}

func accountItem(mode workflow.Mode, account string, regions ...string) workflow.Item {
	return workflow.Item{Input: workflow.Input{Mode: mode}, Account: account, Regions: regions}
}

func TestAcceptOutcomes(t *testing.T) {
	throttled := awstest.ResponseErr("Detective", "ListInvitations", 429, &dtypes.TooManyRequestsException{Message: aws.String("slow down")})
	denied := awstest.ResponseErr("Detective", "ListInvitations", 403, &dtypes.AccessDeniedException{Message: aws.String("not authorized to perform detective:ListInvitations")})
	cases := []struct {
		name       string
		mode       workflow.Mode
		api        *fakeInvitations
		wantStatus workflow.Status
		wantReason []string
		wantErr    any
		wantCalls  []string
		warnings   int
	}{
		{name: "first apply accepts the security account's invitation", mode: workflow.ModeApply, api: &fakeInvitations{invs: []dtypes.MemberDetail{invitation(testGraph, dtypes.MemberStatusInvited)}},
			wantStatus: workflow.StatusChanged, wantCalls: []string{"AcceptInvitation " + testGraph}},
		{name: "already accepted: no call", mode: workflow.ModeApply, api: &fakeInvitations{invs: []dtypes.MemberDetail{invitation(testGraph, dtypes.MemberStatusEnabled)}},
			wantStatus: workflow.StatusUnchanged},
		{name: "plan only reads", mode: workflow.ModePlan, api: &fakeInvitations{invs: []dtypes.MemberDetail{invitation(testGraph, dtypes.MemberStatusInvited)}},
			wantStatus: workflow.StatusPlanned},
		{name: "accepted meanwhile by another run is success", mode: workflow.ModeApply, api: &fakeInvitations{acceptedMeanwhile: true, invs: []dtypes.MemberDetail{invitation(testGraph, dtypes.MemberStatusInvited)}},
			wantStatus: workflow.StatusChanged, wantCalls: []string{"AcceptInvitation " + testGraph}},
		{name: "an invitation from another administrator only: a conflict row naming both", mode: workflow.ModeApply, api: &fakeInvitations{invs: []dtypes.MemberDetail{invitation(otherGraph, dtypes.MemberStatusInvited)}},
			wantStatus: workflow.StatusFailed, wantReason: []string{"conflict", other, otherGraph, security}},
		{name: "another administrator's beside the security account's: accepted, a warning, the other untouched", mode: workflow.ModeApply,
			api:        &fakeInvitations{invs: []dtypes.MemberDetail{invitation(otherGraph, dtypes.MemberStatusInvited), invitation(testGraph, dtypes.MemberStatusInvited)}},
			wantStatus: workflow.StatusChanged, wantCalls: []string{"AcceptInvitation " + testGraph}, warnings: 1},
		{name: "no invitation yet: skipped for a later run", mode: workflow.ModeApply, api: &fakeInvitations{},
			wantStatus: workflow.StatusSkipped, wantReason: []string{"no invitation from the security account's behavior graph in eu-west-1 yet"}},
		{name: "an invitation in another region is not this region's", mode: workflow.ModeApply,
			api:        &fakeInvitations{invs: []dtypes.MemberDetail{invitation(strings.Replace(testGraph, region, "us-east-1", 1), dtypes.MemberStatusInvited)}},
			wantStatus: workflow.StatusSkipped, wantReason: []string{"no invitation"}},
		{name: "a member Detective does not monitor fails", mode: workflow.ModeApply,
			api: &fakeInvitations{invs: []dtypes.MemberDetail{func() dtypes.MemberDetail {
				m := invitation(testGraph, dtypes.MemberStatusAcceptedButDisabled)
				m.DisabledReason = dtypes.MemberDisabledReasonVolumeTooHigh
				return m
			}()}},
			wantStatus: workflow.StatusFailed, wantReason: []string{"VOLUME_TOO_HIGH"}},
		{name: "throttled is retried", mode: workflow.ModeApply, api: &fakeInvitations{errs: map[string]error{"ListInvitations": throttled}},
			wantErr: new(*workflow.RetryableError)},
		{name: "access denied is the region's failure", mode: workflow.ModeApply, api: &fakeInvitations{errs: map[string]error{"ListInvitations": denied}},
			wantStatus: workflow.StatusFailed, wantReason: []string{"detective:ListInvitations"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.api.errs == nil {
				c.api.errs = map[string]error{}
			}
			res, err := AcceptInvitations(context.Background(), func(string) AcceptAPI { return c.api }, invitationConfig(t), accountItem(c.mode, member, region), quiet)
			if !slices.Equal(c.api.calls, c.wantCalls) {
				t.Errorf("calls %v, want %v", c.api.calls, c.wantCalls)
			}
			if c.wantErr != nil {
				if !errors.As(err, c.wantErr) {
					t.Fatalf("error %T %v, want %T", err, err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Outcomes) != 1 || len(res.Warnings) != c.warnings {
				t.Fatalf("rows %+v, warnings %v", res.Outcomes, res.Warnings)
			}
			o := res.Outcomes[0]
			if o.Status != c.wantStatus || o.Account != member || o.Region != region {
				t.Errorf("row %+v, want %s", o, c.wantStatus)
			}
			for _, w := range c.wantReason {
				if !strings.Contains(o.Reason, w) {
					t.Errorf("reason %q does not say %q", o.Reason, w)
				}
			}
			if c.api.acceptedMeanwhile && c.api.invs[0].Status != dtypes.MemberStatusEnabled {
				t.Errorf("invitation %+v", c.api.invs[0])
			}
			if c.warnings > 0 && c.api.invs[0].Status != dtypes.MemberStatusInvited {
				t.Errorf("another administrator's invitation was answered: %+v", c.api.invs[0])
			}
		})
	}
}

// A first apply accepts in every region; the re-run makes no mutating
// call.
func TestAcceptRerunChangesNothing(t *testing.T) {
	regions := []string{"us-east-1", region}
	apis := map[string]*fakeInvitations{}
	for _, r := range regions {
		apis[r] = &fakeInvitations{errs: map[string]error{}, invs: []dtypes.MemberDetail{invitation(strings.Replace(testGraph, region, r, 1), dtypes.MemberStatusInvited)}}
	}
	in := func(r string) AcceptAPI { return apis[r] }
	res, err := AcceptInvitations(context.Background(), in, invitationConfig(t), accountItem(workflow.ModeApply, member, regions...), quiet)
	if err != nil || !res.Changed || len(res.Outcomes) != 2 {
		t.Fatalf("first apply: %+v %v", res, err)
	}
	for _, a := range apis {
		a.calls = nil
	}
	res, err = AcceptInvitations(context.Background(), in, invitationConfig(t), accountItem(workflow.ModeApply, member, regions...), quiet)
	if err != nil || res.Changed {
		t.Fatalf("re-run: %+v %v", res, err)
	}
	for r, a := range apis {
		if len(a.calls) > 0 {
			t.Errorf("%s: re-run calls %v", r, a.calls)
		}
	}
	for _, o := range res.Outcomes {
		if o.Status != workflow.StatusUnchanged {
			t.Errorf("re-run row %+v", o)
		}
	}
}

// Access denied in one member account fails that account's rows only: the
// next account's invitations are accepted.
func TestAcceptDeniedInOneAccountOnly(t *testing.T) {
	denied := awstest.ResponseErr("Detective", "ListInvitations", 403, &dtypes.AccessDeniedException{Message: aws.String("denied")})
	regions := []string{"us-east-1", region}
	apis := map[string]*fakeInvitations{}
	for _, a := range []string{member, "555555555555"} {
		for _, r := range regions {
			f := &fakeInvitations{errs: map[string]error{}, invs: []dtypes.MemberDetail{invitation(strings.Replace(testGraph, region, r, 1), dtypes.MemberStatusInvited)}}
			if a == member {
				f.errs["ListInvitations"] = denied
			}
			apis[a+" "+r] = f
		}
	}
	for _, a := range []string{member, "555555555555"} {
		res, err := AcceptInvitations(context.Background(), func(r string) AcceptAPI { return apis[a+" "+r] }, invitationConfig(t), accountItem(workflow.ModeApply, a, regions...), quiet)
		if err != nil {
			t.Fatal(err)
		}
		want := workflow.StatusChanged
		if a == member {
			want = workflow.StatusFailed
		}
		for _, o := range res.Outcomes {
			if o.Account != a || o.Status != want {
				t.Errorf("%s: row %+v, want %s", a, o, want)
			}
		}
	}
}

func TestAcceptSkips(t *testing.T) {
	off := config(t, "")
	off.Services.Detective.Enabled = aws.Bool(false)
	cases := []struct {
		name    string
		cfg     settings.Config
		account string
		want    string
	}{
		{"organization mode", config(t, ""), member, ReasonOrganizationMode},
		{"the security account", invitationConfig(t), security, ReasonAdministrator},
		{"Detective off", off, member, "detective is disabled in the configuration"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			called := false
			in := func(string) AcceptAPI { called = true; return nil }
			res, err := AcceptInvitations(context.Background(), in, c.cfg, accountItem(workflow.ModeApply, c.account, "us-east-1", region), quiet)
			if err != nil || called || len(res.Outcomes) != 2 {
				t.Fatalf("%+v %v, called %v", res, err, called)
			}
			for _, o := range res.Outcomes {
				if o.Status != workflow.StatusSkipped || o.Reason != c.want {
					t.Errorf("row %+v, want skipped %q", o, c.want)
				}
			}
		})
	}
}

// The grants follow the mode: invitation mode reads the organization
// administrators only and creates the graph in the security account; the
// accept step has grants in invitation mode alone, on the security
// account's graphs.
func TestGrantsFollowTheMode(t *testing.T) {
	org, inv := config(t, ""), invitationConfig(t)
	actions := func(gs []step.Grant) string { return strings.Join(step.Actions(gs), " ") }
	if a := actions(AdminGrants(inv).Lambda); a != "detective:ListOrganizationAdminAccount" {
		t.Errorf("invitation mode, detective-admin's Lambda grants: %s", a)
	}
	if a := actions(AdminGrants(inv).Security); !strings.Contains(a, "detective:CreateGraph") || !strings.Contains(a, "guardduty:GetDetector") {
		t.Errorf("invitation mode, detective-admin's security grants: %s", a)
	}
	if a := actions(AdminGrants(org).Security); strings.Contains(a, "detective:") {
		t.Errorf("organization mode, detective-admin's security grants: %s", a)
	}
	if a := actions(OrgGrants(inv).Security); strings.Contains(a, "OrganizationConfiguration") {
		t.Errorf("invitation mode, detective-org's grants: %s", a)
	}
	if g := AcceptGrants(org); len(g.Lambda)+len(g.Members) > 0 {
		t.Errorf("organization mode, detective-accept's grants: %+v", g)
	}
	g := AcceptGrants(inv)
	for _, gs := range [][]step.Grant{g.Lambda, g.Members} {
		for _, gr := range gs {
			if slices.Contains(gr.Actions, "detective:AcceptInvitation") && !slices.Equal(gr.Resources, []string{fmt.Sprintf("arn:aws:detective:*:%s:graph:*", security)}) {
				t.Errorf("AcceptInvitation on %v", gr.Resources)
			}
		}
	}
	for _, c := range []settings.Config{org, inv} {
		for _, s := range []step.Step{AdminStep, OrgStep, AcceptStep} {
			gs, _ := s.Grants(c)
			if p := step.GrantProblems(gs, c); len(p) > 0 {
				t.Errorf("%s (%s mode): %v", s.Spec.Name, c.Services.Detective.Mode, p)
			}
		}
	}
}
