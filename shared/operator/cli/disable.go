package cli

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	aasdk "github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	"github.com/aws/aws-sdk-go-v2/service/account"
	accounttypes "github.com/aws/aws-sdk-go-v2/service/account/types"
	ctsdk "github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cfgsdk "github.com/aws/aws-sdk-go-v2/service/configservice"
	dtsdk "github.com/aws/aws-sdk-go-v2/service/detective"
	gdsdk "github.com/aws/aws-sdk-go-v2/service/guardduty"
	healthsdk "github.com/aws/aws-sdk-go-v2/service/health"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	shsdk "github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/orgbaseline/orgbaseline/shared/accessanalyzer"
	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/configsvc"
	"github.com/orgbaseline/orgbaseline/shared/detective"
	"github.com/orgbaseline/orgbaseline/shared/guardduty"
	"github.com/orgbaseline/orgbaseline/shared/health"
	"github.com/orgbaseline/orgbaseline/shared/org/targets"
	"github.com/orgbaseline/orgbaseline/shared/org/teardown"
	"github.com/orgbaseline/orgbaseline/shared/orgtrail"
	"github.com/orgbaseline/orgbaseline/shared/report"
	"github.com/orgbaseline/orgbaseline/shared/securityhub"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// disableRun is what a service's disable is given: the management
// account's configuration, the cross-account access through the execution
// role, the configuration and the regions.
type disableRun struct {
	mgmt     aws.Config
	accounts *awsclient.Accounts
	cfg      settings.Config
	opts     teardown.Options
}

// security is a configuration acting in the security account, in region.
func (r disableRun) security(region string) aws.Config {
	return awsclient.WithRegion(r.accounts.Config(r.cfg.Accounts.Security), region)
}

// in is the management account's configuration in region.
func (r disableRun) in(region string) aws.Config { return awsclient.WithRegion(r.mgmt, region) }

// orgs is the Organizations client of the management account.
func (r disableRun) orgs() *organizations.Client {
	return organizations.NewFromConfig(r.in(awsclient.OrganizationsRegion))
}

// disablers are the services disable undoes, by name, with what each
// does for the usage text.
var disablers = map[string]struct {
	what string
	run  func(context.Context, disableRun) workflow.StepResult
}{
	settings.ServiceGuardDuty: {
		"remove the members and the administrator, auto-enable NONE;\nkeeps detectors, findings and the findings' export",
		func(ctx context.Context, r disableRun) workflow.StepResult {
			return guardduty.Disable(ctx, guardduty.DisableDeps{
				Security:   func(region string) guardduty.DisableAPI { return gdsdk.NewFromConfig(r.security(region)) },
				Management: func(region string) guardduty.DisableAdminAPI { return gdsdk.NewFromConfig(r.in(region)) },
				Orgs:       r.orgs(),
			}, r.cfg, r.opts)
		},
	},
	settings.ServiceSecurityHub: {
		"remove the administrator through Organizations (ends central\nconfiguration); keeps Security Hub, findings, the aggregator",
		func(ctx context.Context, r disableRun) workflow.StepResult {
			return securityhub.Disable(ctx, securityhub.DisableDeps{
				Admins: func(region string) shsdk.ListOrganizationAdminAccountsAPIClient {
					return shsdk.NewFromConfig(r.in(region))
				},
				Orgs: r.orgs(),
			}, r.cfg, r.opts)
		},
	},
	settings.ServiceDetective: {
		"remove the administrator (its organization graph goes with it),\nor invitation mode's members",
		func(ctx context.Context, r disableRun) workflow.StepResult {
			orgs := r.orgs()
			return detective.Disable(ctx, detective.DisableDeps{
				Management: func(region string) detective.DisableAdminAPI { return dtsdk.NewFromConfig(r.in(region)) },
				Security:   func(region string) detective.DisableGraphAPI { return dtsdk.NewFromConfig(r.security(region)) },
				Orgs:       orgs, Accounts: orgs,
			}, r.cfg, r.opts)
		},
	},
	settings.ServiceAccessAnalyzer: {
		"delete orgbaseline's analyzers in every account and region",
		func(ctx context.Context, r disableRun) workflow.StepResult {
			orgs := r.orgs()
			return accessanalyzer.Disable(ctx, accessanalyzer.DisableDeps{
				In: func(account, region string) accessanalyzer.DeleteAPI {
					return aasdk.NewFromConfig(awsclient.WithRegion(r.accounts.Config(account), region))
				},
				Orgs: orgs, Accounts: orgs,
			}, r.cfg, r.opts)
		},
	},
	settings.ServiceHealth: {
		"remove the delegated administrator and the organizational view",
		func(ctx context.Context, r disableRun) workflow.StepResult {
			return health.Disable(ctx, health.DisableDeps{
				Health: healthsdk.NewFromConfig(r.in(health.Region)),
				Orgs:   r.orgs(),
			}, r.cfg, r.opts)
		},
	},
	settings.ServiceConfig: {
		"delete orgbaseline's organization rules, packs and aggregator,\nstop the recorders; keeps the delivery bucket, history and key",
		func(ctx context.Context, r disableRun) workflow.StepResult {
			orgs := r.orgs()
			return configsvc.Disable(ctx, configsvc.DisableDeps{
				Security: func(region string) configsvc.DisableOrgAPI { return cfgsdk.NewFromConfig(r.security(region)) },
				In: func(account, region string) configsvc.DisableRecorderAPI {
					return cfgsdk.NewFromConfig(awsclient.WithRegion(r.accounts.Config(account), region))
				},
				Orgs: orgs, Accounts: orgs,
			}, r.cfg, r.opts)
		},
	},
	settings.ServiceCloudTrail: {
		"delete the organization trail; keeps its bucket, log files and key",
		func(ctx context.Context, r disableRun) workflow.StepResult {
			home := r.cfg.HomeRegion
			return orgtrail.Disable(ctx, orgtrail.DisableDeps{
				Trail: ctsdk.NewFromConfig(awsclient.WithRegion(r.accounts.Config(orgtrail.ManagingAccount(r.cfg)), home)),
				Admin: ctsdk.NewFromConfig(r.in(home)),
				Orgs:  r.orgs(),
			}, r.cfg, r.opts)
		},
	},
}

func disableUsage() string {
	var b strings.Builder
	b.WriteString(`Usage:
  orgbaseline disable SERVICE [--plan] [--config FILE] [--output table|json]

Undo what apply turned on for one service, in the order the service
documents: members, organization configuration, delegated administrator,
trusted access. What holds evidence stays (the trail bucket, the keys,
Config's delivered history, exported findings), and the report says so.
It runs with the management account's credentials and reaches the security
account through the execution role, reads first and changes only what
differs (a second run changes nothing), and reports like apply. A delegated
administrator that is not the configured security account is never
removed: it is reported as a failed row. See docs/disable.md.

Services:
`)
	for _, name := range settings.ServiceNames() {
		fmt.Fprintf(&b, "  %-15s %s\n", name, strings.ReplaceAll(disablers[name].what, "\n", "\n"+strings.Repeat(" ", 18)))
	}
	b.WriteString("\nThen the delegated administrator and trusted access, for every service.\n")
	return b.String()
}

// disableFlags is the flag set of `disable SERVICE` (name) and its flags.
func disableFlags(name string, env Env) (*flag.FlagSet, runFlags) {
	return subjectFlags(name, "disable", env)
}

func disable(ctx context.Context, args []string, env Env) int {
	if len(args) > 0 && isHelp(args[0]) {
		fs, _ := disableFlags("disable", env)
		printHelp(env.Stdout, "disable", fs)
		return ExitOK
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(env.Stderr, disableUsage())
		return ExitUsage
	}
	name := args[0]
	d, ok := disablers[name]
	if !ok {
		fmt.Fprintf(env.Stderr, "orgbaseline disable: unknown service %q%s\n\n%s", name, didYouMean(name, settings.ServiceNames()), disableUsage())
		return ExitUsage
	}
	fs, flags := disableFlags("disable "+name, env)
	if code, ok := parseFlags(fs, args[1:], env); !ok {
		return code
	}
	cfg, mode, ok := flags.load("disable", env)
	if !ok {
		return ExitUsage
	}
	fmt.Fprintf(env.Stderr, "orgbaseline disable %s (%s, %s)\n", name, mode, regionsText(cfg))
	awsCfg, accounts, err := connect(ctx, cfg, "orgbaseline-disable")
	if err != nil {
		fmt.Fprintln(env.Stderr, "orgbaseline disable:", err)
		return ExitFailed
	}
	regions, err := disableRegions(ctx, awsCfg, cfg)
	if err != nil {
		fmt.Fprintln(env.Stderr, "orgbaseline disable:", err)
		return ExitFailed
	}
	run := disableRun{mgmt: awsCfg, accounts: accounts, cfg: cfg, opts: teardown.Options{Plan: mode == workflow.ModePlan, Regions: regions}}
	// The accounts the scope leaves out: nothing of orgbaseline's is there
	// to undo (a recorder named like orgbaseline's may be the account's own).
	excluded, err := targets.ResolveScope(ctx, run.orgs(), cfg)
	if err != nil {
		fmt.Fprintln(env.Stderr, "orgbaseline disable:", err)
		return ExitFailed
	}
	run.opts.Excluded = excluded
	res := d.run(ctx, run)
	if cfg.Enabled(name) {
		res.Warnings = append(res.Warnings, fmt.Sprintf("services.%s is still enabled in the configuration: the next apply turns it on again; switch it off there to keep it off", name))
	}
	return writeReport(report.FromResults(mode, res), *flags.output, *flags.details, env)
}

// disableRegions are the regions to undo a service in: the configuration's,
// the home region first, or, with "discover", the regions enabled in the
// management account ("ListRegions", AWS Account Management API Reference)
// that orgbaseline knows.
func disableRegions(ctx context.Context, mgmt aws.Config, cfg settings.Config) ([]string, error) {
	regions := []string{cfg.HomeRegion}
	candidates := cfg.Regions.Names
	if cfg.Regions.Discover {
		candidates = nil
		api := account.NewFromConfig(awsclient.WithRegion(mgmt, cfg.HomeRegion))
		pages := account.NewListRegionsPaginator(api, &account.ListRegionsInput{
			RegionOptStatusContains: []accounttypes.RegionOptStatus{accounttypes.RegionOptStatusEnabled, accounttypes.RegionOptStatusEnabledByDefault},
		})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("discover the enabled regions (account:ListRegions): %w", err)
			}
			for _, r := range page.Regions {
				if name := aws.ToString(r.RegionName); settings.KnownRegion(name) {
					candidates = append(candidates, name)
				}
			}
		}
		slices.Sort(candidates)
	}
	for _, r := range candidates {
		if !slices.Contains(regions, r) {
			regions = append(regions, r)
		}
	}
	return regions, nil
}
