package orgtrail

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// adminPlan is what the step found of CloudTrail's delegated administrator.
type adminPlan struct {
	// register is whether the security account is to be registered: no
	// account is.
	register bool
	// registered is whether the security account is registered already.
	registered bool
	// warning is given when other accounts are registered besides the
	// security account.
	warning string
	// conflict is another account registered instead of the security
	// account.
	conflict *workflow.Conflict
}

// planAdmin reads CloudTrail's delegated administrators, from the
// management account, and compares them with the security account.
func planAdmin(ctx context.Context, api organizations.ListDelegatedAdministratorsAPIClient, cfg settings.Config) (adminPlan, error) {
	var a adminPlan
	admins, err := delegatedAdmins(ctx, api)
	if err != nil {
		return a, err
	}
	a.registered = slices.Contains(admins, cfg.Accounts.Security)
	others := slices.DeleteFunc(slices.Clone(admins), func(id string) bool { return id == cfg.Accounts.Security })
	switch {
	case a.registered && len(others) > 0:
		a.warning = fmt.Sprintf("cloudtrail: %s also has delegated administrator(s) %s besides the security account", cloudtrailPrincipal, strings.Join(others, ", "))
	case len(others) > 0:
		c := adminConflict(strings.Join(others, ", "), cfg.Accounts.Security)
		a.conflict = &c
	case len(admins) == 0:
		a.register = true
	}
	return a, nil
}

// delegatedAdmins lists CloudTrail's delegated administrators.
func delegatedAdmins(ctx context.Context, api organizations.ListDelegatedAdministratorsAPIClient) ([]string, error) {
	var ids []string
	pages := organizations.NewListDelegatedAdministratorsPaginator(api, &organizations.ListDelegatedAdministratorsInput{ServicePrincipal: aws.String(cloudtrailPrincipal)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, awsclient.Classify("list delegated administrators for "+cloudtrailPrincipal, err)
		}
		for _, a := range page.DelegatedAdministrators {
			ids = append(ids, aws.ToString(a.Id))
		}
	}
	return ids, nil
}

func adminConflict(found, wanted string) workflow.Conflict {
	return workflow.Conflict{
		Service: settings.ServiceCloudTrail, Resource: "delegated administrator for " + cloudtrailPrincipal,
		Found: found, Wanted: wanted,
		Hint: "orgbaseline never replaces a delegated administrator; deregister it yourself or set accounts.security to it",
	}
}

// registerAdmin registers account as CloudTrail delegated administrator,
// from the management account. AccountRegisteredException is success only
// when a fresh read shows that very account registered (orgs).
func registerAdmin(ctx context.Context, api DelegatedAdminAPI, orgs organizations.ListDelegatedAdministratorsAPIClient, account string) error {
	_, err := api.RegisterOrganizationDelegatedAdmin(ctx, &cloudtrail.RegisterOrganizationDelegatedAdminInput{MemberAccountId: aws.String(account)})
	var already *cttypes.AccountRegisteredException
	if errors.As(err, &already) {
		admins, lerr := delegatedAdmins(ctx, orgs)
		if lerr != nil {
			return lerr
		}
		if slices.Contains(admins, account) {
			return nil
		}
		found := strings.Join(admins, ", ")
		if found == "" {
			found = "none"
		}
		return &workflow.ConflictError{Conflicts: []workflow.Conflict{adminConflict(found, account)}}
	}
	return awsclient.Classify("register "+account+" as CloudTrail delegated administrator", err)
}
