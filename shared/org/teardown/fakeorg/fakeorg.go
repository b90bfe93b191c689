// Package fakeorg is an in-memory AWS Organizations for the disable tests
// of each service: the delegated administrators and trusted access that
// teardown.OrgAPI reads and changes, answering with the SDK's own types,
// and a log of the mutating calls, shared with the service's own fakes so
// that a test can assert the order of every call.
package fakeorg

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// The accounts of the disable tests.
const (
	Management = "111111111111"
	Security   = "222222222222"
	// Other is an account that is neither: another delegated
	// administrator, a conflict.
	Other = "999999999999"
)

// Config is the configuration of the disable tests: Management and
// Security, home region us-east-1.
func Config() settings.Config {
	var c settings.Config
	c.Accounts.Management, c.Accounts.Security, c.HomeRegion = Management, Security, "us-east-1"
	return c
}

// Log records mutating calls, "service:Operation target", in order.
type Log struct {
	mu    sync.Mutex
	calls []string
}

// Add records one call.
func (l *Log) Add(call string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, call)
}

// Calls returns the calls so far and forgets them.
func (l *Log) Calls() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.calls
	l.calls = nil
	return c
}

// ExpectQuietRerun fails t unless res, a disable run again on what the
// first run left, made no mutating call (since the last Calls) and reports
// every row unchanged.
func (l *Log) ExpectQuietRerun(t testing.TB, res workflow.StepResult) {
	t.Helper()
	if got := l.Calls(); len(got) != 0 {
		t.Errorf("second run called %v", got)
	}
	for _, o := range res.Outcomes {
		if o.Status != workflow.StatusUnchanged {
			t.Errorf("second run row %+v", o)
		}
	}
}

// Orgs is the fake. Admins holds the delegated administrators by service
// principal, Access the principals with trusted access on.
type Orgs struct {
	Log    *Log
	Admins map[string][]string
	Access map[string]bool
	// Members are the organization's accounts.
	Members []string
	// Fail, when it names an operation, makes that call fail.
	Fail map[string]error
}

// New returns an Orgs logging to log.
func New(log *Log) *Orgs {
	return &Orgs{Log: log, Admins: map[string][]string{}, Access: map[string]bool{}, Fail: map[string]error{}}
}

func (o *Orgs) ListDelegatedAdministrators(_ context.Context, in *organizations.ListDelegatedAdministratorsInput, _ ...func(*organizations.Options)) (*organizations.ListDelegatedAdministratorsOutput, error) {
	if err := o.Fail["ListDelegatedAdministrators"]; err != nil {
		return nil, err
	}
	out := &organizations.ListDelegatedAdministratorsOutput{}
	for _, id := range o.Admins[aws.ToString(in.ServicePrincipal)] {
		out.DelegatedAdministrators = append(out.DelegatedAdministrators, types.DelegatedAdministrator{Id: aws.String(id)})
	}
	return out, nil
}

func (o *Orgs) DeregisterDelegatedAdministrator(_ context.Context, in *organizations.DeregisterDelegatedAdministratorInput, _ ...func(*organizations.Options)) (*organizations.DeregisterDelegatedAdministratorOutput, error) {
	p, id := aws.ToString(in.ServicePrincipal), aws.ToString(in.AccountId)
	o.Log.Add("organizations:DeregisterDelegatedAdministrator " + id + " " + p)
	if err := o.Fail["DeregisterDelegatedAdministrator"]; err != nil {
		return nil, err
	}
	if !slices.Contains(o.Admins[p], id) {
		return nil, &types.AccountNotRegisteredException{Message: aws.String(fmt.Sprintf("%s is not registered for %s", id, p))}
	}
	o.Admins[p] = slices.DeleteFunc(o.Admins[p], func(s string) bool { return s == id })
	return &organizations.DeregisterDelegatedAdministratorOutput{}, nil
}

func (o *Orgs) ListAWSServiceAccessForOrganization(context.Context, *organizations.ListAWSServiceAccessForOrganizationInput, ...func(*organizations.Options)) (*organizations.ListAWSServiceAccessForOrganizationOutput, error) {
	if err := o.Fail["ListAWSServiceAccessForOrganization"]; err != nil {
		return nil, err
	}
	out := &organizations.ListAWSServiceAccessForOrganizationOutput{}
	var ps []string
	for p, on := range o.Access {
		if on {
			ps = append(ps, p)
		}
	}
	slices.Sort(ps)
	for _, p := range ps {
		out.EnabledServicePrincipals = append(out.EnabledServicePrincipals, types.EnabledServicePrincipal{ServicePrincipal: aws.String(p)})
	}
	return out, nil
}

func (o *Orgs) DisableAWSServiceAccess(_ context.Context, in *organizations.DisableAWSServiceAccessInput, _ ...func(*organizations.Options)) (*organizations.DisableAWSServiceAccessOutput, error) {
	p := aws.ToString(in.ServicePrincipal)
	o.Log.Add("organizations:DisableAWSServiceAccess " + p)
	if err := o.Fail["DisableAWSServiceAccess"]; err != nil {
		return nil, err
	}
	delete(o.Access, p)
	return &organizations.DisableAWSServiceAccessOutput{}, nil
}

// ListAccounts lists Members, the organization's accounts.
func (o *Orgs) ListAccounts(context.Context, *organizations.ListAccountsInput, ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error) {
	if err := o.Fail["ListAccounts"]; err != nil {
		return nil, err
	}
	out := &organizations.ListAccountsOutput{}
	for _, id := range o.Members {
		out.Accounts = append(out.Accounts, types.Account{Id: aws.String(id), Status: types.AccountStatusActive})
	}
	return out, nil
}
