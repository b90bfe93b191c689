// Package detective switches on Amazon Detective for the organization
// (organization mode: "Managing accounts with AWS Organizations", Amazon
// Detective Administration Guide). This file is the detective-admin step,
// one region per invocation, from the management account:
//
//  1. detective:ListOrganizationAdminAccounts: the security account already
//     the administrator is success; another account is a conflict,
//     reported with both IDs and never replaced.
//  2. Detective's prerequisite: "make sure that your account has been
//     enrolled in Amazon GuardDuty for at least 48 hours" (CreateGraph,
//     Amazon Detective API Reference). The security account's GuardDuty
//     detector in the region is read through the execution role
//     (guardduty:ListDetectors, GetDetector: its CreatedAt); without one, or
//     younger than 48 hours, the region is skipped as not yet eligible, and
//     a later run enables it. The current CreateGraph page no longer states
//     the 48 hours, so with GuardDuty off in the configuration the step
//     only warns and lets Detective decide.
//  3. detective:EnableOrganizationAdminAccount for the security account,
//     which enables Detective there with a behavior graph and registers the
//     Organizations delegated administrator itself. A refusal that names
//     GuardDuty is the same skip.
package detective

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/detective"
	dtypes "github.com/aws/aws-sdk-go-v2/service/detective/types"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// CallEnableAdmin is the action the step takes.
const CallEnableAdmin = "detective:EnableOrganizationAdminAccount"

// Principal is Detective's service principal.
const Principal = "detective.amazonaws.com"

// GuardDutyAge is how long GuardDuty must have been on before Detective
// can be enabled.
const GuardDutyAge = 48 * time.Hour

// AdminAPI is the part of the Detective client the step uses, in the
// management account and one region.
type AdminAPI interface {
	detective.ListOrganizationAdminAccountsAPIClient
	EnableOrganizationAdminAccount(ctx context.Context, in *detective.EnableOrganizationAdminAccountInput, optFns ...func(*detective.Options)) (*detective.EnableOrganizationAdminAccountOutput, error)
}

// DetectorAPI reads the security account's GuardDuty detector in a region.
type DetectorAPI interface {
	guardduty.ListDetectorsAPIClient
	GetDetector(ctx context.Context, in *guardduty.GetDetectorInput, optFns ...func(*guardduty.Options)) (*guardduty.GetDetectorOutput, error)
}

var (
	_ AdminAPI    = (*detective.Client)(nil)
	_ DetectorAPI = (*guardduty.Client)(nil)
)

// AdminDeps are the detective-admin step's clients in one region, and its
// clock.
type AdminDeps struct {
	Detective AdminAPI
	GuardDuty DetectorAPI
	Now       func() time.Time
}

// EnableAdmin makes the security account Detective's administrator in the
// item's region.
func EnableAdmin(ctx context.Context, d AdminDeps, cfg settings.Config, item workflow.Item, log *slog.Logger) (workflow.StepResult, error) {
	res := workflow.StepResult{Step: AdminSpec.Name, Mode: item.Input.Mode, Outcomes: []workflow.Outcome{}}
	out := workflow.Outcome{Account: cfg.Accounts.Management, Region: item.Region, Service: settings.ServiceDetective}
	if reason := skippedItem(cfg, item.Input, item.Region == ""); reason != "" {
		out.Status, out.Reason = workflow.StatusSkipped, reason
		if item.Region == "" {
			out.Region = "-"
		}
		res.Add(out)
		return res, nil
	}
	security := cfg.Accounts.Security
	admins, err := listAdmins(ctx, d.Detective)
	if err != nil {
		return res, settle(&out, &res, err)
	}
	switch {
	case len(admins) == 1 && admins[0] == security:
		res.Add(out)
		return res, nil
	case len(admins) > 0:
		return res, conflict(item.Region, strings.Join(admins, ", "), security)
	}

	if why, err := notEligible(ctx, d, item.Region); err != nil || why != "" {
		if err != nil {
			return res, settle(&out, &res, err)
		}
		if cfg.Enabled(settings.ServiceGuardDuty) {
			out.Status, out.Reason = workflow.StatusSkipped, why
			res.Add(out)
			return res, nil
		}
		// GuardDuty is not the baseline's here: Detective judges.
		res.Warnings = append(res.Warnings, "detective in "+item.Region+": "+why+" (guardduty is off in the configuration; Detective decides)")
	}

	out.Actions = []workflow.Action{{Call: CallEnableAdmin, Target: security}}
	if item.Input.Mode == workflow.ModeApply {
		_, err := d.Detective.EnableOrganizationAdminAccount(ctx, &detective.EnableOrganizationAdminAccountInput{AccountId: aws.String(security)})
		var invalid *dtypes.ValidationException
		switch {
		case errors.As(err, &invalid) && strings.Contains(strings.ToLower(aws.ToString(invalid.Message)), "guardduty"):
			out.Actions, out.Status = nil, workflow.StatusSkipped
			out.Reason = "not yet eligible: Detective refused: " + aws.ToString(invalid.Message)
			res.Add(out)
			return res, nil
		case err != nil:
			// Another run may have made it since the read.
			again, lerr := listAdmins(ctx, d.Detective)
			if lerr != nil || len(again) != 1 || again[0] != security {
				return res, settle(&out, &res, awsclient.Classify("enable the Detective administrator in "+item.Region, err))
			}
			out.Actions = nil
		default:
			log.InfoContext(ctx, "enabled the Detective administrator", "region", item.Region, "account", security)
		}
	}
	res.Add(out)
	return res, nil
}

// notEligible returns why Detective cannot be enabled yet in region: the
// security account's GuardDuty has no detector there, or a younger one
// than GuardDutyAge; "" when it can.
func notEligible(ctx context.Context, d AdminDeps, region string) (string, error) {
	ids, err := d.GuardDuty.ListDetectors(ctx, &guardduty.ListDetectorsInput{})
	if err != nil {
		return "", err
	}
	if len(ids.DetectorIds) == 0 {
		return "not yet eligible: GuardDuty has no detector in the security account in " + region + "; Detective needs GuardDuty on for 48 hours first", nil
	}
	det, err := d.GuardDuty.GetDetector(ctx, &guardduty.GetDetectorInput{DetectorId: aws.String(ids.DetectorIds[0])})
	if err != nil {
		return "", err
	}
	created, perr := time.Parse(time.RFC3339, aws.ToString(det.CreatedAt))
	if perr != nil {
		// An unreadable date: let Detective judge.
		return "", nil
	}
	if age := d.Now().Sub(created); age < GuardDutyAge {
		return fmt.Sprintf("not yet eligible: GuardDuty has been on in the security account in %s since %s (%s); Detective needs 48 hours, a run after %s enables it",
			region, created.UTC().Format(time.RFC3339), age.Round(time.Minute), created.Add(GuardDutyAge).UTC().Format(time.RFC3339)), nil
	}
	return "", nil
}

func listAdmins(ctx context.Context, api AdminAPI) ([]string, error) {
	var ids []string
	pages := detective.NewListOrganizationAdminAccountsPaginator(api, &detective.ListOrganizationAdminAccountsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range page.Administrators {
			ids = append(ids, aws.ToString(a.AccountId))
		}
	}
	return ids, nil
}

// settle ends the region's row with err (step.SettleRegion): what the
// state machine is to retry, or a conflict, is returned; the rest is the
// row, added to res.
func settle(out *workflow.Outcome, res *workflow.StepResult, err error) error {
	if serr := step.SettleRegion(out, "Amazon Detective", err); serr != nil {
		return serr
	}
	res.Add(*out)
	return nil
}

func conflict(region, found, wanted string) error {
	return &workflow.ConflictError{Conflicts: []workflow.Conflict{{
		Service: settings.ServiceDetective, Resource: "administrator in " + region,
		Found: found, Wanted: wanted,
		Hint: "orgbaseline never replaces a Detective administrator; disable it yourself or set accounts.security to it",
	}}}
}

// skippedItem returns why an item has nothing to do, "" when it has.
func skippedItem(cfg settings.Config, in workflow.Input, noRegion bool) string {
	return step.SkippedItem(cfg, in, settings.ServiceDetective, noRegion)
}
