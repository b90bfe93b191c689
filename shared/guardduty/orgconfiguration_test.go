package guardduty

import (
	"context"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

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

// UpdateOrganizationConfiguration refuses what the region does not offer
// and sets what it names.
func (f *fakeGD) UpdateOrganizationConfiguration(ctx context.Context, in *guardduty.UpdateOrganizationConfigurationInput, _ ...func(*guardduty.Options)) (*guardduty.UpdateOrganizationConfigurationOutput, error) {
	f.mutating = append(f.mutating, "UpdateOrganizationConfiguration")
	f.updateOrg = append(f.updateOrg, in)
	if err := f.next("UpdateOrganizationConfiguration"); err != nil {
		return nil, err
	}
	var names []string
	for _, c := range in.Features {
		names = append(names, string(c.Name))
		for _, a := range c.AdditionalConfiguration {
			names = append(names, string(a.Name))
		}
	}
	if err := f.refuse("UpdateOrganizationConfiguration", names...); err != nil {
		return nil, err
	}
	f.autoMembers = in.AutoEnableOrganizationMembers
	for _, c := range in.Features {
		r := gdtypes.OrganizationFeatureConfigurationResult{Name: c.Name, AutoEnable: c.AutoEnable}
		for _, a := range c.AdditionalConfiguration {
			r.AdditionalConfiguration = append(r.AdditionalConfiguration, gdtypes.OrganizationAdditionalConfigurationResult{Name: a.Name, AutoEnable: a.AutoEnable})
		}
		i := slices.IndexFunc(f.orgFeatures, func(x gdtypes.OrganizationFeatureConfigurationResult) bool { return x.Name == c.Name })
		if i < 0 {
			f.orgFeatures = append(f.orgFeatures, r)
		} else {
			f.orgFeatures[i] = r
		}
	}
	return &guardduty.UpdateOrganizationConfigurationOutput{}, nil
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
		// The features enabled, and those it lists: the disabled ones it
		// does not list are NONE already.
		Features: []gdtypes.OrganizationFeatureConfiguration{
			{Name: "S3_DATA_EVENTS", AutoEnable: "ALL"},
			{Name: "EKS_AUDIT_LOGS", AutoEnable: "NONE"},
			{Name: "EBS_MALWARE_PROTECTION", AutoEnable: "ALL"},
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
	fs := gd.updateOrg[0].Features
	if e, a := []string{"S3_DATA_EVENTS ALL", "EKS_AUDIT_LOGS NONE", "RUNTIME_MONITORING ALL"}, sent(fs)[:3]; !reflect.DeepEqual(e, a) {
		t.Errorf("features: expect %v, got %v", e, a)
	}
	rm := fs[2]
	wantRM := gdtypes.OrganizationFeatureConfiguration{Name: "RUNTIME_MONITORING", AutoEnable: "ALL", AdditionalConfiguration: []gdtypes.OrganizationAdditionalConfiguration{
		{Name: "EKS_ADDON_MANAGEMENT", AutoEnable: "ALL"}, {Name: "ECS_FARGATE_AGENT_MANAGEMENT", AutoEnable: "ALL"}, {Name: "EC2_AGENT_MANAGEMENT", AutoEnable: "ALL"},
	}}
	if !reflect.DeepEqual(wantRM, rm) {
		t.Errorf("runtime monitoring: expect %+v, got %+v", wantRM, rm)
	}
}
