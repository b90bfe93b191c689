package settings

// Service names used in the configuration, the --services filter and the
// report. The order is the order in which the baseline applies them.
const (
	ServiceCloudTrail     = "cloudtrail"
	ServiceConfig         = "config"
	ServiceGuardDuty      = "guardduty"
	ServiceSecurityHub    = "securityhub"
	ServiceAccessAnalyzer = "accessanalyzer"
	ServiceDetective      = "detective"
	ServiceHealth         = "health"
)

// AdminVia says how a service's delegated administrator is registered.
type AdminVia int

const (
	// AdminNone: the service has no delegated administrator in the baseline.
	AdminNone AdminVia = iota
	// AdminOrganizations: organizations:RegisterDelegatedAdministrator from the
	// management account, once for the organization.
	AdminOrganizations
	// AdminServiceAPI: the service's own EnableOrganizationAdminAccount (or
	// RegisterOrganizationDelegatedAdmin), which registers the Organizations
	// delegated administrator itself; its step does it per region.
	AdminServiceAPI
)

// Principal is a service principal for which the baseline enables trusted
// access, and how its delegated administrator is registered.
type Principal struct {
	Name  string
	Admin AdminVia
}

// ServiceInfo describes one service of the baseline.
type ServiceInfo struct {
	Name string
	// EnabledByDefault is the default of services.<name>.enabled.
	EnabledByDefault bool
	// Principals are the service principals the service needs trusted access
	// for, in the order the prerequisites step handles them.
	Principals []Principal
}

// Catalog lists the services of the baseline. Sources: the "AWS services that
// you can use with AWS Organizations" page of the Organizations User Guide,
// which gives each service principal and whether a delegated administrator
// is registered through Organizations or through the service.
var Catalog = []ServiceInfo{
	{Name: ServiceCloudTrail, EnabledByDefault: true, Principals: []Principal{
		{"cloudtrail.amazonaws.com", AdminServiceAPI},
	}},
	{Name: ServiceConfig, EnabledByDefault: true, Principals: []Principal{
		{"config.amazonaws.com", AdminOrganizations},
		{"config-multiaccountsetup.amazonaws.com", AdminOrganizations},
	}},
	{Name: ServiceGuardDuty, EnabledByDefault: true, Principals: []Principal{
		{"guardduty.amazonaws.com", AdminServiceAPI},
		{"malware-protection.guardduty.amazonaws.com", AdminNone},
	}},
	{Name: ServiceSecurityHub, EnabledByDefault: true, Principals: []Principal{
		{"securityhub.amazonaws.com", AdminServiceAPI},
	}},
	{Name: ServiceAccessAnalyzer, EnabledByDefault: true, Principals: []Principal{
		{"access-analyzer.amazonaws.com", AdminOrganizations},
	}},
	// Detective needs GuardDuty enabled for 48 hours first, so it is off
	// until the user switches it on.
	{Name: ServiceDetective, EnabledByDefault: false, Principals: []Principal{
		{"detective.amazonaws.com", AdminServiceAPI},
	}},
	{Name: ServiceHealth, EnabledByDefault: true, Principals: []Principal{
		{"health.amazonaws.com", AdminOrganizations},
	}},
}

// ServiceNames returns the names in Catalog, in order.
func ServiceNames() []string {
	names := make([]string, len(Catalog))
	for i, s := range Catalog {
		names[i] = s.Name
	}
	return names
}

// LookupService returns the catalog entry for name.
func LookupService(name string) (ServiceInfo, bool) {
	for _, s := range Catalog {
		if s.Name == name {
			return s, true
		}
	}
	return ServiceInfo{}, false
}
