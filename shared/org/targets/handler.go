package targets

import (
	"context"
	"log/slog"

	"github.com/orgbaseline/orgbaseline/shared/logging"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// Handler is the org-targets step Lambda.
type Handler struct {
	Settings settings.Config
	Deps     Deps
	Log      *slog.Logger
}

// build wires the handler from the Lambda's dependencies.
func build(d step.Deps) step.Handler[workflow.Input, Result] {
	h := &Handler{Settings: d.Settings, Deps: NewDeps(d.AWS, d.Settings), Log: d.Log}
	return h.Handle
}

// Handle runs the step. Its error, if any, is one of the named workflow
// errors at the top level.
func (h *Handler) Handle(ctx context.Context, in workflow.Input) (Result, error) {
	log := logging.Where(h.Log, h.Settings.Accounts.Management, workflow.RegionGlobal, ServiceName)
	return step.Handle(ctx, in, log, func(ctx context.Context, log *slog.Logger) (Result, error) {
		return Run(ctx, h.Deps, h.Settings, in, log)
	})
}
