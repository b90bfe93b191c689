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

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

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
	var names []string
	for _, c := range in.Features {
		names = append(names, string(c.Name))
		for _, a := range c.AdditionalConfiguration {
			names = append(names, string(a.Name))
		}
	}
	if err := f.refuse("UpdateMemberDetectors", names...); err != nil {
		return nil, err
	}
	out := &guardduty.UpdateMemberDetectorsOutput{}
	if f.updateUnprocessed != nil {
		out.UnprocessedAccounts = f.updateUnprocessed(len(f.updateMembers), in.AccountIds)
	}
	// The processed members' detectors take the features given.
	for _, id := range in.AccountIds {
		if slices.ContainsFunc(out.UnprocessedAccounts, func(u gdtypes.UnprocessedAccount) bool { return aws.ToString(u.AccountId) == id }) {
			continue
		}
		fs, ok := f.memberFeatures[id]
		if !ok {
			fs = f.memberDefault
		}
		fs = slices.Clone(fs)
		for _, c := range in.Features {
			r := gdtypes.MemberFeaturesConfigurationResult{Name: c.Name, Status: c.Status}
			for _, a := range c.AdditionalConfiguration {
				r.AdditionalConfiguration = append(r.AdditionalConfiguration, gdtypes.MemberAdditionalConfigurationResult{Name: a.Name, Status: a.Status})
			}
			if i := slices.IndexFunc(fs, func(x gdtypes.MemberFeaturesConfigurationResult) bool { return x.Name == c.Name }); i < 0 {
				fs = append(fs, r)
			} else {
				fs[i] = r
			}
		}
		f.memberFeatures[id] = fs
	}
	return out, nil
}

// defaultMemberInput is the UpdateMemberDetectors features of the default
// configuration for members whose detectors list S3 data events and EKS
// audit logs: the disabled features they do not list are off already.
var defaultMemberInput = []gdtypes.MemberFeaturesConfiguration{
	{Name: "S3_DATA_EVENTS", Status: "ENABLED"},
	{Name: "EKS_AUDIT_LOGS", Status: "DISABLED"},
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
	wantActs := []workflow.Action{{Call: CallUpdateMemberDetectors, Target: "70 accounts"}}
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
	for _, s := range []string{"member detectors' features: 70 of 122 members differ", "EKS_AUDIT_LOGS ENABLED, want DISABLED (30)", "S3_DATA_EVENTS DISABLED, want ENABLED (40)",
		"70 updated, 0 not updated (outcomes of 62 more accounts are in the step's log)"} {
		if !strings.Contains(o.Reason, s) {
			t.Errorf("reason does not say %q: %s", s, o.Reason)
		}
	}
	// The first maxAccountRows accounts updated have an outcome of their
	// own.
	rows := rowsOf(res)
	last := differ[maxAccountRows-1]
	if len(rows) != maxAccountRows || rows[last].Status != workflow.StatusChanged || rows[last].Reason != "member detectors' features: updated" {
		t.Errorf("%d account outcomes, %s: %+v", len(rows), last, rows[last])
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
	if e, a := []workflow.Status{workflow.StatusUnchanged, workflow.StatusUnchanged, workflow.StatusUnchanged, workflow.StatusChanged}, statuses(res); !reflect.DeepEqual(e, a) {
		t.Fatalf("statuses: expect %v, got %v", e, a)
	}
	if o := res.Outcomes[3]; !reflect.DeepEqual([]workflow.Action{{Call: CallUpdateMemberDetectors, Target: "3 accounts"}}, o.Actions) || !strings.Contains(o.Reason, "3 updated, 1 not updated") {
		t.Errorf("member detectors' outcome: %+v", o)
	}
	rows := rowsOf(res)
	if e, a := "member detectors' features: UpdateMemberDetectors did not update it: The member account is suspended", rows["500000000003"].Reason; e != a || rows["500000000003"].Status != workflow.StatusFailed {
		t.Errorf("failed outcome: expect %q, got %+v", e, rows["500000000003"])
	}
	for _, a := range []string{"500000000000", "500000000001", "500000000002"} {
		if rows[a].Status != workflow.StatusChanged {
			t.Errorf("%s: %+v", a, rows[a])
		}
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
	// S3 data events and runtime monitoring: the members list nothing else.
	if len(in.Features) != 2 || !reflect.DeepEqual(wantRM, in.Features[1]) {
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
		// Every feature sent is one the members list: a refusal is no
		// feature the region lacks.
		{name: "bad request", errs: []error{sdkErr("UpdateMemberDetectors", 400, &gdtypes.BadRequestException{Message: aws.String("RDS_LOGIN_EVENTS is not available in this region")})}, wantSent: 1,
			wantErr: workflow.ErrNameTerminal},
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
	}{{"ListMembers", "ListMembers"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gd := newFakeGD(baseMembers...)
			orgs := orgOf(1)
			gd.errs[tt.op] = []error{sdkErr(tt.op, 404, htmlBody)}
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
