package configsvc

import (
	"context"
	"errors"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/logging"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// DeliveryHandler is the config-delivery step Lambda.
type DeliveryHandler struct {
	Settings settings.Config
	Deps     DeliveryDeps
	Log      *slog.Logger
}

// buildDelivery wires the config-delivery handler from the Lambda's
// dependencies: S3 in the log-archive account and KMS in the security
// account, both in the home region, through the execution role.
func buildDelivery(d step.Deps) step.Handler[workflow.Item, workflow.StepResult] {
	cfg := d.Settings
	sec := awsclient.WithRegion(d.Accounts.Config(cfg.Accounts.Security), cfg.HomeRegion)
	h := &DeliveryHandler{
		Settings: cfg,
		Deps: DeliveryDeps{
			Bucket: s3.NewFromConfig(awsclient.WithRegion(d.Accounts.Config(cfg.Accounts.LogArchive), cfg.HomeRegion)),
			Key:    kms.NewFromConfig(sec),
			KeyARN: (&awsclient.KeyResolver{KMS: kms.NewFromConfig(sec), Key: DeliveryKey(cfg)}).ARN,
		},
		Log: d.Log,
	}
	return h.Handle
}

// Handle runs the step. Its error, if any, is one of the named workflow
// errors at the top level.
func (h *DeliveryHandler) Handle(ctx context.Context, item workflow.Item) (workflow.StepResult, error) {
	cfg := h.Settings
	log := logging.Where(h.Log, cfg.Accounts.LogArchive, cfg.HomeRegion, settings.ServiceConfig)
	return step.Handle(ctx, item.Input, log, func(ctx context.Context, log *slog.Logger) (workflow.StepResult, error) {
		return KeepDelivery(ctx, h.Deps, cfg, item)
	})
}

// KeepDelivery is the config-delivery step: KeepDeliveryPolicies for the
// item's accounts (the org-targets step's ACTIVE accounts). A run narrowed
// with --accounts adds its accounts to those the policies list already, so
// that it never drops one and reads nothing of the organization: an
// onboarding costs the same whatever the organization's size.
func KeepDelivery(ctx context.Context, d DeliveryDeps, cfg settings.Config, item workflow.Item) (workflow.StepResult, error) {
	in := item.Input
	res := workflow.StepResult{Step: DeliverySpec.Name, Mode: in.Mode, Outcomes: []workflow.Outcome{}}
	out := workflow.Outcome{Account: cfg.Accounts.LogArchive, Region: cfg.HomeRegion, Service: settings.ServiceConfig}
	if skipped(cfg, in, &out) {
		res.Add(out)
		return res, nil
	}
	if item.Accounts == nil {
		return res, &workflow.TerminalError{Op: "read the run's accounts", Err: errMissingAccounts}
	}
	// A run narrowed with --accounts keeps the accounts the policies list
	// already; a run over the whole organization lists exactly its
	// accounts, which drops those that left it.
	outs, err := KeepDeliveryPolicies(ctx, d, cfg, in.Mode, item.Accounts, len(in.Accounts) > 0)
	if err != nil {
		return res, err
	}
	for _, o := range outs {
		res.Add(o)
	}
	return res, nil
}

// errMissingAccounts: the item has no account list, so the deployed state
// machine predates the step.
var errMissingAccounts = errors.New(`the step's input has no "accounts": the state machine passes the org-targets step's accounts to this step; redeploy the management stack (cdk deploy --all)`)
