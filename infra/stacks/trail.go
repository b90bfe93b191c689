package stacks

import (
	"fmt"

	"github.com/orgbaseline/orgbaseline/shared/logarchive"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/orgbaseline/orgbaseline/infra/lintskip"
	"github.com/orgbaseline/orgbaseline/shared/orgtrail"
	"github.com/orgbaseline/orgbaseline/shared/settings"
)

// The organization trail's resources, when the cloudtrail service is on.
// The trail itself is created by the org-trail step; the stacks hold what it
// writes to: the bucket and its access-log bucket in the log-archive
// account, the key in the security account and, with cloudWatchLogs, the
// log group and the delivery role in the account the trail is managed from
// (orgtrail.ManagingAccount): the management account, or with manageFrom
// security the security account, whose principal passes the role to
// CloudTrail (iam:PassRole works within an account only).
//
// Every policy document is orgtrail's, put in the template as it is: the
// resources are L1 (Cfn) resources (LogBucket, AliasedKey), which render the
// document they are given and add no statement of their own. The L2 Bucket,
// given an access-log bucket, adds a statement for S3 log delivery to that
// bucket's policy (or creates the policy), and the L2 Key adds an
// administrator statement of its own.

// Outputs of the trail's stacks.
const (
	// TrailBucketOutput is the log-archive stack output with the name of
	// the trail bucket.
	TrailBucketOutput = "TrailBucketName"
	// AccessLogBucketOutput is the log-archive stack output with the name
	// of the trail bucket's access-log bucket.
	AccessLogBucketOutput = "TrailAccessLogBucketName"
	// TrailKeyArnOutput is the security stack output with the ARN of the
	// trail's key.
	TrailKeyArnOutput = "TrailKeyArn"
)

// LogGroupKeyDescription is the description of the log group's key in the
// security account.
const LogGroupKeyDescription = "orgbaseline: encrypts the organization trail's CloudWatch Logs log group"

// trailEnabled reports whether the stacks hold the trail's resources.
func trailEnabled(c settings.Config) bool { return c.Enabled(settings.ServiceCloudTrail) }

// cloudWatchLogsEnabled reports whether the trail also delivers to
// CloudWatch Logs.
func cloudWatchLogsEnabled(c settings.Config) bool {
	return trailEnabled(c) && c.Services.CloudTrail.CloudWatchLogs.Enabled
}

// logDeliveryIn reports whether the stack of account holds the trail's log
// group and delivery role: with cloudWatchLogs on, in the managing account.
func logDeliveryIn(c settings.Config, account string) bool {
	return cloudWatchLogsEnabled(c) && orgtrail.ManagingAccount(c) == account
}

// newAccessLogBucket creates, in the log-archive stack, the bucket that
// receives the server access logs of the trail bucket and of the Config
// delivery bucket, with its policy, and outputs its name.
func newAccessLogBucket(stack awscdk.Stack, c settings.Config) LogBucket {
	accessLogs := NewLogBucket(stack, "TrailAccessLogBucket", &LogBucketProps{
		BucketName:    logarchive.AccessLogBucketName(c),
		Policy:        logarchive.AccessLogBucketPolicy(c),
		RetentionDays: logarchive.AccessLogRetentionDays(c),
	})
	newOutput(stack, AccessLogBucketOutput, "Name of the bucket with the log buckets' server access logs", accessLogs.Bucket().Ref())
	return accessLogs
}

// newTrailBuckets creates, in the log-archive stack, the trail bucket and
// its policy, logging to accessLogs, and outputs the bucket's name.
func newTrailBuckets(stack awscdk.Stack, c settings.Config, accessLogs LogBucket) {
	// Default encryption is left out of the template on purpose. The log
	// files are encrypted with the trail's key in the security account,
	// whose ARN (a random key ID in another account) is unknown at synth
	// time, and S3 needs a fully qualified key ARN for a key of another
	// account (an alias would resolve in the requester's account). The
	// org-trail step sets SSE-KMS with the key's ARN (PutBucketEncryption)
	// and its rollback sets SSE-S3 again; with the property absent,
	// CloudFormation never reverts what the step set. Until the step runs,
	// S3 encrypts new objects with SSE-S3, its default.
	trail := NewLogBucket(stack, "TrailBucket", &LogBucketProps{
		BucketName:          orgtrail.BucketName(c),
		Policy:              orgtrail.BucketPolicy(c),
		RetentionDays:       c.Services.CloudTrail.RetentionDays,
		AccessLogs:          accessLogs,
		AccessLogPrefix:     orgtrail.AccessLogPrefix,
		NoDefaultEncryption: true,
		// CloudTrail writes to a bucket with Object Lock; S3 applies the
		// default retention to each log file.
		ObjectLock: c.LogIntegrity.ObjectLock,
	})
	const encryptedByStep = "The bucket's default encryption is SSE-KMS with the organization trail's key in the " +
		"security account, set by the org-trail step (PutBucketEncryption) with the key's full ARN, which is unknown " +
		"at synth time: S3 needs a fully qualified key ARN for a key of another account. The template leaves the " +
		"property out so that CloudFormation never reverts the step; until the step runs, S3 encrypts with SSE-S3 by default."
	lintskip.Checkov(trail.Bucket(), lintskip.Check{ID: "CKV_AWS_19", Comment: encryptedByStep})

	newOutput(stack, TrailBucketOutput, "Name of the organization trail's bucket", trail.Bucket().Ref())
}

// newOutput outputs value under key.
func newOutput(stack awscdk.Stack, key, description string, value *string) {
	awscdk.NewCfnOutput(stack, jsii.String(key), &awscdk.CfnOutputProps{
		Key:         jsii.String(key),
		Description: jsii.String(description),
		Value:       value,
	})
}

// newTrailKey creates, in the security stack, the trail's key and its alias,
// and outputs the key's ARN.
func newTrailKey(stack awscdk.Stack, c settings.Config) {
	key := NewAliasedKey(stack, "TrailKey", &AliasedKeyProps{
		Description: orgtrail.TrailKeyDescription,
		Alias:       orgtrail.KeyAlias,
		Policy:      orgtrail.KeyPolicy(c),
	})
	if c.Services.CloudTrail.OrganizationRead {
		lintskip.Checkov(key.Key(), lintskip.Check{ID: "CKV_AWS_33", Comment: "organizationRead is on: the " +
			"OrganizationDecryptsLogFiles statement allows kms:Decrypt to principal * only under the conditions " +
			"aws:PrincipalOrgID = " + c.OrganizationID + " and a CloudTrail encryption context, that is to principals " +
			"of this organization and for the trail's log files only."})
	}
	newOutput(stack, TrailKeyArnOutput, "ARN of the organization trail's key", key.KeyArn())
}

// newLogGroupKey creates, in the security stack, the key of the trail's log
// group and its alias, with the policy orgtrail.LogGroupKeyPolicy. The
// trail's key is not used: its policy (orgtrail.KeyPolicy) lets CloudTrail
// encrypt log files and nothing else, and stays so.
func newLogGroupKey(stack awscdk.Stack, c settings.Config) AliasedKey {
	return NewAliasedKey(stack, "TrailLogGroupKey", &AliasedKeyProps{
		Description: LogGroupKeyDescription,
		Alias:       orgtrail.LogGroupKeyAlias,
		Policy:      orgtrail.LogGroupKeyPolicy(c),
	})
}

// newTrailLogDelivery creates, in the managing account's stack, the log
// group the trail also delivers to, encrypted with the key keyArn, and the
// role CloudTrail assumes to write to it.
//
// In the management stack the key is the baseline's: its policy lets
// CloudWatch Logs of this account and region use it for any log group of the
// account, this one included. In the security stack it is the log group's
// own key (newLogGroupKey).
func newTrailLogDelivery(stack awscdk.Stack, c settings.Config, keyArn *string) {
	group := awslogs.NewCfnLogGroup(stack, jsii.String("TrailLogGroup"), &awslogs.CfnLogGroupProps{
		LogGroupName:    jsii.String(orgtrail.LogGroupName),
		RetentionInDays: jsii.Number(c.Services.CloudTrail.CloudWatchLogs.RetentionDays),
		KmsKeyId:        keyArn,
	})
	group.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN, nil)

	role := awsiam.NewCfnRole(stack, jsii.String("TrailLogDeliveryRole"), &awsiam.CfnRoleProps{
		RoleName:                 jsii.String(orgtrail.CloudWatchLogsRoleName),
		Description:              jsii.String("orgbaseline: CloudTrail delivers the organization trail to the " + orgtrail.LogGroupName + " log group"),
		AssumeRolePolicyDocument: orgtrail.CloudWatchLogsTrustPolicy(c).Map(),
		Policies: &[]any{&awsiam.CfnRole_PolicyProperty{
			PolicyName:     jsii.String("WriteTrailLogStreams"),
			PolicyDocument: orgtrail.CloudWatchLogsRolePolicy(c).Map(),
		}},
	})
	role.AddResourceDependency(group, jsii.String("CloudTrail delivers through the role only once the log group exists"))

	var streams []any
	for _, s := range orgtrail.CloudWatchLogsRolePolicy(c).Statement {
		res, _ := s.Resource.([]string)
		for _, r := range res {
			streams = append(streams, "Resource::"+r)
		}
	}
	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String(fmt.Sprintf("CloudTrail names the log streams of an organization trail itself, "+
			"<management account>_CloudTrail_<region> with a suffix and <organization ID>_<account>_CloudTrail_<region> "+
			"for each member account; the wildcards stand for those parts only, within the %s log group.",
			orgtrail.LogGroupName)),
		AppliesTo: &streams,
	}}, nil)
}
