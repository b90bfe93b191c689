// Package teardown holds what every service's disable shares: the result
// of a disable run, a row's failure, and the organization-wide parts of a
// service that AWS Organizations keeps, undone from the management
// account: the delegated administrator registered for a service principal
// ("DeregisterDelegatedAdministrator", AWS Organizations API Reference) and
// trusted access ("DisableAWSServiceAccess", AWS Organizations API
// Reference).
//
// Every part reads first and acts only where the state differs: a second
// run makes no mutating call. A delegated administrator that is not the
// configured security account is never removed: it is a failed row that
// names it, and trusted access is then left on, since that administrator
// depends on it.
package teardown

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgbaseline/orgbaseline/shared/org/admins"
	"github.com/orgbaseline/orgbaseline/shared/org/targets"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// Calls the organization-wide parts report.
const (
	CallDeregister    = "organizations:DeregisterDelegatedAdministrator"
	CallDisableAccess = "organizations:DisableAWSServiceAccess"
)

// OrgAPI is the part of the Organizations client the teardown uses, in the
// management account.
type OrgAPI interface {
	organizations.ListDelegatedAdministratorsAPIClient
	DeregisterDelegatedAdministrator(ctx context.Context, in *organizations.DeregisterDelegatedAdministratorInput, optFns ...func(*organizations.Options)) (*organizations.DeregisterDelegatedAdministratorOutput, error)
	organizations.ListAWSServiceAccessForOrganizationAPIClient
	DisableAWSServiceAccess(ctx context.Context, in *organizations.DisableAWSServiceAccessInput, optFns ...func(*organizations.Options)) (*organizations.DisableAWSServiceAccessOutput, error)
}

var _ OrgAPI = (*organizations.Client)(nil)

// Options are what every service's disable takes.
type Options struct {
	// Plan reads and reports; it makes no mutating call.
	Plan bool
	// Regions are the regions to undo the service in (the configuration's,
	// or the enabled ones when it says "discover"), the home region among
	// them.
	Regions []string
	// Excluded are the accounts the configuration's scope leaves out, each
	// with its reason (targets.ResolveScope): the baseline made nothing of
	// its own there, so a disable touches nothing there either.
	Excluded map[string]string
}

// SkipExcluded reports whether the scope excludes account, and then adds
// its one skipped row for service to res.
func (o Options) SkipExcluded(res *workflow.StepResult, service, account string) bool {
	why, ok := o.Excluded[account]
	if ok {
		res.Add(workflow.Outcome{Account: account, Region: workflow.RegionGlobal, Service: service, Status: workflow.StatusSkipped,
			Reason: why + ": nothing of orgbaseline's to undo there"})
	}
	return ok
}

// NewResult returns the empty result of disabling service.
func NewResult(service string, plan bool) workflow.StepResult {
	mode := workflow.ModeApply
	if plan {
		mode = workflow.ModePlan
	}
	return workflow.StepResult{Step: "disable " + service, Mode: mode, Outcomes: []workflow.Outcome{}}
}

// Act records action in out and, unless plan, calls do; its error is
// returned for the caller to settle the row (Fail).
func Act(out *workflow.Outcome, plan bool, action workflow.Action, do func() error) error {
	if !plan {
		if err := do(); err != nil {
			return err
		}
	}
	out.Actions = append(out.Actions, action)
	return nil
}

// Fail settles out after err: skipped when the region has no endpoint for
// the service, failed with err's text otherwise. The actions already taken
// stay in the row. One row's failure is not the run's.
func Fail(out *workflow.Outcome, what string, err error) {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		out.Status, out.Reason = workflow.StatusSkipped, what+" is not offered in "+out.Region
		return
	}
	out.Status, out.Reason = workflow.StatusFailed, what+": "+err.Error()
}

// Note appends a sentence to out's reason.
func Note(out *workflow.Outcome, s string) {
	if out.Reason == "" {
		out.Reason = s
		return
	}
	out.Reason += "; " + s
}

// Conflict fails out for a delegated administrator that is not the
// security account: orgbaseline never removes it.
func Conflict(out *workflow.Outcome, what, found, security string) {
	out.Status = workflow.StatusFailed
	out.Reason = fmt.Sprintf("%s is %s, not the security account %s: orgbaseline never removes another account's administration; remove it yourself if it is to go", what, found, security)
}

// Deregister removes security as the delegated administrator of principal
// in Organizations, from the management account, and returns the row of
// service for it (account mgmt, region global) and whether the teardown
// may go on to trusted access: not when another account is registered
// (Conflict), or when the read or the call failed.
func Deregister(ctx context.Context, api OrgAPI, service, principal, mgmt, security string, plan bool) (workflow.Outcome, bool) {
	// "DeregisterDelegatedAdministrator", AWS Organizations API Reference:
	// from the management account; it revokes the account's delegated
	// administration of this service principal only.
	return DeregisterWith(ctx, api, service, principal, mgmt, security, plan, CallDeregister, func() error {
		_, err := api.DeregisterDelegatedAdministrator(ctx, &organizations.DeregisterDelegatedAdministratorInput{
			AccountId: aws.String(security), ServicePrincipal: aws.String(principal),
		})
		return err
	})
}

// DeregisterWith is Deregister for a service whose own API removes its
// delegated administrator (call, made by do): the administrators are read
// from Organizations all the same.
func DeregisterWith(ctx context.Context, api organizations.ListDelegatedAdministratorsAPIClient, service, principal, mgmt, security string, plan bool, call string, do func() error) (workflow.Outcome, bool) {
	out := workflow.Outcome{Account: mgmt, Region: workflow.RegionGlobal, Service: service}
	ids, err := admins.List(ctx, api, principal)
	if err != nil {
		Fail(&out, "list delegated administrators for "+principal, err)
		return out, false
	}
	others := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == security })
	if len(others) > 0 {
		Conflict(&out, "the delegated administrator for "+principal, admins.Join(others), security)
		return out, false
	}
	if !slices.Contains(ids, security) {
		out.Reason = "no delegated administrator for " + principal
		return out, true
	}
	if err := Act(&out, plan, workflow.Action{Call: call, Target: security + " for " + principal}, do); err != nil {
		Fail(&out, "deregister "+security+" for "+principal, err)
		return out, false
	}
	return out, true
}

// DisableAccess turns trusted access for principal off, from the
// management account, and returns the row of service for it (account mgmt,
// region global).
func DisableAccess(ctx context.Context, api OrgAPI, service, principal, mgmt string, plan bool) workflow.Outcome {
	out := workflow.Outcome{Account: mgmt, Region: workflow.RegionGlobal, Service: service}
	on, err := accessEnabled(ctx, api, principal)
	if err != nil {
		Fail(&out, "list trusted access", err)
		return out
	}
	if !on {
		out.Reason = "trusted access for " + principal + " is off"
		return out
	}
	// "DisableAWSServiceAccess", AWS Organizations API Reference: the
	// service's own teardown comes first (its documentation says which),
	// then this call from the management account.
	err = Act(&out, plan, workflow.Action{Call: CallDisableAccess, Target: principal}, func() error {
		_, err := api.DisableAWSServiceAccess(ctx, &organizations.DisableAWSServiceAccessInput{ServicePrincipal: aws.String(principal)})
		return err
	})
	if err != nil {
		Fail(&out, "disable trusted access for "+principal, err)
	}
	return out
}

// accessEnabled reports whether trusted access for principal is on.
func accessEnabled(ctx context.Context, api OrgAPI, principal string) (bool, error) {
	on, err := admins.TrustedAccess(ctx, api)
	return on[principal], err
}

// OrgWide undoes the organization-wide parts of service for principals,
// in order: the security account's delegated administration of each
// principal that has one (admin), then trusted access for each, unless a
// conflict or a failure stopped the teardown before. It adds the rows to
// res and returns whether every part is done (or, in plan mode, planned).
func OrgWide(ctx context.Context, api OrgAPI, res *workflow.StepResult, service, mgmt, security string, principals []string, admin func(principal string) bool, plan bool) bool {
	ok := true
	for _, p := range principals {
		if !admin(p) {
			continue
		}
		out, next := Deregister(ctx, api, service, p, mgmt, security, plan)
		res.Add(out)
		ok = ok && next
	}
	for _, p := range principals {
		if !ok {
			res.Add(workflow.Outcome{Account: mgmt, Region: workflow.RegionGlobal, Service: service, Status: workflow.StatusSkipped,
				Reason: "trusted access for " + p + " is left on: a delegated administrator above is not removed"})
			continue
		}
		out := DisableAccess(ctx, api, service, p, mgmt, plan)
		res.Add(out)
	}
	return ok
}

// SkipOrgWide adds a skipped row for each of principals' organization-wide
// parts, with reason: a region's part failed or met another administrator,
// and the organization's parts wait for it.
func SkipOrgWide(res *workflow.StepResult, service, mgmt string, principals []string, reason string) {
	for _, p := range principals {
		res.Add(workflow.Outcome{Account: mgmt, Region: workflow.RegionGlobal, Service: service, Status: workflow.StatusSkipped,
			Reason: p + ": delegated administrator and trusted access left as they are: " + reason})
	}
}

// Accounts returns the IDs of the organization's accounts, whatever their
// state, in ID order ("ListAccounts", AWS Organizations API Reference),
// from the management account: a disable removes only what concerns them.
func Accounts(ctx context.Context, api organizations.ListAccountsAPIClient) ([]string, error) {
	return listAccounts(ctx, api, func(orgtypes.Account) bool { return true })
}

// ActiveAccounts returns the IDs of the organization's ACTIVE accounts, in
// ID order, from the management account: the accounts the execution role
// can be assumed into.
func ActiveAccounts(ctx context.Context, api organizations.ListAccountsAPIClient) ([]string, error) {
	return listAccounts(ctx, api, targets.Active)
}

// listAccounts returns the IDs of the organization's accounts keep keeps,
// in ID order.
func listAccounts(ctx context.Context, api organizations.ListAccountsAPIClient, keep func(orgtypes.Account) bool) ([]string, error) {
	var ids []string
	pages := organizations.NewListAccountsPaginator(api, &organizations.ListAccountsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range page.Accounts {
			if keep(a) {
				ids = append(ids, aws.ToString(a.Id))
			}
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// Gone reports whether nothing of a service's organization can be left:
// trusted access for principal is off and no account is its delegated
// administrator. A service's organization administrator needs both, so its
// regional reads (which the service may refuse without trusted access) are
// then left out.
func Gone(ctx context.Context, api OrgAPI, principal string) (bool, error) {
	on, err := accessEnabled(ctx, api, principal)
	if err != nil || on {
		return false, err
	}
	ids, err := admins.List(ctx, api, principal)
	if err != nil {
		return false, err
	}
	return len(ids) == 0, nil
}

// GoneRow adds, for a service whose organization is Gone, the row that
// says so (account mgmt, region global), unchanged.
func GoneRow(res *workflow.StepResult, service, mgmt, principal string) {
	res.Add(workflow.Outcome{Account: mgmt, Region: workflow.RegionGlobal, Service: service,
		Reason: "trusted access for " + principal + " is off and it has no delegated administrator: no organization administrator is left in any region"})
}
