package targets

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// fakeTree is an organization's OUs: each OU's accounts and child OUs,
// answered one item a page, so that every listing pages.
type fakeTree struct {
	accounts map[string][]string
	children map[string][]string
	calls    map[string]int
}

// page returns the item at the token's position and the next token.
func page(items []string, token *string) ([]string, *string) {
	i := 0
	if token != nil {
		i = len(*token)
	}
	if i >= len(items) {
		return nil, nil
	}
	var next *string
	if i+1 < len(items) {
		next = aws.String(strings.Repeat("x", i+1))
	}
	return items[i : i+1], next
}

func (f fakeTree) known(ou string) bool {
	_, a := f.accounts[ou]
	_, c := f.children[ou]
	return a || c
}

func (f fakeTree) ListAccountsForParent(ctx context.Context, in *organizations.ListAccountsForParentInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error) {
	f.calls["ListAccountsForParent"]++
	ou := aws.ToString(in.ParentId)
	if !f.known(ou) {
		return nil, &orgtypes.ParentNotFoundException{Message: aws.String("We can't find a root or OU with the ParentId that you specified.")}
	}
	ids, next := page(f.accounts[ou], in.NextToken)
	out := &organizations.ListAccountsForParentOutput{NextToken: next}
	for _, id := range ids {
		out.Accounts = append(out.Accounts, orgtypes.Account{Id: aws.String(id), State: orgtypes.AccountStateActive})
	}
	return out, nil
}

func (f fakeTree) ListOrganizationalUnitsForParent(ctx context.Context, in *organizations.ListOrganizationalUnitsForParentInput, _ ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error) {
	f.calls["ListOrganizationalUnitsForParent"]++
	ou := aws.ToString(in.ParentId)
	if !f.known(ou) {
		return nil, &orgtypes.ParentNotFoundException{Message: aws.String("We can't find a root or OU with the ParentId that you specified.")}
	}
	ids, next := page(f.children[ou], in.NextToken)
	out := &organizations.ListOrganizationalUnitsForParentOutput{NextToken: next}
	for _, id := range ids {
		out.OrganizationalUnits = append(out.OrganizationalUnits, orgtypes.OrganizationalUnit{Id: aws.String(id)})
	}
	return out, nil
}

const (
	ouSandbox = "ou-ab12-sandbox1"
	ouNested  = "ou-ab12-nested01"
	ouDeep    = "ou-ab12-deep0001"
	ouOther   = "ou-ab12-other001"
)

// tree: sandbox holds 555 and the nested OU, which holds 777 and 888 and
// the deep OU, which holds 999; another OU holds 444.
func tree() fakeTree {
	return fakeTree{
		accounts: map[string][]string{
			ouSandbox: {"555555555555"},
			ouNested:  {"777777777777", "888888888888"},
			ouDeep:    {"999999999999"},
			ouOther:   {"444444444444"},
		},
		children: map[string][]string{ouSandbox: {ouNested}, ouNested: {ouDeep}},
		calls:    map[string]int{},
	}
}

func scoped(t *testing.T, scope string) settings.Config {
	t.Helper()
	c, err := settings.Load("t.yaml", strings.NewReader(`
accounts: {management: "111111111111", security: "222222222222", logArchive: "333333333333"}
organizationId: o-abcdef1234
homeRegion: eu-west-1
regions: [eu-west-1]
scope: `+scope+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestResolveScopeWalksNestedOUs(t *testing.T) {
	f := tree()
	got, err := ResolveScope(context.Background(), f, scoped(t, `{excludeAccounts: ["666666666666"], excludeOUs: [`+ouSandbox+`]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := Exclusions{
		"666666666666": "excluded by scope (scope.excludeAccounts)",
		"555555555555": "excluded by scope: in OU " + ouSandbox + " (scope.excludeOUs)",
		"777777777777": "excluded by scope: in OU " + ouNested + ", nested in " + ouSandbox + " (scope.excludeOUs)",
		"888888888888": "excluded by scope: in OU " + ouNested + ", nested in " + ouSandbox + " (scope.excludeOUs)",
		"999999999999": "excluded by scope: in OU " + ouDeep + ", nested in " + ouSandbox + " (scope.excludeOUs)",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("exclusions:\nexpect %v\ngot    %v", want, got)
	}
	if ids := got.IDs(); !reflect.DeepEqual(ids, []string{"555555555555", "666666666666", "777777777777", "888888888888", "999999999999"}) {
		t.Errorf("IDs: %v", ids)
	}
	// Every page of each of the three OUs: accounts 1+2+1, children 1+1+0
	// (an empty listing is one call).
	if e := map[string]int{"ListAccountsForParent": 4, "ListOrganizationalUnitsForParent": 3}; !reflect.DeepEqual(f.calls, e) {
		t.Errorf("calls: expect %v, got %v", e, f.calls)
	}
}

// A nested OU named too is read once; the account named by ID keeps that
// reason.
func TestResolveScopeReadsEachOUOnce(t *testing.T) {
	f := tree()
	got, err := ResolveScope(context.Background(), f, scoped(t, `{excludeAccounts: ["999999999999"], excludeOUs: [`+ouSandbox+`, `+ouNested+`]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got["999999999999"] != "excluded by scope (scope.excludeAccounts)" {
		t.Errorf("exclusions: %v", got)
	}
	if f.calls["ListOrganizationalUnitsForParent"] != 3 {
		t.Errorf("calls: %v", f.calls)
	}
}

func TestResolveScopeMakesNoCallWithoutOUs(t *testing.T) {
	f := tree()
	got, err := ResolveScope(context.Background(), f, scoped(t, `{excludeAccounts: ["444444444444"]}`))
	if err != nil || len(got) != 1 || len(f.calls) != 0 {
		t.Errorf("exclusions %v, calls %v, err %v", got, f.calls, err)
	}
}

func TestResolveScopeRefuses(t *testing.T) {
	f := tree()
	f.accounts[ouOther] = append(f.accounts[ouOther], "222222222222")
	for scope, want := range map[string]string{
		`{excludeOUs: [ou-ab12-missing1]}`: "ou-ab12-missing1 is not an OU of the organization",
		`{excludeOUs: [` + ouOther + `]}`:  "OU " + ouOther + " holds the security account 222222222222, which cannot be excluded",
	} {
		_, err := ResolveScope(context.Background(), f, scoped(t, scope))
		var term *workflow.TerminalError
		if !errors.As(err, &term) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: want a TerminalError with %q, got %v", scope, want, err)
		}
	}
}

// The run leaves the excluded accounts out of its accounts, reports each
// one the run would have covered as skipped "excluded by scope", and lists
// every excluded account in Excluded, whatever the accounts filter.
func TestRunSkipsExcludedAccounts(t *testing.T) {
	d := deps(t, nil, new([]string))
	fa := d.Accounts.(fakeAccounts)
	fa.accounts = append(fa.accounts, account_("888888888888", orgtypes.AccountStateActive))
	d.Accounts = fa
	f := tree()
	d.Scope = f
	cfg := scoped(t, `{excludeAccounts: ["777777777777"], excludeOUs: [`+ouSandbox+`]}`)
	res, err := Run(context.Background(), d, cfg, workflow.Input{Mode: workflow.ModeApply}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if e := []string{"111111111111"}; !reflect.DeepEqual(res.Accounts, e) {
		t.Errorf("accounts: expect %v, got %v", e, res.Accounts)
	}
	if e := []string{"555555555555", "777777777777", "888888888888", "999999999999"}; !reflect.DeepEqual(res.Excluded, e) {
		t.Errorf("excluded: expect %v, got %v", e, res.Excluded)
	}
	want := map[string]string{
		"555555555555/global": "excluded by scope: in OU " + ouSandbox + " (scope.excludeOUs)",
		"777777777777/global": "excluded by scope (scope.excludeAccounts)",
		"888888888888/global": "excluded by scope: in OU " + ouNested + ", nested in " + ouSandbox + " (scope.excludeOUs)",
		"444444444444/global": "account is SUSPENDED",
		"666666666666/global": "account is PENDING_CLOSURE",
	}
	if got := skipped(res); !reflect.DeepEqual(got, want) {
		t.Errorf("skipped:\nexpect %v\ngot    %v", want, got)
	}
	for _, o := range res.Outcomes {
		if o.Service != ServiceName {
			t.Errorf("row %+v: want service %s", o, ServiceName)
		}
	}

	// An onboarding of an account in an excluded OU: nothing to work on,
	// the account's row says why, and Excluded is the same list.
	on, err := Run(context.Background(), d, cfg, workflow.Input{Mode: workflow.ModeApply, Accounts: []string{"888888888888"},
		Onboarding: &workflow.Onboarding{Trigger: "CreateAccountResult"}}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if len(on.Accounts) != 0 || !reflect.DeepEqual(on.Excluded, res.Excluded) {
		t.Errorf("onboarding: accounts %v, excluded %v", on.Accounts, on.Excluded)
	}
	if got := skipped(on); !reflect.DeepEqual(got, map[string]string{
		"888888888888/global": "excluded by scope: in OU " + ouNested + ", nested in " + ouSandbox + " (scope.excludeOUs)"}) {
		t.Errorf("onboarding skipped: %v", got)
	}
}

// At 5,000 accounts, all but the management account excluded, the result
// is bounded like any other: its rows fold into counted summary rows.
func TestExcludedRowsAreBounded(t *testing.T) {
	d := deps(t, nil, new([]string))
	f := fakeTree{accounts: map[string][]string{}, children: map[string][]string{}, calls: map[string]int{}}
	var org []orgtypes.Account
	org = append(org, account_("111111111111", orgtypes.AccountStateActive))
	for i := range 4999 {
		id := fmt.Sprintf("%012d", i+1)
		org = append(org, account_(id, orgtypes.AccountStateActive))
		f.accounts[ouSandbox] = append(f.accounts[ouSandbox], id)
	}
	d.Accounts = fakeAccounts{accounts: org}
	d.Scope = f
	res, err := Run(context.Background(), d, scoped(t, `{excludeOUs: [`+ouSandbox+`]}`), workflow.Input{Mode: workflow.ModeApply}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Excluded) != 4999 || len(res.Outcomes) != 4999 {
		t.Fatalf("excluded %d, rows %d", len(res.Excluded), len(res.Outcomes))
	}
	folded := res.Bound(Spec.ResultBytes())
	if len(folded) == 0 || len(res.Outcomes) > 100 {
		t.Errorf("rows after Bound: %d, folded %d", len(res.Outcomes), len(folded))
	}
	last := res.Outcomes[len(res.Outcomes)-1]
	if last.Account != workflow.SummaryAccount || last.Status != workflow.StatusSkipped || last.Count != len(folded) {
		t.Errorf("summary row: %+v", last)
	}
}

func TestGrantsReadTheExcludedOUsOnlyWithOUs(t *testing.T) {
	has := func(g step.Grants) bool {
		for _, x := range g.Lambda {
			if x.Sid == "ReadExcludedOUs" {
				if !reflect.DeepEqual(x.Actions, []string{"organizations:ListAccountsForParent", "organizations:ListOrganizationalUnitsForParent"}) ||
					!reflect.DeepEqual(x.Resources, []string{"arn:aws:organizations::111111111111:ou/o-abcdef1234/*"}) {
					t.Errorf("grant: %+v", x)
				}
				return true
			}
		}
		return false
	}
	if has(Grants(scoped(t, `{excludeAccounts: ["444444444444"]}`))) {
		t.Error("a scope without OUs is granted the OU reads")
	}
	if !has(Grants(scoped(t, `{excludeOUs: [`+ouSandbox+`]}`))) {
		t.Error("a scope with OUs is not granted the OU reads")
	}
}
