package accessanalyzer

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

func ruleOf(t *testing.T, f *fakeAnalyzers, name string) *types.AnalysisRule {
	t.Helper()
	for _, a := range f.analyzers {
		if *a.Name == name {
			u, ok := a.Configuration.(*types.AnalyzerConfigurationMemberUnusedAccess)
			if !ok {
				t.Fatalf("%s: configuration %T", name, a.Configuration)
			}
			return u.Value.AnalysisRule
		}
	}
	t.Fatalf("no analyzer %s", name)
	return nil
}

// The unused-access analyzer excludes the accounts the scope excludes by ID
// (its analysis rule), created so, compared as a set, updated when the
// scope changes with the rule's criteria by tags kept; a re-run makes no
// call. The organization analyzer has no such rule, and the step warns.
func TestUnusedAccessExcludesTheScopesAccounts(t *testing.T) {
	cfg := config(t, "services: {accessanalyzer: {unusedAccess: {enabled: true}}}\nscope: {excludeAccounts: [\"555555555555\"]}\n")
	f := &fakeAnalyzers{errs: map[string]error{}}
	it := orgItem(workflow.ModeApply, "us-east-1")
	it.Excluded = []string{"666666666666", "555555555555"}
	res, err := ConfigureOrg(context.Background(), f, cfg, it, quiet)
	if err != nil {
		t.Fatal(err)
	}
	want := &types.AnalysisRule{Exclusions: []types.AnalysisRuleCriteria{{AccountIds: []string{"555555555555", "666666666666"}}}}
	if got := ruleOf(t, f, UnusedAccessAnalyzer); !reflect.DeepEqual(got, want) {
		t.Errorf("rule %+v, want %+v", got, want)
	}
	if len(res.Warnings) != 1 || !strings.HasPrefix(res.Warnings[0], "accessanalyzer: the organization analyzers' zone of trust is the organization") {
		t.Errorf("warnings %v", res.Warnings)
	}

	f.calls = nil
	if _, err := ConfigureOrg(context.Background(), f, cfg, it, quiet); err != nil || len(f.calls) != 0 {
		t.Fatalf("re-run: calls %v, %v", f.calls, err)
	}

	// A criterion by tags someone added stays, and so does one by accounts
	// and tags (it excludes only the tagged resources in those accounts);
	// the accounts alone follow the scope.
	tags := types.AnalysisRuleCriteria{ResourceTags: []map[string]string{{"team": "sandbox"}}}
	tagged := types.AnalysisRuleCriteria{AccountIds: []string{"666666666666"}, ResourceTags: []map[string]string{{"env": "dev"}}}
	ruleOf(t, f, UnusedAccessAnalyzer).Exclusions = append(ruleOf(t, f, UnusedAccessAnalyzer).Exclusions, tags, tagged)
	it.Excluded = []string{"555555555555"}
	res, err = ConfigureOrg(context.Background(), f, cfg, it, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if e := []string{"Update " + UnusedAccessAnalyzer + " 90"}; !reflect.DeepEqual(f.calls, e) {
		t.Errorf("calls %v, want %v", f.calls, e)
	}
	want = &types.AnalysisRule{Exclusions: []types.AnalysisRuleCriteria{tags, tagged, {AccountIds: []string{"555555555555"}}}}
	if got := ruleOf(t, f, UnusedAccessAnalyzer); !reflect.DeepEqual(got, want) {
		t.Errorf("rule %+v, want %+v", got, want)
	}
	if a := actions(res); len(a) != 1 || !strings.Contains(a[0], UnusedAccessAnalyzer+" 1 accounts excluded by scope") {
		t.Errorf("actions %v", a)
	}
}

func TestUnusedAccessRefusesTooManyExcludedAccounts(t *testing.T) {
	cfg := config(t, "services: {accessanalyzer: {unusedAccess: {enabled: true}}}\nscope: {excludeAccounts: [\"555555555555\"]}\n")
	f := &fakeAnalyzers{errs: map[string]error{}}
	it := orgItem(workflow.ModeApply, "us-east-1")
	for i := range MaxExcludedAccounts + 1 {
		it.Excluded = append(it.Excluded, fmt.Sprintf("%012d", 500000000000+i))
	}
	_, err := ConfigureOrg(context.Background(), f, cfg, it, quiet)
	if err == nil || !strings.Contains(err.Error(), "2001 accounts excluded by scope, and an analysis rule takes at most 2000") || len(f.calls) != 0 {
		t.Errorf("err %v, calls %v", err, f.calls)
	}
}
