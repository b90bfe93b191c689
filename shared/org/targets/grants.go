package targets

import (
	"fmt"

	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
)

// Grants are the step's permissions: the management account's regions
// (account:ListRegions on the management account itself, resource type
// account, "Actions, resources, and condition keys for AWS Account
// Management") and the organization's accounts. The regional STS checks
// need no permission (sts:GetCallerIdentity is always allowed).
func Grants(c settings.Config) step.Grants {
	g := step.Grants{Lambda: []step.Grant{
		{
			Sid:       "ListRegionsOfThisAccount",
			Actions:   []string{"account:ListRegions"},
			Resources: []string{fmt.Sprintf("arn:aws:account::%s:account", c.Accounts.Management)},
		},
		{
			Sid:     "ListAccounts",
			Actions: []string{"organizations:ListAccounts"},
			Why:     "organizations:ListAccounts has no resource type",
		},
		{
			// A run narrowed to a few accounts reads them one by one.
			Sid: "ReadNamedAccounts", Actions: []string{"organizations:DescribeAccount"},
			Resources: []string{step.OrgAccountARN(c, "*")},
			Why:       "the accounts are the ones --accounts names, at run time; the ARN names this organization",
		},
	}}
	if len(c.Scope.ExcludeOUs) > 0 {
		// The excluded OUs' accounts and nested OUs (ResolveScope): both
		// actions list organizationalunit and root as their resource types
		// ("Actions, resources, and condition keys for AWS Organizations",
		// Service Authorization Reference); the ARN names this
		// organization's OUs, and excludeOUs names only OUs, never the root.
		g.Lambda = append(g.Lambda, step.Grant{
			Sid:       "ReadExcludedOUs",
			Actions:   []string{"organizations:ListAccountsForParent", "organizations:ListOrganizationalUnitsForParent"},
			Resources: []string{step.OrgUnitARN(c)},
			Why:       "the OUs nested in scope.excludeOUs are found at run time; the ARN names this organization",
		})
	}
	return g
}
