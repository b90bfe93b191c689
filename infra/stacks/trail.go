package stacks

import (
	"fmt"

	"github.com/orgbaseline/orgbaseline/shared/logarchive"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/orgbaseline/orgbaseline/infra/lintskip"
	"github.com/orgbaseline/orgbaseline/shared/orgtrail"
	"github.com/orgbaseline/orgbaseline/shared/policydoc"
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
// resources are L1 (Cfn) resources, which render the document they are given
// and add no statement of their own. The L2 Bucket, given an access-log
// bucket, adds a statement for S3 log delivery to that bucket's policy (or
// creates the policy), and the L2 Key adds an administrator statement of
// its own.

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

func blockAllPublicAccess() *awss3.CfnBucket_PublicAccessBlockConfigurationProperty {
	return &awss3.CfnBucket_PublicAccessBlockConfigurationProperty{
		BlockPublicAcls:       jsii.Bool(true),
		BlockPublicPolicy:     jsii.Bool(true),
		IgnorePublicAcls:      jsii.Bool(true),
		RestrictPublicBuckets: jsii.Bool(true),
	}
}

// bucketOwnerEnforced turns ACLs off: the bucket owner owns every object.
func bucketOwnerEnforced() *awss3.CfnBucket_OwnershipControlsProperty {
	return &awss3.CfnBucket_OwnershipControlsProperty{
		Rules: &[]any{&awss3.CfnBucket_OwnershipControlsRuleProperty{ObjectOwnership: jsii.String("BucketOwnerEnforced")}},
	}
}

// keepFor keeps log files days in total: current objects expire after days,
// the versions they leave noncurrent are removed
// logarchive.NoncurrentVersionDays later, and so are the expired-object delete
// markers (in a rule of their own, as S3 requires); incomplete multipart
// uploads are aborted after logarchive.AbortIncompleteUploadDays.
func keepFor(days int) *awss3.CfnBucket_LifecycleConfigurationProperty {
	return &awss3.CfnBucket_LifecycleConfigurationProperty{
		Rules: &[]any{
			&awss3.CfnBucket_RuleProperty{
				Id:               jsii.String(logarchive.RetentionRuleID),
				Status:           jsii.String("Enabled"),
				ExpirationInDays: jsii.Number(days),
				NoncurrentVersionExpiration: &awss3.CfnBucket_NoncurrentVersionExpirationProperty{
					NoncurrentDays: jsii.Number(logarchive.NoncurrentVersionDays),
				},
				AbortIncompleteMultipartUpload: &awss3.CfnBucket_AbortIncompleteMultipartUploadProperty{
					DaysAfterInitiation: jsii.Number(logarchive.AbortIncompleteUploadDays),
				},
			},
			&awss3.CfnBucket_RuleProperty{
				Id:                        jsii.String(logarchive.DeleteMarkerRuleID),
				Status:                    jsii.String("Enabled"),
				ExpiredObjectDeleteMarker: jsii.Bool(true),
			},
		},
	}
}

// newAccessLogBucket creates, in the log-archive stack, the bucket that
// receives the server access logs of the trail bucket and of the Config
// delivery bucket, with its policy, and outputs its name.
func newAccessLogBucket(stack awscdk.Stack, c settings.Config) (awss3.CfnBucket, awss3.CfnBucketPolicy) {
	accessLogs := awss3.NewCfnBucket(stack, jsii.String("TrailAccessLogBucket"), &awss3.CfnBucketProps{
		BucketName:                     jsii.String(logarchive.AccessLogBucketName(c)),
		PublicAccessBlockConfiguration: blockAllPublicAccess(),
		VersioningConfiguration:        &awss3.CfnBucket_VersioningConfigurationProperty{Status: jsii.String("Enabled")},
		OwnershipControls:              bucketOwnerEnforced(),
		// S3 server access log delivery supports SSE-S3 destinations only,
		// not SSE-KMS.
		BucketEncryption:       sseS3(),
		LifecycleConfiguration: keepFor(logarchive.AccessLogRetentionDays(c)),
	})
	accessLogs.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN, nil)
	accessLogPolicy := newBucketPolicy(stack, "TrailAccessLogBucketPolicy", accessLogs, logarchive.AccessLogBucketName(c), logarchive.AccessLogBucketPolicy(c))
	const accessLogDestination = "This bucket is the destination of the log buckets' server access logs; logging " +
		"its own accesses into itself would log the log deliveries without end, and to a further bucket only move the " +
		"question. Its policy lets only S3 log delivery for the log buckets write, and refuses requests without TLS."
	cdknag.NagSuppressions_AddResourceSuppressions(accessLogs, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-S1"),
		Reason: jsii.String(accessLogDestination),
	}}, nil)
	lintskip.Checkov(accessLogs, lintskip.Check{ID: "CKV_AWS_18", Comment: accessLogDestination})
	newOutput(stack, AccessLogBucketOutput, "Name of the bucket with the log buckets' server access logs", accessLogs.Ref())
	return accessLogs, accessLogPolicy
}

// sseS3 is SSE-S3 default encryption.
func sseS3() *awss3.CfnBucket_BucketEncryptionProperty {
	return &awss3.CfnBucket_BucketEncryptionProperty{
		ServerSideEncryptionConfiguration: &[]any{&awss3.CfnBucket_ServerSideEncryptionRuleProperty{
			ServerSideEncryptionByDefault: &awss3.CfnBucket_ServerSideEncryptionByDefaultProperty{
				SseAlgorithm: jsii.String("AES256"),
			},
		}},
	}
}

// newTrailBuckets creates, in the log-archive stack, the trail bucket and
// its policy, logging to accessLogs, and outputs the bucket's name.
func newTrailBuckets(stack awscdk.Stack, c settings.Config, accessLogs awss3.CfnBucket, accessLogPolicy awss3.CfnBucketPolicy) {
	days := c.Services.CloudTrail.RetentionDays

	// Default encryption is left out of the template on purpose. The log
	// files are encrypted with the trail's key in the security account,
	// whose ARN (a random key ID in another account) is unknown at synth
	// time, and S3 needs a fully qualified key ARN for a key of another
	// account (an alias would resolve in the requester's account). The
	// org-trail step sets SSE-KMS with the key's ARN (PutBucketEncryption)
	// and its rollback sets SSE-S3 again; with the property absent,
	// CloudFormation never reverts what the step set. Until the step runs,
	// S3 encrypts new objects with SSE-S3, its default.
	trail := awss3.NewCfnBucket(stack, jsii.String("TrailBucket"), &awss3.CfnBucketProps{
		BucketName:                     jsii.String(orgtrail.BucketName(c)),
		PublicAccessBlockConfiguration: blockAllPublicAccess(),
		VersioningConfiguration:        &awss3.CfnBucket_VersioningConfigurationProperty{Status: jsii.String("Enabled")},
		OwnershipControls:              bucketOwnerEnforced(),
		LifecycleConfiguration:         keepFor(days),
		LoggingConfiguration: &awss3.CfnBucket_LoggingConfigurationProperty{
			DestinationBucketName: accessLogs.Ref(),
			LogFilePrefix:         jsii.String(orgtrail.AccessLogPrefix),
		},
	})
	trail.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN, nil)
	trail.AddResourceDependency(accessLogPolicy, jsii.String("S3 delivers the access logs only once the destination's policy lets it"))
	const encryptedByStep = "The bucket's default encryption is SSE-KMS with the organization trail's key in the " +
		"security account, set by the org-trail step (PutBucketEncryption) with the key's full ARN, which is unknown " +
		"at synth time: S3 needs a fully qualified key ARN for a key of another account. The template leaves the " +
		"property out so that CloudFormation never reverts the step; until the step runs, S3 encrypts with SSE-S3 by default."
	lintskip.Checkov(trail, lintskip.Check{ID: "CKV_AWS_19", Comment: encryptedByStep})

	newBucketPolicy(stack, "TrailBucketPolicy", trail, orgtrail.BucketName(c), orgtrail.BucketPolicy(c))

	newOutput(stack, TrailBucketOutput, "Name of the organization trail's bucket", trail.Ref())
}

// newAliasedKey creates a retained key with rotation on, the policy doc and
// the alias alias (logical IDs id and id+"Alias").
func newAliasedKey(stack awscdk.Stack, id, description, alias string, doc policydoc.Document) awskms.CfnKey {
	key := awskms.NewCfnKey(stack, jsii.String(id), &awskms.CfnKeyProps{
		Description:       jsii.String(description),
		EnableKeyRotation: jsii.Bool(true),
		KeyPolicy:         doc.Map(),
	})
	key.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN, nil)
	awskms.NewCfnAlias(stack, jsii.String(id+"Alias"), &awskms.CfnAliasProps{
		AliasName:   jsii.String(alias),
		TargetKeyId: key.Ref(),
	})
	return key
}

// newOutput outputs value under key.
func newOutput(stack awscdk.Stack, key, description string, value *string) {
	awscdk.NewCfnOutput(stack, jsii.String(key), &awscdk.CfnOutputProps{
		Key:         jsii.String(key),
		Description: jsii.String(description),
		Value:       value,
	})
}

// newLogBucket creates, in the log-archive stack, a retained bucket that
// receives logs from a service (the Config and findings buckets): private,
// versioned, ACLs off, SSE-S3 by default, kept days, its server access logs
// in accessLogs under prefix; and its policy doc (logical ID id+"Policy").
func newLogBucket(stack awscdk.Stack, id, name string, doc policydoc.Document, days int, prefix string, accessLogs awss3.CfnBucket, accessLogPolicy awss3.CfnBucketPolicy) awss3.CfnBucket {
	bucket := awss3.NewCfnBucket(stack, jsii.String(id), &awss3.CfnBucketProps{
		BucketName:                     jsii.String(name),
		PublicAccessBlockConfiguration: blockAllPublicAccess(),
		VersioningConfiguration:        &awss3.CfnBucket_VersioningConfigurationProperty{Status: jsii.String("Enabled")},
		OwnershipControls:              bucketOwnerEnforced(),
		BucketEncryption:               sseS3(),
		LifecycleConfiguration:         keepFor(days),
		LoggingConfiguration: &awss3.CfnBucket_LoggingConfigurationProperty{
			DestinationBucketName: accessLogs.Ref(),
			LogFilePrefix:         jsii.String(prefix),
		},
	})
	bucket.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN, nil)
	bucket.AddResourceDependency(accessLogPolicy, jsii.String("S3 delivers the access logs only once the destination's policy lets it"))
	newBucketPolicy(stack, id+"Policy", bucket, name, doc)
	return bucket
}

// newBucketPolicy creates the policy of bucket, named name, with exactly
// the document doc. The policy names the bucket by its name, as the
// document's statements do, and depends on the bucket explicitly: cdk-nag's
// AwsSolutions-S10 matches the TLS-deny statement's resources against the
// policy's Bucket, which a Ref would make the logical ID.
func newBucketPolicy(stack awscdk.Stack, id string, bucket awss3.CfnBucket, name string, doc orgtrail.Document) awss3.CfnBucketPolicy {
	policy := awss3.NewCfnBucketPolicy(stack, jsii.String(id), &awss3.CfnBucketPolicyProps{
		Bucket:         jsii.String(name),
		PolicyDocument: doc.Map(),
	})
	policy.AddResourceDependency(bucket, jsii.String("the policy is for this bucket"))
	return policy
}

// newTrailKey creates, in the security stack, the trail's key and its alias,
// and outputs the key's ARN.
func newTrailKey(stack awscdk.Stack, c settings.Config) {
	key := newAliasedKey(stack, "TrailKey", orgtrail.TrailKeyDescription, orgtrail.KeyAlias, orgtrail.KeyPolicy(c))
	if c.Services.CloudTrail.OrganizationRead {
		lintskip.Checkov(key, lintskip.Check{ID: "CKV_AWS_33", Comment: "organizationRead is on: the " +
			"OrganizationDecryptsLogFiles statement allows kms:Decrypt to principal * only under the conditions " +
			"aws:PrincipalOrgID = " + c.OrganizationID + " and a CloudTrail encryption context, that is to principals " +
			"of this organization and for the trail's log files only."})
	}
	newOutput(stack, TrailKeyArnOutput, "ARN of the organization trail's key", key.AttrArn())
}

// newLogGroupKey creates, in the security stack, the key of the trail's log
// group and its alias, with the policy orgtrail.LogGroupKeyPolicy. The
// trail's key is not used: its policy (orgtrail.KeyPolicy) lets CloudTrail
// encrypt log files and nothing else, and stays so.
func newLogGroupKey(stack awscdk.Stack, c settings.Config) awskms.CfnKey {
	return newAliasedKey(stack, "TrailLogGroupKey", LogGroupKeyDescription, orgtrail.LogGroupKeyAlias, orgtrail.LogGroupKeyPolicy(c))
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
