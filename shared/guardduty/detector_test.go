package guardduty

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

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

// CreateDetector makes the detector as GuardDuty documents it
// ("CreateDetector", GuardDuty API Reference): every feature of the region
// the call does not name is enabled, RUNTIME_MONITORING excepted.
func (f *fakeGD) CreateDetector(ctx context.Context, in *guardduty.CreateDetectorInput, _ ...func(*guardduty.Options)) (*guardduty.CreateDetectorOutput, error) {
	f.mutating = append(f.mutating, "CreateDetector")
	f.createDet = append(f.createDet, in)
	if err := f.next("CreateDetector"); err != nil {
		return nil, err
	}
	if err := f.refuse("CreateDetector", detectorNames(in.Features)...); err != nil {
		return nil, err
	}
	f.detectorIDs = append(f.detectorIDs, "det-new")
	f.detector = guardduty.GetDetectorOutput{Status: gdtypes.DetectorStatusEnabled, FindingPublishingFrequency: in.FindingPublishingFrequency}
	for _, name := range regionFeatures {
		if f.notOffered[string(name)] {
			continue
		}
		st := gdtypes.FeatureStatusEnabled
		if name == "RUNTIME_MONITORING" {
			st = gdtypes.FeatureStatusDisabled
		}
		f.detector.Features = append(f.detector.Features, gdtypes.DetectorFeatureConfigurationResult{Name: name, Status: st})
	}
	f.mergeDetector(in.Features)
	return &guardduty.CreateDetectorOutput{DetectorId: aws.String("det-new")}, nil
}

// UpdateDetector refuses what the region does not offer and sets what it
// names.
func (f *fakeGD) UpdateDetector(ctx context.Context, in *guardduty.UpdateDetectorInput, _ ...func(*guardduty.Options)) (*guardduty.UpdateDetectorOutput, error) {
	f.mutating = append(f.mutating, "UpdateDetector")
	f.updateDet = append(f.updateDet, in)
	if err := f.next("UpdateDetector"); err != nil {
		return nil, err
	}
	if err := f.refuse("UpdateDetector", detectorNames(in.Features)...); err != nil {
		return nil, err
	}
	if aws.ToBool(in.Enable) {
		f.detector.Status = gdtypes.DetectorStatusEnabled
	}
	if in.FindingPublishingFrequency != "" {
		f.detector.FindingPublishingFrequency = in.FindingPublishingFrequency
	}
	f.mergeDetector(in.Features)
	return &guardduty.UpdateDetectorOutput{}, nil
}

func detectorNames(fs []gdtypes.DetectorFeatureConfiguration) []string {
	var out []string
	for _, c := range fs {
		out = append(out, string(c.Name))
		for _, a := range c.AdditionalConfiguration {
			out = append(out, string(a.Name))
		}
	}
	return out
}

// mergeDetector sets the features of fs on the detector.
func (f *fakeGD) mergeDetector(fs []gdtypes.DetectorFeatureConfiguration) {
	for _, c := range fs {
		r := gdtypes.DetectorFeatureConfigurationResult{Name: gdtypes.DetectorFeatureResult(c.Name), Status: c.Status}
		for _, a := range c.AdditionalConfiguration {
			r.AdditionalConfiguration = append(r.AdditionalConfiguration, gdtypes.DetectorAdditionalConfigurationResult{Name: a.Name, Status: a.Status})
		}
		i := slices.IndexFunc(f.detector.Features, func(x gdtypes.DetectorFeatureConfigurationResult) bool { return string(x.Name) == string(c.Name) })
		if i < 0 {
			f.detector.Features = append(f.detector.Features, r)
		} else {
			f.detector.Features[i] = r
		}
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
	// The features enabled, and those the detector lists (CLOUD_TRAIL is
	// not the configuration's): the disabled ones it does not list are off.
	wantFeatures := []gdtypes.DetectorFeatureConfiguration{
		{Name: "S3_DATA_EVENTS", Status: "ENABLED"},
		{Name: "EKS_AUDIT_LOGS", Status: "ENABLED"},
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
	orgs := orgOf(0)
	res := mustRun(t, `services: {guardduty: {features: {s3DataEvents: false, rdsLoginEvents: true}}}`, gd, orgs, workflow.ModeApply)
	if len(gd.createDet) != 1 {
		t.Fatalf("CreateDetector calls: %v", gd.mutating)
	}
	if o := res.Outcomes[0]; o.Status != workflow.StatusChanged || o.Actions[0] != (workflow.Action{Call: CallCreateDetector, Target: "det-new"}) {
		t.Errorf("detector outcome: %+v", o)
	}
	// The organization configuration and members go to the new detector.
	if len(gd.updateOrg) != 1 || aws.ToString(gd.updateOrg[0].DetectorId) != "det-new" {
		t.Errorf("UpdateOrganizationConfiguration: %v", gd.updateOrg)
	}
	if len(gd.createMembers) != 1 || aws.ToString(gd.createMembers[0].DetectorId) != "det-new" || ids(gd.createMembers[0].AccountDetails) != "111111111111,333333333333" {
		t.Errorf("CreateMembers: %+v", gd.createMembers)
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
