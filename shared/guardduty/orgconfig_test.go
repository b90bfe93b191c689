package guardduty

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// fakeGD is the security account's GuardDuty in one region behind OrgAPI.
// Its state starts as what the default configuration wants (S3 data events
// only, FIFTEEN_MINUTES, every account of fakeOrgs a member).
type fakeGD struct {
	detectorIDs []string
	detector    guardduty.GetDetectorOutput
	autoMembers gdtypes.AutoEnableMembers
	orgFeatures []gdtypes.OrganizationFeatureConfigurationResult
	members     []string
	// errs holds the errors of each operation's next calls, in order (nil
	// for a call that succeeds).
	errs map[string][]error
	// unprocessed returns what CreateMembers leaves unprocessed, by call
	// (1-based).
	unprocessed func(call int, in []gdtypes.AccountDetail) []gdtypes.UnprocessedAccount

	mutating      []string
	createDet     []*guardduty.CreateDetectorInput
	updateDet     []*guardduty.UpdateDetectorInput
	updateOrg     []*guardduty.UpdateOrganizationConfigurationInput
	createMembers []*guardduty.CreateMembersInput
}

func newFakeGD(members ...string) *fakeGD {
	return &fakeGD{
		detectorIDs: []string{"det1"},
		detector: guardduty.GetDetectorOutput{
			Status: gdtypes.DetectorStatusEnabled, FindingPublishingFrequency: gdtypes.FindingPublishingFrequencyFifteenMinutes,
			Features: []gdtypes.DetectorFeatureConfigurationResult{
				{Name: gdtypes.DetectorFeatureResultCloudTrail, Status: gdtypes.FeatureStatusEnabled},
				{Name: gdtypes.DetectorFeatureResultS3DataEvents, Status: gdtypes.FeatureStatusEnabled},
				{Name: gdtypes.DetectorFeatureResultEksAuditLogs, Status: gdtypes.FeatureStatusDisabled},
			},
		},
		autoMembers: gdtypes.AutoEnableMembersAll,
		orgFeatures: []gdtypes.OrganizationFeatureConfigurationResult{
			{Name: gdtypes.OrgFeatureS3DataEvents, AutoEnable: gdtypes.OrgFeatureStatusAll},
			{Name: gdtypes.OrgFeatureEksAuditLogs, AutoEnable: gdtypes.OrgFeatureStatusNone},
		},
		members: members,
		errs:    map[string][]error{},
	}
}

func (f *fakeGD) next(op string) error {
	q := f.errs[op]
	if len(q) == 0 {
		return nil
	}
	f.errs[op] = q[1:]
	return q[0]
}

func (f *fakeGD) ListDetectors(ctx context.Context, in *guardduty.ListDetectorsInput, _ ...func(*guardduty.Options)) (*guardduty.ListDetectorsOutput, error) {
	if err := f.next("ListDetectors"); err != nil {
		return nil, err
	}
	return &guardduty.ListDetectorsOutput{DetectorIds: slices.Clone(f.detectorIDs)}, nil
}

func (f *fakeGD) GetDetector(ctx context.Context, in *guardduty.GetDetectorInput, _ ...func(*guardduty.Options)) (*guardduty.GetDetectorOutput, error) {
	if err := f.next("GetDetector"); err != nil {
		return nil, err
	}
	if !slices.Contains(f.detectorIDs, aws.ToString(in.DetectorId)) {
		return nil, &gdtypes.BadRequestException{Message: aws.String("no such detector")}
	}
	out := f.detector
	return &out, nil
}

func (f *fakeGD) CreateDetector(ctx context.Context, in *guardduty.CreateDetectorInput, _ ...func(*guardduty.Options)) (*guardduty.CreateDetectorOutput, error) {
	f.mutating = append(f.mutating, "CreateDetector")
	f.createDet = append(f.createDet, in)
	if err := f.next("CreateDetector"); err != nil {
		return nil, err
	}
	f.detectorIDs = append(f.detectorIDs, "det-new")
	return &guardduty.CreateDetectorOutput{DetectorId: aws.String("det-new")}, nil
}

func (f *fakeGD) UpdateDetector(ctx context.Context, in *guardduty.UpdateDetectorInput, _ ...func(*guardduty.Options)) (*guardduty.UpdateDetectorOutput, error) {
	f.mutating = append(f.mutating, "UpdateDetector")
	f.updateDet = append(f.updateDet, in)
	return &guardduty.UpdateDetectorOutput{}, f.next("UpdateDetector")
}

func (f *fakeGD) DescribeOrganizationConfiguration(ctx context.Context, in *guardduty.DescribeOrganizationConfigurationInput, _ ...func(*guardduty.Options)) (*guardduty.DescribeOrganizationConfigurationOutput, error) {
	if err := f.next("DescribeOrganizationConfiguration"); err != nil {
		return nil, err
	}
	// Two pages: the features come one at a time.
	i := 0
	if in.NextToken != nil {
		i, _ = strconv.Atoi(*in.NextToken)
	}
	out := &guardduty.DescribeOrganizationConfigurationOutput{AutoEnableOrganizationMembers: f.autoMembers}
	if i < len(f.orgFeatures) {
		out.Features = f.orgFeatures[i : i+1]
		if i+1 < len(f.orgFeatures) {
			out.NextToken = aws.String(strconv.Itoa(i + 1))
		}
	}
	if i > 0 {
		out.AutoEnableOrganizationMembers = "" // later pages repeat only the features
	}
	return out, nil
}

func (f *fakeGD) UpdateOrganizationConfiguration(ctx context.Context, in *guardduty.UpdateOrganizationConfigurationInput, _ ...func(*guardduty.Options)) (*guardduty.UpdateOrganizationConfigurationOutput, error) {
	f.mutating = append(f.mutating, "UpdateOrganizationConfiguration")
	f.updateOrg = append(f.updateOrg, in)
	return &guardduty.UpdateOrganizationConfigurationOutput{}, f.next("UpdateOrganizationConfiguration")
}

func (f *fakeGD) ListMembers(ctx context.Context, in *guardduty.ListMembersInput, _ ...func(*guardduty.Options)) (*guardduty.ListMembersOutput, error) {
	if err := f.next("ListMembers"); err != nil {
		return nil, err
	}
	if aws.ToString(in.OnlyAssociated) != "false" {
		return nil, fmt.Errorf("ListMembers without OnlyAssociated=false lists only associated members")
	}
	out := &guardduty.ListMembersOutput{}
	for _, m := range f.members {
		out.Members = append(out.Members, gdtypes.Member{AccountId: aws.String(m)})
	}
	return out, nil
}

func (f *fakeGD) CreateMembers(ctx context.Context, in *guardduty.CreateMembersInput, _ ...func(*guardduty.Options)) (*guardduty.CreateMembersOutput, error) {
	f.mutating = append(f.mutating, "CreateMembers")
	f.createMembers = append(f.createMembers, in)
	if err := f.next("CreateMembers"); err != nil {
		return nil, err
	}
	out := &guardduty.CreateMembersOutput{}
	if f.unprocessed != nil {
		out.UnprocessedAccounts = f.unprocessed(len(f.createMembers), in.AccountDetails)
	}
	return out, nil
}

// fakeOrgs is organizations:ListAccounts, two accounts per page.
type fakeOrgs struct {
	accounts []orgtypes.Account
	err      error
}

func (f *fakeOrgs) ListAccounts(ctx context.Context, in *organizations.ListAccountsInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	i := 0
	if in.NextToken != nil {
		i, _ = strconv.Atoi(*in.NextToken)
	}
	out := &organizations.ListAccountsOutput{Accounts: f.accounts[i:min(i+2, len(f.accounts))]}
	if i+2 < len(f.accounts) {
		out.NextToken = aws.String(strconv.Itoa(i + 2))
	}
	return out, nil
}

func account(id string, state orgtypes.AccountState) orgtypes.Account {
	return orgtypes.Account{Id: aws.String(id), Email: aws.String("a" + id + "@example.com"), State: state}
}

// orgOf is the management, security and log-archive accounts of fakeConfig
// and n more ACTIVE accounts.
func orgOf(n int) *fakeOrgs {
	o := &fakeOrgs{accounts: []orgtypes.Account{
		account("111111111111", orgtypes.AccountStateActive),
		account("222222222222", orgtypes.AccountStateActive),
		account("333333333333", orgtypes.AccountStateActive),
	}}
	for i := range n {
		o.accounts = append(o.accounts, account(fmt.Sprintf("5%011d", i), orgtypes.AccountStateActive))
	}
	return o
}

// members of orgOf(0) for the security account.
var baseMembers = []string{"111111111111", "333333333333"}

func runOrg(t *testing.T, extra string, gd OrgAPI, orgs *fakeOrgs, mode workflow.Mode) (workflow.StepResult, error) {
	t.Helper()
	h := &OrgHandler{Settings: fakeConfig(t, extra), Log: quiet, Accounts: orgs, In: func(region string) OrgAPI {
		if region != "eu-west-1" {
			t.Errorf("client asked for region %q", region)
		}
		return gd
	}}
	return h.Handle(context.Background(), workflow.Item{Input: workflow.Input{Mode: mode}, Region: "eu-west-1"})
}

func mustRun(t *testing.T, extra string, gd *fakeGD, orgs *fakeOrgs, mode workflow.Mode) workflow.StepResult {
	t.Helper()
	res, err := runOrg(t, extra, gd, orgs, mode)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range res.Outcomes {
		if o.Account != "222222222222" || o.Region != "eu-west-1" || o.Service != "guardduty" {
			t.Errorf("outcome not under the security account, the region and guardduty: %+v", o)
		}
	}
	return res
}

func statuses(res workflow.StepResult) []workflow.Status {
	var s []workflow.Status
	for _, o := range res.Outcomes {
		s = append(s, o.Status)
	}
	return s
}

func TestFakeAllMatchingCallsNothing(t *testing.T) {
	gd := newFakeGD(baseMembers...)
	res := mustRun(t, "", gd, orgOf(0), workflow.ModeApply)
	if len(gd.mutating) != 0 {
		t.Errorf("mutating calls: %v", gd.mutating)
	}
	want := []workflow.Status{workflow.StatusUnchanged, workflow.StatusUnchanged, workflow.StatusUnchanged}
	if a := statuses(res); !reflect.DeepEqual(want, a) || res.Changed {
		t.Errorf("statuses %v changed=%v, want %v: %+v", a, res.Changed, want, res.Outcomes)
	}
}

func TestFakeDetectorDiffers(t *testing.T) {
	gd := newFakeGD(baseMembers...)
	gd.detector.FindingPublishingFrequency = gdtypes.FindingPublishingFrequencySixHours
	extra := `services: {guardduty: {findingPublishingFrequency: ONE_HOUR, features: {eksAuditLogs: true, runtimeMonitoring: true}}}`
	// The organization configuration already matches that configuration.
	gd.orgFeatures = []gdtypes.OrganizationFeatureConfigurationResult{
		{Name: gdtypes.OrgFeatureS3DataEvents, AutoEnable: gdtypes.OrgFeatureStatusAll},
		{Name: gdtypes.OrgFeatureEksAuditLogs, AutoEnable: gdtypes.OrgFeatureStatusAll},
		{Name: gdtypes.OrgFeatureRuntimeMonitoring, AutoEnable: gdtypes.OrgFeatureStatusAll, AdditionalConfiguration: []gdtypes.OrganizationAdditionalConfigurationResult{
			{Name: gdtypes.OrgFeatureAdditionalConfigurationEksAddonManagement, AutoEnable: gdtypes.OrgFeatureStatusAll},
			{Name: gdtypes.OrgFeatureAdditionalConfigurationEcsFargateAgentManagement, AutoEnable: gdtypes.OrgFeatureStatusAll},
			{Name: gdtypes.OrgFeatureAdditionalConfigurationEc2AgentManagement, AutoEnable: gdtypes.OrgFeatureStatusAll},
		}},
	}

	plan := mustRun(t, extra, gd, orgOf(0), workflow.ModePlan)
	if len(gd.mutating) != 0 || plan.Outcomes[0].Status != workflow.StatusPlanned {
		t.Fatalf("plan: calls %v, outcomes %+v", gd.mutating, plan.Outcomes)
	}

	res := mustRun(t, extra, gd, orgOf(0), workflow.ModeApply)
	if e, a := []string{"UpdateDetector"}, gd.mutating; !reflect.DeepEqual(e, a) {
		t.Fatalf("mutating calls: expect %v, got %v", e, a)
	}
	in := gd.updateDet[0]
	if aws.ToString(in.DetectorId) != "det1" || !aws.ToBool(in.Enable) || in.FindingPublishingFrequency != gdtypes.FindingPublishingFrequencyOneHour {
		t.Errorf("UpdateDetector input: %+v", in)
	}
	agents := []gdtypes.DetectorAdditionalConfiguration{
		{Name: "EKS_ADDON_MANAGEMENT", Status: "ENABLED"}, {Name: "ECS_FARGATE_AGENT_MANAGEMENT", Status: "ENABLED"}, {Name: "EC2_AGENT_MANAGEMENT", Status: "ENABLED"},
	}
	wantFeatures := []gdtypes.DetectorFeatureConfiguration{
		{Name: "S3_DATA_EVENTS", Status: "ENABLED"},
		{Name: "EKS_AUDIT_LOGS", Status: "ENABLED"},
		{Name: "EBS_MALWARE_PROTECTION", Status: "DISABLED"},
		{Name: "RDS_LOGIN_EVENTS", Status: "DISABLED"},
		{Name: "LAMBDA_NETWORK_LOGS", Status: "DISABLED"},
		{Name: "RUNTIME_MONITORING", Status: "ENABLED", AdditionalConfiguration: agents},
	}
	if !reflect.DeepEqual(wantFeatures, in.Features) {
		t.Errorf("UpdateDetector features:\nexpect %+v\ngot    %+v", wantFeatures, in.Features)
	}
	o := res.Outcomes[0]
	if o.Status != workflow.StatusChanged || !reflect.DeepEqual(o.Actions, []workflow.Action{{Call: CallUpdateDetector, Target: "det1"}}) ||
		!strings.Contains(o.Reason, "FindingPublishingFrequency SIX_HOURS, want ONE_HOUR") || !strings.Contains(o.Reason, "EKS_AUDIT_LOGS DISABLED, want ENABLED") {
		t.Errorf("detector outcome: %+v", o)
	}
	if e, a := []workflow.Status{workflow.StatusChanged, workflow.StatusUnchanged, workflow.StatusUnchanged}, statuses(res); !reflect.DeepEqual(e, a) {
		t.Errorf("statuses: expect %v, got %v", e, a)
	}
}

func TestFakeDisabledDetectorIsEnabled(t *testing.T) {
	gd := newFakeGD(baseMembers...)
	gd.detector.Status = gdtypes.DetectorStatusDisabled
	mustRun(t, "", gd, orgOf(0), workflow.ModeApply)
	if len(gd.updateDet) != 1 || !aws.ToBool(gd.updateDet[0].Enable) {
		t.Errorf("a disabled detector must be enabled: %v", gd.mutating)
	}
}

func TestFakeMissingDetectorIsCreated(t *testing.T) {
	gd := newFakeGD()
	gd.detectorIDs = nil
	extra := `services: {guardduty: {features: {s3DataEvents: false, rdsLoginEvents: true}}}`
	res := mustRun(t, extra, gd, orgOf(0), workflow.ModeApply)
	if len(gd.createDet) != 1 {
		t.Fatalf("CreateDetector calls: %v", gd.mutating)
	}
	in := gd.createDet[0]
	want := []gdtypes.DetectorFeatureConfiguration{
		{Name: "S3_DATA_EVENTS", Status: "DISABLED"}, {Name: "EKS_AUDIT_LOGS", Status: "DISABLED"},
		{Name: "EBS_MALWARE_PROTECTION", Status: "DISABLED"}, {Name: "RDS_LOGIN_EVENTS", Status: "ENABLED"},
		{Name: "LAMBDA_NETWORK_LOGS", Status: "DISABLED"}, {Name: "RUNTIME_MONITORING", Status: "DISABLED"},
	}
	if !aws.ToBool(in.Enable) || in.FindingPublishingFrequency != "FIFTEEN_MINUTES" || !reflect.DeepEqual(want, in.Features) {
		t.Errorf("CreateDetector input: %+v", in)
	}
	// The organization configuration and members go to the new detector.
	if len(gd.updateOrg) != 1 || aws.ToString(gd.updateOrg[0].DetectorId) != "det-new" {
		t.Errorf("UpdateOrganizationConfiguration: %v", gd.updateOrg)
	}
	if o := res.Outcomes[0]; o.Status != workflow.StatusChanged || o.Actions[0] != (workflow.Action{Call: CallCreateDetector, Target: "det-new"}) {
		t.Errorf("detector outcome: %+v", o)
	}
}

func TestFakeDetectorMadeMeanwhileIsConverged(t *testing.T) {
	gd := newFakeGD(baseMembers...)
	gd.detectorIDs = nil
	gd.errs["CreateDetector"] = []error{&gdtypes.BadRequestException{Message: aws.String("The request is rejected because a detector already exists for the current account.")}}
	// The first list shows none, the second the detector GuardDuty made.
	calls := 0
	res, err := runOrg(t, "", &raceGD{fakeGD: gd, onList: func() {
		calls++
		if calls == 2 {
			gd.detectorIDs = []string{"det1"}
		}
	}}, orgOf(0), workflow.ModeApply)
	if err != nil {
		t.Fatal(err)
	}
	if e, a := []string{"CreateDetector"}, gd.mutating; !reflect.DeepEqual(e, a) {
		t.Errorf("mutating calls: expect %v, got %v", e, a)
	}
	if o := res.Outcomes[0]; o.Status != workflow.StatusUnchanged || !strings.Contains(o.Reason, "det1") {
		t.Errorf("detector outcome: %+v", o)
	}
}

// raceGD runs onList before each ListDetectors.
type raceGD struct {
	*fakeGD
	onList func()
}

func (r *raceGD) ListDetectors(ctx context.Context, in *guardduty.ListDetectorsInput, o ...func(*guardduty.Options)) (*guardduty.ListDetectorsOutput, error) {
	r.onList()
	return r.fakeGD.ListDetectors(ctx, in, o...)
}

func TestFakeOrgConfigDiffers(t *testing.T) {
	gd := newFakeGD(baseMembers...)
	gd.autoMembers = gdtypes.AutoEnableMembersNew
	gd.orgFeatures = []gdtypes.OrganizationFeatureConfigurationResult{
		{Name: gdtypes.OrgFeatureS3DataEvents, AutoEnable: gdtypes.OrgFeatureStatusNew},
		{Name: gdtypes.OrgFeatureEksAuditLogs, AutoEnable: gdtypes.OrgFeatureStatusAll},
	}
	res := mustRun(t, `services: {guardduty: {features: {ebsMalwareProtection: true}}}`, gd, orgOf(0), workflow.ModeApply)
	// The detector has EBS malware protection off: it is updated too.
	if e, a := []string{"UpdateDetector", "UpdateOrganizationConfiguration"}, gd.mutating; !reflect.DeepEqual(e, a) {
		t.Fatalf("mutating calls: expect %v, got %v", e, a)
	}
	want := &guardduty.UpdateOrganizationConfigurationInput{
		DetectorId:                    aws.String("det1"),
		AutoEnableOrganizationMembers: gdtypes.AutoEnableMembersAll,
		Features: []gdtypes.OrganizationFeatureConfiguration{
			{Name: "S3_DATA_EVENTS", AutoEnable: "ALL"},
			{Name: "EKS_AUDIT_LOGS", AutoEnable: "NONE"},
			{Name: "EBS_MALWARE_PROTECTION", AutoEnable: "ALL"},
			{Name: "RDS_LOGIN_EVENTS", AutoEnable: "NONE"},
			{Name: "LAMBDA_NETWORK_LOGS", AutoEnable: "NONE"},
			{Name: "RUNTIME_MONITORING", AutoEnable: "NONE"},
		},
	}
	if got := gd.updateOrg[0]; !reflect.DeepEqual(want, got) {
		t.Errorf("UpdateOrganizationConfiguration input:\nexpect %+v\ngot    %+v", want, got)
	}
	o := res.Outcomes[1]
	if o.Status != workflow.StatusChanged || o.Actions[0] != (workflow.Action{Call: CallUpdateOrganizationConfiguration, Target: "det1"}) {
		t.Errorf("organization configuration outcome: %+v", o)
	}
	for _, d := range []string{"AutoEnableOrganizationMembers NEW, want ALL", "S3_DATA_EVENTS auto-enable NEW, want ALL", "EKS_AUDIT_LOGS auto-enable ALL, want NONE", "EBS_MALWARE_PROTECTION auto-enable NONE, want ALL"} {
		if !strings.Contains(o.Reason, d) {
			t.Errorf("reason does not say %q: %s", d, o.Reason)
		}
	}
}

func TestFakeRuntimeMonitoringAgentsCompared(t *testing.T) {
	gd := newFakeGD(baseMembers...)
	extra := `services: {guardduty: {features: {runtimeMonitoring: true}}}`
	gd.detector.Features = append(gd.detector.Features, gdtypes.DetectorFeatureConfigurationResult{
		Name: "RUNTIME_MONITORING", Status: "ENABLED", AdditionalConfiguration: []gdtypes.DetectorAdditionalConfigurationResult{
			{Name: "EKS_ADDON_MANAGEMENT", Status: "ENABLED"}, {Name: "ECS_FARGATE_AGENT_MANAGEMENT", Status: "ENABLED"}, {Name: "EC2_AGENT_MANAGEMENT", Status: "ENABLED"},
		}})
	gd.orgFeatures = append(gd.orgFeatures, gdtypes.OrganizationFeatureConfigurationResult{
		Name: "RUNTIME_MONITORING", AutoEnable: "ALL", AdditionalConfiguration: []gdtypes.OrganizationAdditionalConfigurationResult{
			{Name: "EKS_ADDON_MANAGEMENT", AutoEnable: "ALL"}, {Name: "ECS_FARGATE_AGENT_MANAGEMENT", AutoEnable: "NONE"}, {Name: "EC2_AGENT_MANAGEMENT", AutoEnable: "ALL"},
		}})
	res := mustRun(t, extra, gd, orgOf(0), workflow.ModeApply)
	if e, a := []string{"UpdateOrganizationConfiguration"}, gd.mutating; !reflect.DeepEqual(e, a) {
		t.Fatalf("mutating calls: expect %v, got %v", e, a)
	}
	if r := res.Outcomes[1].Reason; !strings.Contains(r, "RUNTIME_MONITORING/ECS_FARGATE_AGENT_MANAGEMENT auto-enable NONE, want ALL") {
		t.Errorf("reason: %s", r)
	}
	rm := gd.updateOrg[0].Features[5]
	wantRM := gdtypes.OrganizationFeatureConfiguration{Name: "RUNTIME_MONITORING", AutoEnable: "ALL", AdditionalConfiguration: []gdtypes.OrganizationAdditionalConfiguration{
		{Name: "EKS_ADDON_MANAGEMENT", AutoEnable: "ALL"}, {Name: "ECS_FARGATE_AGENT_MANAGEMENT", AutoEnable: "ALL"}, {Name: "EC2_AGENT_MANAGEMENT", AutoEnable: "ALL"},
	}}
	if !reflect.DeepEqual(wantRM, rm) {
		t.Errorf("runtime monitoring: expect %+v, got %+v", wantRM, rm)
	}
}

func TestFakeFeatureNotInRegion(t *testing.T) {
	notHere := func(msg string) error {
		return sdkErr("UpdateOrganizationConfiguration", 400, &gdtypes.BadRequestException{Message: aws.String(msg)})
	}
	extra := `services: {guardduty: {features: {eksAuditLogs: true, rdsLoginEvents: true, lambdaNetworkLogs: true}}}`
	tests := []struct {
		name      string
		errs      []error
		wantSent  [][]string // feature names of each call
		wantWarn  []string
		wantErr   string
		wantState workflow.Status
	}{
		{
			name:      "named features are dropped",
			errs:      []error{notHere("The request failed because the following features are not available in the eu-west-1 region: RDS_LOGIN_EVENTS, LAMBDA_NETWORK_LOGS.")},
			wantSent:  [][]string{{"S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS", "LAMBDA_NETWORK_LOGS", "RUNTIME_MONITORING"}, {"S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RUNTIME_MONITORING"}},
			wantWarn:  []string{"eu-west-1", "RDS_LOGIN_EVENTS, LAMBDA_NETWORK_LOGS", "UpdateOrganizationConfiguration"},
			wantState: workflow.StatusChanged,
		},
		{
			name:      "none named keeps S3 data events",
			errs:      []error{notHere("The request is rejected because a feature is not supported in this region.")},
			wantSent:  [][]string{{"S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS", "LAMBDA_NETWORK_LOGS", "RUNTIME_MONITORING"}, {"S3_DATA_EVENTS"}},
			wantWarn:  []string{"EKS_AUDIT_LOGS, EBS_MALWARE_PROTECTION, RDS_LOGIN_EVENTS, LAMBDA_NETWORK_LOGS, RUNTIME_MONITORING"},
			wantState: workflow.StatusChanged,
		},
		{
			name:     "retried once only",
			errs:     []error{notHere("Feature RDS_LOGIN_EVENTS is not available in this region."), notHere("Feature EKS_AUDIT_LOGS is not available in this region.")},
			wantSent: [][]string{{"S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS", "LAMBDA_NETWORK_LOGS", "RUNTIME_MONITORING"}, {"S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "LAMBDA_NETWORK_LOGS", "RUNTIME_MONITORING"}},
			wantErr:  workflow.ErrNameTerminal,
		},
		{
			name:     "another bad request is not retried",
			errs:     []error{notHere("The request is rejected because an invalid or out-of-range value is specified as an input parameter.")},
			wantSent: [][]string{{"S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS", "LAMBDA_NETWORK_LOGS", "RUNTIME_MONITORING"}},
			wantErr:  workflow.ErrNameTerminal,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gd := newFakeGD(baseMembers...)
			// The detector matches: only the organization configuration differs.
			gd.detector.Features = []gdtypes.DetectorFeatureConfigurationResult{
				{Name: "S3_DATA_EVENTS", Status: "ENABLED"}, {Name: "EKS_AUDIT_LOGS", Status: "ENABLED"},
				{Name: "RDS_LOGIN_EVENTS", Status: "ENABLED"}, {Name: "LAMBDA_NETWORK_LOGS", Status: "ENABLED"},
			}
			// New accounts only: after leaving features out, the call is
			// still needed.
			gd.autoMembers = gdtypes.AutoEnableMembersNew
			gd.errs["UpdateOrganizationConfiguration"] = tt.errs
			res, err := runOrg(t, extra, gd, orgOf(0), workflow.ModeApply)
			var sent [][]string
			for _, in := range gd.updateOrg {
				var names []string
				for _, f := range in.Features {
					names = append(names, string(f.Name))
				}
				sent = append(sent, names)
			}
			if !reflect.DeepEqual(tt.wantSent, sent) {
				t.Errorf("features sent:\nexpect %v\ngot    %v", tt.wantSent, sent)
			}
			if tt.wantErr != "" {
				if err == nil || reflect.TypeOf(err).Elem().Name() != tt.wantErr {
					t.Fatalf("expect %s, got %T %v", tt.wantErr, err, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Warnings) != 1 {
				t.Fatalf("warnings: %q", res.Warnings)
			}
			for _, w := range tt.wantWarn {
				if !strings.Contains(res.Warnings[0], w) {
					t.Errorf("warning does not name %q: %s", w, res.Warnings[0])
				}
			}
			if o := res.Outcomes[1]; o.Status != tt.wantState {
				t.Errorf("organization configuration outcome: %+v", o)
			}
		})
	}
}

func TestFakeDetectorFeatureNotInRegionMatchesAfterDrop(t *testing.T) {
	// The region does not offer Lambda protection: the detector lacks it,
	// and leaving it out the detector matches. The organization
	// configuration is then compared without it too.
	gd := newFakeGD(baseMembers...)
	gd.errs["UpdateDetector"] = []error{sdkErr("UpdateDetector", 400, &gdtypes.BadRequestException{Message: aws.String("LAMBDA_NETWORK_LOGS is not available in this region")})}
	gd.orgFeatures = append(gd.orgFeatures, gdtypes.OrganizationFeatureConfigurationResult{Name: "EBS_MALWARE_PROTECTION", AutoEnable: "NONE"})
	res := mustRun(t, `services: {guardduty: {features: {lambdaNetworkLogs: true}}}`, gd, orgOf(0), workflow.ModeApply)
	if e, a := []string{"UpdateDetector"}, gd.mutating; !reflect.DeepEqual(e, a) {
		t.Errorf("mutating calls: expect %v, got %v", e, a)
	}
	if e, a := []workflow.Status{workflow.StatusUnchanged, workflow.StatusUnchanged, workflow.StatusUnchanged}, statuses(res); !reflect.DeepEqual(e, a) {
		t.Errorf("statuses: expect %v, got %v: %+v", e, a, res.Outcomes)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "LAMBDA_NETWORK_LOGS") {
		t.Errorf("warnings: %q", res.Warnings)
	}
}

func TestFakeCreateMembersInBatches(t *testing.T) {
	gd := newFakeGD(baseMembers...)
	orgs := orgOf(120)
	res := mustRun(t, "", gd, orgs, workflow.ModeApply)
	if len(gd.createMembers) != 3 {
		t.Fatalf("CreateMembers calls: %d", len(gd.createMembers))
	}
	var all []gdtypes.AccountDetail
	for i, want := range []int{50, 50, 20} {
		in := gd.createMembers[i]
		if len(in.AccountDetails) != want || aws.ToString(in.DetectorId) != "det1" {
			t.Errorf("call %d: %d accounts to %s, want %d", i, len(in.AccountDetails), aws.ToString(in.DetectorId), want)
		}
		all = append(all, in.AccountDetails...)
	}
	for i, a := range all {
		id := fmt.Sprintf("5%011d", i)
		if aws.ToString(a.AccountId) != id || aws.ToString(a.Email) != "a"+id+"@example.com" {
			t.Errorf("account %d: %s %s", i, aws.ToString(a.AccountId), aws.ToString(a.Email))
		}
	}
	o := res.Outcomes[2]
	if o.Status != workflow.StatusChanged || len(o.Actions) != 3 || o.Actions[2].Call != CallCreateMembers ||
		o.Actions[2].Target != ids(all[100:110])+" and 10 more (20 accounts)" ||
		o.Actions[0].Target != ids(all[:10])+" and 40 more (50 accounts)" {
		t.Errorf("members outcome: %+v", o)
	}

	// Plan proposes the same three calls and makes none.
	gd = newFakeGD(baseMembers...)
	plan := mustRun(t, "", gd, orgs, workflow.ModePlan)
	if len(gd.mutating) != 0 || len(plan.Outcomes[2].Actions) != 3 || plan.Outcomes[2].Status != workflow.StatusPlanned {
		t.Errorf("plan: calls %v, outcome %+v", gd.mutating, plan.Outcomes[2])
	}
}

func TestFakeUnprocessedRetriedOnceThenFailed(t *testing.T) {
	gd := newFakeGD(baseMembers...)
	gd.unprocessed = func(call int, in []gdtypes.AccountDetail) []gdtypes.UnprocessedAccount {
		switch call {
		case 1:
			return []gdtypes.UnprocessedAccount{
				{AccountId: aws.String("500000000001"), Result: aws.String("Internal error, try again")},
				{AccountId: aws.String("500000000003"), Result: aws.String("The account is already a member of another administrator")},
			}
		case 2:
			return []gdtypes.UnprocessedAccount{{AccountId: aws.String("500000000003"), Result: aws.String("The account is already a member of another administrator")}}
		}
		return nil
	}
	res := mustRun(t, "", gd, orgOf(4), workflow.ModeApply)
	if len(gd.createMembers) != 2 {
		t.Fatalf("CreateMembers calls: %d", len(gd.createMembers))
	}
	if e, a := "500000000001,500000000003", ids(gd.createMembers[1].AccountDetails); e != a {
		t.Errorf("retry sent %s, want %s", a, e)
	}
	if e, a := []workflow.Status{workflow.StatusUnchanged, workflow.StatusUnchanged, workflow.StatusChanged, workflow.StatusFailed}, statuses(res); !reflect.DeepEqual(e, a) {
		t.Fatalf("statuses: expect %v, got %v", e, a)
	}
	if e, a := []workflow.Action{
		{Call: CallCreateMembers, Target: "500000000000,500000000002"},
		{Call: CallCreateMembers, Target: "500000000001"},
	}, res.Outcomes[2].Actions; !reflect.DeepEqual(e, a) {
		t.Errorf("actions: expect %v, got %v", e, a)
	}
	if r := res.Outcomes[3].Reason; !strings.Contains(r, "500000000003 (The account is already a member of another administrator)") || strings.Contains(r, "500000000001") {
		t.Errorf("failed outcome: %s", r)
	}
}

func TestFakeOnlyActiveAccountsBecomeMembers(t *testing.T) {
	gd := newFakeGD(baseMembers...)
	orgs := orgOf(0)
	orgs.accounts = append(orgs.accounts,
		account("600000000001", orgtypes.AccountStateSuspended),
		account("600000000002", orgtypes.AccountStatePendingClosure),
		account("600000000003", orgtypes.AccountStateActive),
		// An older response with Status only.
		orgtypes.Account{Id: aws.String("600000000004"), Email: aws.String("old@example.com"), Status: orgtypes.AccountStatusSuspended},
		orgtypes.Account{Id: aws.String("600000000005"), Email: aws.String("old5@example.com"), Status: orgtypes.AccountStatusActive},
	)
	mustRun(t, "", gd, orgs, workflow.ModeApply)
	if len(gd.createMembers) != 1 {
		t.Fatalf("CreateMembers calls: %d", len(gd.createMembers))
	}
	if e, a := "600000000003,600000000005", ids(gd.createMembers[0].AccountDetails); e != a {
		t.Errorf("made members %s, want %s", a, e)
	}
}

func TestFakeAccountsFilterNarrowsMembers(t *testing.T) {
	gd := newFakeGD()
	h := &OrgHandler{Settings: fakeConfig(t, ""), Log: quiet, Accounts: orgOf(3), In: func(string) OrgAPI { return gd }}
	_, err := h.Handle(context.Background(), workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply, Accounts: []string{"500000000001", "222222222222"}}, Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(gd.createMembers) != 1 || ids(gd.createMembers[0].AccountDetails) != "500000000001" {
		t.Errorf("CreateMembers: %v", gd.createMembers)
	}
}

func TestFakeErrors(t *testing.T) {
	throttled := &smithy.GenericAPIError{Code: "TooManyRequestsException", Message: "Rate exceeded"}
	tests := []struct {
		name     string
		op       string
		err      error
		orgsErr  error
		wantErr  string
		wantSkip string // reason of a skipped outcome when no error
	}{
		{name: "throttled list of members", op: "ListMembers", err: throttled, wantErr: workflow.ErrNameRetryable},
		{name: "throttled detector read", op: "GetDetector", err: throttled, wantErr: workflow.ErrNameRetryable},
		{name: "throttled account list", orgsErr: &smithy.GenericAPIError{Code: "TooManyRequestsException"}, wantErr: workflow.ErrNameRetryable},
		{name: "access denied", op: "DescribeOrganizationConfiguration", err: &smithy.GenericAPIError{Code: "AccessDeniedException"}, wantErr: workflow.ErrNameTerminal},
		{name: "describe not at the endpoint", op: "DescribeOrganizationConfiguration", err: sdkErr("DescribeOrganizationConfiguration", 404, htmlBody), wantSkip: "DescribeOrganizationConfiguration is not available at this endpoint"},
		{name: "update not at the endpoint", op: "UpdateOrganizationConfiguration", err: sdkErr("UpdateOrganizationConfiguration", 404, htmlBody), wantSkip: "UpdateOrganizationConfiguration is not available at this endpoint"},
		{name: "unknown operation", op: "CreateMembers", err: sdkErr("CreateMembers", 400, &smithy.GenericAPIError{Code: "UnknownOperationException"}), wantSkip: "CreateMembers is not available at this endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gd := newFakeGD("111111111111")
			gd.autoMembers = gdtypes.AutoEnableMembersNew
			if tt.op != "" {
				gd.errs[tt.op] = []error{tt.err}
			}
			orgs := orgOf(0)
			orgs.err = tt.orgsErr
			res, err := runOrg(t, "", gd, orgs, workflow.ModeApply)
			if tt.wantErr != "" {
				if err == nil || reflect.TypeOf(err).Elem().Name() != tt.wantErr {
					t.Fatalf("expect %s, got %T %v", tt.wantErr, err, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var skipped []string
			for _, o := range res.Outcomes {
				if o.Status == workflow.StatusSkipped {
					skipped = append(skipped, o.Reason)
				}
			}
			if !reflect.DeepEqual([]string{tt.wantSkip}, skipped) {
				t.Errorf("skipped: expect [%s], got %q", tt.wantSkip, skipped)
			}
			// The rest went on: the missing member is added, unless that is
			// what the endpoint lacks.
			if tt.op != "CreateMembers" && (len(gd.createMembers) != 1 || ids(gd.createMembers[0].AccountDetails) != "333333333333") {
				t.Errorf("members part did not go on: %v", gd.mutating)
			}
		})
	}
}

func TestFakeDetectorUnavailableSkipsEveryPart(t *testing.T) {
	gd := newFakeGD()
	gd.errs["ListDetectors"] = []error{sdkErr("ListDetectors", 404, htmlBody)}
	res := mustRun(t, "", gd, orgOf(0), workflow.ModeApply)
	if e, a := []workflow.Status{workflow.StatusSkipped, workflow.StatusSkipped, workflow.StatusSkipped}, statuses(res); !reflect.DeepEqual(e, a) {
		t.Fatalf("statuses: expect %v, got %v", e, a)
	}
	for _, o := range res.Outcomes {
		if !strings.Contains(o.Reason, "ListDetectors is not available at this endpoint") {
			t.Errorf("reason: %s", o.Reason)
		}
	}
	if len(gd.mutating) != 0 {
		t.Errorf("mutating calls: %v", gd.mutating)
	}
}

func TestFakeSkips(t *testing.T) {
	tests := []struct {
		name, extra, region string
		services            []string
		want                string
	}{
		{name: "guardduty off", extra: "services: {guardduty: {enabled: false}}", region: "eu-west-1", want: "disabled in the configuration"},
		{name: "filtered out", region: "eu-west-1", services: []string{"config"}, want: "not in the services filter"},
		{name: "no region", region: "", want: "no region"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gd := newFakeGD()
			gd.errs["ListDetectors"] = []error{fmt.Errorf("must not be called")}
			h := &OrgHandler{Settings: fakeConfig(t, tt.extra), Log: quiet, Accounts: &fakeOrgs{err: fmt.Errorf("must not be called")}, In: func(string) OrgAPI { return gd }}
			res, err := h.Handle(context.Background(), workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply, Services: tt.services}, Region: tt.region})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Outcomes) != 1 || res.Outcomes[0].Status != workflow.StatusSkipped || !strings.Contains(res.Outcomes[0].Reason, tt.want) {
				t.Errorf("outcomes: %+v", res.Outcomes)
			}
		})
	}
}

func TestFakePlanWithoutDetector(t *testing.T) {
	gd := newFakeGD()
	gd.detectorIDs = nil
	res := mustRun(t, "", gd, orgOf(1), workflow.ModePlan)
	if len(gd.mutating) != 0 {
		t.Errorf("plan called %v", gd.mutating)
	}
	want := [][]workflow.Action{
		{{Call: CallCreateDetector}},
		{{Call: CallUpdateOrganizationConfiguration}},
		{{Call: CallCreateMembers, Target: "111111111111,333333333333,500000000000"}},
	}
	var got [][]workflow.Action
	for _, o := range res.Outcomes {
		got = append(got, o.Actions)
		if o.Status != workflow.StatusPlanned {
			t.Errorf("status %s: %+v", o.Status, o)
		}
	}
	if !reflect.DeepEqual(want, got) {
		t.Errorf("actions:\nexpect %v\ngot    %v", want, got)
	}
}
