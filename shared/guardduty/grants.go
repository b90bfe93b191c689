package guardduty

import (
	"fmt"

	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
)

const (
	principal        = "guardduty.amazonaws.com"
	malwarePrincipal = "malware-protection.guardduty.amazonaws.com"
)

// AdminGrants are the guardduty-admin step's permissions under c:
// GuardDuty's delegated administrator calls (no resource type, "Actions,
// resources, and condition keys for Amazon GuardDuty"), and what
// EnableOrganizationAdminAccount does in Organizations for its caller
// ("Permissions required to designate a delegated GuardDuty administrator
// account", GuardDuty User Guide): trusted access and the registration of
// the security account for GuardDuty's principals only, the organization
// read.
func AdminGrants(c settings.Config) step.Grants {
	principals := []string{principal}
	if c.Services.GuardDuty.Features.EBSMalwareProtection {
		principals = append(principals, malwarePrincipal)
	}
	return step.Grants{Lambda: []step.Grant{
		{
			Sid:     "DelegateGuardDuty",
			Actions: []string{"guardduty:ListOrganizationAdminAccounts", "guardduty:EnableOrganizationAdminAccount"},
			Why:     "guardduty:ListOrganizationAdminAccounts and EnableOrganizationAdminAccount have no resource type",
		},
		{
			Dependent: true, Sid: "ReadOrganization",
			Actions: []string{"organizations:DescribeOrganization", "organizations:ListAccounts",
				"organizations:ListAWSServiceAccessForOrganization", "organizations:ListDelegatedAdministrators"},
			Why: "DescribeOrganization, ListAccounts, ListAWSServiceAccessForOrganization and ListDelegatedAdministrators have no resource type",
		},
		{
			Dependent: true, Sid: "ReadAccountsAndUnits", Actions: []string{"organizations:DescribeAccount", "organizations:DescribeOrganizationalUnit"},
			Resources: []string{step.OrgAccountARN(c, "*"), step.OrgUnitARN(c)},
			Why:       "GuardDuty reads the organization's accounts and units, which are found at run time; the ARNs name this organization",
		},
		{
			Dependent: true, Sid: "TrustedAccessForGuardDuty", Actions: []string{"organizations:EnableAWSServiceAccess"},
			Condition: step.ServicePrincipalIs(principals...),
			Why:       "EnableAWSServiceAccess has no resource type; the condition names GuardDuty's principals",
		},
		{
			Dependent: true, Sid: "RegisterSecurityAccountForGuardDuty", Actions: []string{"organizations:RegisterDelegatedAdministrator"},
			Resources: []string{step.OrgAccountARN(c, c.Accounts.Security)},
			Condition: step.ServicePrincipalIs(principals...),
			Why:       step.OrgIDWhy,
		},
	}}
}

// OrgGrants are the guardduty-org step's permissions under c: from the
// management account, the accounts of the organization it adds as members
// (their e-mail addresses); in the security account's session, the
// detector, the organization configuration, the members and, with
// exportFindings, the publishing destination (with the findings bucket's
// objects and listing, which GuardDuty checks for the caller, and the
// findings key's DescribeKey). Detectors and publishing destinations are
// named by ARN in the security account; the other calls have no resource
// type ("Actions, resources, and condition keys for Amazon GuardDuty").
func OrgGrants(c settings.Config) step.Grants {
	sec := c.Accounts.Security
	detectors := fmt.Sprintf("arn:aws:guardduty:*:%s:detector/*", sec)
	g := step.Grants{Lambda: []step.Grant{
		{
			Sid: "ReadMemberAccounts", Actions: []string{"organizations:DescribeAccount"}, Resources: []string{step.OrgAccountARN(c, "*")},
			Why: "the accounts to add as members are found at run time; the ARN names this organization",
		},
		{Sid: "ListMemberAccounts", Actions: []string{"organizations:ListAccounts"}, Why: "organizations:ListAccounts has no resource type"},
	}}
	g.Security = []step.Grant{
		{
			Actions: []string{"guardduty:ListDetectors", "guardduty:CreateDetector", "guardduty:ListMembers", "guardduty:CreateMembers",
				"guardduty:GetMemberDetectors", "guardduty:UpdateMemberDetectors", "guardduty:DescribeOrganizationConfiguration",
				"guardduty:UpdateOrganizationConfiguration"},
			Why: "these GuardDuty actions have no resource type",
		},
		{Actions: []string{"guardduty:GetDetector", "guardduty:UpdateDetector"}, Resources: []string{detectors}, Why: "GuardDuty makes a detector's ID; one per region of the security account"},
		{
			// CreateDetector makes GuardDuty's service-linked roles
			// ("Service-linked role permissions for GuardDuty").
			Actions:   []string{"iam:CreateServiceLinkedRole"},
			Resources: []string{step.ServiceLinkedRoleARN(sec, principal, "*"), step.ServiceLinkedRoleARN(sec, malwarePrincipal, "*")},
			Condition: map[string]map[string]any{"StringEquals": {"iam:AWSServiceName": []string{principal, malwarePrincipal}}},
			Why:       "GuardDuty names its service-linked roles under its own path",
			Dependent: true,
		},
	}
	if FindingsExported(c) {
		g.Security = append(g.Security,
			step.Grant{
				Actions: []string{"guardduty:ListPublishingDestinations", "guardduty:CreatePublishingDestination"},
				Why:     "guardduty:ListPublishingDestinations and CreatePublishingDestination have no resource type",
			},
			step.Grant{
				Actions:   []string{"guardduty:DescribePublishingDestination", "guardduty:UpdatePublishingDestination"},
				Resources: []string{detectors + "/publishingdestination/*"},
				Why:       "GuardDuty makes the detector's and the destination's IDs",
			},
			step.Grant{Actions: []string{"s3:GetObject", "s3:ListBucket"}, Resources: []string{BucketARN(c), BucketARN(c) + "/*"}, Why: "the findings bucket's objects", Dependent: true},
			step.Grant{Actions: []string{"kms:DescribeKey"}, Resources: []string{step.KeysIn(c.HomeRegion, sec)}, Condition: step.AliasIs(KeyAlias), Why: "the key's ID is made with the security account's stack; the condition names it by its alias"},
		)
	}
	return g
}
