package configsvc

import (
	"context"
	"reflect"
	"testing"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// A run over the whole organization makes the policies list exactly its
// accounts (one that left is dropped); a run narrowed with --accounts adds
// its accounts to those listed already and reads nothing of the
// organization, so an onboarding costs the same whatever its size.
func TestKeepDeliveryWholeAndNarrowedRuns(t *testing.T) {
	c := fakeConfig(t, "")
	ctx := context.Background()
	b, k := &policyS3{policy: BucketPolicy(c, workloadB).JSON()}, &policyKMS{policy: KeyPolicy(c, workloadB).JSON()}
	whole := workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}, Accounts: []string{mgmtID, securityID, logID, workloadA}}
	res, err := KeepDelivery(ctx, deliveryDeps(b, k), c, whole)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(b.puts, []string{BucketPolicy(c, workloadA).JSON()}) || !res.Changed {
		t.Errorf("whole run: puts %v, %+v", b.puts, res)
	}
	if got := ListedAccounts(b.policy); !reflect.DeepEqual(got, DeliveryAccounts(c, workloadA)) {
		t.Errorf("listed after the whole run: %v", got)
	}
	// The onboarding of workloadB: added, workloadA kept.
	narrowed := workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply, Accounts: []string{workloadB}}, Accounts: []string{workloadB}}
	if _, err = KeepDelivery(ctx, deliveryDeps(b, k), c, narrowed); err != nil {
		t.Fatal(err)
	}
	if got := ListedAccounts(b.policy); !reflect.DeepEqual(got, DeliveryAccounts(c, workloadA, workloadB)) {
		t.Errorf("listed after the onboarding: %v", got)
	}
	// Narrowed to an account listed already: nothing to put.
	b.puts, k.puts = nil, nil
	if res, err = KeepDelivery(ctx, deliveryDeps(b, k), c, narrowed); err != nil || res.Changed || len(b.puts)+len(k.puts) != 0 {
		t.Errorf("narrowed again: %+v %v puts %v %v", res, err, b.puts, k.puts)
	}
}

func TestKeepDeliveryInputs(t *testing.T) {
	c := fakeConfig(t, "")
	b, k := &policyS3{policy: BucketPolicy(c).JSON()}, &policyKMS{policy: KeyPolicy(c).JSON()}
	_, err := KeepDelivery(context.Background(), deliveryDeps(b, k), c, workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}})
	if err == nil || reflect.TypeOf(err).Elem().Name() != workflow.ErrNameTerminal {
		t.Errorf("no account list: %T %v", err, err)
	}
	off := fakeConfig(t, "services: {config: {enabled: false}}")
	res, err := KeepDelivery(context.Background(), deliveryDeps(b, k), off, workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}, Accounts: []string{}})
	if err != nil || len(res.Outcomes) != 1 || res.Outcomes[0].Status != workflow.StatusSkipped || len(b.puts) != 0 {
		t.Errorf("config off: %+v %v", res, err)
	}
}
