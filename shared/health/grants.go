package health

import (
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
)

// Grants are the health-org step's permissions under c, in the management
// account ("Actions, resources, and condition keys for AWS Health APIs and
// Notifications", Service Authorization Reference): the organizational
// view's two actions, which have no resource type, and what
// EnableHealthServiceAccessForOrganization does for its caller (the
// service-linked role AWSServiceRoleForHealth_Organizations, trusted access
// for Health's principal, the account list: its dependent actions); with
// delegatedAdmin, the registration of the security account for Health's
// principal only ("Actions, resources, and condition keys for AWS
// Organizations").
func Grants(c settings.Config) step.Grants {
	g := step.Grants{Lambda: []step.Grant{
		{
			Sid:     "OrganizationalView",
			Actions: []string{"health:DescribeHealthServiceStatusForOrganization", "health:EnableHealthServiceAccessForOrganization"},
			Why:     "health:DescribeHealthServiceStatusForOrganization and EnableHealthServiceAccessForOrganization have no resource type",
		},
		{
			// "Actions, resources, and condition keys for AWS Identity and
			// Access Management": iam:AWSServiceName narrows
			// CreateServiceLinkedRole to one service.
			Dependent: true, Sid: "HealthServiceLinkedRole", Actions: []string{"iam:CreateServiceLinkedRole"},
			Resources: []string{step.ServiceLinkedRoleARN(c.Accounts.Management, Principal, ServiceLinkedRole)},
			Condition: map[string]map[string]any{"StringEquals": {"iam:AWSServiceName": Principal}},
			Why:       "Health's service-linked role has a fixed name",
		},
		{
			Dependent: true, Sid: "TrustedAccessForHealth", Actions: []string{"organizations:EnableAWSServiceAccess"},
			Condition: step.ServicePrincipalIs(Principal),
			Why:       "EnableAWSServiceAccess has no resource type; the condition names Health's principal",
		},
		{
			Dependent: true, Sid: "HealthListsAccounts", Actions: []string{"organizations:ListAccounts"},
			Why: "organizations:ListAccounts has no resource type",
		},
	}}
	if c.Services.Health.WantsDelegatedAdmin() {
		g.Lambda = append(g.Lambda,
			step.Grant{
				Sid: "ReadHealthAdministrators", Actions: []string{"organizations:ListDelegatedAdministrators"},
				Why: "organizations:ListDelegatedAdministrators has no resource type",
			},
			step.Grant{
				Sid: "RegisterSecurityAccountForHealth", Actions: []string{"organizations:RegisterDelegatedAdministrator"},
				Resources: []string{step.OrgAccountARN(c, c.Accounts.Security)},
				Condition: step.ServicePrincipalIs(Principal),
				Why:       step.OrgIDWhy,
			},
		)
	}
	return g
}
