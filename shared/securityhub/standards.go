package securityhub

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// CallEnableStandards is the call the standards step reports.
const CallEnableStandards = "securityhub:BatchEnableStandards"

// StandardsPerCall is the most standards one BatchEnableStandards call
// takes ("BatchEnableStandards", AWS Security Hub API Reference:
// StandardsSubscriptionRequests, 1 to 25 items).
const StandardsPerCall = 25

// StandardsAPI is the part of the Security Hub client the standards step
// uses, in one account and region.
// Each method is the operation of its name in the AWS Security Hub CSPM
// API Reference; the errors handled are the ones its Errors section lists.
type StandardsAPI interface {
	DescribeHub(ctx context.Context, in *securityhub.DescribeHubInput, optFns ...func(*securityhub.Options)) (*securityhub.DescribeHubOutput, error)
	securityhub.GetEnabledStandardsAPIClient
	BatchEnableStandards(ctx context.Context, in *securityhub.BatchEnableStandardsInput, optFns ...func(*securityhub.Options)) (*securityhub.BatchEnableStandardsOutput, error)
}

var _ StandardsAPI = (*securityhub.Client)(nil)

// EnableStandards enables the configured standards in the item's account,
// in each of its regions, StandardsSpec.RegionConcurrency at a time; in
// returns Security Hub in the account and a region. Each region is its own
// row; only what the state machine is to retry is returned, and then the
// account is called again: its converged regions cost two reads each.
//
// Per region: DescribeHub ("DescribeHub": InvalidAccessException for an
// account without Security Hub); GetEnabledStandards
// ("GetEnabledStandards"); BatchEnableStandards ("BatchEnableStandards")
// for the configured standards not enabled, completed to their ARN in the
// region as central configuration's policy does (StandardARN). Standards
// enabled and not configured are left on: local configuration adds, it
// does not take away.
//
// A hub not on yet in the account and region (securityhub-local's
// CreateMembers turns it on in the organization's accounts, the
// management account's securityhub-admin) is, in apply mode, a
// NotReadyError: the state machine calls the account again after its
// back-off, and an account whose hub never comes on ends as its own failed
// rows when the retries run out. In plan mode it is planned, as the steps
// before it would turn it on.
func EnableStandards(ctx context.Context, in func(region string) StandardsAPI, cfg settings.Config, item workflow.Item, log *slog.Logger) (workflow.StepResult, error) {
	res := workflow.StepResult{Step: StandardsSpec.Name, Mode: item.Input.Mode, Outcomes: []workflow.Outcome{}}
	regions := step.ItemRegions(item)
	reason := step.SkippedItem(cfg, item.Input, settings.ServiceSecurityHub, len(regions) == 0 || item.Account == "")
	if reason == "" && !cfg.Services.SecurityHub.Local() {
		reason = CentralSkip
	}
	if reason != "" {
		step.SkipRegions(&res, item.Account, settings.ServiceSecurityHub, regions, reason)
		return res, nil
	}

	apply := item.Input.Mode == workflow.ModeApply
	err := step.EachRegion(ctx, &res, item.Account, settings.ServiceSecurityHub, regions, StandardsSpec.RegionConcurrency, apply,
		func(ctx context.Context, region string, row *workflow.Outcome) ([]string, error) {
			w, err := standardsIn(ctx, in(region), cfg.Services.SecurityHub.Standards, apply, row)
			if serr := step.SettleRegion(row, "Security Hub", err); serr != nil {
				return w, serr
			}
			if row.Status == workflow.StatusFailed {
				log.WarnContext(ctx, "Security Hub standards failed", "account", item.Account, "region", region, "error", err.Error())
			}
			return w, nil
		})
	return res, err
}

// standardsIn enables the configured standards in one account and region
// (api), adding its action to out; it returns warnings, and its error
// for step.SettleRegion.
func standardsIn(ctx context.Context, api StandardsAPI, configured []string, apply bool, out *workflow.Outcome) ([]string, error) {
	want := make([]string, 0, len(configured))
	for _, s := range configured {
		want = append(want, StandardARN(s, out.Region))
	}
	if len(want) == 0 {
		return nil, nil
	}
	on, err := hubEnabled(ctx, api)
	if err != nil {
		return nil, err
	}
	if !on {
		if !apply {
			out.Actions = append(out.Actions, standardsAction(want))
			return nil, nil
		}
		return nil, &workflow.NotReadyError{Op: "Security Hub standards in " + out.Account + "/" + out.Region,
			Err: fmt.Errorf("Security Hub is not on in the account yet (securityhub-local's CreateMembers turns it on in the organization's accounts, securityhub-admin in the management account)")}
	}
	enabled, warnings, err := enabledStandards(ctx, api, out.Account, out.Region)
	if err != nil {
		return warnings, err
	}
	var missing []string
	for _, w := range want {
		if !enabled[w] && !slices.Contains(missing, w) {
			missing = append(missing, w)
		}
	}
	if len(missing) == 0 {
		return warnings, nil
	}
	out.Actions = append(out.Actions, standardsAction(missing))
	if !apply {
		return warnings, nil
	}
	// BatchEnableStandards is throttled at 1 request per second, burst 1
	// (the throttling limits of the AWS Security Hub API Reference's
	// "Welcome"), per account and region: the step makes one call per
	// account and region (fewer than 25 standards exist), and the regions
	// it works on at once are each their own quota.
	for batch := range slices.Chunk(missing, StandardsPerCall) {
		in := &securityhub.BatchEnableStandardsInput{}
		for _, arn := range batch {
			in.StandardsSubscriptionRequests = append(in.StandardsSubscriptionRequests, shtypes.StandardsSubscriptionRequest{StandardsArn: aws.String(arn)})
		}
		if _, err := api.BatchEnableStandards(ctx, in); err != nil {
			return warnings, awsclient.Classify("enable Security Hub standards in "+out.Account+"/"+out.Region, err)
		}
	}
	return warnings, nil
}

func standardsAction(arns []string) workflow.Action {
	return workflow.Action{Call: CallEnableStandards, Target: strings.Join(arns, ", ")}
}

// enabledStandards returns the standards the account has enabled in the
// region, by standard ARN: a subscription PENDING, READY or INCOMPLETE is
// enabled; one DELETING is not (it is enabled again); one FAILED is kept
// as it is, with a warning ("StandardsSubscription", AWS Security Hub API
// Reference).
func enabledStandards(ctx context.Context, api StandardsAPI, account, region string) (map[string]bool, []string, error) {
	out := map[string]bool{}
	var warnings []string
	pages := securityhub.NewGetEnabledStandardsPaginator(api, &securityhub.GetEnabledStandardsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, warnings, err
		}
		for _, s := range page.StandardsSubscriptions {
			arn := aws.ToString(s.StandardsArn)
			switch s.StandardsStatus {
			case shtypes.StandardsStatusDeleting:
				continue
			case shtypes.StandardsStatusFailed:
				why := ""
				if s.StandardsStatusReason != nil {
					why = " (" + string(s.StandardsStatusReason.StatusReasonCode) + ")"
				}
				warnings = append(warnings, fmt.Sprintf("securityhub in %s/%s: the standard %s is FAILED%s; disable and enable it again to retry", account, region, arn, why))
			}
			out[arn] = true
		}
	}
	return out, warnings, nil
}
