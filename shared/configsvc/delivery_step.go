package configsvc

import (
	"context"
	"errors"
	"log/slog"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/logging"
	"github.com/orgbaseline/orgbaseline/shared/org/targets"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// DeliveryHandler is the config-delivery step Lambda.
type DeliveryHandler struct {
	Settings settings.Config
	Deps     DeliveryDeps
	// Accounts lists the organization, for a run narrowed with --accounts.
	Accounts organizations.ListAccountsAPIClient
	Log      *slog.Logger
}

var _ organizations.ListAccountsAPIClient = (*organizations.Client)(nil)

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
		Accounts: organizations.NewFromConfig(awsclient.WithRegion(d.AWS, awsclient.OrganizationsRegion)),
		Log:      d.Log,
	}
	return h.Handle
}

// Handle runs the step. Its error, if any, is one of the named workflow
// errors at the top level.
func (h *DeliveryHandler) Handle(ctx context.Context, item workflow.Item) (workflow.StepResult, error) {
	cfg := h.Settings
	log := logging.Where(h.Log, cfg.Accounts.LogArchive, cfg.HomeRegion, settings.ServiceConfig)
	return step.Handle(ctx, item.Input, log, func(ctx context.Context, log *slog.Logger) (workflow.StepResult, error) {
		return KeepDelivery(ctx, h.Deps, h.Accounts, cfg, item)
	})
}

// KeepDelivery is the config-delivery step: KeepDeliveryPolicies for every
// ACTIVE account of the organization. Those are the item's accounts (the
// org-targets step's) for a run over the whole organization; a run narrowed
// with --accounts lists the organization itself (ListAccounts, 20 a page),
// so that a narrowed run never drops an account from the policies.
func KeepDelivery(ctx context.Context, d DeliveryDeps, orgs organizations.ListAccountsAPIClient, cfg settings.Config, item workflow.Item) (workflow.StepResult, error) {
	in := item.Input
	res := workflow.StepResult{Step: DeliverySpec.Name, Mode: in.Mode, Outcomes: []workflow.Outcome{}}
	out := workflow.Outcome{Account: cfg.Accounts.LogArchive, Region: cfg.HomeRegion, Service: settings.ServiceConfig}
	if skipped(cfg, in, &out) {
		res.Add(out)
		return res, nil
	}
	accounts := item.Accounts
	if item.Accounts == nil {
		return res, &workflow.TerminalError{Op: "read the run's accounts", Err: errMissingAccounts}
	}
	if len(in.Accounts) > 0 {
		var err error
		if accounts, err = activeAccounts(ctx, orgs); err != nil {
			return res, err
		}
	}
	outs, err := KeepDeliveryPolicies(ctx, d, cfg, in.Mode, accounts)
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

// activeAccounts lists the organization's ACTIVE accounts, sorted.
func activeAccounts(ctx context.Context, api organizations.ListAccountsAPIClient) ([]string, error) {
	var out []string
	pages := organizations.NewListAccountsPaginator(api, &organizations.ListAccountsInput{MaxResults: aws.Int32(20)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, awsclient.Classify("list the organization's accounts", err)
		}
		for _, a := range page.Accounts {
			if targets.Active(a) {
				out = append(out, aws.ToString(a.Id))
			}
		}
	}
	slices.Sort(out)
	return out, nil
}
