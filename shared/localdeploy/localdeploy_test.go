package localdeploy

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/url"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/motorig"
	"github.com/orgbaseline/orgbaseline/shared/orgtrail"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

var srv *motorig.Server

func TestMain(m *testing.M) { motorig.Main(m, func(s *motorig.Server) { srv = s }) }

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
	lc, err := la.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: bucket})
	if err != nil || len(lc.Rules) != 1 || aws.ToInt32(lc.Rules[0].Expiration.Days) != 1095 {
		t.Errorf("lifecycle: %+v %v", lc, err)
	}
	lg, err := la.GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: bucket})
	if err != nil || lg.LoggingEnabled == nil || aws.ToString(lg.LoggingEnabled.TargetBucket) != orgtrail.AccessLogBucketName(cfg) {
		t.Errorf("access logging: %+v %v", lg, err)
	}
	// The access-log bucket.
	apol, err := la.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(orgtrail.AccessLogBucketName(cfg))})
	if err != nil {
		t.Fatal(err)
	}
	sameDoc(t, "access-log bucket policy", aws.ToString(apol.Policy), orgtrail.AccessLogBucketPolicy(cfg))

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

func TestDeploySkippedWithoutCloudTrail(t *testing.T) {
	cfg, mgmt, acc := seeded(t)
	off := false
	cfg.Services.CloudTrail.Enabled = &off
	res := deploy(t, cfg, mgmt, acc, workflow.ModeApply)
	if len(res.Outcomes) != 1 || res.Outcomes[0].Status != workflow.StatusSkipped {
		t.Errorf("expect one skipped outcome, got %+v", res.Outcomes)
	}
}
