package configsvc

import (
	"fmt"
	"maps"
	"slices"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// The actions of the two steps.
const (
	CallPutConfigurationAggregator     = "config:PutConfigurationAggregator"
	CallPutOrganizationConfigRule      = "config:PutOrganizationConfigRule"
	CallPutOrganizationConformancePack = "config:PutOrganizationConformancePack"
)

// MultiAccountSetupPrincipal is the service principal of organization config
// rules and conformance packs; the security account is its delegated
// administrator.
const MultiAccountSetupPrincipal = "config-multiaccountsetup.amazonaws.com"

// skipped fills out as skipped, and reports true, when the step has nothing
// to do: Config switched off, or left out by the services filter.
func skipped(cfg settings.Config, in workflow.Input, out *workflow.Outcome) bool {
	switch {
	case !cfg.Enabled(settings.ServiceConfig):
		out.Reason = "config is disabled in the configuration"
	case !in.WantsService(settings.ServiceConfig):
		out.Reason = "config is not in the services filter"
	default:
		return false
	}
	out.Status = workflow.StatusSkipped
	return true
}

// classify turns an error of an AWS Config call into a named workflow error.
// op is what the step was doing; principal is the service principal the
// security account must be the delegated administrator of for the call.
// The errors that name a missing prerequisite say which; the rest go
// through awsclient.Classify.
func classify(op, principal string, err error) error {
	if err == nil || workflow.Named(err) {
		return err
	}
	terminal := func(format string, a ...any) error {
		return &workflow.TerminalError{Op: op, Err: fmt.Errorf(format+": %w", append(a, err)...)}
	}
	switch awsclient.ErrorCode(err) {
	case "ResourceInUseException":
		return &workflow.RetryableError{Op: op, Err: fmt.Errorf("another operation on it is in progress: %w", err)}
	case "OrganizationAccessDeniedException":
		return terminal("the security account is not AWS Config's delegated administrator for %s, or trusted access for %s is not enabled; "+
			"the org-prerequisites step sets both up when config is enabled: run it first", principal, principal)
	case "OrganizationAllFeaturesNotEnabledException":
		return terminal("the organization does not have all features enabled, which AWS Config's organization resources need")
	case "NoAvailableOrganizationException":
		return terminal("AWS Config finds no organization for the security account; check that it is a member of the organization")
	case "MaxNumberOfOrganizationConfigRulesExceededException":
		return terminal("the organization already has as many organization config rules as AWS Config allows; remove rules no longer needed or ask for a higher quota")
	case "MaxNumberOfOrganizationConformancePacksExceededException":
		return terminal("the organization already has as many organization conformance packs as AWS Config allows; remove packs no longer needed or ask for a higher quota")
	case "OrganizationConformancePackTemplateValidationException":
		return terminal("AWS Config refuses the conformance pack's template")
	}
	return awsclient.Classify(op, err)
}

// sameSet reports whether a and b hold the same strings, in any order and
// with any repetition.
func sameSet(a, b []string) bool {
	return slices.Equal(sortedSet(a), sortedSet(b))
}

// sortedSet returns the distinct strings of s in order, never nil.
func sortedSet(s []string) []string {
	m := map[string]bool{}
	for _, v := range s {
		m[v] = true
	}
	out := slices.Sorted(maps.Keys(m))
	if out == nil {
		out = []string{}
	}
	return out
}
