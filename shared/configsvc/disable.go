package configsvc

import (
	"context"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgbaseline/orgbaseline/shared/org/admins"
	"github.com/orgbaseline/orgbaseline/shared/org/teardown"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// The actions of disable.
const (
	CallDeleteOrganizationConformancePack = "config:DeleteOrganizationConformancePack"
	CallDeleteOrganizationConfigRule      = "config:DeleteOrganizationConfigRule"
	CallDeleteConfigurationAggregator     = "config:DeleteConfigurationAggregator"
	CallStopConfigurationRecorder         = "config:StopConfigurationRecorder"
)

// DisableOrgAPI is the part of the Config client disable uses in the
// security account, Config's delegated administrator, in one region.
type DisableOrgAPI interface {
	configservice.DescribeOrganizationConformancePacksAPIClient
	DeleteOrganizationConformancePack(ctx context.Context, in *configservice.DeleteOrganizationConformancePackInput, optFns ...func(*configservice.Options)) (*configservice.DeleteOrganizationConformancePackOutput, error)
	configservice.DescribeOrganizationConfigRulesAPIClient
	DeleteOrganizationConfigRule(ctx context.Context, in *configservice.DeleteOrganizationConfigRuleInput, optFns ...func(*configservice.Options)) (*configservice.DeleteOrganizationConfigRuleOutput, error)
	configservice.DescribeOrganizationConformancePackStatusesAPIClient
	configservice.DescribeOrganizationConfigRuleStatusesAPIClient
	configservice.DescribeConfigurationAggregatorsAPIClient
	DeleteConfigurationAggregator(ctx context.Context, in *configservice.DeleteConfigurationAggregatorInput, optFns ...func(*configservice.Options)) (*configservice.DeleteConfigurationAggregatorOutput, error)
}

// DisableRecorderAPI is the part of the Config client disable uses in one
// account and region: its recorders' status, and stopping one.
type DisableRecorderAPI interface {
	DescribeConfigurationRecorderStatus(ctx context.Context, in *configservice.DescribeConfigurationRecorderStatusInput, optFns ...func(*configservice.Options)) (*configservice.DescribeConfigurationRecorderStatusOutput, error)
	StopConfigurationRecorder(ctx context.Context, in *configservice.StopConfigurationRecorderInput, optFns ...func(*configservice.Options)) (*configservice.StopConfigurationRecorderOutput, error)
}

var (
	_ DisableOrgAPI      = (*configservice.Client)(nil)
	_ DisableRecorderAPI = (*configservice.Client)(nil)
)

// DisableDeps are the clients of Disable.
type DisableDeps struct {
	// Security acts in the security account, in a region.
	Security func(region string) DisableOrgAPI
	// In acts in an account (the management account's own configuration
	// there, the execution role elsewhere), in a region.
	In func(account, region string) DisableRecorderAPI
	// Orgs acts in the management account; Accounts lists the
	// organization's accounts there.
	Orgs     teardown.OrgAPI
	Accounts organizations.ListAccountsAPIClient
}

// Disable undoes what the config steps turned on, deleting only what
// carries orgbaseline's names, and keeps what holds evidence: the delivery
// bucket in the log-archive account, the objects Config delivered there,
// the delivery key, and the configuration history Config keeps itself
// (stopping a recorder keeps it, "Stopping AWS Config from recording with
// the customer managed configuration recorder", AWS Config Developer
// Guide). In order:
//
//  0. organizations:ListDelegatedAdministrators for
//     config-multiaccountsetup.amazonaws.com: another account than the
//     security account is a conflict, and nothing is touched; without the
//     security account registered, it has no organization rules or packs,
//     and step 1 is left out;
//  1. in the security account, every region: the organization conformance
//     packs the configuration names (DeleteOrganizationConformancePack),
//     then the organization config rules it names, and those named with
//     ManagedPrefix (DeleteOrganizationConfigRule); each takes its rules
//     and evaluation results out of every member account
//     ("DeleteOrganizationConformancePack", "DeleteOrganizationConfigRule",
//     AWS Config API Reference);
//  2. in the security account's home region, the organization aggregator
//     services.config.aggregatorName (DeleteConfigurationAggregator);
//  3. in every ACTIVE account and region, the recorder named
//     services.config.recorderName, when it records
//     (StopConfigurationRecorder); Control Tower's recorders
//     (ControlTowerPrefix) are never touched; the recorder and the
//     delivery channel stay defined;
//  4. the security account's delegated administration of
//     config-multiaccountsetup.amazonaws.com and config.amazonaws.com,
//     then trusted access for both (teardown.OrgWide), unless a Control
//     Tower recorder was seen: Control Tower needs them, and they are left;
//     and not while Config is still deleting a rule or pack from the
//     members (DELETE_IN_PROGRESS): a later run does it.
//
// A rule or pack left failing in the security account leaves the
// organization's parts as they are; one account's recorder failing is its
// row's failure.
func Disable(ctx context.Context, d DisableDeps, cfg settings.Config, opts teardown.Options) workflow.StepResult {
	res := teardown.NewResult(settings.ServiceConfig, opts.Plan)
	mgmt, security := cfg.Accounts.Management, cfg.Accounts.Security
	principals := []string{MultiAccountSetupPrincipal, Principal}
	blocked := ""

	rules := map[string]bool{}
	for _, r := range cfg.ConfigRules() {
		rules[r.Name] = true
	}
	var packs []string
	for _, p := range cfg.Services.Config.ConformancePacks {
		packs = append(packs, p.Name)
	}
	// Organization rules and packs are the delegated administrator's: the
	// security account has them only while it is registered for
	// config-multiaccountsetup.amazonaws.com (their Describe calls are
	// refused otherwise). Another account registered is a conflict, and
	// nothing of Config is touched.
	head := workflow.Outcome{Account: mgmt, Region: workflow.RegionGlobal, Service: settings.ServiceConfig}
	ids, err := admins.List(ctx, d.Orgs, MultiAccountSetupPrincipal)
	if err != nil {
		teardown.Fail(&head, "list delegated administrators for "+MultiAccountSetupPrincipal, err)
		res.Add(head)
		teardown.SkipOrgWide(&res, settings.ServiceConfig, mgmt, principals, "the delegated administrators could not be read")
		return res
	}
	if others := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == security }); len(others) > 0 {
		teardown.Conflict(&head, "the delegated administrator for "+MultiAccountSetupPrincipal, admins.Join(others), security)
		res.Add(head)
		return res
	}
	deployments := slices.Contains(ids, security)

	deleting := false
	var others []string
	for _, region := range opts.Regions {
		out, pending, theirs := disableOrgRegion(ctx, d.Security(region), cfg, region, deployments, packs, rules, opts.Plan)
		for _, o := range theirs {
			if !slices.Contains(others, o) {
				others = append(others, o)
			}
		}
		if out.Status == workflow.StatusFailed && blocked == "" {
			blocked = "the organization's rules, packs or aggregator were not all deleted in " + region
		}
		deleting = deleting || pending
		res.Add(out)
	}

	accounts, err := teardown.ActiveAccounts(ctx, d.Accounts)
	sawControlTower := false
	if err != nil {
		out := workflow.Outcome{Account: mgmt, Region: workflow.RegionGlobal, Service: settings.ServiceConfig}
		teardown.Fail(&out, "list the organization's accounts", err)
		res.Add(out)
		blocked = "the organization's accounts could not be listed, so the recorders were not stopped"
	}
	for _, acct := range accounts {
		if opts.SkipExcluded(&res, settings.ServiceConfig, acct) {
			continue
		}
		for _, region := range opts.Regions {
			out, ct := stopRecorder(ctx, d.In(acct, region), cfg, acct, region, opts.Plan)
			sawControlTower = sawControlTower || ct
			res.Add(out)
		}
	}

	switch {
	case blocked != "":
		teardown.SkipOrgWide(&res, settings.ServiceConfig, mgmt, principals, blocked)
	case deleting:
		teardown.SkipOrgWide(&res, settings.ServiceConfig, mgmt, principals, "AWS Config deletes the organization's rules and packs from the member accounts in the background (DELETE_IN_PROGRESS): run disable config again once they are gone")
	case len(others) > 0:
		// "DisableAWSServiceAccess", AWS Organizations API Reference: the
		// service can no longer act in the member accounts, so the
		// organization's other rules and packs would stop working.
		teardown.SkipOrgWide(&res, settings.ServiceConfig, mgmt, principals, "the organization's "+strings.Join(others, ", ")+" are not orgbaseline's and need Config's delegated administrator and trusted access: delete them first, or leave these on")
	case sawControlTower:
		teardown.SkipOrgWide(&res, settings.ServiceConfig, mgmt, principals, "AWS Control Tower's Config recorders were found, and Control Tower needs Config's trusted access")
	default:
		teardown.OrgWide(ctx, d.Orgs, &res, settings.ServiceConfig, mgmt, security, principals, func(string) bool { return true }, opts.Plan)
	}
	res.Warnings = append(res.Warnings,
		"the delivery bucket "+BucketName(cfg)+" in the log-archive account, what Config delivered to it, and the delivery key "+KeyAlias+" are kept: they hold the configuration history",
		"recorders and delivery channels stay defined, stopped; Config keeps the configuration history it recorded (GetResourceConfigHistory); the service-linked role "+ServiceLinkedRoleName+" stays",
		"rules and packs the configuration does not name, other than "+ManagedPrefix+"*, and recorders of other names (Control Tower's among them) are left as they are")
	return res
}

// disableOrgRegion deletes orgbaseline's organization conformance packs
// and rules in the security account in region (with deployments: the
// security account is the delegated administrator that has them), and in
// the home region the aggregator, and returns the row and whether a rule or pack is being
// deleted (deleted now, or found DELETE_IN_PROGRESS): Config removes them
// from the member accounts in the background.
func disableOrgRegion(ctx context.Context, api DisableOrgAPI, cfg settings.Config, region string, deployments bool, packs []string, rules map[string]bool, plan bool) (out workflow.Outcome, pending bool, others []string) {
	out = workflow.Outcome{Account: cfg.Accounts.Security, Region: region, Service: settings.ServiceConfig}
	if deployments {
		var found []string
		pp := configservice.NewDescribeOrganizationConformancePacksPaginator(api, &configservice.DescribeOrganizationConformancePacksInput{})
		for pp.HasMorePages() {
			page, err := pp.NextPage(ctx)
			if err != nil {
				teardown.Fail(&out, "list organization conformance packs", err)
				return out, false, others
			}
			for _, p := range page.OrganizationConformancePacks {
				if name := aws.ToString(p.OrganizationConformancePackName); slices.Contains(packs, name) {
					found = append(found, name)
				} else {
					others = append(others, "conformance pack "+name)
				}
			}
		}
		slices.Sort(found)
		found, busy, err := notDeleting(ctx, api, packKind, found)
		if err != nil {
			teardown.Fail(&out, "read the organization conformance packs' status", err)
			return out, false, others
		}
		pending = len(busy) > 0 || len(found) > 0
		for _, name := range busy {
			teardown.Note(&out, "conformance pack "+name+" is being deleted")
		}
		for _, name := range found {
			// "DeleteOrganizationConformancePack", AWS Config API Reference:
			// from the management account or the delegated administrator.
			err := teardown.Act(&out, plan, workflow.Action{Call: CallDeleteOrganizationConformancePack, Target: name}, func() error {
				_, err := api.DeleteOrganizationConformancePack(ctx, &configservice.DeleteOrganizationConformancePackInput{OrganizationConformancePackName: aws.String(name)})
				return err
			})
			if err != nil {
				teardown.Fail(&out, "delete organization conformance pack "+name, err)
				return out, pending, others
			}
		}

		found = nil
		rp := configservice.NewDescribeOrganizationConfigRulesPaginator(api, &configservice.DescribeOrganizationConfigRulesInput{})
		for rp.HasMorePages() {
			page, err := rp.NextPage(ctx)
			if err != nil {
				teardown.Fail(&out, "list organization config rules", err)
				return out, pending, others
			}
			for _, r := range page.OrganizationConfigRules {
				if name := aws.ToString(r.OrganizationConfigRuleName); rules[name] || strings.HasPrefix(name, ManagedPrefix) {
					found = append(found, name)
				} else {
					others = append(others, "rule "+name)
				}
			}
		}
		slices.Sort(found)
		found, busy, err = notDeleting(ctx, api, ruleKind, found)
		if err != nil {
			teardown.Fail(&out, "read the organization config rules' status", err)
			return out, pending, others
		}
		pending = pending || len(busy) > 0 || len(found) > 0
		for _, name := range busy {
			teardown.Note(&out, "rule "+name+" is being deleted")
		}
		for _, name := range found {
			// "DeleteOrganizationConfigRule", AWS Config API Reference.
			err := teardown.Act(&out, plan, workflow.Action{Call: CallDeleteOrganizationConfigRule, Target: name}, func() error {
				_, err := api.DeleteOrganizationConfigRule(ctx, &configservice.DeleteOrganizationConfigRuleInput{OrganizationConfigRuleName: aws.String(name)})
				return err
			})
			if err != nil {
				teardown.Fail(&out, "delete organization config rule "+name, err)
				return out, pending, others
			}
		}

	}
	if region == cfg.HomeRegion {
		name := cfg.Services.Config.AggregatorName
		agg, err := describeAggregator(ctx, api, name)
		if err != nil {
			teardown.Fail(&out, "read the configuration aggregator "+name, err)
			return out, pending, others
		}
		if agg != nil {
			// "DeleteConfigurationAggregator", AWS Config API Reference: the
			// aggregated view goes; the source accounts' data stays.
			err := teardown.Act(&out, plan, workflow.Action{Call: CallDeleteConfigurationAggregator, Target: name}, func() error {
				_, err := api.DeleteConfigurationAggregator(ctx, &configservice.DeleteConfigurationAggregatorInput{ConfigurationAggregatorName: aws.String(name)})
				return err
			})
			if err != nil {
				teardown.Fail(&out, "delete the configuration aggregator "+name, err)
				return out, pending, others
			}
		}
	}
	if len(out.Actions) == 0 && out.Reason == "" {
		out.Reason = "no organization rule, pack or aggregator of orgbaseline's"
	}
	return out, pending, others
}

// notDeleting splits names, organization rules or packs (k), into those to
// delete and those Config is deleting already (DELETE_IN_PROGRESS or
// DELETE_SUCCESSFUL: "OrganizationConfigRuleStatus" and
// "OrganizationConformancePackStatus", AWS Config API Reference), reading
// their status NamesPerCall at a time.
func notDeleting(ctx context.Context, api DisableOrgAPI, k kind, names []string) (todo, deleting []string, err error) {
	status := map[string]string{}
	for start := 0; start < len(names); start += NamesPerCall {
		batch := names[start:min(start+NamesPerCall, len(names))]
		if k == ruleKind {
			pages := configservice.NewDescribeOrganizationConfigRuleStatusesPaginator(api, &configservice.DescribeOrganizationConfigRuleStatusesInput{OrganizationConfigRuleNames: batch})
			for pages.HasMorePages() {
				page, err := pages.NextPage(ctx)
				if err != nil {
					return nil, nil, err
				}
				for _, s := range page.OrganizationConfigRuleStatuses {
					status[aws.ToString(s.OrganizationConfigRuleName)] = string(s.OrganizationRuleStatus)
				}
			}
			continue
		}
		pages := configservice.NewDescribeOrganizationConformancePackStatusesPaginator(api, &configservice.DescribeOrganizationConformancePackStatusesInput{OrganizationConformancePackNames: batch})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, nil, err
			}
			for _, s := range page.OrganizationConformancePackStatuses {
				status[aws.ToString(s.OrganizationConformancePackName)] = string(s.Status)
			}
		}
	}
	for _, n := range names {
		switch status[n] {
		case "DELETE_IN_PROGRESS", "DELETE_SUCCESSFUL":
			deleting = append(deleting, n)
		default:
			todo = append(todo, n)
		}
	}
	return todo, deleting, nil
}

// stopRecorder stops the recorder named services.config.recorderName in
// one account and region if it records, and returns the row and whether a
// Control Tower recorder is there.
func stopRecorder(ctx context.Context, api DisableRecorderAPI, cfg settings.Config, account, region string, plan bool) (workflow.Outcome, bool) {
	out := workflow.Outcome{Account: account, Region: region, Service: settings.ServiceConfig}
	name := cfg.Services.Config.RecorderName
	st, err := api.DescribeConfigurationRecorderStatus(ctx, &configservice.DescribeConfigurationRecorderStatusInput{})
	if err != nil {
		teardown.Fail(&out, "read the configuration recorders' status", err)
		return out, false
	}
	ct, recording, ours := false, false, false
	for _, s := range st.ConfigurationRecordersStatus {
		n := aws.ToString(s.Name)
		if controlTower(s.Name) {
			ct = true
			continue
		}
		if n == name {
			ours, recording = true, s.Recording
		}
	}
	switch {
	case !ours:
		out.Reason = "no recorder " + name
	case !recording:
		out.Reason = "recorder " + name + " is stopped"
	default:
		// "StopConfigurationRecorder", AWS Config API Reference; what was
		// recorded stays.
		err := teardown.Act(&out, plan, workflow.Action{Call: CallStopConfigurationRecorder, Target: name}, func() error {
			_, err := api.StopConfigurationRecorder(ctx, &configservice.StopConfigurationRecorderInput{ConfigurationRecorderName: aws.String(name)})
			return err
		})
		if err != nil {
			teardown.Fail(&out, "stop recorder "+name, err)
		}
	}
	if ct {
		teardown.Note(&out, "Control Tower's recorder is left as it is")
	}
	return out, ct
}
