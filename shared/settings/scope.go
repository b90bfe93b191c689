package settings

import (
	"fmt"
	"slices"
)

// Scope leaves accounts out of the baseline: the accounts it names, and
// every account in the organizational units it names or in OUs nested in
// them. A run does not work on an excluded account: the org-targets step
// reports it as skipped ("excluded by scope"), no per-account step runs
// there, no step makes it a member of an administrator, and the
// organization config rules and conformance packs list it in their
// ExcludedAccounts. The organization-wide settings that AWS applies to every
// account (the organization trail, the organization aggregator, the
// organization's Access Analyzer and Health view, Security Hub's central
// configuration) still cover it; their steps warn of it.
type Scope struct {
	// ExcludeAccounts are 12-digit account IDs.
	ExcludeAccounts []string `yaml:"excludeAccounts" json:"excludeAccounts,omitempty"`
	// ExcludeOUs are organizational unit IDs (ou-xxxx-xxxxxxxx): their
	// accounts, and those of the OUs nested in them, are excluded.
	ExcludeOUs []string `yaml:"excludeOUs" json:"excludeOUs,omitempty"`
}

// Any reports whether the scope excludes anything.
func (s Scope) Any() bool { return len(s.ExcludeAccounts) > 0 || len(s.ExcludeOUs) > 0 }

// ExcludesAccount reports whether id is one of the excluded accounts by
// name (an account of an excluded OU is known only once the OU is read).
func (s Scope) ExcludesAccount(id string) bool { return slices.Contains(s.ExcludeAccounts, id) }

// ScopeReason begins the reason of every row of an account the scope
// excludes.
const ScopeReason = "excluded by scope"

// applyDefaults makes empty lists nil, so that a configuration reads (and
// digests) the same from its YAML and from the JSON a Lambda is given, and
// one without a scope the same as before the setting existed.
func (s *Scope) applyDefaults() {
	s.ExcludeAccounts = nilIfEmpty(s.ExcludeAccounts)
	s.ExcludeOUs = nilIfEmpty(s.ExcludeOUs)
}

// problems checks the IDs' shapes, duplicates, and that none of the three
// accounts the baseline is built around is excluded.
func (c Config) scopeProblems() []string {
	var p []string
	add := func(format string, a ...any) { p = append(p, fmt.Sprintf(format, a...)) }
	roles := map[string]string{
		c.Accounts.Management: "the management account (accounts.management): the run's steps work from it",
		c.Accounts.Security:   "the security account (accounts.security): it is the services' delegated administrator",
		c.Accounts.LogArchive: "the log-archive account (accounts.logArchive): the trail and Config deliver to it",
	}
	seen := map[string]bool{}
	for i, id := range c.Scope.ExcludeAccounts {
		field := fmt.Sprintf("scope.excludeAccounts[%d] %q", i, id)
		switch {
		case !accountIDPattern.MatchString(id):
			add("%s: an account ID is 12 digits", field)
		case seen[id]:
			add("%s is listed twice", field)
		case roles[id] != "":
			add("%s cannot be excluded: it is %s", field, roles[id])
		}
		seen[id] = true
	}
	for i, ou := range c.Scope.ExcludeOUs {
		field := fmt.Sprintf("scope.excludeOUs[%d] %q", i, ou)
		switch {
		case !ouPattern.MatchString(ou):
			add("%s is not an organizational unit ID (ou-xxxx-xxxxxxxx); a root cannot be excluded, nor an account here (use scope.excludeAccounts)", field)
		case seen[ou]:
			add("%s is listed twice", field)
		case slices.Contains(c.Services.SecurityHub.Targets, ou):
			add("%s is also in services.securityhub.targets: an OU is either excluded or a target of the configuration policy", field)
		}
		seen[ou] = true
	}
	return p
}

// organizationWide says, by service, what of it AWS applies to every
// account of the organization whatever the scope: the service offers no
// exclusion of an account there, so an excluded account is still covered.
var organizationWide = map[string]string{
	ServiceCloudTrail: "the organization trail logs every account of the organization, the excluded ones too (an organization trail takes no account list)",
	ServiceConfig:     "the organization aggregator collects from every account of the organization (an organization aggregation source takes no account list); the excluded accounts have no recorder of orgbaseline's",
	ServiceAccessAnalyzer: "the organization analyzers' zone of trust is the organization: they analyze the excluded accounts' resources too " +
		"(no account analyzer is made there, and the unused-access analyzer's analysis rule excludes them; the external-access analyzer takes no analysis rule)",
	ServiceHealth: "the organizational view aggregates the AWS Health events of every account of the organization, the excluded ones too",
}

// ScopeWarning is the warning of service's organization-wide step when the
// scope excludes any account: what of the service still covers the
// excluded accounts. "" without a scope, or for a service that excludes
// them.
func (c Config) ScopeWarning(service string) string {
	what, ok := organizationWide[service]
	if !ok || !c.Scope.Any() {
		return ""
	}
	return fmt.Sprintf("%s: %s; scope excludes %d accounts and %d OUs", service, what, len(c.Scope.ExcludeAccounts), len(c.Scope.ExcludeOUs))
}
