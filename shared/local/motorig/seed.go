package motorig

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// Names of the accounts Seed creates, in the order it creates them.
const (
	SecurityAccountName   = "security"
	LogArchiveAccountName = "log-archive"
)

// WorkloadAccountNames are the member accounts without a role in the
// baseline.
var WorkloadAccountNames = []string{"workload-a", "workload-b", "workload-c"}

// emailDomain is the domain of the accounts' e-mail addresses.
const emailDomain = "example.com"

// Account is an account of the seeded organization.
type Account struct {
	ID    string
	Name  string
	Email string
}

// Org is the organization Seed created.
type Org struct {
	// ID is the organization ID (o-…) and ARN its ARN.
	ID  string
	ARN string
	// RootID is the ID of the organization's root (r-…).
	RootID string
	// Management, Security and LogArchive are account IDs.
	Management string
	Security   string
	LogArchive string
	// Workloads are the IDs of the workload accounts (Seed: workload-a,
	// workload-b and workload-c).
	Workloads []string
	// Accounts lists every account, the management account first.
	Accounts []Account
}

// AccountIDs returns the IDs of every account, the management account first.
func (o Org) AccountIDs() []string {
	ids := make([]string, len(o.Accounts))
	for i, a := range o.Accounts {
		ids[i] = a.ID
	}
	return ids
}

// Seed creates an organization with all features as the account of cfg
// (the management account, for AWSConfig), and in it the accounts security,
// log-archive, workload-a, workload-b and workload-c. The server must not hold
// an organization yet (see Reset).
func Seed(ctx context.Context, cfg aws.Config) (Org, error) {
	return seed(ctx, cfg, WorkloadAccountNames)
}

// MinAccounts is the smallest organization SeedAccounts makes: the
// management, security and log-archive accounts.
const MinAccounts = 3

// SeedAccounts is Seed for an organization of n accounts in all: the
// management, security and log-archive accounts and n-3 workload accounts
// named workload-1, workload-2, and so on.
func SeedAccounts(ctx context.Context, cfg aws.Config, n int) (Org, error) {
	if n < MinAccounts {
		return Org{}, fmt.Errorf("motorig: an organization of %d accounts: want at least %d (management, security, log-archive)", n, MinAccounts)
	}
	names := make([]string, n-MinAccounts)
	for i := range names {
		names[i] = fmt.Sprintf("workload-%d", i+1)
	}
	return seed(ctx, cfg, names)
}

// AddAccount creates a workload account called name in the organization of
// cfg (the management account's configuration), as a new account joins an
// organization that is already baselined, and adds it to org.
func AddAccount(ctx context.Context, cfg aws.Config, org *Org, name string) (Account, error) {
	a := Account{Name: name, Email: name + "@" + emailDomain}
	id, err := createAccount(ctx, organizations.NewFromConfig(cfg), a.Name, a.Email)
	if err != nil {
		return Account{}, err
	}
	a.ID = id
	org.Accounts = append(org.Accounts, a)
	org.Workloads = append(org.Workloads, a.ID)
	return a, nil
}

// createOrganization creates the organization with all features. A request
// the SDK sent again after a connection error (the first one applied, its
// response lost) is answered AlreadyInOrganizationException: the
// organization it made, still without accounts, is then the one created.
func createOrganization(ctx context.Context, client *organizations.Client) (*types.Organization, error) {
	created, err := client.CreateOrganization(ctx, &organizations.CreateOrganizationInput{
		FeatureSet: types.OrganizationFeatureSetAll,
	})
	if err == nil {
		return created.Organization, nil
	}
	var already *types.AlreadyInOrganizationException
	if !errors.As(err, &already) {
		return nil, fmt.Errorf("motorig: create organization: %w", err)
	}
	described, derr := client.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if derr != nil {
		return nil, fmt.Errorf("motorig: create organization: %w (and describe it: %v)", err, derr)
	}
	accounts, lerr := client.ListAccounts(ctx, &organizations.ListAccountsInput{})
	if lerr != nil || len(accounts.Accounts) > 1 || described.Organization.FeatureSet != types.OrganizationFeatureSetAll {
		return nil, fmt.Errorf("motorig: create organization: %w: the server holds an organization already (reset it first)", err)
	}
	return described.Organization, nil
}

// seed creates the organization with the security, log-archive and
// workload accounts.
func seed(ctx context.Context, cfg aws.Config, workloads []string) (Org, error) {
	client := organizations.NewFromConfig(cfg)
	o, err := createOrganization(ctx, client)
	if err != nil {
		return Org{}, err
	}
	org := Org{
		ID:         aws.ToString(o.Id),
		ARN:        aws.ToString(o.Arn),
		Management: aws.ToString(o.MasterAccountId),
		Accounts: []Account{{
			ID:    aws.ToString(o.MasterAccountId),
			Name:  "management",
			Email: aws.ToString(o.MasterAccountEmail),
		}},
	}

	roots := organizations.NewListRootsPaginator(client, &organizations.ListRootsInput{})
	for roots.HasMorePages() && org.RootID == "" {
		page, err := roots.NextPage(ctx)
		if err != nil {
			return Org{}, fmt.Errorf("motorig: list roots: %w", err)
		}
		if len(page.Roots) > 0 {
			org.RootID = aws.ToString(page.Roots[0].Id)
		}
	}

	names := append([]string{SecurityAccountName, LogArchiveAccountName}, workloads...)
	for _, name := range names {
		a := Account{Name: name, Email: name + "@" + emailDomain}
		a.ID, err = createAccount(ctx, client, a.Name, a.Email)
		if err != nil {
			return Org{}, err
		}
		org.Accounts = append(org.Accounts, a)
		switch name {
		case SecurityAccountName:
			org.Security = a.ID
		case LogArchiveAccountName:
			org.LogArchive = a.ID
		default:
			org.Workloads = append(org.Workloads, a.ID)
		}
	}
	return org, nil
}

// Polling of DescribeCreateAccountStatus: AWS takes seconds to minutes,
// moto answers SUCCEEDED at once.
const (
	createAccountPolls    = 60
	createAccountMaxDelay = 5 * time.Second
)

// createAccount creates an account and polls DescribeCreateAccountStatus
// until the creation succeeded or failed.
func createAccount(ctx context.Context, client *organizations.Client, name, email string) (string, error) {
	out, err := client.CreateAccount(ctx, &organizations.CreateAccountInput{
		AccountName: aws.String(name),
		Email:       aws.String(email),
	})
	if err != nil {
		return "", fmt.Errorf("motorig: create account %s: %w", name, err)
	}
	requestID := out.CreateAccountStatus.Id
	delay := 100 * time.Millisecond
	for poll := 1; ; poll++ {
		d, err := client.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{
			CreateAccountRequestId: requestID,
		})
		if err != nil {
			return "", fmt.Errorf("motorig: create account %s: describe status: %w", name, err)
		}
		status := d.CreateAccountStatus
		switch status.State {
		case types.CreateAccountStateSucceeded:
			return aws.ToString(status.AccountId), nil
		case types.CreateAccountStateFailed:
			return "", fmt.Errorf("motorig: create account %s failed: %s", name, status.FailureReason)
		}
		if poll == createAccountPolls {
			return "", fmt.Errorf("motorig: create account %s: still %s after %d polls", name, status.State, poll)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", fmt.Errorf("motorig: create account %s: %w", name, ctx.Err())
		case <-t.C:
		}
		delay = min(2*delay, createAccountMaxDelay)
	}
}
