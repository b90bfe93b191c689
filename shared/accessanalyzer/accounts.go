package accessanalyzer

import (
	"context"
	"log/slog"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"

	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// ConfigureAccount puts the ACCOUNT analyzer in the item's account in each
// of its regions, AccountsSpec.RegionConcurrency at a time; in returns IAM
// Access Analyzer in the account and a region. Each region is its own row;
// only what the state machine is to retry is returned, and then the account
// is called again: its converged regions cost one read each.
func ConfigureAccount(ctx context.Context, in func(region string) API, cfg settings.Config, item workflow.Item, log *slog.Logger) (workflow.StepResult, error) {
	res := workflow.StepResult{Step: AccountsSpec.Name, Mode: item.Input.Mode, Outcomes: []workflow.Outcome{}}
	regions := item.Regions
	if len(regions) == 0 && item.Region != "" {
		regions = []string{item.Region}
	}
	reason := skippedItem(cfg, item.Input, len(regions) == 0 || item.Account == "")
	if reason == "" && !cfg.Services.AccessAnalyzer.WantsAccountAnalyzers() {
		reason = "accessanalyzer.accountAnalyzers is off in the configuration"
	}
	if reason != "" {
		if len(regions) == 0 {
			regions = []string{"-"}
		}
		for _, r := range regions {
			res.Add(workflow.Outcome{Account: orDash(item.Account), Region: r, Service: settings.ServiceAccessAnalyzer, Status: workflow.StatusSkipped, Reason: reason})
		}
		return res, nil
	}

	w := []want{{kind: types.TypeAccount, name: AccountAnalyzer}}
	apply := item.Input.Mode == workflow.ModeApply
	rows := make([]workflow.Outcome, len(regions))
	parts := make([]workflow.StepResult, len(regions))
	errs := make([]error, len(regions))
	sem := make(chan struct{}, max(AccountsSpec.RegionConcurrency, 1))
	var wg sync.WaitGroup
	for i, region := range regions {
		rows[i] = workflow.Outcome{Account: item.Account, Region: region, Service: settings.ServiceAccessAnalyzer}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = convergeAll(ctx, in(region), w, apply, &rows[i], &parts[i], log)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return res, err
		}
	}
	for i := range rows {
		res.Warnings = append(res.Warnings, parts[i].Warnings...)
		res.Add(rows[i])
		// A region failed after it acted is still a change.
		res.Changed = res.Changed || (apply && len(rows[i].Actions) > 0)
	}
	return res, nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
