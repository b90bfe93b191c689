package accessanalyzer

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"

	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// orgWants are the analyzers of the security account in each region under
// cfg; the unused-access analyzer excludes the accounts the scope excludes
// (excluded, the org-targets step's).
func orgWants(cfg settings.Config, excluded []string) []want {
	w := []want{{kind: types.TypeOrganization, name: OrganizationAnalyzer}}
	if u := cfg.Services.AccessAnalyzer.UnusedAccess; u.Enabled {
		w = append(w, want{kind: types.TypeOrganizationUnusedAccess, name: UnusedAccessAnalyzer, age: int32(u.AgeDays), excluded: sortedSet(excluded)})
	}
	return w
}

// ConfigureOrg puts the organization's analyzers in the security account in
// the item's region (api is IAM Access Analyzer there).
func ConfigureOrg(ctx context.Context, api API, cfg settings.Config, item workflow.Item, log *slog.Logger) (workflow.StepResult, error) {
	res := workflow.StepResult{Step: OrgSpec.Name, Mode: item.Input.Mode, Outcomes: []workflow.Outcome{}}
	out := workflow.Outcome{Account: cfg.Accounts.Security, Region: item.Region, Service: settings.ServiceAccessAnalyzer}
	if reason := skippedItem(cfg, item.Input, item.Region == ""); reason != "" {
		out.Status, out.Reason = workflow.StatusSkipped, reason
		if item.Region == "" {
			out.Region = "-"
		}
		res.Add(out)
		return res, nil
	}
	if w := cfg.ScopeWarning(settings.ServiceAccessAnalyzer); w != "" && item.Region == cfg.HomeRegion {
		// Once a run, not once a region.
		res.Warnings = append(res.Warnings, w)
	}
	if n := len(item.Excluded); n > MaxExcludedAccounts && cfg.Services.AccessAnalyzer.UnusedAccess.Enabled {
		return res, &workflow.TerminalError{Op: "exclude the scope's accounts from the unused-access analyzer", Err: fmt.Errorf(
			"%d accounts excluded by scope, and an analysis rule takes at most %d account IDs", n, MaxExcludedAccounts)}
	}
	if err := convergeAll(ctx, api, orgWants(cfg, item.Excluded), item.Input.Mode == workflow.ModeApply, &out, &res, log); err != nil {
		return res, err
	}
	res.Add(out)
	return res, nil
}

// convergeAll converges each analyzer of wants in one account and region
// into the row out (its actions, and its failure or skip: step.SettleRegion),
// with the warnings in res. It returns only what the state machine is to
// retry.
func convergeAll(ctx context.Context, api API, wants []want, apply bool, out *workflow.Outcome, res *workflow.StepResult, log *slog.Logger) error {
	for _, w := range wants {
		r, err := converge(ctx, api, w, apply)
		if err != nil {
			if serr := step.SettleRegion(out, "IAM Access Analyzer", err); serr != nil {
				return serr
			}
			if out.Status == workflow.StatusFailed {
				log.WarnContext(ctx, "analyzer failed", "account", out.Account, "region", out.Region, "type", string(w.kind), "error", err.Error())
			}
			return nil
		}
		if r.warning != "" {
			res.Warnings = append(res.Warnings, "accessanalyzer in "+out.Account+"/"+out.Region+": "+r.warning)
		}
		if r.action != nil {
			out.Actions = append(out.Actions, *r.action)
			if apply {
				log.InfoContext(ctx, "analyzer changed", "account", out.Account, "region", out.Region, "action", r.action.String())
			}
		}
	}
	return nil
}

// skippedItem returns why an item has nothing to do, "" when it has.
func skippedItem(cfg settings.Config, in workflow.Input, noRegion bool) string {
	return step.SkippedItem(cfg, in, settings.ServiceAccessAnalyzer, noRegion)
}
