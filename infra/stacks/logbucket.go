package stacks

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/orgbaseline/orgbaseline/infra/lintskip"
	"github.com/orgbaseline/orgbaseline/shared/logarchive"
	"github.com/orgbaseline/orgbaseline/shared/policydoc"
	"github.com/orgbaseline/orgbaseline/shared/settings"
)

// LogBucketProps configures a LogBucket.
type LogBucketProps struct {
	// BucketName is the bucket's name. The policy names the bucket by it,
	// as the document's statements do.
	BucketName string
	// Policy is the bucket policy, put in the template as it is.
	Policy policydoc.Document
	// RetentionDays is how long the bucket keeps log files (keepFor).
	RetentionDays int
	// AccessLogs receives the bucket's server access logs under
	// AccessLogPrefix. Without it, the bucket is the access-log bucket
	// itself: the destination of the other log buckets' access logs, which
	// logs nowhere.
	AccessLogs LogBucket
	// AccessLogPrefix begins the keys of the bucket's access logs in
	// AccessLogs.
	AccessLogPrefix string
	// NoDefaultEncryption leaves default encryption out of the template,
	// for a step to set; otherwise it is SSE-S3. The caller records why for
	// the linters.
	NoDefaultEncryption bool
	// ObjectLock, when governance or compliance, is the default retention
	// mode of S3 Object Lock on the bucket, for RetentionDays
	// (settings.LogIntegrity); off or "" leaves Object Lock off. Only a
	// bucket whose writers allow it takes it: S3 delivers no server access
	// logs to a bucket with Object Lock, and AWS Config delivers to none.
	ObjectLock string
}

// LogBucket is a bucket of the log-archive account that receives logs from
// a service, and its policy: retained, private, versioned, ACLs off, kept
// RetentionDays.
//
// A LogBucket is no node of the construct tree: its bucket and policy are
// children of the scope it is given (ids id and id+"Policy"), so that their
// logical IDs, which CloudFormation tells an update from a replacement by,
// do not depend on how the Go code groups them.
type LogBucket interface {
	// Bucket returns the bucket.
	Bucket() awss3.CfnBucket
	// Policy returns the bucket's policy.
	Policy() awss3.CfnBucketPolicy
}

type logBucket struct {
	bucket awss3.CfnBucket
	policy awss3.CfnBucketPolicy
}

func (b *logBucket) Bucket() awss3.CfnBucket       { return b.bucket }
func (b *logBucket) Policy() awss3.CfnBucketPolicy { return b.policy }

// accessLogDestination is why the access-log bucket has no access logging
// of its own.
const accessLogDestination = "This bucket is the destination of the log buckets' server access logs; logging " +
	"its own accesses into itself would log the log deliveries without end, and to a further bucket only move the " +
	"question. Its policy lets only S3 log delivery for the log buckets write, and refuses requests without TLS."

// NewLogBucket creates the bucket id and its policy id+"Policy" in scope.
// A bucket that logs to AccessLogs depends on that bucket's policy: S3
// delivers the access logs only once the destination's policy lets it.
func NewLogBucket(scope constructs.Construct, id string, props *LogBucketProps) LogBucket {
	bucketProps := &awss3.CfnBucketProps{
		BucketName:                     jsii.String(props.BucketName),
		PublicAccessBlockConfiguration: blockAllPublicAccess(),
		VersioningConfiguration:        &awss3.CfnBucket_VersioningConfigurationProperty{Status: jsii.String("Enabled")},
		OwnershipControls:              bucketOwnerEnforced(),
		LifecycleConfiguration:         keepFor(props.RetentionDays),
	}
	if m := props.ObjectLock; m == settings.ObjectLockGovernance || m == settings.ObjectLockCompliance {
		// "AWS::S3::Bucket ObjectLockConfiguration" (CloudFormation): an
		// update with no interruption, so an existing, versioned bucket
		// takes it too ("Enable Object Lock on an existing S3 bucket", S3
		// User Guide); objects already there keep no retention.
		bucketProps.ObjectLockConfiguration = &awss3.CfnBucket_ObjectLockConfigurationProperty{
			ObjectLockEnabled: jsii.String("Enabled"),
			Rule: &awss3.CfnBucket_ObjectLockRuleProperty{DefaultRetention: &awss3.CfnBucket_DefaultRetentionProperty{
				Mode: jsii.String(strings.ToUpper(m)), Days: jsii.Number(props.RetentionDays),
			}},
		}
	}
	if !props.NoDefaultEncryption {
		// SSE-S3. The access-log bucket needs it: S3 server access log
		// delivery supports SSE-S3 destinations only, not SSE-KMS.
		bucketProps.BucketEncryption = sseS3()
	}
	if props.AccessLogs != nil {
		bucketProps.LoggingConfiguration = &awss3.CfnBucket_LoggingConfigurationProperty{
			DestinationBucketName: props.AccessLogs.Bucket().Ref(),
			LogFilePrefix:         jsii.String(props.AccessLogPrefix),
		}
	}
	b := &logBucket{bucket: awss3.NewCfnBucket(scope, jsii.String(id), bucketProps)}
	b.bucket.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN, nil)
	if props.AccessLogs != nil {
		b.bucket.AddResourceDependency(props.AccessLogs.Policy(), jsii.String("S3 delivers the access logs only once the destination's policy lets it"))
	}
	b.policy = newBucketPolicy(scope, id+"Policy", b.bucket, props.BucketName, props.Policy)
	if props.AccessLogs == nil {
		cdknag.NagSuppressions_AddResourceSuppressions(b.bucket, &[]*cdknag.NagPackSuppression{{
			Id:     jsii.String("AwsSolutions-S1"),
			Reason: jsii.String(accessLogDestination),
		}}, nil)
		lintskip.Checkov(b.bucket, lintskip.Check{ID: "CKV_AWS_18", Comment: accessLogDestination})
	}
	return b
}

// newBucketPolicy creates the policy of bucket, named name, with exactly
// the document doc. The policy names the bucket by its name, as the
// document's statements do, and depends on the bucket explicitly: cdk-nag's
// AwsSolutions-S10 matches the TLS-deny statement's resources against the
// policy's Bucket, which a Ref would make the logical ID.
func newBucketPolicy(scope constructs.Construct, id string, bucket awss3.CfnBucket, name string, doc policydoc.Document) awss3.CfnBucketPolicy {
	policy := awss3.NewCfnBucketPolicy(scope, jsii.String(id), &awss3.CfnBucketPolicyProps{
		Bucket:         jsii.String(name),
		PolicyDocument: doc.Map(),
	})
	policy.AddResourceDependency(bucket, jsii.String("the policy is for this bucket"))
	return policy
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

// keepFor keeps log files days in total: current objects expire after days,
// and a version made noncurrent (overwritten or deleted) is kept days more,
// so that nothing is gone before the retention; the expired-object delete
// markers are removed (in a rule of their own, as S3 requires); incomplete
// multipart uploads are aborted after logarchive.AbortIncompleteUploadDays.
func keepFor(days int) *awss3.CfnBucket_LifecycleConfigurationProperty {
	return &awss3.CfnBucket_LifecycleConfigurationProperty{
		Rules: &[]any{
			&awss3.CfnBucket_RuleProperty{
				Id:               jsii.String(logarchive.RetentionRuleID),
				Status:           jsii.String("Enabled"),
				ExpirationInDays: jsii.Number(days),
				NoncurrentVersionExpiration: &awss3.CfnBucket_NoncurrentVersionExpirationProperty{
					NoncurrentDays: jsii.Number(days),
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
