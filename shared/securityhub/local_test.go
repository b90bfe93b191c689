package securityhub

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/smithy-go"

	"github.com/orgbaseline/orgbaseline/shared/local/awstest"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

const localConfig = "services:\n  securityhub: {configuration: local, standards: [standards/aws-foundational-security-best-practices/v/1.0.0, ruleset/cis-aws-foundations-benchmark/v/1.2.0]}\n"

// fakeAdmin is the delegated administrator's Security Hub in one region:
// its organization configuration and members.
type fakeAdmin struct {
	confType    shtypes.OrganizationConfigurationConfigurationType
	autoEnable  bool
	autoStds    shtypes.AutoEnableStandards
	members     map[string]string // status by account
	unprocessed map[string]string // accounts CreateMembers leaves out, with why
	errs        map[string]error
	calls       []string
}

func newAdmin() *fakeAdmin {
	return &fakeAdmin{confType: shtypes.OrganizationConfigurationConfigurationTypeLocal, autoStds: shtypes.AutoEnableStandardsDefault,
		members: map[string]string{}, unprocessed: map[string]string{}, errs: map[string]error{}}
}

func (f *fakeAdmin) DescribeOrganizationConfiguration(ctx context.Context, in *securityhub.DescribeOrganizationConfigurationInput, _ ...func(*securityhub.Options)) (*securityhub.DescribeOrganizationConfigurationOutput, error) {
	if err := f.errs["Describe"]; err != nil {
		return nil, err
	}
	return &securityhub.DescribeOrganizationConfigurationOutput{AutoEnable: aws.Bool(f.autoEnable), AutoEnableStandards: f.autoStds,
		OrganizationConfiguration: &shtypes.OrganizationConfiguration{ConfigurationType: f.confType, Status: shtypes.OrganizationConfigurationStatusEnabled}}, nil
}

func (f *fakeAdmin) UpdateOrganizationConfiguration(ctx context.Context, in *securityhub.UpdateOrganizationConfigurationInput, _ ...func(*securityhub.Options)) (*securityhub.UpdateOrganizationConfigurationOutput, error) {
	f.calls = append(f.calls, fmt.Sprintf("UpdateOrganizationConfiguration %s autoEnable=%v %s", in.OrganizationConfiguration.ConfigurationType, aws.ToBool(in.AutoEnable), in.AutoEnableStandards))
	f.autoEnable, f.autoStds, f.confType = aws.ToBool(in.AutoEnable), in.AutoEnableStandards, in.OrganizationConfiguration.ConfigurationType
	return &securityhub.UpdateOrganizationConfigurationOutput{}, nil
}

func (f *fakeAdmin) ListMembers(ctx context.Context, in *securityhub.ListMembersInput, _ ...func(*securityhub.Options)) (*securityhub.ListMembersOutput, error) {
	if aws.ToBool(in.OnlyAssociated) {
		return nil, errors.New("OnlyAssociated true hides members that are not Enabled")
	}
	out := &securityhub.ListMembersOutput{}
	for id, st := range f.members {
		out.Members = append(out.Members, shtypes.Member{AccountId: aws.String(id), MemberStatus: aws.String(st)})
	}
	return out, nil
}

func (f *fakeAdmin) CreateMembers(ctx context.Context, in *securityhub.CreateMembersInput, _ ...func(*securityhub.Options)) (*securityhub.CreateMembersOutput, error) {
	var ids []string
	out := &securityhub.CreateMembersOutput{}
	for _, a := range in.AccountDetails {
		id := aws.ToString(a.AccountId)
		ids = append(ids, id)
		if why, ok := f.unprocessed[id]; ok {
			out.UnprocessedAccounts = append(out.UnprocessedAccounts, shtypes.Result{AccountId: aws.String(id), ProcessingResult: aws.String(why)})
			continue
		}
		f.members[id] = "Enabled"
	}
	slices.Sort(ids)
	f.calls = append(f.calls, "CreateMembers "+strings.Join(ids, ","))
	return out, nil
}

func localItem(mode workflow.Mode, accounts ...string) workflow.Item {
	return workflow.Item{Input: workflow.Input{Mode: mode}, Region: home, Accounts: accounts}
}

func TestLocalConfiguration(t *testing.T) {
	cfg := config(t, localConfig)
	run := []string{mgmt, security, "444444444444", "555555555555"}
	converged := func() *fakeAdmin {
		f := newAdmin()
		f.autoEnable, f.autoStds = true, shtypes.AutoEnableStandardsNone
		for _, a := range []string{mgmt, "444444444444", "555555555555"} {
			f.members[a] = "Enabled"
		}
		return f
	}
	partial := converged()
	delete(partial.members, "555555555555")
	partial.members[mgmt] = "Removed"
	central := newAdmin()
	central.confType = shtypes.OrganizationConfigurationConfigurationTypeCentral
	denied := newAdmin()
	denied.unprocessed["555555555555"] = "Access denied by an SCP"
	for name, c := range map[string]struct {
		f         *fakeAdmin
		mode      workflow.Mode
		wantCalls []string
		status    workflow.Status
		failed    string // account with a failed row of its own
	}{
		"first apply": {newAdmin(), workflow.ModeApply, []string{
			"UpdateOrganizationConfiguration LOCAL autoEnable=true NONE", "CreateMembers 111111111111,444444444444,555555555555"}, workflow.StatusChanged, ""},
		"unchanged re-run makes no call": {converged(), workflow.ModeApply, nil, workflow.StatusUnchanged, ""},
		"plan changes nothing":           {newAdmin(), workflow.ModePlan, nil, workflow.StatusPlanned, ""},
		"already members are left, former ones added again": {partial, workflow.ModeApply, []string{
			"CreateMembers 111111111111,555555555555"}, workflow.StatusChanged, ""},
		"central configuration found is a failure, never switched": {central, workflow.ModeApply, nil, workflow.StatusFailed, ""},
		"an account CreateMembers leaves out is its own row": {denied, workflow.ModeApply, []string{
			"UpdateOrganizationConfiguration LOCAL autoEnable=true NONE", "CreateMembers 111111111111,444444444444,555555555555"}, workflow.StatusChanged, "555555555555"},
	} {
		t.Run(name, func(t *testing.T) {
			res, err := ConfigureLocal(context.Background(), c.f, cfg, localItem(c.mode, run...), quiet)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.f.calls, c.wantCalls) {
				t.Errorf("calls %v, want %v", c.f.calls, c.wantCalls)
			}
			var own *workflow.Outcome
			for i, o := range res.Outcomes {
				if o.Account == security {
					own = &res.Outcomes[i]
				} else if o.Account != c.failed || o.Status != workflow.StatusFailed || !strings.Contains(o.Reason, "Access denied by an SCP") {
					t.Errorf("unexpected row %+v", o)
				}
			}
			if own == nil || own.Status != c.status {
				t.Fatalf("rows %+v, want the security account's %s", res.Outcomes, c.status)
			}
			if c.f == central && own.Reason != CentralFoundShort {
				t.Errorf("reason %q", own.Reason)
			}
			if c.failed != "" && len(res.Outcomes) != 2 {
				t.Errorf("rows %+v: want the failed account's row", res.Outcomes)
			}
		})
	}
}

func TestLocalOutcomes(t *testing.T) {
	throttled := newAdmin()
	throttled.errs["Describe"] = awstest.ResponseErr("SecurityHub", "DescribeOrganizationConfiguration", 429, &smithy.GenericAPIError{Code: "TooManyRequestsException"})
	notAdmin := newAdmin()
	notAdmin.errs["Describe"] = &shtypes.InvalidAccessException{Message: aws.String("Account 222222222222 is not an administrator for this organization")}

	if _, err := ConfigureLocal(context.Background(), throttled, config(t, localConfig), localItem(workflow.ModeApply, mgmt), quiet); !errors.As(err, new(*workflow.RetryableError)) {
		t.Errorf("throttled: %T %v, want RetryableError", err, err)
	}
	if _, err := ConfigureLocal(context.Background(), notAdmin, config(t, localConfig), localItem(workflow.ModeApply, mgmt), quiet); !errors.As(err, new(*workflow.NotReadyError)) {
		t.Errorf("administrator not acting yet: %T %v, want NotReadyError", err, err)
	}
	res, err := ConfigureLocal(context.Background(), notAdmin, config(t, localConfig), localItem(workflow.ModePlan, mgmt), quiet)
	if err != nil || res.Outcomes[0].Status != workflow.StatusPlanned || len(res.Outcomes[0].Actions) != 2 {
		t.Errorf("plan before the administrator: %+v %v", res, err)
	}

	// Central configuration: one skipped row, no call.
	f := newAdmin()
	res, err = ConfigureLocal(context.Background(), f, config(t, ""), localItem(workflow.ModeApply, mgmt), quiet)
	if err != nil || len(res.Outcomes) != 1 || res.Outcomes[0].Status != workflow.StatusSkipped || res.Outcomes[0].Reason != CentralSkip || len(f.calls) > 0 {
		t.Errorf("central: %+v %v, calls %v", res, err, f.calls)
	}
}

// fakeMember is Security Hub in one member account and region.
type fakeMember struct {
	mu       sync.Mutex
	on       bool
	enabled  map[string]shtypes.StandardsStatus
	err      error
	calls    int
	lastCall []string
}

func (f *fakeMember) DescribeHub(ctx context.Context, in *securityhub.DescribeHubInput, _ ...func(*securityhub.Options)) (*securityhub.DescribeHubOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	if !f.on {
		return nil, &shtypes.InvalidAccessException{Message: aws.String("Account is not subscribed to AWS Security Hub")}
	}
	return &securityhub.DescribeHubOutput{}, nil
}

func (f *fakeMember) GetEnabledStandards(ctx context.Context, in *securityhub.GetEnabledStandardsInput, _ ...func(*securityhub.Options)) (*securityhub.GetEnabledStandardsOutput, error) {
	out := &securityhub.GetEnabledStandardsOutput{}
	for arn, st := range f.enabled {
		out.StandardsSubscriptions = append(out.StandardsSubscriptions, shtypes.StandardsSubscription{StandardsArn: aws.String(arn), StandardsStatus: st})
	}
	return out, nil
}

func (f *fakeMember) BatchEnableStandards(ctx context.Context, in *securityhub.BatchEnableStandardsInput, _ ...func(*securityhub.Options)) (*securityhub.BatchEnableStandardsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.lastCall = nil
	for _, r := range in.StandardsSubscriptionRequests {
		f.lastCall = append(f.lastCall, aws.ToString(r.StandardsArn))
		f.enabled[aws.ToString(r.StandardsArn)] = shtypes.StandardsStatusPending
	}
	return &securityhub.BatchEnableStandardsOutput{}, nil
}

func fsbp(region string) string {
	return "arn:aws:securityhub:" + region + "::standards/aws-foundational-security-best-practices/v/1.0.0"
}

const cis = "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0"

func TestStandards(t *testing.T) {
	regions := []string{home, "eu-west-1"}
	cfg := config(t, localConfig)
	type hubs map[string]*fakeMember
	fresh := func() hubs {
		h := hubs{}
		for _, r := range regions {
			h[r] = &fakeMember{on: true, enabled: map[string]shtypes.StandardsStatus{}}
		}
		return h
	}
	converged := func() hubs {
		h := fresh()
		for _, r := range regions {
			h[r].enabled[fsbp(r)], h[r].enabled[cis] = shtypes.StandardsStatusReady, shtypes.StandardsStatusReady
		}
		return h
	}
	partly := converged()
	delete(partly[home].enabled, cis)
	partly[home].enabled["arn:aws:securityhub:us-east-1::standards/pci-dss/v/3.2.1"] = shtypes.StandardsStatusReady
	deleting := converged()
	deleting["eu-west-1"].enabled[cis] = shtypes.StandardsStatusDeleting
	denied := converged()
	denied["eu-west-1"].err = &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized"}
	off := func() hubs {
		h := fresh()
		h["eu-west-1"].on = false
		return h
	}

	for name, c := range map[string]struct {
		h        hubs
		mode     workflow.Mode
		enable   map[string][]string // region: the standards enabled
		statuses []workflow.Status   // by region
		wantErr  any
	}{
		"first apply":                                      {fresh(), workflow.ModeApply, map[string][]string{home: {fsbp(home), cis}, "eu-west-1": {fsbp("eu-west-1"), cis}}, []workflow.Status{workflow.StatusChanged, workflow.StatusChanged}, nil},
		"unchanged re-run makes no call":                   {converged(), workflow.ModeApply, nil, []workflow.Status{workflow.StatusUnchanged, workflow.StatusUnchanged}, nil},
		"plan changes nothing":                             {fresh(), workflow.ModePlan, nil, []workflow.Status{workflow.StatusPlanned, workflow.StatusPlanned}, nil},
		"partly enabled: the missing only, others left on": {partly, workflow.ModeApply, map[string][]string{home: {cis}}, []workflow.Status{workflow.StatusChanged, workflow.StatusUnchanged}, nil},
		"a standard being deleted is enabled again":        {deleting, workflow.ModeApply, map[string][]string{"eu-west-1": {cis}}, []workflow.Status{workflow.StatusUnchanged, workflow.StatusChanged}, nil},
		"access denied fails that region's row only":       {denied, workflow.ModeApply, nil, []workflow.Status{workflow.StatusUnchanged, workflow.StatusFailed}, nil},
		"a hub not on yet is waited for":                   {off(), workflow.ModeApply, nil, nil, new(*workflow.NotReadyError)},
		"a hub not on yet is planned":                      {off(), workflow.ModePlan, nil, []workflow.Status{workflow.StatusPlanned, workflow.StatusPlanned}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			item := workflow.Item{Input: workflow.Input{Mode: c.mode}, Account: "444444444444", Regions: regions}
			res, err := EnableStandards(context.Background(), func(r string) StandardsAPI { return c.h[r] }, cfg, item, quiet)
			if c.wantErr != nil {
				if !errors.As(err, c.wantErr) {
					t.Fatalf("%T %v, want %T", err, err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range regions {
				if o := res.Outcomes[i]; o.Region != r || o.Status != c.statuses[i] || o.Account != "444444444444" {
					t.Errorf("%s: row %+v, want %s", r, o, c.statuses[i])
				}
				want := c.enable[r]
				if got := c.h[r].lastCall; !slices.Equal(got, want) || (len(want) == 0) != (c.h[r].calls == 0) {
					t.Errorf("%s: BatchEnableStandards %v (%d calls), want %v", r, got, c.h[r].calls, want)
				}
			}
		})
	}
}

func TestStandardsOutcomes(t *testing.T) {
	throttled := &fakeMember{err: awstest.ResponseErr("SecurityHub", "DescribeHub", 429, &smithy.GenericAPIError{Code: "TooManyRequestsException"})}
	item := workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}, Account: "444444444444", Regions: []string{home}}
	if _, err := EnableStandards(context.Background(), func(string) StandardsAPI { return throttled }, config(t, localConfig), item, quiet); !errors.As(err, new(*workflow.RetryableError)) {
		t.Errorf("throttled: %T %v, want RetryableError", err, err)
	}
	// Central configuration: a skipped row per region, no call.
	item.Regions = []string{home, "eu-west-1"}
	res, err := EnableStandards(context.Background(), func(string) StandardsAPI { t.Fatal("a client was made"); return nil }, config(t, ""), item, quiet)
	if err != nil || len(res.Outcomes) != 2 || res.Outcomes[1].Status != workflow.StatusSkipped || res.Outcomes[1].Reason != CentralSkip {
		t.Errorf("central: %+v %v", res, err)
	}
}

// securityhub-central under local configuration: the aggregator only, and
// an organization found in central configuration a failed row that says
// what to do.
func TestCentralStepUnderLocalConfiguration(t *testing.T) {
	f := newFake()
	res, _ := run(t, f, config(t, localConfig), workflow.Input{Mode: workflow.ModeApply}, 10)
	if want := []string{"CreateFindingAggregator SPECIFIED_REGIONS [eu-west-1 ap-southeast-2]"}; !slices.Equal(f.calls, want) || res.Outcomes[0].Status != workflow.StatusChanged {
		t.Fatalf("calls %v (want %v), row %+v", f.calls, want, res.Outcomes[0])
	}
	f.calls = nil
	f.confType = shtypes.OrganizationConfigurationConfigurationTypeCentral
	res, _ = run(t, f, config(t, localConfig), workflow.Input{Mode: workflow.ModeApply}, 10)
	o := res.Outcomes[0]
	if len(f.calls) > 0 || o.Status != workflow.StatusFailed || !strings.Contains(o.Reason, "Disabling central configuration in Security Hub CSPM") || !strings.Contains(o.Reason, "set configuration: central") {
		t.Fatalf("calls %v, row %+v", f.calls, o)
	}
	res, _ = run(t, newFake(), config(t, localConfig), workflow.Input{Mode: workflow.ModePlan}, 10)
	if o := res.Outcomes[0]; o.Status != workflow.StatusPlanned || len(o.Actions) != 1 {
		t.Fatalf("plan: %+v", o)
	}
}
