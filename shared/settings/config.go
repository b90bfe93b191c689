package settings

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// ConfigOptions configures AWS Config: a recorder and delivery channel in
// every account and region, delivering to the log-archive account; an
// organization aggregator in the security account; organization rules and
// conformance packs from the security account (the delegated
// administrator).
type ConfigOptions struct {
	Enabled *bool `yaml:"enabled" json:"enabled"`
	// RecorderName names the recorder where an account and region has none.
	// An existing recorder keeps its name (an account may have one
	// recorder per region; Control Tower's is
	// aws-controltower-BaselineConfigRecorder).
	RecorderName string `yaml:"recorderName" json:"recorderName"`
	// DeliveryChannelName names the delivery channel where there is none;
	// an existing channel keeps its name.
	DeliveryChannelName string `yaml:"deliveryChannelName" json:"deliveryChannelName"`
	// RecordingFrequency is CONTINUOUS (default) or DAILY, which records
	// fewer configuration items and costs less.
	RecordingFrequency string `yaml:"recordingFrequency" json:"recordingFrequency"`
	// SnapshotFrequency is how often a configuration snapshot is delivered:
	// One_Hour, Three_Hours, Six_Hours, Twelve_Hours or TwentyFour_Hours.
	SnapshotFrequency string `yaml:"snapshotFrequency" json:"snapshotFrequency"`
	// KMSEncryption encrypts what Config delivers with the security
	// account's Config key (default true); off, the bucket's SSE-S3 applies.
	KMSEncryption *bool `yaml:"kmsEncryption" json:"kmsEncryption"`
	// RetentionDays is how long the delivery bucket keeps what Config
	// delivers.
	RetentionDays int `yaml:"retentionDays" json:"retentionDays"`
	// AggregatorName names the organization aggregator in the security
	// account.
	AggregatorName string `yaml:"aggregatorName" json:"aggregatorName"`
	// Rules are organization config rules (AWS managed rules). Left out,
	// DefaultConfigRules applies; an empty list means none.
	Rules []ConfigRule `yaml:"rules" json:"rules"`
	// ConformancePacks are organization conformance packs.
	ConformancePacks []ConformancePack `yaml:"conformancePacks" json:"conformancePacks,omitempty"`
}

// Encrypted reports whether Config deliveries are encrypted with the key.
func (o ConfigOptions) Encrypted() bool { return o.KMSEncryption == nil || *o.KMSEncryption }

// ConfigRule is an organization config rule built on an AWS managed rule.
type ConfigRule struct {
	// Name is the organization rule's name (1-64 letters, digits, - or _).
	Name string `yaml:"name" json:"name"`
	// Identifier is the managed rule's identifier, e.g.
	// GUARDDUTY_ENABLED_CENTRALIZED.
	Identifier string `yaml:"identifier" json:"identifier"`
	// InputParameters are the rule's parameters. For
	// GUARDDUTY_ENABLED_CENTRALIZED, CentralMonitoringAccount defaults to
	// the security account.
	InputParameters map[string]string `yaml:"inputParameters" json:"inputParameters,omitempty"`
	// MaximumExecutionFrequency is for periodic rules: One_Hour,
	// Three_Hours, Six_Hours, Twelve_Hours or TwentyFour_Hours.
	MaximumExecutionFrequency string `yaml:"maximumExecutionFrequency" json:"maximumExecutionFrequency,omitempty"`
	// ExcludedAccounts are left out of the rule.
	ExcludedAccounts []string `yaml:"excludedAccounts" json:"excludedAccounts,omitempty"`
}

// ConformancePack is an organization conformance pack. Its template comes
// from a file in the repository (TemplateFile, bundled with the step) or
// from S3 (TemplateS3URI): exactly one of them.
type ConformancePack struct {
	// Name is the pack's name (a letter, then letters, digits or -; at most
	// 128).
	Name string `yaml:"name" json:"name"`
	// TemplateFile is a template file, relative to the configuration file.
	// LoadFile makes it absolute. At most MaxTemplateBodyBytes.
	TemplateFile string `yaml:"templateFile" json:"templateFile,omitempty"`
	// TemplateS3URI is s3://bucket/key of the template, readable by the
	// security account. AWS Config reads a pack's template from a bucket in
	// the region it puts the pack in, so for a run over more than the home
	// region the bucket name holds RegionPlaceholder, and each region has a
	// bucket with a copy of the template (see TemplateS3URIIn); without it,
	// the bucket is in the home region and the run covers no other.
	TemplateS3URI string `yaml:"templateS3Uri" json:"templateS3Uri,omitempty"`
	// DeliveryBucket optionally receives the pack's results; its name must
	// start with awsconfigconforms.
	DeliveryBucket string `yaml:"deliveryBucket" json:"deliveryBucket,omitempty"`
	// InputParameters are the template's parameters.
	InputParameters map[string]string `yaml:"inputParameters" json:"inputParameters,omitempty"`
	// ExcludedAccounts are left out of the pack.
	ExcludedAccounts []string `yaml:"excludedAccounts" json:"excludedAccounts,omitempty"`
}

// RegionPlaceholder in a pack's templateS3Uri stands for the region the pack
// is put in.
const RegionPlaceholder = "{region}"

// TemplateS3URIIn is the pack's templateS3Uri for region: RegionPlaceholder
// replaced by region. PutConformancePack's TemplateS3Uri "must point to a
// conformance pack template (max size: 300 KB) that is located in an Amazon
// S3 bucket in the same Region as the conformance pack" (AWS Config API
// Reference). PutOrganizationConformancePack's reference, which "deploys
// conformance packs across member accounts", does not repeat the Region
// part; the same rule is applied to it.
func (p ConformancePack) TemplateS3URIIn(region string) string {
	return strings.ReplaceAll(p.TemplateS3URI, RegionPlaceholder, region)
}

// Config defaults.
const (
	DefaultRecorderName        = "default"
	DefaultDeliveryChannelName = "default"
	DefaultRecordingFrequency  = "CONTINUOUS"
	DefaultSnapshotFrequency   = "TwentyFour_Hours"
	DefaultConfigRetention     = 1095
	DefaultAggregatorName      = "orgbaseline-organization"
	// GuardDutyCentralizedRule is the managed rule that checks GuardDuty is
	// on and centrally managed.
	GuardDutyCentralizedRule = "GUARDDUTY_ENABLED_CENTRALIZED"
	// CentralMonitoringAccountParam is GuardDutyCentralizedRule's parameter
	// naming the GuardDuty administrator account.
	CentralMonitoringAccountParam = "CentralMonitoringAccount"
	// MaxTemplateBodyBytes is the largest TemplateBody
	// PutOrganizationConformancePack takes.
	MaxTemplateBodyBytes = 51200
)

// DefaultConfigRules are the organization rules when services.config.rules
// is left out: GuardDuty enabled and centrally managed, with the security
// account as the central monitoring account (see Config.ConfigRules).
func DefaultConfigRules() []ConfigRule {
	return []ConfigRule{{Name: "orgbaseline-guardduty-enabled-centralized", Identifier: GuardDutyCentralizedRule}}
}

var (
	recordingFrequencies = []string{"CONTINUOUS", "DAILY"}
	// Config's MaximumExecutionFrequency values, also used for snapshots.
	configFrequencies = []string{"One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours"}
	// Recorder and delivery channel names: 1-256 characters.
	configNamePattern = regexp.MustCompile(`^\S{1,256}$`)
	// Organization config rule names.
	orgRuleNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	// Managed rule identifiers.
	ruleIdentifierPattern = regexp.MustCompile(`^[A-Z0-9_]{1,256}$`)
	// Organization conformance pack names.
	packNamePattern = regexp.MustCompile(`^[a-zA-Z][-a-zA-Z0-9]{0,127}$`)
	// Aggregator names.
	aggregatorNamePattern = regexp.MustCompile(`^[\w\-]{1,256}$`)
	// S3 URIs of a template.
	templateURIPattern = regexp.MustCompile(`^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+`)
)

func (o *ConfigOptions) applyDefaults() {
	if o.RecorderName == "" {
		o.RecorderName = DefaultRecorderName
	}
	if o.DeliveryChannelName == "" {
		o.DeliveryChannelName = DefaultDeliveryChannelName
	}
	if o.RecordingFrequency == "" {
		o.RecordingFrequency = DefaultRecordingFrequency
	}
	if o.SnapshotFrequency == "" {
		o.SnapshotFrequency = DefaultSnapshotFrequency
	}
	if o.KMSEncryption == nil {
		o.KMSEncryption = ptr(true)
	}
	if o.RetentionDays == 0 {
		o.RetentionDays = DefaultConfigRetention
	}
	if o.AggregatorName == "" {
		o.AggregatorName = DefaultAggregatorName
	}
	if o.Rules == nil {
		o.Rules = DefaultConfigRules()
	}
	// Empty lists and maps are left out of the encoded settings; make them
	// nil here so that a configuration reads the same from its YAML and
	// from the JSON a Lambda is given. (An empty rules list stays: it
	// means no rules, where a missing one means the default.)
	if len(o.ConformancePacks) == 0 {
		o.ConformancePacks = nil
	}
	for i := range o.Rules {
		o.Rules[i].InputParameters = nilIfEmptyMap(o.Rules[i].InputParameters)
		o.Rules[i].ExcludedAccounts = nilIfEmpty(o.Rules[i].ExcludedAccounts)
	}
	for i := range o.ConformancePacks {
		o.ConformancePacks[i].InputParameters = nilIfEmptyMap(o.ConformancePacks[i].InputParameters)
		o.ConformancePacks[i].ExcludedAccounts = nilIfEmpty(o.ConformancePacks[i].ExcludedAccounts)
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func nilIfEmptyMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

func (o ConfigOptions) problems() []string {
	var p []string
	add := func(format string, a ...any) { p = append(p, fmt.Sprintf(format, a...)) }
	const at = "services.config."
	if !configNamePattern.MatchString(o.RecorderName) {
		add(at+"recorderName %q: want 1-256 characters without spaces", o.RecorderName)
	}
	if !configNamePattern.MatchString(o.DeliveryChannelName) {
		add(at+"deliveryChannelName %q: want 1-256 characters without spaces", o.DeliveryChannelName)
	}
	if !slices.Contains(recordingFrequencies, o.RecordingFrequency) {
		add(at+"recordingFrequency %q: want one of %s", o.RecordingFrequency, strings.Join(recordingFrequencies, ", "))
	}
	if !slices.Contains(configFrequencies, o.SnapshotFrequency) {
		add(at+"snapshotFrequency %q: want one of %s", o.SnapshotFrequency, strings.Join(configFrequencies, ", "))
	}
	if d := o.RetentionDays; d < 1 || d > 36500 {
		add(at+"retentionDays %d: want 1 to 36500 days", d)
	}
	if !aggregatorNamePattern.MatchString(o.AggregatorName) {
		add(at+"aggregatorName %q: want 1-256 letters, digits, _ or -", o.AggregatorName)
	}
	excluded := func(field string, ids []string) {
		for j, id := range ids {
			if !accountIDPattern.MatchString(id) {
				add("%s.excludedAccounts[%d] %q: an account ID is 12 digits", field, j, id)
			}
		}
	}
	names := map[string]bool{}
	for i, r := range o.Rules {
		field := fmt.Sprintf(at+"rules[%d]", i)
		switch {
		case !orgRuleNamePattern.MatchString(r.Name):
			add("%s.name %q: want 1-64 letters, digits, - or _", field, r.Name)
		case names[r.Name]:
			add("%s.name %q is used by an earlier rule", field, r.Name)
		}
		names[r.Name] = true
		if !ruleIdentifierPattern.MatchString(r.Identifier) {
			add("%s.identifier %q: give an AWS managed rule identifier, e.g. %s", field, r.Identifier, GuardDutyCentralizedRule)
		}
		if f := r.MaximumExecutionFrequency; f != "" && !slices.Contains(configFrequencies, f) {
			add("%s.maximumExecutionFrequency %q: want one of %s", field, f, strings.Join(configFrequencies, ", "))
		}
		excluded(field, r.ExcludedAccounts)
	}
	packs := map[string]bool{}
	for i, c := range o.ConformancePacks {
		field := fmt.Sprintf(at+"conformancePacks[%d]", i)
		switch {
		case !packNamePattern.MatchString(c.Name):
			add("%s.name %q: want a letter, then letters, digits or - (at most 128)", field, c.Name)
		case packs[c.Name]:
			add("%s.name %q is used by an earlier pack", field, c.Name)
		}
		packs[c.Name] = true
		switch {
		case c.TemplateFile == "" && c.TemplateS3URI == "":
			add("%s: give templateFile or templateS3Uri", field)
		case c.TemplateFile != "" && c.TemplateS3URI != "":
			add("%s: give templateFile or templateS3Uri, not both", field)
		}
		if b := c.DeliveryBucket; b != "" && !strings.HasPrefix(b, "awsconfigconforms") {
			add("%s.deliveryBucket %q: Config requires a name that starts with awsconfigconforms", field, b)
		}
		excluded(field, c.ExcludedAccounts)
	}
	return p
}

// packTemplateProblems checks each pack's templateS3Uri against the regions
// the configuration runs in (every known region with "discover"): it must
// be s3://bucket/key in each of them, and with any region but the home
// region, the bucket name must hold RegionPlaceholder: a bucket is in one
// region, and AWS Config reads the template from a bucket in the pack's.
func (c Config) packTemplateProblems() []string {
	regions := c.Regions.Names
	if c.Regions.Discover {
		regions = KnownRegions()
	}
	otherRegions := slices.ContainsFunc(regions, func(r string) bool { return r != c.HomeRegion })
	var p []string
	for i, pack := range c.Services.Config.ConformancePacks {
		uri := pack.TemplateS3URI
		if uri == "" || pack.TemplateFile != "" {
			continue
		}
		field := fmt.Sprintf("services.config.conformancePacks[%d].templateS3Uri %q", i, uri)
		bucket, _, _ := strings.Cut(strings.TrimPrefix(uri, "s3://"), "/")
		bad := slices.IndexFunc(regions, func(r string) bool { return !templateURIPattern.MatchString(pack.TemplateS3URIIn(r)) })
		switch {
		case !strings.Contains(uri, RegionPlaceholder) && !templateURIPattern.MatchString(uri):
			p = append(p, field+": want s3://bucket/key")
		case bad >= 0:
			p = append(p, fmt.Sprintf("%s: in %s it is %q; want s3://bucket/key, the bucket name at most 63 lowercase letters, digits, '.' or '-'",
				field, regions[bad], pack.TemplateS3URIIn(regions[bad])))
		case otherRegions && !strings.Contains(bucket, RegionPlaceholder):
			p = append(p, fmt.Sprintf("%s names one bucket, but AWS Config reads a conformance pack's template from a bucket in the pack's region, "+
				"and the configuration has regions other than the home region %s: put %s in the bucket name (e.g. s3://%s-%s/...) and copy the "+
				"template to that bucket in each region, or give templateFile", field, c.HomeRegion, RegionPlaceholder, bucket, RegionPlaceholder))
		}
	}
	return p
}

// resolveTemplateFiles makes each pack's templateFile absolute, relative to
// dir (the configuration file's folder), and checks that it can be read and
// is small enough to send as a TemplateBody.
func (o *ConfigOptions) resolveTemplateFiles(dir string) []string {
	var p []string
	for i := range o.ConformancePacks {
		c := &o.ConformancePacks[i]
		if c.TemplateFile == "" {
			continue
		}
		if !filepath.IsAbs(c.TemplateFile) {
			c.TemplateFile = filepath.Join(dir, c.TemplateFile)
		}
		fi, err := os.Stat(c.TemplateFile)
		switch {
		case err != nil:
			p = append(p, fmt.Sprintf("services.config.conformancePacks[%d].templateFile: %v", i, err))
		case !fi.Mode().IsRegular():
			p = append(p, fmt.Sprintf("services.config.conformancePacks[%d].templateFile %s is not a file", i, c.TemplateFile))
		case fi.Size() > MaxTemplateBodyBytes:
			p = append(p, fmt.Sprintf("services.config.conformancePacks[%d].templateFile %s is %d bytes: a template body may have at most %d; upload it to S3 and give templateS3Uri", i, c.TemplateFile, fi.Size(), MaxTemplateBodyBytes))
		}
	}
	return p
}

// ConfigRules returns the organization rules as the steps put them: for
// GuardDutyCentralizedRule, CentralMonitoringAccount defaults to the
// security account. The default is filled in here, at run time, rather than
// in the settings the Lambdas are given, which stay as the user wrote them
// (an account ID under a key named ...Account reads as a secret to
// checkov's CKV_AWS_45).
func (c Config) ConfigRules() []ConfigRule {
	out := make([]ConfigRule, len(c.Services.Config.Rules))
	for i, r := range c.Services.Config.Rules {
		if r.Identifier == GuardDutyCentralizedRule && r.InputParameters[CentralMonitoringAccountParam] == "" {
			params := map[string]string{CentralMonitoringAccountParam: c.Accounts.Security}
			for k, v := range r.InputParameters {
				if k != CentralMonitoringAccountParam {
					params[k] = v
				}
			}
			r.InputParameters = params
		}
		out[i] = r
	}
	return out
}

// PackTemplateFile is where a pack's template file is in the step's Lambda
// package: the CDK app bundles each templateFile there.
func PackTemplateFile(pack string) string { return filepath.Join("packs", pack+".yaml") }
