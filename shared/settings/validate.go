package settings

import (
	"encoding/json"
	"fmt"
	"math"
	"net/mail"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

var (
	accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)
	// IAM role names: 1-64 of letters, digits and +=,.@_-
	roleNamePattern = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{1,64}$`)
	// CloudTrail trail names: 3-128 of letters, digits, . _ -, starting and
	// ending with a letter or digit.
	trailNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$`)
)

var (
	publishFrequencies = []string{"FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS"}
	orgIDPattern       = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	// The retention periods CloudWatch Logs accepts (PutRetentionPolicy).
	logRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
)

// problems returns every problem of a defaults-applied configuration.
func (c Config) problems() []string {
	var p []string
	add := func(format string, a ...any) { p = append(p, fmt.Sprintf(format, a...)) }

	ids := map[string]string{
		"accounts.management": c.Accounts.Management,
		"accounts.security":   c.Accounts.Security,
		"accounts.logArchive": c.Accounts.LogArchive,
	}
	for _, field := range []string{"accounts.management", "accounts.security", "accounts.logArchive"} {
		switch id := ids[field]; {
		case id == "":
			add("%s is missing: give the 12-digit account ID", field)
		case !accountIDPattern.MatchString(id):
			add("%s is %q: an account ID is 12 digits", field, id)
		}
	}
	if m := c.Accounts.Management; m != "" {
		if c.Accounts.Security == m {
			add("accounts.security is the management account: the delegated administrator must be another account")
		}
		if c.Accounts.LogArchive == m {
			add("accounts.logArchive is the management account: the logs must live outside it")
		}
	}

	p = append(p, c.scopeProblems()...)

	switch {
	case c.OrganizationID == "" && (c.Enabled(ServiceCloudTrail) || c.Enabled(ServiceConfig)):
		add("organizationId is missing: the trail and Config delivery buckets' policies name it (aws organizations describe-organization)")
	case c.OrganizationID != "" && !orgIDPattern.MatchString(c.OrganizationID):
		add("organizationId %q is not an organization ID (o- and 10 to 32 lowercase letters or digits)", c.OrganizationID)
	}

	switch {
	case c.HomeRegion == "":
		add("homeRegion is missing")
	case !KnownRegion(c.HomeRegion):
		add("homeRegion %q is not a known region of the aws partition", c.HomeRegion)
	}

	switch {
	case !c.Regions.Discover && len(c.Regions.Names) == 0:
		add(`regions is missing: give a list of regions, or "discover" for every enabled region`)
	case !c.Regions.Discover:
		seen := map[string]bool{}
		for _, r := range c.Regions.Names {
			if !KnownRegion(r) {
				add("regions: %q is not a known region of the aws partition", r)
			}
			if seen[r] {
				add("regions: %q is listed twice", r)
			}
			seen[r] = true
		}
		if c.HomeRegion != "" && KnownRegion(c.HomeRegion) && !seen[c.HomeRegion] {
			add("regions must include the home region %q", c.HomeRegion)
		}
	}

	if !roleNamePattern.MatchString(c.ExecutionRoleName) {
		add("executionRoleName %q is not a valid IAM role name", c.ExecutionRoleName)
	}
	if !trailNamePattern.MatchString(c.Services.CloudTrail.TrailName) {
		add("services.cloudtrail.trailName %q is not a valid trail name (3-128 letters, digits, '.', '_' or '-')", c.Services.CloudTrail.TrailName)
	}
	switch ct := c.Services.CloudTrail; {
	case ct.ManageFrom != ManageFromManagement && ct.ManageFrom != ManageFromSecurity:
		add("services.cloudtrail.manageFrom %q: want %s or %s", ct.ManageFrom, ManageFromManagement, ManageFromSecurity)
	case ct.ManageFrom == ManageFromSecurity && !ct.DelegatedAdmin:
		add("services.cloudtrail.manageFrom is %s, which needs services.cloudtrail.delegatedAdmin: true: only the CloudTrail delegated administrator may manage the organization trail from the security account", ManageFromSecurity)
	}
	if d := c.Services.CloudTrail.RetentionDays; d < 1 || d > 36500 {
		add("services.cloudtrail.retentionDays %d: want 1 to 36500 days", d)
	}
	if d := c.Services.CloudTrail.CloudWatchLogs.RetentionDays; !slices.Contains(logRetentionDays, d) {
		add("services.cloudtrail.cloudWatchLogs.retentionDays %d is not a CloudWatch Logs retention period (%v)", d, logRetentionDays)
	}
	p = append(p, c.Services.Config.problems()...)
	p = append(p, c.packTemplateProblems()...)
	if f := c.Services.GuardDuty.FindingPublishingFrequency; !slices.Contains(publishFrequencies, f) {
		add("services.guardduty.findingPublishingFrequency %q: want one of %s", f, strings.Join(publishFrequencies, ", "))
	}
	for _, std := range c.Services.SecurityHub.Standards {
		if !standardPattern.MatchString(std) {
			add("services.securityhub.standards: %q is not a standard's ARN nor its path (standards/<name>/v/<version> or ruleset/<name>/v/<version>)", std)
		}
	}
	for _, id := range c.Services.SecurityHub.DisabledControls {
		if !controlPattern.MatchString(id) {
			add("services.securityhub.disabledControls: %q is not a security control ID such as IAM.6", id)
		}
	}
	for _, t := range c.Services.SecurityHub.Targets {
		if t != TargetRoot && !ouPattern.MatchString(t) {
			add("services.securityhub.targets: %q is neither root nor an organizational unit ID (ou-xxxx-xxxxxxxx)", t)
		}
	}
	switch sh := c.Services.SecurityHub; sh.Configuration {
	case SecurityHubCentral:
	case SecurityHubLocal:
		// Disabled controls and targets are parts of a configuration
		// policy, which only central configuration has.
		if len(sh.DisabledControls) > 0 {
			add("services.securityhub.disabledControls is set, but configuration is local: disabled controls are part of central configuration's policy; remove them or set configuration: central")
		}
		if !slices.Equal(sh.Targets, []string{TargetRoot}) {
			add("services.securityhub.targets is %v, but configuration is local: targets are where central configuration's policy applies; remove them or set configuration: central", sh.Targets)
		}
	default:
		add("services.securityhub.configuration %q: want %s or %s", sh.Configuration, SecurityHubCentral, SecurityHubLocal)
	}
	// "UnusedAccessConfiguration", IAM Access Analyzer API Reference: 1 to 365 days.
	if d := c.Services.AccessAnalyzer.UnusedAccess.AgeDays; d < 1 || d > 365 {
		add("services.accessanalyzer.unusedAccess.ageDays %d: want 1 to 365 days", d)
	}
	if m := c.Services.Detective.Mode; !slices.Contains(DetectiveModes, m) {
		add("services.detective.mode %q: want %s", m, strings.Join(DetectiveModes, " or "))
	}
	switch c.LogIntegrity.ObjectLock {
	case ObjectLockGovernance, ObjectLockCompliance, ObjectLockOff:
	default:
		add("logIntegrity.objectLock %q: want governance, compliance or off", c.LogIntegrity.ObjectLock)
	}
	if r := c.LogIntegrity.BreakGlassRole; r != "" && !breakGlassPattern.MatchString(r) &&
		!strings.HasPrefix(r, "arn:aws:iam::"+c.Accounts.LogArchive+":role/") {
		add("logIntegrity.breakGlassRole %q: want a role name, or a role ARN of the log-archive account %s", r, c.Accounts.LogArchive)
	}
	if t := c.Tolerated(); t < 0 || t > 100 {
		add("toleratedFailurePercent %d is out of range: want 0 to 100", t)
	}
	// NaN compares false with every number: it would pass a range check.
	if t := *c.Findings.SeverityThreshold; math.IsNaN(t) || t < 0 || t > 10 {
		add("findings.severityThreshold %g is out of range: want 0 to 10", t)
	}
	for i, e := range c.Findings.EmailSubscriptions {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			add("findings.emailSubscriptions[%d] %q is not an e-mail address", i, e)
		}
	}
	for i, l := range c.Findings.SecurityHubLabels {
		if !slices.Contains(securityHubLabels, l) {
			add("findings.securityHubLabels[%d] %q: want one of %s", i, l, strings.Join(securityHubLabels, ", "))
		}
	}
	for i, e := range c.Operations.EmailSubscriptions {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			add("operations.emailSubscriptions[%d] %q is not an e-mail address", i, e)
		}
	}
	if r := c.Onboarding.ControlTowerRegion; r != "" && !KnownRegion(r) {
		add("onboarding.controlTowerRegion %q is not a known region of the aws partition", r)
	}
	if m := c.Onboarding.RoleWaitMinutes; m < 1 || m > 120 {
		add("onboarding.roleWaitMinutes %d is out of range: want 1 to 120", m)
	}
	if s := c.Reconverge.Schedule; s != "off" && !schedulePattern.MatchString(s) {
		add(`reconverge.schedule %q: want a schedule expression, rate(1 day) or cron(0 6 * * ? *), or "off"`, s)
	}
	return p
}

// UnmarshalYAML accepts "discover" or a list of region names.
func (r *Regions) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Value != "discover" {
			// A *yaml.TypeError lets the decoder go on and report the rest.
			return &yaml.TypeError{Errors: []string{fmt.Sprintf(`line %d: regions is %q: want a list of regions or "discover"`, n.Line, n.Value)}}
		}
		*r = Regions{Discover: true}
		return nil
	case yaml.SequenceNode:
		var names []string
		if err := n.Decode(&names); err != nil {
			return err
		}
		*r = Regions{Names: names}
		return nil
	}
	return &yaml.TypeError{Errors: []string{fmt.Sprintf(`line %d: regions: want a list of regions or "discover"`, n.Line)}}
}

// MarshalJSON writes "discover" or the list.
func (r Regions) MarshalJSON() ([]byte, error) {
	if r.Discover {
		return json.Marshal("discover")
	}
	return json.Marshal(r.Names)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *Regions) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		if s != "discover" {
			return fmt.Errorf(`regions is %q: want a list of regions or "discover"`, s)
		}
		*r = Regions{Discover: true}
		return nil
	}
	var names []string
	if err := json.Unmarshal(b, &names); err != nil {
		return fmt.Errorf(`regions: want a list of regions or "discover"`)
	}
	*r = Regions{Names: names}
	return nil
}

// schedulePattern is an EventBridge schedule expression ("Creating an
// Amazon EventBridge rule that runs on a schedule"): rate(value unit), the
// unit singular for 1, or cron(six fields).
var schedulePattern = regexp.MustCompile(`^(rate\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\)|cron\(\S+( \S+){5}\))$`)

// securityHubLabels are the severity labels of Security Hub findings
// ("Severity", AWS Security Finding Format).
var securityHubLabels = []string{"CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"}

// breakGlassPattern is an IAM role name (with an optional path).
var breakGlassPattern = regexp.MustCompile(`^[\w+=,.@/-]{1,512}$`)

// Security Hub's identifiers: a standard's ARN or path (the form
// EnabledStandardIdentifiers takes, "SecurityHubPolicy", AWS Security Hub
// API Reference: regional standards/..., and the global
// ruleset/cis-aws-foundations-benchmark/v/1.2.0), a security control ID
// ("SecurityControlDefinition": a service name and a number, such as
// APIGateway.3), an organizational unit ID ("OrganizationalUnit", AWS
// Organizations API Reference).
var (
	standardPattern = regexp.MustCompile(`^(arn:aws[a-z-]*:securityhub:[a-z0-9-]*::)?(standards|ruleset)/[a-z0-9-]+/v/[0-9.]+$`)
	controlPattern  = regexp.MustCompile(`^[A-Za-z0-9]+\.[0-9]+$`)
	ouPattern       = regexp.MustCompile(`^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$`)
)
