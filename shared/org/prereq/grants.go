package prereq

import (
	"slices"

	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
)

// Grants are the step's permissions under c ("Actions, resources, and
// condition keys for AWS Organizations", Service Authorization Reference):
// the reads; trusted access for the principals of the enabled services
// only (organizations:ServicePrincipal); and the security account as
// delegated administrator for the principals registered through
// Organizations only (resource type account, and the principal).
func Grants(c settings.Config) step.Grants {
	trusted, registered := principals(c)
	g := step.Grants{Lambda: []step.Grant{{
		Sid: "ReadOrganization",
		Actions: []string{
			"organizations:DescribeOrganization",
			"organizations:ListAWSServiceAccessForOrganization",
			"organizations:ListDelegatedAdministrators",
		},
		Why: "DescribeOrganization, ListAWSServiceAccessForOrganization and ListDelegatedAdministrators have no resource type",
	}}}
	if len(trusted) > 0 {
		g.Lambda = append(g.Lambda, step.Grant{
			Sid:       "EnableTrustedAccess",
			Actions:   []string{"organizations:EnableAWSServiceAccess"},
			Condition: step.ServicePrincipalIs(trusted...),
			Why:       "EnableAWSServiceAccess has no resource type; the condition names the service principals",
		})
	}
	if len(registered) > 0 {
		g.Lambda = append(g.Lambda, step.Grant{
			Sid:       "RegisterSecurityAccount",
			Actions:   []string{"organizations:RegisterDelegatedAdministrator"},
			Resources: []string{step.OrgAccountARN(c, c.Accounts.Security)},
			Condition: step.ServicePrincipalIs(registered...),
			Why:       step.OrgIDWhy,
		})
	}
	return g
}

// principals returns the service principals the step may give trusted
// access (every principal of an enabled service) and those it may register
// the security account for (AdminOrganizations), sorted.
func principals(c settings.Config) (trusted, registered []string) {
	for _, svc := range c.EnabledServices() {
		if !handledHere(svc) {
			continue
		}
		for _, p := range principalsFor(c, svc) {
			trusted = append(trusted, p.Name)
			if p.Admin == settings.AdminOrganizations {
				registered = append(registered, p.Name)
			}
		}
	}
	slices.Sort(trusted)
	slices.Sort(registered)
	return slices.Compact(trusted), slices.Compact(registered)
}
