package guardduty

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

func (f *fakeGD) ListMembers(ctx context.Context, in *guardduty.ListMembersInput, _ ...func(*guardduty.Options)) (*guardduty.ListMembersOutput, error) {
	if err := f.next("ListMembers"); err != nil {
		return nil, err
	}
	if aws.ToString(in.OnlyAssociated) != "false" {
		return nil, fmt.Errorf("ListMembers without OnlyAssociated=false lists only associated members")
	}
	out := &guardduty.ListMembersOutput{}
	for _, m := range f.members {
		status := "Enabled"
		if why, ok := f.left[m]; ok {
			status = why
		}
		out.Members = append(out.Members, gdtypes.Member{AccountId: aws.String(m), RelationshipStatus: aws.String(status)})
	}
	return out, nil
}

// CreateMembers refuses what GuardDuty refuses (no accounts, more than 50,
// an account without its e-mail address) and adds the accounts it does not
// leave unprocessed.
func (f *fakeGD) CreateMembers(ctx context.Context, in *guardduty.CreateMembersInput, _ ...func(*guardduty.Options)) (*guardduty.CreateMembersOutput, error) {
	f.mutating = append(f.mutating, "CreateMembers")
	f.createMembers = append(f.createMembers, in)
	if err := f.next("CreateMembers"); err != nil {
		return nil, err
	}
	if n := len(in.AccountDetails); n == 0 || n > 50 {
		return nil, &gdtypes.BadRequestException{Message: aws.String(fmt.Sprintf("%d account details, want 1 to 50", n))}
	}
	for _, a := range in.AccountDetails {
		if aws.ToString(a.Email) == "" {
			return nil, &gdtypes.BadRequestException{Message: aws.String("no e-mail address for " + aws.ToString(a.AccountId))}
		}
	}
	out := &guardduty.CreateMembersOutput{}
	if f.unprocessed != nil {
		out.UnprocessedAccounts = f.unprocessed(len(f.createMembers), in.AccountDetails)
	}
	for _, a := range in.AccountDetails {
		id := aws.ToString(a.AccountId)
		if !slices.ContainsFunc(out.UnprocessedAccounts, func(u gdtypes.UnprocessedAccount) bool { return aws.ToString(u.AccountId) == id }) {
			if _, ok := f.left[id]; ok {
				// CreateMembers associates a member that had left again.
				delete(f.left, id)
				continue
			}
			f.members = append(f.members, id)
		}
	}
	return out, nil
}

// fakeOrgs is the organization behind organizations:DescribeAccount.
type fakeOrgs struct {
	accounts []orgtypes.Account
	// err is the error of every call, errs that of the calls for one
	// account.
	err  error
	errs map[string]error
	// described are the accounts read, in order; pages counts the
	// ListAccounts pages read.
	described []string
	pages     int
}

// ListAccounts pages the accounts as AWS does, at most MaxResults (20) a
// page.
func (f *fakeOrgs) ListAccounts(ctx context.Context, in *organizations.ListAccountsInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error) {
	f.pages++
	if f.err != nil {
		return nil, f.err
	}
	size := int(aws.ToInt32(in.MaxResults))
	if size < 1 || size > 20 {
		return nil, fmt.Errorf("MaxResults %d: want 1 to 20", size)
	}
	start := 0
	if in.NextToken != nil {
		fmt.Sscan(*in.NextToken, &start)
	}
	end := min(start+size, len(f.accounts))
	out := &organizations.ListAccountsOutput{Accounts: slices.Clone(f.accounts[start:end])}
	if end < len(f.accounts) {
		out.NextToken = aws.String(fmt.Sprint(end))
	}
	return out, nil
}

func (f *fakeOrgs) DescribeAccount(ctx context.Context, in *organizations.DescribeAccountInput, _ ...func(*organizations.Options)) (*organizations.DescribeAccountOutput, error) {
	id := aws.ToString(in.AccountId)
	f.described = append(f.described, id)
	if f.err != nil {
		return nil, f.err
	}
	if err := f.errs[id]; err != nil {
		return nil, err
	}
	for _, a := range f.accounts {
		if aws.ToString(a.Id) == id {
			return &organizations.DescribeAccountOutput{Account: &a}, nil
		}
	}
	return nil, &orgtypes.AccountNotFoundException{Message: aws.String("You specified an account that doesn't exist.")}
}

// active is what the org-targets step passes as the run's accounts: the
// ACTIVE accounts, the management account first.
func (f *fakeOrgs) active() []string {
	var out []string
	for _, a := range f.accounts {
		if a.State == orgtypes.AccountStateActive {
			out = append(out, aws.ToString(a.Id))
		}
	}
	return out
}

func account(id string, state orgtypes.AccountState) orgtypes.Account {
	return orgtypes.Account{Id: aws.String(id), Email: aws.String("a" + id + "@example.com"), State: state}
}

// orgOf is the management, security and log-archive accounts of fakeConfig
// and n more ACTIVE accounts.
func orgOf(n int) *fakeOrgs {
	o := &fakeOrgs{accounts: []orgtypes.Account{
		account("111111111111", orgtypes.AccountStateActive),
		account("222222222222", orgtypes.AccountStateActive),
		account("333333333333", orgtypes.AccountStateActive),
	}}
	for i := range n {
		o.accounts = append(o.accounts, account(fmt.Sprintf("5%011d", i), orgtypes.AccountStateActive))
	}
	return o
}

// members of orgOf(0) for the security account.
var baseMembers = []string{"111111111111", "333333333333"}

func ids(details []gdtypes.AccountDetail) string {
	out := make([]string, len(details))
	for i, a := range details {
		out[i] = aws.ToString(a.AccountId)
	}
	return strings.Join(out, ",")
}

// part returns the outcome of the security account whose reason begins
// with prefix.
func part(t *testing.T, res workflow.StepResult, prefix string) workflow.Outcome {
	t.Helper()
	for _, o := range res.Outcomes {
		if o.Account == "222222222222" && strings.HasPrefix(o.Reason, prefix) {
			return o
		}
	}
	t.Fatalf("no outcome %q in %+v", prefix, res.Outcomes)
	return workflow.Outcome{}
}

// rowsOf returns the per-account outcomes: status and reason by account.
func rowsOf(res workflow.StepResult) map[string]workflow.Outcome {
	out := map[string]workflow.Outcome{}
	for _, o := range res.Outcomes {
		if o.Account != "222222222222" {
			out[o.Account] = o
		}
	}
	return out
}

// "CreateMembers", GuardDuty API Reference: at most 50 account details a
// call, each with the account's e-mail address, which the step reads with
// "DescribeAccount", AWS Organizations API Reference.
func TestFakeCreateMembersInBatches(t *testing.T) {
	gd := newFakeGD(baseMembers...)
	orgs := orgOf(120)
	res := mustRun(t, "", gd, orgs, workflow.ModeApply)
	if len(gd.createMembers) != 3 {
		t.Fatalf("CreateMembers calls: %d", len(gd.createMembers))
	}
	var all []gdtypes.AccountDetail
	for i, want := range []int{50, 50, 20} {
		in := gd.createMembers[i]
		if len(in.AccountDetails) != want || aws.ToString(in.DetectorId) != "det1" {
			t.Errorf("call %d: %d accounts to %s, want %d", i, len(in.AccountDetails), aws.ToString(in.DetectorId), want)
		}
		all = append(all, in.AccountDetails...)
	}
	for i, a := range all {
		id := fmt.Sprintf("5%011d", i)
		if aws.ToString(a.AccountId) != id || aws.ToString(a.Email) != "a"+id+"@example.com" {
			t.Errorf("account %d: %s %s", i, aws.ToString(a.AccountId), aws.ToString(a.Email))
		}
	}
	// 120 accounts to add in an organization of 123: listing it takes 7
	// pages of 20, fewer calls than 120 DescribeAccount.
	if len(orgs.described) != 0 || orgs.pages != 7 {
		t.Errorf("organization reads: DescribeAccount %d, ListAccounts pages %d; want 0 and 7", len(orgs.described), orgs.pages)
	}
	o := part(t, res, "members:")
	if e := []workflow.Action{{Call: CallCreateMembers, Target: "120 accounts"}}; o.Status != workflow.StatusChanged || !reflect.DeepEqual(e, o.Actions) {
		t.Errorf("members outcome: %+v", o)
	}
	if !strings.Contains(o.Reason, "120 of 122 accounts of the run were not members: 120 added, 0 skipped, 0 failed") ||
		!strings.Contains(o.Reason, "outcomes of 112 more accounts are in the step's log") {
		t.Errorf("members reason: %s", o.Reason)
	}
	// The first maxAccountRows accounts added have an outcome of their own.
	rows := rowsOf(res)
	if len(rows) != maxAccountRows {
		t.Fatalf("%d account outcomes, want %d", len(rows), maxAccountRows)
	}
	last := fmt.Sprintf("5%011d", maxAccountRows-1)
	if r, ok := rows[last]; !ok || r.Status != workflow.StatusChanged || r.Region != "eu-west-1" || r.Service != "guardduty" ||
		r.Reason != "members: now a member of 222222222222" {
		t.Errorf("row of %s: %+v", last, r)
	}

	// Plan proposes the same in one action, and reads no account.
	gd, orgs = newFakeGD(baseMembers...), orgOf(120)
	plan := mustRun(t, "", gd, orgs, workflow.ModePlan)
	o = part(t, plan, "members:")
	if e := []workflow.Action{{Call: CallCreateMembers, Target: "120 accounts"}}; len(gd.mutating) != 0 || o.Status != workflow.StatusPlanned || !reflect.DeepEqual(e, o.Actions) {
		t.Errorf("plan: calls %v, outcome %+v", gd.mutating, o)
	}
	if len(orgs.described) != 0 || len(rowsOf(plan)) != 0 {
		t.Errorf("plan read %v, account outcomes %v", orgs.described, rowsOf(plan))
	}
}

// The run's accounts come from the state machine: a run where every account
// is a member makes no Organizations call, and one new account costs one
// DescribeAccount.
func TestFakeRerunMakesNoOrganizationsCall(t *testing.T) {
	gd, orgs := newFakeGD(baseMembers...), orgOf(3)
	mustRun(t, "", gd, orgs, workflow.ModeApply)
	// 3 accounts to add in an organization of 6: one ListAccounts page.
	if len(orgs.described) != 0 || orgs.pages != 1 {
		t.Fatalf("first run read %v and %d pages, want one page", orgs.described, orgs.pages)
	}
	orgs.pages = 0
	res := mustRun(t, "", gd, orgs, workflow.ModeApply)
	if len(orgs.described) != 0 || orgs.pages != 0 || part(t, res, "members:").Status != workflow.StatusUnchanged {
		t.Errorf("re-run read %v and %d pages: %+v", orgs.described, orgs.pages, res.Outcomes)
	}
	orgs.accounts = append(orgs.accounts, account("600000000000", orgtypes.AccountStateActive))
	res = mustRun(t, "", gd, orgs, workflow.ModeApply)
	if e, a := []string{"600000000000"}, orgs.described; !reflect.DeepEqual(e, a) || orgs.pages != 0 {
		t.Errorf("a new account read %v and %d pages, want %v alone", a, orgs.pages, e)
	}
	if o := part(t, res, "members:"); !reflect.DeepEqual([]workflow.Action{{Call: CallCreateMembers, Target: "1 account"}}, o.Actions) {
		t.Errorf("members outcome: %+v", o)
	}
}

func TestFakeRunAccountsMissingIsTerminal(t *testing.T) {
	gd := newFakeGD(baseMembers...)
	gd.errs["ListDetectors"] = []error{fmt.Errorf("must not be called")}
	orgs := orgOf(1)
	h := &OrgHandler{Settings: fakeConfig(t, ""), Log: quiet, Accounts: orgs, In: func(string) OrgClient { return gd }}
	for _, in := range []workflow.Input{{Mode: workflow.ModeApply}, {Mode: workflow.ModeApply, Accounts: []string{"500000000000"}}} {
		_, err := h.Handle(context.Background(), workflow.Item{Input: in, Region: "eu-west-1"})
		var te *workflow.TerminalError
		if !errors.As(err, &te) || !strings.Contains(err.Error(), "has no accounts") {
			t.Errorf("input %+v without accounts: expect a TerminalError, got %T %v", in, err, err)
		}
	}
	// An empty list without a filter is no run's: the management account is
	// always ACTIVE.
	_, err := h.Handle(context.Background(), workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}, Region: "eu-west-1", Accounts: []string{}})
	if reflect.TypeOf(err) != reflect.TypeOf(&workflow.TerminalError{}) {
		t.Errorf("empty list, no filter: expect a TerminalError, got %T %v", err, err)
	}
	if len(gd.mutating) != 0 || len(orgs.described) != 0 {
		t.Errorf("calls made: %v, %v", gd.mutating, orgs.described)
	}
}

// A filter that admits no ACTIVE account gives an empty list: there is
// nothing to add.
func TestFakeRunAccountsEmptyUnderFilter(t *testing.T) {
	gd := newFakeGD(baseMembers...)
	h := &OrgHandler{Settings: fakeConfig(t, ""), Log: quiet, Accounts: orgOf(0), In: func(string) OrgClient { return gd }}
	res, err := h.Handle(context.Background(), workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply, Accounts: []string{"999999999999"}}, Region: "eu-west-1", Accounts: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if o := part(t, res, "members:"); o.Status != workflow.StatusUnchanged || o.Reason != "members: all 0 accounts of the run are members" || len(gd.mutating) != 0 {
		t.Errorf("members outcome %+v, calls %v", o, gd.mutating)
	}
}

func TestFakeUnprocessedRetriedOnceThenFailed(t *testing.T) {
	gd := newFakeGD(baseMembers...)
	gd.unprocessed = func(call int, in []gdtypes.AccountDetail) []gdtypes.UnprocessedAccount {
		switch call {
		case 1:
			return []gdtypes.UnprocessedAccount{
				{AccountId: aws.String("500000000001"), Result: aws.String("Internal error, try again")},
				{AccountId: aws.String("500000000003"), Result: aws.String("The account is already a member of another administrator")},
			}
		case 2:
			return []gdtypes.UnprocessedAccount{{AccountId: aws.String("500000000003"), Result: aws.String("The account is already a member of another administrator")}}
		}
		return nil
	}
	orgs := orgOf(4)
	res := mustRun(t, "", gd, orgs, workflow.ModeApply)
	if len(gd.createMembers) != 2 {
		t.Fatalf("CreateMembers calls: %d", len(gd.createMembers))
	}
	if e, a := "500000000001,500000000003", ids(gd.createMembers[1].AccountDetails); e != a {
		t.Errorf("retry sent %s, want %s", a, e)
	}
	// The e-mail addresses are read once, not again for the retry: 4
	// accounts to add in an organization of 7, one ListAccounts page.
	if len(orgs.described) != 0 || orgs.pages != 1 {
		t.Errorf("organization reads: DescribeAccount %v, ListAccounts pages %d", orgs.described, orgs.pages)
	}
	if e, a := []workflow.Status{workflow.StatusUnchanged, workflow.StatusUnchanged, workflow.StatusChanged, workflow.StatusUnchanged}, statuses(res); !reflect.DeepEqual(e, a) {
		t.Fatalf("statuses: expect %v, got %v", e, a)
	}
	// The members' detectors read are those of the members now.
	if e, a := [][]string{{"111111111111", "333333333333", "500000000000", "500000000001", "500000000002"}}, gd.getMembers; !reflect.DeepEqual(e, a) {
		t.Errorf("GetMemberDetectors calls: expect %v, got %v", e, a)
	}
	o := part(t, res, "members:")
	if e := []workflow.Action{{Call: CallCreateMembers, Target: "3 accounts"}}; !reflect.DeepEqual(e, o.Actions) || !strings.Contains(o.Reason, "3 added, 0 skipped, 1 failed") {
		t.Errorf("members outcome: %+v", o)
	}
	rows := rowsOf(res)
	if len(rows) != 4 || rows["500000000003"].Status != workflow.StatusFailed ||
		rows["500000000003"].Reason != "members: CreateMembers did not add it: The account is already a member of another administrator" {
		t.Errorf("account outcomes: %+v", rows)
	}
	for _, a := range []string{"500000000000", "500000000001", "500000000002"} {
		if rows[a].Status != workflow.StatusChanged {
			t.Errorf("%s: %+v", a, rows[a])
		}
	}
	// The failed account comes first among the account outcomes.
	if first := res.Outcomes[len(res.Outcomes)-4]; first.Account != "500000000003" {
		t.Errorf("first account outcome: %+v", first)
	}
}

// "CreateMembers", GuardDuty API Reference: the accounts it does not add
// come back in UnprocessedAccounts, each with a result string saying why. A
// member that has not enabled an opt-in region cannot be a member there:
// that account x region is skipped, with GuardDuty's reason, and the run
// goes on; an account left for another reason is that account's failure,
// not the step's.
func TestFakeOptInRegionNotEnabledIsSkipped(t *testing.T) {
	const optIn = "The request is rejected because the account 500000000001 has not opted in to the Region."
	const other = "The account is already a member of another administrator"
	tests := []struct {
		name, region string
		why          string
		want         workflow.Status
	}{
		{name: "opt-in region", region: "ap-east-1", why: optIn, want: workflow.StatusSkipped},
		{name: "region not enabled", region: "af-south-1", why: "The Region is not enabled for the member account.", want: workflow.StatusSkipped},
		{name: "another reason in an opt-in region", region: "ap-east-1", why: other, want: workflow.StatusFailed},
		{name: "region enabled by default", region: "eu-west-1", why: optIn, want: workflow.StatusFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gd, orgs := newFakeGD(baseMembers...), orgOf(3)
			gd.unprocessed = func(call int, in []gdtypes.AccountDetail) []gdtypes.UnprocessedAccount {
				return []gdtypes.UnprocessedAccount{{AccountId: aws.String("500000000001"), Result: aws.String(tt.why)}}
			}
			h := &OrgHandler{Settings: fakeConfig(t, ""), Log: quiet, Accounts: orgs, In: func(string) OrgClient { return gd }}
			res, err := h.Handle(context.Background(), workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}, Region: tt.region, Accounts: orgs.active()})
			if err != nil {
				t.Fatal(err)
			}
			// Skipped: not tried again; failed: tried once more.
			if e, a := map[workflow.Status]int{workflow.StatusSkipped: 1, workflow.StatusFailed: 2}[tt.want], len(gd.createMembers); e != a {
				t.Errorf("CreateMembers calls: expect %d, got %d", e, a)
			}
			rows := rowsOf(res)
			r := rows["500000000001"]
			if r.Status != tt.want || r.Region != tt.region || !strings.Contains(r.Reason, tt.why) {
				t.Errorf("row of 500000000001: %+v", r)
			}
			if tt.want == workflow.StatusSkipped && !strings.Contains(r.Reason, "has not enabled the opt-in region "+tt.region) {
				t.Errorf("skipped row does not say why: %s", r.Reason)
			}
			if rows["500000000000"].Status != workflow.StatusChanged || rows["500000000002"].Status != workflow.StatusChanged {
				t.Errorf("the other accounts: %+v", rows)
			}
			// The members part changed; the parts after it went on.
			if o := part(t, res, "members:"); o.Status != workflow.StatusChanged || o.Actions[0].Target != "2 accounts" {
				t.Errorf("members outcome: %+v", o)
			}
			if o := part(t, res, memberFeaturesPart); o.Status != workflow.StatusUnchanged || len(gd.getMembers) != 1 {
				t.Errorf("member detectors' outcome: %+v", o)
			}
		})
	}
}

// "DescribeAccount", AWS Organizations API Reference: an account that left
// the organization (AccountNotFoundException) or is no longer ACTIVE since
// the run's accounts were resolved is skipped; a throttled read is retried
// by the state machine.
func TestFakeAccountGoneSinceTargets(t *testing.T) {
	gd, orgs := newFakeGD(baseMembers...), orgOf(2)
	accounts := append(orgs.active(), "600000000000")
	orgs.accounts[3].State = orgtypes.AccountStateSuspended
	h := &OrgHandler{Settings: fakeConfig(t, ""), Log: quiet, Accounts: orgs, In: func(string) OrgClient { return gd }}
	item := workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}, Region: "eu-west-1", Accounts: accounts}
	res, err := h.Handle(context.Background(), item)
	if err != nil {
		t.Fatal(err)
	}
	if len(gd.createMembers) != 1 || ids(gd.createMembers[0].AccountDetails) != "500000000001" {
		t.Errorf("CreateMembers: %v", gd.mutating)
	}
	rows := rowsOf(res)
	if r := rows["500000000000"]; r.Status != workflow.StatusSkipped || r.Reason != "members: not a member: the account is SUSPENDED" {
		t.Errorf("suspended: %+v", r)
	}
	if r := rows["600000000000"]; r.Status != workflow.StatusSkipped || r.Reason != "members: not a member: the account is no longer in the organization" {
		t.Errorf("gone: %+v", r)
	}
	if o := part(t, res, "members:"); !strings.Contains(o.Reason, "1 added, 2 skipped, 0 failed") {
		t.Errorf("members outcome: %+v", o)
	}

	gd, orgs = newFakeGD(baseMembers...), orgOf(2)
	orgs.err = &smithy.GenericAPIError{Code: "TooManyRequestsException"}
	h.Accounts, h.In = orgs, func(string) OrgClient { return gd }
	_, err = h.Handle(context.Background(), workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}, Region: "eu-west-1", Accounts: orgs.active()})
	if reflect.TypeOf(err) != reflect.TypeOf(&workflow.RetryableError{}) {
		t.Errorf("throttled DescribeAccount: expect a RetryableError, got %T %v", err, err)
	}
}

// The --accounts filter narrows the accounts made members, as it narrows
// the run's accounts.
func TestFakeAccountsFilterNarrowsMembers(t *testing.T) {
	gd, orgs := newFakeGD(), orgOf(3)
	h := &OrgHandler{Settings: fakeConfig(t, ""), Log: quiet, Accounts: orgs, In: func(string) OrgClient { return gd }}
	_, err := h.Handle(context.Background(), workflow.Item{
		Input:  workflow.Input{Mode: workflow.ModeApply, Accounts: []string{"500000000001", "222222222222"}},
		Region: "eu-west-1", Accounts: orgs.active(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(gd.createMembers) != 1 || ids(gd.createMembers[0].AccountDetails) != "500000000001" {
		t.Errorf("CreateMembers: %v", gd.createMembers)
	}
	if e := []string{"500000000001"}; !reflect.DeepEqual(e, orgs.described) {
		t.Errorf("DescribeAccount calls: %v", orgs.described)
	}
}

// A member whose relationship is not Enabled (it was removed, disabled or
// resigned) is no member: CreateMembers is how an administrator associates
// an organization account again ("CreateMembers", GuardDuty API Reference:
// accounts added through Organizations and later disassociated can be
// associated again only by CreateMembers). The run re-creates them, says
// which and why, and the next run finds them Enabled.
func TestFakeMembersThatLeftAreAddedAgain(t *testing.T) {
	gd := newFakeGD(append(slices.Clone(baseMembers), "500000000000", "500000000001", "500000000002")...)
	gd.left = map[string]string{"500000000001": "Removed", "500000000002": "Resigned"}
	orgs := orgOf(3)
	res := mustRun(t, "", gd, orgs, workflow.ModeApply)
	if len(gd.createMembers) != 1 {
		t.Fatalf("CreateMembers calls: %d", len(gd.createMembers))
	}
	if e, a := "500000000001,500000000002", ids(gd.createMembers[0].AccountDetails); e != a {
		t.Errorf("re-created %s, want %s", a, e)
	}
	o := part(t, res, "members:")
	if o.Status != workflow.StatusChanged || !strings.Contains(o.Reason, "500000000001 (Removed)") || !strings.Contains(o.Reason, "500000000002 (Resigned)") {
		t.Errorf("members outcome: %+v", o)
	}
	// The members' detectors read include the re-created ones.
	if e, a := [][]string{{"111111111111", "333333333333", "500000000000", "500000000001", "500000000002"}}, gd.getMembers; !reflect.DeepEqual(e, a) {
		t.Errorf("GetMemberDetectors calls: expect %v, got %v", e, a)
	}
	gd.mutating, orgs.described = nil, nil
	again := mustRun(t, "", gd, orgs, workflow.ModeApply)
	if len(gd.mutating) != 0 || len(orgs.described) != 0 || part(t, again, "members:").Status != workflow.StatusUnchanged {
		t.Errorf("re-run: calls %v %v, outcomes %+v", gd.mutating, orgs.described, again.Outcomes)
	}
}

// The result of one invocation does not grow with the organization: with
// 5,000 accounts, on a first run (every account added, every member's
// detector updated, some left unprocessed), in plan mode and on a re-run,
// its JSON stays under 16 KiB.
func TestFakeResultSizeIsBounded(t *testing.T) {
	const bound = 16 << 10
	orgs := orgOf(5000)
	gd := newFakeGD(baseMembers...)
	// The members' detectors lack S3 data events: every one is updated.
	gd.memberDefault = []gdtypes.MemberFeaturesConfigurationResult{mf("S3_DATA_EVENTS", "DISABLED")}
	// Five accounts are left unprocessed, each time, with a long reason.
	why := "The account is already a member of another administrator: " + strings.Repeat("details ", 200)
	gd.unprocessed = func(call int, in []gdtypes.AccountDetail) []gdtypes.UnprocessedAccount {
		var out []gdtypes.UnprocessedAccount
		for _, a := range in {
			if id := aws.ToString(a.AccountId); id < "500000000005" && id >= "500000000000" {
				out = append(out, gdtypes.UnprocessedAccount{AccountId: a.AccountId, Result: aws.String(why)})
			}
		}
		return out
	}
	size := func(res workflow.StepResult) int {
		b, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		return len(b)
	}
	plan := mustRun(t, "", newFakeGD(baseMembers...), orgs, workflow.ModePlan)
	first := mustRun(t, "", gd, orgs, workflow.ModeApply)
	gd.unprocessed = nil
	gd.mutating = nil
	rerun := mustRun(t, "", gd, orgs, workflow.ModeApply)
	if len(gd.mutating) == 0 {
		t.Fatal("the re-run adds the accounts left the first time: it must make a call")
	}
	gd.mutating = nil
	still := mustRun(t, "", gd, orgs, workflow.ModeApply)
	if len(gd.mutating) != 0 {
		t.Fatalf("third run calls %v", gd.mutating)
	}
	if n := len(gd.createMembers); n < 100 {
		t.Fatalf("the first run made %d CreateMembers calls for 5,000 accounts", n)
	}
	for name, res := range map[string]workflow.StepResult{"plan": plan, "first run": first, "re-run": rerun, "unchanged run": still} {
		n := size(res)
		if n > bound {
			t.Errorf("%s: the result is %d bytes, want at most %d", name, n, bound)
		}
		t.Logf("%s: %d bytes, %d outcomes", name, n, len(res.Outcomes))
	}
	if o := part(t, first, "members:"); !strings.Contains(o.Reason, "4995 added, 0 skipped, 5 failed") || o.Actions[0].Target != "4995 accounts" {
		t.Errorf("first run's members outcome: %+v", o)
	}
	if o := part(t, first, memberFeaturesPart); len(o.Actions) != 1 || o.Actions[0] != (workflow.Action{Call: CallUpdateMemberDetectors, Target: "4997 accounts"}) {
		t.Errorf("first run's member detectors' outcome: %+v", o)
	}
	// maxAccountRows for each of the two parts, the five failed first.
	var rows []workflow.Outcome
	for _, o := range first.Outcomes {
		if o.Account != "222222222222" {
			rows = append(rows, o)
		}
	}
	if len(rows) != 2*maxAccountRows {
		t.Fatalf("first run: %d account outcomes, want %d", len(rows), 2*maxAccountRows)
	}
	for i, o := range rows[:5] {
		if o.Status != workflow.StatusFailed || o.Account != fmt.Sprintf("5%011d", i) || len(o.Reason) > maxRowReason ||
			!strings.HasPrefix(o.Reason, "members: CreateMembers did not add it: The account is already a member") || !strings.HasSuffix(o.Reason, "...") {
			t.Errorf("account outcome %d: %+v", i, o)
		}
	}
}
