package securityhub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	otypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/smithy-go"

	"github.com/orgbaseline/orgbaseline/shared/local/awstest"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

const (
	mgmt     = "111111111111"
	security = "222222222222"
	home     = "us-east-1"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func config(t *testing.T, extra string) settings.Config {
	t.Helper()
	c, err := settings.Load("t.yaml", strings.NewReader(`
accounts: {management: "111111111111", security: "222222222222", logArchive: "333333333333"}
organizationId: o-abcdef1234
homeRegion: us-east-1
regions: [us-east-1, eu-west-1, ap-southeast-2]
`+extra))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fakeHub is Security Hub: the management account's hub and the
// organization's administrators (admin side), and the administrator's
// aggregator, organization configuration, policies and associations
// (central side). A change Security Hub applies later stays PENDING for
// one read.
type fakeHub struct {
	subscribed bool
	admins     map[string]string
	errs       map[string]error
	calls      []string

	aggregator  *securityhub.GetFindingAggregatorOutput
	confType    shtypes.OrganizationConfigurationConfigurationType
	confStatus  shtypes.OrganizationConfigurationStatus
	policies    map[string]*securityhub.GetConfigurationPolicyOutput // by ID
	assoc       map[string]*securityhub.GetConfigurationPolicyAssociationOutput
	pendingRead map[string]int // reads left in PENDING, by "conf" or target
	// lostAnswers: a create's answer is lost after it was applied, and the
	// call is made again.
	lostAnswers bool
	// hideAggregator: the next listing shows no aggregator (it was made by
	// a first send whose answer was lost).
	hideAggregator bool
}

func newFake() *fakeHub {
	return &fakeHub{admins: map[string]string{}, errs: map[string]error{}, confType: shtypes.OrganizationConfigurationConfigurationTypeLocal,
		policies: map[string]*securityhub.GetConfigurationPolicyOutput{}, assoc: map[string]*securityhub.GetConfigurationPolicyAssociationOutput{}, pendingRead: map[string]int{}}
}

func (f *fakeHub) err(op string) error {
	if e, ok := f.errs[op]; ok {
		delete(f.errs, op)
		return e
	}
	return nil
}

func (f *fakeHub) call(s string) { f.calls = append(f.calls, s) }

func (f *fakeHub) DescribeHub(ctx context.Context, in *securityhub.DescribeHubInput, _ ...func(*securityhub.Options)) (*securityhub.DescribeHubOutput, error) {
	if !f.subscribed {
		return nil, &shtypes.InvalidAccessException{Message: aws.String("Account is not subscribed to AWS Security Hub")}
	}
	return &securityhub.DescribeHubOutput{}, nil
}

func (f *fakeHub) EnableSecurityHub(ctx context.Context, in *securityhub.EnableSecurityHubInput, _ ...func(*securityhub.Options)) (*securityhub.EnableSecurityHubOutput, error) {
	f.call(fmt.Sprintf("EnableSecurityHub defaults=%v", aws.ToBool(in.EnableDefaultStandards)))
	if f.subscribed {
		return nil, &shtypes.ResourceConflictException{Message: aws.String("Account is already subscribed to Security Hub")}
	}
	f.subscribed = true
	return &securityhub.EnableSecurityHubOutput{}, nil
}

func (f *fakeHub) ListOrganizationAdminAccounts(ctx context.Context, in *securityhub.ListOrganizationAdminAccountsInput, _ ...func(*securityhub.Options)) (*securityhub.ListOrganizationAdminAccountsOutput, error) {
	if err := f.err("ListAdmins"); err != nil {
		return nil, err
	}
	out := &securityhub.ListOrganizationAdminAccountsOutput{}
	for id, st := range f.admins {
		out.AdminAccounts = append(out.AdminAccounts, shtypes.AdminAccount{AccountId: aws.String(id), Status: shtypes.AdminStatus(st)})
	}
	return out, nil
}

func (f *fakeHub) EnableOrganizationAdminAccount(ctx context.Context, in *securityhub.EnableOrganizationAdminAccountInput, _ ...func(*securityhub.Options)) (*securityhub.EnableOrganizationAdminAccountOutput, error) {
	f.call("EnableOrganizationAdminAccount " + aws.ToString(in.AdminAccountId))
	f.admins[aws.ToString(in.AdminAccountId)] = string(shtypes.AdminStatusEnabled)
	return &securityhub.EnableOrganizationAdminAccountOutput{}, nil
}

func (f *fakeHub) ListFindingAggregators(ctx context.Context, in *securityhub.ListFindingAggregatorsInput, _ ...func(*securityhub.Options)) (*securityhub.ListFindingAggregatorsOutput, error) {
	if err := f.err("ListFindingAggregators"); err != nil {
		return nil, err
	}
	out := &securityhub.ListFindingAggregatorsOutput{}
	if f.hideAggregator {
		f.hideAggregator = false
		return out, nil
	}
	if f.aggregator != nil {
		out.FindingAggregators = []shtypes.FindingAggregator{{FindingAggregatorArn: f.aggregator.FindingAggregatorArn}}
	}
	return out, nil
}

func (f *fakeHub) CreateFindingAggregator(ctx context.Context, in *securityhub.CreateFindingAggregatorInput, _ ...func(*securityhub.Options)) (*securityhub.CreateFindingAggregatorOutput, error) {
	f.call(fmt.Sprintf("CreateFindingAggregator %s %v", aws.ToString(in.RegionLinkingMode), in.Regions))
	if f.aggregator != nil {
		return nil, &shtypes.InvalidInputException{Message: aws.String("a finding aggregator exists")}
	}
	f.aggregator = &securityhub.GetFindingAggregatorOutput{FindingAggregatorArn: aws.String("arn:agg"), FindingAggregationRegion: aws.String(home), RegionLinkingMode: in.RegionLinkingMode, Regions: in.Regions}
	return &securityhub.CreateFindingAggregatorOutput{}, nil
}

func (f *fakeHub) GetFindingAggregator(ctx context.Context, in *securityhub.GetFindingAggregatorInput, _ ...func(*securityhub.Options)) (*securityhub.GetFindingAggregatorOutput, error) {
	return f.aggregator, nil
}

func (f *fakeHub) UpdateFindingAggregator(ctx context.Context, in *securityhub.UpdateFindingAggregatorInput, _ ...func(*securityhub.Options)) (*securityhub.UpdateFindingAggregatorOutput, error) {
	f.call(fmt.Sprintf("UpdateFindingAggregator %s %v", aws.ToString(in.RegionLinkingMode), in.Regions))
	f.aggregator.RegionLinkingMode, f.aggregator.Regions = in.RegionLinkingMode, in.Regions
	return &securityhub.UpdateFindingAggregatorOutput{}, nil
}

func (f *fakeHub) DescribeOrganizationConfiguration(ctx context.Context, in *securityhub.DescribeOrganizationConfigurationInput, _ ...func(*securityhub.Options)) (*securityhub.DescribeOrganizationConfigurationOutput, error) {
	st := f.confStatus
	if f.pendingRead["conf"] > 0 {
		f.pendingRead["conf"]--
		st = shtypes.OrganizationConfigurationStatusPending
	}
	return &securityhub.DescribeOrganizationConfigurationOutput{OrganizationConfiguration: &shtypes.OrganizationConfiguration{ConfigurationType: f.confType, Status: st}}, nil
}

func (f *fakeHub) UpdateOrganizationConfiguration(ctx context.Context, in *securityhub.UpdateOrganizationConfigurationInput, _ ...func(*securityhub.Options)) (*securityhub.UpdateOrganizationConfigurationOutput, error) {
	f.call(fmt.Sprintf("UpdateOrganizationConfiguration %s autoEnable=%v %s", in.OrganizationConfiguration.ConfigurationType, aws.ToBool(in.AutoEnable), in.AutoEnableStandards))
	f.confType, f.confStatus = in.OrganizationConfiguration.ConfigurationType, shtypes.OrganizationConfigurationStatusEnabled
	f.pendingRead["conf"] = 1
	return &securityhub.UpdateOrganizationConfigurationOutput{}, nil
}

func (f *fakeHub) ListConfigurationPolicies(ctx context.Context, in *securityhub.ListConfigurationPoliciesInput, _ ...func(*securityhub.Options)) (*securityhub.ListConfigurationPoliciesOutput, error) {
	out := &securityhub.ListConfigurationPoliciesOutput{}
	for id, p := range f.policies {
		out.ConfigurationPolicySummaries = append(out.ConfigurationPolicySummaries, shtypes.ConfigurationPolicySummary{Id: aws.String(id), Name: p.Name})
	}
	return out, nil
}

func (f *fakeHub) GetConfigurationPolicy(ctx context.Context, in *securityhub.GetConfigurationPolicyInput, _ ...func(*securityhub.Options)) (*securityhub.GetConfigurationPolicyOutput, error) {
	return f.policies[aws.ToString(in.Identifier)], nil
}

func (f *fakeHub) CreateConfigurationPolicy(ctx context.Context, in *securityhub.CreateConfigurationPolicyInput, _ ...func(*securityhub.Options)) (*securityhub.CreateConfigurationPolicyOutput, error) {
	f.call("CreateConfigurationPolicy " + aws.ToString(in.Name))
	if f.confType != shtypes.OrganizationConfigurationConfigurationTypeCentral {
		return nil, errors.New("policies need central configuration")
	}
	id := fmt.Sprintf("p%d", len(f.policies)+1)
	for _, p := range f.policies {
		if aws.ToString(p.Name) == aws.ToString(in.Name) {
			return nil, &shtypes.ResourceConflictException{Message: aws.String("a policy of that name exists")}
		}
	}
	f.policies[id] = &securityhub.GetConfigurationPolicyOutput{Id: aws.String(id), Name: in.Name, ConfigurationPolicy: in.ConfigurationPolicy}
	if f.lostAnswers {
		// The answer is lost; the SDK sends the call again.
		return f.CreateConfigurationPolicy(ctx, in)
	}
	return &securityhub.CreateConfigurationPolicyOutput{Id: aws.String(id)}, nil
}

func (f *fakeHub) UpdateConfigurationPolicy(ctx context.Context, in *securityhub.UpdateConfigurationPolicyInput, _ ...func(*securityhub.Options)) (*securityhub.UpdateConfigurationPolicyOutput, error) {
	f.call("UpdateConfigurationPolicy " + aws.ToString(in.Identifier))
	f.policies[aws.ToString(in.Identifier)].ConfigurationPolicy = in.ConfigurationPolicy
	return &securityhub.UpdateConfigurationPolicyOutput{}, nil
}

func targetKey(t shtypes.Target) string {
	switch v := t.(type) {
	case *shtypes.TargetMemberRootId:
		return v.Value
	case *shtypes.TargetMemberOrganizationalUnitId:
		return v.Value
	case *shtypes.TargetMemberAccountId:
		return v.Value
	}
	return "?"
}

func (f *fakeHub) GetConfigurationPolicyAssociation(ctx context.Context, in *securityhub.GetConfigurationPolicyAssociationInput, _ ...func(*securityhub.Options)) (*securityhub.GetConfigurationPolicyAssociationOutput, error) {
	k := targetKey(in.Target)
	a, ok := f.assoc[k]
	if !ok {
		return nil, &shtypes.ResourceNotFoundException{Message: aws.String("no association")}
	}
	out := *a
	if f.pendingRead[k] > 0 {
		f.pendingRead[k]--
		out.AssociationStatus = shtypes.ConfigurationPolicyAssociationStatusPending
	}
	return &out, nil
}

func (f *fakeHub) StartConfigurationPolicyAssociation(ctx context.Context, in *securityhub.StartConfigurationPolicyAssociationInput, _ ...func(*securityhub.Options)) (*securityhub.StartConfigurationPolicyAssociationOutput, error) {
	k := targetKey(in.Target)
	f.call("StartConfigurationPolicyAssociation " + aws.ToString(in.ConfigurationPolicyIdentifier) + " " + k)
	f.assoc[k] = &securityhub.GetConfigurationPolicyAssociationOutput{ConfigurationPolicyId: in.ConfigurationPolicyIdentifier,
		AssociationType: shtypes.AssociationTypeApplied, AssociationStatus: shtypes.ConfigurationPolicyAssociationStatusSuccess}
	f.pendingRead[k] = 1
	return &securityhub.StartConfigurationPolicyAssociationOutput{}, nil
}

type fakeRoots struct{}

func (fakeRoots) ListRoots(ctx context.Context, in *organizations.ListRootsInput, _ ...func(*organizations.Options)) (*organizations.ListRootsOutput, error) {
	return &organizations.ListRootsOutput{Roots: []otypes.Root{{Id: aws.String("r-ab12")}}}, nil
}

func adminItem(mode workflow.Mode, region string) workflow.Item {
	return workflow.Item{Input: workflow.Input{Mode: mode}, Region: region}
}

func TestAdminEnablesTheManagementAccountThenTheAdministrator(t *testing.T) {
	f := newFake()
	res, err := EnableAdmin(context.Background(), f, config(t, ""), adminItem(workflow.ModeApply, home), quiet)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"EnableSecurityHub defaults=false", "EnableOrganizationAdminAccount " + security}
	if !slices.Equal(f.calls, want) || res.Outcomes[0].Status != workflow.StatusChanged {
		t.Fatalf("calls %v (want %v), row %+v", f.calls, want, res.Outcomes[0])
	}
	f.calls = nil
	if res, err = EnableAdmin(context.Background(), f, config(t, ""), adminItem(workflow.ModeApply, home), quiet); err != nil || len(f.calls) > 0 || res.Outcomes[0].Status != workflow.StatusUnchanged {
		t.Fatalf("re-run: %+v %v, calls %v", res, err, f.calls)
	}
}

func TestAdminOutcomes(t *testing.T) {
	other := newFake()
	other.admins["999999999999"] = string(shtypes.AdminStatusEnabled)
	throttled := newFake()
	throttled.errs["ListAdmins"] = awstest.ResponseErr("SecurityHub", "ListOrganizationAdminAccounts", 429, &smithy.GenericAPIError{Code: "TooManyRequestsException"})
	for name, c := range map[string]struct {
		f       *fakeHub
		wantErr any
	}{
		"another administrator is a conflict, nothing changed": {other, new(*workflow.ConflictError)},
		"throttled is retried":                                 {throttled, new(*workflow.RetryableError)},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := EnableAdmin(context.Background(), c.f, config(t, ""), adminItem(workflow.ModeApply, home), quiet)
			if !errors.As(err, c.wantErr) || len(c.f.calls) > 0 {
				t.Fatalf("error %T %v (want %T), calls %v", err, err, c.wantErr, c.f.calls)
			}
		})
	}
}

// run calls the central step as the state machine does: again after each
// pending result, with the poll count and the previous result, at most
// limit times.
func run(t *testing.T, f *fakeHub, cfg settings.Config, in workflow.Input, limit int) (workflow.StepResult, int) {
	t.Helper()
	item := workflow.Item{Input: in, Region: home, Regions: []string{home, "eu-west-1", "ap-southeast-2"}}
	for calls := 1; ; calls++ {
		res, err := ConfigureCentral(context.Background(), CentralDeps{SecurityHub: f, Roots: fakeRoots{}}, cfg, item, quiet)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Pending || calls == limit {
			return res, calls
		}
		item.Polls, item.Previous = res.Polls, &res
	}
}

func TestCentralConfigurationEndToEnd(t *testing.T) {
	f := newFake()
	cfg := config(t, "services:\n  securityhub: {disabledControls: [IAM.6]}\n")
	res, calls := run(t, f, cfg, workflow.Input{Mode: workflow.ModeApply}, 10)
	want := []string{
		"CreateFindingAggregator SPECIFIED_REGIONS [eu-west-1 ap-southeast-2]",
		"UpdateOrganizationConfiguration CENTRAL autoEnable=false NONE",
		"CreateConfigurationPolicy orgbaseline",
		"StartConfigurationPolicyAssociation p1 r-ab12",
	}
	if !slices.Equal(f.calls, want) {
		t.Fatalf("calls %v, want %v", f.calls, want)
	}
	o := res.Outcomes[0]
	// CENTRAL and the association are each PENDING for one read: five calls.
	if calls != 5 || res.Pending || o.Status != workflow.StatusChanged || len(o.Actions) != 4 || o.Account != security {
		t.Fatalf("after %d calls: pending %v, row %+v: want five calls, the four changes carried to the last", calls, res.Pending, o)
	}
	p := f.policies["p1"].ConfigurationPolicy.(*shtypes.PolicyMemberSecurityHub).Value
	if !slices.Equal(p.EnabledStandardIdentifiers, []string{"arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0"}) ||
		!slices.Equal(p.SecurityControlsConfiguration.DisabledSecurityControlIdentifiers, []string{"IAM.6"}) || !aws.ToBool(p.ServiceEnabled) {
		t.Errorf("policy %+v", p)
	}

	// A re-run reads and changes nothing, in one call.
	f.calls = nil
	if res, calls = run(t, f, cfg, workflow.Input{Mode: workflow.ModeApply}, 10); len(f.calls) > 0 || calls != 1 || res.Outcomes[0].Status != workflow.StatusUnchanged {
		t.Fatalf("re-run: calls %v in %d invocations, row %+v", f.calls, calls, res.Outcomes[0])
	}

	// A changed configuration updates the policy only.
	cfg.Services.SecurityHub.DisabledControls = nil
	if _, _ = run(t, f, cfg, workflow.Input{Mode: workflow.ModeApply}, 10); !slices.Equal(f.calls, []string{"UpdateConfigurationPolicy p1"}) {
		t.Fatalf("policy change: calls %v", f.calls)
	}

	// A run narrowed to one region keeps the aggregator's other regions.
	f.calls = nil
	cfg.Regions.Names = []string{home, "eu-west-1", "ap-southeast-2", "sa-east-1"}
	item := workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply, Regions: []string{"sa-east-1"}}, Region: home, Regions: []string{home, "sa-east-1"}}
	if _, err := ConfigureCentral(context.Background(), CentralDeps{SecurityHub: f, Roots: fakeRoots{}}, cfg, item, quiet); err != nil {
		t.Fatal(err)
	}
	if want := []string{"UpdateFindingAggregator SPECIFIED_REGIONS [ap-southeast-2 eu-west-1 sa-east-1]"}; !slices.Equal(f.calls, want) {
		t.Fatalf("narrowed run: calls %v, want %v", f.calls, want)
	}
}

func TestCentralPlanChangesNothing(t *testing.T) {
	f := newFake()
	res, calls := run(t, f, config(t, ""), workflow.Input{Mode: workflow.ModePlan}, 10)
	if len(f.calls) > 0 || calls != 1 || res.Pending || res.Outcomes[0].Status != workflow.StatusPlanned {
		t.Fatalf("plan: calls %v in %d invocations, %+v", f.calls, calls, res)
	}
}

func TestCentralStillPendingAfterItsPollsFails(t *testing.T) {
	f := newFake()
	f.confType = shtypes.OrganizationConfigurationConfigurationTypeCentral
	f.pendingRead["conf"] = 1000
	res, calls := run(t, f, config(t, ""), workflow.Input{Mode: workflow.ModeApply}, 1000)
	if calls != CentralPoll.MaxPolls || res.Pending || res.Outcomes[0].Status != workflow.StatusFailed || !strings.Contains(res.Outcomes[0].Reason, "still pending after 120 checks") {
		t.Fatalf("after %d calls: %+v", calls, res)
	}
}

func TestStandardARN(t *testing.T) {
	for in, want := range map[string]string{
		"standards/aws-foundational-security-best-practices/v/1.0.0": "arn:aws:securityhub:eu-west-1::standards/aws-foundational-security-best-practices/v/1.0.0",
		"ruleset/cis-aws-foundations-benchmark/v/1.2.0":              "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0",
		"arn:aws:securityhub:us-east-1::standards/pci-dss/v/3.2.1":   "arn:aws:securityhub:us-east-1::standards/pci-dss/v/3.2.1",
	} {
		if got := StandardARN(in, "eu-west-1"); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

func TestCentralBeforeTheAdministrator(t *testing.T) {
	f := newFake()
	f.errs["ListFindingAggregators"] = &shtypes.InvalidAccessException{Message: aws.String("Account 222222222222 is not an administrator for this organization")}
	res, _ := run(t, f, config(t, ""), workflow.Input{Mode: workflow.ModePlan}, 1)
	if o := res.Outcomes[0]; o.Status != workflow.StatusPlanned || len(o.Actions) != 4 || len(f.calls) > 0 {
		t.Fatalf("plan: row %+v, calls %v: want the four parts planned", o, f.calls)
	}
	f.errs["ListFindingAggregators"] = &shtypes.InvalidAccessException{Message: aws.String("not an administrator")}
	item := workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}, Region: home, Regions: []string{home}}
	_, err := ConfigureCentral(context.Background(), CentralDeps{SecurityHub: f, Roots: fakeRoots{}}, config(t, ""), item, quiet)
	if !errors.As(err, new(*workflow.NotReadyError)) {
		t.Fatalf("apply: %T %v, want NotReadyError", err, err)
	}
}

func TestCreatesWhoseAnswerWasLost(t *testing.T) {
	// The policy: the first send is applied, its answer lost, and the
	// call sent again finds the name taken.
	f := newFake()
	f.lostAnswers = true
	res, _ := run(t, f, config(t, ""), workflow.Input{Mode: workflow.ModeApply}, 10)
	if o := res.Outcomes[0]; o.Status != workflow.StatusChanged || res.Pending || len(f.policies) != 1 {
		t.Fatalf("row %+v, %d policies: the policy the first send made is the one to use", o, len(f.policies))
	}

	// The aggregator: made by a first send, not yet listed; the create
	// sent again is refused, and a fresh read finds it.
	f = newFake()
	f.aggregator = &securityhub.GetFindingAggregatorOutput{FindingAggregatorArn: aws.String("arn:agg"), FindingAggregationRegion: aws.String(home),
		RegionLinkingMode: aws.String(linkSpecified), Regions: []string{"eu-west-1", "ap-southeast-2"}}
	f.hideAggregator = true
	item := workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}, Region: home, Regions: []string{home, "eu-west-1", "ap-southeast-2"}}
	res, err := ConfigureCentral(context.Background(), CentralDeps{SecurityHub: f, Roots: fakeRoots{}}, config(t, ""), item, quiet)
	if err != nil || res.Outcomes[0].Status == workflow.StatusFailed {
		t.Fatalf("%+v %v", res, err)
	}
}
