// Package admins reads and registers the delegated administrators that
// AWS Organizations keeps for a service principal ("Register a delegated
// administrator", RegisterDelegatedAdministrator and
// ListDelegatedAdministrators in the AWS Organizations API Reference), for
// the services whose delegated administrator is registered through
// Organizations rather than through the service's own API; and which
// service principals have trusted access.
package admins

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// CallRegister is the action Register takes, as reported.
const CallRegister = "organizations:RegisterDelegatedAdministrator"

// API lists and registers the delegated administrators.
type API interface {
	organizations.ListDelegatedAdministratorsAPIClient
	RegisterDelegatedAdministrator(ctx context.Context, in *organizations.RegisterDelegatedAdministratorInput, optFns ...func(*organizations.Options)) (*organizations.RegisterDelegatedAdministratorOutput, error)
}

var _ API = (*organizations.Client)(nil)

// List returns the accounts registered as delegated administrators for
// principal, in Organizations' order.
func List(ctx context.Context, api organizations.ListDelegatedAdministratorsAPIClient, principal string) ([]string, error) {
	var ids []string
	pages := organizations.NewListDelegatedAdministratorsPaginator(api, &organizations.ListDelegatedAdministratorsInput{ServicePrincipal: aws.String(principal)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, awsclient.Classify("list delegated administrators for "+principal, err)
		}
		for _, a := range page.DelegatedAdministrators {
			ids = append(ids, aws.ToString(a.Id))
		}
	}
	return ids, nil
}

// Register registers account for principal. AccountAlreadyRegisteredException
// is success only when a fresh read shows that very account registered:
// another run may have done it since the caller read the list; otherwise it
// is a *workflow.ConflictError naming the administrators found.
func Register(ctx context.Context, api API, service, principal, account string) error {
	_, err := api.RegisterDelegatedAdministrator(ctx, &organizations.RegisterDelegatedAdministratorInput{
		AccountId: aws.String(account), ServicePrincipal: aws.String(principal),
	})
	var already *types.AccountAlreadyRegisteredException
	if errors.As(err, &already) {
		ids, lerr := List(ctx, api, principal)
		if lerr != nil {
			return lerr
		}
		if slices.Contains(ids, account) {
			return nil
		}
		return &workflow.ConflictError{Conflicts: []workflow.Conflict{{
			Service: service, Resource: "delegated administrator for " + principal,
			Found: Join(ids), Wanted: account,
		}}}
	}
	return awsclient.Classify("register delegated administrator "+account+" for "+principal, err)
}

// Join names ids for a report: "none" when there is none.
func Join(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	return strings.Join(ids, ", ")
}

// TrustedAccess returns the service principals that have trusted access
// ("ListAWSServiceAccessForOrganization", AWS Organizations API Reference).
func TrustedAccess(ctx context.Context, api organizations.ListAWSServiceAccessForOrganizationAPIClient) (map[string]bool, error) {
	enabled := map[string]bool{}
	pages := organizations.NewListAWSServiceAccessForOrganizationPaginator(api, &organizations.ListAWSServiceAccessForOrganizationInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, awsclient.Classify("list trusted access", err)
		}
		for _, p := range page.EnabledServicePrincipals {
			enabled[aws.ToString(p.ServicePrincipal)] = true
		}
	}
	return enabled, nil
}
