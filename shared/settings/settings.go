// Package settings reads and validates the orgbaseline configuration file.
//
// One YAML file is read by both the CDK app and the CLI. The CDK app passes
// the validated, defaults-applied configuration to each step Lambda as JSON in
// the ORGBASELINE_SETTINGS environment variable, so the Lambdas and the CLI see
// the same values. The schema is documented in docs/configuration.md and
// shown by orgbaseline.example.yaml.
package settings

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// EnvVar is the environment variable that carries the settings to a Lambda.
const EnvVar = "ORGBASELINE_SETTINGS"

// Defaults applied when a field is left out.
const (
	DefaultExecutionRoleName = "OrganizationAccountAccessRole"
	DefaultSeverityThreshold = 7.0
	// DefaultToleratedFailurePercent: one account in ten may fail its
	// per-account step before the run fails.
	DefaultToleratedFailurePercent = 10
	DefaultTrailName               = "orgbaseline-organization-trail"
	DefaultTrailRetention          = 1095 // days: three years, common practice for audit logs
	DefaultLogGroupRetention       = 365  // days
	DefaultPublishFrequency        = "FIFTEEN_MINUTES"
)

// Values of services.cloudtrail.manageFrom: the account whose credentials
// make the organization trail's CloudTrail calls.
const (
	ManageFromManagement = "management"
	ManageFromSecurity   = "security"
)

// Config is the whole configuration.
type Config struct {
	// Accounts are the three accounts the baseline is built around.
	Accounts Accounts `yaml:"accounts" json:"accounts"`
	// OrganizationID (o-...) is needed at synth time for the trail bucket's
	// policy (AWSLogs/<org-id>/*). The prerequisites step checks it.
	OrganizationID string `yaml:"organizationId" json:"organizationId"`
	// HomeRegion is where the state machines, the trail and the aggregators live.
	HomeRegion string `yaml:"homeRegion" json:"homeRegion"`
	// Regions is an explicit list, or "discover" for every region enabled
	// in the account (account:ListRegions).
	Regions Regions `yaml:"regions" json:"regions"`
	// ExecutionRoleName is the role assumed in the security, log-archive and
	// member accounts. Control Tower users set AWSControlTowerExecution.
	ExecutionRoleName string `yaml:"executionRoleName" json:"executionRoleName"`
	// ToleratedFailurePercent is the share of accounts whose per-account
	// step may fail (after its retries) without failing the run: their
	// failure is their rows, the other accounts and the organization-wide
	// steps go on. 0 fails the run at the first such account.
	ToleratedFailurePercent *int `yaml:"toleratedFailurePercent" json:"toleratedFailurePercent"`
	// LogIntegrity protects the log-archive buckets' contents.
	LogIntegrity LogIntegrity `yaml:"logIntegrity" json:"logIntegrity"`
	Services     Services     `yaml:"services" json:"services"`
	Findings     Findings     `yaml:"findings" json:"findings"`
	Operations   Operations   `yaml:"operations" json:"operations"`
	Onboarding   Onboarding   `yaml:"onboarding" json:"onboarding"`
	Reconverge   Reconverge   `yaml:"reconverge" json:"reconverge"`
	// Scope leaves accounts and organizational units out of the baseline.
	// Left out of the encoded settings when empty, so that the digest of a
	// configuration without it is what it was before the setting existed.
	Scope Scope `yaml:"scope" json:"scope,omitzero"`
}

// Reconverge configures the scheduled re-application of the baseline: a
// rule on a schedule starts the state machine over the whole organization,
// and the operations topic hears of the run only when it put drift back
// or something failed.
type Reconverge struct {
	// Schedule is an EventBridge schedule expression ("Creating an Amazon
	// EventBridge rule that runs on a schedule": rate(...) or cron(...)),
	// or "off". Default rate(1 day).
	Schedule string `yaml:"schedule" json:"schedule"`
}

// DefaultReconvergeSchedule re-applies the baseline once a day.
const DefaultReconvergeSchedule = "rate(1 day)"

// On reports whether the baseline is re-applied on a schedule.
func (r Reconverge) On() bool { return r.Schedule != "off" }

// Operations configures the operations topic: failed or timed-out
// executions of the state machines and events EventBridge could not
// deliver.
type Operations struct {
	// EmailSubscriptions are subscribed to the operations topic.
	EmailSubscriptions []string `yaml:"emailSubscriptions" json:"emailSubscriptions"`
}

// Onboarding configures how new accounts and newly enabled regions are
// applied without anyone running anything.
type Onboarding struct {
	// Enabled puts the onboarding rules in place (default true).
	Enabled *bool `yaml:"enabled" json:"enabled"`
	// ControlTowerRegion is Control Tower's home region, whose lifecycle
	// events (CreateManagedAccount, UpdateManagedAccount) arrive there:
	// when it is neither the home region nor us-east-1, a stack there
	// forwards them. Empty: the home region.
	ControlTowerRegion string `yaml:"controlTowerRegion" json:"controlTowerRegion"`
	// RoleWaitMinutes bounds how long onboarding waits for the execution
	// role of a new account to be assumable (default 15).
	RoleWaitMinutes int `yaml:"roleWaitMinutes" json:"roleWaitMinutes"`
}

// On reports whether onboarding is on.
func (o Onboarding) On() bool { return o.Enabled == nil || *o.Enabled }

// DefaultRoleWaitMinutes is how long onboarding waits for a new account's
// execution role unless configured.
const DefaultRoleWaitMinutes = 15

// Object Lock modes of logIntegrity.objectLock ("Locking objects with
// Object Lock", Amazon S3 User Guide), and off.
const (
	ObjectLockGovernance = "governance"
	ObjectLockCompliance = "compliance"
	ObjectLockOff        = "off"
)

// LogIntegrity protects the log-archive buckets' contents: S3 Object Lock
// on the trail bucket (the writers of the other buckets do not allow it),
// and on every log bucket a deny of deletion and of changes to the
// protections, except for the role that deploys the stack and BreakGlassRole.
type LogIntegrity struct {
	// ObjectLock is the trail bucket's default retention mode: governance
	// (the default), compliance or off. The period is the trail's
	// retentionDays.
	ObjectLock string `yaml:"objectLock" json:"objectLock"`
	// BreakGlassRole is a role of the log-archive account (its name, or its
	// ARN) that may still delete log files and change the protections.
	BreakGlassRole string `yaml:"breakGlassRole" json:"breakGlassRole,omitempty"`
}

// LogAdmins are the principals the log buckets' deny does not apply to, as
// aws:PrincipalArn patterns: the CloudFormation execution role the CDK
// bootstrap makes in the log-archive account (it deploys the stack: any
// qualifier, "Bootstrapping your environment for use with the AWS CDK"),
// and the break-glass role.
func (c Config) LogAdmins() []string {
	out := []string{fmt.Sprintf("arn:aws:iam::%s:role/cdk-*-cfn-exec-role-%s-*", c.Accounts.LogArchive, c.Accounts.LogArchive)}
	if r := c.LogIntegrity.BreakGlassRole; r != "" {
		if !strings.HasPrefix(r, "arn:") {
			r = fmt.Sprintf("arn:aws:iam::%s:role/%s", c.Accounts.LogArchive, r)
		}
		out = append(out, r)
	}
	return out
}

// Tolerated is ToleratedFailurePercent, or its default when unset.
func (c Config) Tolerated() int {
	if c.ToleratedFailurePercent == nil {
		return DefaultToleratedFailurePercent
	}
	return *c.ToleratedFailurePercent
}

// Accounts holds the account IDs.
type Accounts struct {
	Management string `yaml:"management" json:"management"`
	Security   string `yaml:"security" json:"security"`
	LogArchive string `yaml:"logArchive" json:"logArchive"`
}

// Regions is either a list of region names or Discover.
type Regions struct {
	Discover bool
	Names    []string
}

// Services holds the per-service switches and options.
type Services struct {
	CloudTrail     CloudTrailOptions     `yaml:"cloudtrail" json:"cloudtrail"`
	Config         ConfigOptions         `yaml:"config" json:"config"`
	GuardDuty      GuardDutyOptions      `yaml:"guardduty" json:"guardduty"`
	SecurityHub    SecurityHubOptions    `yaml:"securityhub" json:"securityhub"`
	AccessAnalyzer AccessAnalyzerOptions `yaml:"accessanalyzer" json:"accessanalyzer"`
	Detective      DetectiveOptions      `yaml:"detective" json:"detective"`
	Health         HealthOptions         `yaml:"health" json:"health"`
}

// DetectiveOptions configures Amazon Detective.
type DetectiveOptions struct {
	Enabled *bool `yaml:"enabled" json:"enabled"`
	// Mode is how the organization's accounts join the security account's
	// behavior graph: DetectiveOrganization (default: the security account
	// is the organization's Detective administrator and enables them) or
	// DetectiveInvitation (the security account's own graph invites them,
	// and each accepts through the execution role).
	Mode string `yaml:"mode" json:"mode"`
}

// Values of services.detective.mode.
const (
	DetectiveOrganization = "organization"
	DetectiveInvitation   = "invitation"
)

// DetectiveModes are the values services.detective.mode takes.
var DetectiveModes = []string{DetectiveOrganization, DetectiveInvitation}

// Invitation reports whether Detective runs in invitation mode.
func (o DetectiveOptions) Invitation() bool { return o.Mode == DetectiveInvitation }

// CloudTrailOptions configures the organization trail.
type CloudTrailOptions struct {
	Enabled *bool `yaml:"enabled" json:"enabled"`
	// TrailName is the name of the organization trail.
	TrailName string `yaml:"trailName" json:"trailName"`
	// DelegatedAdmin registers the security account as CloudTrail delegated
	// administrator (cloudtrail:RegisterOrganizationDelegatedAdmin).
	DelegatedAdmin bool `yaml:"delegatedAdmin" json:"delegatedAdmin"`
	// ManageFrom is the account the organization trail is managed from:
	// ManageFromManagement (default) or ManageFromSecurity, the CloudTrail
	// delegated administrator, which needs DelegatedAdmin. The trail's
	// CloudWatch Logs log group and delivery role live in that account:
	// CloudTrail takes the role only from a caller that may pass it
	// (iam:PassRole), and a principal passes only roles of its own account.
	ManageFrom string `yaml:"manageFrom" json:"manageFrom"`
	// KMSEncryption encrypts the trail's log files with the security
	// account's key (default true). Off, the trail has no key and the bucket
	// uses SSE-S3 — what `orgbaseline rollback trail-encryption` does once.
	KMSEncryption *bool `yaml:"kmsEncryption" json:"kmsEncryption"`
	// RetentionDays is how long the trail bucket keeps log files.
	RetentionDays int `yaml:"retentionDays" json:"retentionDays"`
	// OrganizationRead lets every principal of the organization read the
	// trail bucket (s3:GetObject, s3:ListBucket with aws:PrincipalOrgID).
	OrganizationRead bool `yaml:"organizationRead" json:"organizationRead"`
	// CloudWatchLogs also delivers the trail to a log group.
	CloudWatchLogs CloudWatchLogsOptions `yaml:"cloudWatchLogs" json:"cloudWatchLogs"`
	// DataEvents records S3 object-level and Lambda invoke events.
	DataEvents DataEventsOptions `yaml:"dataEvents" json:"dataEvents"`
	// Insights records API call-rate and error-rate Insights events.
	Insights bool `yaml:"insights" json:"insights"`
	// AlongsideControlTower creates the trail even where AWS Control
	// Tower's organization trail (ControlTowerPrefix) already records the
	// organization; off (the default), the trail step finds it and changes
	// nothing, since a second organization trail is charged for a second
	// copy of the management events.
	AlongsideControlTower bool `yaml:"alongsideControlTower" json:"alongsideControlTower"`
}

// ManagedFromSecurity reports whether the trail is managed from the
// security account.
func (o CloudTrailOptions) ManagedFromSecurity() bool { return o.ManageFrom == ManageFromSecurity }

// Encrypted reports whether the trail is to be encrypted with the key.
func (o CloudTrailOptions) Encrypted() bool { return o.KMSEncryption == nil || *o.KMSEncryption }

// CloudWatchLogsOptions configures the trail's delivery to CloudWatch Logs.
type CloudWatchLogsOptions struct {
	Enabled       bool `yaml:"enabled" json:"enabled"`
	RetentionDays int  `yaml:"retentionDays" json:"retentionDays"`
}

// DataEventsOptions selects the trail's data events.
type DataEventsOptions struct {
	S3     bool `yaml:"s3" json:"s3"`
	Lambda bool `yaml:"lambda" json:"lambda"`
}

// GuardDutyOptions configures GuardDuty.
type GuardDutyOptions struct {
	Enabled *bool `yaml:"enabled" json:"enabled"`
	// FindingPublishingFrequency is FIFTEEN_MINUTES, ONE_HOUR or SIX_HOURS.
	FindingPublishingFrequency string            `yaml:"findingPublishingFrequency" json:"findingPublishingFrequency"`
	Features                   GuardDutyFeatures `yaml:"features" json:"features"`
	// ExportFindings exports the findings of every region to a bucket in
	// the log-archive account, encrypted with a key of the security
	// account (a publishing destination of each region's detector).
	ExportFindings bool `yaml:"exportFindings" json:"exportFindings"`
}

// GuardDutyFeatures are the protection plans. S3 data events are on unless
// switched off; the others are off unless switched on.
type GuardDutyFeatures struct {
	S3DataEvents         *bool `yaml:"s3DataEvents" json:"s3DataEvents"`
	EKSAuditLogs         bool  `yaml:"eksAuditLogs" json:"eksAuditLogs"`
	EBSMalwareProtection bool  `yaml:"ebsMalwareProtection" json:"ebsMalwareProtection"`
	RDSLoginEvents       bool  `yaml:"rdsLoginEvents" json:"rdsLoginEvents"`
	LambdaNetworkLogs    bool  `yaml:"lambdaNetworkLogs" json:"lambdaNetworkLogs"`
	RuntimeMonitoring    bool  `yaml:"runtimeMonitoring" json:"runtimeMonitoring"`
}

// SecurityHubOptions configures Security Hub (the securityhub API, Security
// Hub CSPM): with central configuration (the default), one configuration
// policy, set from the delegated administrator in the home region, for the
// organization; with local configuration, the organization configuration
// of each region (new accounts join by themselves), the run's accounts as
// members, and the standards enabled in each account and region.
type SecurityHubOptions struct {
	Enabled *bool `yaml:"enabled" json:"enabled"`
	// Configuration is how the organization is configured: "central"
	// (the default) or "local" ("Understanding central configuration in
	// Security Hub CSPM"; OrganizationConfiguration, AWS Security Hub API
	// Reference: CENTRAL | LOCAL). Local configuration takes no
	// disabledControls nor targets: they are parts of a configuration
	// policy.
	Configuration string `yaml:"configuration" json:"configuration"`
	// Standards the policy enables: a standard's ARN, or its path
	// ("standards/aws-foundational-security-best-practices/v/1.0.0",
	// "ruleset/cis-aws-foundations-benchmark/v/1.2.0"), which the home
	// region completes. Left out: AWS Foundational Security Best
	// Practices; [] for none.
	Standards []string `yaml:"standards" json:"standards"`
	// DisabledControls are security control IDs ("IAM.6") the policy
	// turns off; every other control is on, new ones included.
	DisabledControls []string `yaml:"disabledControls" json:"disabledControls"`
	// Targets are where the policy applies: "root" (the default, the
	// whole organization) or organizational unit IDs.
	Targets []string `yaml:"targets" json:"targets"`
}

// DefaultStandard is the standard the Security Hub policy enables when the
// configuration names none: AWS Foundational Security Best Practices.
const DefaultStandard = "standards/aws-foundational-security-best-practices/v/1.0.0"

// TargetRoot names the organization's root as a policy target.
const TargetRoot = "root"

// Values of services.securityhub.configuration.
const (
	SecurityHubCentral = "central"
	SecurityHubLocal   = "local"
)

// Local reports whether Security Hub is configured with local
// configuration.
func (o SecurityHubOptions) Local() bool { return o.Configuration == SecurityHubLocal }

// AccessAnalyzerOptions configures IAM Access Analyzer.
type AccessAnalyzerOptions struct {
	Enabled *bool `yaml:"enabled" json:"enabled"`
	// AccountAnalyzers puts an ACCOUNT analyzer (external access within
	// the account's zone of trust, so sharing between the organization's
	// own accounts shows) in every account and region (default true).
	AccountAnalyzers *bool `yaml:"accountAnalyzers" json:"accountAnalyzers"`
	// UnusedAccess adds an ORGANIZATION_UNUSED_ACCESS analyzer in the
	// security account in every region: charged per IAM role and user
	// analyzed each month, so off unless switched on.
	UnusedAccess UnusedAccessOptions `yaml:"unusedAccess" json:"unusedAccess"`
}

// WantsAccountAnalyzers reports whether every account gets an ACCOUNT
// analyzer in every region (accountAnalyzers, true when left out).
func (o AccessAnalyzerOptions) WantsAccountAnalyzers() bool {
	return o.AccountAnalyzers == nil || *o.AccountAnalyzers
}

// UnusedAccessOptions configures the unused-access analyzer.
type UnusedAccessOptions struct {
	Enabled bool `yaml:"enabled" json:"enabled"`
	// AgeDays: access unused for longer is reported (1 to 365).
	AgeDays int `yaml:"ageDays" json:"ageDays"`
}

// DefaultUnusedAccessAge is the unused-access analyzer's age in days when
// the configuration gives none.
const DefaultUnusedAccessAge = 90

// HealthOptions configures the AWS Health organizational view.
type HealthOptions struct {
	Enabled *bool `yaml:"enabled" json:"enabled"`
	// DelegatedAdmin registers the security account as Health delegated
	// administrator (default true).
	DelegatedAdmin *bool `yaml:"delegatedAdmin" json:"delegatedAdmin"`
}

// WantsDelegatedAdmin reports whether the security account is to be
// Health's delegated administrator (delegatedAdmin, true when left out).
func (o HealthOptions) WantsDelegatedAdmin() bool {
	return o.DelegatedAdmin == nil || *o.DelegatedAdmin
}

// Findings configures finding notifications.
type Findings struct {
	// SeverityThreshold: GuardDuty findings at or above it reach the topic.
	SeverityThreshold *float64 `yaml:"severityThreshold" json:"severityThreshold"`
	// EmailSubscriptions are subscribed to the findings topic.
	EmailSubscriptions []string `yaml:"emailSubscriptions" json:"emailSubscriptions"`
	// SecurityHubLabels also sends Security Hub's new, active findings
	// with these severity labels (CRITICAL, HIGH, MEDIUM, LOW,
	// INFORMATIONAL); none by default.
	SecurityHubLabels []string `yaml:"securityHubLabels" json:"securityHubLabels"`
	// HealthEvents also sends AWS Health events.
	HealthEvents bool `yaml:"healthEvents" json:"healthEvents"`
}

// Error lists every problem found in a configuration.
type Error struct {
	Source   string
	Problems []string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problem(s):", e.Source, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p)
	}
	return b.String()
}

// MaxFileBytes bounds a configuration file: a configuration is a few
// kilobytes, and a larger input (a wrong path, /dev/zero) is refused
// instead of read without end.
const MaxFileBytes = 1 << 20

// LoadFile reads, defaults and validates the configuration file at path. It
// reads regular files only: a FIFO or a device could block or never end.
func LoadFile(path string) (Config, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Config{}, fmt.Errorf("read configuration: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return Config{}, fmt.Errorf("read configuration: %s is not a regular file (%s)", path, fi.Mode().Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("read configuration: %w", err)
	}
	defer f.Close()
	c, err := Load(path, f)
	if err != nil {
		return c, err
	}
	// Template files are read where the configuration is, at synth time;
	// the step reads the copy bundled with it.
	if p := c.Services.Config.resolveTemplateFiles(filepath.Dir(path)); len(p) > 0 {
		return Config{}, &Error{Source: path, Problems: p}
	}
	return c, nil
}

// Load reads, defaults and validates a YAML configuration. source names it
// in errors. Every problem is reported at once, in one *Error.
func Load(source string, r io.Reader) (Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return Config{}, fmt.Errorf("read %s: %w", source, err)
	}
	if len(data) > MaxFileBytes {
		return Config{}, &Error{Source: source, Problems: []string{fmt.Sprintf("the file is over %d KiB: a configuration is a few kilobytes; is it the right file?", MaxFileBytes>>10)}}
	}
	var c Config
	var problems []string
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		var te *yaml.TypeError
		switch {
		case errors.As(err, &te):
			// The decoder went on past these; report them with the rest.
			for _, m := range te.Errors {
				problems = append(problems, cleanYAMLError(m))
			}
		case errors.Is(err, io.EOF):
			problems = append(problems, "the file is empty")
		default:
			return Config{}, &Error{Source: source, Problems: []string{cleanYAMLError(err.Error())}}
		}
	}
	if more := dec.Decode(new(yaml.Node)); !errors.Is(more, io.EOF) {
		problems = append(problems, "the file holds more than one YAML document (a --- line): orgbaseline reads one configuration; remove the others")
	}
	c.applyDefaults()
	problems = append(problems, c.problems()...)
	if len(problems) > 0 {
		for i := range problems {
			problems[i] = truncate(problems[i])
		}
		return Config{}, &Error{Source: source, Problems: problems}
	}
	return c, nil
}

// maxProblemBytes bounds one problem's text: a value quoted in it may be
// as long as the file.
const maxProblemBytes = 600

// truncate shortens a problem to maxProblemBytes, saying how much was left
// out.
func truncate(p string) string {
	if len(p) <= maxProblemBytes {
		return p
	}
	cut := maxProblemBytes
	for cut > 0 && !utf8.RuneStart(p[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d more bytes)", p[:cut], len(p)-cut)
}

func cleanYAMLError(s string) string {
	s = strings.TrimPrefix(s, "yaml: ")
	// "field x not found in type settings.Accounts" names a Go type; say what
	// the user can act on.
	if i := strings.Index(s, " not found in type "); i >= 0 {
		s = s[:i] + " is not a known setting"
	}
	// "cannot unmarshal !!seq into settings.Accounts" and the like: say
	// what the setting wants, in the configuration's terms.
	if m := unmarshalError.FindStringSubmatch(s); m != nil {
		s = strings.Replace(s, m[0], "found "+yamlKinds[m[1]]+" where "+goKind(m[2])+" belongs", 1)
	}
	return s
}

// unmarshalError matches the YAML decoder's "cannot unmarshal !!<tag>
// [`value`] into <Go type>".
var unmarshalError = regexp.MustCompile("cannot unmarshal (!!\\w+)(?: `[^`]*`)? into ([\\w.\\[\\]*]+)")

// yamlKinds names YAML's tags in plain words.
var yamlKinds = map[string]string{
	"!!seq": "a list", "!!map": "a mapping", "!!str": "a string", "!!int": "a number",
	"!!float": "a number", "!!bool": "true or false", "!!null": "nothing", "!!binary": "binary data",
}

// goKind names what a Go type holds, in the configuration's terms.
func goKind(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["):
		return "a mapping"
	case strings.Contains(t, "."):
		return "a mapping of settings"
	case t == "string":
		return "a string"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"), strings.HasPrefix(t, "float"):
		return "a number"
	}
	return "another kind of value"
}

func (c *Config) applyDefaults() {
	if c.ExecutionRoleName == "" {
		c.ExecutionRoleName = DefaultExecutionRoleName
	}
	if c.ToleratedFailurePercent == nil {
		c.ToleratedFailurePercent = ptr(DefaultToleratedFailurePercent)
	}
	if c.LogIntegrity.ObjectLock == "" {
		c.LogIntegrity.ObjectLock = ObjectLockGovernance
	}
	if c.Findings.SeverityThreshold == nil {
		v := DefaultSeverityThreshold
		c.Findings.SeverityThreshold = &v
	}
	if c.Onboarding.RoleWaitMinutes == 0 {
		c.Onboarding.RoleWaitMinutes = DefaultRoleWaitMinutes
	}
	if c.Reconverge.Schedule == "" {
		c.Reconverge.Schedule = DefaultReconvergeSchedule
	}
	if c.Services.CloudTrail.TrailName == "" {
		c.Services.CloudTrail.TrailName = DefaultTrailName
	}
	if c.Services.CloudTrail.ManageFrom == "" {
		c.Services.CloudTrail.ManageFrom = ManageFromManagement
	}
	if c.Services.CloudTrail.KMSEncryption == nil {
		c.Services.CloudTrail.KMSEncryption = ptr(true)
	}
	if c.Services.CloudTrail.RetentionDays == 0 {
		c.Services.CloudTrail.RetentionDays = DefaultTrailRetention
	}
	if c.Services.CloudTrail.CloudWatchLogs.RetentionDays == 0 {
		c.Services.CloudTrail.CloudWatchLogs.RetentionDays = DefaultLogGroupRetention
	}
	if c.Services.GuardDuty.FindingPublishingFrequency == "" {
		c.Services.GuardDuty.FindingPublishingFrequency = DefaultPublishFrequency
	}
	if c.Services.GuardDuty.Features.S3DataEvents == nil {
		c.Services.GuardDuty.Features.S3DataEvents = ptr(true)
	}
	c.Services.Config.applyDefaults()
	c.Scope.applyDefaults()
	if c.Services.SecurityHub.Standards == nil {
		c.Services.SecurityHub.Standards = []string{DefaultStandard}
	}
	if len(c.Services.SecurityHub.Targets) == 0 {
		c.Services.SecurityHub.Targets = []string{TargetRoot}
	}
	if c.Services.SecurityHub.Configuration == "" {
		c.Services.SecurityHub.Configuration = SecurityHubCentral
	}
	if c.Services.AccessAnalyzer.UnusedAccess.AgeDays == 0 {
		c.Services.AccessAnalyzer.UnusedAccess.AgeDays = DefaultUnusedAccessAge
	}
	if c.Services.Detective.Mode == "" {
		c.Services.Detective.Mode = DetectiveOrganization
	}
	if c.Services.Health.DelegatedAdmin == nil {
		c.Services.Health.DelegatedAdmin = ptr(true)
	}
	for _, s := range Catalog {
		if p := c.switchOf(s.Name); *p == nil {
			*p = ptr(s.EnabledByDefault)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func (c *Config) switchOf(service string) **bool {
	switch service {
	case ServiceCloudTrail:
		return &c.Services.CloudTrail.Enabled
	case ServiceConfig:
		return &c.Services.Config.Enabled
	case ServiceGuardDuty:
		return &c.Services.GuardDuty.Enabled
	case ServiceSecurityHub:
		return &c.Services.SecurityHub.Enabled
	case ServiceAccessAnalyzer:
		return &c.Services.AccessAnalyzer.Enabled
	case ServiceDetective:
		return &c.Services.Detective.Enabled
	case ServiceHealth:
		return &c.Services.Health.Enabled
	}
	panic("settings: unknown service " + service)
}

// Enabled reports whether a service of the catalog is switched on.
func (c Config) Enabled(service string) bool {
	if _, ok := LookupService(service); !ok {
		return false
	}
	p := *c.switchOf(service)
	return p != nil && *p
}

// EnabledServices returns the enabled services, in catalog order.
func (c Config) EnabledServices() []string {
	var out []string
	for _, s := range Catalog {
		if c.Enabled(s.Name) {
			out = append(out, s.Name)
		}
	}
	return out
}

// Encode returns the configuration as the compact JSON a Lambda receives.
func (c Config) Encode() (string, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode settings: %w", err)
	}
	return string(b), nil
}

// Digest identifies the configuration: the SHA-256 of Encode, in hex. The
// management stack outputs the digest of the configuration it was
// deployed with, and the CLI compares it with the file it is given.
func (c Config) Digest() (string, error) {
	enc, err := c.Encode()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(enc))
	return hex.EncodeToString(sum[:]), nil
}

// Decode reads the JSON made by Encode and validates it again.
func Decode(source, s string) (Config, error) {
	var c Config
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, &Error{Source: source, Problems: []string{err.Error()}}
	}
	c.applyDefaults()
	if p := c.problems(); len(p) > 0 {
		return Config{}, &Error{Source: source, Problems: p}
	}
	return c, nil
}

// FromEnv reads the settings a Lambda was given in EnvVar.
func FromEnv() (Config, error) {
	s, ok := os.LookupEnv(EnvVar)
	if !ok || s == "" {
		return Config{}, &Error{Source: "environment", Problems: []string{EnvVar + " is not set"}}
	}
	return Decode(EnvVar, s)
}
