package guardduty

import (
	"context"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/logging"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// AdminHandler is the guardduty-admin step Lambda.
type AdminHandler struct {
	Settings settings.Config
	// In returns the client for a region.
	In  func(region string) AdminAPI
	Log *slog.Logger
}

// buildAdmin wires the handler from the Lambda's dependencies.
func buildAdmin(d step.Deps) step.Handler[workflow.Item, workflow.StepResult] {
	h := &AdminHandler{Settings: d.Settings, Log: d.Log, In: clientsByRegion(d.AWS)}
	return h.Handle
}

func clientsByRegion(base aws.Config) func(string) AdminAPI {
	return func(region string) AdminAPI { return guardduty.NewFromConfig(awsclient.WithRegion(base, region)) }
}

// Handle runs the step for one region. Its error, if any, is one of the
// named workflow errors at the top level.
func (h *AdminHandler) Handle(ctx context.Context, item workflow.Item) (workflow.StepResult, error) {
	log := logging.Where(h.Log, h.Settings.Accounts.Management, item.Region, settings.ServiceGuardDuty)
	return step.HandleRegion(ctx, item, log, h.In, func(ctx context.Context, api AdminAPI, log *slog.Logger) (workflow.StepResult, error) {
		return EnableAdmin(ctx, api, h.Settings, item, log)
	})
}

// OrgHandler is the guardduty-org step Lambda.
type OrgHandler struct {
	Settings settings.Config
	// In returns the GuardDuty client of the security account in a region.
	In func(region string) OrgClient
	// Accounts reads the accounts to add as members, from the management
	// account.
	Accounts AccountAPI
	// FindingsKeyARN returns the findings key's ARN (awsclient.KeyResolver.ARN), kept
	// for the container's life.
	FindingsKeyARN func(ctx context.Context) (string, error)
	Log            *slog.Logger
}

// buildOrg wires the guardduty-org handler from the Lambda's dependencies.
func buildOrg(d step.Deps) step.Handler[workflow.Item, workflow.StepResult] {
	return NewOrgHandler(d.Settings, d.AWS, d.Accounts, d.Log).Handle
}

// NewOrgHandler returns the guardduty-org handler: GuardDuty in the security
// account through accounts, the accounts to add as members read with mgmt
// (the management account's configuration). The findings key is read in the
// security account's home region.
func NewOrgHandler(cfg settings.Config, mgmt aws.Config, accounts *awsclient.Accounts, log *slog.Logger) *OrgHandler {
	keys := newKeyResolver(cfg, accounts)
	return &OrgHandler{
		Settings: cfg,
		In: func(region string) OrgClient {
			return guardduty.NewFromConfig(awsclient.WithRegion(accounts.Config(cfg.Accounts.Security), region))
		},
		Accounts:       organizations.NewFromConfig(awsclient.WithRegion(mgmt, awsclient.OrganizationsRegion)),
		FindingsKeyARN: keys.ARN,
		Log:            log,
	}
}

// Handle runs the step for one region. Its error, if any, is one of the
// named workflow errors at the top level.
func (h *OrgHandler) Handle(ctx context.Context, item workflow.Item) (workflow.StepResult, error) {
	log := logging.Where(h.Log, h.Settings.Accounts.Security, item.Region, settings.ServiceGuardDuty)
	return step.HandleRegion(ctx, item, log, h.In, func(ctx context.Context, api OrgClient, log *slog.Logger) (workflow.StepResult, error) {
		return ConfigureOrg(ctx, OrgDeps{GuardDuty: api, Accounts: h.Accounts, FindingsKeyARN: h.FindingsKeyARN}, h.Settings, item, log)
	})
}
