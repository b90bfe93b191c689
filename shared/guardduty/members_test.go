package guardduty

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

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

func (f *fakeGD) CreateMembers(ctx context.Context, in *guardduty.CreateMembersInput, _ ...func(*guardduty.Options)) (*guardduty.CreateMembersOutput, error) {
	f.mutating = append(f.mutating, "CreateMembers")
	f.createMembers = append(f.createMembers, in)
	if err := f.next("CreateMembers"); err != nil {
		return nil, err
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

// fakeOrgs is organizations:ListAccounts, two accounts per page.
type fakeOrgs struct {
	accounts []orgtypes.Account
	err      error
}

func (f *fakeOrgs) ListAccounts(ctx context.Context, in *organizations.ListAccountsInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	i := 0
	if in.NextToken != nil {
		i, _ = strconv.Atoi(*in.NextToken)
	}
	out := &organizations.ListAccountsOutput{Accounts: f.accounts[i:min(i+2, len(f.accounts))]}
	if i+2 < len(f.accounts) {
		out.NextToken = aws.String(strconv.Itoa(i + 2))
	}
	return out, nil
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
	o := res.Outcomes[2]
	if o.Status != workflow.StatusChanged || len(o.Actions) != 3 || o.Actions[2].Call != CallCreateMembers ||
		o.Actions[2].Target != ids(all[100:110])+" and 10 more (20 accounts)" ||
		o.Actions[0].Target != ids(all[:10])+" and 40 more (50 accounts)" {
		t.Errorf("members outcome: %+v", o)
	}

	// Plan proposes the same three calls and makes none.
	gd = newFakeGD(baseMembers...)
	plan := mustRun(t, "", gd, orgs, workflow.ModePlan)
	if len(gd.mutating) != 0 || len(plan.Outcomes[2].Actions) != 3 || plan.Outcomes[2].Status != workflow.StatusPlanned {
		t.Errorf("plan: calls %v, outcome %+v", gd.mutating, plan.Outcomes[2])
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
	res := mustRun(t, "", gd, orgOf(4), workflow.ModeApply)
	if len(gd.createMembers) != 2 {
		t.Fatalf("CreateMembers calls: %d", len(gd.createMembers))
	}
	if e, a := "500000000001,500000000003", ids(gd.createMembers[1].AccountDetails); e != a {
		t.Errorf("retry sent %s, want %s", a, e)
	}
	if e, a := []workflow.Status{workflow.StatusUnchanged, workflow.StatusUnchanged, workflow.StatusChanged, workflow.StatusFailed, workflow.StatusUnchanged}, statuses(res); !reflect.DeepEqual(e, a) {
		t.Fatalf("statuses: expect %v, got %v", e, a)
	}
	// The members' detectors read are those of the members now.
	if e, a := [][]string{{"111111111111", "333333333333", "500000000000", "500000000001", "500000000002"}}, gd.getMembers; !reflect.DeepEqual(e, a) {
		t.Errorf("GetMemberDetectors calls: expect %v, got %v", e, a)
	}
	if e, a := []workflow.Action{
		{Call: CallCreateMembers, Target: "500000000000,500000000002"},
		{Call: CallCreateMembers, Target: "500000000001"},
	}, res.Outcomes[2].Actions; !reflect.DeepEqual(e, a) {
		t.Errorf("actions: expect %v, got %v", e, a)
	}
	if r := res.Outcomes[3].Reason; !strings.Contains(r, "500000000003 (The account is already a member of another administrator)") || strings.Contains(r, "500000000001") {
		t.Errorf("failed outcome: %s", r)
	}
}

func TestFakeOnlyActiveAccountsBecomeMembers(t *testing.T) {
	gd := newFakeGD(baseMembers...)
	orgs := orgOf(0)
	orgs.accounts = append(orgs.accounts,
		account("600000000001", orgtypes.AccountStateSuspended),
		account("600000000002", orgtypes.AccountStatePendingClosure),
		account("600000000003", orgtypes.AccountStateActive),
		// An older response with Status only.
		orgtypes.Account{Id: aws.String("600000000004"), Email: aws.String("old@example.com"), Status: orgtypes.AccountStatusSuspended},
		orgtypes.Account{Id: aws.String("600000000005"), Email: aws.String("old5@example.com"), Status: orgtypes.AccountStatusActive},
	)
	mustRun(t, "", gd, orgs, workflow.ModeApply)
	if len(gd.createMembers) != 1 {
		t.Fatalf("CreateMembers calls: %d", len(gd.createMembers))
	}
	if e, a := "600000000003,600000000005", ids(gd.createMembers[0].AccountDetails); e != a {
		t.Errorf("made members %s, want %s", a, e)
	}
}

func TestFakeAccountsFilterNarrowsMembers(t *testing.T) {
	gd := newFakeGD()
	h := &OrgHandler{Settings: fakeConfig(t, ""), Log: quiet, Accounts: orgOf(3), In: func(string) OrgClient { return gd }}
	_, err := h.Handle(context.Background(), workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply, Accounts: []string{"500000000001", "222222222222"}}, Region: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(gd.createMembers) != 1 || ids(gd.createMembers[0].AccountDetails) != "500000000001" {
		t.Errorf("CreateMembers: %v", gd.createMembers)
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
	res := mustRun(t, "", gd, orgOf(3), workflow.ModeApply)
	if len(gd.createMembers) != 1 {
		t.Fatalf("CreateMembers calls: %d", len(gd.createMembers))
	}
	if e, a := "500000000001,500000000002", ids(gd.createMembers[0].AccountDetails); e != a {
		t.Errorf("re-created %s, want %s", a, e)
	}
	o := res.Outcomes[2]
	if o.Status != workflow.StatusChanged || !strings.Contains(o.Reason, "500000000001 (Removed)") || !strings.Contains(o.Reason, "500000000002 (Resigned)") {
		t.Errorf("members outcome: %+v", o)
	}
	// The members' detectors read include the re-created ones.
	if e, a := [][]string{{"111111111111", "333333333333", "500000000000", "500000000001", "500000000002"}}, gd.getMembers; !reflect.DeepEqual(e, a) {
		t.Errorf("GetMemberDetectors calls: expect %v, got %v", e, a)
	}
	gd.mutating = nil
	again := mustRun(t, "", gd, orgOf(3), workflow.ModeApply)
	if len(gd.mutating) != 0 || again.Outcomes[2].Status != workflow.StatusUnchanged {
		t.Errorf("re-run: calls %v, outcome %+v", gd.mutating, again.Outcomes[2])
	}
}
