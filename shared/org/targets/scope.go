package targets

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// ScopeAPI reads what an organizational unit holds: its accounts
// ("ListAccountsForParent": the accounts of only that OU, not of its child
// OUs) and its child OUs ("ListOrganizationalUnitsForParent"), AWS
// Organizations API Reference; both at most 20 a page, from the management
// account.
type ScopeAPI interface {
	organizations.ListAccountsForParentAPIClient
	organizations.ListOrganizationalUnitsForParentAPIClient
}

var _ ScopeAPI = (*organizations.Client)(nil)

// Exclusions are the accounts the configuration's scope leaves out, each
// with the reason of its rows (beginning with settings.ScopeReason).
type Exclusions map[string]string

// IDs returns the excluded accounts in ID order, never nil.
func (e Exclusions) IDs() []string {
	out := make([]string, 0, len(e))
	for id := range e {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// ResolveScope returns the accounts scope excludes: those it names, and
// every account of the OUs it names and of the OUs nested in them, at any
// depth (each OU read once, page by page). It makes no call when the scope
// names no OU. An OU that is not in the organization, or that holds the
// management, security or log-archive account, is a TerminalError: the run
// stops before any change rather than work on accounts meant to be left
// out, or leave out an account the baseline needs.
func ResolveScope(ctx context.Context, api ScopeAPI, cfg settings.Config) (Exclusions, error) {
	out := Exclusions{}
	for _, id := range cfg.Scope.ExcludeAccounts {
		out[id] = settings.ScopeReason + " (scope.excludeAccounts)"
	}
	seen := map[string]bool{}
	for _, top := range cfg.Scope.ExcludeOUs {
		// A breadth-first walk of the OU's tree: each OU with its parent
		// among the walked ones, for the rows' reasons.
		queue := []string{top}
		for len(queue) > 0 {
			ou := queue[0]
			queue = queue[1:]
			if seen[ou] {
				continue
			}
			seen[ou] = true
			reason := fmt.Sprintf("%s: in OU %s (scope.excludeOUs)", settings.ScopeReason, top)
			if ou != top {
				reason = fmt.Sprintf("%s: in OU %s, nested in %s (scope.excludeOUs)", settings.ScopeReason, ou, top)
			}
			accounts, children, err := readOU(ctx, api, ou)
			if err != nil {
				return nil, err
			}
			for _, a := range accounts {
				if role := baselineAccount(cfg, a); role != "" {
					return nil, &workflow.TerminalError{Op: "resolve scope.excludeOUs", Err: fmt.Errorf(
						"OU %s holds %s %s, which cannot be excluded: move it out of the OU, or exclude the OU's other accounts by ID (scope.excludeAccounts)", ou, role, a)}
				}
				if _, ok := out[a]; !ok {
					out[a] = reason
				}
			}
			queue = append(queue, children...)
		}
	}
	return out, nil
}

// baselineAccount names the role of id when it is one of the three
// accounts the baseline is built around, else "".
func baselineAccount(cfg settings.Config, id string) string {
	switch id {
	case cfg.Accounts.Management:
		return "the management account"
	case cfg.Accounts.Security:
		return "the security account"
	case cfg.Accounts.LogArchive:
		return "the log-archive account"
	}
	return ""
}

// readOU returns the accounts directly in ou and its child OUs, an OU not
// in the organization as a TerminalError.
func readOU(ctx context.Context, api ScopeAPI, ou string) (accounts, children []string, err error) {
	op := "read OU " + ou + " of scope.excludeOUs"
	as, units, err := ReadParent(ctx, api, ou)
	if err != nil {
		var missing *orgtypes.ParentNotFoundException
		if errors.As(err, &missing) {
			return nil, nil, &workflow.TerminalError{Op: op, Err: fmt.Errorf("%s is not an OU of the organization (%s): correct scope.excludeOUs", ou, aws.ToString(missing.Message))}
		}
		return nil, nil, awsclient.Classify(op, err)
	}
	for _, a := range as {
		accounts = append(accounts, aws.ToString(a.Id))
	}
	for _, u := range units {
		children = append(children, aws.ToString(u.Id))
	}
	return accounts, children, nil
}

// ReadParent returns what a root or OU directly holds: its accounts and its
// child OUs, every page of each (ScopeAPI). The error is the SDK's.
func ReadParent(ctx context.Context, api ScopeAPI, parent string) ([]orgtypes.Account, []orgtypes.OrganizationalUnit, error) {
	var accounts []orgtypes.Account
	ap := organizations.NewListAccountsForParentPaginator(api, &organizations.ListAccountsForParentInput{ParentId: aws.String(parent)})
	for ap.HasMorePages() {
		page, err := ap.NextPage(ctx)
		if err != nil {
			return nil, nil, err
		}
		accounts = append(accounts, page.Accounts...)
	}
	var units []orgtypes.OrganizationalUnit
	up := organizations.NewListOrganizationalUnitsForParentPaginator(api, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(parent)})
	for up.HasMorePages() {
		page, err := up.NextPage(ctx)
		if err != nil {
			return nil, nil, err
		}
		units = append(units, page.OrganizationalUnits...)
	}
	return accounts, units, nil
}
