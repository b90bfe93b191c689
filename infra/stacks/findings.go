package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/orgbaseline/orgbaseline/shared/logarchive"

	"github.com/orgbaseline/orgbaseline/shared/guardduty"
	"github.com/orgbaseline/orgbaseline/shared/settings"
)

// The export of GuardDuty findings (services.guardduty.exportFindings): the
// findings bucket in the log-archive account and the findings key in the
// security account. The guardduty-org step points each region's detector at
// them. The documents are guardduty's.

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
// are kept as long as the access logs (logarchive.AccessLogRetentionDays: the
// trail's retention, or without the trail Config's).
func newFindingsBucket(stack awscdk.Stack, c settings.Config, accessLogs LogBucket) {
	bucket := NewLogBucket(stack, "GuardDutyFindingsBucket", &LogBucketProps{
		BucketName:      guardduty.BucketName(c),
		Policy:          guardduty.BucketPolicy(c),
		RetentionDays:   logarchive.AccessLogRetentionDays(c),
		AccessLogs:      accessLogs,
		AccessLogPrefix: guardduty.AccessLogPrefix,
	})
	newOutput(stack, FindingsBucketOutput, "Name of the bucket GuardDuty exports findings to", bucket.Bucket().Ref())
}

// newFindingsKey creates, in the security stack, the findings key and its
// alias, and outputs the key's ARN.
func newFindingsKey(stack awscdk.Stack, c settings.Config) {
	key := NewAliasedKey(stack, "GuardDutyFindingsKey", &AliasedKeyProps{
		Description: guardduty.KeyDescription,
		Alias:       guardduty.KeyAlias,
		Policy:      guardduty.KeyPolicy(c),
	})
	newOutput(stack, FindingsKeyArnOutput, "ARN of the key GuardDuty encrypts exported findings with", key.KeyArn())
}
