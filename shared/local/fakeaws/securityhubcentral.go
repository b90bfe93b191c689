package fakeaws

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Values of OrganizationConfiguration's ConfigurationType and Status, and of
// AutoEnableStandards.
const (
	configLocal            = "LOCAL"
	configCentral          = "CENTRAL"
	centralPending         = "PENDING"
	centralEnabled         = "ENABLED"
	centralFailed          = "FAILED"
	autoEnableStandardsDef = "DEFAULT"
	autoEnableStandardsNo  = "NONE"
)

// Values of RegionLinkingMode.
const (
	linkAll       = "ALL_REGIONS"
	linkAllExcept = "ALL_REGIONS_EXCEPT_SPECIFIED"
	linkSpecified = "SPECIFIED_REGIONS"
	linkNone      = "NO_REGIONS"
)

// Values of the configuration policy associations: the self-managed
// configuration's identifier, AssociationStatus and AssociationType.
const (
	selfManaged         = "SELF_MANAGED_SECURITY_HUB"
	associationPending  = "PENDING"
	associationSuccess  = "SUCCESS"
	associationApplied  = "APPLIED"
	associationInherits = "INHERITED"
)

var (
	// policyName is the form of a configuration policy's name:
	// alphanumeric characters and -, ., !, *, / (CreateConfigurationPolicy).
	policyName = regexp.MustCompile(`^[A-Za-z0-9\-.!*/]+$`)
	// uuidForm is a policy's ID, and policyARN its ARN.
	uuidForm  = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	policyARN = regexp.MustCompile(`^arn:aws:securityhub:[a-z0-9-]+:[0-9]{12}:configuration-policy/([0-9a-f-]{36})$`)
	// Forms of the targets' IDs (AWS Organizations API Reference).
	rootID = regexp.MustCompile(`^r-[0-9a-z]{4,32}$`)
	ouID   = regexp.MustCompile(`^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$`)
)

// hubOrgConfig is the organization configuration's local settings in a
// Region.
type hubOrgConfig struct {
	autoEnable          bool
	autoEnableStandards string
}

// hubCentral is the organization's central configuration.
type hubCentral struct {
	home, admin string
	status      string
	message     string
	// pendingReads is how many more reads in the home Region answer
	// PENDING.
	pendingReads int
}

// aggregator is a finding aggregator; region is its home Region.
type aggregator struct {
	arn, account, region string
	mode                 string
	regions              []string
}

// hubPolicy is a configuration policy.
type hubPolicy struct {
	id, arn, name, description string
	policy                     securityHubPolicy
	created, updated           time.Time
	tags                       map[string]string
}

// securityHubPolicy is the SecurityHubPolicy structure, kept as given.
type securityHubPolicy struct {
	ServiceEnabled                *bool            `json:"ServiceEnabled,omitempty"`
	EnabledStandardIdentifiers    *[]string        `json:"EnabledStandardIdentifiers,omitempty"`
	SecurityControlsConfiguration *controlsSetting `json:"SecurityControlsConfiguration,omitempty"`
}

// controlsSetting is the SecurityControlsConfiguration structure.
type controlsSetting struct {
	DisabledSecurityControlIdentifiers *[]string       `json:"DisabledSecurityControlIdentifiers,omitempty"`
	EnabledSecurityControlIdentifiers  *[]string       `json:"EnabledSecurityControlIdentifiers,omitempty"`
	SecurityControlCustomParameters    json.RawMessage `json:"SecurityControlCustomParameters,omitempty"`
}

// hubAssociation is the configuration applied to a target: a policy's ID
// or selfManaged.
type hubAssociation struct {
	targetID, targetType string
	policyID             string
	status               string
	pendingReads         int
	updated              time.Time
}

// read answers the association's status, which becomes SUCCESS after its
// pending reads.
func (a *hubAssociation) read() string {
	if a.status == associationPending {
		if a.pendingReads > 0 {
			a.pendingReads--
			return associationPending
		}
		a.status = associationSuccess
	}
	return a.status
}

// SetSecurityHubPendingReads sets how many reads still answer PENDING after
// a change that AWS completes asynchronously (default 1; 0 answers the
// outcome at once): DescribeOrganizationConfiguration in the home Region
// after a switch to central configuration, and reads of a target's
// association (GetConfigurationPolicyAssociation, or the target's entry of
// ListConfigurationPolicyAssociations) after
// StartConfigurationPolicyAssociation. It applies to the changes that
// follow.
func (h *Handler) SetSecurityHubPendingReads(n int) {
	h.mu.Lock()
	h.hubPendingReads = max(n, 0)
	h.mu.Unlock()
}

// FailCentralConfiguration makes the switches to central configuration that
// follow end FAILED, with message as the StatusMessage (message not empty),
// or ENABLED again ("").
func (h *Handler) FailCentralConfiguration(message string) {
	h.mu.Lock()
	h.hubCentralFailure = message
	h.mu.Unlock()
}

// linkedLocked reports whether region is a linked Region of account's
// finding aggregator. h.mu is held.
func (h *Handler) linkedLocked(account, region string) bool {
	a := h.aggregators[account]
	if a == nil || region == a.region {
		return false
	}
	switch a.mode {
	case linkAll:
		return true
	case linkAllExcept:
		return !slices.Contains(a.regions, region)
	case linkSpecified:
		return slices.Contains(a.regions, region)
	}
	return false
}

// centralInLocked returns the central configuration if it governs region:
// the home Region, and the linked Regions once it is enabled; nil
// otherwise. h.mu is held.
func (h *Handler) centralInLocked(region string) *hubCentral {
	cc := h.hubCentral
	if cc == nil {
		return nil
	}
	if region == cc.home || (cc.status == centralEnabled && h.linkedLocked(cc.admin, region)) {
		return cc
	}
	return nil
}

// readCentralLocked answers the central configuration's status in the home
// Region: PENDING for its pending reads, then ENABLED, or FAILED while
// FailCentralConfiguration is set. h.mu is held.
func (h *Handler) readCentralLocked(cc *hubCentral) {
	if cc.status != centralPending {
		return
	}
	if cc.pendingReads > 0 {
		cc.pendingReads--
		return
	}
	if h.hubCentralFailure != "" {
		cc.status, cc.message = centralFailed, h.hubCentralFailure
		return
	}
	cc.status = centralEnabled
}

// orgConfigLocked returns the organization configuration's local settings
// in region. h.mu is held.
func (h *Handler) orgConfigLocked(region string) *hubOrgConfig {
	cfg := h.hubOrgConfigs[region]
	if cfg == nil {
		cfg = &hubOrgConfig{autoEnableStandards: autoEnableStandardsDef}
		h.hubOrgConfigs[region] = cfg
	}
	return cfg
}

// describeHubOrgConfig is DescribeOrganizationConfiguration, for the
// organization's administrator account in the Region.
func (h *Handler) describeHubOrgConfig(_ context.Context, c caller, _ hubRequest) (any, *apiError) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if aerr := h.hubAdminCallerLocked(c); aerr != nil {
		return nil, aerr
	}
	enabledMembers := 0
	if b := h.hubs[scope{c.account, c.region}]; b != nil {
		for _, m := range b.members {
			if m.status == hubMemberEnabled {
				enabledMembers++
			}
		}
	}
	out := map[string]any{"MemberAccountLimitReached": enabledMembers >= maxHubOrgMembers}
	if cc := h.centralInLocked(c.region); cc != nil {
		if c.region == cc.home {
			h.readCentralLocked(cc)
		}
		oc := map[string]string{"ConfigurationType": configCentral, "Status": cc.status}
		if cc.message != "" {
			oc["StatusMessage"] = cc.message
		}
		out["AutoEnable"], out["AutoEnableStandards"], out["OrganizationConfiguration"] = false, autoEnableStandardsNo, oc
		return out, nil
	}
	cfg := h.orgConfigLocked(c.region)
	out["AutoEnable"], out["AutoEnableStandards"] = cfg.autoEnable, cfg.autoEnableStandards
	out["OrganizationConfiguration"] = map[string]string{"ConfigurationType": configLocal, "Status": centralEnabled}
	return out, nil
}

// updateHubOrgConfig is UpdateOrganizationConfiguration, for the
// organization's administrator account in the Region. ConfigurationType
// CENTRAL needs an administrator other than the management account, a
// finding aggregator whose home Region is the caller's, AutoEnable false and
// AutoEnableStandards NONE (taken when absent); the configuration is then
// PENDING (see SetSecurityHubPendingReads). LOCAL is refused in the home
// Region while configuration policies or associations exist. Without
// ConfigurationType the configuration type stays; AutoEnableStandards, when
// absent, stays too.
func (h *Handler) updateHubOrgConfig(ctx context.Context, c caller, in hubRequest) (any, *apiError) {
	var req struct {
		AutoEnable                *bool   `json:"AutoEnable"`
		AutoEnableStandards       *string `json:"AutoEnableStandards"`
		OrganizationConfiguration *struct {
			ConfigurationType string `json:"ConfigurationType"`
		} `json:"OrganizationConfiguration"`
	}
	if aerr := decodeHub(in.body, &req); aerr != nil {
		return nil, aerr
	}
	if req.AutoEnable == nil {
		return nil, hubInvalidInput("AutoEnable is required")
	}
	if s := req.AutoEnableStandards; s != nil && *s != autoEnableStandardsDef && *s != autoEnableStandardsNo {
		return nil, hubInvalidInput("AutoEnableStandards must be %s or %s, not %q", autoEnableStandardsDef, autoEnableStandardsNo, *s)
	}
	want := ""
	if oc := req.OrganizationConfiguration; oc != nil {
		want = oc.ConfigurationType
		if want != "" && want != configLocal && want != configCentral {
			return nil, hubInvalidInput("ConfigurationType must be %s or %s, not %q", configLocal, configCentral, want)
		}
	}
	mgmt, aerr := h.managementAccount(ctx)
	if aerr != nil {
		return nil, aerr
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	if aerr := h.hubAdminCallerLocked(c); aerr != nil {
		return nil, aerr
	}
	cc := h.centralInLocked(c.region)
	if want == "" {
		want = configLocal
		if cc != nil {
			want = configCentral
		}
	}
	cfg := h.orgConfigLocked(c.region)
	if want == configLocal {
		if cc != nil {
			if c.region != cc.home {
				return nil, hubInvalidInput("Central configuration can only be turned off from the home Region %s, not %s", cc.home, c.region)
			}
			if len(h.hubPolicies) > 0 || len(h.hubAssociations) > 0 {
				return nil, hubConflict("Central configuration cannot be turned off while configuration policies or associations exist: disassociate the accounts, OUs and root and delete the configuration policies first")
			}
			h.hubCentral = nil
		}
		cfg.autoEnable = *req.AutoEnable
		if req.AutoEnableStandards != nil {
			cfg.autoEnableStandards = *req.AutoEnableStandards
		}
		return struct{}{}, nil
	}

	if *req.AutoEnable || (req.AutoEnableStandards != nil && *req.AutoEnableStandards != autoEnableStandardsNo) {
		return nil, hubInvalidInput("Auto Enable and AutoEnableStandards can not be enabled for Central Configuration")
	}
	if cc != nil && cc.status != centralFailed {
		return struct{}{}, nil
	}
	if c.account == mgmt {
		return nil, hubInvalidInput("Central configuration cannot be turned on while the organization management account %s is the delegated administrator: designate a member account", mgmt)
	}
	agg := h.aggregators[c.account]
	if agg == nil {
		return nil, hubInvalidInput("Central configuration needs a home Region: create a finding aggregator (CreateFindingAggregator) in the Region to be the home Region first")
	}
	if agg.region != c.region {
		return nil, hubInvalidInput("Central configuration can only be turned on from the home Region %s, not %s", agg.region, c.region)
	}
	cfg.autoEnable, cfg.autoEnableStandards = false, autoEnableStandardsNo
	h.hubCentral = &hubCentral{home: c.region, admin: c.account, status: centralPending, pendingReads: h.hubPendingReads}
	return struct{}{}, nil
}

// centralAdminLocked checks that c is the delegated administrator in the
// home Region of an organization whose central configuration is enabled:
// only it manages configuration policies. h.mu is held.
func (h *Handler) centralAdminLocked(c caller) *apiError {
	if aerr := h.hubAdminCallerLocked(c); aerr != nil {
		return aerr
	}
	cc := h.hubCentral
	switch {
	case cc == nil:
		return hubAccessDenied("The organization does not use central configuration: configuration policies need ConfigurationType CENTRAL (UpdateOrganizationConfiguration)")
	case cc.status != centralEnabled:
		return hubAccessDenied("The organization's central configuration is %s, not ENABLED", cc.status)
	case c.region != cc.home:
		return hubAccessDenied("Configuration policies are managed from the home Region %s only, not %s", cc.home, c.region)
	}
	return nil
}

// validateLinking checks a finding aggregator's RegionLinkingMode and
// Regions.
func validateLinking(mode string, regions []string) *apiError {
	switch mode {
	case linkAll, linkNone:
		if len(regions) > 0 {
			return hubInvalidInput("Regions must be empty when RegionLinkingMode is %s", mode)
		}
	case linkAllExcept, linkSpecified:
		if len(regions) == 0 {
			return hubInvalidInput("Regions must list at least one Region when RegionLinkingMode is %s", mode)
		}
		for _, r := range regions {
			if !regionName.MatchString(r) {
				return hubInvalidInput("%q is not the name of a Region", r)
			}
		}
	default:
		return hubInvalidInput("RegionLinkingMode must be one of %s, %s, %s, %s, not %q", linkAll, linkAllExcept, linkSpecified, linkNone, mode)
	}
	return nil
}

// aggregatorRequest holds the members of CreateFindingAggregator and
// UpdateFindingAggregator.
type aggregatorRequest struct {
	FindingAggregatorArn string   `json:"FindingAggregatorArn"`
	RegionLinkingMode    string   `json:"RegionLinkingMode"`
	Regions              []string `json:"Regions"`
}

func (a *aggregator) detail() map[string]any {
	return map[string]any{
		"FindingAggregatorArn": a.arn, "FindingAggregationRegion": a.region,
		"RegionLinkingMode": a.mode, "Regions": orEmpty(a.regions),
	}
}

// aggregatorCallerLocked returns the caller's hub, which must be enabled and
// must not be a member account. h.mu is held.
func (h *Handler) aggregatorCallerLocked(c caller) *apiError {
	b, aerr := h.callerHubLocked(c)
	if aerr != nil {
		return aerr
	}
	if b.administrator != "" {
		return hubInvalidInput("A finding aggregator cannot be created by a member account.")
	}
	return nil
}

// createFindingAggregator is CreateFindingAggregator: the caller's Region
// becomes its home Region. An account has one finding aggregator.
func (h *Handler) createFindingAggregator(_ context.Context, c caller, in hubRequest) (any, *apiError) {
	var req aggregatorRequest
	if aerr := decodeHub(in.body, &req); aerr != nil {
		return nil, aerr
	}
	if aerr := validateLinking(req.RegionLinkingMode, req.Regions); aerr != nil {
		return nil, aerr
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if aerr := h.aggregatorCallerLocked(c); aerr != nil {
		return nil, aerr
	}
	if a := h.aggregators[c.account]; a != nil {
		return nil, hubInvalidInput("Account %s already has the finding aggregator %s, with home Region %s: update it, or delete it to change the home Region",
			c.account, a.arn, a.region)
	}
	a := &aggregator{
		arn:     fmt.Sprintf("arn:aws:securityhub:%s:%s:finding-aggregator/%s", c.region, c.account, newUUID()),
		account: c.account, region: c.region, mode: req.RegionLinkingMode, regions: req.Regions,
	}
	h.aggregators[c.account] = a
	return a.detail(), nil
}

// aggregatorOfLocked returns the caller's finding aggregator arn. h.mu is
// held.
func (h *Handler) aggregatorOfLocked(c caller, arn string) (*aggregator, *apiError) {
	if !strings.HasPrefix(arn, "arn:aws:securityhub:") || !strings.Contains(arn, ":finding-aggregator/") {
		return nil, hubInvalidInput("%q is not the ARN of a finding aggregator", arn)
	}
	a := h.aggregators[c.account]
	if a == nil || a.arn != arn {
		return nil, hubNotFound("Finding aggregator %s not found", arn)
	}
	return a, nil
}

// listFindingAggregators is ListFindingAggregators: the caller's finding
// aggregator, from any Region where it has Security Hub.
func (h *Handler) listFindingAggregators(_ context.Context, c caller, in hubRequest) (any, *apiError) {
	size, from, aerr := queryPaging(in.query, maxHubPage)
	if aerr != nil {
		return nil, aerr
	}
	h.mu.Lock()
	_, aerr = h.callerHubLocked(c)
	var arns []map[string]string
	if a := h.aggregators[c.account]; aerr == nil && a != nil {
		arns = append(arns, map[string]string{"FindingAggregatorArn": a.arn})
	}
	h.mu.Unlock()
	if aerr != nil {
		return nil, aerr
	}
	page, next := keyedPage(arns, func(a map[string]string) string { return a["FindingAggregatorArn"] }, size, from)
	return struct {
		FindingAggregators []map[string]string `json:"FindingAggregators"`
		NextToken          string              `json:"NextToken,omitempty"`
	}{orEmpty(page), next}, nil
}

// getFindingAggregator is GetFindingAggregator, from any Region where the
// caller has Security Hub.
func (h *Handler) getFindingAggregator(_ context.Context, c caller, in hubRequest) (any, *apiError) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, aerr := h.callerHubLocked(c); aerr != nil {
		return nil, aerr
	}
	a, aerr := h.aggregatorOfLocked(c, in.label)
	if aerr != nil {
		return nil, aerr
	}
	return a.detail(), nil
}

// updateFindingAggregator is UpdateFindingAggregator, from the finding
// aggregator's home Region, which it does not change.
func (h *Handler) updateFindingAggregator(_ context.Context, c caller, in hubRequest) (any, *apiError) {
	var req aggregatorRequest
	if aerr := decodeHub(in.body, &req); aerr != nil {
		return nil, aerr
	}
	if aerr := validateLinking(req.RegionLinkingMode, req.Regions); aerr != nil {
		return nil, aerr
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if aerr := h.aggregatorCallerLocked(c); aerr != nil {
		return nil, aerr
	}
	a, aerr := h.aggregatorOfLocked(c, req.FindingAggregatorArn)
	if aerr != nil {
		return nil, aerr
	}
	if c.region != a.region {
		return nil, hubInvalidInput("The finding aggregator %s can only be updated from its home Region %s, not %s", a.arn, a.region, c.region)
	}
	a.mode, a.regions = req.RegionLinkingMode, req.Regions
	return a.detail(), nil
}

// decodePolicy reads the Policy union, whose one member must be
// SecurityHub, and checks it: the standards must be standards of region,
// and the controls either enabled or disabled ones.
func decodePolicy(raw json.RawMessage, region string) (securityHubPolicy, *apiError) {
	var union map[string]json.RawMessage
	if err := json.Unmarshal(raw, &union); err != nil || len(union) != 1 || union["SecurityHub"] == nil {
		return securityHubPolicy{}, hubInvalidInput("ConfigurationPolicy must set exactly one member, SecurityHub")
	}
	var p securityHubPolicy
	if err := json.Unmarshal(union["SecurityHub"], &p); err != nil {
		return securityHubPolicy{}, hubInvalidInput("cannot parse ConfigurationPolicy.SecurityHub: %v", err)
	}
	if p.EnabledStandardIdentifiers != nil {
		for _, arn := range *p.EnabledStandardIdentifiers {
			if standardPath(region, arn) == "" {
				return securityHubPolicy{}, hubInvalidInput("%s is not the ARN of a standard in %s", arn, region)
			}
		}
	}
	if s := p.SecurityControlsConfiguration; s != nil && s.EnabledSecurityControlIdentifiers != nil && s.DisabledSecurityControlIdentifiers != nil {
		return securityHubPolicy{}, hubInvalidInput("SecurityControlsConfiguration takes either EnabledSecurityControlIdentifiers or DisabledSecurityControlIdentifiers, not both")
	}
	return p, nil
}

func validatePolicyName(name string) *apiError {
	if !policyName.MatchString(name) {
		return hubInvalidInput("Name %q must be alphanumeric characters and -, ., !, *, /", name)
	}
	return nil
}

// validateText checks an optional member whose pattern is .*\S.*.
func validateText(field string, v *string) *apiError {
	if v != nil && strings.TrimSpace(*v) == "" {
		return hubInvalidInput("%s must not be empty", field)
	}
	return nil
}

// policyDetail is the answer of the operations that return one
// configuration policy.
type policyDetail struct {
	Arn                 string                       `json:"Arn"`
	ID                  string                       `json:"Id"`
	Name                string                       `json:"Name"`
	Description         string                       `json:"Description,omitempty"`
	ConfigurationPolicy map[string]securityHubPolicy `json:"ConfigurationPolicy"`
	CreatedAt           time.Time                    `json:"CreatedAt"`
	UpdatedAt           time.Time                    `json:"UpdatedAt"`
}

func (p *hubPolicy) detail() policyDetail {
	return policyDetail{
		Arn: p.arn, ID: p.id, Name: p.name, Description: p.description,
		ConfigurationPolicy: map[string]securityHubPolicy{"SecurityHub": p.policy},
		CreatedAt:           p.created, UpdatedAt: p.updated,
	}
}

// policyNamedLocked returns the configuration policy named name, nil for
// none. h.mu is held.
func (h *Handler) policyNamedLocked(name string) *hubPolicy {
	for _, p := range h.hubPolicies {
		if p.name == name {
			return p
		}
	}
	return nil
}

// policyLocked returns the configuration policy of an identifier, its ARN
// or ID. h.mu is held.
func (h *Handler) policyLocked(identifier string) (*hubPolicy, *apiError) {
	id := identifier
	if m := policyARN.FindStringSubmatch(identifier); m != nil {
		id = m[1]
	} else if !uuidForm.MatchString(identifier) {
		return nil, hubInvalidInput("%q is not the ARN or ID of a configuration policy", identifier)
	}
	p := h.hubPolicies[id]
	if p == nil || (id != identifier && p.arn != identifier) {
		return nil, hubNotFound("Configuration policy %s not found", identifier)
	}
	return p, nil
}

// createConfigurationPolicy is CreateConfigurationPolicy. Names are unique.
func (h *Handler) createConfigurationPolicy(_ context.Context, c caller, in hubRequest) (any, *apiError) {
	var req struct {
		Name                string            `json:"Name"`
		Description         *string           `json:"Description"`
		ConfigurationPolicy json.RawMessage   `json:"ConfigurationPolicy"`
		Tags                map[string]string `json:"Tags"`
	}
	if aerr := decodeHub(in.body, &req); aerr != nil {
		return nil, aerr
	}
	if aerr := validatePolicyName(req.Name); aerr != nil {
		return nil, aerr
	}
	if aerr := validateText("Description", req.Description); aerr != nil {
		return nil, aerr
	}
	policy, aerr := decodePolicy(req.ConfigurationPolicy, c.region)
	if aerr != nil {
		return nil, aerr
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if aerr := h.centralAdminLocked(c); aerr != nil {
		return nil, aerr
	}
	if other := h.policyNamedLocked(req.Name); other != nil {
		return nil, hubConflict("A configuration policy named %s already exists (%s)", req.Name, other.id)
	}
	now := h.hubNow()
	p := &hubPolicy{id: newUUID(), name: req.Name, policy: policy, created: now, updated: now, tags: req.Tags}
	p.arn = fmt.Sprintf("arn:aws:securityhub:%s:%s:configuration-policy/%s", c.region, c.account, p.id)
	if req.Description != nil {
		p.description = *req.Description
	}
	h.hubPolicies[p.id] = p
	return p.detail(), nil
}

// getConfigurationPolicy is GetConfigurationPolicy, by ARN or ID.
func (h *Handler) getConfigurationPolicy(_ context.Context, c caller, in hubRequest) (any, *apiError) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if aerr := h.centralAdminLocked(c); aerr != nil {
		return nil, aerr
	}
	p, aerr := h.policyLocked(in.label)
	if aerr != nil {
		return nil, aerr
	}
	return p.detail(), nil
}

// policySummary is the ConfigurationPolicySummary structure.
type policySummary struct {
	Arn            string    `json:"Arn"`
	ID             string    `json:"Id"`
	Name           string    `json:"Name"`
	Description    string    `json:"Description,omitempty"`
	ServiceEnabled bool      `json:"ServiceEnabled"`
	UpdatedAt      time.Time `json:"UpdatedAt"`
}

// listConfigurationPolicies is ListConfigurationPolicies, by name.
func (h *Handler) listConfigurationPolicies(_ context.Context, c caller, in hubRequest) (any, *apiError) {
	size, from, aerr := queryPaging(in.query, maxHubPage)
	if aerr != nil {
		return nil, aerr
	}
	h.mu.Lock()
	aerr = h.centralAdminLocked(c)
	var summaries []policySummary
	if aerr == nil {
		for _, p := range h.hubPolicies {
			summaries = append(summaries, policySummary{
				Arn: p.arn, ID: p.id, Name: p.name, Description: p.description,
				ServiceEnabled: p.policy.ServiceEnabled != nil && *p.policy.ServiceEnabled, UpdatedAt: p.updated,
			})
		}
	}
	h.mu.Unlock()
	if aerr != nil {
		return nil, aerr
	}
	page, next := keyedPage(summaries, func(s policySummary) string { return s.Name }, size, from)
	return struct {
		ConfigurationPolicySummaries []policySummary `json:"ConfigurationPolicySummaries"`
		NextToken                    string          `json:"NextToken,omitempty"`
	}{orEmpty(page), next}, nil
}

// updateConfigurationPolicy is UpdateConfigurationPolicy: the members given
// replace the policy's; a new name must be unique.
func (h *Handler) updateConfigurationPolicy(_ context.Context, c caller, in hubRequest) (any, *apiError) {
	var req struct {
		Name                *string         `json:"Name"`
		Description         *string         `json:"Description"`
		ConfigurationPolicy json.RawMessage `json:"ConfigurationPolicy"`
		UpdatedReason       *string         `json:"UpdatedReason"`
	}
	if aerr := decodeHub(in.body, &req); aerr != nil {
		return nil, aerr
	}
	if req.Name != nil {
		if aerr := validatePolicyName(*req.Name); aerr != nil {
			return nil, aerr
		}
	}
	if aerr := validateText("Description", req.Description); aerr != nil {
		return nil, aerr
	}
	if aerr := validateText("UpdatedReason", req.UpdatedReason); aerr != nil {
		return nil, aerr
	}
	var policy *securityHubPolicy
	if len(req.ConfigurationPolicy) > 0 {
		p, aerr := decodePolicy(req.ConfigurationPolicy, c.region)
		if aerr != nil {
			return nil, aerr
		}
		policy = &p
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if aerr := h.centralAdminLocked(c); aerr != nil {
		return nil, aerr
	}
	p, aerr := h.policyLocked(in.label)
	if aerr != nil {
		return nil, aerr
	}
	if req.Name != nil {
		if other := h.policyNamedLocked(*req.Name); other != nil && other != p {
			return nil, hubConflict("A configuration policy named %s already exists (%s)", *req.Name, other.id)
		}
		p.name = *req.Name
	}
	if req.Description != nil {
		p.description = *req.Description
	}
	if policy != nil {
		p.policy = *policy
	}
	p.updated = h.hubNow()
	return p.detail(), nil
}

// policyTarget reads the Target union: its one member's ID and the target's
// type.
func policyTarget(raw json.RawMessage) (id, typ string, aerr *apiError) {
	var t map[string]string
	if err := json.Unmarshal(raw, &t); err != nil || len(t) != 1 {
		return "", "", hubInvalidInput("Target must set exactly one of AccountId, OrganizationalUnitId, RootId")
	}
	switch {
	case t["AccountId"] != "":
		id, typ = t["AccountId"], nodeAccount
		aerr = validateHubAccountID("AccountId", id)
	case t["OrganizationalUnitId"] != "":
		id, typ = t["OrganizationalUnitId"], nodeOU
		if !ouID.MatchString(id) {
			aerr = hubInvalidInput("OrganizationalUnitId %q is not the ID of an organizational unit", id)
		}
	case t["RootId"] != "":
		id, typ = t["RootId"], nodeRoot
		if !rootID.MatchString(id) {
			aerr = hubInvalidInput("RootId %q is not the ID of a root", id)
		}
	default:
		aerr = hubInvalidInput("Target must set exactly one of AccountId, OrganizationalUnitId, RootId")
	}
	return id, typ, aerr
}

// associationSummary is the ConfigurationPolicyAssociationSummary structure,
// and the answer of the association operations.
type associationSummary struct {
	AssociationStatus     string    `json:"AssociationStatus"`
	AssociationType       string    `json:"AssociationType"`
	ConfigurationPolicyID string    `json:"ConfigurationPolicyId"`
	TargetID              string    `json:"TargetId"`
	TargetType            string    `json:"TargetType"`
	UpdatedAt             time.Time `json:"UpdatedAt,omitzero"`
}

// targetInTree checks that the organization has the target, of its type.
func targetInTree(tree orgTree, id, typ string) *apiError {
	if tree.kind[id] != typ {
		return hubNotFound("The target %s is not a %s of the organization", id, strings.ToLower(strings.ReplaceAll(typ, "_", " ")))
	}
	return nil
}

// associationOfLocked answers the association of the target: the one
// applied to it, whose status the read advances, else the one its nearest
// parent has (INHERITED, as it stands), else self-managed. h.mu is held.
func (h *Handler) associationOfLocked(tree orgTree, id string) associationSummary {
	s := associationSummary{TargetID: id, TargetType: tree.kind[id]}
	for at := id; at != ""; at = tree.parent[at] {
		a := h.hubAssociations[at]
		if a == nil {
			continue
		}
		s.ConfigurationPolicyID, s.UpdatedAt = a.policyID, a.updated
		if at == id {
			s.AssociationType, s.AssociationStatus = associationApplied, a.read()
		} else {
			s.AssociationType, s.AssociationStatus = associationInherits, a.status
		}
		return s
	}
	s.ConfigurationPolicyID, s.AssociationType, s.AssociationStatus = selfManaged, associationInherits, associationSuccess
	return s
}

// startPolicyAssociation is StartConfigurationPolicyAssociation: the
// configuration policy (ARN or ID) or the self-managed configuration is
// applied to the target, a root, organizational unit or account of the
// organization, PENDING until read (see SetSecurityHubPendingReads).
func (h *Handler) startPolicyAssociation(ctx context.Context, c caller, in hubRequest) (any, *apiError) {
	var req struct {
		ConfigurationPolicyIdentifier string          `json:"ConfigurationPolicyIdentifier"`
		Target                        json.RawMessage `json:"Target"`
	}
	if aerr := decodeHub(in.body, &req); aerr != nil {
		return nil, aerr
	}
	id, typ, aerr := policyTarget(req.Target)
	if aerr != nil {
		return nil, aerr
	}
	resolve := func() (string, *apiError) {
		if aerr := h.centralAdminLocked(c); aerr != nil {
			return "", aerr
		}
		if req.ConfigurationPolicyIdentifier == selfManaged {
			return selfManaged, nil
		}
		p, aerr := h.policyLocked(req.ConfigurationPolicyIdentifier)
		if aerr != nil {
			return "", aerr
		}
		return p.id, nil
	}
	h.mu.Lock()
	_, aerr = resolve()
	h.mu.Unlock()
	if aerr != nil {
		return nil, aerr
	}
	tree, err := h.moto.organizationTree(ctx)
	if err != nil {
		return nil, internalError(err)
	}
	if aerr := targetInTree(tree, id, typ); aerr != nil {
		return nil, aerr
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	policyID, aerr := resolve()
	if aerr != nil {
		return nil, aerr
	}
	a := &hubAssociation{targetID: id, targetType: typ, policyID: policyID, status: associationPending,
		pendingReads: h.hubPendingReads, updated: h.hubNow()}
	h.hubAssociations[id] = a
	return associationSummary{AssociationStatus: a.status, AssociationType: associationApplied, ConfigurationPolicyID: policyID,
		TargetID: id, TargetType: typ, UpdatedAt: a.updated}, nil
}

// centralTree reads the organization's structure for a caller that must be
// the central configuration's administrator in the home Region.
func (h *Handler) centralTree(ctx context.Context, c caller) (orgTree, *apiError) {
	h.mu.Lock()
	aerr := h.centralAdminLocked(c)
	h.mu.Unlock()
	if aerr != nil {
		return orgTree{}, aerr
	}
	tree, err := h.moto.organizationTree(ctx)
	if err != nil {
		return orgTree{}, internalError(err)
	}
	return tree, nil
}

// getPolicyAssociation is GetConfigurationPolicyAssociation for a root,
// organizational unit or account of the organization.
func (h *Handler) getPolicyAssociation(ctx context.Context, c caller, in hubRequest) (any, *apiError) {
	var req struct {
		Target json.RawMessage `json:"Target"`
	}
	if aerr := decodeHub(in.body, &req); aerr != nil {
		return nil, aerr
	}
	id, typ, aerr := policyTarget(req.Target)
	if aerr != nil {
		return nil, aerr
	}
	tree, aerr := h.centralTree(ctx, c)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := targetInTree(tree, id, typ); aerr != nil {
		return nil, aerr
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if aerr := h.centralAdminLocked(c); aerr != nil {
		return nil, aerr
	}
	return h.associationOfLocked(tree, id), nil
}

// listPolicyAssociations is ListConfigurationPolicyAssociations: the
// association of every root, organizational unit and account of the
// organization, by target ID, filtered by policy (ARN, ID or
// SELF_MANAGED_SECURITY_HUB), type and status.
func (h *Handler) listPolicyAssociations(ctx context.Context, c caller, in hubRequest) (any, *apiError) {
	var req struct {
		Filters *struct {
			AssociationStatus     string `json:"AssociationStatus"`
			AssociationType       string `json:"AssociationType"`
			ConfigurationPolicyID string `json:"ConfigurationPolicyId"`
		} `json:"Filters"`
		MaxResults *int    `json:"MaxResults"`
		NextToken  *string `json:"NextToken"`
	}
	if aerr := decodeHub(in.body, &req); aerr != nil {
		return nil, aerr
	}
	size, from, aerr := hubPaging(req.MaxResults, req.NextToken, maxHubPage)
	if aerr != nil {
		return nil, aerr
	}
	tree, aerr := h.centralTree(ctx, c)
	if aerr != nil {
		return nil, aerr
	}
	h.mu.Lock()
	if aerr := h.centralAdminLocked(c); aerr != nil {
		h.mu.Unlock()
		return nil, aerr
	}
	f := req.Filters
	policyID := ""
	if f != nil && f.ConfigurationPolicyID != "" {
		policyID = f.ConfigurationPolicyID
		if m := policyARN.FindStringSubmatch(policyID); m != nil {
			policyID = m[1]
		}
	}
	var summaries []associationSummary
	for id := range tree.kind {
		s := h.associationOfLocked(tree, id)
		if f != nil && ((policyID != "" && s.ConfigurationPolicyID != policyID) ||
			(f.AssociationType != "" && s.AssociationType != f.AssociationType) ||
			(f.AssociationStatus != "" && s.AssociationStatus != f.AssociationStatus)) {
			continue
		}
		summaries = append(summaries, s)
	}
	h.mu.Unlock()
	page, next := keyedPage(summaries, func(s associationSummary) string { return s.TargetID }, size, from)
	return struct {
		ConfigurationPolicyAssociationSummaries []associationSummary `json:"ConfigurationPolicyAssociationSummaries"`
		NextToken                               string               `json:"NextToken,omitempty"`
	}{orEmpty(page), next}, nil
}
