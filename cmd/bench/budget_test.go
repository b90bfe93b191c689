package main

// The call budget: runs on small emulated organizations, every AWS call
// counted, held to bench/budget.json. It fails when a change makes a run
// call AWS more per account x region, or return a larger result, than the
// budget allows, and when a re-run changes anything. No time is measured.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orgbaseline/orgbaseline/shared/local/sdkcount"
	"github.com/orgbaseline/orgbaseline/shared/settings"
)

// The test binary is also the step processes of the runs (as the command
// is, see main).
func TestMain(m *testing.M) {
	if dir := os.Getenv(sdkcount.EnvCallDir); dir != "" {
		serveStep(dir)
		return
	}
	os.Exit(m.Run())
}

// budget is bench/budget.json.
type budget struct {
	About         string      `json:"about"`
	Regions       []string    `json:"regions"`
	Organizations []orgBudget `json:"organizations"`
}

// orgBudget is the budget of one organization's runs.
type orgBudget struct {
	Accounts int `json:"accounts"`
	// CallsPerAccountRegion caps a run's calls over its accounts times the
	// regions, by run (first run, re-run).
	CallsPerAccountRegion map[string]float64 `json:"callsPerAccountRegion"`
	// LargestResultBytes caps the largest result of one step invocation.
	LargestResultBytes int `json:"largestResultBytes"`
}

func loadBudget(t *testing.T, root string) budget {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "bench", "budget.json"))
	if err != nil {
		t.Fatal(err)
	}
	var bud budget
	if err := json.Unmarshal(b, &bud); err != nil {
		t.Fatalf("bench/budget.json: %v", err)
	}
	return bud
}

func TestRunsStayWithinTheCallBudget(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	bud := loadBudget(t, root)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r, err := startRig(ctx, rigOptions{root: root, app: cdkApp(t, root), work: t.TempDir(), regions: bud.Regions, progress: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var made []sdkcount.Call
	var cfg settings.Config
	for i, ob := range bud.Organizations {
		kinds := []string{firstRun, reRun}
		if i == 0 {
			// The onboarding's narrowed paths, for the grants below.
			kinds = append(kinds, onboarding)
		}
		runs, _, err := r.measureOrg(ctx, ob.Accounts, kinds)
		if err != nil {
			t.Fatalf("%d accounts: %v", ob.Accounts, err)
		}
		cfg = runs[0].cfg
		for _, f := range runs {
			made = append(made, f.made...)
			if f.kind == onboarding {
				continue
			}
			for _, p := range overBudget(ob, f) {
				t.Error(p)
			}
		}
	}
	// Least privilege, checked against what the code calls in all these
	// runs: every call granted where it is made, every grant of a call
	// made (or listed as not exercised, with the reason).
	if problems := grantProblems(cfg, made); len(problems) > 0 {
		t.Errorf("the steps' calls and grants differ:\n%s\n\ncalls made:\n%s", strings.Join(problems, "\n"), describeCalls(cfg, made))
	}
}

// overBudget returns how run f exceeds its organization's budget ob.
func overBudget(ob orgBudget, f runFigures) []string {
	var out []string
	what := fmt.Sprintf("%s on %d accounts x %d regions", f.kind, f.orgAccounts, f.regions)
	limit, ok := ob.CallsPerAccountRegion[f.kind]
	if !ok {
		return []string{fmt.Sprintf("bench/budget.json has no calls per account x region for the %s", f.kind)}
	}
	if got := f.callsPerAccountRegion(); got > limit {
		out = append(out, fmt.Sprintf("%s: %.2f calls per account x region, over the budget of %.2f (bench/budget.json); by step: %s",
			what, got, limit, stepCalls(f)))
	}
	if n, step := f.maxResult(); n > ob.LargestResultBytes {
		out = append(out, fmt.Sprintf("%s: %s returned %d bytes, over the budget of %d (bench/budget.json)", what, step, n, ob.LargestResultBytes))
	}
	if f.kind == reRun && f.calls.mutating != 0 {
		out = append(out, fmt.Sprintf("%s: %d mutating calls; a re-run of a converged organization must make none (by step: %s)", what, f.calls.mutating, stepCalls(f)))
	}
	return out
}

func stepCalls(f runFigures) string {
	var parts []string
	for _, s := range f.steps {
		parts = append(parts, fmt.Sprintf("%s %d (%d mutating)", s.name, s.calls.total(), s.calls.mutating))
	}
	return strings.Join(parts, ", ")
}

// cdkApp returns the CDK app binary: ORGBASELINE_CDK_APP (make passes the
// one it built), else one built into build/bench.
func cdkApp(t *testing.T, root string) string {
	t.Helper()
	if p := os.Getenv("ORGBASELINE_CDK_APP"); p != "" {
		if !filepath.IsAbs(p) {
			p = filepath.Join(root, p)
		}
		return p
	}
	out := filepath.Join(root, "build", "bench", "cdkapp")
	cmd := exec.Command("go", "build", "-o", out, "./infra")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./infra: %v\n%s", err, b)
	}
	return out
}

func TestOverBudget(t *testing.T) {
	ob := orgBudget{Accounts: 4, CallsPerAccountRegion: map[string]float64{firstRun: 10, reRun: 5}, LargestResultBytes: 1000}
	run := func(kind string, reads, mutating, result int) runFigures {
		return runFigures{kind: kind, orgAccounts: 4, accounts: 4, regions: 2, calls: callCount{reads, mutating},
			steps: []stepFigures{{name: "org-trail", calls: callCount{reads, mutating}, maxResult: result}}}
	}
	for _, c := range []struct {
		name string
		f    runFigures
		want []string
	}{
		{"within", run(firstRun, 40, 40, 1000), nil},
		{"more calls", run(firstRun, 41, 40, 10), []string{"10.12 calls per account x region, over the budget of 10.00"}},
		{"larger result", run(firstRun, 1, 0, 1001), []string{"org-trail returned 1001 bytes, over the budget of 1000"}},
		{"a re-run that changes", run(reRun, 30, 1, 10), []string{"1 mutating calls; a re-run of a converged organization must make none"}},
		{"no budget", run(onboarding, 1, 0, 10), []string{"no calls per account x region for the onboarding"}},
	} {
		got := overBudget(ob, c.f)
		if len(got) != len(c.want) {
			t.Errorf("%s: expect %d problems, got %q", c.name, len(c.want), got)
			continue
		}
		for i := range got {
			if !strings.Contains(got[i], c.want[i]) {
				t.Errorf("%s: expect %q in %q", c.name, c.want[i], got[i])
			}
		}
	}
}
