package orgtrail

import (
	"context"
	"log/slog"

	"github.com/orgbaseline/orgbaseline/shared/logging"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// Handler is the org-trail step Lambda.
type Handler struct {
	Settings settings.Config
	Deps     Deps
	Log      *slog.Logger
}

// build wires the handler from the Lambda's dependencies. The handler takes
// a workflow.Item: the spec sets TakesAccounts, so the state machine passes
// the execution input with the run's accounts.
func build(d step.Deps) step.Handler[workflow.Item, workflow.StepResult] {
	h := &Handler{Settings: d.Settings, Deps: NewDeps(d.AWS, d.Accounts, d.Settings), Log: d.Log}
	return h.Handle
}

// Handle runs the step. Its error, if any, is one of the named workflow
// errors at the top level, so the state machine can match it.
func (h *Handler) Handle(ctx context.Context, item workflow.Item) (workflow.StepResult, error) {
	log := logging.Where(h.Log, h.Settings.Accounts.Management, h.Settings.HomeRegion, settings.ServiceCloudTrail)
	return step.Handle(ctx, item.Input, log, func(ctx context.Context, log *slog.Logger) (workflow.StepResult, error) {
		return Run(ctx, h.Deps, h.Settings, item, log)
	})
}
