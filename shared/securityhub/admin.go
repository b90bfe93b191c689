// Package securityhub switches on AWS Security Hub (the securityhub API,
// which AWS now calls Security Hub CSPM) for the organization with central
// configuration, as AWS recommends for organizations ("Understanding
// central configuration in Security Hub CSPM"). Two steps:
//
//   - securityhub-admin, per region (home region first), from the
//     management account: Security Hub on in the management account
//     itself, without the default standards (the console does not
//     auto-enable it, and central configuration then governs its
//     standards), and the security account as the delegated administrator
//     (Security Hub's own EnableOrganizationAdminAccount, which registers
//     the Organizations delegated administrator itself);
//   - securityhub-central, in the home region, from the delegated
//     administrator: the finding aggregator linking the run's regions,
//     the organization configuration switched to CENTRAL (its status goes
//     PENDING, then ENABLED: the state machine waits, Poll), one
//     configuration policy (Security Hub on, the configured standards and
//     disabled controls) and its association with the root or the
//     configured organizational units (PENDING, then SUCCESS: waited too).
//
// With services.securityhub.configuration local, securityhub-central keeps
// the finding aggregator only, and two steps take the place of the policy:
//
//   - securityhub-local, per region, from the delegated administrator: the
//     organization configuration LOCAL with AutoEnable (new accounts join
//     by themselves) and AutoEnableStandards NONE, and the run's accounts
//     as members (ConfigureLocal);
//   - securityhub-standards, per account with its regions in-process: the
//     configured standards enabled where they are not (EnableStandards).
//
// Under central configuration these two are not in the state machine
// (step.WhenNeeded; called anyway, each reports one skipped row). An
// organization found in central configuration while local is configured
// is a failed row that says what the operator must do: orgbaseline never
// switches it (centralFound).
//
// Every part is read first and changed only when it differs. Another
// delegated administrator is a conflict, never replaced.
package securityhub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// Principal is Security Hub's service principal.
const Principal = "securityhub.amazonaws.com"

// Calls the admin step reports.
const (
	CallEnableHub   = "securityhub:EnableSecurityHub"
	CallEnableAdmin = "securityhub:EnableOrganizationAdminAccount"
)

// AdminAPI is the part of the Security Hub client the admin step uses, in
// the management account and one region.
// Each method is the operation of its name in the AWS Security Hub CSPM
// API Reference; the errors handled are the ones its Errors section lists.
type AdminAPI interface {
	DescribeHub(ctx context.Context, in *securityhub.DescribeHubInput, optFns ...func(*securityhub.Options)) (*securityhub.DescribeHubOutput, error)
	EnableSecurityHub(ctx context.Context, in *securityhub.EnableSecurityHubInput, optFns ...func(*securityhub.Options)) (*securityhub.EnableSecurityHubOutput, error)
	securityhub.ListOrganizationAdminAccountsAPIClient
	EnableOrganizationAdminAccount(ctx context.Context, in *securityhub.EnableOrganizationAdminAccountInput, optFns ...func(*securityhub.Options)) (*securityhub.EnableOrganizationAdminAccountOutput, error)
}

var _ AdminAPI = (*securityhub.Client)(nil)

// EnableAdmin enables Security Hub in the management account and makes
// the security account the delegated administrator, in the item's region.
func EnableAdmin(ctx context.Context, api AdminAPI, cfg settings.Config, item workflow.Item, log *slog.Logger) (workflow.StepResult, error) {
	res := workflow.StepResult{Step: AdminSpec.Name, Mode: item.Input.Mode, Outcomes: []workflow.Outcome{}}
	out := workflow.Outcome{Account: cfg.Accounts.Management, Region: item.Region, Service: settings.ServiceSecurityHub}
	if reason := step.SkippedItem(cfg, item.Input, settings.ServiceSecurityHub, item.Region == ""); reason != "" {
		out.Status, out.Reason = workflow.StatusSkipped, reason
		if item.Region == "" {
			out.Region = "-"
		}
		res.Add(out)
		return res, nil
	}
	apply := item.Input.Mode == workflow.ModeApply
	security := cfg.Accounts.Security

	admins, err := listAdmins(ctx, api)
	if err != nil {
		return res, settle(&out, &res, err)
	}
	if others := othersThan(admins, security); len(others) > 0 && admins[security] == "" {
		return res, &workflow.ConflictError{Conflicts: []workflow.Conflict{{
			Service: settings.ServiceSecurityHub, Resource: "delegated administrator in " + item.Region,
			Found: strings.Join(others, ", "), Wanted: security,
			Hint: "orgbaseline never replaces a delegated administrator; disable it yourself or set accounts.security to it",
		}}}
	}

	enabled, err := hubEnabled(ctx, api)
	if err != nil {
		return res, settle(&out, &res, err)
	}
	if !enabled {
		out.Actions = append(out.Actions, workflow.Action{Call: CallEnableHub, Target: "management account, no default standards"})
		if apply {
			_, err := api.EnableSecurityHub(ctx, &securityhub.EnableSecurityHubInput{
				EnableDefaultStandards:  aws.Bool(false),
				ControlFindingGenerator: shtypes.ControlFindingGeneratorSecurityControl,
			})
			var already *shtypes.ResourceConflictException
			if err != nil && !errors.As(err, &already) {
				return res, settle(&out, &res, awsclient.Classify("enable Security Hub in the management account in "+item.Region, err))
			}
		}
	}

	if admins[security] != string(shtypes.AdminStatusEnabled) {
		if admins[security] != "" {
			return res, &workflow.NotReadyError{Op: "Security Hub administrator in " + item.Region, Err: fmt.Errorf("%s is administrator with status %q", security, admins[security])}
		}
		out.Actions = append(out.Actions, workflow.Action{Call: CallEnableAdmin, Target: security})
		if apply {
			if _, err := api.EnableOrganizationAdminAccount(ctx, &securityhub.EnableOrganizationAdminAccountInput{AdminAccountId: aws.String(security)}); err != nil {
				again, lerr := listAdmins(ctx, api)
				if lerr != nil || again[security] != string(shtypes.AdminStatusEnabled) {
					return res, settle(&out, &res, awsclient.Classify("enable the Security Hub administrator in "+item.Region, err))
				}
				out.Actions = out.Actions[:len(out.Actions)-1]
			} else {
				log.InfoContext(ctx, "enabled the Security Hub delegated administrator", "region", item.Region, "account", security)
			}
		}
	}
	res.Add(out)
	return res, nil
}

// hubEnabled reports whether the client's account has Security Hub on in
// its region: DescribeHub answers InvalidAccessException for an account
// that is not subscribed ("DescribeHub", AWS Security Hub API Reference).
func hubEnabled(ctx context.Context, api hubReader) (bool, error) {
	_, err := api.DescribeHub(ctx, &securityhub.DescribeHubInput{})
	var notSubscribed *shtypes.InvalidAccessException
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &notSubscribed):
		return false, nil
	}
	return false, err
}

// hubReader reads the hub of the client's account.
type hubReader interface {
	DescribeHub(ctx context.Context, in *securityhub.DescribeHubInput, optFns ...func(*securityhub.Options)) (*securityhub.DescribeHubOutput, error)
}

// listAdmins returns the delegated administrators by account, with their status.
func listAdmins(ctx context.Context, api securityhub.ListOrganizationAdminAccountsAPIClient) (map[string]string, error) {
	out := map[string]string{}
	pages := securityhub.NewListOrganizationAdminAccountsPaginator(api, &securityhub.ListOrganizationAdminAccountsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range page.AdminAccounts {
			out[aws.ToString(a.AccountId)] = string(a.Status)
		}
	}
	return out, nil
}

func othersThan(admins map[string]string, security string) []string {
	var out []string
	for id := range admins {
		if id != security {
			out = append(out, id)
		}
	}
	return out
}

// settle ends the row with err (step.SettleRegion) and adds it to res; what
// the state machine is to retry, or a conflict, is returned.
func settle(out *workflow.Outcome, res *workflow.StepResult, err error) error {
	if serr := step.SettleRegion(out, "Security Hub", err); serr != nil {
		return serr
	}
	res.Add(*out)
	return nil
}
