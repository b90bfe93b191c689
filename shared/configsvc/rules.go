package configsvc

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cfgtypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// OrganizationRulesAPI reads and puts the organization config rules.
type OrganizationRulesAPI interface {
	configservice.DescribeOrganizationConfigRulesAPIClient
	PutOrganizationConfigRule(ctx context.Context, in *configservice.PutOrganizationConfigRuleInput, optFns ...func(*configservice.Options)) (*configservice.PutOrganizationConfigRuleOutput, error)
}

// OrganizationRuleStatusAPI reads how the organization config rules are
// deployed to the members.
type OrganizationRuleStatusAPI interface {
	configservice.DescribeOrganizationConfigRuleStatusesAPIClient
	configservice.GetOrganizationConfigRuleDetailedStatusAPIClient
}

// OrganizationPacksAPI reads and puts the organization conformance packs.
type OrganizationPacksAPI interface {
	configservice.DescribeOrganizationConformancePacksAPIClient
	PutOrganizationConformancePack(ctx context.Context, in *configservice.PutOrganizationConformancePackInput, optFns ...func(*configservice.Options)) (*configservice.PutOrganizationConformancePackOutput, error)
}

// OrganizationPackStatusAPI reads how the organization conformance packs
// are deployed to the members.
type OrganizationPackStatusAPI interface {
	configservice.DescribeOrganizationConformancePackStatusesAPIClient
	configservice.GetOrganizationConformancePackDetailedStatusAPIClient
}

// RulesAPI is the part of the AWS Config client the config-rules step uses,
// in the security account and one region.
type RulesAPI interface {
	OrganizationRulesAPI
	OrganizationRuleStatusAPI
	OrganizationPacksAPI
	OrganizationPackStatusAPI
}

var (
	_ OrganizationRulesAPI      = (*configservice.Client)(nil)
	_ OrganizationRuleStatusAPI = (*configservice.Client)(nil)
	_ OrganizationPacksAPI      = (*configservice.Client)(nil)
	_ OrganizationPackStatusAPI = (*configservice.Client)(nil)
	_ RulesAPI                  = (*configservice.Client)(nil)
)

// NamesPerCall is the most rule or pack names one Describe call of
// organization rules, packs or their statuses takes.
const NamesPerCall = 25

// ManagedPrefix begins the names of the rules orgbaseline makes by default.
// A rule of the organization with such a name that the configuration no
// longer lists is left as it is, with a warning.
const ManagedPrefix = "orgbaseline-"

// kind is what a deployment is: an organization config rule or an
// organization conformance pack.
type kind int

const (
	ruleKind kind = iota
	packKind
)

func (k kind) String() string {
	if k == ruleKind {
		return "rule"
	}
	return "conformance pack"
}

// deployment is one configured rule or pack: what the step found, what it
// does about it, and how its deployment to the members stands.
type deployment struct {
	kind kind
	name string
	// status and reason make its outcome, with actions; status "" is
	// derived from the actions.
	status  workflow.Status
	reason  string
	actions []workflow.Action
	// putRule or putPack is the call to make, nil when it matches.
	putRule *configservice.PutOrganizationConfigRuleInput
	putPack *configservice.PutOrganizationConformancePackInput
	// follow says its deployment status is to be read: in apply mode, once
	// it exists.
	follow bool
	// inProgress is the status it is still deploying with ("" when done).
	inProgress string
	// failures are failed outcomes of its deployment, after its own.
	failures []workflow.Outcome
}

// rulesRun is one invocation of the config-rules step.
type rulesRun struct {
	api      RulesAPI
	cfg      settings.Config
	in       workflow.Input
	polls    int
	region   string
	security string
	// earlier are the actions of the previous calls of a poll, by target.
	earlier map[string][]workflow.Action
	res     *workflow.StepResult
	log     *slog.Logger
	// parts holds the rules' and the packs' deployments, in the order of
	// the configuration.
	parts [2][]*deployment
	// skip is the reason a part was skipped: its operations are not
	// available at the endpoint.
	skip [2]string
	// statusSkip is the reason a part's deployment status was not read.
	statusSkip [2]string
}

// ConfigureRules is the config-rules step for one region. From the security
// account, the delegated administrator for config-multiaccountsetup, it
//
//  1. reads the organization config rules (config:DescribeOrganizationConfigRules,
//     all of them) and the configured organization conformance packs
//     (DescribeOrganizationConformancePacks, by name);
//  2. puts each configured rule that is missing or differs
//     (PutOrganizationConfigRule): an AWS managed rule with the configured
//     identifier, input parameters (compared as JSON) and maximum execution
//     frequency (compared only when configured), and excluded accounts
//     (compared as sets);
//  3. puts each configured pack that is missing or whose delivery bucket,
//     input parameters or excluded accounts differ
//     (PutOrganizationConformancePack), with its template from S3
//     (TemplateS3Uri: the region's copy, see packInput) or from its
//     template file (TemplateBody, see templateBody);
//  4. in apply mode, reads how the rules and packs are deployed to the
//     members (DescribeOrganizationConfigRuleStatuses,
//     DescribeOrganizationConformancePackStatuses): while any is still in
//     progress the result is Pending, and the state machine calls the step
//     again after RulesPoll's interval, with Item.Polls
//     counting the calls; after MaxPolls calls what is still in progress
//     is reported failed. A rule or pack that failed has its members'
//     failures read (GetOrganizationConfigRuleDetailedStatus,
//     GetOrganizationConformancePackDetailedStatus) and reported, one
//     failed outcome per member account (at most maxMemberOutcomes, then a
//     count).
//
// Each rule and pack has an outcome under the security account, the region
// and "config". Rules and packs the configuration does not list are left
// as they are; rules named with ManagedPrefix among them get a warning. A
// configured rule that exists as a custom rule is a *workflow.ConflictError,
// found before any change. An operation the endpoint does not offer makes
// its part (rules or packs) skipped, with awsclient.UnavailableReason, and
// the other part goes on. With no rules configured the rules part makes no
// call; likewise the packs.
//
// The pack's template is not compared: Config does not return it. A
// changed template reaches the members when another field of the pack
// changes, or under a new pack name. A template file is read whenever its
// pack is to be put, in plan mode too, so a missing or oversized file is a
// *workflow.TerminalError before any change. The accounts filter does not
// apply: organization rules and packs reach every member account but the
// excluded ones: those each rule or pack lists, and those the scope
// excludes (item.Excluded, withExcluded), compared and put as one set.
func ConfigureRules(ctx context.Context, api RulesAPI, cfg settings.Config, item workflow.Item, log *slog.Logger) (workflow.StepResult, error) {
	in := item.Input
	res := workflow.StepResult{Step: RulesSpec.Name, Mode: in.Mode, Outcomes: []workflow.Outcome{}}
	out := workflow.Outcome{Account: cfg.Accounts.Security, Region: item.Region, Service: settings.ServiceConfig}
	switch {
	case item.Region == "":
		out.Region, out.Status, out.Reason = "-", workflow.StatusSkipped, "no region given"
		res.Add(out)
		return res, nil
	case skipped(cfg, in, &out):
		res.Add(out)
		return res, nil
	case len(cfg.Services.Config.Rules) == 0 && len(cfg.Services.Config.ConformancePacks) == 0:
		out.Status, out.Reason = workflow.StatusSkipped, "no organization config rules or conformance packs in the configuration"
		res.Add(out)
		return res, nil
	}
	cfg, err := withExcluded(cfg, item.Excluded)
	if err != nil {
		return res, err
	}
	r := &rulesRun{
		api: api, cfg: cfg, in: in, polls: item.Polls, region: item.Region, security: cfg.Accounts.Security,
		earlier: item.EarlierActions(),
		res:     &res, log: log,
	}
	if err := r.run(ctx); err != nil {
		return res, err
	}
	return res, nil
}

func (r *rulesRun) apply() bool { return r.in.Mode == workflow.ModeApply }

func (r *rulesRun) run(ctx context.Context) error {
	conflicts, err := r.readRules(ctx)
	if err != nil {
		return err
	}
	if err := r.readPacks(ctx); err != nil {
		return err
	}
	if len(conflicts) > 0 {
		return &workflow.ConflictError{Conflicts: conflicts}
	}
	if r.apply() {
		if err := r.put(ctx); err != nil {
			return err
		}
		if err := r.follow(ctx); err != nil {
			return err
		}
	}
	r.emit()
	return nil
}

// readRules lists the organization's rules and plans each configured one.
// It returns the configured rules that exist as custom rules.
func (r *rulesRun) readRules(ctx context.Context) ([]workflow.Conflict, error) {
	rules := r.cfg.ConfigRules()
	if len(rules) == 0 {
		return nil, nil
	}
	existing := map[string]cfgtypes.OrganizationConfigRule{}
	pages := configservice.NewDescribeOrganizationConfigRulesPaginator(r.api, &configservice.DescribeOrganizationConfigRulesInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if op, ok := awsclient.UnavailableOperation(err); ok {
			r.skip[ruleKind] = awsclient.UnavailableReason(op)
			return nil, nil
		}
		if err != nil {
			return nil, classify("list the organization config rules in "+r.region, MultiAccountSetupPrincipal, err)
		}
		for _, rule := range page.OrganizationConfigRules {
			existing[aws.ToString(rule.OrganizationConfigRuleName)] = rule
		}
	}

	var conflicts []workflow.Conflict
	configured := map[string]bool{}
	for _, want := range rules {
		configured[want.Name] = true
		d := &deployment{kind: ruleKind, name: want.Name, follow: r.apply()}
		if !ManagedRuleOffered(want.Identifier, r.region) {
			d.status, d.follow = workflow.StatusSkipped, false
			d.reason = fmt.Sprintf("rule %s: AWS Config does not offer managed rule %s in %s", want.Name, want.Identifier, r.region)
			r.parts[ruleKind] = append(r.parts[ruleKind], d)
			continue
		}
		got, ok := existing[want.Name]
		switch {
		case !ok:
			d.reason = fmt.Sprintf("rule %s: missing: create it from managed rule %s", want.Name, want.Identifier)
		case got.OrganizationManagedRuleMetadata == nil:
			conflicts = append(conflicts, workflow.Conflict{
				Service: settings.ServiceConfig, Resource: fmt.Sprintf("organization config rule %s in %s", want.Name, r.region),
				Found: "a custom rule", Wanted: "AWS managed rule " + want.Identifier,
				Hint: "orgbaseline does not replace a custom rule; rename the rule in the configuration or delete the custom rule",
			})
			continue
		default:
			diff := ruleDiff(got, want)
			if len(diff) == 0 {
				d.reason = fmt.Sprintf("rule %s matches the configuration", want.Name)
				r.parts[ruleKind] = append(r.parts[ruleKind], d)
				continue
			}
			d.reason = fmt.Sprintf("rule %s: %s", want.Name, strings.Join(diff, "; "))
		}
		d.putRule = ruleInput(want)
		d.actions = []workflow.Action{{Call: CallPutOrganizationConfigRule, Target: want.Name}}
		r.parts[ruleKind] = append(r.parts[ruleKind], d)
	}

	var left []string
	for name := range existing {
		if !configured[name] && strings.HasPrefix(name, ManagedPrefix) {
			left = append(left, name)
		}
	}
	slices.Sort(left)
	for _, name := range left {
		r.res.Warnings = append(r.res.Warnings, fmt.Sprintf("config in %s: organization config rule %s is not in the configuration; orgbaseline leaves it as it is (delete it yourself if it is no longer wanted)", r.region, name))
	}
	return conflicts, nil
}

// managedRuleNotOffered lists, for managed rules orgbaseline puts by
// default, the regions of the aws partition where AWS Config does not offer
// them, as each rule's page in the AWS Config Developer Guide gives its
// regions ("guardduty-enabled-centralized": all supported regions except
// Asia Pacific (New Zealand), Asia Pacific (Thailand), Mexico (Central) and
// Asia Pacific (Taipei)).
var managedRuleNotOffered = map[string][]string{
	"GUARDDUTY_ENABLED_CENTRALIZED": {"ap-southeast-6", "ap-southeast-7", "mx-central-1", "ap-east-2"},
}

// ManagedRuleOffered reports whether AWS Config offers the managed rule
// identifier in region, as far as orgbaseline knows (managedRuleNotOffered).
func ManagedRuleOffered(identifier, region string) bool {
	return !slices.Contains(managedRuleNotOffered[identifier], region)
}

// ruleInput is the PutOrganizationConfigRule call that makes rule as
// configured. Empty parameters and exclusions are sent empty, which clears
// those of an existing rule.
func ruleInput(rule settings.ConfigRule) *configservice.PutOrganizationConfigRuleInput {
	meta := &cfgtypes.OrganizationManagedRuleMetadata{
		RuleIdentifier:            aws.String(rule.Identifier),
		MaximumExecutionFrequency: cfgtypes.MaximumExecutionFrequency(rule.MaximumExecutionFrequency),
	}
	if len(rule.InputParameters) > 0 {
		b, _ := json.Marshal(rule.InputParameters) // a map of strings always encodes
		meta.InputParameters = aws.String(string(b))
	}
	return &configservice.PutOrganizationConfigRuleInput{
		OrganizationConfigRuleName:      aws.String(rule.Name),
		OrganizationManagedRuleMetadata: meta,
		ExcludedAccounts:                sortedSet(rule.ExcludedAccounts),
	}
}

// ruleDiff says how a managed organization rule differs from want.
func ruleDiff(got cfgtypes.OrganizationConfigRule, want settings.ConfigRule) []string {
	var diff []string
	meta := got.OrganizationManagedRuleMetadata
	if have := aws.ToString(meta.RuleIdentifier); have != want.Identifier {
		diff = append(diff, fmt.Sprintf("identifier %s, want %s", have, want.Identifier))
	}
	if !sameParameters(aws.ToString(meta.InputParameters), want.InputParameters) {
		wantJSON := "{}"
		if len(want.InputParameters) > 0 {
			b, _ := json.Marshal(want.InputParameters)
			wantJSON = string(b)
		}
		diff = append(diff, fmt.Sprintf("input parameters %s, want %s", orEmpty(aws.ToString(meta.InputParameters), "{}"), wantJSON))
	}
	if f := want.MaximumExecutionFrequency; f != "" && string(meta.MaximumExecutionFrequency) != f {
		diff = append(diff, fmt.Sprintf("maximum execution frequency %s, want %s", orEmpty(string(meta.MaximumExecutionFrequency), "none"), f))
	}
	if !sameSet(got.ExcludedAccounts, want.ExcludedAccounts) {
		diff = append(diff, excludedDiff(got.ExcludedAccounts, want.ExcludedAccounts))
	}
	return diff
}

// sameParameters reports whether the JSON object have holds the parameters
// of want: compared as parsed JSON, so key order and spacing do not matter.
// An empty have and an empty object are no parameters.
func sameParameters(have string, want map[string]string) bool {
	got := map[string]any{}
	if strings.TrimSpace(have) != "" {
		if err := json.Unmarshal([]byte(have), &got); err != nil {
			return false
		}
	}
	w := make(map[string]any, len(want))
	for k, v := range want {
		w[k] = v
	}
	if len(got) == 0 && len(w) == 0 {
		return true
	}
	return reflect.DeepEqual(got, w)
}

func orEmpty(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

// put makes the calls the plan holds. An operation the endpoint does not
// offer makes the rest of its part skipped.
func (r *rulesRun) put(ctx context.Context) error {
	for _, k := range []kind{ruleKind, packKind} {
		for _, d := range r.parts[k] {
			if d.putRule == nil && d.putPack == nil {
				continue
			}
			if r.skip[k] != "" {
				d.status, d.reason, d.actions, d.follow = workflow.StatusSkipped, d.reason+": "+r.skip[k], nil, false
				continue
			}
			var err error
			if d.putRule != nil {
				_, err = r.api.PutOrganizationConfigRule(ctx, d.putRule)
			} else {
				_, err = r.api.PutOrganizationConformancePack(ctx, d.putPack)
			}
			if op, ok := awsclient.UnavailableOperation(err); ok {
				r.skip[k] = awsclient.UnavailableReason(op)
				d.status, d.reason, d.actions, d.follow = workflow.StatusSkipped, d.reason+": "+r.skip[k], nil, false
				continue
			}
			if err != nil {
				return classify(fmt.Sprintf("put organization %s %s in %s", k, d.name, r.region), MultiAccountSetupPrincipal, err)
			}
			r.log.InfoContext(ctx, "put the organization "+k.String(), "name", d.name)
		}
		if r.skip[k] != "" {
			// Without the Put, nothing of the part is followed.
			for _, d := range r.parts[k] {
				d.follow = false
			}
		}
	}
	return nil
}

// emit adds the outcomes: per part, its skip, then each deployment's
// outcome and its failures, then why its status was not read.
func (r *rulesRun) emit() {
	for _, k := range []kind{ruleKind, packKind} {
		if r.skip[k] != "" && len(r.parts[k]) == 0 {
			r.add(workflow.StatusSkipped, r.skip[k])
		}
		for _, d := range r.parts[k] {
			// What an earlier call of this poll put is this run's change
			// too: the state machine keeps only the last result.
			if earlier := r.earlier[d.name]; len(d.actions) == 0 && len(earlier) > 0 {
				d.actions = earlier
				if d.status == workflow.StatusUnchanged {
					d.status = ""
				}
			}
			r.res.Add(workflow.Outcome{Account: r.security, Region: r.region, Service: settings.ServiceConfig, Status: d.status, Reason: d.reason, Actions: d.actions})
			for _, f := range d.failures {
				r.res.Add(f)
			}
		}
		if r.statusSkip[k] != "" {
			r.add(workflow.StatusSkipped, r.statusSkip[k])
		}
	}
}

func (r *rulesRun) add(status workflow.Status, reason string) {
	r.res.Add(workflow.Outcome{Account: r.security, Region: r.region, Service: settings.ServiceConfig, Status: status, Reason: reason})
}
