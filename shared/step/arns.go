package step

import (
	"fmt"

	"github.com/orgbaseline/orgbaseline/shared/settings"
)

// ARNs of the resource types the steps' grants name, in the aws partition
// (orgbaseline builds ARNs for it only), as the Service Authorization
// Reference gives them.

// OrgAccountARN is the ARN of account in the organization of c
// (resource type account, "Actions, resources, and condition keys for AWS
// Organizations"): the management account's ID, the organization ID, the
// account's ID. "*" for account means any account of the organization.
func OrgAccountARN(c settings.Config, account string) string {
	return fmt.Sprintf("arn:aws:organizations::%s:account/%s/%s", c.Accounts.Management, orgID(c), account)
}

// OrgIDWhy is the reason of an organization ARN's wildcard: without
// organizationId the organization's ID is one.
const OrgIDWhy = "without organizationId (required only with CloudTrail or Config) the organization's ID in the ARN is a wildcard"

// orgID is the configuration's organization ID, or o-* when it has none
// (it is required only with CloudTrail or Config on).
func orgID(c settings.Config) string {
	if c.OrganizationID == "" {
		return "o-*"
	}
	return c.OrganizationID
}

// OrgUnitARN is the ARN of any organizational unit of the organization of
// c (resource type organizationalunit).
func OrgUnitARN(c settings.Config) string {
	return fmt.Sprintf("arn:aws:organizations::%s:ou/%s/*", c.Accounts.Management, orgID(c))
}

// RoleARN is the ARN of the IAM role name (with its path) in account.
func RoleARN(account, name string) string {
	return fmt.Sprintf("arn:aws:iam::%s:role/%s", account, name)
}

// ServiceLinkedRoleARN is the ARN of service's service-linked role name in
// account: its path is aws-service-role/<service principal>/.
func ServiceLinkedRoleARN(account, service, name string) string {
	return RoleARN(account, "aws-service-role/"+service+"/"+name)
}

// BucketARN is the ARN of an S3 bucket; objects is the ARN of its objects.
func BucketARN(name string) string { return "arn:aws:s3:::" + name }

// ObjectsARN is the ARN of every object of bucket name.
func ObjectsARN(name string) string { return BucketARN(name) + "/*" }

// KeysIn is the ARN of every KMS key of account in region.
func KeysIn(region, account string) string {
	return fmt.Sprintf("arn:aws:kms:%s:%s:key/*", region, account)
}

// AliasIs is the condition that admits a KMS key by one of its aliases
// (kms:ResourceAliases, "AWS KMS condition keys", AWS KMS Developer Guide).
func AliasIs(alias string) map[string]map[string]any {
	return map[string]map[string]any{"ForAnyValue:StringEquals": {"kms:ResourceAliases": alias}}
}

// ServicePrincipalIs admits an Organizations call for the service
// principals only (organizations:ServicePrincipal).
func ServicePrincipalIs(principals ...string) map[string]map[string]any {
	return map[string]map[string]any{"StringEquals": {"organizations:ServicePrincipal": principals}}
}
