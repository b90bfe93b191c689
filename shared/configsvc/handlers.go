package configsvc

import (
	"context"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/configservice"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/logging"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// Handler is the config-recorders step Lambda.
type Handler struct {
	Settings settings.Config
	// In returns the clients of an account: Config in region, and IAM.
	In func(account, region string) (ConfigAPI, IAMAPI)
	// KeyARN returns the delivery key's ARN (awsclient.KeyResolver.ARN), kept for
	// the container's life.
	KeyARN func(ctx context.Context) (string, error)
	Log    *slog.Logger
}

// buildRecorders wires the config-recorders handler from the Lambda's dependencies.
func buildRecorders(d step.Deps) step.Handler[workflow.Item, workflow.StepResult] {
	return NewHandler(d.Settings, d.Accounts, d.Log).Handle
}

// NewHandler returns the config-recorders handler. accounts gives each
// account's configuration: the Lambda's own for the management account (the
// account accounts runs in), the execution role's elsewhere. The delivery
// key is read in the security account's home region.
func NewHandler(cfg settings.Config, accounts *awsclient.Accounts, log *slog.Logger) *Handler {
	keys := &awsclient.KeyResolver{
		KMS: kms.NewFromConfig(awsclient.WithRegion(accounts.Config(cfg.Accounts.Security), cfg.HomeRegion)),
		Key: DeliveryKey(cfg),
	}
	return &Handler{
		Settings: cfg,
		In: func(account, region string) (ConfigAPI, IAMAPI) {
			c := accounts.Config(account)
			// IAM is global: its endpoint is the same from any region.
			return configservice.NewFromConfig(awsclient.WithRegion(c, region)), iam.NewFromConfig(awsclient.WithRegion(c, cfg.HomeRegion))
		},
		KeyARN: keys.ARN,
		Log:    log,
	}
}

// Handle runs the step for the item's account, in its regions. Its error,
// if any, is one of the named workflow errors at the top level.
func (h *Handler) Handle(ctx context.Context, item workflow.Item) (workflow.StepResult, error) {
	log := logging.Where(h.Log, item.Account, item.Region, settings.ServiceConfig)
	return step.Handle(ctx, item.Input, log, func(ctx context.Context, log *slog.Logger) (workflow.StepResult, error) {
		d := Deps{KeyARN: h.KeyARN}
		if item.Account != "" {
			d.Config = func(region string) ConfigAPI {
				c, _ := h.In(item.Account, region)
				return c
			}
			if region := firstRegion(item); region != "" {
				_, d.IAM = h.In(item.Account, region)
			}
		}
		return Converge(ctx, d, h.Settings, item, log)
	})
}

// firstRegion is the item's first region, "" when it names none.
func firstRegion(item workflow.Item) string {
	if len(item.Regions) > 0 {
		return item.Regions[0]
	}
	return item.Region
}

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
	return step.HandleRegion(ctx, item, log, h.In, func(ctx context.Context, api RulesAPI, log *slog.Logger) (workflow.StepResult, error) {
		return ConfigureRules(ctx, api, h.Settings, item, log)
	})
}
