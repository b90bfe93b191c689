package main

import (
	"context"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orgbaseline/orgbaseline/shared/settings"
)

// The fault-injection harness, as part of the tests: on a small
// organization, the run with all three transient faults at once and the
// run with one member account denied every call both succeed, with failed
// rows for the denied account's regions only, and the organization then
// converges: the second run without faults makes no mutating call.
func TestFaultsConverge(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	regions := []string{"us-east-1", "eu-west-1"}
	r, err := startRig(ctx, rigOptions{root: root, app: cdkApp(t, root), work: t.TempDir(), regions: regions, progress: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, fc := range []faultCase{faultCases[3], faultCases[4]} {
		res, err := r.tryFault(ctx, 4, fc, 7)
		if err != nil {
			t.Fatalf("%s: %v", fc.name, err)
		}
		injected := 0
		for _, n := range res.injected {
			injected += n
		}
		if res.status != "SUCCEEDED" || injected == 0 || res.afterNext != 0 {
			t.Errorf("%s: execution %s, %d faults injected, %d mutating calls on the second clean run", fc.name, res.status, injected, res.afterNext)
		}
		// The steps that work in every member account: each fails the
		// denied account's rows, one per region.
		perAccount := []string{settings.ServiceConfig, settings.ServiceAccessAnalyzer}
		wantFailed := 0
		if fc.denyMember {
			wantFailed = len(regions) * len(perAccount)
		}
		if len(res.failed) != wantFailed {
			t.Errorf("%s: failed rows %v, want %d", fc.name, res.failed, wantFailed)
		}
		for _, f := range res.failed {
			if fc.denyMember && !slices.ContainsFunc(perAccount, func(svc string) bool { return strings.HasSuffix(f, " "+svc) }) {
				t.Errorf("%s: failed row %s", fc.name, f)
			}
		}
		if !fc.denyMember && res.next != 0 {
			t.Errorf("%s: the first clean run made %d mutating calls: the faulty run left work undone", fc.name, res.next)
		}
	}
}
