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
	// Local returns Security Hub in the security account and a region.
	Local func(region string) LocalAPI
	// In returns Security Hub in an account and a region (the Lambda's
	// own configuration for the management account, the execution
	// role's elsewhere).
	In  func(account, region string) StandardsAPI
	Log *slog.Logger
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
		Local: func(region string) LocalAPI {
			return securityhub.NewFromConfig(awsclient.WithRegion(d.Accounts.Config(sec), region))
		},
		In: func(account, region string) StandardsAPI {
			return securityhub.NewFromConfig(awsclient.WithRegion(d.Accounts.Config(account), region))
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

func buildLocal(d step.Deps) step.Handler[workflow.Item, workflow.StepResult] {
	return newHandler(d).HandleLocal
}

func buildStandards(d step.Deps) step.Handler[workflow.Item, workflow.StepResult] {
	return newHandler(d).HandleStandards
}

// HandleAdmin runs securityhub-admin for the item's region. Its error, if
// any, is one of the named workflow errors at the top level.
func (h *Handler) HandleAdmin(ctx context.Context, item workflow.Item) (workflow.StepResult, error) {
	log := logging.Where(h.Log, h.Settings.Accounts.Management, item.Region, settings.ServiceSecurityHub)
	return step.HandleRegion(ctx, item, log, h.Admin, func(ctx context.Context, api AdminAPI, log *slog.Logger) (workflow.StepResult, error) {
		return EnableAdmin(ctx, api, h.Settings, item, log)
	})
}

// HandleCentral runs securityhub-central in the item's region (the home
// region). Its error, if any, is one of the named workflow errors at the
// top level.
func (h *Handler) HandleCentral(ctx context.Context, item workflow.Item) (workflow.StepResult, error) {
	log := logging.Where(h.Log, h.Settings.Accounts.Security, item.Region, settings.ServiceSecurityHub)
	return step.HandleRegion(ctx, item, log, h.Central, func(ctx context.Context, d CentralDeps, log *slog.Logger) (workflow.StepResult, error) {
		return ConfigureCentral(ctx, d, h.Settings, item, log)
	})
}

// HandleLocal runs securityhub-local in the item's region. Its error, if
// any, is one of the named workflow errors at the top level.
func (h *Handler) HandleLocal(ctx context.Context, item workflow.Item) (workflow.StepResult, error) {
	log := logging.Where(h.Log, h.Settings.Accounts.Security, item.Region, settings.ServiceSecurityHub)
	return step.HandleRegion(ctx, item, log, h.Local, func(ctx context.Context, api LocalAPI, log *slog.Logger) (workflow.StepResult, error) {
		return ConfigureLocal(ctx, api, h.Settings, item, log)
	})
}

// HandleStandards runs securityhub-standards for the item's account, in
// its regions. Its error, if any, is one of the named workflow errors at
// the top level.
func (h *Handler) HandleStandards(ctx context.Context, item workflow.Item) (workflow.StepResult, error) {
	log := logging.Where(h.Log, item.Account, item.Region, settings.ServiceSecurityHub)
	return step.Handle(ctx, item.Input, log, func(ctx context.Context, log *slog.Logger) (workflow.StepResult, error) {
		return EnableStandards(ctx, func(region string) StandardsAPI { return h.In(item.Account, region) }, h.Settings, item, log)
	})
}
