package accessanalyzer

import (
	"context"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"

	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// ConfigureAccount puts the ACCOUNT analyzer in the item's account in each
// of its regions, AccountsSpec.RegionConcurrency at a time; in returns IAM
// Access Analyzer in the account and a region. Each region is its own row;
// only what the state machine is to retry is returned, and then the account
// is called again: its converged regions cost one read each.
func ConfigureAccount(ctx context.Context, in func(region string) API, cfg settings.Config, item workflow.Item, log *slog.Logger) (workflow.StepResult, error) {
	res := workflow.StepResult{Step: AccountsSpec.Name, Mode: item.Input.Mode, Outcomes: []workflow.Outcome{}}
	regions := step.ItemRegions(item)
	reason := skippedItem(cfg, item.Input, len(regions) == 0 || item.Account == "")
	if reason == "" && !cfg.Services.AccessAnalyzer.WantsAccountAnalyzers() {
		reason = "accessanalyzer.accountAnalyzers is off in the configuration"
	}
	if reason != "" {
		step.SkipRegions(&res, item.Account, settings.ServiceAccessAnalyzer, regions, reason)
		return res, nil
	}

	w := []want{{kind: types.TypeAccount, name: AccountAnalyzer}}
	apply := item.Input.Mode == workflow.ModeApply
	err := step.EachRegion(ctx, &res, item.Account, settings.ServiceAccessAnalyzer, regions, AccountsSpec.RegionConcurrency, apply,
		func(ctx context.Context, region string, row *workflow.Outcome) ([]string, error) {
			var part workflow.StepResult
			err := convergeAll(ctx, in(region), w, apply, row, &part, log)
			return part.Warnings, err
		})
	return res, err
}
