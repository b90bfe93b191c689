package health

import (
	"context"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/health"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/logging"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// Handler is the health-org step Lambda.
type Handler struct {
	Settings settings.Config
	Deps     Deps
	Log      *slog.Logger
}

// build wires the handler from the Lambda's dependencies: Health at its
// global endpoint, Organizations at its own.
func build(d step.Deps) step.Handler[workflow.Input, workflow.StepResult] {
	h := &Handler{
		Settings: d.Settings,
		Deps: Deps{
			Health: health.NewFromConfig(awsclient.WithRegion(d.AWS, Region)),
			Orgs:   organizations.NewFromConfig(awsclient.WithRegion(d.AWS, awsclient.OrganizationsRegion)),
		},
		Log: d.Log,
	}
	return h.Handle
}

// Handle runs the step. Its error, if any, is one of the named workflow
// errors at the top level.
func (h *Handler) Handle(ctx context.Context, in workflow.Input) (workflow.StepResult, error) {
	log := logging.Where(h.Log, h.Settings.Accounts.Management, workflow.RegionGlobal, settings.ServiceHealth)
	return step.Handle(ctx, in, log, func(ctx context.Context, log *slog.Logger) (workflow.StepResult, error) {
		return Run(ctx, h.Deps, h.Settings, in, log)
	})
}
