package step

import (
	"context"
	"log/slog"
	"sync"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// ItemRegions are the regions of a per-account item: Item.Regions, or its
// one Region.
func ItemRegions(item workflow.Item) []string {
	if len(item.Regions) == 0 && item.Region != "" {
		return []string{item.Region}
	}
	return item.Regions
}

// SkipRegions adds to res a skipped row with reason for each region of
// account ("-" for none, and for no account).
func SkipRegions(res *workflow.StepResult, account, service string, regions []string, reason string) {
	if account == "" {
		account = "-"
	}
	if len(regions) == 0 {
		regions = []string{"-"}
	}
	for _, r := range regions {
		res.Add(workflow.Outcome{Account: account, Region: r, Service: service, Status: workflow.StatusSkipped, Reason: reason})
	}
}

// RegionFunc settles one region's row (its Account, Region and Service
// set) and returns the region's warnings, and the error the state machine
// is to retry, if any.
type RegionFunc func(ctx context.Context, region string, row *workflow.Outcome) ([]string, error)

// EachRegion runs fn for each of account's regions, concurrency at a time
// (a per-account step works through its regions in-process: each region
// its own endpoint and request quotas), then adds the rows, in region
// order, and their warnings to res; a region that acted is a change in
// apply mode, even if it failed after. When fn returns an error for a
// region, the first one is returned and no row is added: the state machine
// calls the account again, and its converged regions cost reads only.
func EachRegion(ctx context.Context, res *workflow.StepResult, account, service string, regions []string, concurrency int, apply bool, fn RegionFunc) error {
	rows := make([]workflow.Outcome, len(regions))
	warnings := make([][]string, len(regions))
	errs := make([]error, len(regions))
	sem := make(chan struct{}, max(concurrency, 1))
	var wg sync.WaitGroup
	for i, region := range regions {
		rows[i] = workflow.Outcome{Account: account, Region: region, Service: service}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			warnings[i], errs[i] = fn(ctx, region, &rows[i])
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	for i := range rows {
		res.Warnings = append(res.Warnings, warnings[i]...)
		res.Add(rows[i])
		res.Changed = res.Changed || (apply && len(rows[i].Actions) > 0)
	}
	return nil
}

// HandleRegion is Handle for one region's item: run gets the clients in
// returns for the item's region, or their zero value for an item that
// names no region (which the step reports as skipped, SkippedItem).
func HandleRegion[C any](ctx context.Context, item workflow.Item, log *slog.Logger, in func(region string) C, run func(context.Context, C, *slog.Logger) (workflow.StepResult, error)) (workflow.StepResult, error) {
	return Handle(ctx, item.Input, log, func(ctx context.Context, log *slog.Logger) (workflow.StepResult, error) {
		var c C
		if item.Region != "" {
			c = in(item.Region)
		}
		return run(ctx, c, log)
	})
}
