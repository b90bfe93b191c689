// Package prereq is the first step of the baseline: it checks that the
// organization can take the baseline and switches on what every later step
// depends on, from the management account.
//
//  1. organizations:DescribeOrganization: all features must be enabled, and
//     the organization and its management account must be the configured ones.
//  2. organizations:ListAWSServiceAccessForOrganization, then
//     EnableAWSServiceAccess for each principal an enabled service needs.
//  3. organizations:ListDelegatedAdministrators per principal, then
//     RegisterDelegatedAdministrator (the security account) for the services
//     whose delegated administrator is registered through Organizations.
//     Services that register it through their own API (GuardDuty, Security
//     Hub, Detective, CloudTrail) are only checked here, so a conflict shows
//     before anything is changed. CloudTrail has a delegated administrator
//     only when its delegatedAdmin option asks for one.
//
// Health's step does all of this for Health itself (ownSteps).
//
// Everything is read first and the whole plan is made before the first
// change. A conflict (another delegated administrator, a missing feature set)
// returns a *workflow.ConflictError listing all conflicts, and nothing is
// changed. In plan mode the actions are reported, not taken.
package prereq

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/detective"
	"github.com/orgbaseline/orgbaseline/shared/guardduty"
	"github.com/orgbaseline/orgbaseline/shared/health"
	"github.com/orgbaseline/orgbaseline/shared/org/admins"
	"github.com/orgbaseline/orgbaseline/shared/orgtrail"
	"github.com/orgbaseline/orgbaseline/shared/securityhub"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// DescribeOrganizationAPI reads the organization.
type DescribeOrganizationAPI interface {
	DescribeOrganization(ctx context.Context, in *organizations.DescribeOrganizationInput, optFns ...func(*organizations.Options)) (*organizations.DescribeOrganizationOutput, error)
}

// TrustedAccessAPI lists and enables the services' trusted access.
type TrustedAccessAPI interface {
	organizations.ListAWSServiceAccessForOrganizationAPIClient
	EnableAWSServiceAccess(ctx context.Context, in *organizations.EnableAWSServiceAccessInput, optFns ...func(*organizations.Options)) (*organizations.EnableAWSServiceAccessOutput, error)
}

// DelegatedAdminAPI lists and registers the services' delegated
// administrators.
type DelegatedAdminAPI interface {
	organizations.ListDelegatedAdministratorsAPIClient
	RegisterDelegatedAdministrator(ctx context.Context, in *organizations.RegisterDelegatedAdministratorInput, optFns ...func(*organizations.Options)) (*organizations.RegisterDelegatedAdministratorOutput, error)
}

// OrganizationsAPI is the part of the Organizations client this step uses.
type OrganizationsAPI interface {
	DescribeOrganizationAPI
	TrustedAccessAPI
	DelegatedAdminAPI
}

var (
	_ DescribeOrganizationAPI = (*organizations.Client)(nil)
	_ TrustedAccessAPI        = (*organizations.Client)(nil)
	_ DelegatedAdminAPI       = (*organizations.Client)(nil)
	_ OrganizationsAPI        = (*organizations.Client)(nil)
)

// Action calls, as reported.
const (
	CallEnableServiceAccess = "organizations:EnableAWSServiceAccess"
	CallRegisterAdmin       = admins.CallRegister
)

// EnableAllFeaturesHint tells the user how to fix an organization without all
// features. Enabling them needs every member account to accept a handshake,
// so the baseline reports it rather than starting it.
const EnableAllFeaturesHint = "enable all features with `aws organizations enable-all-features` from the management account, then have every invited member account accept the handshake; see https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_org_support-all-features.html"

// principalPlan is what the step found and will do for one service principal.
type principalPlan struct {
	service   string
	principal settings.Principal
	enable    bool // trusted access is off
	register  bool // the security account must be registered through Organizations
	note      string
}

// Run checks and converges the prerequisites for the services the
// configuration enables and the input admits.
func Run(ctx context.Context, api OrganizationsAPI, cfg settings.Config, in workflow.Input, log *slog.Logger) (workflow.StepResult, error) {
	res := workflow.StepResult{Step: Spec.Name, Mode: in.Mode, Outcomes: []workflow.Outcome{}}
	services, err := selectServices(cfg, in)
	if err != nil {
		return res, err
	}
	if len(services) == 0 {
		res.Warnings = append(res.Warnings, "no enabled service matches the services filter; nothing to do")
		return res, nil
	}
	services = slices.DeleteFunc(services, func(svc string) bool { return !handledHere(svc) })
	if len(services) == 0 {
		return res, nil
	}

	conflicts, err := checkOrganization(ctx, api, cfg)
	if err != nil {
		return res, err
	}
	enabled, err := admins.TrustedAccess(ctx, api)
	if err != nil {
		return res, err
	}
	plans, adminConflicts, err := planPrincipals(ctx, api, cfg, services, enabled, &res)
	if err != nil {
		return res, err
	}
	conflicts = append(conflicts, adminConflicts...)
	if len(conflicts) > 0 {
		for _, c := range conflicts {
			log.WarnContext(ctx, "conflict", "service", c.Service, "resource", c.Resource, "found", c.Found, "wanted", c.Wanted)
		}
		return res, &workflow.ConflictError{Conflicts: conflicts}
	}

	for _, svc := range services {
		out, err := convergeService(ctx, api, cfg, in.Mode, svc, plans, log)
		if err != nil {
			return res, err
		}
		res.Add(out)
	}
	return res, nil
}

// checkOrganization reads the organization and returns how it differs from
// what the baseline needs: all features, and the configured organization
// and management account. An account outside any organization is a
// *workflow.ConflictError.
func checkOrganization(ctx context.Context, api DescribeOrganizationAPI, cfg settings.Config) ([]workflow.Conflict, error) {
	org, err := api.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		var notInUse *types.AWSOrganizationsNotInUseException
		if errors.As(err, &notInUse) {
			return nil, &workflow.ConflictError{Conflicts: []workflow.Conflict{{
				Service: "organizations", Resource: "organization", Found: "none (the account is not in an organization)",
				Wanted: "an organization with all features", Hint: "run orgbaseline from the organization's management account",
			}}}
		}
		return nil, awsclient.Classify("describe organization", err)
	}
	o := org.Organization
	if o == nil {
		return nil, nil
	}
	var conflicts []workflow.Conflict
	if o.FeatureSet != types.OrganizationFeatureSetAll {
		conflicts = append(conflicts, workflow.Conflict{
			Service: "organizations", Resource: "feature set",
			Found: string(o.FeatureSet), Wanted: string(types.OrganizationFeatureSetAll), Hint: EnableAllFeaturesHint,
		})
	}
	if id := aws.ToString(o.Id); cfg.OrganizationID != "" && id != cfg.OrganizationID {
		conflicts = append(conflicts, workflow.Conflict{
			Service: "organizations", Resource: "organization ID",
			Found: id, Wanted: cfg.OrganizationID, Hint: "organizationId in the configuration must name this organization",
		})
	}
	if m := aws.ToString(o.MasterAccountId); m != cfg.Accounts.Management {
		conflicts = append(conflicts, workflow.Conflict{
			Service: "organizations", Resource: "management account",
			Found: m, Wanted: cfg.Accounts.Management, Hint: "accounts.management in the configuration must name the organization's management account",
		})
	}
	return conflicts, nil
}

// planPrincipals plans every principal of services: trusted access to
// enable (enabled holds the principals that have it), the delegated
// administrator to register. It returns the plans and the conflicts, and
// adds a warning to res for each principal with other delegated
// administrators besides the security account.
func planPrincipals(ctx context.Context, api organizations.ListDelegatedAdministratorsAPIClient, cfg settings.Config, services []string, enabled map[string]bool, res *workflow.StepResult) ([]principalPlan, []workflow.Conflict, error) {
	var plans []principalPlan
	var conflicts []workflow.Conflict
	for _, svc := range services {
		for _, p := range principalsFor(cfg, svc) {
			pp := principalPlan{service: svc, principal: p, enable: !enabled[p.Name]}
			if p.Admin != settings.AdminNone {
				found, err := admins.List(ctx, api, p.Name)
				if err != nil {
					return nil, nil, err
				}
				if c := planAdmin(&pp, found, cfg.Accounts.Security, res); c != nil {
					conflicts = append(conflicts, *c)
				}
			}
			plans = append(plans, pp)
		}
	}
	return plans, conflicts, nil
}

// planAdmin compares the delegated administrators of pp's principal
// (current) with the security account and sets what pp does about it. Other
// administrators instead of the security account are the conflict it
// returns; besides it, a warning in res.
func planAdmin(pp *principalPlan, current []string, security string, res *workflow.StepResult) *workflow.Conflict {
	svc, p := pp.service, pp.principal
	found := slices.Contains(current, security)
	others := slices.DeleteFunc(slices.Clone(current), func(a string) bool { return a == security })
	switch {
	case len(others) > 0 && !found:
		return &workflow.Conflict{
			Service: svc, Resource: "delegated administrator for " + p.Name,
			Found: admins.Join(others), Wanted: security,
			Hint: "orgbaseline never replaces a delegated administrator; deregister it yourself or set accounts.security to it",
		}
	case len(others) > 0:
		res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %s also has delegated administrator(s) %s besides the security account", svc, p.Name, admins.Join(others)))
	case !found && p.Admin == settings.AdminOrganizations:
		pp.register = true
	case !found && p.Admin == settings.AdminServiceAPI:
		pp.note = adminNote(p.Name, svc)
	}
	return nil
}

// convergeService carries out, in apply mode, the plans of service svc and
// returns its outcome, with the actions and the notes of the plans.
func convergeService(ctx context.Context, api OrganizationsAPI, cfg settings.Config, mode workflow.Mode, svc string, plans []principalPlan, log *slog.Logger) (workflow.Outcome, error) {
	out := workflow.Outcome{Account: cfg.Accounts.Management, Region: workflow.RegionGlobal, Service: svc}
	apply := mode == workflow.ModeApply
	for _, pp := range plans {
		if pp.service != svc {
			continue
		}
		if pp.enable {
			if apply {
				if err := enableAccess(ctx, api, pp.principal.Name); err != nil {
					return out, err
				}
				log.InfoContext(ctx, "enabled trusted access", "service", svc, "principal", pp.principal.Name)
			}
			out.Actions = append(out.Actions, workflow.Action{Call: CallEnableServiceAccess, Target: pp.principal.Name})
		}
		if pp.register {
			if apply {
				if err := admins.Register(ctx, api, svc, pp.principal.Name, cfg.Accounts.Security); err != nil {
					return out, err
				}
				log.InfoContext(ctx, "registered delegated administrator", "service", svc, "principal", pp.principal.Name, "account", cfg.Accounts.Security)
			}
			out.Actions = append(out.Actions, workflow.Action{Call: CallRegisterAdmin, Target: pp.principal.Name + " " + cfg.Accounts.Security})
		}
		if pp.note != "" {
			out.Reason = appendReason(out.Reason, pp.note)
		}
	}
	return out, nil
}

// selectServices returns the enabled services admitted by the filter, in
// catalog order. Unknown names in the filter are bad input.
func selectServices(cfg settings.Config, in workflow.Input) ([]string, error) {
	var unknown []string
	for _, s := range in.Services {
		if _, ok := settings.LookupService(s); !ok {
			unknown = append(unknown, s)
		}
	}
	if len(unknown) > 0 {
		return nil, &workflow.TerminalError{Op: "read input", Err: fmt.Errorf("unknown service(s) %v in the services filter; known: %v", unknown, settings.ServiceNames())}
	}
	var out []string
	for _, s := range cfg.EnabledServices() {
		if in.WantsService(s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// principalsFor returns the principals service needs under cfg.
func principalsFor(cfg settings.Config, service string) []settings.Principal {
	info, _ := settings.LookupService(service)
	var out []settings.Principal
	for _, p := range info.Principals {
		switch {
		case p.Name == "malware-protection.guardduty.amazonaws.com" && !cfg.Services.GuardDuty.Features.EBSMalwareProtection:
			continue
		case service == settings.ServiceCloudTrail && p.Admin == settings.AdminServiceAPI && !cfg.Services.CloudTrail.DelegatedAdmin:
			p.Admin = settings.AdminNone
		case service == settings.ServiceDetective && cfg.Services.Detective.Invitation():
			// Invitation mode uses no Organizations integration: the
			// security account's own graph invites the accounts ("Inviting
			// member accounts", Amazon Detective Administration Guide), so
			// neither trusted access nor a delegated administrator. An
			// organization administrator already there is detective-admin's
			// conflict.
			continue
		}
		out = append(out, p)
	}
	return out
}

// enableAccess enables trusted access for principal.
func enableAccess(ctx context.Context, api TrustedAccessAPI, principal string) error {
	_, err := api.EnableAWSServiceAccess(ctx, &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String(principal)})
	return awsclient.Classify("enable trusted access for "+principal, err)
}

func appendReason(r, s string) string {
	if r == "" {
		return s
	}
	return r + "; " + s
}

// ownSteps are the services whose step enables their trusted access and
// registers their delegated administrator itself, in the order the service
// documents: Health's organizational view is enabled with Health's own API
// (which enables trusted access), and only then is a delegated
// administrator registered ("Registering a delegated administrator for
// your organizational view", AWS Health User Guide).
var ownSteps = map[string]string{
	settings.ServiceHealth: health.Spec.Name,
}

// handledHere reports whether this step enables service's trusted access
// and registers its delegated administrator.
func handledHere(service string) bool {
	_, own := ownSteps[service]
	return !own
}

// adminSteps are the steps that register a service's delegated administrator
// through the service's own API.
var adminSteps = map[string]workflow.StepSpec{
	settings.ServiceCloudTrail:  orgtrail.Spec,
	settings.ServiceGuardDuty:   guardduty.AdminSpec,
	settings.ServiceDetective:   detective.AdminSpec,
	settings.ServiceSecurityHub: securityhub.AdminSpec,
}

// adminNote says who registers the delegated administrator of a service
// that registers it through its own API.
func adminNote(principal, service string) string {
	if step, ok := adminSteps[service]; ok {
		return fmt.Sprintf("delegated administrator for %s is registered by the %s step", principal, step.Name)
	}
	return fmt.Sprintf("delegated administrator for %s is registered through the service's own API, which the baseline does not do yet", principal)
}
