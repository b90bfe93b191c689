// This file holds what the export of GuardDuty findings to the
// log-archive account is made of (services.guardduty.exportFindings): the
// bucket in the log-archive account and the key in the security account,
// their names and policy documents. GuardDuty's detector in each region of
// the security account publishes to the one bucket, encrypting with the one
// key, both in the home region. The CDK stacks and the local deploy create
// them from these values; the guardduty-org step points each detector's
// publishing destination at them.

package guardduty

import (
	"fmt"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/policydoc"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// Principal is GuardDuty's service principal.
const Principal = "guardduty.amazonaws.com"

// BucketName is the findings bucket in the log-archive account.
func BucketName(c settings.Config) string {
	return fmt.Sprintf("orgbaseline-guardduty-%s-%s", c.Accounts.LogArchive, c.HomeRegion)
}

// BucketARN is the findings bucket's ARN, the publishing destination's
// DestinationArn.
func BucketARN(c settings.Config) string { return policydoc.BucketARN(BucketName(c)) }

// FindingsExported reports whether GuardDuty's findings are exported to the
// log-archive account.
func FindingsExported(c settings.Config) bool {
	return c.Enabled(settings.ServiceGuardDuty) && c.Services.GuardDuty.ExportFindings
}

// AccessLogPrefix is where the findings bucket's server access logs go in
// the log-archive account's access-log bucket.
const AccessLogPrefix = "guardduty-bucket/"

// KeyAlias is the alias of the findings key in the security account's home
// region.
const KeyAlias = "alias/orgbaseline-guardduty-findings"

// KeyDescription is the findings key's description.
const KeyDescription = "orgbaseline: encrypts the GuardDuty findings exported to the log-archive account"

// KeyAliasARN names the findings key from any account.
func KeyAliasARN(c settings.Config) string {
	return fmt.Sprintf("arn:aws:kms:%s:%s:%s", c.HomeRegion, c.Accounts.Security, KeyAlias)
}

// Key is the findings key, for awsclient.KeyARN.
func Key(c settings.Config) awsclient.Key {
	return awsclient.Key{AliasARN: KeyAliasARN(c), What: "the GuardDuty findings key",
		Missing: "deploy the security account's stack " + workflow.SecurityStackName +
			" with services.guardduty.exportFindings on (`cdk deploy --all`)"}
}

// detectors matches the security account's detectors in every region:
// GuardDuty acts for them (aws:SourceArn) when it exports.
func detectors(c settings.Config) string {
	return fmt.Sprintf("arn:aws:guardduty:*:%s:detector/*", c.Accounts.Security)
}

// fromDetectors admits GuardDuty acting for the security account's
// detectors only.
func fromDetectors(c settings.Config) map[string]map[string]any {
	return map[string]map[string]any{
		"StringEquals": {"aws:SourceAccount": c.Accounts.Security},
		"ArnLike":      {"aws:SourceArn": detectors(c)},
	}
}

// BucketPolicy is the findings bucket's policy (GuardDuty User Guide,
// "Exporting findings": bucket policy): GuardDuty may locate the bucket and
// write objects for the security account's detectors, and only with SSE-KMS
// (GuardDuty encrypts with the findings key, which the publishing
// destination names); requests without TLS are refused.
func BucketPolicy(c settings.Config) policydoc.Document {
	bucket := BucketName(c)
	arn := policydoc.BucketARN(bucket)
	return policydoc.New(
		policydoc.Statement{
			Sid: "GuardDutyGetBucketLocation", Effect: "Allow", Principal: policydoc.Service(Principal),
			Action: "s3:GetBucketLocation", Resource: arn, Condition: fromDetectors(c),
		},
		policydoc.Statement{
			Sid: "GuardDutyPutObject", Effect: "Allow", Principal: policydoc.Service(Principal),
			Action: "s3:PutObject", Resource: arn + "/*", Condition: fromDetectors(c),
		},
		policydoc.Statement{
			Sid: "DenyUnencryptedUploads", Effect: "Deny", Principal: policydoc.Service(Principal),
			Action: "s3:PutObject", Resource: arn + "/*",
			Condition: map[string]map[string]any{"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
		},
		policydoc.DenyInsecureTransport(bucket),
		policydoc.DenyLogTampering("DenyLogTampering", bucket, policydoc.LogTamperingActions, c.LogAdmins()),
	)
}

// KeyPolicy is the findings key's policy: the security account administers
// it; GuardDuty may generate data keys for the security account's detectors;
// the log-archive account may decrypt objects of the findings bucket only.
func KeyPolicy(c settings.Config) policydoc.Document {
	bucket := policydoc.BucketARN(BucketName(c))
	return policydoc.New(
		policydoc.Statement{
			Sid: "SecurityAccountAdministers", Effect: "Allow", Principal: policydoc.AccountRoot(c.Accounts.Security),
			Action: "kms:*", Resource: "*",
		},
		policydoc.Statement{
			Sid: "GuardDutyEncryptsFindings", Effect: "Allow", Principal: policydoc.Service(Principal),
			Action: "kms:GenerateDataKey", Resource: "*", Condition: fromDetectors(c),
		},
		policydoc.Statement{
			Sid: "LogArchiveDecryptsFindings", Effect: "Allow", Principal: policydoc.AccountRoot(c.Accounts.LogArchive),
			Action: "kms:Decrypt", Resource: "*",
			Condition: map[string]map[string]any{"StringLike": {"kms:EncryptionContext:aws:s3:arn": []string{bucket, bucket + "/*"}}},
		},
	)
}
