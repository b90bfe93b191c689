package securityhub

import (
	"fmt"

	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
)

// The grants follow "Actions, resources, and condition keys for AWS Security
// Hub" (Service Authorization Reference): the hub resource
// (arn:aws:securityhub:<region>:<account>:hub/default) may scope DescribeHub,
// EnableSecurityHub, ListOrganizationAdminAccounts,
// EnableOrganizationAdminAccount, Describe/UpdateOrganizationConfiguration
// and StartConfigurationPolicyAssociation, and the local configuration
// calls too: ListMembers, CreateMembers, GetEnabledStandards and
// BatchEnableStandards; finding-aggregator and
// configuration-policy the Get and Update calls of each; the listings, the
// two Create calls and GetConfigurationPolicyAssociation have no resource
// type.

// hubOf is the hub of account in region ("*" for any region).
func hubOf(region, account string) string {
	return fmt.Sprintf("arn:aws:securityhub:%s:%s:hub/default", region, account)
}

// AdminGrants are the securityhub-admin step's permissions under c, in the
// management account: its own hub and the delegated administrator calls,
// on its hub in every region; what EnableOrganizationAdminAccount and
// ListOrganizationAdminAccounts do in Organizations for their caller (their
// dependent actions: the organization read, trusted access and the
// registration of the security account, for Security Hub's principal
// only); and the service-linked role EnableSecurityHub creates ("Service-
// linked roles for AWS Security Hub CSPM").
func AdminGrants(c settings.Config) step.Grants {
	mgmt := c.Accounts.Management
	return step.Grants{Lambda: []step.Grant{
		{
			Sid: "ManagementAccountHub",
			Actions: []string{"securityhub:DescribeHub", "securityhub:EnableSecurityHub",
				"securityhub:ListOrganizationAdminAccounts", "securityhub:EnableOrganizationAdminAccount"},
			Resources: []string{hubOf("*", mgmt)},
			Why:       "the management account's hub, in every region of the run",
		},
		{
			Dependent: true, Sid: "SecurityHubServiceLinkedRole", Actions: []string{"iam:CreateServiceLinkedRole"},
			Resources: []string{step.ServiceLinkedRoleARN(mgmt, Principal, "AWSServiceRoleForSecurityHub")},
			Condition: map[string]map[string]any{"StringEquals": {"iam:AWSServiceName": Principal}},
			Why:       "Security Hub's service-linked role has a fixed name",
		},
		{
			Dependent: true, Sid: "SecurityHubReadsOrganization", Actions: []string{"organizations:DescribeOrganization"},
			Why: "organizations:DescribeOrganization has no resource type",
		},
		{
			Dependent: true, Sid: "TrustedAccessForSecurityHub", Actions: []string{"organizations:EnableAWSServiceAccess"},
			Condition: step.ServicePrincipalIs(Principal),
			Why:       "EnableAWSServiceAccess has no resource type; the condition names Security Hub's principal",
		},
		{
			Dependent: true, Sid: "RegisterSecurityAccountForSecurityHub", Actions: []string{"organizations:RegisterDelegatedAdministrator"},
			Resources: []string{step.OrgAccountARN(c, c.Accounts.Security)},
			Condition: step.ServicePrincipalIs(Principal),
			Why:       step.OrgIDWhy,
		},
	}}
}

// CentralGrants are the securityhub-central step's permissions under c:
// from the management account, the organization's root; in the security
// account's session, in the home region, the finding aggregator, the
// organization configuration, the configuration policies and their
// associations.
func CentralGrants(c settings.Config) step.Grants {
	sec, home := c.Accounts.Security, c.HomeRegion
	return step.Grants{
		Lambda: []step.Grant{
			// "Actions, resources, and condition keys for AWS Organizations":
			// ListRoots has no resource type.
			{Sid: "ReadOrganizationRoot", Actions: []string{"organizations:ListRoots"}, Why: "organizations:ListRoots has no resource type"},
		},
		Security: []step.Grant{
			{
				Actions: []string{"securityhub:ListFindingAggregators", "securityhub:CreateFindingAggregator",
					"securityhub:ListConfigurationPolicies", "securityhub:CreateConfigurationPolicy", "securityhub:GetConfigurationPolicyAssociation"},
				Why: "these Security Hub actions have no resource type",
			},
			{
				Actions: []string{"securityhub:DescribeOrganizationConfiguration", "securityhub:UpdateOrganizationConfiguration",
					"securityhub:StartConfigurationPolicyAssociation"},
				Resources: []string{hubOf(home, sec)},
			},
			{
				Actions:   []string{"securityhub:GetFindingAggregator", "securityhub:UpdateFindingAggregator"},
				Resources: []string{fmt.Sprintf("arn:aws:securityhub:%s:%s:finding-aggregator/*", home, sec)},
				Why:       "Security Hub makes the aggregator's ID",
			},
			{
				Actions:   []string{"securityhub:GetConfigurationPolicy", "securityhub:UpdateConfigurationPolicy"},
				Resources: []string{fmt.Sprintf("arn:aws:securityhub:%s:%s:configuration-policy/*", home, sec)},
				Why:       "Security Hub makes the policy's ID",
			},
		},
	}
}

// LocalGrants are the securityhub-local step's permissions under c: in the
// security account's session, its hub in every region of the run (the
// organization configuration and the members). None under central
// configuration, where the step only reports its skip.
func LocalGrants(c settings.Config) step.Grants {
	if !c.Services.SecurityHub.Local() {
		return step.Grants{}
	}
	return step.Grants{Security: []step.Grant{{
		Actions: []string{"securityhub:DescribeOrganizationConfiguration", "securityhub:UpdateOrganizationConfiguration",
			"securityhub:ListMembers", "securityhub:CreateMembers"},
		Resources: []string{hubOf("*", c.Accounts.Security)},
		Why:       "the security account's hub, in every region of the run",
	}}}
}

// standardsActions are the calls of the standards step, each on the hub of
// the account it works in.
var standardsActions = []string{"securityhub:DescribeHub", "securityhub:GetEnabledStandards", "securityhub:BatchEnableStandards"}

// StandardsGrants are the securityhub-standards step's permissions under c:
// the standards of the hub, in the management account with the Lambda's
// own role and in every other account through the execution role. None
// under central configuration.
func StandardsGrants(c settings.Config) step.Grants {
	if !c.Services.SecurityHub.Local() {
		return step.Grants{}
	}
	return step.Grants{
		Lambda: []step.Grant{{Sid: "ManagementAccountStandards", Actions: standardsActions,
			Resources: []string{hubOf("*", c.Accounts.Management)}, Why: "the management account's hub, in every region of the run"}},
		Members: []step.Grant{{Actions: standardsActions, Resources: []string{hubOf("*", "*")},
			Why: "the hub of each account the step works in, in every region of the run"}},
	}
}
