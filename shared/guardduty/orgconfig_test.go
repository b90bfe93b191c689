package guardduty

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/orgbaseline/orgbaseline/shared/local/awstest"

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
// only, FIFTEEN_MINUTES, every account of fakeOrgs a member, the members'
// detectors with S3 data events only).
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
	// memberFeatures are the features of members' detectors, by account;
	// a member without an entry has memberDefault.
	memberFeatures map[string][]gdtypes.MemberFeaturesConfigurationResult
	memberDefault  []gdtypes.MemberFeaturesConfigurationResult
	// unreadable members are left unprocessed by GetMemberDetectors, with
	// the reason.
	unreadable map[string]string
	// updateUnprocessed returns what UpdateMemberDetectors leaves
	// unprocessed, by call (1-based).
	updateUnprocessed func(call int, ids []string) []gdtypes.UnprocessedAccount
	// destinations are the detector's publishing destinations
	// (export_test.go).
	destinations []*fakeDest

	mutating      []string
	createDet     []*guardduty.CreateDetectorInput
	updateDet     []*guardduty.UpdateDetectorInput
	updateOrg     []*guardduty.UpdateOrganizationConfigurationInput
	createMembers []*guardduty.CreateMembersInput
	getMembers    [][]string
	updateMembers []*guardduty.UpdateMemberDetectorsInput
	destReads     []string
	createDest    []*guardduty.CreatePublishingDestinationInput
	updateDest    []*guardduty.UpdatePublishingDestinationInput
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
		members:        slices.Clone(members),
		memberFeatures: map[string][]gdtypes.MemberFeaturesConfigurationResult{},
		memberDefault:  []gdtypes.MemberFeaturesConfigurationResult{mf("S3_DATA_EVENTS", "ENABLED"), mf("EKS_AUDIT_LOGS", "DISABLED")},
		errs:           map[string][]error{},
	}
}

// mf is a feature of a member's detector with its additional
// configurations, given as name and status pairs.
func mf(name string, status gdtypes.FeatureStatus, agents ...string) gdtypes.MemberFeaturesConfigurationResult {
	f := gdtypes.MemberFeaturesConfigurationResult{Name: gdtypes.OrgFeature(name), Status: status}
	for i := 0; i+1 < len(agents); i += 2 {
		f.AdditionalConfiguration = append(f.AdditionalConfiguration, gdtypes.MemberAdditionalConfigurationResult{
			Name: gdtypes.OrgFeatureAdditionalConfiguration(agents[i]), Status: gdtypes.FeatureStatus(agents[i+1]),
		})
	}
	return f
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
	for _, a := range in.AccountDetails {
		id := aws.ToString(a.AccountId)
		if !slices.ContainsFunc(out.UnprocessedAccounts, func(u gdtypes.UnprocessedAccount) bool { return aws.ToString(u.AccountId) == id }) {
			f.members = append(f.members, id)
		}
	}
	return out, nil
}

// checkMemberCall refuses what GuardDuty refuses: another detector, no
// accounts or more than 50.
func (f *fakeGD) checkMemberCall(detector *string, ids []string) error {
	if !slices.Contains(f.detectorIDs, aws.ToString(detector)) {
		return &gdtypes.BadRequestException{Message: aws.String("no such detector " + aws.ToString(detector))}
	}
	if len(ids) == 0 || len(ids) > 50 {
		return &gdtypes.BadRequestException{Message: aws.String(fmt.Sprintf("%d account IDs, want 1 to 50", len(ids)))}
	}
	return nil
}

func (f *fakeGD) GetMemberDetectors(ctx context.Context, in *guardduty.GetMemberDetectorsInput, _ ...func(*guardduty.Options)) (*guardduty.GetMemberDetectorsOutput, error) {
	f.getMembers = append(f.getMembers, slices.Clone(in.AccountIds))
	if err := f.next("GetMemberDetectors"); err != nil {
		return nil, err
	}
	if err := f.checkMemberCall(in.DetectorId, in.AccountIds); err != nil {
		return nil, err
	}
	out := &guardduty.GetMemberDetectorsOutput{}
	for _, id := range in.AccountIds {
		why, unreadable := f.unreadable[id]
		if !slices.Contains(f.members, id) {
			why, unreadable = "The account is not a member", true
		}
		if unreadable {
			out.UnprocessedAccounts = append(out.UnprocessedAccounts, gdtypes.UnprocessedAccount{AccountId: aws.String(id), Result: aws.String(why)})
			continue
		}
		fs, ok := f.memberFeatures[id]
		if !ok {
			fs = f.memberDefault
		}
		out.MemberDataSourceConfigurations = append(out.MemberDataSourceConfigurations, gdtypes.MemberDataSourceConfiguration{AccountId: aws.String(id), Features: slices.Clone(fs)})
	}
	return out, nil
}

func (f *fakeGD) UpdateMemberDetectors(ctx context.Context, in *guardduty.UpdateMemberDetectorsInput, _ ...func(*guardduty.Options)) (*guardduty.UpdateMemberDetectorsOutput, error) {
	f.mutating = append(f.mutating, "UpdateMemberDetectors")
	f.updateMembers = append(f.updateMembers, in)
	if err := f.next("UpdateMemberDetectors"); err != nil {
		return nil, err
	}
	if err := f.checkMemberCall(in.DetectorId, in.AccountIds); err != nil {
		return nil, err
	}
	out := &guardduty.UpdateMemberDetectorsOutput{}
	if f.updateUnprocessed != nil {
		out.UnprocessedAccounts = f.updateUnprocessed(len(f.updateMembers), in.AccountIds)
	}
	// The processed members' detectors take the features given.
	var fs []gdtypes.MemberFeaturesConfigurationResult
	for _, c := range in.Features {
		r := gdtypes.MemberFeaturesConfigurationResult{Name: c.Name, Status: c.Status}
		for _, a := range c.AdditionalConfiguration {
			r.AdditionalConfiguration = append(r.AdditionalConfiguration, gdtypes.MemberAdditionalConfigurationResult{Name: a.Name, Status: a.Status})
		}
		fs = append(fs, r)
	}
	for _, id := range in.AccountIds {
		if !slices.ContainsFunc(out.UnprocessedAccounts, func(u gdtypes.UnprocessedAccount) bool { return aws.ToString(u.AccountId) == id }) {
			f.memberFeatures[id] = fs
		}
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
	want := []workflow.Status{workflow.StatusUnchanged, workflow.StatusUnchanged, workflow.StatusUnchanged, workflow.StatusUnchanged}
	if a := statuses(res); !reflect.DeepEqual(want, a) || res.Changed {
		t.Fatalf("statuses %v changed=%v, want %v: %+v", a, res.Changed, want, res.Outcomes)
	}
	// The members' detectors were read, and match.
	if e, a := [][]string{baseMembers}, gd.getMembers; !reflect.DeepEqual(e, a) {
		t.Errorf("GetMemberDetectors calls: expect %v, got %v", e, a)
	}
	if e, a := "member detectors' features: all 2 members match the configuration", res.Outcomes[3].Reason; e != a {
		t.Errorf("member detectors' outcome: expect %q, got %q", e, a)
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
	// The members' detectors have S3 data events only: they follow.
	if e, a := []string{"UpdateDetector", "UpdateMemberDetectors"}, gd.mutating; !reflect.DeepEqual(e, a) {
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
	if e, a := []workflow.Status{workflow.StatusChanged, workflow.StatusUnchanged, workflow.StatusUnchanged, workflow.StatusChanged}, statuses(res); !reflect.DeepEqual(e, a) {
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
	// The just-added members' detectors are read and updated through it.
	if e, a := [][]string{baseMembers}, gd.getMembers; !reflect.DeepEqual(e, a) {
		t.Errorf("GetMemberDetectors calls: expect %v, got %v", e, a)
	}
	if len(gd.updateMembers) != 1 || aws.ToString(gd.updateMembers[0].DetectorId) != "det-new" || !reflect.DeepEqual(baseMembers, gd.updateMembers[0].AccountIds) {
		t.Errorf("UpdateMemberDetectors: %+v", gd.updateMembers)
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
	// The detector and the members' have EBS malware protection off: they
	// are updated too.
	if e, a := []string{"UpdateDetector", "UpdateOrganizationConfiguration", "UpdateMemberDetectors"}, gd.mutating; !reflect.DeepEqual(e, a) {
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
	gd.memberDefault = append(gd.memberDefault, mf("RUNTIME_MONITORING", "ENABLED", "EKS_ADDON_MANAGEMENT", "ENABLED", "ECS_FARGATE_AGENT_MANAGEMENT", "ENABLED", "EC2_AGENT_MANAGEMENT", "ENABLED"))
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
	// The members' detectors lack Lambda protection too: not compared.
	if e, a := []workflow.Status{workflow.StatusUnchanged, workflow.StatusUnchanged, workflow.StatusUnchanged, workflow.StatusUnchanged}, statuses(res); !reflect.DeepEqual(e, a) {
		t.Errorf("statuses: expect %v, got %v: %+v", e, a, res.Outcomes)
	}
	if len(gd.getMembers) != 1 {
		t.Errorf("GetMemberDetectors calls: %v", gd.getMembers)
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
	if e, a := []workflow.Status{workflow.StatusUnchanged, workflow.StatusUnchanged, workflow.StatusChanged, workflow.StatusFailed, workflow.StatusUnchanged}, statuses(res); !reflect.DeepEqual(e, a) {
		t.Fatalf("statuses: expect %v, got %v", e, a)
	}
	// The members' detectors read are those of the members now.
	if e, a := [][]string{{"111111111111", "333333333333", "500000000000", "500000000001", "500000000002"}}, gd.getMembers; !reflect.DeepEqual(e, a) {
		t.Errorf("GetMemberDetectors calls: expect %v, got %v", e, a)
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
		{name: "throttled member detectors read", op: "GetMemberDetectors", err: throttled, wantErr: workflow.ErrNameRetryable},
		{name: "member detectors read denied", op: "GetMemberDetectors", err: &smithy.GenericAPIError{Code: "AccessDeniedException"}, wantErr: workflow.ErrNameTerminal},
		{name: "member detectors not at the endpoint", op: "GetMemberDetectors", err: sdkErr("GetMemberDetectors", 404, htmlBody), wantSkip: "GetMemberDetectors is not available at this endpoint"},
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
	if e, a := []workflow.Status{workflow.StatusSkipped, workflow.StatusSkipped, workflow.StatusSkipped, workflow.StatusSkipped}, statuses(res); !reflect.DeepEqual(e, a) {
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
	if len(gd.mutating) != 0 || len(gd.getMembers) != 0 {
		t.Errorf("plan called %v, read members %v", gd.mutating, gd.getMembers)
	}
	// No detector, no members to compare: the member detectors' part has
	// no outcome.
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

// defaultMemberInput is the UpdateMemberDetectors features of the default
// configuration.
var defaultMemberInput = []gdtypes.MemberFeaturesConfiguration{
	{Name: "S3_DATA_EVENTS", Status: "ENABLED"},
	{Name: "EKS_AUDIT_LOGS", Status: "DISABLED"},
	{Name: "EBS_MALWARE_PROTECTION", Status: "DISABLED"},
	{Name: "RDS_LOGIN_EVENTS", Status: "DISABLED"},
	{Name: "LAMBDA_NETWORK_LOGS", Status: "DISABLED"},
	{Name: "RUNTIME_MONITORING", Status: "DISABLED"},
}

func TestFakeMemberFeaturesInBatches(t *testing.T) {
	orgs := orgOf(120)
	var others, differ []string
	for i := range 120 {
		others = append(others, fmt.Sprintf("5%011d", i))
	}
	all := append(slices.Clone(baseMembers), others...)
	// 7 of every 12 differ: 70 of the 120.
	setup := func() *fakeGD {
		gd := newFakeGD(all...)
		differ = nil
		for i, id := range others {
			switch i % 12 {
			case 0, 1, 2:
				gd.memberFeatures[id] = []gdtypes.MemberFeaturesConfigurationResult{mf("S3_DATA_EVENTS", "ENABLED"), mf("EKS_AUDIT_LOGS", "ENABLED")}
			case 3, 4:
				gd.memberFeatures[id] = []gdtypes.MemberFeaturesConfigurationResult{mf("S3_DATA_EVENTS", "DISABLED")}
			case 5, 6:
				// No features listed: S3 data events count as disabled.
				gd.memberFeatures[id] = nil
			case 7:
				// Other features, as GuardDuty lists them, are not compared.
				gd.memberFeatures[id] = []gdtypes.MemberFeaturesConfigurationResult{mf("S3_DATA_EVENTS", "ENABLED"), mf("EKS_RUNTIME_MONITORING", "ENABLED")}
			}
			if i%12 < 7 {
				differ = append(differ, id)
			}
		}
		return gd
	}
	gd := setup()
	if len(differ) != 70 {
		t.Fatalf("the test means 70 differing members, has %d", len(differ))
	}
	wantActs := []workflow.Action{
		{Call: CallUpdateMemberDetectors, Target: strings.Join(differ[:10], ",") + " and 40 more (50 accounts)"},
		{Call: CallUpdateMemberDetectors, Target: strings.Join(differ[50:60], ",") + " and 10 more (20 accounts)"},
	}
	res := mustRun(t, "", gd, orgs, workflow.ModeApply)
	var read []string
	var sizes []int
	for _, ids := range gd.getMembers {
		read = append(read, ids...)
		sizes = append(sizes, len(ids))
	}
	if !reflect.DeepEqual(all, read) || !reflect.DeepEqual([]int{50, 50, 22}, sizes) {
		t.Errorf("GetMemberDetectors calls of %v accounts: %v", sizes, read)
	}
	if e, a := []string{"UpdateMemberDetectors", "UpdateMemberDetectors"}, gd.mutating; !reflect.DeepEqual(e, a) {
		t.Fatalf("mutating calls: expect %v, got %v", e, a)
	}
	for i, want := range [][]string{differ[:50], differ[50:]} {
		in := gd.updateMembers[i]
		if aws.ToString(in.DetectorId) != "det1" || !reflect.DeepEqual(want, in.AccountIds) {
			t.Errorf("call %d: detector %s, accounts %v, want %v", i, aws.ToString(in.DetectorId), in.AccountIds, want)
		}
		if !reflect.DeepEqual(defaultMemberInput, in.Features) {
			t.Errorf("call %d features:\nexpect %+v\ngot    %+v", i, defaultMemberInput, in.Features)
		}
		if in.DataSources != nil {
			t.Errorf("call %d sends the deprecated data sources", i)
		}
	}
	o := res.Outcomes[3]
	if o.Status != workflow.StatusChanged || !reflect.DeepEqual(wantActs, o.Actions) {
		t.Errorf("member detectors' outcome: %+v", o)
	}
	for _, s := range []string{"member detectors' features: 70 of 122 members differ", "EKS_AUDIT_LOGS ENABLED, want DISABLED (30)", "S3_DATA_EVENTS DISABLED, want ENABLED (40)"} {
		if !strings.Contains(o.Reason, s) {
			t.Errorf("reason does not say %q: %s", s, o.Reason)
		}
	}
	if e, a := []workflow.Status{workflow.StatusUnchanged, workflow.StatusUnchanged, workflow.StatusUnchanged, workflow.StatusChanged}, statuses(res); !reflect.DeepEqual(e, a) {
		t.Errorf("statuses: expect %v, got %v", e, a)
	}

	// Again: the members match now.
	res = mustRun(t, "", gd, orgs, workflow.ModeApply)
	if len(gd.updateMembers) != 2 || res.Outcomes[3].Status != workflow.StatusUnchanged || res.Changed {
		t.Errorf("re-run: %d UpdateMemberDetectors calls, outcome %+v", len(gd.updateMembers), res.Outcomes[3])
	}

	// Plan proposes the same two calls and makes none.
	gd = setup()
	plan := mustRun(t, "", gd, orgs, workflow.ModePlan)
	if o := plan.Outcomes[3]; len(gd.mutating) != 0 || o.Status != workflow.StatusPlanned || !reflect.DeepEqual(wantActs, o.Actions) ||
		!strings.Contains(o.Reason, "70 of 122 members differ") {
		t.Errorf("plan: calls %v, outcome %+v", gd.mutating, o)
	}
}

func TestFakeMemberFeaturesUnprocessedRetriedOnceThenFailed(t *testing.T) {
	gd := newFakeGD(append(slices.Clone(baseMembers), "500000000000", "500000000001", "500000000002", "500000000003")...)
	for i := range 4 {
		gd.memberFeatures[fmt.Sprintf("5%011d", i)] = []gdtypes.MemberFeaturesConfigurationResult{mf("S3_DATA_EVENTS", "DISABLED")}
	}
	gd.updateUnprocessed = func(call int, ids []string) []gdtypes.UnprocessedAccount {
		switch call {
		case 1:
			return []gdtypes.UnprocessedAccount{
				{AccountId: aws.String("500000000001"), Result: aws.String("Internal error, try again")},
				{AccountId: aws.String("500000000003"), Result: aws.String("The member account is suspended")},
			}
		case 2:
			return []gdtypes.UnprocessedAccount{{AccountId: aws.String("500000000003"), Result: aws.String("The member account is suspended")}}
		}
		return nil
	}
	res := mustRun(t, "", gd, orgOf(4), workflow.ModeApply)
	var sent [][]string
	for _, in := range gd.updateMembers {
		sent = append(sent, in.AccountIds)
	}
	if e := [][]string{{"500000000000", "500000000001", "500000000002", "500000000003"}, {"500000000001", "500000000003"}}; !reflect.DeepEqual(e, sent) {
		t.Fatalf("UpdateMemberDetectors calls: expect %v, got %v", e, sent)
	}
	if e, a := []workflow.Status{workflow.StatusUnchanged, workflow.StatusUnchanged, workflow.StatusUnchanged, workflow.StatusChanged, workflow.StatusFailed}, statuses(res); !reflect.DeepEqual(e, a) {
		t.Fatalf("statuses: expect %v, got %v", e, a)
	}
	if e, a := []workflow.Action{
		{Call: CallUpdateMemberDetectors, Target: "500000000000,500000000002"},
		{Call: CallUpdateMemberDetectors, Target: "500000000001"},
	}, res.Outcomes[3].Actions; !reflect.DeepEqual(e, a) {
		t.Errorf("actions: expect %v, got %v", e, a)
	}
	if e, a := "member detectors' features: UpdateMemberDetectors did not update 1 account(s): 500000000003 (The member account is suspended)", res.Outcomes[4].Reason; e != a {
		t.Errorf("failed outcome: expect %q, got %q", e, a)
	}
}

func TestFakeMemberFeaturesLeaveOutFeaturesNotInRegion(t *testing.T) {
	// The region does not offer Lambda protection, as UpdateDetector
	// finds: it is neither compared nor sent for the members.
	gd := newFakeGD(baseMembers...)
	gd.detector.Features = []gdtypes.DetectorFeatureConfigurationResult{{Name: "S3_DATA_EVENTS", Status: "ENABLED"}, {Name: "EKS_AUDIT_LOGS", Status: "ENABLED"}}
	gd.orgFeatures = []gdtypes.OrganizationFeatureConfigurationResult{{Name: "S3_DATA_EVENTS", AutoEnable: "ALL"}, {Name: "EKS_AUDIT_LOGS", AutoEnable: "ALL"}}
	gd.errs["UpdateDetector"] = []error{sdkErr("UpdateDetector", 400, &gdtypes.BadRequestException{Message: aws.String("LAMBDA_NETWORK_LOGS is not available in this region")})}
	// 111111111111 lacks only Lambda protection; 333333333333 has EKS audit
	// logs off too.
	gd.memberFeatures["111111111111"] = []gdtypes.MemberFeaturesConfigurationResult{mf("S3_DATA_EVENTS", "ENABLED"), mf("EKS_AUDIT_LOGS", "ENABLED")}
	gd.memberFeatures["333333333333"] = []gdtypes.MemberFeaturesConfigurationResult{mf("S3_DATA_EVENTS", "ENABLED"), mf("EKS_AUDIT_LOGS", "DISABLED")}
	res := mustRun(t, `services: {guardduty: {features: {eksAuditLogs: true, lambdaNetworkLogs: true}}}`, gd, orgOf(0), workflow.ModeApply)
	if e, a := []string{"UpdateDetector", "UpdateMemberDetectors"}, gd.mutating; !reflect.DeepEqual(e, a) {
		t.Fatalf("mutating calls: expect %v, got %v", e, a)
	}
	want := &guardduty.UpdateMemberDetectorsInput{
		DetectorId: aws.String("det1"), AccountIds: []string{"333333333333"},
		Features: []gdtypes.MemberFeaturesConfiguration{
			{Name: "S3_DATA_EVENTS", Status: "ENABLED"}, {Name: "EKS_AUDIT_LOGS", Status: "ENABLED"},
			{Name: "EBS_MALWARE_PROTECTION", Status: "DISABLED"}, {Name: "RDS_LOGIN_EVENTS", Status: "DISABLED"},
			{Name: "RUNTIME_MONITORING", Status: "DISABLED"},
		},
	}
	if got := gd.updateMembers[0]; !reflect.DeepEqual(want, got) {
		t.Errorf("UpdateMemberDetectors input:\nexpect %+v\ngot    %+v", want, got)
	}
	if o := res.Outcomes[3]; o.Status != workflow.StatusChanged || strings.Contains(o.Reason, "LAMBDA") || !strings.Contains(o.Reason, "1 of 2 members differ: EKS_AUDIT_LOGS DISABLED, want ENABLED (1)") {
		t.Errorf("member detectors' outcome: %+v", o)
	}
	if len(res.Warnings) != 1 {
		t.Errorf("warnings: %q", res.Warnings)
	}
}

func TestFakeMemberFeaturesRuntimeMonitoringAgentsCompared(t *testing.T) {
	gd := newFakeGD(append(slices.Clone(baseMembers), "500000000000", "500000000001", "500000000002")...)
	all := []string{"EKS_ADDON_MANAGEMENT", "ENABLED", "ECS_FARGATE_AGENT_MANAGEMENT", "ENABLED", "EC2_AGENT_MANAGEMENT", "ENABLED"}
	gd.detector.Features = append(gd.detector.Features, gdtypes.DetectorFeatureConfigurationResult{
		Name: "RUNTIME_MONITORING", Status: "ENABLED", AdditionalConfiguration: []gdtypes.DetectorAdditionalConfigurationResult{
			{Name: "EKS_ADDON_MANAGEMENT", Status: "ENABLED"}, {Name: "ECS_FARGATE_AGENT_MANAGEMENT", Status: "ENABLED"}, {Name: "EC2_AGENT_MANAGEMENT", Status: "ENABLED"},
		}})
	gd.orgFeatures = append(gd.orgFeatures, gdtypes.OrganizationFeatureConfigurationResult{
		Name: "RUNTIME_MONITORING", AutoEnable: "ALL", AdditionalConfiguration: []gdtypes.OrganizationAdditionalConfigurationResult{
			{Name: "EKS_ADDON_MANAGEMENT", AutoEnable: "ALL"}, {Name: "ECS_FARGATE_AGENT_MANAGEMENT", AutoEnable: "ALL"}, {Name: "EC2_AGENT_MANAGEMENT", AutoEnable: "ALL"},
		}})
	gd.memberDefault = []gdtypes.MemberFeaturesConfigurationResult{mf("S3_DATA_EVENTS", "ENABLED"), mf("RUNTIME_MONITORING", "ENABLED", all...)}
	gd.memberFeatures["500000000000"] = []gdtypes.MemberFeaturesConfigurationResult{mf("S3_DATA_EVENTS", "ENABLED"),
		mf("RUNTIME_MONITORING", "ENABLED", "EKS_ADDON_MANAGEMENT", "ENABLED", "ECS_FARGATE_AGENT_MANAGEMENT", "DISABLED", "EC2_AGENT_MANAGEMENT", "ENABLED")}
	gd.memberFeatures["500000000001"] = []gdtypes.MemberFeaturesConfigurationResult{mf("S3_DATA_EVENTS", "ENABLED"),
		mf("RUNTIME_MONITORING", "ENABLED", "EKS_ADDON_MANAGEMENT", "ENABLED", "ECS_FARGATE_AGENT_MANAGEMENT", "ENABLED")}
	res := mustRun(t, `services: {guardduty: {features: {runtimeMonitoring: true}}}`, gd, orgOf(3), workflow.ModeApply)
	if e, a := []string{"UpdateMemberDetectors"}, gd.mutating; !reflect.DeepEqual(e, a) {
		t.Fatalf("mutating calls: expect %v, got %v", e, a)
	}
	in := gd.updateMembers[0]
	if e := []string{"500000000000", "500000000001"}; !reflect.DeepEqual(e, in.AccountIds) {
		t.Errorf("accounts: expect %v, got %v", e, in.AccountIds)
	}
	wantRM := gdtypes.MemberFeaturesConfiguration{Name: "RUNTIME_MONITORING", Status: "ENABLED", AdditionalConfiguration: []gdtypes.MemberAdditionalConfiguration{
		{Name: "EKS_ADDON_MANAGEMENT", Status: "ENABLED"}, {Name: "ECS_FARGATE_AGENT_MANAGEMENT", Status: "ENABLED"}, {Name: "EC2_AGENT_MANAGEMENT", Status: "ENABLED"},
	}}
	if len(in.Features) != 6 || !reflect.DeepEqual(wantRM, in.Features[5]) {
		t.Errorf("features: %+v", in.Features)
	}
	for _, s := range []string{"2 of 5 members differ", "RUNTIME_MONITORING/ECS_FARGATE_AGENT_MANAGEMENT DISABLED, want ENABLED (1)", "RUNTIME_MONITORING/EC2_AGENT_MANAGEMENT DISABLED, want ENABLED (1)"} {
		if r := res.Outcomes[3].Reason; !strings.Contains(r, s) {
			t.Errorf("reason does not say %q: %s", s, r)
		}
	}
}

func TestFakeMemberFeaturesUpdateErrors(t *testing.T) {
	tests := []struct {
		name     string
		errs     []error
		wantSent int
		wantErr  string
		wantLast workflow.Status
		wantWhy  string
	}{
		{name: "not at the endpoint", errs: []error{sdkErr("UpdateMemberDetectors", 404, htmlBody)}, wantSent: 1,
			wantLast: workflow.StatusSkipped, wantWhy: "UpdateMemberDetectors is not available at this endpoint"},
		{name: "feature not offered", errs: []error{sdkErr("UpdateMemberDetectors", 400, &gdtypes.BadRequestException{Message: aws.String("RDS_LOGIN_EVENTS is not available in this region")})}, wantSent: 2,
			wantLast: workflow.StatusChanged, wantWhy: "1 of 2 members differ"},
		{name: "throttled", errs: []error{&smithy.GenericAPIError{Code: "ThrottlingException"}}, wantSent: 1, wantErr: workflow.ErrNameRetryable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gd := newFakeGD(baseMembers...)
			gd.memberFeatures["333333333333"] = []gdtypes.MemberFeaturesConfigurationResult{mf("S3_DATA_EVENTS", "DISABLED")}
			gd.errs["UpdateMemberDetectors"] = tt.errs
			res, err := runOrg(t, "", gd, orgOf(0), workflow.ModeApply)
			if len(gd.updateMembers) != tt.wantSent {
				t.Errorf("UpdateMemberDetectors calls: expect %d, got %d", tt.wantSent, len(gd.updateMembers))
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
			if len(res.Outcomes) != 4 || res.Outcomes[3].Status != tt.wantLast || !strings.Contains(res.Outcomes[3].Reason, tt.wantWhy) {
				t.Fatalf("outcomes: %+v", res.Outcomes)
			}
			if tt.wantSent == 2 {
				var names []string
				for _, f := range gd.updateMembers[1].Features {
					names = append(names, string(f.Name))
				}
				if e := []string{"S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "LAMBDA_NETWORK_LOGS", "RUNTIME_MONITORING"}; !reflect.DeepEqual(e, names) {
					t.Errorf("retry features: expect %v, got %v", e, names)
				}
				if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "UpdateMemberDetectors") {
					t.Errorf("warnings: %q", res.Warnings)
				}
			}
		})
	}
}

func TestFakeMemberFeaturesUnreadMemberIsLeft(t *testing.T) {
	gd := newFakeGD(baseMembers...)
	gd.memberFeatures["333333333333"] = []gdtypes.MemberFeaturesConfigurationResult{mf("S3_DATA_EVENTS", "DISABLED")}
	gd.unreadable = map[string]string{"333333333333": "The member is not enabled"}
	res := mustRun(t, "", gd, orgOf(0), workflow.ModeApply)
	if len(gd.mutating) != 0 {
		t.Errorf("mutating calls: %v", gd.mutating)
	}
	if o := res.Outcomes[3]; o.Status != workflow.StatusUnchanged || o.Reason != "member detectors' features: the 1 members read match the configuration, 1 were not read" {
		t.Errorf("member detectors' outcome: %+v", o)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "333333333333 (The member is not enabled)") {
		t.Errorf("warnings: %q", res.Warnings)
	}
}

func TestFakeMemberFeaturesSkippedWithoutMemberList(t *testing.T) {
	tests := []struct {
		name, op string
	}{{"ListMembers", "ListMembers"}, {"ListAccounts", "ListAccounts"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gd := newFakeGD(baseMembers...)
			orgs := orgOf(1)
			if tt.op == "ListAccounts" {
				orgs.err = sdkErr("ListAccounts", 404, htmlBody)
			} else {
				gd.errs[tt.op] = []error{sdkErr(tt.op, 404, htmlBody)}
			}
			res := mustRun(t, "", gd, orgs, workflow.ModeApply)
			if len(gd.getMembers) != 0 || len(gd.mutating) != 0 {
				t.Errorf("read %v, called %v", gd.getMembers, gd.mutating)
			}
			if e, a := []workflow.Status{workflow.StatusUnchanged, workflow.StatusUnchanged, workflow.StatusSkipped, workflow.StatusSkipped}, statuses(res); !reflect.DeepEqual(e, a) {
				t.Fatalf("statuses: expect %v, got %v", e, a)
			}
			if e, a := "member detectors' features: no member list: "+tt.op+" is not available at this endpoint", res.Outcomes[3].Reason; e != a {
				t.Errorf("reason: expect %q, got %q", e, a)
			}
		})
	}
}

func sdkErr(op string, status int, err error) error {
	return awstest.ResponseErr("GuardDuty", op, status, err)
}

var htmlBody = awstest.HTMLBody
