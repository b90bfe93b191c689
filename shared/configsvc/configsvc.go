// Package configsvc is AWS Config across the organization: the names and
// policy documents of what Config delivers to and aggregates with, and the
// three steps that set Config up.
//
// Names and policies: the delivery bucket in the log-archive account, the
// delivery key and the aggregator role in the security account, and their
// policy documents. Names are derived from the configuration, so each
// account's stack and each step can name the others' resources without
// cross-account lookups; the documents are Go values that the CDK stacks
// and the local deploy use alike.
//
// Delivery: every account's recorder delivers, through its delivery
// channel, to one bucket in the log-archive account, under
// AWSLogs/<account>/Config/<region>/. Config writes as its service principal
// (a service-linked role cannot write to another account's bucket), so the
// bucket and key policies admit config.amazonaws.com for this organization
// only (aws:SourceOrgID).
//
// The config-recorders step (RecordersStep, Converge) sets up AWS Config's
// recorder and delivery channel in one account and region per invocation.
// The state machine fans out over the run's accounts, and for each over its
// regions; every iteration gets a workflow.Item naming the account and the
// region.
//
// The config-aggregator step (AggregatorStep, ConfigureAggregator) and the
// config-rules step (RulesStep, ConfigureRules) are AWS Config's
// organization-wide part, worked from the security account (Config's
// delegated administrator): the config-aggregator step makes the
// organization aggregator in the home region, and the config-rules step
// puts the organization config rules and conformance packs in each region
// and follows their deployment to the member accounts. The recorders they
// depend on are the config-recorders step's; the state machine runs
// config-rules after it, so members have a recorder when a rule reaches
// them.
//
// Every step reads first and calls only where the state differs; in plan
// mode it reports the calls it would make. The outcomes of the
// config-aggregator and config-rules steps are under the security account
// and the region, service "config", except the failures of a rule or pack
// in a member account, which are under that account.
package configsvc

import (
	"fmt"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/policydoc"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// Principal is AWS Config's service principal.
const Principal = "config.amazonaws.com"

// ServiceLinkedRoleName is the role Config records with in each account.
const ServiceLinkedRoleName = "AWSServiceRoleForConfig"

// ServiceLinkedRoleARN is account's Config service-linked role.
func ServiceLinkedRoleARN(account string) string {
	return fmt.Sprintf("arn:aws:iam::%s:role/aws-service-role/%s/%s", account, Principal, ServiceLinkedRoleName)
}

// KeyAlias is the alias of the delivery key in the security account's home
// region.
const KeyAlias = "alias/orgbaseline-config"

// KeyDescription is the delivery key's description, in the template and in
// the local deploy alike.
const KeyDescription = "orgbaseline: encrypts what AWS Config delivers to the log-archive account"

// KeyAliasARN is the delivery key's alias as an ARN, which names the key in
// the security account from any account.
func KeyAliasARN(c settings.Config) string {
	return fmt.Sprintf("arn:aws:kms:%s:%s:%s", c.HomeRegion, c.Accounts.Security, KeyAlias)
}

// DeliveryKey is the delivery key, for awsclient.KeyARN.
func DeliveryKey(c settings.Config) awsclient.Key {
	return awsclient.Key{AliasARN: KeyAliasARN(c), What: "the Config delivery key",
		Missing: "deploy the security account's stack " + workflow.SecurityStackName + " first (`cdk deploy --all`)"}
}

// AggregatorRoleName is the role the organization aggregator assumes, in
// the security account. It has the AWS managed policy
// AggregatorManagedPolicy.
const AggregatorRoleName = "orgbaseline-config-aggregator"

// AggregatorManagedPolicy is the AWS managed policy that lets Config read
// the organization for an aggregator.
const AggregatorManagedPolicy = "service-role/AWSConfigRoleForOrganizations"

// AggregatorRoleARN is the aggregator role's ARN.
func AggregatorRoleARN(c settings.Config) string {
	return fmt.Sprintf("arn:aws:iam::%s:role/%s", c.Accounts.Security, AggregatorRoleName)
}

// BucketName is the delivery bucket in the log-archive account. Its server
// access logs go to the log-archive account's access-log bucket
// (logarchive.AccessLogBucketName) under AccessLogPrefix.
func BucketName(c settings.Config) string {
	return fmt.Sprintf("orgbaseline-config-%s-%s", c.Accounts.LogArchive, c.HomeRegion)
}

// AccessLogPrefix is where the delivery bucket's server access logs go in
// the log-archive account's access-log bucket.
const AccessLogPrefix = "config-bucket/"

// sourceOrg admits a service principal acting for this organization only.
func sourceOrg(c settings.Config) map[string]any {
	return map[string]any{"aws:SourceOrgID": c.OrganizationID}
}

// BucketPolicy is the delivery bucket's policy: Config checks the bucket's
// ACL and existence and writes configuration history and snapshots under
// AWSLogs/<account>/Config/, with the bucket-owner-full-control ACL, for
// accounts of this organization only; requests without TLS are refused.
func BucketPolicy(c settings.Config) policydoc.Document {
	bucket := BucketName(c)
	arn := policydoc.BucketARN(bucket)
	return policydoc.New(
		policydoc.Statement{
			Sid: "ConfigAclCheck", Effect: "Allow", Principal: policydoc.Service(Principal), Action: "s3:GetBucketAcl",
			Resource:  arn,
			Condition: map[string]map[string]any{"StringEquals": sourceOrg(c)},
		},
		policydoc.Statement{
			Sid: "ConfigBucketExistenceCheck", Effect: "Allow", Principal: policydoc.Service(Principal), Action: "s3:ListBucket",
			Resource:  arn,
			Condition: map[string]map[string]any{"StringEquals": sourceOrg(c)},
		},
		policydoc.Statement{
			Sid: "ConfigDelivery", Effect: "Allow", Principal: policydoc.Service(Principal), Action: "s3:PutObject",
			Resource: arn + "/AWSLogs/*/Config/*",
			Condition: map[string]map[string]any{"StringEquals": {
				"s3:x-amz-acl":    "bucket-owner-full-control",
				"aws:SourceOrgID": c.OrganizationID,
			}},
		},
		policydoc.DenyInsecureTransport(bucket),
	)
}

// s3Context is the encryption-context key S3 sets on objects it encrypts
// with SSE-KMS: the object's ARN, or the bucket's with an S3 Bucket Key.
const s3Context = "kms:EncryptionContext:aws:s3:arn"

// KeyPolicy is the delivery key's policy: the security account administers
// it; Config may generate data keys and decrypt for accounts of this
// organization; the log-archive account may decrypt objects of the delivery
// bucket only.
func KeyPolicy(c settings.Config) policydoc.Document {
	bucket := policydoc.BucketARN(BucketName(c))
	return policydoc.New(
		policydoc.Statement{
			Sid: "SecurityAccountAdministers", Effect: "Allow", Principal: policydoc.AccountRoot(c.Accounts.Security),
			Action: "kms:*", Resource: "*",
		},
		policydoc.Statement{
			Sid: "ConfigEncryptsDeliveries", Effect: "Allow", Principal: policydoc.Service(Principal),
			Action: []string{"kms:Decrypt", "kms:GenerateDataKey"}, Resource: "*",
			Condition: map[string]map[string]any{"StringEquals": sourceOrg(c)},
		},
		policydoc.Statement{
			Sid: "LogArchiveDecryptsDeliveries", Effect: "Allow", Principal: policydoc.AccountRoot(c.Accounts.LogArchive),
			Action: "kms:Decrypt", Resource: "*",
			Condition: map[string]map[string]any{"StringLike": {s3Context: []string{bucket, bucket + "/*"}}},
		},
	)
}

// AggregatorTrustPolicy lets Config assume the aggregator role, for the
// security account's aggregators only.
func AggregatorTrustPolicy(c settings.Config) policydoc.Document {
	return policydoc.New(policydoc.Statement{
		Sid: "ConfigAssumes", Effect: "Allow", Principal: policydoc.Service(Principal), Action: "sts:AssumeRole",
		Condition: map[string]map[string]any{"StringEquals": {"aws:SourceAccount": c.Accounts.Security}},
	})
}
