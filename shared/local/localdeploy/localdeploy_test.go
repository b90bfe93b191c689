package localdeploy

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/orgbaseline/orgbaseline/shared/logarchive"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/configsvc"
	"github.com/orgbaseline/orgbaseline/shared/guardduty"
	"github.com/orgbaseline/orgbaseline/shared/local/motorig"
	"github.com/orgbaseline/orgbaseline/shared/local/mototest"
	"github.com/orgbaseline/orgbaseline/shared/orgtrail"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

var srv *mototest.Server

func TestMain(m *testing.M) { mototest.Main(m, func(s *mototest.Server) { srv = s }) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// seeded returns a seeded organization's configuration and clients.
func seeded(t *testing.T) (settings.Config, aws.Config, *awsclient.Accounts) {
	t.Helper()
	mgmt, org := srv.SeedT(t)
	path := t.TempDir() + "/orgbaseline.yaml"
	if err := motorig.WriteConfig(path, org, "eu-west-1", []string{"eu-west-1"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := settings.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, mgmt, awsclient.NewAccounts(mgmt, org.Management, cfg.ExecutionRoleName, "localdeploy-test")
}

func deploy(t *testing.T, cfg settings.Config, mgmt aws.Config, acc *awsclient.Accounts, mode workflow.Mode) workflow.StepResult {
	t.Helper()
	res, err := Deploy(context.Background(), cfg, mgmt, acc, mode, quiet)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func actions(res workflow.StepResult) int {
	n := 0
	for _, o := range res.Outcomes {
		n += len(o.Actions)
	}
	return n
}

func sameDoc(t *testing.T, what, got string, want orgtrail.Document) {
	t.Helper()
	var a, b any
	if err := json.Unmarshal([]byte(got), &a); err != nil {
		t.Fatalf("%s: %v: %s", what, err, got)
	}
	if err := json.Unmarshal([]byte(want.JSON()), &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("%s:\nexpect %s\ngot    %s", what, want.JSON(), got)
	}
}

func TestDeployCreatesWhatTheStacksDeclare(t *testing.T) {
	cfg, mgmt, acc := seeded(t)
	ctx := context.Background()

	plan := deploy(t, cfg, mgmt, acc, workflow.ModePlan)
	if actions(plan) == 0 || plan.Changed {
		t.Fatalf("plan on a fresh organization: %+v", plan)
	}
	la := s3.NewFromConfig(awsclient.WithRegion(acc.Config(cfg.Accounts.LogArchive), cfg.HomeRegion))
	if _, err := la.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(orgtrail.BucketName(cfg))}); err == nil {
		t.Fatal("plan created the bucket")
	}

	res := deploy(t, cfg, mgmt, acc, workflow.ModeApply)
	if !res.Changed {
		t.Fatalf("apply changed nothing: %+v", res)
	}

	// The trail bucket.
	bucket := aws.String(orgtrail.BucketName(cfg))
	pol, err := la.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: bucket})
	if err != nil {
		t.Fatal(err)
	}
	sameDoc(t, "trail bucket policy", aws.ToString(pol.Policy), orgtrail.BucketPolicy(cfg))
	pab, err := la.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: bucket})
	if err != nil || !aws.ToBool(pab.PublicAccessBlockConfiguration.BlockPublicPolicy) || !aws.ToBool(pab.PublicAccessBlockConfiguration.RestrictPublicBuckets) {
		t.Errorf("public access block: %+v %v", pab, err)
	}
	ver, err := la.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: bucket})
	if err != nil || ver.Status != s3types.BucketVersioningStatusEnabled {
		t.Errorf("versioning: %+v %v", ver, err)
	}
	checkLifecycle(t, la, orgtrail.BucketName(cfg), 1095)
	checkLifecycle(t, la, logarchive.AccessLogBucketName(cfg), 1095)
	lg, err := la.GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: bucket})
	if err != nil || lg.LoggingEnabled == nil || aws.ToString(lg.LoggingEnabled.TargetBucket) != logarchive.AccessLogBucketName(cfg) {
		t.Errorf("access logging: %+v %v", lg, err)
	}
	// The access-log bucket.
	apol, err := la.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(logarchive.AccessLogBucketName(cfg))})
	if err != nil {
		t.Fatal(err)
	}
	sameDoc(t, "access-log bucket policy", aws.ToString(apol.Policy), logarchive.AccessLogBucketPolicy(cfg))

	// The key.
	k := kms.NewFromConfig(awsclient.WithRegion(acc.Config(cfg.Accounts.Security), cfg.HomeRegion))
	key, err := k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(orgtrail.KeyAlias)})
	if err != nil {
		t.Fatal(err)
	}
	if e, a := cfg.Accounts.Security, aws.ToString(key.KeyMetadata.AWSAccountId); e != a {
		t.Errorf("key account: expect %s, got %s", e, a)
	}
	kp, err := k.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: key.KeyMetadata.KeyId, PolicyName: aws.String("default")})
	if err != nil {
		t.Fatal(err)
	}
	sameDoc(t, "key policy", aws.ToString(kp.Policy), orgtrail.KeyPolicy(cfg))
	rot, err := k.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: key.KeyMetadata.KeyId})
	if err != nil || !rot.KeyRotationEnabled {
		t.Errorf("rotation: %+v %v", rot, err)
	}

	again := deploy(t, cfg, mgmt, acc, workflow.ModeApply)
	if n := actions(again); n != 0 || again.Changed {
		t.Errorf("a second deploy took %d actions: %+v", n, again.Outcomes)
	}
}

func TestDeployCloudWatchLogsOnThenOff(t *testing.T) {
	cfg, mgmt, acc := seeded(t)
	ctx := context.Background()
	cfg.Services.CloudTrail.CloudWatchLogs.Enabled = true
	deploy(t, cfg, mgmt, acc, workflow.ModeApply)

	m := awsclient.WithRegion(mgmt, cfg.HomeRegion)
	groups, err := cloudwatchlogs.NewFromConfig(m).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(orgtrail.LogGroupName)})
	if err != nil || len(groups.LogGroups) != 1 || aws.ToInt32(groups.LogGroups[0].RetentionInDays) != 365 {
		t.Fatalf("log group: %+v %v", groups, err)
	}
	roles := iam.NewFromConfig(m)
	role, err := roles.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(orgtrail.CloudWatchLogsRoleName)})
	if err != nil {
		t.Fatal(err)
	}
	trust, _ := url.QueryUnescape(aws.ToString(role.Role.AssumeRolePolicyDocument))
	sameDoc(t, "trust policy", trust, orgtrail.CloudWatchLogsTrustPolicy(cfg))
	inline, err := roles.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(orgtrail.CloudWatchLogsRoleName), PolicyName: aws.String("WriteTrailStreams")})
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := url.QueryUnescape(aws.ToString(inline.PolicyDocument))
	sameDoc(t, "role policy", doc, orgtrail.CloudWatchLogsRolePolicy(cfg))
	if n := actions(deploy(t, cfg, mgmt, acc, workflow.ModeApply)); n != 0 {
		t.Errorf("a second deploy with CloudWatch Logs took %d actions", n)
	}

	cfg.Services.CloudTrail.CloudWatchLogs.Enabled = false
	deploy(t, cfg, mgmt, acc, workflow.ModeApply)
	if _, err := roles.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(orgtrail.CloudWatchLogsRoleName)}); err == nil {
		t.Error("the delivery role is still there with cloudWatchLogs off")
	}
}

// Managed from the security account, the log group and the role are the
// security account's, with the same documents; switching back moves the
// role to the management account.
func TestDeployCloudWatchLogsInTheManagingAccount(t *testing.T) {
	cfg, mgmt, acc := seeded(t)
	ctx := context.Background()
	cfg.Services.CloudTrail.CloudWatchLogs.Enabled = true
	cfg.Services.CloudTrail.DelegatedAdmin = true
	cfg.Services.CloudTrail.ManageFrom = settings.ManageFromSecurity
	deploy(t, cfg, mgmt, acc, workflow.ModeApply)

	sec := awsclient.WithRegion(acc.Config(cfg.Accounts.Security), cfg.HomeRegion)
	groups, err := cloudwatchlogs.NewFromConfig(sec).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(orgtrail.LogGroupName)})
	if err != nil || len(groups.LogGroups) != 1 {
		t.Fatalf("log group in the security account: %+v %v", groups, err)
	}
	if e, a := orgtrail.LogGroupARN(cfg), aws.ToString(groups.LogGroups[0].Arn); e != a {
		t.Errorf("log group ARN: expect %s, got %s", e, a)
	}
	secRoles := iam.NewFromConfig(sec)
	role, err := secRoles.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(orgtrail.CloudWatchLogsRoleName)})
	if err != nil {
		t.Fatal(err)
	}
	if e, a := orgtrail.CloudWatchLogsRoleARN(cfg), aws.ToString(role.Role.Arn); e != a {
		t.Errorf("role ARN: expect %s, got %s", e, a)
	}
	inline, err := secRoles.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(orgtrail.CloudWatchLogsRoleName), PolicyName: aws.String("WriteTrailStreams")})
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := url.QueryUnescape(aws.ToString(inline.PolicyDocument))
	sameDoc(t, "role policy", doc, orgtrail.CloudWatchLogsRolePolicy(cfg))

	m := awsclient.WithRegion(mgmt, cfg.HomeRegion)
	mgmtRoles := iam.NewFromConfig(m)
	if _, err := mgmtRoles.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(orgtrail.CloudWatchLogsRoleName)}); err == nil {
		t.Error("the delivery role is also in the management account")
	}
	mg, err := cloudwatchlogs.NewFromConfig(m).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(orgtrail.LogGroupName)})
	if err != nil || len(mg.LogGroups) != 0 {
		t.Errorf("log group in the management account: %+v %v", mg, err)
	}
	if n := actions(deploy(t, cfg, mgmt, acc, workflow.ModeApply)); n != 0 {
		t.Errorf("a second deploy took %d actions", n)
	}

	cfg.Services.CloudTrail.ManageFrom = settings.ManageFromManagement
	deploy(t, cfg, mgmt, acc, workflow.ModeApply)
	if _, err := secRoles.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(orgtrail.CloudWatchLogsRoleName)}); err == nil {
		t.Error("the delivery role is still in the security account, managed from the management account")
	}
	if _, err := mgmtRoles.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(orgtrail.CloudWatchLogsRoleName)}); err != nil {
		t.Errorf("no delivery role in the management account: %v", err)
	}
}

func TestDeploySkippedWithoutCloudTrailAndConfig(t *testing.T) {
	cfg, mgmt, acc := seeded(t)
	off := false
	cfg.Services.CloudTrail.Enabled = &off
	cfg.Services.Config.Enabled = &off
	res := deploy(t, cfg, mgmt, acc, workflow.ModeApply)
	if len(res.Outcomes) != 2 || res.Outcomes[0].Status != workflow.StatusSkipped || res.Outcomes[1].Status != workflow.StatusSkipped {
		t.Errorf("expect two skipped outcomes, got %+v", res.Outcomes)
	}
}

// Config alone: the delivery bucket with configsvc's policy, logging to the
// access-log bucket, whose policy admits the Config bucket's logs only; the
// delivery key with configsvc's policy; the aggregator role with its trust
// policy. moto has no AWS managed policies (not loaded), which the deploy
// reports. A second deploy changes nothing.
func TestDeployConfigResources(t *testing.T) {
	cfg, mgmt, acc := seeded(t)
	ctx := context.Background()
	off := false
	cfg.Services.CloudTrail.Enabled = &off
	res := deploy(t, cfg, mgmt, acc, workflow.ModeApply)
	if actions(res) == 0 {
		t.Fatalf("nothing deployed: %+v", res)
	}
	la := s3.NewFromConfig(awsclient.WithRegion(acc.Config(cfg.Accounts.LogArchive), cfg.HomeRegion))
	for bucket, want := range map[string]string{
		configsvc.BucketName(cfg):           configsvc.BucketPolicy(cfg).JSON(),
		logarchive.AccessLogBucketName(cfg): logarchive.AccessLogBucketPolicy(cfg).JSON(),
	} {
		got, err := la.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatalf("%s: %v", bucket, err)
		}
		if !sameJSON(aws.ToString(got.Policy), want) {
			t.Errorf("%s: policy %s, want %s", bucket, aws.ToString(got.Policy), want)
		}
	}
	if _, ok := logarchive.AccessLogBucketPolicy(cfg).Find("S3ServerAccessLogs"); ok {
		t.Error("the access-log bucket admits the trail bucket's logs with the trail off")
	}
	logging, err := la.GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: aws.String(configsvc.BucketName(cfg))})
	if err != nil {
		t.Fatal(err)
	}
	if l := logging.LoggingEnabled; l == nil || aws.ToString(l.TargetBucket) != logarchive.AccessLogBucketName(cfg) || aws.ToString(l.TargetPrefix) != configsvc.AccessLogPrefix {
		t.Errorf("config bucket logging: %+v", logging.LoggingEnabled)
	}

	sec := awsclient.WithRegion(acc.Config(cfg.Accounts.Security), cfg.HomeRegion)
	k := kms.NewFromConfig(sec)
	key, err := k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(configsvc.KeyAlias)})
	if err != nil {
		t.Fatal(err)
	}
	policy, err := k.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: key.KeyMetadata.KeyId, PolicyName: aws.String("default")})
	if err != nil {
		t.Fatal(err)
	}
	if !sameJSON(aws.ToString(policy.Policy), configsvc.KeyPolicy(cfg).JSON()) {
		t.Errorf("key policy %s", aws.ToString(policy.Policy))
	}
	role, err := iam.NewFromConfig(sec).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(configsvc.AggregatorRoleName)})
	if err != nil {
		t.Fatal(err)
	}
	if !sameJSON(decodeIAM(aws.ToString(role.Role.AssumeRolePolicyDocument)), configsvc.AggregatorTrustPolicy(cfg).JSON()) {
		t.Errorf("trust policy %s", aws.ToString(role.Role.AssumeRolePolicyDocument))
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], configsvc.AggregatorManagedPolicy) {
		t.Errorf("warnings: %q", res.Warnings)
	}
	if n := actions(deploy(t, cfg, mgmt, acc, workflow.ModeApply)); n != 0 {
		t.Errorf("a second deploy took %d actions", n)
	}
}

// checkLifecycle reads bucket's lifecycle rules back and checks they keep
// log files days in total: current objects expire after days, noncurrent
// versions a day after, expired-object delete markers are removed by a rule
// of their own, incomplete uploads are aborted after a week; nothing else.
func checkLifecycle(t *testing.T, api *s3.Client, bucket string, days int32) {
	t.Helper()
	lc, err := api.GetBucketLifecycleConfiguration(context.Background(), &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatalf("%s lifecycle: %v", bucket, err)
	}
	if len(lc.Rules) != 2 {
		t.Fatalf("%s lifecycle: %d rules, want 2: %+v", bucket, len(lc.Rules), lc.Rules)
	}
	byID := map[string]s3types.LifecycleRule{}
	for _, r := range lc.Rules {
		byID[aws.ToString(r.ID)] = r
		if r.Status != s3types.ExpirationStatusEnabled {
			t.Errorf("%s rule %s: status %s", bucket, aws.ToString(r.ID), r.Status)
		}
	}
	ret, ok := byID["orgbaseline-retention"]
	if !ok || ret.Expiration == nil || aws.ToInt32(ret.Expiration.Days) != days || aws.ToBool(ret.Expiration.ExpiredObjectDeleteMarker) ||
		ret.NoncurrentVersionExpiration == nil || aws.ToInt32(ret.NoncurrentVersionExpiration.NoncurrentDays) != days ||
		ret.AbortIncompleteMultipartUpload == nil || aws.ToInt32(ret.AbortIncompleteMultipartUpload.DaysAfterInitiation) != 7 {
		t.Errorf("%s retention rule: %+v", bucket, ret)
	}
	dm, ok := byID["orgbaseline-delete-markers"]
	if !ok || dm.Expiration == nil || !aws.ToBool(dm.Expiration.ExpiredObjectDeleteMarker) || aws.ToInt32(dm.Expiration.Days) != 0 ||
		dm.NoncurrentVersionExpiration != nil || dm.AbortIncompleteMultipartUpload != nil {
		t.Errorf("%s delete-marker rule: %+v", bucket, dm)
	}
	if !sameRules(lc.Rules, lifecycleRules(days)) {
		t.Errorf("%s: the rules read back do not compare equal to the declared ones: %+v", bucket, lc.Rules)
	}
}

// A bucket with the former single rule (noncurrent versions kept as long
// again as current ones) gets the two rules.
func TestDeployReplacesTheFormerLifecycle(t *testing.T) {
	cfg, mgmt, acc := seeded(t)
	ctx := context.Background()
	deploy(t, cfg, mgmt, acc, workflow.ModeApply)
	la := s3.NewFromConfig(awsclient.WithRegion(acc.Config(cfg.Accounts.LogArchive), cfg.HomeRegion))
	bucket := orgtrail.BucketName(cfg)
	if _, err := la.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String(bucket),
		LifecycleConfiguration: &s3types.BucketLifecycleConfiguration{Rules: []s3types.LifecycleRule{{
			ID:                             aws.String("orgbaseline-retention"),
			Status:                         s3types.ExpirationStatusEnabled,
			Filter:                         &s3types.LifecycleRuleFilter{Prefix: aws.String("")},
			Expiration:                     &s3types.LifecycleExpiration{Days: aws.Int32(1095)},
			NoncurrentVersionExpiration:    &s3types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(1095)},
			AbortIncompleteMultipartUpload: &s3types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(7)},
		}}},
	}); err != nil {
		t.Fatal(err)
	}
	res := deploy(t, cfg, mgmt, acc, workflow.ModeApply)
	var calls []string
	for _, o := range res.Outcomes {
		for _, a := range o.Actions {
			calls = append(calls, a.Call+" "+a.Target)
		}
	}
	if e := []string{"s3:PutBucketLifecycleConfiguration " + bucket + " 1095 days"}; !reflect.DeepEqual(e, calls) {
		t.Errorf("actions: expect %v, got %v", e, calls)
	}
	checkLifecycle(t, la, bucket, 1095)
}

func TestSameRules(t *testing.T) {
	want := lifecycleRules(30)
	former := lifecycleRules(30)[0]
	former.NoncurrentVersionExpiration = &s3types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(30)}
	extra := s3types.LifecycleRule{ID: aws.String("someone-elses"), Status: s3types.ExpirationStatusEnabled, Expiration: &s3types.LifecycleExpiration{Days: aws.Int32(1)}}
	tagged := lifecycleRules(30)[1]
	tagged.Filter = &s3types.LifecycleRuleFilter{Tag: &s3types.Tag{Key: aws.String("k"), Value: aws.String("v")}}
	for _, tt := range []struct {
		name string
		got  []s3types.LifecycleRule
		same bool
	}{
		{"the two rules", lifecycleRules(30), true},
		{"in the other order", []s3types.LifecycleRule{want[1], want[0]}, true},
		{"other retention", lifecycleRules(31), false},
		{"the former single rule", []s3types.LifecycleRule{former}, false},
		{"the retention rule only", want[:1], false},
		{"one more rule", append(lifecycleRules(30), extra), false},
		{"a rule twice", []s3types.LifecycleRule{want[0], want[0]}, false},
		{"one rule replaced", []s3types.LifecycleRule{want[0], extra}, false},
		{"filtered by tag", []s3types.LifecycleRule{want[0], tagged}, false},
		{"none", nil, false},
	} {
		if got := sameRules(tt.got, want); got != tt.same {
			t.Errorf("%s: sameRules = %v, want %v", tt.name, got, tt.same)
		}
	}
}

// A key created by a run that stopped before its alias is found by its tag
// and aliased; no second key is created.
func TestDeployResumesAKeyWithoutAlias(t *testing.T) {
	cfg, mgmt, acc := seeded(t)
	off := false
	cfg.Services.Config.Enabled = &off // the trail's key only
	ctx := context.Background()
	k := kms.NewFromConfig(awsclient.WithRegion(acc.Config(cfg.Accounts.Security), cfg.HomeRegion))
	created, err := k.CreateKey(ctx, &kms.CreateKeyInput{
		Policy:      aws.String(orgtrail.KeyPolicy(cfg).JSON()),
		Description: aws.String(orgtrail.TrailKeyDescription),
		Tags:        []kmstypes.Tag{{TagKey: aws.String(KeyAliasTag), TagValue: aws.String(orgtrail.KeyAlias)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// A key of someone else's, untagged, is left alone.
	if _, err := k.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("another key")}); err != nil {
		t.Fatal(err)
	}
	keys := func() []string {
		var ids []string
		pages := kms.NewListKeysPaginator(k, &kms.ListKeysInput{})
		for pages.HasMorePages() {
			p, err := pages.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, key := range p.Keys {
				ids = append(ids, aws.ToString(key.KeyId))
			}
		}
		slices.Sort(ids)
		return ids
	}
	before := keys()

	plan := deploy(t, cfg, mgmt, acc, workflow.ModePlan)
	res := deploy(t, cfg, mgmt, acc, workflow.ModeApply)
	for _, r := range []workflow.StepResult{plan, res} {
		var kmsCalls []string
		for _, o := range r.Outcomes {
			for _, a := range o.Actions {
				if strings.HasPrefix(a.Call, "kms:") {
					kmsCalls = append(kmsCalls, a.Call)
				}
			}
		}
		if e := []string{"kms:CreateAlias", "kms:EnableKeyRotation"}; !reflect.DeepEqual(e, kmsCalls) {
			t.Errorf("%s: KMS actions: expect %v, got %v", r.Mode, e, kmsCalls)
		}
	}
	if after := keys(); !reflect.DeepEqual(before, after) {
		t.Errorf("keys: before %v, after %v", before, after)
	}
	key, err := k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(orgtrail.KeyAlias)})
	if err != nil {
		t.Fatal(err)
	}
	if e, a := aws.ToString(created.KeyMetadata.KeyId), aws.ToString(key.KeyMetadata.KeyId); e != a {
		t.Errorf("alias targets %s, want the tagged key %s", a, e)
	}
	if n := actions(deploy(t, cfg, mgmt, acc, workflow.ModeApply)); n != 0 {
		t.Errorf("a second deploy took %d actions", n)
	}
}

// A fresh deploy tags the key it creates, so that a later run can find it
// before it has its alias.
func TestDeployTagsTheKey(t *testing.T) {
	cfg, mgmt, acc := seeded(t)
	ctx := context.Background()
	deploy(t, cfg, mgmt, acc, workflow.ModeApply)
	k := kms.NewFromConfig(awsclient.WithRegion(acc.Config(cfg.Accounts.Security), cfg.HomeRegion))
	key, err := k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(orgtrail.KeyAlias)})
	if err != nil {
		t.Fatal(err)
	}
	if e, a := orgtrail.TrailKeyDescription, aws.ToString(key.KeyMetadata.Description); e != a {
		t.Errorf("description: expect %q, got %q", e, a)
	}
	tags, err := k.ListResourceTags(ctx, &kms.ListResourceTagsInput{KeyId: key.KeyMetadata.KeyId})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(tags.Tags, func(tg kmstypes.Tag) bool {
		return aws.ToString(tg.TagKey) == KeyAliasTag && aws.ToString(tg.TagValue) == orgtrail.KeyAlias
	}) {
		t.Errorf("tags: %+v", tags.Tags)
	}
}

// With exportFindings: the findings bucket with findingsdest's policy,
// logging to the access-log bucket, whose policy admits its logs; the
// findings key with findingsdest's policy. A second deploy changes nothing.
func TestDeployFindingsExport(t *testing.T) {
	cfg, mgmt, acc := seeded(t)
	ctx := context.Background()
	cfg.Services.GuardDuty.ExportFindings = true
	deploy(t, cfg, mgmt, acc, workflow.ModeApply)
	la := s3.NewFromConfig(awsclient.WithRegion(acc.Config(cfg.Accounts.LogArchive), cfg.HomeRegion))
	for bucket, want := range map[string]string{
		guardduty.BucketName(cfg):           guardduty.BucketPolicy(cfg).JSON(),
		logarchive.AccessLogBucketName(cfg): logarchive.AccessLogBucketPolicy(cfg).JSON(),
	} {
		got, err := la.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatalf("%s: %v", bucket, err)
		}
		if !sameJSON(aws.ToString(got.Policy), want) {
			t.Errorf("%s: policy %s, want %s", bucket, aws.ToString(got.Policy), want)
		}
	}
	if _, ok := logarchive.AccessLogBucketPolicy(cfg).Find("S3ServerAccessLogsGuardDutyBucket"); !ok {
		t.Error("the access-log bucket does not admit the findings bucket's logs")
	}
	k := kms.NewFromConfig(awsclient.WithRegion(acc.Config(cfg.Accounts.Security), cfg.HomeRegion))
	key, err := k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(guardduty.KeyAlias)})
	if err != nil {
		t.Fatal(err)
	}
	policy, err := k.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: key.KeyMetadata.KeyId, PolicyName: aws.String("default")})
	if err != nil {
		t.Fatal(err)
	}
	if !sameJSON(aws.ToString(policy.Policy), guardduty.KeyPolicy(cfg).JSON()) {
		t.Errorf("key policy %s", aws.ToString(policy.Policy))
	}
	if n := actions(deploy(t, cfg, mgmt, acc, workflow.ModeApply)); n != 0 {
		t.Errorf("a second deploy took %d actions", n)
	}
}
