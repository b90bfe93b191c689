// Package orgtrail holds what the organization trail is made of: the names
// of its resources and the policy documents that let CloudTrail write to the
// log-archive bucket with the security account's key.
//
// The documents are Go values. The CDK stacks put them in the templates, and
// the local run creates the same resources in the emulator with the same
// documents, so the tests check the very policies that get deployed.
//
// Every name is derived from the configuration, so each account's stack and
// each step can name the others' resources without cross-account lookups.
package orgtrail

import (
	"fmt"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/policydoc"

	"github.com/orgbaseline/orgbaseline/shared/settings"
)

// KeyAlias is the alias of the trail's key in the security account.
const KeyAlias = "alias/orgbaseline-trail"

// LogGroupName is the CloudWatch Logs log group the trail delivers to, in
// the managing account (ManagingAccount), when cloudWatchLogs is on.
const LogGroupName = "/orgbaseline/cloudtrail"

// CloudWatchLogsRoleName is the role CloudTrail assumes to write to the log
// group, in the managing account.
const CloudWatchLogsRoleName = "orgbaseline-cloudtrail-to-logs"

// LogGroupKeyAlias is the alias of the key that encrypts the log group when
// the trail is managed from the security account. In the management
// account, the baseline's own key encrypts it.
const LogGroupKeyAlias = "alias/orgbaseline-trail-logs"

// TrailKeyDescription is the description of the trail's key in the
// security account, in the template and in the local deploy alike.
const TrailKeyDescription = "orgbaseline: encrypts the organization trail's log files"

// AccessLogPrefix is where the trail bucket's server access logs go in the
// access-log bucket.
const AccessLogPrefix = "trail-bucket/"

// TrailKey is the trail's key, for awsclient.KeyARN.
func TrailKey(c settings.Config) awsclient.Key {
	return awsclient.Key{AliasARN: KeyAliasARN(c), What: "the trail key", Missing: securityStackHint}
}

// BucketName is the trail bucket in the log-archive account.
func BucketName(c settings.Config) string {
	return fmt.Sprintf("orgbaseline-trail-%s-%s", c.Accounts.LogArchive, c.HomeRegion)
}

// BucketARN returns the ARN of bucket name.
func BucketARN(name string) string { return policydoc.BucketARN(name) }

// TrailARN is the organization trail's ARN. Its account is the management
// account's, also when a delegated administrator creates the trail.
func TrailARN(c settings.Config) string {
	return fmt.Sprintf("arn:aws:cloudtrail:%s:%s:trail/%s", c.HomeRegion, c.Accounts.Management, c.Services.CloudTrail.TrailName)
}

// KeyAliasARN is the ARN of the key's alias in the security account.
func KeyAliasARN(c settings.Config) string {
	return fmt.Sprintf("arn:aws:kms:%s:%s:%s", c.HomeRegion, c.Accounts.Security, KeyAlias)
}

// ManagingAccount is the account whose credentials make the organization
// trail's CloudTrail calls: the management account, or with manageFrom
// security the security account, the CloudTrail delegated administrator.
// The trail stays the management account's (TrailARN) either way. The
// CloudWatch Logs log group and delivery role live in this account:
// CloudTrail requires the caller of CreateTrail and UpdateTrail to pass the
// role (iam:PassRole), and a principal can pass only a role of its own
// account.
func ManagingAccount(c settings.Config) string {
	if c.Services.CloudTrail.ManagedFromSecurity() {
		return c.Accounts.Security
	}
	return c.Accounts.Management
}

// LogGroupARN is the log group's ARN as CloudTrail takes it (with ":*"),
// in the managing account.
func LogGroupARN(c settings.Config) string {
	return logGroupARN(c) + ":*"
}

// logGroupARN is the log group's ARN without the ":*" suffix, as IAM
// resources and KMS encryption contexts name it.
func logGroupARN(c settings.Config) string {
	return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", c.HomeRegion, ManagingAccount(c), LogGroupName)
}

// CloudWatchLogsRoleARN is the ARN of the role CloudTrail assumes, in the
// managing account.
func CloudWatchLogsRoleARN(c settings.Config) string {
	return fmt.Sprintf("arn:aws:iam::%s:role/%s", ManagingAccount(c), CloudWatchLogsRoleName)
}
