package securityhub

import (
	"context"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/logging"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// Handler runs either step.
type Handler struct {
	Settings settings.Config
	// Admin returns Security Hub in the management account and a region.
	Admin func(region string) AdminAPI
	// Central returns the central step's clients in a region.
	Central func(region string) CentralDeps
	Log     *slog.Logger
}

func newHandler(d step.Deps) *Handler {
	sec := d.Settings.Accounts.Security
	roots := organizations.NewFromConfig(awsclient.WithRegion(d.AWS, awsclient.OrganizationsRegion))
	return &Handler{
		Settings: d.Settings,
		Admin: func(region string) AdminAPI {
			return securityhub.NewFromConfig(awsclient.WithRegion(d.AWS, region))
		},
		Central: func(region string) CentralDeps {
			return CentralDeps{SecurityHub: securityhub.NewFromConfig(awsclient.WithRegion(d.Accounts.Config(sec), region)), Roots: roots}
		},
		Log: d.Log,
	}
}

func buildAdmin(d step.Deps) step.Handler[workflow.Item, workflow.StepResult] {
	return newHandler(d).HandleAdmin
}

func buildCentral(d step.Deps) step.Handler[workflow.Item, workflow.StepResult] {
	return newHandler(d).HandleCentral
}

// HandleAdmin runs securityhub-admin for the item's region. Its error, if
// any, is one of the named workflow errors at the top level.
func (h *Handler) HandleAdmin(ctx context.Context, item workflow.Item) (workflow.StepResult, error) {
	log := logging.Where(h.Log, h.Settings.Accounts.Management, item.Region, settings.ServiceSecurityHub)
	return step.Handle(ctx, item.Input, log, func(ctx context.Context, log *slog.Logger) (workflow.StepResult, error) {
		var api AdminAPI
		if item.Region != "" {
			api = h.Admin(item.Region)
		}
		return EnableAdmin(ctx, api, h.Settings, item, log)
	})
}

// HandleCentral runs securityhub-central in the item's region (the home
// region). Its error, if any, is one of the named workflow errors at the
// top level.
func (h *Handler) HandleCentral(ctx context.Context, item workflow.Item) (workflow.StepResult, error) {
	log := logging.Where(h.Log, h.Settings.Accounts.Security, item.Region, settings.ServiceSecurityHub)
	return step.Handle(ctx, item.Input, log, func(ctx context.Context, log *slog.Logger) (workflow.StepResult, error) {
		var d CentralDeps
		if item.Region != "" {
			d = h.Central(item.Region)
		}
		return ConfigureCentral(ctx, d, h.Settings, item, log)
	})
}
