package detective

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/detective"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/logging"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// Handler runs the Detective steps: Admin and Org give the clients of a
// region, Accept Detective in an account and a region.
type Handler struct {
	Settings settings.Config
	// Admin returns the detective-admin clients in a region: Detective in
	// the management account, GuardDuty in the security account.
	Admin func(region string) AdminDeps
	// Org returns the detective-org clients in a region: Detective in the
	// security account, Organizations in the management account.
	Org func(region string) OrgDeps
	// Accept returns Detective in an account and a region (the Lambda's
	// own configuration for the management account, the execution role's
	// elsewhere), for detective-accept.
	Accept func(account, region string) AcceptAPI
	Log    *slog.Logger
}

func newHandler(d step.Deps) *Handler {
	sec := d.Settings.Accounts.Security
	orgs := organizations.NewFromConfig(awsclient.WithRegion(d.AWS, awsclient.OrganizationsRegion))
	return &Handler{
		Settings: d.Settings,
		Admin: func(region string) AdminDeps {
			return AdminDeps{
				Detective: detective.NewFromConfig(awsclient.WithRegion(d.AWS, region)),
				Graphs:    detective.NewFromConfig(awsclient.WithRegion(d.Accounts.Config(sec), region)),
				GuardDuty: guardduty.NewFromConfig(awsclient.WithRegion(d.Accounts.Config(sec), region)),
				Now:       time.Now,
			}
		},
		Org: func(region string) OrgDeps {
			return OrgDeps{Detective: detective.NewFromConfig(awsclient.WithRegion(d.Accounts.Config(sec), region)), Accounts: orgs}
		},
		Accept: func(account, region string) AcceptAPI {
			return detective.NewFromConfig(awsclient.WithRegion(d.Accounts.Config(account), region))
		},
		Log: d.Log,
	}
}

// buildAdmin wires the detective-admin handler from the Lambda's dependencies.
func buildAdmin(d step.Deps) step.Handler[workflow.Item, workflow.StepResult] {
	return newHandler(d).HandleAdmin
}

// buildOrg wires the detective-org handler from the Lambda's dependencies.
func buildOrg(d step.Deps) step.Handler[workflow.Item, workflow.StepResult] {
	return newHandler(d).HandleOrg
}

// HandleAdmin runs detective-admin for the item's region. Its error, if
// any, is one of the named workflow errors at the top level.
func (h *Handler) HandleAdmin(ctx context.Context, item workflow.Item) (workflow.StepResult, error) {
	log := logging.Where(h.Log, h.Settings.Accounts.Management, item.Region, settings.ServiceDetective)
	return step.HandleRegion(ctx, item, log, h.Admin, func(ctx context.Context, d AdminDeps, log *slog.Logger) (workflow.StepResult, error) {
		return EnableAdmin(ctx, d, h.Settings, item, log)
	})
}

// HandleOrg runs detective-org for the item's region. Its error, if any,
// is one of the named workflow errors at the top level.
func (h *Handler) HandleOrg(ctx context.Context, item workflow.Item) (workflow.StepResult, error) {
	log := logging.Where(h.Log, h.Settings.Accounts.Security, item.Region, settings.ServiceDetective)
	return step.HandleRegion(ctx, item, log, h.Org, func(ctx context.Context, d OrgDeps, log *slog.Logger) (workflow.StepResult, error) {
		return ConfigureOrg(ctx, d, h.Settings, item, log)
	})
}

// buildAccept wires the detective-accept handler from the Lambda's dependencies.
func buildAccept(d step.Deps) step.Handler[workflow.Item, workflow.StepResult] {
	return newHandler(d).HandleAccept
}

// HandleAccept runs detective-accept for the item's account, in its
// regions. Its error, if any, is one of the named workflow errors at the
// top level.
func (h *Handler) HandleAccept(ctx context.Context, item workflow.Item) (workflow.StepResult, error) {
	log := logging.Where(h.Log, item.Account, item.Region, settings.ServiceDetective)
	return step.Handle(ctx, item.Input, log, func(ctx context.Context, log *slog.Logger) (workflow.StepResult, error) {
		return AcceptInvitations(ctx, func(region string) AcceptAPI { return h.Accept(item.Account, region) }, h.Settings, item, log)
	})
}
