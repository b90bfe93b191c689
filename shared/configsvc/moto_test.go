package configsvc

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cfgtypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/local/motorig"
	"github.com/orgbaseline/orgbaseline/shared/local/mototest"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

var srv *mototest.Server

func TestMain(m *testing.M) { mototest.Main(m, func(s *mototest.Server) { srv = s }) }

func motoSettings(t *testing.T, org motorig.Org, extra string) settings.Config {
	t.Helper()
	c, err := settings.Load("moto.yaml", strings.NewReader(fmt.Sprintf(`
accounts: {management: %q, security: %q, logArchive: %q}
organizationId: %s
homeRegion: us-east-1
regions: [us-east-1, eu-west-1]
`, org.Management, org.Security, org.LogArchive, org.ID)+extra))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// recorded returns the management account's configuration with rec
// recording its calls, and the accounts reached through it.
func recorded(mgmt aws.Config, org motorig.Org, rec *motorig.Recorder) *awsclient.Accounts {
	mgmt.APIOptions = append(slices.Clone(mgmt.APIOptions), rec.Option)
	return awsclient.NewAccounts(mgmt, org.Management, motorig.ExecutionRole, "test")
}

func TestMotoAggregator(t *testing.T) {
	mgmt, org := srv.SeedT(t)
	cfg := motoSettings(t, org, "")
	rec := &motorig.Recorder{}
	h := NewAggregatorHandler(cfg, recorded(mgmt, org, rec), quiet)
	ctx := context.Background()
	sec := configservice.NewFromConfig(srv.AccountConfigT(t, org.Security))
	aggregators := func(api *configservice.Client) []cfgtypes.ConfigurationAggregator {
		t.Helper()
		out, err := api.DescribeConfigurationAggregators(ctx, &configservice.DescribeConfigurationAggregatorsInput{})
		if err != nil {
			t.Fatal(err)
		}
		return out.ConfigurationAggregators
	}

	res, err := h.Handle(ctx, workflow.Input{Mode: workflow.ModePlan})
	if err != nil {
		t.Fatal(err)
	}
	if e, a := []workflow.Status{workflow.StatusPlanned}, statuses(res); !reflect.DeepEqual(e, a) {
		t.Fatalf("plan: expect %v, got %v: %+v", e, a, res.Outcomes)
	}
	if mut, _ := rec.Take(); len(mut) != 0 {
		t.Errorf("plan made calls: %v", mut)
	}
	if a := aggregators(sec); len(a) != 0 {
		t.Fatalf("plan made an aggregator: %+v", a)
	}

	res, err = h.Handle(ctx, workflow.Input{Mode: workflow.ModeApply})
	if err != nil {
		t.Fatal(err)
	}
	if o := res.Outcomes[0]; o.Status != workflow.StatusChanged || o.Account != org.Security || o.Region != "us-east-1" {
		t.Fatalf("apply: %+v", o)
	}
	if mut, _ := rec.Take(); !reflect.DeepEqual([]string{"Config Service:PutConfigurationAggregator"}, mut) {
		t.Errorf("mutating calls: %v", mut)
	}
	got := aggregators(sec)
	if len(got) != 1 {
		t.Fatalf("aggregators in the security account: %+v", got)
	}
	src := got[0].OrganizationAggregationSource
	if aws.ToString(got[0].ConfigurationAggregatorName) != settings.DefaultAggregatorName || src == nil ||
		aws.ToString(src.RoleArn) != "arn:aws:iam::"+org.Security+":role/orgbaseline-config-aggregator" || !src.AllAwsRegions {
		t.Errorf("aggregator: %+v, source %+v", got[0], src)
	}
	// Made in the security account's home region only.
	if a := aggregators(configservice.NewFromConfig(mgmt)); len(a) != 0 {
		t.Errorf("aggregator in the management account: %+v", a)
	}
	if a := aggregators(configservice.NewFromConfig(awsclient.WithRegion(srv.AccountConfigT(t, org.Security), "eu-west-1"))); len(a) != 0 {
		t.Errorf("aggregator in eu-west-1: %+v", a)
	}

	// Re-run: nothing to do.
	res, err = h.Handle(ctx, workflow.Input{Mode: workflow.ModeApply})
	if err != nil {
		t.Fatal(err)
	}
	if o := res.Outcomes[0]; o.Status != workflow.StatusUnchanged || res.Changed {
		t.Errorf("re-run: %+v", o)
	}
	if mut, all := rec.Take(); len(mut) != 0 || !slices.Contains(all, "Config Service:DescribeConfigurationAggregators") {
		t.Errorf("re-run calls: mutating %v, all %v", mut, all)
	}
}

func TestMotoConformancePack(t *testing.T) {
	mgmt, org := srv.SeedT(t)
	ctx := context.Background()
	secCfg := srv.AccountConfigT(t, org.Security)
	// The template, in a bucket of the security account in the pack's
	// region: the configuration names it with {region}.
	const bucket, key = "orgbaseline-templates-us-east-1", "packs/ops.yaml"
	s3c := s3.NewFromConfig(secCfg)
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(template)}); err != nil {
		t.Fatal(err)
	}
	workload := org.Workloads[0]
	// No rules: the emulator has no organization config rules (the fakes
	// cover that part).
	cfg := motoSettings(t, org, fmt.Sprintf(`
services:
  config:
    rules: []
    conformancePacks:
      - name: orgbaseline-ops
        templateS3Uri: "s3://orgbaseline-templates-{region}/%s"
        deliveryBucket: awsconfigconforms-orgbaseline-results
        inputParameters: {MaxAgeDays: "90"}
        excludedAccounts: [%q]
`, key, workload))
	rec := &motorig.Recorder{}
	h := NewRulesHandler(cfg, recorded(mgmt, org, rec), quiet)
	item := func(mode workflow.Mode) workflow.Item {
		return workflow.Item{Input: workflow.Input{Mode: mode}, Region: "us-east-1"}
	}
	sec := configservice.NewFromConfig(secCfg)

	res, err := h.Handle(ctx, item(workflow.ModePlan))
	if err != nil {
		t.Fatal(err)
	}
	if e, a := []workflow.Status{workflow.StatusPlanned}, statuses(res); !reflect.DeepEqual(e, a) {
		t.Fatalf("plan: expect %v, got %v: %+v", e, a, res.Outcomes)
	}
	if mut, _ := rec.Take(); len(mut) != 0 {
		t.Errorf("plan made calls: %v", mut)
	}

	res, err = h.Handle(ctx, item(workflow.ModeApply))
	if err != nil {
		t.Fatal(err)
	}
	want := workflow.Outcome{
		Account: org.Security, Region: "us-east-1", Service: "config", Status: workflow.StatusChanged,
		Reason:  fmt.Sprintf("conformance pack orgbaseline-ops: missing: create it from s3://%s/%s; deployed to the members (CREATE_SUCCESSFUL)", bucket, key),
		Actions: []workflow.Action{{Call: CallPutOrganizationConformancePack, Target: "orgbaseline-ops"}},
	}
	if len(res.Outcomes) != 1 || !reflect.DeepEqual(want, res.Outcomes[0]) || res.Pending {
		t.Fatalf("apply:\nexpect %+v\ngot    %+v (pending %v)", want, res.Outcomes, res.Pending)
	}
	mut, all := rec.Take()
	if !reflect.DeepEqual([]string{"Config Service:PutOrganizationConformancePack"}, mut) {
		t.Errorf("mutating calls: %v", mut)
	}
	if !slices.Contains(all, "Config Service:DescribeOrganizationConformancePackStatuses") {
		t.Errorf("status not read: %v", all)
	}
	packs, err := sec.DescribeOrganizationConformancePacks(ctx, &configservice.DescribeOrganizationConformancePacksInput{
		OrganizationConformancePackNames: []string{"orgbaseline-ops"},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := packs.OrganizationConformancePacks[0]
	if aws.ToString(p.DeliveryS3Bucket) != "awsconfigconforms-orgbaseline-results" || !reflect.DeepEqual([]string{workload}, p.ExcludedAccounts) ||
		len(p.ConformancePackInputParameters) != 1 || aws.ToString(p.ConformancePackInputParameters[0].ParameterValue) != "90" {
		t.Errorf("pack: %+v", p)
	}

	// Re-run: nothing to do.
	res, err = h.Handle(ctx, item(workflow.ModeApply))
	if err != nil {
		t.Fatal(err)
	}
	if o := res.Outcomes[0]; o.Status != workflow.StatusUnchanged || res.Changed || res.Pending {
		t.Errorf("re-run: %+v", res.Outcomes)
	}
	if mut, _ := rec.Take(); len(mut) != 0 {
		t.Errorf("re-run made calls: %v", mut)
	}

	// Drift: someone changes a parameter; one put sets it back.
	if _, err := sec.PutOrganizationConformancePack(ctx, &configservice.PutOrganizationConformancePackInput{
		OrganizationConformancePackName: aws.String("orgbaseline-ops"), TemplateS3Uri: aws.String("s3://" + bucket + "/" + key),
		ConformancePackInputParameters: []cfgtypes.ConformancePackInputParameter{{ParameterName: aws.String("MaxAgeDays"), ParameterValue: aws.String("365")}},
		ExcludedAccounts:               []string{workload}, DeliveryS3Bucket: aws.String("awsconfigconforms-orgbaseline-results"),
	}); err != nil {
		t.Fatal(err)
	}
	res, err = h.Handle(ctx, item(workflow.ModeApply))
	if err != nil {
		t.Fatal(err)
	}
	if o := res.Outcomes[0]; o.Status != workflow.StatusChanged || !strings.Contains(o.Reason, "input parameters MaxAgeDays=365, want MaxAgeDays=90") ||
		!strings.HasSuffix(o.Reason, "(UPDATE_SUCCESSFUL)") {
		t.Errorf("drift: %+v", o)
	}
	if mut, _ := rec.Take(); !reflect.DeepEqual([]string{"Config Service:PutOrganizationConformancePack"}, mut) {
		t.Errorf("drift calls: %v", mut)
	}
}

func motoCtx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

func recorderMotoSettings(t *testing.T, org motorig.Org) settings.Config {
	t.Helper()
	c, err := settings.Load("moto.yaml", strings.NewReader(fmt.Sprintf(`
accounts: {management: %q, security: %q, logArchive: %q}
organizationId: %s
homeRegion: us-east-1
regions: [us-east-1, eu-west-1]
`, org.Management, org.Security, org.LogArchive, org.ID)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// deployStacks creates in the emulator what the security and log-archive
// stacks hold for Config: the delivery key with its policy and alias, and
// the delivery bucket with its policy. It returns the key's ARN.
func deployStacks(t *testing.T, cfg settings.Config) string {
	t.Helper()
	ctx := motoCtx(t)
	sec := kms.NewFromConfig(awsclient.WithRegion(srv.AccountConfigT(t, cfg.Accounts.Security), cfg.HomeRegion))
	key, err := sec.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String(KeyDescription), Policy: aws.String(KeyPolicy(cfg).JSON())})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sec.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(KeyAlias), TargetKeyId: key.KeyMetadata.KeyId}); err != nil {
		t.Fatal(err)
	}
	la := s3.NewFromConfig(awsclient.WithRegion(srv.AccountConfigT(t, cfg.Accounts.LogArchive), cfg.HomeRegion))
	bucket := BucketName(cfg)
	if _, err := la.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if _, err := la.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(BucketPolicy(cfg).JSON())}); err != nil {
		t.Fatal(err)
	}
	return aws.ToString(key.KeyMetadata.Arn)
}

// configState is Config in one account and region, read back from the
// emulator.
type configState struct {
	recorders []cfgtypes.ConfigurationRecorder
	channels  []cfgtypes.DeliveryChannel
	recording map[string]bool
}

func readConfig(t *testing.T, c aws.Config, region string) configState {
	t.Helper()
	ctx := motoCtx(t)
	api := configservice.NewFromConfig(awsclient.WithRegion(c, region))
	recs, err := api.DescribeConfigurationRecorders(ctx, &configservice.DescribeConfigurationRecordersInput{})
	if err != nil {
		t.Fatal(err)
	}
	chs, err := api.DescribeDeliveryChannels(ctx, &configservice.DescribeDeliveryChannelsInput{})
	if err != nil {
		t.Fatal(err)
	}
	st := configState{recorders: recs.ConfigurationRecorders, channels: chs.DeliveryChannels, recording: map[string]bool{}}
	if len(st.recorders) > 0 {
		status, err := api.DescribeConfigurationRecorderStatus(ctx, &configservice.DescribeConfigurationRecorderStatusInput{})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range status.ConfigurationRecordersStatus {
			st.recording[aws.ToString(s.Name)] = s.Recording
		}
	}
	return st
}

// configCalls keeps the calls made to AWS Config.
func configCalls(calls []string) []string {
	var out []string
	for _, c := range calls {
		if strings.HasPrefix(c, configservice.ServiceID+":") {
			out = append(out, c)
		}
	}
	return out
}

func TestMotoRecordersInTwoRegions(t *testing.T) {
	mgmt, org := srv.SeedT(t)
	cfg := recorderMotoSettings(t, org)
	keyARN := deployStacks(t, cfg)
	rec := &motorig.Recorder{}
	mgmt.APIOptions = append(slices.Clone(mgmt.APIOptions), rec.Option)
	h := NewHandler(cfg, awsclient.NewAccounts(mgmt, org.Management, motorig.ExecutionRole, "test"), quiet)
	member := org.Workloads[0]
	memberCfg := srv.AccountConfigT(t, member)
	regions := []string{"us-east-1", "eu-west-1"}
	// take returns the calls since the last take, counting the key's
	// reads.
	keyReads := 0
	take := func() (mutating, all []string) {
		mutating, all = rec.Take()
		for _, c := range all {
			if c == "KMS:DescribeKey" {
				keyReads++
			}
		}
		return mutating, all
	}
	handle := func(mode workflow.Mode, account, region string) workflow.StepResult {
		t.Helper()
		res, err := h.Handle(motoCtx(t), workflow.Item{Input: workflow.Input{Mode: mode}, Account: account, Region: region})
		if err != nil {
			t.Fatalf("%s %s/%s: %v", mode, account, region, err)
		}
		if len(res.Outcomes) != 1 {
			t.Fatalf("%s %s/%s: outcomes %+v", mode, account, region, res.Outcomes)
		}
		return res
	}
	all := []workflow.Action{
		{Call: CallCreateServiceLinkedRole, Target: Principal},
		{Call: CallPutConfigurationRecorder, Target: settings.DefaultRecorderName},
		{Call: CallPutDeliveryChannel, Target: settings.DefaultDeliveryChannelName},
		{Call: CallStartConfigurationRecorder, Target: settings.DefaultRecorderName},
	}

	// Plan: everything planned, nothing made.
	res := handle(workflow.ModePlan, member, "eu-west-1")
	if o := res.Outcomes[0]; o.Status != workflow.StatusPlanned || !reflect.DeepEqual(all, o.Actions) {
		t.Errorf("plan: %+v", o)
	}
	if mut, _ := take(); len(mut) != 0 {
		t.Errorf("plan made calls: %v", mut)
	}
	if st := readConfig(t, memberCfg, "eu-west-1"); len(st.recorders) != 0 || len(st.channels) != 0 {
		t.Fatalf("plan made a recorder or channel: %+v", st)
	}

	// Apply in both regions. The home region goes first and makes the
	// service-linked role; the second region finds it taken.
	for i, region := range regions {
		res := handle(workflow.ModeApply, member, region)
		want := all
		if i > 0 {
			want = all[1:]
		}
		if o := res.Outcomes[0]; o.Status != workflow.StatusChanged || !reflect.DeepEqual(want, o.Actions) || !res.Changed {
			t.Errorf("apply %s: expect actions %v, got %+v", region, want, o)
		}
		mut, _ := take()
		if e, a := []string{"Config Service:PutConfigurationRecorder", "Config Service:PutDeliveryChannel", "Config Service:StartConfigurationRecorder"}, configCalls(mut); !reflect.DeepEqual(e, a) {
			t.Errorf("apply %s: mutating Config calls: expect %v, got %v", region, e, a)
		}
	}

	for _, region := range regions {
		st := readConfig(t, memberCfg, region)
		if len(st.recorders) != 1 || len(st.channels) != 1 {
			t.Fatalf("%s: recorders %+v, channels %+v", region, st.recorders, st.channels)
		}
		r, ch := st.recorders[0], st.channels[0]
		if aws.ToString(r.Name) != settings.DefaultRecorderName || aws.ToString(r.RoleARN) != ServiceLinkedRoleARN(member) {
			t.Errorf("%s: recorder %s with role %s", region, aws.ToString(r.Name), aws.ToString(r.RoleARN))
		}
		if g := r.RecordingGroup; g == nil || !g.AllSupported || g.IncludeGlobalResourceTypes != (region == cfg.HomeRegion) {
			t.Errorf("%s: recording group %+v", region, g)
		}
		// moto keeps no recording mode: the recorder reads back without
		// one, which Config takes as CONTINUOUS.
		t.Logf("%s: recording mode as the emulator returns it: %+v", region, r.RecordingMode)
		if !st.recording[settings.DefaultRecorderName] {
			t.Errorf("%s: not recording: %v", region, st.recording)
		}
		if aws.ToString(ch.Name) != settings.DefaultDeliveryChannelName || aws.ToString(ch.S3BucketName) != BucketName(cfg) ||
			aws.ToString(ch.S3KmsKeyArn) != keyARN || aws.ToString(ch.S3KeyPrefix) != "" ||
			ch.ConfigSnapshotDeliveryProperties == nil || ch.ConfigSnapshotDeliveryProperties.DeliveryFrequency != cfgtypes.MaximumExecutionFrequencyTwentyFourHours {
			t.Errorf("%s: channel %+v", region, ch)
		}
	}
	// The service-linked role is in the member account.
	roles, err := iam.NewFromConfig(memberCfg).ListRoles(motoCtx(t), &iam.ListRolesInput{PathPrefix: aws.String("/aws-service-role/" + Principal + "/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(roles.Roles) != 1 {
		t.Errorf("service-linked roles of Config in the member account: %+v", roles.Roles)
	} else {
		t.Logf("the emulator names the service-linked role %s", aws.ToString(roles.Roles[0].RoleName))
	}
	// Nothing was made in the management account.
	if st := readConfig(t, mgmt, cfg.HomeRegion); len(st.recorders) != 0 || len(st.channels) != 0 {
		t.Errorf("recorder or channel in the management account: %+v", st)
	}

	// Re-run: no mutating call at all, nothing changed (scripts/motoserver.py
	// corrects moto's spelling of the service-linked role's name, so GetRole
	// finds the role the first run made).
	for _, region := range regions {
		res := handle(workflow.ModeApply, member, region)
		if o := res.Outcomes[0]; o.Status != workflow.StatusUnchanged || len(o.Actions) != 0 || res.Changed {
			t.Errorf("re-run %s: %+v", region, res)
		}
		mut, all := take()
		if c := configCalls(mut); len(c) != 0 {
			t.Errorf("re-run %s: mutating Config calls %v", region, c)
		}
		for _, c := range mut {
			t.Errorf("re-run %s: mutating call %s", region, c)
		}
		if !slices.Contains(all, "Config Service:DescribeConfigurationRecorderStatus") || !slices.Contains(all, "IAM:GetRole") {
			t.Errorf("re-run %s did not read everything: %v", region, all)
		}
	}
	if keyReads != 1 {
		t.Errorf("the key was read %d times; want once for the handler's life", keyReads)
	}
}

// TestMotoManagementAndControlTower runs the step in the management account
// (the Lambda's own credentials) and in a member account whose recorder is
// Control Tower's.
func TestMotoManagementAndControlTower(t *testing.T) {
	mgmt, org := srv.SeedT(t)
	cfg := recorderMotoSettings(t, org)
	deployStacks(t, cfg)
	rec := &motorig.Recorder{}
	mgmt.APIOptions = append(slices.Clone(mgmt.APIOptions), rec.Option)
	h := NewHandler(cfg, awsclient.NewAccounts(mgmt, org.Management, motorig.ExecutionRole, "test"), quiet)

	// The management account: no role assumed.
	res, err := h.Handle(motoCtx(t), workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}, Account: org.Management, Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	if o := res.Outcomes[0]; o.Status != workflow.StatusChanged || len(o.Actions) != 4 {
		t.Errorf("management account: %+v", o)
	}
	// The one role assumed is the security account's, for the key.
	if _, all := rec.Take(); slices.Index(all, "STS:AssumeRole") != slices.Index(all, "KMS:DescribeKey")+1 || countOf(all, "STS:AssumeRole") != 1 {
		t.Errorf("a role was assumed for the management account: %v", all)
	}
	if st := readConfig(t, mgmt, "eu-west-1"); len(st.recorders) != 1 || aws.ToString(st.recorders[0].RoleARN) != ServiceLinkedRoleARN(org.Management) || !st.recording["default"] {
		t.Errorf("management account: %+v", st)
	}

	// A member account with Control Tower's recorder, stopped, without a
	// channel.
	member := org.Workloads[1]
	memberCfg := srv.AccountConfigT(t, member)
	ctRecorder := cfgtypes.ConfigurationRecorder{
		Name: aws.String(ctName), RoleARN: aws.String("arn:aws:iam::" + member + ":role/aws-controltower-ConfigRecorderRole"),
		RecordingGroup: &cfgtypes.RecordingGroup{ResourceTypes: []cfgtypes.ResourceType{cfgtypes.ResourceTypeBucket}},
	}
	if _, err := configservice.NewFromConfig(awsclient.WithRegion(memberCfg, "eu-west-1")).PutConfigurationRecorder(motoCtx(t), &configservice.PutConfigurationRecorderInput{ConfigurationRecorder: &ctRecorder}); err != nil {
		t.Fatal(err)
	}
	before := readConfig(t, memberCfg, "eu-west-1")
	res, err = h.Handle(motoCtx(t), workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}, Account: member, Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	want := []workflow.Action{{Call: CallPutDeliveryChannel, Target: "default"}, {Call: CallStartConfigurationRecorder, Target: ctName}}
	if o := res.Outcomes[0]; o.Status != workflow.StatusChanged || !reflect.DeepEqual(want, o.Actions) || len(res.Warnings) != 1 {
		t.Errorf("Control Tower: %+v, warnings %v", o, res.Warnings)
	}
	after := readConfig(t, memberCfg, "eu-west-1")
	if !reflect.DeepEqual(before.recorders, after.recorders) {
		t.Errorf("Control Tower's recorder changed:\n%+v\n%+v", before.recorders, after.recorders)
	}
	if len(after.channels) != 1 || !after.recording[ctName] {
		t.Errorf("Control Tower's recorder: channels %+v, recording %v", after.channels, after.recording)
	}
}

func countOf(calls []string, call string) int {
	n := 0
	for _, c := range calls {
		if c == call {
			n++
		}
	}
	return n
}
