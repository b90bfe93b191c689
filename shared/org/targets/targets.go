// Package targets decides where a run works: which regions and which
// accounts, and which are skipped and why. It is the org-targets step; the
// state machine fans out over its result (Map states over the regions and
// accounts it returns), so no later step loops over regions itself.
//
//   - Regions: the configured list, or with `regions: discover` every region
//     the management account has enabled (account:ListRegions, ENABLED and
//     ENABLED_BY_DEFAULT). Each candidate is then checked with an STS call to
//     its regional endpoint: a region that is not opted in rejects the
//     credentials (InvalidClientTokenId), and is skipped and reported — never
//     a failure of the run. The --regions filter narrows the set.
//   - Accounts: organizations:ListAccounts. Only ACTIVE accounts are worked
//     on; SUSPENDED and PENDING_CLOSURE ones are skipped and reported here.
//     The --accounts filter narrows the set; an ID that is not in the
//     organization is reported. (Steps that add accounts as members read the
//     list themselves and apply the same rule.)
//   - Scope: the accounts the configuration's scope excludes (by ID, or in
//     an excluded OU or one nested in it: ResolveScope) are skipped and
//     reported, with a reason beginning "excluded by scope", and left out
//     of Accounts; Excluded lists them all, whatever the accounts filter,
//     for the steps that pass them to an organization-wide setting
//     (AWS Config's ExcludedAccounts) or report them.
package targets

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	accounttypes "github.com/aws/aws-sdk-go-v2/service/account/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// ServiceName is the report's service column for the targets' outcomes.
const ServiceName = "targets"

// RegionCheckConcurrency bounds the regional STS checks in flight.
const RegionCheckConcurrency = 8

// CallerIdentityAPI is the STS call that tells whether a region is enabled.
type CallerIdentityAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

var _ CallerIdentityAPI = (*sts.Client)(nil)

// AccountsAPI reads the organization's accounts: all of them, or one
// ("ListAccounts", "DescribeAccount", AWS Organizations API Reference).
type AccountsAPI interface {
	organizations.ListAccountsAPIClient
	DescribeAccount(ctx context.Context, in *organizations.DescribeAccountInput, optFns ...func(*organizations.Options)) (*organizations.DescribeAccountOutput, error)
}

// Deps are the clients the step uses.
type Deps struct {
	Regions  account.ListRegionsAPIClient
	Accounts AccountsAPI
	// Scope reads the excluded OUs (called only when the scope names one).
	Scope ScopeAPI
	// STSIn returns an STS client for a regional endpoint.
	STSIn func(region string) CallerIdentityAPI
	// Paces are the run's steps (workflow.EnvRunPaces), for the check that
	// the run fits in the state machine's timeout; PacesErr is why they
	// could not be read.
	Paces    []workflow.Pace
	PacesErr error
}

var (
	_ account.ListRegionsAPIClient = (*account.Client)(nil)
	_ AccountsAPI                  = (*organizations.Client)(nil)
)

// NewDeps makes the clients from the management account's configuration.
func NewDeps(base aws.Config, cfg settings.Config) Deps {
	var paces []workflow.Pace
	var pacesErr error
	if v, ok := os.LookupEnv(workflow.EnvRunPaces); ok {
		paces, pacesErr = workflow.PacesFromJSON(v)
	}
	orgs := organizations.NewFromConfig(awsclient.WithRegion(base, awsclient.OrganizationsRegion))
	return Deps{
		Paces: paces, PacesErr: pacesErr,
		Regions:  account.NewFromConfig(awsclient.WithRegion(base, cfg.HomeRegion)),
		Accounts: orgs,
		Scope:    orgs,
		STSIn: func(region string) CallerIdentityAPI {
			return sts.NewFromConfig(awsclient.WithRegion(base, region))
		},
	}
}

// Result is the step's result: the usual outcomes (the skipped regions and
// accounts) plus what the state machine fans out over.
type Result struct {
	workflow.StepResult
	// HomeRegion is the configured home region, or "" when the run does not
	// cover it (the state machine reads it, so it is always present).
	HomeRegion string `json:"homeRegion"`
	// Regions are the regions to work in, the home region first.
	Regions []string `json:"regions"`
	// OtherRegions are Regions without the home region.
	OtherRegions []string `json:"otherRegions"`
	// HomeRegions is the home region alone, or none when the run does not
	// cover it: what a ShapeHomeRegion step's Map iterates over.
	HomeRegions []string `json:"homeRegions"`
	// Accounts are the ACTIVE accounts to work on, the management account
	// first.
	Accounts []string `json:"accounts"`
	// Excluded are every account the configuration's scope excludes, in
	// ID order, whatever the accounts filter: the state machine passes
	// them with Accounts (workflow.Item.Excluded). With Accounts they hold
	// at most the organization's accounts, which the state's bound counts
	// (workflow.StateBound).
	Excluded []string `json:"excluded"`
}

// Run resolves the regions and accounts of a run.
func Run(ctx context.Context, d Deps, cfg settings.Config, in workflow.Input, log *slog.Logger) (Result, error) {
	res := Result{StepResult: workflow.StepResult{Step: Spec.Name, Mode: in.Mode, Outcomes: []workflow.Outcome{}},
		Regions: []string{}, OtherRegions: []string{}, HomeRegions: []string{}, Accounts: []string{}, Excluded: []string{}}
	regions, err := resolveRegions(ctx, d, cfg, in, &res.StepResult)
	if err != nil {
		return res, err
	}
	for _, r := range regions {
		if r == cfg.HomeRegion {
			res.HomeRegion = r
		} else {
			res.OtherRegions = append(res.OtherRegions, r)
		}
	}
	if res.HomeRegion != "" {
		res.Regions = append(res.Regions, res.HomeRegion)
		res.HomeRegions = []string{res.HomeRegion}
	}
	res.Regions = append(res.Regions, res.OtherRegions...)

	excluded := Exclusions{}
	if cfg.Scope.Any() {
		if excluded, err = ResolveScope(ctx, d.Scope, cfg); err != nil {
			return res, err
		}
		res.Excluded = excluded.IDs()
	}
	if res.Accounts, err = resolveAccounts(ctx, d.Accounts, cfg, in, excluded, &res.StepResult); err != nil {
		return res, err
	}
	if res.Accounts == nil {
		// The state machine fans out over the list: an empty one, never
		// null (a Map over null fails with States.Runtime).
		res.Accounts = []string{}
	}
	if err := checkRunLength(d, len(res.Accounts), len(res.Regions), in.Onboarding != nil, &res.StepResult); err != nil {
		return res, err
	}
	log.InfoContext(ctx, "targets", "regions", len(res.Regions), "accounts", len(res.Accounts), "excluded", len(res.Excluded), "skipped", len(res.Outcomes))
	return res, nil
}

// checkRunLength refuses, before any change, a run that might not end
// within the state machine's timeout (workflow.RunBound at the run's
// accounts and regions), with what to do instead.
func checkRunLength(d Deps, accounts, regions int, onboarding bool, res *workflow.StepResult) error {
	const op = "check the run's length"
	switch {
	case d.PacesErr != nil:
		return &workflow.TerminalError{Op: op, Err: d.PacesErr}
	case d.Paces == nil:
		res.Warnings = append(res.Warnings, "the run's length is not checked: "+workflow.EnvRunPaces+" is not set")
		return nil
	}
	bound := workflow.RunBound(d.Paces, accounts, regions, onboarding)
	if bound <= workflow.ExecutionTimeout {
		return nil
	}
	return &workflow.TerminalError{Op: op, Err: fmt.Errorf(
		"%d accounts x %d regions may take up to %s, beyond the state machine's timeout of %s: run the accounts in parts with --accounts, or fewer regions with --regions",
		accounts, regions, bound.Round(time.Minute), workflow.ExecutionTimeout)}
}

func skip(res *workflow.StepResult, account, region, reason string) {
	res.Add(workflow.Outcome{Account: account, Region: region, Service: ServiceName, Status: workflow.StatusSkipped, Reason: reason})
}

// resolveRegions returns the enabled regions of the run, in configuration
// order (discovered ones sorted), reporting the others as skipped.
func resolveRegions(ctx context.Context, d Deps, cfg settings.Config, in workflow.Input, res *workflow.StepResult) ([]string, error) {
	mgmt := cfg.Accounts.Management
	candidates := cfg.Regions.Names
	if cfg.Regions.Discover {
		var unknown []string
		var err error
		if candidates, unknown, err = discover(ctx, d.Regions); err != nil {
			return nil, err
		}
		for _, r := range unknown {
			skip(res, mgmt, r, "enabled in the account, but not a region orgbaseline knows (the aws partition's list in shared/settings)")
		}
	}
	for _, r := range in.Regions {
		if !slices.Contains(candidates, r) {
			skip(res, mgmt, r, "not a region of the run: not in the configuration's regions, or not enabled in the account")
		}
	}
	var wanted []string
	for _, r := range candidates {
		if in.WantsRegion(r) {
			wanted = append(wanted, r)
		}
	}

	// Check each region's STS endpoint, a few at a time.
	type check struct {
		enabled bool
		err     error
	}
	results := make([]check, len(wanted))
	sem := make(chan struct{}, RegionCheckConcurrency)
	var wg sync.WaitGroup
	for i, r := range wanted {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			_, err := d.STSIn(r).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			switch {
			case err == nil:
				results[i] = check{enabled: true}
			case awsclient.CredentialsRejected(err):
				results[i] = check{enabled: false}
			default:
				results[i] = check{err: awsclient.Classify("check region "+r, err)}
			}
		}()
	}
	wg.Wait()
	var enabled []string
	for i, r := range wanted {
		switch c := results[i]; {
		case c.err != nil:
			return nil, c.err
		case c.enabled:
			enabled = append(enabled, r)
		default:
			skip(res, mgmt, r, "region not enabled (opted out) for the management account")
		}
	}
	return enabled, nil
}

// discover lists the regions the account has enabled: those orgbaseline
// knows, and the others.
func discover(ctx context.Context, api account.ListRegionsAPIClient) (known, unknown []string, err error) {
	pages := account.NewListRegionsPaginator(api, &account.ListRegionsInput{
		RegionOptStatusContains: []accounttypes.RegionOptStatus{accounttypes.RegionOptStatusEnabled, accounttypes.RegionOptStatusEnabledByDefault},
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, nil, awsclient.Classify("discover the enabled regions (account:ListRegions)", err)
		}
		for _, r := range page.Regions {
			name := aws.ToString(r.RegionName)
			if settings.KnownRegion(name) {
				known = append(known, name)
			} else {
				unknown = append(unknown, name)
			}
		}
	}
	slices.Sort(known)
	return known, unknown, nil
}

// DescribeAtMost is the most --accounts the step reads one by one
// (DescribeAccount); with more it lists the organization. A run narrowed to
// a few accounts, an onboarding, then costs the same whatever the
// organization's size.
const DescribeAtMost = 20

// resolveAccounts returns the ACTIVE accounts of the run that the scope
// does not exclude, the management account first, reporting the others as
// skipped.
func resolveAccounts(ctx context.Context, api AccountsAPI, cfg settings.Config, in workflow.Input, excluded Exclusions, res *workflow.StepResult) ([]string, error) {
	found := map[string]bool{}
	var active []string
	consider := func(a orgtypes.Account) {
		id := aws.ToString(a.Id)
		found[id] = true
		if !in.WantsAccount(id) {
			return
		}
		if why, ok := excluded[id]; ok {
			skip(res, id, workflow.RegionGlobal, why)
			return
		}
		if state := AccountState(a); state != string(orgtypes.AccountStateActive) {
			skip(res, id, workflow.RegionGlobal, fmt.Sprintf("account is %s", state))
			return
		}
		active = append(active, id)
	}
	var err error
	if n := len(in.Accounts); n > 0 && n <= DescribeAtMost {
		err = describeAccounts(ctx, api, in.Accounts, consider)
	} else {
		err = listAccounts(ctx, api, consider)
	}
	if err != nil {
		return nil, err
	}
	for _, id := range in.Accounts {
		if !found[id] {
			skip(res, id, workflow.RegionGlobal, "not an account of the organization")
		}
	}
	// The management account first, then the others in ID order.
	slices.SortFunc(active, func(a, b string) int {
		switch {
		case a == cfg.Accounts.Management:
			return -1
		case b == cfg.Accounts.Management:
			return 1
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	})
	return active, nil
}

// listAccounts calls each with every account of the organization.
func listAccounts(ctx context.Context, api AccountsAPI, each func(orgtypes.Account)) error {
	pages := organizations.NewListAccountsPaginator(api, &organizations.ListAccountsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return awsclient.Classify("list the organization's accounts", err)
		}
		for _, a := range page.Accounts {
			each(a)
		}
	}
	return nil
}

// describeAccounts calls each with every account of ids that is in the
// organization; AccountNotFoundException leaves an ID out.
func describeAccounts(ctx context.Context, api AccountsAPI, ids []string, each func(orgtypes.Account)) error {
	for _, id := range ids {
		out, err := api.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(id)})
		var notFound *orgtypes.AccountNotFoundException
		switch {
		case errors.As(err, &notFound):
			continue
		case err != nil:
			return awsclient.Classify("read account "+id, err)
		case out.Account != nil:
			each(*out.Account)
		}
	}
	return nil
}

// AccountState reads an account's state: State, or in older responses the
// Status field.
func AccountState(a orgtypes.Account) string {
	if a.State != "" {
		return string(a.State)
	}
	return string(a.Status) // the field older responses carry
}

// Active reports whether the account is ACTIVE: the only accounts the
// baseline works on.
func Active(a orgtypes.Account) bool { return AccountState(a) == string(orgtypes.AccountStateActive) }
