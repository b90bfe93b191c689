package fakeaws

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// managementAccessKey is the access key the fake uses to ask moto about the
// organization. moto gives every access key it did not hand out itself to
// its default account, 123456789012, which creates the organization of
// shared/local/motorig.
const managementAccessKey = "testing"

// motoRegion is the region of the fake's requests to moto; STS and
// Organizations answer the same in every region.
const motoRegion = "us-east-1"

// moto asks the moto server who signs a request and how the organization is
// set up.
type moto struct {
	endpoint string
	http     *http.Client
}

func newMoto(endpoint string) *moto {
	return &moto{endpoint: strings.TrimRight(endpoint, "/"), http: &http.Client{Timeout: 30 * time.Second}}
}

// credentialsOf signs a request to moto with accessKey. moto does not check
// signatures, so the secret is any.
func credentialsOf(accessKey string) aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(accessKey, "fakeaws", "")
}

// retryer makes few attempts: moto runs on this machine.
func retryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 2
		o.RateLimiter = ratelimit.None
	})
}

func (m *moto) sts(accessKey string) *sts.Client {
	return sts.New(sts.Options{
		Region: motoRegion, BaseEndpoint: aws.String(m.endpoint), HTTPClient: m.http,
		Credentials: credentialsOf(accessKey), Retryer: retryer(),
	})
}

func (m *moto) organizations(accessKey string) *organizations.Client {
	return organizations.New(organizations.Options{
		Region: motoRegion, BaseEndpoint: aws.String(m.endpoint), HTTPClient: m.http,
		Credentials: credentialsOf(accessKey), Retryer: retryer(),
	})
}

// account returns the account that accessKey belongs to, as moto's
// sts:GetCallerIdentity tells: the role's account for keys of an assumed
// role, the default account for keys moto does not know.
func (m *moto) account(ctx context.Context, accessKey string) (string, error) {
	out, err := m.sts(accessKey).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("fakeaws: account of access key %s: %w", accessKey, err)
	}
	return aws.ToString(out.Account), nil
}

// managementAccount returns the management account of moto's organization,
// "" when there is no organization.
func (m *moto) managementAccount(ctx context.Context) (string, error) {
	out, err := m.organizations(managementAccessKey).DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	var notInUse *orgtypes.AWSOrganizationsNotInUseException
	if errors.As(err, &notInUse) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("fakeaws: describe the organization: %w", err)
	}
	return aws.ToString(out.Organization.MasterAccountId), nil
}

// trustedAccess reports whether the organization has trusted access enabled
// for the service principal.
func (m *moto) trustedAccess(ctx context.Context, principal string) (bool, error) {
	p := organizations.NewListAWSServiceAccessForOrganizationPaginator(m.organizations(managementAccessKey),
		&organizations.ListAWSServiceAccessForOrganizationInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return false, fmt.Errorf("fakeaws: list trusted access of the organization: %w", err)
		}
		for _, s := range page.EnabledServicePrincipals {
			if aws.ToString(s.ServicePrincipal) == principal {
				return true, nil
			}
		}
	}
	return false, nil
}

// delegatedAdministrator reports whether account is a registered delegated
// administrator for the service principal.
func (m *moto) delegatedAdministrator(ctx context.Context, principal, account string) (bool, error) {
	admins, err := m.delegatedAdministrators(ctx, principal)
	return slices.Contains(admins, account), err
}

// delegatedAdministrators returns the accounts registered as delegated
// administrators for the service principal.
func (m *moto) delegatedAdministrators(ctx context.Context, principal string) ([]string, error) {
	p := organizations.NewListDelegatedAdministratorsPaginator(m.organizations(managementAccessKey),
		&organizations.ListDelegatedAdministratorsInput{ServicePrincipal: aws.String(principal)})
	var admins []string
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("fakeaws: list delegated administrators of %s: %w", principal, err)
		}
		for _, a := range page.DelegatedAdministrators {
			admins = append(admins, aws.ToString(a.Id))
		}
	}
	return admins, nil
}

// registerDelegatedAdministrator registers account as a delegated
// administrator for the service principal, as a service that registers its
// administrator itself does.
func (m *moto) registerDelegatedAdministrator(ctx context.Context, principal, account string) error {
	_, err := m.organizations(managementAccessKey).RegisterDelegatedAdministrator(ctx, &organizations.RegisterDelegatedAdministratorInput{
		AccountId: aws.String(account), ServicePrincipal: aws.String(principal),
	})
	if err != nil {
		return fmt.Errorf("fakeaws: register %s as delegated administrator for %s: %w", account, principal, err)
	}
	return nil
}

// organizationAccounts returns the IDs of the organization's accounts.
func (m *moto) organizationAccounts(ctx context.Context) (map[string]bool, error) {
	p := organizations.NewListAccountsPaginator(m.organizations(managementAccessKey), &organizations.ListAccountsInput{})
	accounts := map[string]bool{}
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("fakeaws: list the organization's accounts: %w", err)
		}
		for _, a := range page.Accounts {
			accounts[aws.ToString(a.Id)] = true
		}
	}
	return accounts, nil
}

// enableTrustedAccess enables trusted access for the service principal, as
// a service's own enable call does for its caller.
func (m *moto) enableTrustedAccess(ctx context.Context, principal string) error {
	_, err := m.organizations(managementAccessKey).EnableAWSServiceAccess(ctx, &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String(principal)})
	if err != nil {
		return fmt.Errorf("fakeaws: enable trusted access for %s: %w", principal, err)
	}
	return nil
}

// Kinds of the organization's nodes, as Security Hub's TargetType names
// them.
const (
	nodeRoot    = "ROOT"
	nodeOU      = "ORGANIZATIONAL_UNIT"
	nodeAccount = "ACCOUNT"
)

// orgTree is the structure of the organization: the kind of each root,
// organizational unit and account, and the parent of each organizational
// unit and account.
type orgTree struct {
	kind   map[string]string
	parent map[string]string
}

// organizationTree reads the organization's roots, organizational units and
// accounts, from each root down.
func (m *moto) organizationTree(ctx context.Context) (orgTree, error) {
	api := m.organizations(managementAccessKey)
	t := orgTree{kind: map[string]string{}, parent: map[string]string{}}
	var todo []string
	roots := organizations.NewListRootsPaginator(api, &organizations.ListRootsInput{})
	for roots.HasMorePages() {
		page, err := roots.NextPage(ctx)
		if err != nil {
			return orgTree{}, fmt.Errorf("fakeaws: list the organization's roots: %w", err)
		}
		for _, r := range page.Roots {
			t.kind[aws.ToString(r.Id)] = nodeRoot
			todo = append(todo, aws.ToString(r.Id))
		}
	}
	for len(todo) > 0 {
		parent := todo[0]
		todo = todo[1:]
		ous := organizations.NewListOrganizationalUnitsForParentPaginator(api,
			&organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(parent)})
		for ous.HasMorePages() {
			page, err := ous.NextPage(ctx)
			if err != nil {
				return orgTree{}, fmt.Errorf("fakeaws: list the organizational units of %s: %w", parent, err)
			}
			for _, ou := range page.OrganizationalUnits {
				id := aws.ToString(ou.Id)
				t.kind[id], t.parent[id] = nodeOU, parent
				todo = append(todo, id)
			}
		}
		accounts := organizations.NewListAccountsForParentPaginator(api,
			&organizations.ListAccountsForParentInput{ParentId: aws.String(parent)})
		for accounts.HasMorePages() {
			page, err := accounts.NextPage(ctx)
			if err != nil {
				return orgTree{}, fmt.Errorf("fakeaws: list the accounts of %s: %w", parent, err)
			}
			for _, a := range page.Accounts {
				id := aws.ToString(a.Id)
				t.kind[id], t.parent[id] = nodeAccount, parent
			}
		}
	}
	return t, nil
}
