package configsvc

import (
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfgtypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// The accounts the scope excludes (passed in the item by the state
// machine) join each rule's and pack's own excluded accounts: the rule is
// put with them, and a second run finds it matching and makes no call.
func TestRulesExcludeTheScopesAccounts(t *testing.T) {
	t.Setenv(EnvTaskRoot, "")
	path := filepath.Join(t.TempDir(), "pack.yaml")
	writeTemplate(t, path, template)
	extra := fmt.Sprintf(`
services:
  config:
    rules: [{name: %s, identifier: GUARDDUTY_ENABLED_CENTRALIZED, excludedAccounts: ["444444444444"]}]
    conformancePacks: [{name: pack-file, templateFile: %q}]
`, defaultRule, path)
	item := workflow.Item{Excluded: []string{"777777777777", "666666666666"}}
	f := converged()
	f.packs["pack-file"] = cfgtypes.OrganizationConformancePack{OrganizationConformancePackName: aws.String("pack-file")}
	res := mustRules(t, extra, f, item)
	if len(f.putRules) != 1 || len(f.putPacks) != 1 {
		t.Fatalf("puts: %v", f.mutating)
	}
	if e, a := []string{"444444444444", "666666666666", "777777777777"}, f.putRules[0].ExcludedAccounts; !reflect.DeepEqual(e, a) {
		t.Errorf("rule's excluded accounts: expect %v, got %v", e, a)
	}
	if e, a := []string{"666666666666", "777777777777"}, f.putPacks[0].ExcludedAccounts; !reflect.DeepEqual(e, a) {
		t.Errorf("pack's excluded accounts: expect %v, got %v", e, a)
	}
	if r := res.Outcomes[0].Reason; !strings.Contains(r, "excluded accounts (0, want 3): to add 444444444444,666666666666,777777777777") {
		t.Errorf("rule's reason: %q", r)
	}

	// Idempotence: the same scope again is no call.
	f.mutating, f.putRules, f.putPacks = nil, nil, nil
	res = mustRules(t, extra, f, item)
	if len(f.mutating) != 0 {
		t.Errorf("second run's mutating calls: %v", f.mutating)
	}
	for _, o := range res.Outcomes {
		if o.Status != workflow.StatusUnchanged {
			t.Errorf("second run: %+v", o)
		}
	}

	// An account leaving the scope is removed from the rule's list; the
	// rule's own stays.
	res = mustRules(t, extra, f, workflow.Item{Excluded: []string{"777777777777"}})
	if len(f.putRules) != 1 || !reflect.DeepEqual(f.putRules[0].ExcludedAccounts, []string{"444444444444", "777777777777"}) {
		t.Fatalf("puts: %v", f.putRules)
	}
	if r := res.Outcomes[0].Reason; !strings.Contains(r, "excluded accounts (3, want 2): to remove 666666666666") {
		t.Errorf("rule's reason: %q", r)
	}
}

// The handler's settings serve every invocation: one item's scope does not
// stay in them.
func TestWithExcludedLeavesTheSettingsAsTheyWere(t *testing.T) {
	cfg := fakeConfig(t, `services: {config: {rules: [{name: r, identifier: X, excludedAccounts: ["444444444444"]}]}}`)
	got, err := withExcluded(cfg, []string{"555555555555"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Services.Config.Rules[0].ExcludedAccounts, []string{"444444444444", "555555555555"}) ||
		!reflect.DeepEqual(cfg.Services.Config.Rules[0].ExcludedAccounts, []string{"444444444444"}) {
		t.Errorf("merged %v, settings %v", got.Services.Config.Rules[0].ExcludedAccounts, cfg.Services.Config.Rules[0].ExcludedAccounts)
	}
}

// More accounts than Config takes is refused before any call.
func TestRulesRefuseTooManyExcludedAccounts(t *testing.T) {
	var many []string
	for i := range MaxExcludedAccounts + 1 {
		many = append(many, fmt.Sprintf("%012d", 500000000000+i))
	}
	f := converged()
	_, err := runRules(t, "", f, workflow.Item{Excluded: many})
	if e, a := workflow.ErrNameTerminal, errName(err); e != a || !strings.Contains(err.Error(), "1001 accounts to exclude (1001 by scope), and AWS Config takes at most 1000") {
		t.Fatalf("error: expect %s, got %s (%v)", e, a, err)
	}
	if len(f.mutating) != 0 {
		t.Errorf("calls: %v", f.mutating)
	}
}

func TestExcludedDiffStaysShort(t *testing.T) {
	var want []string
	for i := range 40 {
		want = append(want, fmt.Sprintf("%012d", 500000000000+i))
	}
	got := excludedDiff([]string{"444444444444"}, want)
	if e := "excluded accounts (1, want 40): to add 500000000000,500000000001,500000000002,500000000003,500000000004 and 35 more, to remove 444444444444"; got != e {
		t.Errorf("diff:\nexpect %s\ngot    %s", e, got)
	}
}

// The organization aggregator takes no account list: with a scope, the
// step says it still collects from the excluded accounts.
func TestAggregatorWarnsOfTheScope(t *testing.T) {
	res, err := runAggregator(t, `scope: {excludeAccounts: ["444444444444"]}`+"\n", newFake(), workflow.Input{Mode: workflow.ModeApply})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(res.Warnings, func(w string) bool {
		return strings.HasPrefix(w, "config: the organization aggregator collects from every account")
	}) {
		t.Errorf("warnings: %v", res.Warnings)
	}
	res, err = runAggregator(t, "", newFake(), workflow.Input{Mode: workflow.ModeApply})
	if err != nil || slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.Contains(w, "excluded") }) {
		t.Errorf("without a scope: %v, %v", res.Warnings, err)
	}
}
