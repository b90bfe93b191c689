package guardduty

import (
	"context"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/lambdamain"
	"github.com/orgbaseline/orgbaseline/shared/logging"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// AdminHandler is the guardduty-admin step Lambda.
type AdminHandler struct {
	Settings settings.Config
	// In returns the client for a region.
	In  func(region string) AdminAPI
	Log *slog.Logger
}

// BuildAdmin wires the handler from the Lambda's dependencies.
func BuildAdmin(_ context.Context, d lambdamain.Deps) (any, error) {
	h := &AdminHandler{Settings: d.Settings, Log: d.Log, In: clientsByRegion(d.AWS)}
	return h.Handle, nil
}

func clientsByRegion(base aws.Config) func(string) AdminAPI {
	return func(region string) AdminAPI { return guardduty.NewFromConfig(awsclient.WithRegion(base, region)) }
}

// Handle runs the step for one region. Its error, if any, is one of the
// named workflow errors at the top level.
func (h *AdminHandler) Handle(ctx context.Context, item workflow.Item) (workflow.StepResult, error) {
	if err := item.Input.Validate(); err != nil {
		return workflow.StepResult{}, err
	}
	log := logging.Where(h.Log, h.Settings.Accounts.Management, item.Region, settings.ServiceGuardDuty).With("mode", string(item.Input.Mode))
	var api AdminAPI
	if item.Region != "" {
		api = h.In(item.Region)
	}
	res, err := EnableAdmin(ctx, api, h.Settings, item, log)
	if err != nil {
		err = workflow.Unwrapped(err)
		log.ErrorContext(ctx, "step failed", "error", err.Error())
		return workflow.StepResult{}, err
	}
	log.InfoContext(ctx, "step done", "changed", res.Changed)
	return res, nil
}
