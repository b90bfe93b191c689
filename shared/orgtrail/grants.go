package orgtrail

import (
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
)

const cloudTrailPrincipal = "cloudtrail.amazonaws.com"

// cloudTrailServiceLinkedRole is CloudTrail's service-linked role, which
// an organization trail needs ("Using service-linked roles for AWS
// CloudTrail", CloudTrail User Guide).
const cloudTrailServiceLinkedRole = "AWSServiceRoleForCloudTrail"

// Grants are the step's permissions under c, from "Actions, resources, and
// condition keys for AWS CloudTrail" and "... for AWS Organizations"
// (Service Authorization Reference):
//
//   - the trail's calls on the trail's ARN alone, from the account it is
//     managed from (the management account, or with manageFrom security the
//     security account's session); cloudtrail:PutInsightSelectors only with
//     Insights on, iam:PassRole of the CloudWatch Logs role to CloudTrail
//     only with CloudWatch Logs on;
//   - what CloudTrail does for the caller of CreateTrail and UpdateTrail of
//     an organization trail ("Prepare for creating a trail for your
//     organization"): its service-linked role read and created, trusted
//     access for cloudtrail.amazonaws.com only, the organization read;
//   - with delegatedAdmin, the security account registered for
//     cloudtrail.amazonaws.com only ("Required permissions to assign a
//     delegated administrator");
//   - in the security account the key's DescribeKey (with kmsEncryption), in
//     the log-archive account the bucket's existence and default
//     encryption, in member accounts DescribeTrails (the preflight).
func Grants(c settings.Config) step.Grants {
	ct := c.Services.CloudTrail
	var g step.Grants
	trail := trailGrants(c)
	if ct.ManagedFromSecurity() {
		g.Security = trail
		// The management account reads the trail before it registers
		// the security account.
		g.Lambda = []step.Grant{describeTrails("FindTrails")}
	} else {
		g.Lambda = trail
	}
	if ct.DelegatedAdmin {
		g.Lambda = append(g.Lambda, adminGrants(c)...)
	}
	if ct.Encrypted() {
		g.Security = append(g.Security, step.Grant{
			Actions:   []string{"kms:DescribeKey"},
			Resources: []string{step.KeysIn(c.HomeRegion, c.Accounts.Security)},
			Condition: step.AliasIs(KeyAlias),
			Why:       "the key's ID is made with the security account's stack; the condition names it by its alias",
		})
	}
	g.LogArchive = []step.Grant{{
		// HeadBucket is s3:ListBucket; Get/PutBucketEncryption are
		// s3:Get/PutEncryptionConfiguration ("Actions, resources, and
		// condition keys for Amazon S3").
		Actions:   []string{"s3:ListBucket", "s3:GetEncryptionConfiguration", "s3:PutEncryptionConfiguration"},
		Resources: []string{step.BucketARN(BucketName(c))},
	}}
	g.Members = []step.Grant{describeTrails("")}
	return g
}

func describeTrails(sid string) step.Grant {
	return step.Grant{Sid: sid, Actions: []string{"cloudtrail:DescribeTrails"}, Why: "cloudtrail:DescribeTrails has no resource type"}
}

// trailGrants are the calls on the trail and what CloudTrail does for
// their caller, in the managing account.
func trailGrants(c settings.Config) []step.Grant {
	ct := c.Services.CloudTrail
	account := ManagingAccount(c)
	onTrail := []string{
		"cloudtrail:GetTrailStatus", "cloudtrail:CreateTrail", "cloudtrail:UpdateTrail", "cloudtrail:StartLogging",
		"cloudtrail:GetEventSelectors", "cloudtrail:PutEventSelectors", "cloudtrail:GetInsightSelectors",
	}
	if ct.Insights {
		onTrail = append(onTrail, "cloudtrail:PutInsightSelectors")
	}
	slr := step.ServiceLinkedRoleARN(account, cloudTrailPrincipal, cloudTrailServiceLinkedRole)
	g := []step.Grant{
		describeTrails("FindTrails"),
		{Sid: "TheTrail", Actions: onTrail, Resources: []string{TrailARN(c)}},
		{Dependent: true, Sid: "ReadCloudTrailServiceLinkedRole", Actions: []string{"iam:GetRole"}, Resources: []string{slr}},
		{
			Dependent: true, Sid: "CreateCloudTrailServiceLinkedRole", Actions: []string{"iam:CreateServiceLinkedRole"}, Resources: []string{slr},
			Condition: map[string]map[string]any{"StringEquals": {"iam:AWSServiceName": cloudTrailPrincipal}},
		},
		{
			Dependent: true, Sid: "ReadOrganizationForTheTrail",
			Actions: []string{"organizations:DescribeOrganization", "organizations:ListAccounts", "organizations:ListAWSServiceAccessForOrganization"},
			Why:     "DescribeOrganization, ListAccounts and ListAWSServiceAccessForOrganization have no resource type",
		},
		{
			Dependent: true, Sid: "TrustedAccessForCloudTrail", Actions: []string{"organizations:EnableAWSServiceAccess"},
			Condition: step.ServicePrincipalIs(cloudTrailPrincipal),
			Why:       "EnableAWSServiceAccess has no resource type; the condition names cloudtrail.amazonaws.com",
		},
	}
	if ct.CloudWatchLogs.Enabled {
		g = append(g, step.Grant{
			Dependent: true, Sid: "PassLogsRoleToCloudTrail", Actions: []string{"iam:PassRole"}, Resources: []string{CloudWatchLogsRoleARN(c)},
			Condition: map[string]map[string]any{"StringEquals": {"iam:PassedToService": cloudTrailPrincipal}},
		})
	}
	return g
}

// adminGrants register the security account as CloudTrail's delegated
// administrator, from the management account: RegisterOrganizationDelegatedAdmin
// and what CloudTrail does for its caller.
func adminGrants(c settings.Config) []step.Grant {
	mgmt := c.Accounts.Management
	slr := step.ServiceLinkedRoleARN(mgmt, cloudTrailPrincipal, cloudTrailServiceLinkedRole)
	g := []step.Grant{
		{
			Sid: "RegisterCloudTrailAdmin", Actions: []string{"cloudtrail:RegisterOrganizationDelegatedAdmin"},
			Why: "cloudtrail:RegisterOrganizationDelegatedAdmin has no resource type",
		},
		{
			Sid: "ReadDelegatedAdmins", Actions: []string{"organizations:ListDelegatedAdministrators"},
			Why: "organizations:ListDelegatedAdministrators has no resource type",
		},
		{
			Dependent: true, Sid: "RegisterSecurityAccountForCloudTrail", Actions: []string{"organizations:RegisterDelegatedAdministrator"},
			Resources: []string{step.OrgAccountARN(c, c.Accounts.Security)},
			Condition: step.ServicePrincipalIs(cloudTrailPrincipal),
			Why:       step.OrgIDWhy,
		},
	}
	if c.Services.CloudTrail.ManagedFromSecurity() {
		// Managed from the management account, trailGrants has these.
		g = append(g,
			step.Grant{Dependent: true, Sid: "ReadCloudTrailServiceLinkedRole", Actions: []string{"iam:GetRole"}, Resources: []string{slr}},
			step.Grant{
				Dependent: true, Sid: "CreateCloudTrailServiceLinkedRole", Actions: []string{"iam:CreateServiceLinkedRole"}, Resources: []string{slr},
				Condition: map[string]map[string]any{"StringEquals": {"iam:AWSServiceName": cloudTrailPrincipal}},
			},
			step.Grant{
				Dependent: true, Sid: "ReadTrustedAccess", Actions: []string{"organizations:ListAWSServiceAccessForOrganization"},
				Why: "organizations:ListAWSServiceAccessForOrganization has no resource type",
			},
		)
	}
	return g
}
