package configsvc

import (
	"context"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// listOrg is organizations:ListAccounts over a fixed organization, one page.
type listOrg struct {
	accounts []orgtypes.Account
	calls    int
}

func (f *listOrg) ListAccounts(_ context.Context, in *organizations.ListAccountsInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error) {
	f.calls++
	return &organizations.ListAccountsOutput{Accounts: f.accounts}, nil
}

func orgAccount(id string, state orgtypes.AccountState) orgtypes.Account {
	return orgtypes.Account{Id: aws.String(id), State: state}
}

// A run over the whole organization admits the accounts org-targets passed,
// without listing the organization; a run narrowed with --accounts lists it,
// so the policies keep every ACTIVE account the run left out.
func TestKeepDeliveryAdmitsEveryActiveAccount(t *testing.T) {
	c := fakeConfig(t, "")
	ctx := context.Background()
	org := &listOrg{accounts: []orgtypes.Account{
		orgAccount(mgmtID, orgtypes.AccountStateActive), orgAccount(securityID, orgtypes.AccountStateActive),
		orgAccount(logID, orgtypes.AccountStateActive), orgAccount(workloadA, orgtypes.AccountStateActive),
		orgAccount(workloadB, orgtypes.AccountStateSuspended),
	}}
	b, k := &policyS3{policy: BucketPolicy(c).JSON()}, &policyKMS{policy: KeyPolicy(c).JSON()}
	whole := workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}, Accounts: []string{mgmtID, securityID, logID, workloadA}}
	res, err := KeepDelivery(ctx, deliveryDeps(b, k), org, c, whole)
	if err != nil {
		t.Fatal(err)
	}
	if org.calls != 0 || !reflect.DeepEqual(b.puts, []string{BucketPolicy(c, workloadA).JSON()}) || !res.Changed {
		t.Errorf("whole run: %d listings, puts %v, %+v", org.calls, b.puts, res)
	}
	narrowed := workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply, Accounts: []string{logID}}, Accounts: []string{logID}}
	res, err = KeepDelivery(ctx, deliveryDeps(b, k), org, c, narrowed)
	if err != nil {
		t.Fatal(err)
	}
	if org.calls != 1 || len(b.puts) != 1 || res.Changed {
		t.Errorf("narrowed run: %d listings, %d puts, changed %v: it must keep %s", org.calls, len(b.puts), res.Changed, workloadA)
	}
}

func TestKeepDeliveryInputs(t *testing.T) {
	c := fakeConfig(t, "")
	b, k := &policyS3{policy: BucketPolicy(c).JSON()}, &policyKMS{policy: KeyPolicy(c).JSON()}
	_, err := KeepDelivery(context.Background(), deliveryDeps(b, k), &listOrg{}, c, workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}})
	if err == nil || reflect.TypeOf(err).Elem().Name() != workflow.ErrNameTerminal {
		t.Errorf("no account list: %T %v", err, err)
	}
	off := fakeConfig(t, "services: {config: {enabled: false}}")
	res, err := KeepDelivery(context.Background(), deliveryDeps(b, k), &listOrg{}, off, workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}, Accounts: []string{}})
	if err != nil || len(res.Outcomes) != 1 || res.Outcomes[0].Status != workflow.StatusSkipped || len(b.puts) != 0 {
		t.Errorf("config off: %+v %v", res, err)
	}
}
