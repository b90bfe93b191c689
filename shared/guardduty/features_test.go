package guardduty

import (
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// sent lists a call's features as "NAME STATUS" and "NAME/AGENT STATUS".
func sent[T gdtypes.DetectorFeatureConfiguration | gdtypes.OrganizationFeatureConfiguration | gdtypes.MemberFeaturesConfiguration](fs []T) []string {
	var out []string
	for _, f := range fs {
		switch c := any(f).(type) {
		case gdtypes.DetectorFeatureConfiguration:
			out = append(out, string(c.Name)+" "+string(c.Status))
			for _, a := range c.AdditionalConfiguration {
				out = append(out, string(c.Name)+"/"+string(a.Name)+" "+string(a.Status))
			}
		case gdtypes.OrganizationFeatureConfiguration:
			out = append(out, string(c.Name)+" "+string(c.AutoEnable))
			for _, a := range c.AdditionalConfiguration {
				out = append(out, string(c.Name)+"/"+string(a.Name)+" "+string(a.AutoEnable))
			}
		case gdtypes.MemberFeaturesConfiguration:
			out = append(out, string(c.Name)+" "+string(c.Status))
			for _, a := range c.AdditionalConfiguration {
				out = append(out, string(c.Name)+"/"+string(a.Name)+" "+string(a.Status))
			}
		}
	}
	return out
}

// skippedReasons are the reasons of the skipped outcomes.
func skippedReasons(res workflow.StepResult) []string {
	var out []string
	for _, o := range res.Outcomes {
		if o.Status == workflow.StatusSkipped {
			out = append(out, o.Reason)
		}
	}
	return out
}

// A call sends the features the configuration enables and the disabled
// ones present on what it changes, as read first ("GetDetector",
// "DescribeOrganizationConfiguration", "GetMemberDetectors", GuardDuty API
// Reference): a feature the region does not know is never sent to switch it
// off. This region knows neither EBS malware protection, Lambda protection
// nor runtime monitoring, and refuses any call that names one.
func TestFakeSendsOnlyEnabledOrPresentFeatures(t *testing.T) {
	gd := newFakeGD(baseMembers...)
	gd.notOffered = map[string]bool{"EBS_MALWARE_PROTECTION": true, "LAMBDA_NETWORK_LOGS": true, "RUNTIME_MONITORING": true}
	// Drift everywhere: EKS audit logs on, which the configuration has off.
	gd.detector.Features[2].Status = gdtypes.FeatureStatusEnabled
	gd.orgFeatures[1].AutoEnable = gdtypes.OrgFeatureStatusAll
	gd.memberFeatures["333333333333"] = []gdtypes.MemberFeaturesConfigurationResult{mf("S3_DATA_EVENTS", "DISABLED"), mf("EKS_AUDIT_LOGS", "ENABLED")}
	extra := `services: {guardduty: {features: {rdsLoginEvents: true}}}`
	res := mustRun(t, extra, gd, orgOf(0), workflow.ModeApply)
	if e, a := []string{"UpdateDetector", "UpdateOrganizationConfiguration", "UpdateMemberDetectors"}, gd.mutating; !reflect.DeepEqual(e, a) {
		t.Fatalf("mutating calls: expect %v, got %v", e, a)
	}
	if e, a := []string{"S3_DATA_EVENTS ENABLED", "EKS_AUDIT_LOGS DISABLED", "RDS_LOGIN_EVENTS ENABLED"}, sent(gd.updateDet[0].Features); !reflect.DeepEqual(e, a) {
		t.Errorf("UpdateDetector features: expect %v, got %v", e, a)
	}
	if e, a := []string{"S3_DATA_EVENTS ALL", "EKS_AUDIT_LOGS NONE", "RDS_LOGIN_EVENTS ALL"}, sent(gd.updateOrg[0].Features); !reflect.DeepEqual(e, a) {
		t.Errorf("UpdateOrganizationConfiguration features: expect %v, got %v", e, a)
	}
	if e, a := []string{"S3_DATA_EVENTS ENABLED", "EKS_AUDIT_LOGS DISABLED", "RDS_LOGIN_EVENTS ENABLED"}, sent(gd.updateMembers[0].Features); !reflect.DeepEqual(e, a) {
		t.Errorf("UpdateMemberDetectors features: expect %v, got %v", e, a)
	}
	if s := skippedReasons(res); len(s) != 0 {
		t.Errorf("skipped: %q", s)
	}
	// Nothing differs any more.
	gd.mutating = nil
	again := mustRun(t, extra, gd, orgOf(0), workflow.ModeApply)
	if len(gd.mutating) != 0 || again.Changed {
		t.Errorf("re-run: calls %v, outcomes %+v", gd.mutating, again.Outcomes)
	}
}

// "CreateDetector", GuardDuty API Reference: a feature the call does not
// name is enabled, RUNTIME_MONITORING excepted. The step names the enabled
// features only, then reads the new detector and switches off what the
// configuration has off.
func TestFakeCreatedDetectorIsConverged(t *testing.T) {
	gd := newFakeGD()
	gd.detectorIDs = nil
	extra := `services: {guardduty: {features: {s3DataEvents: false, rdsLoginEvents: true}}}`
	res := mustRun(t, extra, gd, orgOf(0), workflow.ModeApply)
	if len(gd.createDet) != 1 || len(gd.updateDet) != 1 {
		t.Fatalf("mutating calls: %v", gd.mutating)
	}
	if in := gd.createDet[0]; !aws.ToBool(in.Enable) || in.FindingPublishingFrequency != "FIFTEEN_MINUTES" || !reflect.DeepEqual([]string{"RDS_LOGIN_EVENTS ENABLED"}, sent(in.Features)) {
		t.Errorf("CreateDetector input: %+v", in)
	}
	want := []string{"S3_DATA_EVENTS DISABLED", "EKS_AUDIT_LOGS DISABLED", "EBS_MALWARE_PROTECTION DISABLED", "RDS_LOGIN_EVENTS ENABLED",
		"LAMBDA_NETWORK_LOGS DISABLED", "RUNTIME_MONITORING DISABLED"}
	if in := gd.updateDet[0]; aws.ToString(in.DetectorId) != "det-new" || !reflect.DeepEqual(want, sent(in.Features)) {
		t.Errorf("UpdateDetector input: %s %v", aws.ToString(in.DetectorId), sent(in.Features))
	}
	o := part(t, res, "detector det-new as created:")
	if o.Status != workflow.StatusChanged || !reflect.DeepEqual([]workflow.Action{{Call: CallUpdateDetector, Target: "det-new"}}, o.Actions) ||
		!strings.Contains(o.Reason, "EKS_AUDIT_LOGS ENABLED, want DISABLED") {
		t.Errorf("detector outcome: %+v", o)
	}
	if o := res.Outcomes[0]; o.Status != workflow.StatusChanged || !reflect.DeepEqual([]workflow.Action{{Call: CallCreateDetector, Target: "det-new"}}, o.Actions) {
		t.Errorf("creation outcome: %+v", o)
	}

	// A configuration that enables every feature: the detector made matches,
	// and has the one outcome.
	gd = newFakeGD()
	gd.detectorIDs = nil
	extra = `services: {guardduty: {features: {eksAuditLogs: true, ebsMalwareProtection: true, rdsLoginEvents: true, lambdaNetworkLogs: true, runtimeMonitoring: true}}}`
	res = mustRun(t, extra, gd, orgOf(0), workflow.ModeApply)
	if len(gd.createDet) != 1 || len(gd.updateDet) != 0 || len(gd.createDet[0].Features) != 6 {
		t.Errorf("calls %v, CreateDetector features %v", gd.mutating, sent(gd.createDet[0].Features))
	}
	if o := res.Outcomes[1]; !strings.HasPrefix(o.Reason, "organization configuration") {
		t.Errorf("the detector has more than one outcome: %+v", res.Outcomes)
	}
}

// Before there is a detector no read tells what the region offers: when
// GuardDuty refuses CreateDetector, the detector is made naming no feature,
// then read, and the feature it then refuses is left out, skipped.
func TestFakeCreateDetectorRefusedIsMadeBare(t *testing.T) {
	gd := newFakeGD()
	gd.detectorIDs = nil
	gd.notOffered = map[string]bool{"LAMBDA_NETWORK_LOGS": true}
	res, err := runOrg(t, `services: {guardduty: {features: {lambdaNetworkLogs: true}}}`, gd, orgOf(0), workflow.ModeApply)
	if err != nil {
		t.Fatal(err)
	}
	if len(gd.createDet) != 2 || gd.createDet[1].Features != nil || !aws.ToBool(gd.createDet[1].Enable) {
		t.Fatalf("CreateDetector calls: %d, the second with features %v", len(gd.createDet), sent(gd.createDet[len(gd.createDet)-1].Features))
	}
	// Made with every offered feature on: the first update is refused for
	// Lambda protection, the second switches the others off.
	if len(gd.updateDet) != 2 || strings.Contains(strings.Join(sent(gd.updateDet[1].Features), " "), "LAMBDA") {
		t.Errorf("UpdateDetector calls: %d", len(gd.updateDet))
	}
	if e, a := []string{"S3_DATA_EVENTS ENABLED", "EKS_AUDIT_LOGS DISABLED", "EBS_MALWARE_PROTECTION DISABLED", "RDS_LOGIN_EVENTS DISABLED", "RUNTIME_MONITORING DISABLED"}, sent(gd.updateDet[1].Features); !reflect.DeepEqual(e, a) {
		t.Errorf("second UpdateDetector: expect %v, got %v", e, a)
	}
	if s := skippedReasons(res); len(s) != 1 || !strings.HasPrefix(s[0], "LAMBDA_NETWORK_LOGS: not offered in eu-west-1") || !strings.Contains(s[0], "UpdateDetector") {
		t.Errorf("skipped: %q", s)
	}
	// The later parts leave it out too.
	for _, in := range gd.updateOrg {
		if strings.Contains(strings.Join(sent(in.Features), " "), "LAMBDA") {
			t.Errorf("UpdateOrganizationConfiguration sent Lambda protection: %v", sent(in.Features))
		}
	}
}

// rmAgents are runtime monitoring's additional configurations, enabled.
var rmAgents = []gdtypes.DetectorAdditionalConfigurationResult{
	{Name: "EKS_ADDON_MANAGEMENT", Status: "ENABLED"}, {Name: "ECS_FARGATE_AGENT_MANAGEMENT", Status: "ENABLED"}, {Name: "EC2_AGENT_MANAGEMENT", Status: "ENABLED"},
}

// notOfferedCases are regions that do not offer a feature or an additional
// configuration to one operation, for TestFakeFeatureNotOfferedIsSkipped.
var notOfferedCases = []struct {
	name  string
	extra string
	setup func(gd *fakeGD)
	// refused is the operation refused once; again the input of its
	// second call.
	refused string
	again   func(gd *fakeGD) []string
	want    string
}{
	{
		name:  "detector feature",
		extra: `services: {guardduty: {features: {lambdaNetworkLogs: true}}}`,
		setup: func(gd *fakeGD) {
			gd.notOffered = map[string]bool{"LAMBDA_NETWORK_LOGS": true}
			// Another difference: the call is still needed without it.
			gd.detector.FindingPublishingFrequency = gdtypes.FindingPublishingFrequencySixHours
		},
		// The detector, the organization configuration and the members
		// have Lambda protection off and do not list it.
		refused: "UpdateDetector",
		again:   func(gd *fakeGD) []string { return sent(gd.updateDet[1].Features) },
		want:    "LAMBDA_NETWORK_LOGS",
	},
	{
		name:  "auto-enable of an additional configuration",
		extra: `services: {guardduty: {features: {runtimeMonitoring: true}}}`,
		setup: func(gd *fakeGD) {
			gd.notOfferedIn = map[string]map[string]bool{"UpdateOrganizationConfiguration": {"EC2_AGENT_MANAGEMENT": true}}
			gd.detector.Features = append(gd.detector.Features, gdtypes.DetectorFeatureConfigurationResult{Name: "RUNTIME_MONITORING", Status: "ENABLED", AdditionalConfiguration: rmAgents})
			gd.memberDefault = append(gd.memberDefault, mf("RUNTIME_MONITORING", "ENABLED", "EKS_ADDON_MANAGEMENT", "ENABLED", "ECS_FARGATE_AGENT_MANAGEMENT", "ENABLED", "EC2_AGENT_MANAGEMENT", "ENABLED"))
			// New accounts only: after leaving the agent out, the call
			// is still needed.
			gd.autoMembers = gdtypes.AutoEnableMembersNew
			gd.orgFeatures = append(gd.orgFeatures, gdtypes.OrganizationFeatureConfigurationResult{Name: "RUNTIME_MONITORING", AutoEnable: "ALL",
				AdditionalConfiguration: []gdtypes.OrganizationAdditionalConfigurationResult{{Name: "EKS_ADDON_MANAGEMENT", AutoEnable: "ALL"}, {Name: "ECS_FARGATE_AGENT_MANAGEMENT", AutoEnable: "ALL"}}})
		},
		refused: "UpdateOrganizationConfiguration",
		again:   func(gd *fakeGD) []string { return sent(gd.updateOrg[1].Features) },
		want:    "RUNTIME_MONITORING/EC2_AGENT_MANAGEMENT",
	},
	{
		name:  "member detectors' feature",
		extra: `services: {guardduty: {features: {lambdaNetworkLogs: true}}}`,
		setup: func(gd *fakeGD) {
			gd.notOfferedIn = map[string]map[string]bool{"UpdateMemberDetectors": {"LAMBDA_NETWORK_LOGS": true}}
			gd.detector.Features = append(gd.detector.Features, gdtypes.DetectorFeatureConfigurationResult{Name: "LAMBDA_NETWORK_LOGS", Status: "ENABLED"})
			gd.orgFeatures = append(gd.orgFeatures, gdtypes.OrganizationFeatureConfigurationResult{Name: "LAMBDA_NETWORK_LOGS", AutoEnable: "ALL"})
			gd.memberDefault[1].Status = "ENABLED" // EKS audit logs: the members differ anyway
		},
		refused: "UpdateMemberDetectors",
		again:   func(gd *fakeGD) []string { return sent(gd.updateMembers[1].Features) },
		want:    "LAMBDA_NETWORK_LOGS",
	},
}

// A feature or additional configuration the region does not offer is found
// when GuardDuty refuses the call that names it while the read did not list
// it: it is left out, the call made again, and the part skipped for it,
// never a failure, on this run and the next. GuardDuty's message is not
// parsed (the fake's names nothing).
func TestFakeFeatureNotOfferedIsSkipped(t *testing.T) {
	for _, tt := range notOfferedCases {
		t.Run(tt.name, func(t *testing.T) {
			gd := newFakeGD(baseMembers...)
			tt.setup(gd)
			res, err := runOrg(t, tt.extra, gd, orgOf(0), workflow.ModeApply)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, op := range gd.mutating {
				if op == tt.refused {
					n++
				}
			}
			if n != 2 {
				t.Fatalf("%s calls: expect 2, got %d: %v", tt.refused, n, gd.mutating)
			}
			if again := strings.Join(tt.again(gd), ", "); strings.Contains(again, tt.want+" ") {
				t.Errorf("%s called again with %s: %s", tt.refused, tt.want, again)
			}
			s := skippedReasons(res)
			if len(s) != 1 || !strings.HasPrefix(s[0], tt.want+": not offered in eu-west-1") || !strings.Contains(s[0], tt.refused) {
				t.Errorf("skipped: %q", s)
			}
			for _, o := range res.Outcomes {
				if o.Status == workflow.StatusFailed {
					t.Errorf("failed: %+v", o)
				}
			}
			// Again: the same is skipped, and nothing else changes.
			again, err := runOrg(t, tt.extra, gd, orgOf(0), workflow.ModeApply)
			if err != nil {
				t.Fatal(err)
			}
			if s := skippedReasons(again); again.Changed || len(s) != 1 || !strings.HasPrefix(s[0], tt.want+": not offered") {
				t.Errorf("re-run: skipped %q, outcomes %+v", s, again.Outcomes)
			}
		})
	}
}

// Part 2 of the case above: the members' detectors still get the runtime
// monitoring agent the organization configuration cannot auto-enable.
func TestFakeAutoEnableNotOfferedLeavesMembersAlone(t *testing.T) {
	gd := newFakeGD(baseMembers...)
	gd.notOfferedIn = map[string]map[string]bool{"UpdateOrganizationConfiguration": {"EC2_AGENT_MANAGEMENT": true}}
	// The organization configuration lists runtime monitoring and the
	// agents it offers.
	gd.orgFeatures = append(gd.orgFeatures, gdtypes.OrganizationFeatureConfigurationResult{Name: "RUNTIME_MONITORING", AutoEnable: "NONE",
		AdditionalConfiguration: []gdtypes.OrganizationAdditionalConfigurationResult{{Name: "EKS_ADDON_MANAGEMENT", AutoEnable: "NONE"}, {Name: "ECS_FARGATE_AGENT_MANAGEMENT", AutoEnable: "NONE"}}})
	res := mustRun(t, `services: {guardduty: {features: {runtimeMonitoring: true}}}`, gd, orgOf(0), workflow.ModeApply)
	if len(gd.updateMembers) != 1 {
		t.Fatalf("UpdateMemberDetectors calls: %v", gd.mutating)
	}
	if a := sent(gd.updateMembers[0].Features); !strings.Contains(strings.Join(a, " "), "RUNTIME_MONITORING/EC2_AGENT_MANAGEMENT ENABLED") {
		t.Errorf("UpdateMemberDetectors features: %v", a)
	}
	if s := skippedReasons(res); len(s) != 1 || !strings.HasPrefix(s[0], "RUNTIME_MONITORING/EC2_AGENT_MANAGEMENT: not offered") {
		t.Errorf("skipped: %q", s)
	}
}

// A refused call whose enabled features were all listed is not a feature
// the region lacks: it fails the step, after one call.
func TestFakeBadRequestWithEverythingListedFails(t *testing.T) {
	gd := newFakeGD(baseMembers...)
	gd.detector.FindingPublishingFrequency = gdtypes.FindingPublishingFrequencyOneHour
	gd.errs["UpdateDetector"] = []error{sdkErr("UpdateDetector", 400, &gdtypes.BadRequestException{Message: aws.String("The request is rejected because an invalid or out-of-range value is specified as an input parameter.")})}
	_, err := runOrg(t, "", gd, orgOf(0), workflow.ModeApply)
	if reflect.TypeOf(err) != reflect.TypeOf(&workflow.TerminalError{}) || len(gd.updateDet) != 1 {
		t.Errorf("expect a TerminalError after one call, got %T %v after %d", err, err, len(gd.updateDet))
	}
}
