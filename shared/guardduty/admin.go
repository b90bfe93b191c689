// Package guardduty switches on GuardDuty across the organization. This file
// is the guardduty-admin step: the security account as GuardDuty's delegated
// administrator, one region per invocation. The state machine runs it for the
// home region alone first, then for the other regions in a Map: enabling
// the administrator in many regions at once, before the first is done, is
// known to fail.
//
// From the management account, per region: guardduty:ListOrganizationAdminAccounts,
// then guardduty:EnableOrganizationAdminAccount when the security account is
// not the administrator (it also registers the Organizations delegated
// administrator). The same administrator already there is success; another
// one is a conflict, reported with both IDs and never replaced; one being
// disabled is not ready yet.
package guardduty

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// CallEnableAdmin is the action the step takes.
const CallEnableAdmin = "guardduty:EnableOrganizationAdminAccount"

// AdminAPI is the part of the GuardDuty client the step uses, in one region.
type AdminAPI interface {
	guardduty.ListOrganizationAdminAccountsAPIClient
	EnableOrganizationAdminAccount(ctx context.Context, in *guardduty.EnableOrganizationAdminAccountInput, optFns ...func(*guardduty.Options)) (*guardduty.EnableOrganizationAdminAccountOutput, error)
}

var _ AdminAPI = (*guardduty.Client)(nil)

// EnableAdmin makes the security account GuardDuty's delegated administrator
// in one region.
func EnableAdmin(ctx context.Context, api AdminAPI, cfg settings.Config, item workflow.Item, log *slog.Logger) (workflow.StepResult, error) {
	in := item.Input
	res := workflow.StepResult{Step: AdminSpec.Name, Mode: in.Mode, Outcomes: []workflow.Outcome{}}
	out := workflow.Outcome{Account: cfg.Accounts.Management, Region: item.Region, Service: settings.ServiceGuardDuty}
	if skipped(cfg, item, &out, "the home region is not part of this run") {
		res.Add(out)
		return res, nil
	}

	admins, err := listAdmins(ctx, api)
	if notOffered(err) {
		out.Status, out.Reason = workflow.StatusSkipped, "GuardDuty is not offered in "+item.Region
		res.Add(out)
		return res, nil
	}
	if err != nil {
		return res, awsclient.Classify("list GuardDuty administrators in "+item.Region, err)
	}
	security := cfg.Accounts.Security
	done, err := judgeAdmins(admins, security, item.Region)
	if err != nil {
		return res, err
	}
	if done {
		res.Add(out)
		return res, nil
	}

	out.Actions = []workflow.Action{{Call: CallEnableAdmin, Target: security}}
	if in.Mode == workflow.ModeApply {
		_, enableErr := api.EnableOrganizationAdminAccount(ctx, &guardduty.EnableOrganizationAdminAccountInput{AdminAccountId: aws.String(security)})
		if enableErr != nil {
			if !alreadyAdmin(enableErr) {
				return res, awsclient.Classify("enable the GuardDuty administrator in "+item.Region, enableErr)
			}
			// Another run got there first: success only if a fresh read
			// shows the security account enabled, judged as the first read.
			again, lerr := listAdmins(ctx, api)
			if lerr != nil {
				return res, awsclient.Classify("list GuardDuty administrators in "+item.Region, lerr)
			}
			if done, err = judgeAdmins(again, security, item.Region); err != nil {
				return res, err
			}
			if !done {
				return res, &workflow.NotReadyError{Op: "GuardDuty administrator in " + item.Region, Err: fmt.Errorf("GuardDuty reports an administrator already, but none is listed yet: %w", enableErr)}
			}
			out.Actions = nil
		} else {
			log.InfoContext(ctx, "enabled the GuardDuty delegated administrator", "region", item.Region, "account", security)
		}
	}
	res.Add(out)
	return res, nil
}

// judgeAdmins judges the region's administrators: done when the security
// account is the enabled administrator; a *workflow.NotReadyError while it
// is being disabled; a *workflow.ConflictError naming the others when only
// other accounts are; neither done nor an error when there is none, so the
// security account is to be enabled.
func judgeAdmins(admins map[string]gdtypes.AdminStatus, security, region string) (bool, error) {
	status, ok := admins[security]
	switch {
	case ok && status == gdtypes.AdminStatusEnabled:
		return true, nil
	case ok && status == gdtypes.AdminStatusDisableInProgress:
		return false, &workflow.NotReadyError{Op: "GuardDuty administrator in " + region, Err: fmt.Errorf("%s is being disabled as administrator; enabling it again must wait", security)}
	case ok:
		return false, &workflow.NotReadyError{Op: "GuardDuty administrator in " + region, Err: fmt.Errorf("%s is administrator with status %q, not %s", security, status, gdtypes.AdminStatusEnabled)}
	case len(admins) > 0:
		return false, conflict(region, others(admins, security), security)
	}
	return false, nil
}

func listAdmins(ctx context.Context, api guardduty.ListOrganizationAdminAccountsAPIClient) (map[string]gdtypes.AdminStatus, error) {
	admins := map[string]gdtypes.AdminStatus{}
	pages := guardduty.NewListOrganizationAdminAccountsPaginator(api, &guardduty.ListOrganizationAdminAccountsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range page.AdminAccounts {
			admins[aws.ToString(a.AdminAccountId)] = a.AdminStatus
		}
	}
	return admins, nil
}

func others(admins map[string]gdtypes.AdminStatus, security string) string {
	var ids []string
	for id := range admins {
		if id != security {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

func conflict(region, found, wanted string) error {
	return &workflow.ConflictError{Conflicts: []workflow.Conflict{{
		Service: settings.ServiceGuardDuty, Resource: "delegated administrator in " + region,
		Found: found, Wanted: wanted,
		Hint: "orgbaseline never replaces a delegated administrator; disable it yourself or set accounts.security to it",
	}}}
}

// alreadyAdmin: GuardDuty answers BadRequestException when the account is
// already the administrator.
func alreadyAdmin(err error) bool {
	var br *gdtypes.BadRequestException
	return errors.As(err, &br) && strings.Contains(strings.ToLower(br.ErrorMessage()), "already")
}

// notOffered reports whether err says GuardDuty has no endpoint in the
// region: a name that does not resolve.
func notOffered(err error) bool {
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr) && dnsErr.IsNotFound
}

// skipped fills out as skipped, and reports true, when the iteration has
// nothing to do: no region (noRegion says why), GuardDuty switched off, or
// left out by the services filter.
func skipped(cfg settings.Config, item workflow.Item, out *workflow.Outcome, noRegion string) bool {
	switch {
	case item.Region == "":
		out.Region, out.Reason = "-", noRegion
	case !cfg.Enabled(settings.ServiceGuardDuty):
		out.Reason = "guardduty is disabled in the configuration"
	case !item.Input.WantsService(settings.ServiceGuardDuty):
		out.Reason = "guardduty is not in the services filter"
	default:
		return false
	}
	out.Status = workflow.StatusSkipped
	return true
}
