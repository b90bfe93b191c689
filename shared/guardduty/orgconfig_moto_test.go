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

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/local/motorig"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

func motoOrgSettings(t *testing.T, org motorig.Org) settings.Config {
	t.Helper()
	c, err := settings.Load("moto.yaml", strings.NewReader(fmt.Sprintf(`
accounts: {management: %q, security: %q, logArchive: %q}
organizationId: %s
homeRegion: us-east-1
regions: [us-east-1, eu-west-1]
services:
  guardduty:
    findingPublishingFrequency: ONE_HOUR
    features: {eksAuditLogs: true, runtimeMonitoring: true}
`, org.Management, org.Security, org.LogArchive, org.ID)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func detectorIDs(t *testing.T, api guardduty.ListDetectorsAPIClient) []string {
	t.Helper()
	out, err := api.ListDetectors(context.Background(), &guardduty.ListDetectorsInput{})
	if err != nil {
		t.Fatal(err)
	}
	return out.DetectorIds
}

func TestMotoOrgConfigOneRegion(t *testing.T) {
	mgmt, org := srv.SeedT(t)
	cfg := motoOrgSettings(t, org)
	rec := &motorig.Recorder{}
	mgmt.APIOptions = append(slices.Clone(mgmt.APIOptions), rec.Option)
	h := NewOrgHandler(cfg, mgmt, awsclient.NewAccounts(mgmt, org.Management, motorig.ExecutionRole, "test"), quiet)
	ctx := context.Background()
	const region = "eu-west-1"
	sec := guardduty.NewFromConfig(awsclient.WithRegion(srv.AccountConfigT(t, org.Security), region))
	var all, others []string
	for _, a := range org.Accounts {
		all = append(all, a.ID)
		if a.ID != org.Security {
			others = append(others, a.ID)
		}
	}
	// The run's accounts, as the state machine passes them.
	item := func(mode workflow.Mode) workflow.Item {
		return workflow.Item{Input: workflow.Input{Mode: mode}, Region: region, Accounts: all}
	}
	// The step makes no Organizations call: the accounts come with the
	// item, and nothing is added here (the emulator has no ListMembers).
	noOrganizations := func(calls []string) {
		t.Helper()
		if i := slices.IndexFunc(calls, func(c string) bool { return strings.HasPrefix(c, "Organizations:") }); i >= 0 {
			t.Errorf("Organizations called: %v", calls)
		}
	}

	// Plan: every part planned, nothing made. Without a detector there are
	// no members to compare: the member detectors' part has no outcome.
	res, err := h.Handle(ctx, item(workflow.ModePlan))
	if err != nil {
		t.Fatal(err)
	}
	if e, a := []workflow.Status{workflow.StatusPlanned, workflow.StatusPlanned, workflow.StatusPlanned}, statuses(res); !reflect.DeepEqual(e, a) {
		t.Fatalf("plan statuses: expect %v, got %v: %+v", e, a, res.Outcomes)
	}
	if e, a := (workflow.Action{Call: CallCreateMembers, Target: countAccounts(len(others))}), res.Outcomes[2].Actions[0]; e != a {
		t.Errorf("planned members: expect %v, got %v", e, a)
	}
	mut, calls := rec.Take()
	if len(mut) != 0 {
		t.Errorf("plan made calls: %v", mut)
	}
	noOrganizations(calls)
	if ids := detectorIDs(t, sec); len(ids) != 0 {
		t.Fatalf("plan made a detector: %v", ids)
	}

	// Apply: the detector is made in the security account; the rest is not
	// offered by the emulator and comes out skipped: without ListMembers,
	// the member detectors' part too.
	res, err = h.Handle(ctx, item(workflow.ModeApply))
	if err != nil {
		t.Fatal(err)
	}
	if e, a := []workflow.Status{workflow.StatusChanged, workflow.StatusSkipped, workflow.StatusSkipped, workflow.StatusSkipped}, statuses(res); !reflect.DeepEqual(e, a) || !res.Changed {
		t.Fatalf("apply statuses: expect %v, got %v: %+v", e, a, res.Outcomes)
	}
	for i, e := range map[int]string{
		1: "DescribeOrganizationConfiguration is not available at this endpoint",
		2: "ListMembers is not available at this endpoint",
		3: "member detectors' features: no member list: ListMembers is not available at this endpoint",
	} {
		if a := res.Outcomes[i].Reason; e != a {
			t.Errorf("outcome %d: expect reason %q, got %q", i, e, a)
		}
	}
	mut, calls = rec.Take()
	if e := []string{"GuardDuty:CreateDetector"}; !reflect.DeepEqual(e, mut) {
		t.Errorf("mutating calls: expect %v, got %v", e, mut)
	}
	noOrganizations(calls)
	if slices.Contains(calls, "GuardDuty:GetMemberDetectors") {
		t.Errorf("member detectors read without a member list: %v", calls)
	}
	ids := detectorIDs(t, sec)
	if len(ids) != 1 || res.Outcomes[0].Actions[0] != (workflow.Action{Call: CallCreateDetector, Target: ids[0]}) {
		t.Fatalf("detectors %v, outcome %+v", ids, res.Outcomes[0])
	}
	// Made in the security account and the region only.
	if other := detectorIDs(t, guardduty.NewFromConfig(awsclient.WithRegion(mgmt, region))); len(other) != 0 {
		t.Errorf("detector in the management account: %v", other)
	}
	if other := detectorIDs(t, guardduty.NewFromConfig(awsclient.WithRegion(srv.AccountConfigT(t, org.Security), "us-east-1"))); len(other) != 0 {
		t.Errorf("detector in us-east-1: %v", other)
	}
	before, err := sec.GetDetector(ctx, &guardduty.GetDetectorInput{DetectorId: aws.String(ids[0])})
	if err != nil {
		t.Fatal(err)
	}
	if before.Status != gdtypes.DetectorStatusEnabled || before.FindingPublishingFrequency != gdtypes.FindingPublishingFrequencyOneHour {
		t.Errorf("detector: status %s, frequency %s", before.Status, before.FindingPublishingFrequency)
	}
	got := map[string]string{}
	for _, f := range before.Features {
		got[string(f.Name)] = string(f.Status)
		for _, a := range f.AdditionalConfiguration {
			got[string(f.Name)+"/"+string(a.Name)] = string(a.Status)
		}
	}
	// The features the configuration enables, alone: CreateDetector names
	// no disabled one (the emulator keeps what the call names).
	want := map[string]string{
		"S3_DATA_EVENTS": "ENABLED", "EKS_AUDIT_LOGS": "ENABLED", "RUNTIME_MONITORING": "ENABLED",
		"RUNTIME_MONITORING/EKS_ADDON_MANAGEMENT": "ENABLED", "RUNTIME_MONITORING/ECS_FARGATE_AGENT_MANAGEMENT": "ENABLED",
		"RUNTIME_MONITORING/EC2_AGENT_MANAGEMENT": "ENABLED",
	}
	if !reflect.DeepEqual(want, got) {
		t.Errorf("detector features:\nexpect %v\ngot    %v", want, got)
	}

	// Re-run: nothing changes.
	res, err = h.Handle(ctx, item(workflow.ModeApply))
	if err != nil {
		t.Fatal(err)
	}
	if e, a := []workflow.Status{workflow.StatusUnchanged, workflow.StatusSkipped, workflow.StatusSkipped, workflow.StatusSkipped}, statuses(res); !reflect.DeepEqual(e, a) || res.Changed {
		t.Errorf("re-run statuses: expect %v, got %v: %+v", e, a, res.Outcomes)
	}
	if mut, _ := rec.Take(); len(mut) != 0 {
		t.Errorf("re-run made calls: %v", mut)
	}
	after, err := sec.GetDetector(ctx, &guardduty.GetDetectorInput{DetectorId: aws.String(ids[0])})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(before.UpdatedAt) != aws.ToString(after.UpdatedAt) || !reflect.DeepEqual(before.Features, after.Features) {
		t.Errorf("re-run changed the detector")
	}

	// Drift: someone lowers the frequency and switches EKS audit logs off;
	// one UpdateDetector puts it back.
	if _, err := sec.UpdateDetector(ctx, &guardduty.UpdateDetectorInput{
		DetectorId: aws.String(ids[0]), FindingPublishingFrequency: gdtypes.FindingPublishingFrequencySixHours,
		Features: []gdtypes.DetectorFeatureConfiguration{{Name: gdtypes.DetectorFeatureS3DataEvents, Status: gdtypes.FeatureStatusEnabled}},
	}); err != nil {
		t.Fatal(err)
	}
	res, err = h.Handle(ctx, item(workflow.ModeApply))
	if err != nil {
		t.Fatal(err)
	}
	if e, a := []string{"GuardDuty:UpdateDetector"}, func() []string { m, _ := rec.Take(); return m }(); !reflect.DeepEqual(e, a) {
		t.Errorf("drift: mutating calls: expect %v, got %v", e, a)
	}
	if o := res.Outcomes[0]; o.Status != workflow.StatusChanged || !strings.Contains(o.Reason, "SIX_HOURS, want ONE_HOUR") {
		t.Errorf("drift outcome: %+v", o)
	}
	fixed, err := sec.GetDetector(ctx, &guardduty.GetDetectorInput{DetectorId: aws.String(ids[0])})
	if err != nil {
		t.Fatal(err)
	}
	if fixed.FindingPublishingFrequency != gdtypes.FindingPublishingFrequencyOneHour || !reflect.DeepEqual(before.Features, fixed.Features) {
		t.Errorf("drift not repaired: %s %+v", fixed.FindingPublishingFrequency, fixed.Features)
	}
}

// TestMotoOrgConfigExportFindingsSkipped runs the step with the findings
// export on: the emulator has no publishing destinations, so that part is
// skipped after the detector is made, before the key is read.
func TestMotoOrgConfigExportFindingsSkipped(t *testing.T) {
	mgmt, org := srv.SeedT(t)
	cfg := motoOrgSettings(t, org)
	cfg.Services.GuardDuty.ExportFindings = true
	rec := &motorig.Recorder{}
	mgmt.APIOptions = append(slices.Clone(mgmt.APIOptions), rec.Option)
	h := NewOrgHandler(cfg, mgmt, awsclient.NewAccounts(mgmt, org.Management, motorig.ExecutionRole, "test"), quiet)
	var accounts []string
	for _, a := range org.Accounts {
		accounts = append(accounts, a.ID)
	}
	res, err := h.Handle(context.Background(), workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}, Region: "eu-west-1", Accounts: accounts})
	if err != nil {
		t.Fatal(err)
	}
	if e, a := []workflow.Status{workflow.StatusChanged, workflow.StatusSkipped, workflow.StatusSkipped, workflow.StatusSkipped, workflow.StatusSkipped}, statuses(res); !reflect.DeepEqual(e, a) {
		t.Fatalf("statuses: expect %v, got %v: %+v", e, a, res.Outcomes)
	}
	if e, a := "ListPublishingDestinations is not available at this endpoint", res.Outcomes[4].Reason; e != a {
		t.Errorf("export outcome: expect reason %q, got %q", e, a)
	}
	mut, all := rec.Take()
	if e := []string{"GuardDuty:CreateDetector"}; !reflect.DeepEqual(e, mut) {
		t.Errorf("mutating calls: expect %v, got %v", e, mut)
	}
	if !slices.Contains(all, "GuardDuty:ListPublishingDestinations") || slices.Contains(all, "KMS:DescribeKey") {
		t.Errorf("calls: %v", all)
	}
}
