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
//
// In invitation mode (services.detective.mode: invitation; "Inviting member
// accounts", Amazon Detective Administration Guide) the security account
// enables Detective for itself and invites the accounts to its own graph:
//
//  1. detective:ListOrganizationAdminAccounts, from the management account:
//     any organization administrator means organization mode is set up
//     ("The organization accounts do not receive invitations", Amazon
//     Detective API Reference): a conflict that asks for mode: organization,
//     and nothing is undone.
//  2. detective:ListGraphs in the security account, through the execution
//     role: a graph there is success.
//  3. Without one, the same GuardDuty 48-hour check, then
//     detective:CreateGraph ("CreateGraph", Amazon Detective API Reference:
//     it enables Detective for the calling account in the region and
//     returns its graph; called again, it returns the same ARN).
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

// Calls the step reports: organization mode's, invitation mode's.
const (
	CallEnableAdmin = "detective:EnableOrganizationAdminAccount"
	CallCreateGraph = "detective:CreateGraph"
)

// Principal is Detective's service principal.
const Principal = "detective.amazonaws.com"

// GuardDutyAge is how long GuardDuty must have been on before Detective
// can be enabled.
const GuardDutyAge = 48 * time.Hour

// AdminAPI is the part of the Detective client the step uses, in the
// management account and one region.
// Each method is the operation of its name in the Amazon Detective API
// Reference; the errors handled are the ones its Errors section lists.
type AdminAPI interface {
	detective.ListOrganizationAdminAccountsAPIClient
	EnableOrganizationAdminAccount(ctx context.Context, in *detective.EnableOrganizationAdminAccountInput, optFns ...func(*detective.Options)) (*detective.EnableOrganizationAdminAccountOutput, error)
}

// DetectorAPI reads the security account's GuardDuty detector in a region.
// ("ListDetectors" and "GetDetector", Amazon GuardDuty API Reference:
// createdAt, "the timestamp of when the detector was created", a string
// the step reads as RFC 3339, leaving the decision to Detective when it
// cannot.)
type DetectorAPI interface {
	guardduty.ListDetectorsAPIClient
	GetDetector(ctx context.Context, in *guardduty.GetDetectorInput, optFns ...func(*guardduty.Options)) (*guardduty.GetDetectorOutput, error)
}

// GraphAPI is the part of the Detective client invitation mode uses in the
// security account and one region: its own behavior graph.
type GraphAPI interface {
	detective.ListGraphsAPIClient
	CreateGraph(ctx context.Context, in *detective.CreateGraphInput, optFns ...func(*detective.Options)) (*detective.CreateGraphOutput, error)
}

var (
	_ AdminAPI    = (*detective.Client)(nil)
	_ GraphAPI    = (*detective.Client)(nil)
	_ DetectorAPI = (*guardduty.Client)(nil)
)

// AdminDeps are the detective-admin step's clients in one region, and its
// clock: Detective in the management account, and in invitation mode
// Detective in the security account (Graphs).
type AdminDeps struct {
	Detective AdminAPI
	Graphs    GraphAPI
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
	if cfg.Services.Detective.Invitation() {
		out.Account = security
		return res, createGraph(ctx, d, cfg, item, admins, &out, &res, log)
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

// createGraph is detective-admin in invitation mode, once the organization
// administrators are read (admins): none may be set, and the security
// account gets its own behavior graph. The row is out, added to res; what
// the state machine is to retry, or a conflict, is returned.
func createGraph(ctx context.Context, d AdminDeps, cfg settings.Config, item workflow.Item, admins []string, out *workflow.Outcome, res *workflow.StepResult, log *slog.Logger) error {
	if len(admins) > 0 {
		return organizationMode(item.Region, strings.Join(admins, ", "))
	}
	graph, err := ownGraph(ctx, d.Graphs)
	if err != nil {
		return settle(out, res, err)
	}
	if graph != "" {
		res.Add(*out)
		return nil
	}
	if why, err := notEligible(ctx, d, item.Region); err != nil || why != "" {
		if err != nil {
			return settle(out, res, err)
		}
		if cfg.Enabled(settings.ServiceGuardDuty) {
			out.Status, out.Reason = workflow.StatusSkipped, why
			res.Add(*out)
			return nil
		}
		res.Warnings = append(res.Warnings, "detective in "+item.Region+": "+why+" (guardduty is off in the configuration; Detective decides)")
	}
	out.Actions = []workflow.Action{{Call: CallCreateGraph, Target: cfg.Accounts.Security}}
	if item.Input.Mode != workflow.ModeApply {
		res.Add(*out)
		return nil
	}
	// No tags: CreateGraph with tags would need detective:TagResource too
	// ("Actions, resources, and condition keys for Amazon Detective").
	got, err := d.Graphs.CreateGraph(ctx, &detective.CreateGraphInput{})
	var invalid *dtypes.ValidationException
	switch {
	case errors.As(err, &invalid) && strings.Contains(strings.ToLower(aws.ToString(invalid.Message)), "guardduty"):
		out.Actions, out.Status = nil, workflow.StatusSkipped
		out.Reason = "not yet eligible: Detective refused: " + aws.ToString(invalid.Message)
	case err != nil:
		return settle(out, res, awsclient.Classify("create the security account's Detective behavior graph in "+item.Region, err))
	default:
		log.InfoContext(ctx, "enabled Detective in the security account", "region", item.Region, "graph", aws.ToString(got.GraphArn))
	}
	res.Add(*out)
	return nil
}

// ownGraph returns the ARN of the behavior graph the client's account
// administers in its region, "" when it has none ("ListGraphs", Amazon
// Detective API Reference: the graphs for which the caller is the
// administrator account; one per account and region).
func ownGraph(ctx context.Context, api detective.ListGraphsAPIClient) (string, error) {
	pages := detective.NewListGraphsPaginator(api, &detective.ListGraphsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return "", err
		}
		for _, g := range page.GraphList {
			return aws.ToString(g.Arn), nil
		}
	}
	return "", nil
}

// organizationMode is the conflict of invitation mode with an organization
// administrator (found) already set in region: its graph is the
// organization behavior graph, whose organization accounts are enabled,
// not invited.
func organizationMode(region, found string) error {
	return &workflow.ConflictError{Conflicts: []workflow.Conflict{{
		Service: settings.ServiceDetective, Resource: "mode in " + region,
		Found:  "organization mode (Detective administrator " + found + ")",
		Wanted: "invitation mode (services.detective.mode: invitation)",
		Hint:   "Detective's organization mode is set up; set services.detective.mode: organization (orgbaseline never disables a Detective administrator)",
	}}}
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

func listAdmins(ctx context.Context, api detective.ListOrganizationAdminAccountsAPIClient) ([]string, error) {
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
