// Package health switches on the AWS Health organizational view. This file
// is the health-org step, from the management account, once per run:
//
//  1. health:DescribeHealthServiceStatusForOrganization; when DISABLED,
//     health:EnableHealthServiceAccessForOrganization, which enables
//     trusted access for health.amazonaws.com and creates the service-linked
//     role AWSServiceRoleForHealth_Organizations itself
//     ("EnableHealthServiceAccessForOrganization", AWS Health API
//     Reference). PENDING, or ConcurrentModificationException (an enable
//     in progress), is not ready yet: the state machine calls again.
//  2. With delegatedAdmin (the default), once the view is ENABLED:
//     organizations:ListDelegatedAdministrators for health.amazonaws.com,
//     then organizations:RegisterDelegatedAdministrator for the security
//     account ("Registering a delegated administrator for your
//     organizational view", AWS Health User Guide: after the view is
//     enabled; up to five accounts). Health allows several delegated
//     administrators, so others already registered are kept and named in a
//     warning; five others leave no room, which is a conflict.
//
// Health's API needs a Business, Enterprise On-Ramp or Enterprise support
// plan (or their successors): SubscriptionRequiredException is a skipped
// row that names the console, where the organizational view is available on
// every support plan ("Enabling organizational view", AWS Health User
// Guide). Health's endpoint is global: its calls are signed for us-east-1
// ("Accessing the AWS Health API").
package health

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/health"
	htypes "github.com/aws/aws-sdk-go-v2/service/health/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/org/admins"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

const (
	// Principal is Health's service principal.
	Principal = "health.amazonaws.com"
	// ServiceLinkedRole is the role EnableHealthServiceAccessForOrganization
	// creates in the management account.
	ServiceLinkedRole = "AWSServiceRoleForHealth_Organizations"
	// Region is where Health's global endpoint is signed for.
	Region = "us-east-1"
	// MaxAdmins is how many delegated administrators Health allows.
	MaxAdmins = 5
)

// Calls the step reports.
const (
	CallEnableView = "health:EnableHealthServiceAccessForOrganization"
	CallRegister   = admins.CallRegister
)

// The organizational view's status values (DescribeHealthServiceStatusForOrganization).
const (
	statusEnabled  = "ENABLED"
	statusDisabled = "DISABLED"
	statusPending  = "PENDING"
)

// SubscriptionReason is the skipped row's reason without a support plan
// that admits Health's API.
const SubscriptionReason = "the AWS Health API needs a support plan that includes it (Business Support+, Enterprise Support or Unified Operations; earlier Business, Enterprise On-Ramp or Enterprise) (SubscriptionRequiredException); " +
	"the organizational view can be enabled on any plan in the AWS Health console (Organizational view, Configurations, Enable organizational view)"

// ViewAPI reads and enables the organizational view.
type ViewAPI interface {
	DescribeHealthServiceStatusForOrganization(ctx context.Context, in *health.DescribeHealthServiceStatusForOrganizationInput, optFns ...func(*health.Options)) (*health.DescribeHealthServiceStatusForOrganizationOutput, error)
	EnableHealthServiceAccessForOrganization(ctx context.Context, in *health.EnableHealthServiceAccessForOrganizationInput, optFns ...func(*health.Options)) (*health.EnableHealthServiceAccessForOrganizationOutput, error)
}

var _ ViewAPI = (*health.Client)(nil)

// statusReader reads the organizational view's status.
type statusReader interface {
	DescribeHealthServiceStatusForOrganization(ctx context.Context, in *health.DescribeHealthServiceStatusForOrganizationInput, optFns ...func(*health.Options)) (*health.DescribeHealthServiceStatusForOrganizationOutput, error)
}

// Deps are the step's clients, in the management account.
type Deps struct {
	Health ViewAPI
	Orgs   admins.API
}

// Run converges the organizational view and its delegated administrator.
func Run(ctx context.Context, d Deps, cfg settings.Config, in workflow.Input, log *slog.Logger) (workflow.StepResult, error) {
	res := workflow.StepResult{Step: Spec.Name, Mode: in.Mode, Outcomes: []workflow.Outcome{}}
	out := workflow.Outcome{Account: cfg.Accounts.Management, Region: workflow.RegionGlobal, Service: settings.ServiceHealth}
	if reason := step.SkippedItem(cfg, in, settings.ServiceHealth, false); reason != "" {
		out.Status, out.Reason = workflow.StatusSkipped, reason
		res.Add(out)
		return res, nil
	}
	apply := in.Mode == workflow.ModeApply
	if w := cfg.ScopeWarning(settings.ServiceHealth); w != "" {
		res.Warnings = append(res.Warnings, w)
	}

	status, err := viewStatus(ctx, d.Health)
	if subscriptionRequired(err) {
		out.Status, out.Reason = workflow.StatusSkipped, SubscriptionReason
		res.Add(out)
		return res, nil
	}
	if err != nil {
		return res, err
	}
	switch status {
	case statusEnabled:
	case statusPending:
		return res, &workflow.NotReadyError{Op: "AWS Health organizational view", Err: errors.New("being enabled (PENDING)")}
	case statusDisabled:
		out.Actions = append(out.Actions, workflow.Action{Call: CallEnableView, Target: "organization"})
		if apply {
			if err := enableView(ctx, d.Health); subscriptionRequired(err) {
				out.Actions, out.Status, out.Reason = nil, workflow.StatusSkipped, SubscriptionReason
				res.Add(out)
				return res, nil
			} else if err != nil {
				return res, err
			}
			log.InfoContext(ctx, "enabled the AWS Health organizational view")
			// The delegated administrator comes after the view is on:
			// a view still PENDING is registered on the state
			// machine's next call.
			if status, err = viewStatus(ctx, d.Health); err != nil {
				return res, err
			}
			if status != statusEnabled {
				return res, &workflow.NotReadyError{Op: "AWS Health organizational view", Err: fmt.Errorf("enabled, but its status is %s", status)}
			}
		}
	default:
		return res, &workflow.TerminalError{Op: "read the AWS Health organizational view", Err: fmt.Errorf("unknown status %q", status)}
	}

	if cfg.Services.Health.WantsDelegatedAdmin() {
		act, err := planAdmin(ctx, d.Orgs, cfg.Accounts.Security, &res)
		if err != nil {
			return res, err
		}
		if act != nil {
			out.Actions = append(out.Actions, *act)
			if apply {
				if err := admins.Register(ctx, d.Orgs, settings.ServiceHealth, Principal, cfg.Accounts.Security); err != nil {
					return res, err
				}
				log.InfoContext(ctx, "registered the Health delegated administrator", "account", cfg.Accounts.Security)
			}
		}
	}
	res.Add(out)
	return res, nil
}

// planAdmin returns the registration of the security account as Health's
// delegated administrator, nil when it is registered already. Others
// registered are a warning in res; MaxAdmins others are a conflict.
func planAdmin(ctx context.Context, api admins.API, security string, res *workflow.StepResult) (*workflow.Action, error) {
	current, err := admins.List(ctx, api, Principal)
	if err != nil {
		return nil, err
	}
	others := slices.DeleteFunc(slices.Clone(current), func(a string) bool { return a == security })
	if len(others) > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("health: %s is also delegated administrator for %s besides the security account", admins.Join(others), Principal))
	}
	switch {
	case slices.Contains(current, security):
		return nil, nil
	case len(others) >= MaxAdmins:
		return nil, &workflow.ConflictError{Conflicts: []workflow.Conflict{{
			Service: settings.ServiceHealth, Resource: "delegated administrator for " + Principal,
			Found: admins.Join(others), Wanted: security,
			Hint: fmt.Sprintf("Health allows %d delegated administrators; orgbaseline never removes one: deregister one yourself or set delegatedAdmin to false", MaxAdmins),
		}}}
	}
	return &workflow.Action{Call: CallRegister, Target: Principal + " " + security}, nil
}

// viewStatus reads the organizational view's status. A
// SubscriptionRequiredException is returned as it is, for the caller to
// skip; other errors are classified.
func viewStatus(ctx context.Context, api statusReader) (string, error) {
	out, err := api.DescribeHealthServiceStatusForOrganization(ctx, &health.DescribeHealthServiceStatusForOrganizationInput{})
	if subscriptionRequired(err) {
		return "", err
	}
	if err != nil {
		return "", awsclient.Classify("read the AWS Health organizational view", err)
	}
	return aws.ToString(out.HealthServiceAccessStatusForOrganization), nil
}

// enableView enables the organizational view. An enable in progress
// (ConcurrentModificationException) is not ready yet.
func enableView(ctx context.Context, api ViewAPI) error {
	_, err := api.EnableHealthServiceAccessForOrganization(ctx, &health.EnableHealthServiceAccessForOrganizationInput{})
	var busy *htypes.ConcurrentModificationException
	switch {
	case err == nil, subscriptionRequired(err):
		return err
	case errors.As(err, &busy):
		return &workflow.NotReadyError{Op: "enable the AWS Health organizational view", Err: err}
	}
	return awsclient.Classify("enable the AWS Health organizational view", err)
}

// subscriptionRequired reports whether err is Health's answer to an
// account without a support plan that admits its API. The SDK does not
// model the error, so it is matched by its code.
func subscriptionRequired(err error) bool {
	return awsclient.ErrorCode(err) == "SubscriptionRequiredException"
}
