package accessanalyzer

import (
	"context"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/logging"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// Handler runs either step: In returns IAM Access Analyzer in an account
// and a region (the Lambda's own configuration for the management account,
// the execution role's elsewhere).
type Handler struct {
	Settings settings.Config
	In       func(account, region string) API
	Log      *slog.Logger
}

func newHandler(d step.Deps) *Handler {
	return &Handler{
		Settings: d.Settings,
		In: func(account, region string) API {
			return accessanalyzer.NewFromConfig(awsclient.WithRegion(d.Accounts.Config(account), region))
		},
		Log: d.Log,
	}
}

// buildOrg wires the accessanalyzer-org handler from the Lambda's dependencies.
func buildOrg(d step.Deps) step.Handler[workflow.Item, workflow.StepResult] {
	return newHandler(d).HandleOrg
}

// buildAccounts wires the accessanalyzer-accounts handler from the Lambda's dependencies.
func buildAccounts(d step.Deps) step.Handler[workflow.Item, workflow.StepResult] {
	return newHandler(d).HandleAccount
}

// HandleOrg runs accessanalyzer-org for the item's region. Its error, if
// any, is one of the named workflow errors at the top level.
func (h *Handler) HandleOrg(ctx context.Context, item workflow.Item) (workflow.StepResult, error) {
	sec := h.Settings.Accounts.Security
	log := logging.Where(h.Log, sec, item.Region, settings.ServiceAccessAnalyzer)
	in := func(region string) API { return h.In(sec, region) }
	return step.HandleRegion(ctx, item, log, in, func(ctx context.Context, api API, log *slog.Logger) (workflow.StepResult, error) {
		return ConfigureOrg(ctx, api, h.Settings, item, log)
	})
}

// HandleAccount runs accessanalyzer-accounts for the item's account, in
// its regions. Its error, if any, is one of the named workflow errors at
// the top level.
func (h *Handler) HandleAccount(ctx context.Context, item workflow.Item) (workflow.StepResult, error) {
	log := logging.Where(h.Log, item.Account, item.Region, settings.ServiceAccessAnalyzer)
	return step.Handle(ctx, item.Input, log, func(ctx context.Context, log *slog.Logger) (workflow.StepResult, error) {
		return ConfigureAccount(ctx, func(region string) API { return h.In(item.Account, region) }, h.Settings, item, log)
	})
}
