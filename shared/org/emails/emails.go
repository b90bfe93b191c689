// Package emails reads the e-mail addresses of the organization's accounts
// from the management account, for the services whose CreateMembers needs
// them (GuardDuty, Detective): one account at a time
// (organizations:DescribeAccount), or by listing the organization
// (organizations:ListAccounts, at most 20 accounts a page, "ListAccounts",
// AWS Organizations API Reference) when that takes fewer calls. Only ACTIVE
// accounts are read; the others are left out with the reason.
package emails

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/org/targets"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// API reads the organization's accounts: one, or a page of them.
type API interface {
	DescribeAccount(ctx context.Context, in *organizations.DescribeAccountInput, optFns ...func(*organizations.Options)) (*organizations.DescribeAccountOutput, error)
	organizations.ListAccountsAPIClient
}

var _ API = (*organizations.Client)(nil)

// PerPage is the most accounts a ListAccounts page holds.
const PerPage = 20

// Gone is the reason of an account no longer in the organization.
const Gone = "the account is no longer in the organization"

// Account is an account with its e-mail address.
type Account struct {
	ID, Email string
}

// Skip is an account left out, and why.
type Skip struct {
	Account, Reason string
}

// Reader reads the addresses of one run's accounts, each once.
type Reader struct {
	api API
	// runSize is how many accounts the run has: what listing the
	// organization costs is about runSize/PerPage calls.
	runSize int
	found   map[string]string
	skipped []Skip
	// listed says the organization was listed: an account not found then
	// is skipped already.
	listed bool
}

// NewReader returns a Reader through api for a run of runSize accounts.
func NewReader(api API, runSize int) *Reader {
	return &Reader{api: api, runSize: runSize, found: map[string]string{}}
}

// Prepare reads the accounts of todo by listing the organization when that
// takes fewer calls than reading them one by one: a first run on a large
// organization costs about accounts/20 calls instead of one per account,
// and a run that adds few accounts (an onboarding) reads only those.
func (r *Reader) Prepare(ctx context.Context, todo []string) error {
	pages := (r.runSize + PerPage - 1) / PerPage
	if len(todo) <= pages {
		return nil
	}
	want := map[string]bool{}
	for _, a := range todo {
		want[a] = true
	}
	p := organizations.NewListAccountsPaginator(r.api, &organizations.ListAccountsInput{MaxResults: aws.Int32(PerPage)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return awsclient.Classify("list the organization's accounts (organizations:ListAccounts)", err)
		}
		for _, a := range page.Accounts {
			id := aws.ToString(a.Id)
			switch {
			case !want[id]:
			case !targets.Active(a):
				r.skipped = append(r.skipped, Skip{id, "the account is " + targets.AccountState(a)})
			default:
				r.found[id] = aws.ToString(a.Email)
			}
			delete(want, id)
		}
	}
	for _, id := range todo {
		if want[id] {
			r.skipped = append(r.skipped, Skip{id, Gone})
		}
	}
	r.listed = true
	return nil
}

// Read returns the accounts of batch with their addresses, reading each
// account not read yet (organizations:DescribeAccount). An account no longer
// in the organization, or not ACTIVE, is left out (Skipped).
func (r *Reader) Read(ctx context.Context, batch []string) ([]Account, error) {
	var out []Account
	for _, id := range batch {
		if email, ok := r.found[id]; ok {
			out = append(out, Account{id, email})
			continue
		}
		if r.listed || r.isSkipped(id) {
			continue
		}
		got, err := r.api.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(id)})
		var notFound *orgtypes.AccountNotFoundException
		switch {
		case errors.As(err, &notFound):
			r.skipped = append(r.skipped, Skip{id, Gone})
			continue
		case err != nil:
			return nil, awsclient.Classify("read account "+id+" (organizations:DescribeAccount)", err)
		case got.Account == nil:
			return nil, &workflow.TerminalError{Op: "read account " + id + " (organizations:DescribeAccount)", Err: fmt.Errorf("the answer holds no account")}
		case !targets.Active(*got.Account):
			r.skipped = append(r.skipped, Skip{id, "the account is " + targets.AccountState(*got.Account)})
			continue
		}
		r.found[id] = aws.ToString(got.Account.Email)
		out = append(out, Account{id, r.found[id]})
	}
	return out, nil
}

// Skipped returns the accounts left out so far, in the order found.
func (r *Reader) Skipped() []Skip { return r.skipped }

func (r *Reader) isSkipped(id string) bool {
	for _, s := range r.skipped {
		if s.Account == id {
			return true
		}
	}
	return false
}
