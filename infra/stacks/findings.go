package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/orgbaseline/orgbaseline/shared/findingsdest"
	"github.com/orgbaseline/orgbaseline/shared/orgtrail"
	"github.com/orgbaseline/orgbaseline/shared/settings"
)

// The export of GuardDuty findings (services.guardduty.exportFindings): the
// findings bucket in the log-archive account and the findings key in the
// security account. The guardduty-org step points each region's detector at
// them. The documents are findingsdest's.

// Outputs of the findings export.
const (
	// FindingsBucketOutput is the log-archive stack output with the name of
	// the findings bucket.
	FindingsBucketOutput = "GuardDutyFindingsBucketName"
	// FindingsKeyArnOutput is the security stack output with the ARN of the
	// findings key.
	FindingsKeyArnOutput = "GuardDutyFindingsKeyArn"
)

// newFindingsBucket creates, in the log-archive stack, the findings bucket
// and its policy, logging to accessLogs. GuardDuty encrypts each object with
// the findings key (the bucket policy refuses anything else); the bucket's
// default encryption is SSE-S3 for anything else its owner writes. Findings
// are kept as long as the access logs (orgtrail.AccessLogRetentionDays: the
// trail's retention, or without the trail Config's).
func newFindingsBucket(stack awscdk.Stack, c settings.Config, accessLogs awss3.CfnBucket, accessLogPolicy awss3.CfnBucketPolicy) {
	bucket := awss3.NewCfnBucket(stack, jsii.String("GuardDutyFindingsBucket"), &awss3.CfnBucketProps{
		BucketName:                     jsii.String(findingsdest.BucketName(c)),
		PublicAccessBlockConfiguration: blockAllPublicAccess(),
		VersioningConfiguration:        &awss3.CfnBucket_VersioningConfigurationProperty{Status: jsii.String("Enabled")},
		OwnershipControls:              bucketOwnerEnforced(),
		BucketEncryption:               sseS3(),
		LifecycleConfiguration:         keepFor(orgtrail.AccessLogRetentionDays(c)),
		LoggingConfiguration: &awss3.CfnBucket_LoggingConfigurationProperty{
			DestinationBucketName: accessLogs.Ref(),
			LogFilePrefix:         jsii.String(findingsdest.AccessLogPrefix),
		},
	})
	bucket.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN, nil)
	bucket.AddResourceDependency(accessLogPolicy, jsii.String("S3 delivers the access logs only once the destination's policy lets it"))
	newBucketPolicy(stack, "GuardDutyFindingsBucketPolicy", bucket, findingsdest.BucketName(c), findingsdest.BucketPolicy(c))
	awscdk.NewCfnOutput(stack, jsii.String(FindingsBucketOutput), &awscdk.CfnOutputProps{
		Key:         jsii.String(FindingsBucketOutput),
		Description: jsii.String("Name of the bucket GuardDuty exports findings to"),
		Value:       bucket.Ref(),
	})
}

// newFindingsKey creates, in the security stack, the findings key and its
// alias, and outputs the key's ARN.
func newFindingsKey(stack awscdk.Stack, c settings.Config) {
	key := awskms.NewCfnKey(stack, jsii.String("GuardDutyFindingsKey"), &awskms.CfnKeyProps{
		Description:       jsii.String(findingsdest.KeyDescription),
		EnableKeyRotation: jsii.Bool(true),
		KeyPolicy:         findingsdest.KeyPolicy(c).Map(),
	})
	key.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN, nil)
	awskms.NewCfnAlias(stack, jsii.String("GuardDutyFindingsKeyAlias"), &awskms.CfnAliasProps{
		AliasName:   jsii.String(findingsdest.KeyAlias),
		TargetKeyId: key.Ref(),
	})
	awscdk.NewCfnOutput(stack, jsii.String(FindingsKeyArnOutput), &awscdk.CfnOutputProps{
		Key:         jsii.String(FindingsKeyArnOutput),
		Description: jsii.String("ARN of the key GuardDuty encrypts exported findings with"),
		Value:       key.AttrArn(),
	})
}
