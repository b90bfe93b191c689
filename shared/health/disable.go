package health

import (
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/health"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgbaseline/orgbaseline/shared/org/admins"
	"github.com/orgbaseline/orgbaseline/shared/org/teardown"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// CallDisableView is the action disable takes on the organizational view.
const CallDisableView = "health:DisableHealthServiceAccessForOrganization"

// DisableViewAPI reads and disables the organizational view.
type DisableViewAPI interface {
	DescribeHealthServiceStatusForOrganization(ctx context.Context, in *health.DescribeHealthServiceStatusForOrganizationInput, optFns ...func(*health.Options)) (*health.DescribeHealthServiceStatusForOrganizationOutput, error)
	DisableHealthServiceAccessForOrganization(ctx context.Context, in *health.DisableHealthServiceAccessForOrganizationInput, optFns ...func(*health.Options)) (*health.DisableHealthServiceAccessForOrganizationOutput, error)
}

var _ DisableViewAPI = (*health.Client)(nil)

// DisableDeps are the clients of Disable, in the management account.
type DisableDeps struct {
	// Health is signed for Region, Health's global endpoint.
	Health DisableViewAPI
	Orgs   teardown.OrgAPI
}

// Disable undoes the health-org step, from the management account:
//
//  1. organizations:ListDelegatedAdministrators for health.amazonaws.com;
//     organizations:DeregisterDelegatedAdministrator for the security
//     account when it is registered ("Removing a delegated administrator
//     from your organizational view", AWS Health User Guide). Health
//     allows several delegated administrators: others are never removed,
//     and since they depend on the organizational view, the view is then
//     left on and the row fails, naming them;
//  2. health:DescribeHealthServiceStatusForOrganization; when ENABLED,
//     health:DisableHealthServiceAccessForOrganization
//     ("DisableHealthServiceAccessForOrganization", AWS Health API
//     Reference: Health stops aggregating the other accounts' events; the
//     management account keeps its own; the service-linked role stays);
//  3. trusted access for health.amazonaws.com, read again and turned off
//     if the call above left it on (teardown.DisableAccess).
//
// Without a support plan that admits Health's API, the row is skipped and
// says to use the console.
func Disable(ctx context.Context, d DisableDeps, cfg settings.Config, opts teardown.Options) workflow.StepResult {
	res := teardown.NewResult(settings.ServiceHealth, opts.Plan)
	mgmt, security := cfg.Accounts.Management, cfg.Accounts.Security
	out := workflow.Outcome{Account: mgmt, Region: workflow.RegionGlobal, Service: settings.ServiceHealth}

	ids, err := admins.List(ctx, d.Orgs, Principal)
	if err != nil {
		teardown.Fail(&out, "list delegated administrators for "+Principal, err)
		res.Add(out)
		return res
	}
	if slices.Contains(ids, security) {
		err := teardown.Act(&out, opts.Plan, workflow.Action{Call: teardown.CallDeregister, Target: security + " for " + Principal}, func() error {
			_, err := d.Orgs.DeregisterDelegatedAdministrator(ctx, &organizations.DeregisterDelegatedAdministratorInput{
				AccountId: aws.String(security), ServicePrincipal: aws.String(Principal),
			})
			return err
		})
		if err != nil {
			teardown.Fail(&out, "deregister "+security+" for "+Principal, err)
			res.Add(out)
			return res
		}
	}
	if others := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == security }); len(others) > 0 {
		teardown.Conflict(&out, "also a delegated administrator for "+Principal, admins.Join(others), security)
		teardown.Note(&out, "the organizational view is left on: they depend on it")
		res.Add(out)
		return res
	}

	status, err := viewStatus(ctx, d.Health)
	switch {
	case subscriptionRequired(err):
		out.Status, out.Reason = workflow.StatusSkipped, SubscriptionReason
		res.Add(out)
		return res
	case err != nil:
		teardown.Fail(&out, "read the AWS Health organizational view", err)
		res.Add(out)
		return res
	case status == statusDisabled:
		teardown.Note(&out, "the organizational view is off")
	default:
		// "DisableHealthServiceAccessForOrganization", AWS Health API
		// Reference: from the management account.
		err := teardown.Act(&out, opts.Plan, workflow.Action{Call: CallDisableView, Target: "organization"}, func() error {
			_, err := d.Health.DisableHealthServiceAccessForOrganization(ctx, &health.DisableHealthServiceAccessForOrganizationInput{})
			return err
		})
		if err != nil {
			teardown.Fail(&out, "disable the AWS Health organizational view", err)
			res.Add(out)
			return res
		}
	}
	res.Add(out)
	if opts.Plan && len(out.Actions) > 0 && slices.ContainsFunc(out.Actions, func(a workflow.Action) bool { return a.Call == CallDisableView }) {
		res.Add(workflow.Outcome{Account: mgmt, Region: workflow.RegionGlobal, Service: settings.ServiceHealth,
			Reason: "trusted access for " + Principal + " is read again after the view is disabled, and turned off if it is still on"})
	} else {
		res.Add(teardown.DisableAccess(ctx, d.Orgs, settings.ServiceHealth, Principal, mgmt, opts.Plan))
	}
	res.Warnings = append(res.Warnings, "the service-linked role "+ServiceLinkedRole+" stays in the management account, and every account keeps its own AWS Health events")
	return res
}
