package guardduty

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"
	"github.com/aws/smithy-go"

	"github.com/orgbaseline/orgbaseline/shared/local/awstest"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// fakeGD is the security account's GuardDuty in one region behind OrgClient.
// Its state starts as what the default configuration wants (S3 data events
// only, FIFTEEN_MINUTES, every account of fakeOrgs a member, the members'
// detectors with S3 data events only).
type fakeGD struct {
	detectorIDs []string
	detector    guardduty.GetDetectorOutput
	autoMembers gdtypes.AutoEnableMembers
	orgFeatures []gdtypes.OrganizationFeatureConfigurationResult
	members     []string
	// left holds the relationship status of members that are not
	// Enabled (Removed, Disabled, Resigned), by account.
	left map[string]string
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
	// notOffered are the features and additional configurations the region
	// does not offer, notOfferedIn those it does not offer to one operation:
	// a call naming one is refused (refuse).
	notOffered   map[string]bool
	notOfferedIn map[string]map[string]bool

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

// regionFeatures are the detector features of a region that offers them
// all.
var regionFeatures = []gdtypes.DetectorFeatureResult{"CLOUD_TRAIL", "DNS_LOGS", "FLOW_LOGS", "S3_DATA_EVENTS", "EKS_AUDIT_LOGS",
	"EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS", "LAMBDA_NETWORK_LOGS", "RUNTIME_MONITORING"}

// refuse answers a call naming a feature or additional configuration of
// notOffered as GuardDuty answers a bad request, with a message that names
// nothing, so that no reading of it can tell what was refused.
func (f *fakeGD) refuse(op string, names ...string) error {
	for _, n := range names {
		if f.notOffered[n] || f.notOfferedIn[op][n] {
			return &gdtypes.BadRequestException{Message: aws.String("The request is rejected because an invalid or out-of-range value is specified as an input parameter.")}
		}
	}
	return nil
}

func (f *fakeGD) next(op string) error {
	q := f.errs[op]
	if len(q) == 0 {
		return nil
	}
	f.errs[op] = q[1:]
	return q[0]
}

func runOrg(t *testing.T, extra string, gd OrgClient, orgs *fakeOrgs, mode workflow.Mode) (workflow.StepResult, error) {
	t.Helper()
	h := &OrgHandler{Settings: fakeConfig(t, extra), Log: quiet, Accounts: orgs, In: func(region string) OrgClient {
		if region != "eu-west-1" {
			t.Errorf("client asked for region %q", region)
		}
		return gd
	}}
	return h.Handle(context.Background(), workflow.Item{Input: workflow.Input{Mode: mode}, Region: "eu-west-1", Accounts: orgs.active()})
}

func mustRun(t *testing.T, extra string, gd *fakeGD, orgs *fakeOrgs, mode workflow.Mode) workflow.StepResult {
	t.Helper()
	res, err := runOrg(t, extra, gd, orgs, mode)
	if err != nil {
		t.Fatal(err)
	}
	// The parts' outcomes are the security account's, then come those of
	// single accounts.
	rows := false
	for _, o := range res.Outcomes {
		rows = rows || o.Account != "222222222222"
		if o.Region != "eu-west-1" || o.Service != "guardduty" || rows && o.Account == "222222222222" {
			t.Errorf("outcome not in the region and guardduty, or a part's after an account's: %+v", o)
		}
	}
	return res
}

// statuses are the statuses of the parts' outcomes: those of the account
// of the first (the detector's, the security account's), not those of
// single accounts.
func statuses(res workflow.StepResult) []workflow.Status {
	var s []workflow.Status
	for _, o := range res.Outcomes {
		if o.Account == res.Outcomes[0].Account {
			s = append(s, o.Status)
		}
	}
	return s
}

func sdkErr(op string, status int, err error) error {
	return awstest.ResponseErr("GuardDuty", op, status, err)
}

var htmlBody = awstest.HTMLBody

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
		{name: "throttled account read", orgsErr: &smithy.GenericAPIError{Code: "TooManyRequestsException"}, wantErr: workflow.ErrNameRetryable},
		{name: "account read denied", orgsErr: &smithy.GenericAPIError{Code: "AccessDeniedException"}, wantErr: workflow.ErrNameTerminal},
		{name: "access denied", op: "DescribeOrganizationConfiguration", err: &smithy.GenericAPIError{Code: "AccessDeniedException"}, wantErr: workflow.ErrNameTerminal},
		{name: "describe not at the endpoint", op: "DescribeOrganizationConfiguration", err: sdkErr("DescribeOrganizationConfiguration", 404, htmlBody), wantSkip: "DescribeOrganizationConfiguration is not available at this endpoint"},
		{name: "update not at the endpoint", op: "UpdateOrganizationConfiguration", err: sdkErr("UpdateOrganizationConfiguration", 404, htmlBody), wantSkip: "UpdateOrganizationConfiguration is not available at this endpoint"},
		{name: "unknown operation", op: "CreateMembers", err: sdkErr("CreateMembers", 400, &smithy.GenericAPIError{Code: "UnknownOperationException"}), wantSkip: "CreateMembers is not available at this endpoint"},
		{name: "throttled member creation", op: "CreateMembers", err: throttled, wantErr: workflow.ErrNameRetryable},
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
			h := &OrgHandler{Settings: fakeConfig(t, tt.extra), Log: quiet, Accounts: &fakeOrgs{err: fmt.Errorf("must not be called")}, In: func(string) OrgClient { return gd }}
			// No accounts either: a skipped iteration does not need them.
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
	gd, orgs := newFakeGD(), orgOf(1)
	gd.detectorIDs = nil
	res := mustRun(t, "", gd, orgs, workflow.ModePlan)
	if len(gd.mutating) != 0 || len(gd.getMembers) != 0 || len(orgs.described) != 0 {
		t.Errorf("plan called %v, read members %v and accounts %v", gd.mutating, gd.getMembers, orgs.described)
	}
	// No detector, no members to compare: the member detectors' part has
	// no outcome.
	want := [][]workflow.Action{
		{{Call: CallCreateDetector}},
		{{Call: CallUpdateOrganizationConfiguration}},
		{{Call: CallCreateMembers, Target: "3 accounts"}},
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
