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
// bucket and key policies admit config.amazonaws.com for the organization's
// accounts, named one by one with aws:SourceAccount, the key AWS Config
// documents for its service principal (see BucketPolicy). The stacks list
// the configuration's three accounts; KeepDeliveryPolicies puts the policies
// for a run's accounts, for a step given them to run before the recorders.
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
	"slices"

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

// Policy size limits, checked before a policy is put: "Bucket policies are
// limited to 20 KB in size" ("Bucket policies and user policies", Amazon S3
// User Guide); "The policy size limit is 32 KiB (32768 bytes)" (PutKeyPolicy,
// AWS KMS API Reference), a quota the KMS "Quotas" page lists as not
// adjustable. Each account adds one 12-digit ID to each policy, so the bucket
// policy holds about 1,300 accounts and the key policy about 2,100.
const (
	MaxBucketPolicyBytes = 20 * 1024
	MaxKeyPolicyBytes    = 32 * 1024
)

// DeliveryAccounts are the accounts the delivery bucket and key admit Config
// for: the configuration's three accounts and accounts (the organization's
// accounts as a run resolves them), sorted, each once. The deployment knows
// only the configuration's accounts; KeepDeliveryPolicies adds the others.
func DeliveryAccounts(c settings.Config, accounts ...string) []string {
	all := append([]string{c.Accounts.Management, c.Accounts.Security, c.Accounts.LogArchive}, accounts...)
	slices.Sort(all)
	return slices.Compact(all)
}

// sourceAccounts admits a service principal acting for accounts only.
func sourceAccounts(accounts []string) map[string]any {
	return map[string]any{"aws:SourceAccount": accounts}
}

// BucketPolicy is the delivery bucket's policy for DeliveryAccounts(c,
// accounts...): Config checks the bucket's ACL and existence and writes
// configuration history and snapshots under AWSLogs/<account>/Config/, with
// the bucket-owner-full-control ACL; requests without TLS are refused.
//
// AWS Config documents aws:SourceAccount and aws:SourceArn for its service
// principal, in the policy of "Permissions for the Amazon S3 Bucket" (AWS
// Config Developer Guide), and warns there that when Config delivers as its
// service principal, as with the service-linked role the recorders use, "the
// service won't work with organization ID or organization units based
// conditions". So the accounts are listed (aws:SourceAccount), not the
// organization (aws:SourceOrgID).
//
// Config's page gives three statements, each with the account condition;
// here the three actions share one statement, so the account list appears
// once and the policy stays under MaxBucketPolicyBytes for about 1,300
// accounts instead of about 430. The ACL condition of Config's delivery
// statement, which a GetBucketAcl or ListBucket request would not meet,
// becomes a Deny of any other PutObject by Config. Objects may go under any
// listed account's AWSLogs/<account>/Config/ prefix: a listed account's
// channel could write under another listed account's prefix, never an
// account outside the list.
func BucketPolicy(c settings.Config, accounts ...string) policydoc.Document {
	bucket := BucketName(c)
	arn := policydoc.BucketARN(bucket)
	return policydoc.New(
		policydoc.Statement{
			Sid: "ConfigDelivery", Effect: "Allow", Principal: policydoc.Service(Principal),
			Action:    []string{"s3:GetBucketAcl", "s3:ListBucket", "s3:PutObject"},
			Resource:  []string{arn, arn + "/AWSLogs/*/Config/*"},
			Condition: map[string]map[string]any{"StringEquals": sourceAccounts(DeliveryAccounts(c, accounts...))},
		},
		policydoc.Statement{
			Sid: "ConfigDeliveryOwnerControl", Effect: "Deny", Principal: policydoc.Service(Principal), Action: "s3:PutObject",
			Resource:  arn + "/*",
			Condition: map[string]map[string]any{"StringNotEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
		},
		policydoc.DenyInsecureTransport(bucket),
		// No one but the deployment and the break-glass role deletes a
		// delivered file or weakens the bucket's protections; the policy
		// itself also by the execution role, through which config-delivery
		// keeps the accounts' list current (logIntegrity).
		policydoc.DenyLogTampering("DenyLogTampering", bucket, withoutPolicy(policydoc.LogTamperingActions), c.LogAdmins()),
		policydoc.DenyLogTampering("DenyPolicyChanges", bucket, policydoc.PolicyActions,
			append(c.LogAdmins(), fmt.Sprintf("arn:aws:iam::%s:role/%s", c.Accounts.LogArchive, c.ExecutionRoleName))),
	)
}

// withoutPolicy is actions without policydoc.PolicyActions.
func withoutPolicy(actions []string) []string {
	var out []string
	for _, a := range actions {
		if !slices.Contains(policydoc.PolicyActions, a) {
			out = append(out, a)
		}
	}
	return out
}

// s3Context is the encryption-context key S3 sets on objects it encrypts
// with SSE-KMS: the object's ARN, or the bucket's with an S3 Bucket Key.
const s3Context = "kms:EncryptionContext:aws:s3:arn"

// KeyPolicy is the delivery key's policy for DeliveryAccounts(c,
// accounts...): the security account administers it; Config may generate
// data keys and decrypt for the listed accounts, with aws:SourceAccount as
// "Permissions for the KMS Key" (AWS Config Developer Guide) documents for
// the service principal; the log-archive account may decrypt objects of the
// delivery bucket only.
func KeyPolicy(c settings.Config, accounts ...string) policydoc.Document {
	bucket := policydoc.BucketARN(BucketName(c))
	return policydoc.New(
		policydoc.Statement{
			Sid: "SecurityAccountAdministers", Effect: "Allow", Principal: policydoc.AccountRoot(c.Accounts.Security),
			Action: "kms:*", Resource: "*",
		},
		policydoc.Statement{
			Sid: "ConfigEncryptsDeliveries", Effect: "Allow", Principal: policydoc.Service(Principal),
			Action: []string{"kms:Decrypt", "kms:GenerateDataKey"}, Resource: "*",
			Condition: map[string]map[string]any{"StringEquals": sourceAccounts(DeliveryAccounts(c, accounts...))},
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
