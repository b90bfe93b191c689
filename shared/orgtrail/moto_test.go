package orgtrail

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/local/motorig"
	"github.com/orgbaseline/orgbaseline/shared/local/mototest"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

var srv *mototest.Server

func TestMain(m *testing.M) { mototest.Main(m, func(s *mototest.Server) { srv = s }) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// motoOrg is a seeded organization with what the CDK stacks would have made.
type motoOrg struct {
	org    motorig.Org
	cfg    settings.Config
	deps   Deps
	rec    *motorig.Recorder
	keyARN string
	mgmt   aws.Config
}

func motoConfig(t *testing.T, org motorig.Org, services string) settings.Config {
	t.Helper()
	src := fmt.Sprintf(`
accounts: {management: %q, security: %q, logArchive: %q}
organizationId: %s
homeRegion: us-east-1
regions: [us-east-1, eu-west-1]
%s`, org.Management, org.Security, org.LogArchive, org.ID, services)
	c, err := settings.Load("moto.yaml", strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newMotoOrg seeds the emulator, deploys the stacks' resources the step
// depends on (deployStacks) and returns clients that record their calls.
func newMotoOrg(t *testing.T, services string) *motoOrg {
	t.Helper()
	mgmt, org := srv.SeedT(t)
	cfg := motoConfig(t, org, services)
	keyARN := deployStacks(t, cfg)
	rec := &motorig.Recorder{}
	mgmt.APIOptions = append(slices.Clone(mgmt.APIOptions), rec.Option)
	accounts := awsclient.NewAccounts(mgmt, org.Management, motorig.ExecutionRole, "test")
	return &motoOrg{org: org, cfg: cfg, deps: NewDeps(mgmt, accounts, cfg), rec: rec, keyARN: keyARN, mgmt: mgmt}
}

// deployStacks creates in the emulator what the log-archive and security
// stacks hold for the trail: the bucket with its policy, and the key with
// its policy and alias. It returns the key ARN.
func deployStacks(t *testing.T, cfg settings.Config) string {
	t.Helper()
	ctx := context.Background()
	la := s3.NewFromConfig(awsclient.WithRegion(srv.AccountConfigT(t, cfg.Accounts.LogArchive), cfg.HomeRegion))
	bucket := BucketName(cfg)
	if _, err := la.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if _, err := la.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(BucketPolicy(cfg).JSON())}); err != nil {
		t.Fatal(err)
	}
	sec := kms.NewFromConfig(awsclient.WithRegion(srv.AccountConfigT(t, cfg.Accounts.Security), cfg.HomeRegion))
	key, err := sec.CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(KeyPolicy(cfg).JSON())})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sec.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(KeyAlias), TargetKeyId: key.KeyMetadata.KeyId}); err != nil {
		t.Fatal(err)
	}
	return aws.ToString(key.KeyMetadata.Arn)
}

func (m *motoOrg) run(t *testing.T, mode workflow.Mode) workflow.StepResult {
	t.Helper()
	m.rec.Reset()
	res, err := Run(context.Background(), m.deps, m.cfg, workflow.Item{Input: workflow.Input{Mode: mode}, Accounts: m.accounts()}, quiet)
	if err != nil {
		t.Fatalf("%s: %v", mode, err)
	}
	return res
}

// accounts are the run's accounts as the state machine passes them: every
// account of the seeded organization, the management account first.
func (m *motoOrg) accounts() []string {
	var ids []string
	for _, a := range m.org.Accounts {
		ids = append(ids, a.ID)
	}
	return ids
}

// trail reads the trail back from the emulator, in region.
func (m *motoOrg) trail(t *testing.T, region string) cttypes.Trail {
	t.Helper()
	out, err := cloudtrail.NewFromConfig(awsclient.WithRegion(m.mgmt, region)).DescribeTrails(context.Background(), &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range out.TrailList {
		if aws.ToString(tr.Name) == m.cfg.Services.CloudTrail.TrailName {
			return tr
		}
	}
	t.Fatalf("no trail %s in %s: %+v", m.cfg.Services.CloudTrail.TrailName, region, out.TrailList)
	return cttypes.Trail{}
}

func (m *motoOrg) bucketEncryption(t *testing.T) s3types.ServerSideEncryptionRule {
	t.Helper()
	la := s3.NewFromConfig(awsclient.WithRegion(srv.AccountConfigT(t, m.cfg.Accounts.LogArchive), m.cfg.HomeRegion))
	out, err := la.GetBucketEncryption(context.Background(), &s3.GetBucketEncryptionInput{Bucket: aws.String(BucketName(m.cfg))})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(out.ServerSideEncryptionConfiguration.Rules); n != 1 {
		t.Fatalf("expect one encryption rule, got %d", n)
	}
	return out.ServerSideEncryptionConfiguration.Rules[0]
}

func calls(res workflow.StepResult) []string {
	var out []string
	for _, o := range res.Outcomes {
		for _, a := range o.Actions {
			out = append(out, a.Call)
		}
	}
	return out
}

func assertUnchanged(t *testing.T, m *motoOrg, res workflow.StepResult) {
	t.Helper()
	if mut := m.rec.Mutating(); len(mut) != 0 {
		t.Errorf("re-run made mutating calls: %v", mut)
	}
	if res.Changed {
		t.Error("re-run reports a change")
	}
	if len(res.Outcomes) == 0 {
		t.Error("re-run reports no outcome")
	}
	for _, o := range res.Outcomes {
		if o.Status != workflow.StatusUnchanged || len(o.Actions) != 0 {
			t.Errorf("%s/%s: expect unchanged, got %s %v", o.Account, o.Region, o.Status, o.Actions)
		}
	}
}

func TestMotoCreateThenRerunIsUnchanged(t *testing.T) {
	m := newMotoOrg(t, "services: {cloudtrail: {dataEvents: {s3: true, lambda: true}}}")
	res := m.run(t, workflow.ModeApply)
	if e, a := []string{CallPutBucketEncryption, CallCreateTrail, CallPutEventSelectors, CallStartLogging}, calls(res); !reflect.DeepEqual(e, a) {
		t.Errorf("actions:\nexpect %v\ngot    %v", e, a)
	}
	if e, a := []string{"S3:PutBucketEncryption", "CloudTrail:CreateTrail", "CloudTrail:PutEventSelectors", "CloudTrail:StartLogging"}, m.rec.Mutating(); !reflect.DeepEqual(e, a) {
		t.Errorf("mutating calls:\nexpect %v\ngot    %v", e, a)
	}
	if !res.Changed {
		t.Error("first apply reports no change")
	}
	for _, o := range res.Outcomes {
		want := m.org.Management
		if slices.Contains(calls(workflow.StepResult{Outcomes: []workflow.Outcome{o}}), CallPutBucketEncryption) {
			want = m.org.LogArchive
		}
		if o.Account != want || o.Region != "us-east-1" || o.Service != settings.ServiceCloudTrail || o.Status != workflow.StatusChanged {
			t.Errorf("outcome %+v: expect %s/us-east-1/cloudtrail changed", o, want)
		}
	}

	tr := m.trail(t, "us-east-1")
	if e, a := BucketName(m.cfg), aws.ToString(tr.S3BucketName); e != a {
		t.Errorf("bucket: expect %s, got %s", e, a)
	}
	if e, a := m.keyARN, aws.ToString(tr.KmsKeyId); e != a {
		t.Errorf("key: expect %s, got %s", e, a)
	}
	for flag, v := range map[string]*bool{"IsOrganizationTrail": tr.IsOrganizationTrail, "IsMultiRegionTrail": tr.IsMultiRegionTrail, "IncludeGlobalServiceEvents": tr.IncludeGlobalServiceEvents, "LogFileValidationEnabled": tr.LogFileValidationEnabled} {
		if !aws.ToBool(v) {
			t.Errorf("%s is not set", flag)
		}
	}
	if g, r := aws.ToString(tr.CloudWatchLogsLogGroupArn), aws.ToString(tr.CloudWatchLogsRoleArn); g != "" || r != "" {
		t.Errorf("CloudWatch Logs is off but the trail has %q %q", g, r)
	}
	ct := cloudtrail.NewFromConfig(m.mgmt)
	st, err := ct.GetTrailStatus(context.Background(), &cloudtrail.GetTrailStatusInput{Name: tr.Name})
	if err != nil {
		t.Fatal(err)
	}
	if !aws.ToBool(st.IsLogging) {
		t.Error("the trail is not logging")
	}
	sel, err := ct.GetEventSelectors(context.Background(), &cloudtrail.GetEventSelectorsInput{TrailName: tr.Name})
	if err != nil {
		t.Fatal(err)
	}
	if e, a := []string{"eventCategory =Data; resources.type =AWS::Lambda::Function", "eventCategory =Data; resources.type =AWS::S3::Object", "eventCategory =Management"}, selectorKeys(sel.AdvancedEventSelectors); !reflect.DeepEqual(e, a) {
		t.Errorf("event selectors:\nexpect %v\ngot    %v", e, a)
	}
	rule := m.bucketEncryption(t)
	if d := rule.ApplyServerSideEncryptionByDefault; d.SSEAlgorithm != s3types.ServerSideEncryptionAwsKms || aws.ToString(d.KMSMasterKeyID) != m.keyARN || !aws.ToBool(rule.BucketKeyEnabled) {
		t.Errorf("bucket encryption: expect aws:kms %s with bucket key, got %s %s %v", m.keyARN, d.SSEAlgorithm, aws.ToString(d.KMSMasterKeyID), aws.ToBool(rule.BucketKeyEnabled))
	}

	assertUnchanged(t, m, m.run(t, workflow.ModeApply))
}

func TestMotoPlanOnFreshOrgChangesNothing(t *testing.T) {
	m := newMotoOrg(t, "")
	res := m.run(t, workflow.ModePlan)
	if mut := m.rec.Mutating(); len(mut) != 0 {
		t.Errorf("plan made mutating calls: %v", mut)
	}
	if res.Changed {
		t.Error("plan reports a change")
	}
	if e, a := []string{CallPutBucketEncryption, CallCreateTrail, CallPutEventSelectors, CallStartLogging}, calls(res); !reflect.DeepEqual(e, a) {
		t.Errorf("planned actions:\nexpect %v\ngot    %v", e, a)
	}
	for _, o := range res.Outcomes {
		if o.Status != workflow.StatusPlanned {
			t.Errorf("%s: expect planned, got %s", o.Account, o.Status)
		}
	}
	out, err := cloudtrail.NewFromConfig(m.mgmt).DescribeTrails(context.Background(), &cloudtrail.DescribeTrailsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.TrailList) != 0 {
		t.Errorf("plan created trails: %+v", out.TrailList)
	}
	if !slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.Contains(w, "management account's own activity") }) ||
		!slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.Contains(w, "CloudTrail Lake") }) {
		t.Errorf("plan lacks the preflight warnings: %v", res.Warnings)
	}
}

func TestMotoCloudWatchLogsOnThenOff(t *testing.T) {
	m := newMotoOrg(t, "services: {cloudtrail: {cloudWatchLogs: {enabled: true}}}")
	m.run(t, workflow.ModeApply)
	tr := m.trail(t, "us-east-1")
	if e, a := LogGroupARN(m.cfg), aws.ToString(tr.CloudWatchLogsLogGroupArn); e != a {
		t.Errorf("log group: expect %s, got %s", e, a)
	}
	if e, a := CloudWatchLogsRoleARN(m.cfg), aws.ToString(tr.CloudWatchLogsRoleArn); e != a {
		t.Errorf("role: expect %s, got %s", e, a)
	}
	assertUnchanged(t, m, m.run(t, workflow.ModeApply))

	m.cfg = motoConfig(t, m.org, "")
	res := m.run(t, workflow.ModeApply)
	if e, a := []string{"CloudTrail:UpdateTrail"}, m.rec.Mutating(); !reflect.DeepEqual(e, a) {
		t.Errorf("switching CloudWatch Logs off: expect %v, got %v", e, a)
	}
	if a := res.Outcomes[len(res.Outcomes)-1].Actions; len(a) != 1 || a[0].Target != m.cfg.Services.CloudTrail.TrailName+": CloudWatchLogsLogGroupArn, CloudWatchLogsRoleArn" {
		t.Errorf("expect one UpdateTrail naming the CloudWatch Logs fields, got %v", a)
	}
	tr = m.trail(t, "us-east-1")
	if g, r := aws.ToString(tr.CloudWatchLogsLogGroupArn), aws.ToString(tr.CloudWatchLogsRoleArn); g != "" || r != "" {
		t.Errorf("CloudWatch Logs fields not emptied: %q %q", g, r)
	}
	assertUnchanged(t, m, m.run(t, workflow.ModeApply))
}

func TestMotoExistingTrailConvergesWithOneUpdate(t *testing.T) {
	m := newMotoOrg(t, "")
	_, err := cloudtrail.NewFromConfig(m.mgmt).CreateTrail(context.Background(), &cloudtrail.CreateTrailInput{
		Name: aws.String(m.cfg.Services.CloudTrail.TrailName), S3BucketName: aws.String(BucketName(m.cfg)),
		IsMultiRegionTrail: aws.Bool(false), EnableLogFileValidation: aws.Bool(false),
	})
	if err != nil {
		t.Fatal(err)
	}
	res := m.run(t, workflow.ModeApply)
	var updates []string
	for _, c := range m.rec.Mutating() {
		if c == "CloudTrail:UpdateTrail" {
			updates = append(updates, c)
		}
	}
	if len(updates) != 1 || slices.Contains(m.rec.Mutating(), "CloudTrail:CreateTrail") {
		t.Errorf("expect one UpdateTrail and no CreateTrail, got %v", m.rec.Mutating())
	}
	want := m.cfg.Services.CloudTrail.TrailName + ": IsOrganizationTrail, IsMultiRegionTrail, EnableLogFileValidation, KmsKeyId"
	if !strings.Contains(fmt.Sprint(res.Outcomes), want) {
		t.Errorf("UpdateTrail target does not list the differing fields %q: %+v", want, res.Outcomes)
	}
	tr := m.trail(t, "us-east-1")
	if !aws.ToBool(tr.IsOrganizationTrail) || !aws.ToBool(tr.IsMultiRegionTrail) || !aws.ToBool(tr.LogFileValidationEnabled) || aws.ToString(tr.KmsKeyId) != m.keyARN {
		t.Errorf("trail not converged: %+v", tr)
	}
	assertUnchanged(t, m, m.run(t, workflow.ModeApply))
}

func TestMotoRollbackEncryption(t *testing.T) {
	m := newMotoOrg(t, "")
	m.run(t, workflow.ModeApply)

	m.rec.Reset()
	plan, err := RollbackEncryption(context.Background(), m.deps, m.cfg, true)
	if err != nil {
		t.Fatal(err)
	}
	if mut := m.rec.Mutating(); len(mut) != 0 {
		t.Errorf("rollback plan made mutating calls: %v", mut)
	}
	if e, a := []string{CallUpdateTrail, CallPutBucketEncryption}, calls(plan); !reflect.DeepEqual(e, a) {
		t.Errorf("planned rollback: expect %v, got %v", e, a)
	}

	m.rec.Reset()
	res, err := RollbackEncryption(context.Background(), m.deps, m.cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	if e, a := []string{"CloudTrail:UpdateTrail", "S3:PutBucketEncryption"}, m.rec.Mutating(); !reflect.DeepEqual(e, a) {
		t.Errorf("rollback calls: expect %v, got %v", e, a)
	}
	var regions []string
	for _, o := range res.Outcomes {
		if o.Status == workflow.StatusFailed {
			t.Errorf("%s: %s", o.Region, o.Reason)
		}
		if o.Account == m.org.Management {
			regions = append(regions, o.Region)
		}
	}
	if e, a := []string{"us-east-1", "eu-west-1"}, regions; !reflect.DeepEqual(e, a) {
		t.Errorf("verified regions: expect %v, got %v", e, a)
	}
	if k := aws.ToString(m.trail(t, "eu-west-1").KmsKeyId); k != "" {
		t.Errorf("trail still has key %s", k)
	}
	if d := m.bucketEncryption(t).ApplyServerSideEncryptionByDefault; d.SSEAlgorithm != s3types.ServerSideEncryptionAes256 {
		t.Errorf("bucket encryption: expect AES256, got %s", d.SSEAlgorithm)
	}
	if !slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.Contains(w, m.keyARN) && strings.Contains(w, "kms:Decrypt") }) {
		t.Errorf("no warning that the key %s is kept: %v", m.keyARN, res.Warnings)
	}
	if _, err := kms.NewFromConfig(srv.AccountConfigT(t, m.org.Security)).DescribeKey(context.Background(), &kms.DescribeKeyInput{KeyId: aws.String(m.keyARN)}); err != nil {
		t.Errorf("the key is gone: %v", err)
	}

	m.rec.Reset()
	again, err := RollbackEncryption(context.Background(), m.deps, m.cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	assertUnchanged(t, m, again)
}

func TestMotoRollbackCloudWatchLogs(t *testing.T) {
	m := newMotoOrg(t, "services: {cloudtrail: {cloudWatchLogs: {enabled: true}}}")
	m.run(t, workflow.ModeApply)

	m.rec.Reset()
	res, err := RollbackCloudWatchLogs(context.Background(), m.deps, m.cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	if e, a := []string{"CloudTrail:UpdateTrail"}, m.rec.Mutating(); !reflect.DeepEqual(e, a) {
		t.Errorf("rollback calls: expect %v, got %v", e, a)
	}
	if e, a := []string{CallUpdateTrail}, calls(res); !reflect.DeepEqual(e, a) {
		t.Errorf("rollback actions: expect %v, got %v", e, a)
	}
	tr := m.trail(t, "us-east-1")
	if g, r := aws.ToString(tr.CloudWatchLogsLogGroupArn), aws.ToString(tr.CloudWatchLogsRoleArn); g != "" || r != "" {
		t.Errorf("CloudWatch Logs fields not emptied: %q %q", g, r)
	}
	if aws.ToString(tr.KmsKeyId) != m.keyARN {
		t.Errorf("the rollback touched the key: %q", aws.ToString(tr.KmsKeyId))
	}
	if !slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.Contains(w, LogGroupName) && strings.Contains(w, "redeploy") }) {
		t.Errorf("no warning that the log group stays: %v", res.Warnings)
	}

	m.rec.Reset()
	again, err := RollbackCloudWatchLogs(context.Background(), m.deps, m.cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	assertUnchanged(t, m, again)
}

func TestMotoMemberTrailIsNamed(t *testing.T) {
	m := newMotoOrg(t, "")
	w := m.org.Workloads[0]
	wcfg := srv.AccountConfigT(t, w)
	la := s3.NewFromConfig(wcfg)
	if _, err := la.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("own-trail-" + w)}); err != nil {
		t.Fatal(err)
	}
	if _, err := cloudtrail.NewFromConfig(wcfg).CreateTrail(context.Background(), &cloudtrail.CreateTrailInput{Name: aws.String("own-trail"), S3BucketName: aws.String("own-trail-" + w)}); err != nil {
		t.Fatal(err)
	}
	res := m.run(t, workflow.ModePlan)
	var hits []string
	for _, s := range res.Warnings {
		if strings.Contains(s, "own-trail") {
			hits = append(hits, s)
		}
	}
	if len(hits) != 1 || !strings.Contains(hits[0], w) {
		t.Errorf("expect one warning naming account %s and own-trail, got %v", w, res.Warnings)
	}
}

func TestMotoKMSEncryptionOffThenOn(t *testing.T) {
	m := newMotoOrg(t, "services: {cloudtrail: {kmsEncryption: false}}")
	m.run(t, workflow.ModeApply)
	if k := aws.ToString(m.trail(t, "us-east-1").KmsKeyId); k != "" {
		t.Errorf("kmsEncryption off: the trail has key %s", k)
	}
	if e, a := s3types.ServerSideEncryptionAes256, m.bucketEncryption(t).ApplyServerSideEncryptionByDefault.SSEAlgorithm; e != a {
		t.Errorf("kmsEncryption off: bucket encryption expect %s, got %s", e, a)
	}
	assertUnchanged(t, m, m.run(t, workflow.ModeApply))

	m.cfg = motoConfig(t, m.org, "")
	m.run(t, workflow.ModeApply)
	if e, a := []string{"S3:PutBucketEncryption", "CloudTrail:UpdateTrail"}, m.rec.Mutating(); !reflect.DeepEqual(e, a) {
		t.Errorf("switching SSE-KMS on: expect %v, got %v", e, a)
	}
	if e, a := m.keyARN, aws.ToString(m.trail(t, "us-east-1").KmsKeyId); e != a {
		t.Errorf("trail key: expect %s, got %s", e, a)
	}
	if e, a := m.keyARN, aws.ToString(m.bucketEncryption(t).ApplyServerSideEncryptionByDefault.KMSMasterKeyID); e != a {
		t.Errorf("bucket key: expect %s, got %s", e, a)
	}
	assertUnchanged(t, m, m.run(t, workflow.ModeApply))
}
