package configsvc

import (
	"context"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/configservice"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/logging"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// AggregatorHandler is the config-aggregator step Lambda.
type AggregatorHandler struct {
	Settings settings.Config
	// Config is AWS Config in the security account's home region.
	Config AggregatorAPI
	Log    *slog.Logger
}

// buildAggregator wires the config-aggregator handler from the Lambda's
// dependencies.
func buildAggregator(d step.Deps) step.Handler[workflow.Input, workflow.StepResult] {
	return NewAggregatorHandler(d.Settings, d.Accounts, d.Log).Handle
}

// NewAggregatorHandler returns the config-aggregator handler: AWS Config in
// the security account, through accounts, in the home region.
func NewAggregatorHandler(cfg settings.Config, accounts *awsclient.Accounts, log *slog.Logger) *AggregatorHandler {
	return &AggregatorHandler{
		Settings: cfg,
		Config:   configservice.NewFromConfig(awsclient.WithRegion(accounts.Config(cfg.Accounts.Security), cfg.HomeRegion)),
		Log:      log,
	}
}

// Handle runs the step. Its error, if any, is one of the named workflow
// errors at the top level, so the state machine can match it.
func (h *AggregatorHandler) Handle(ctx context.Context, in workflow.Input) (workflow.StepResult, error) {
	log := logging.Where(h.Log, h.Settings.Accounts.Security, h.Settings.HomeRegion, settings.ServiceConfig)
	return step.Handle(ctx, in, log, func(ctx context.Context, log *slog.Logger) (workflow.StepResult, error) {
		return ConfigureAggregator(ctx, h.Config, h.Settings, in, log)
	})
}

// RulesHandler is the config-rules step Lambda.
type RulesHandler struct {
	Settings settings.Config
	// In returns AWS Config of the security account in a region.
	In  func(region string) RulesAPI
	Log *slog.Logger
}

// buildRules wires the config-rules handler from the Lambda's dependencies.
func buildRules(d step.Deps) step.Handler[workflow.Item, workflow.StepResult] {
	return NewRulesHandler(d.Settings, d.Accounts, d.Log).Handle
}

// NewRulesHandler returns the config-rules handler: AWS Config in the
// security account, through accounts.
func NewRulesHandler(cfg settings.Config, accounts *awsclient.Accounts, log *slog.Logger) *RulesHandler {
	return &RulesHandler{
		Settings: cfg,
		In: func(region string) RulesAPI {
			return configservice.NewFromConfig(awsclient.WithRegion(accounts.Config(cfg.Accounts.Security), region))
		},
		Log: log,
	}
}

// Handle runs the step for one region. Its error, if any, is one of the
// named workflow errors at the top level.
func (h *RulesHandler) Handle(ctx context.Context, item workflow.Item) (workflow.StepResult, error) {
	log := logging.Where(h.Log, h.Settings.Accounts.Security, item.Region, settings.ServiceConfig)
	return step.Handle(ctx, item.Input, log, func(ctx context.Context, log *slog.Logger) (workflow.StepResult, error) {
		var api RulesAPI
		if item.Region != "" {
			api = h.In(item.Region)
		}
		return ConfigureRules(ctx, api, h.Settings, item, log)
	})
}
