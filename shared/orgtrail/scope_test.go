package orgtrail

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
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// scopeOrg is a fake organization of the management account and members
// m1..m4, all ACTIVE; m2 has a trail of its own.
func scopeOrg() (*fakeAWS, []string) {
	f := newFake()
	members := []string{"400000000001", "400000000002", "400000000003", "400000000004"}
	for _, id := range members {
		f.accounts = append(f.accounts, orgtypes.Account{Id: aws.String(id), State: orgtypes.AccountStateActive})
	}
	f.members[members[1]] = []cttypes.Trail{{Name: aws.String("team-trail"), TrailARN: aws.String("arn:aws:cloudtrail:eu-west-1:" + members[1] + ":trail/team-trail")}}
	return f, members
}

func scopeRun(t *testing.T, f *fakeAWS, mode workflow.Mode, filter, accounts []string) workflow.StepResult {
	t.Helper()
	item := workflow.Item{Input: workflow.Input{Mode: mode, Accounts: filter}, Accounts: accounts}
	res, err := runItem(context.Background(), f.deps(), config(t, ""), item, quiet)
	if err != nil {
		t.Fatalf("%s: %v", mode, err)
	}
	return res
}

func sortedReads(f *fakeAWS) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := slices.Clone(f.read)
	slices.Sort(out)
	return out
}

// The preflight reads the accounts the state machine passes (the run's
// ACTIVE accounts), not every account the organization lists.
func TestPreflightReadsTheRunsAccounts(t *testing.T) {
	f, m := scopeOrg()
	scopeRun(t, f, workflow.ModePlan, nil, []string{fMgmt, m[1], m[3]})
	if e, a := []string{m[1], m[3]}, sortedReads(f); !reflect.DeepEqual(e, a) {
		t.Errorf("accounts read: expect %v, got %v", e, a)
	}
}

// Once the trail is converged, a re-run reads no member account: its cost
// does not grow with the organization. One warning says so, and how to
// check accounts.
func TestPreflightSkipsMembersWhenTheTrailIsUnchanged(t *testing.T) {
	f, m := scopeOrg()
	all := append([]string{fMgmt}, m...)
	first := scopeRun(t, f, workflow.ModeApply, nil, all)
	if e, a := m, sortedReads(f); !reflect.DeepEqual(e, a) {
		t.Fatalf("creating the trail: accounts read, expect %v, got %v", e, a)
	}
	if countContaining(first.Warnings, m[1], "team-trail") != 1 {
		t.Errorf("creating the trail: no warning about %s's own trail: %q", m[1], first.Warnings)
	}
	for _, mode := range []workflow.Mode{workflow.ModeApply, workflow.ModePlan} {
		f.read = nil
		res := scopeRun(t, f, mode, nil, all)
		if res.Changed || len(f.calls) != 4 {
			t.Fatalf("%s: the re-run changes something: %v", mode, f.calls)
		}
		if len(f.read) != 0 {
			t.Errorf("%s of a converged trail read member accounts: %v", mode, f.read)
		}
		if countContaining(res.Warnings, "4 member accounts were not checked for trails of their own", "unchanged", "--accounts") != 1 {
			t.Errorf("%s: no warning that the member accounts were not checked: %q", mode, res.Warnings)
		}
		if countContaining(res.Warnings, "team-trail") != 0 {
			t.Errorf("%s: a warning from an account that was not read: %q", mode, res.Warnings)
		}
	}
}

// A run that names accounts (--accounts) checks those accounts, and only
// those, also when the trail is unchanged.
func TestPreflightChecksTheNamedAccounts(t *testing.T) {
	f, m := scopeOrg()
	scopeRun(t, f, workflow.ModeApply, nil, append([]string{fMgmt}, m...))
	f.read = nil
	res := scopeRun(t, f, workflow.ModePlan, []string{m[1]}, []string{m[1]})
	if e, a := []string{m[1]}, sortedReads(f); !reflect.DeepEqual(e, a) {
		t.Errorf("accounts read: expect %v, got %v", e, a)
	}
	if countContaining(res.Warnings, m[1], "team-trail") != 1 {
		t.Errorf("no warning about %s's own trail: %q", m[1], res.Warnings)
	}
	if countContaining(res.Warnings, "not checked") != 0 {
		t.Errorf("accounts reported as not checked: %q", res.Warnings)
	}
}

// A trail that is to change (updated, or logging started) is a new start
// for what it records: the member accounts are read again.
func TestPreflightChecksMembersWhenTheTrailChanges(t *testing.T) {
	for _, tt := range []struct {
		name   string
		change func(f *fakeAWS)
	}{
		{"logging stopped", func(f *fakeAWS) { f.logging = false }},
		{"field differs", func(f *fakeAWS) { f.trail.IsMultiRegionTrail = aws.Bool(false) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, m := scopeOrg()
			all := append([]string{fMgmt}, m...)
			scopeRun(t, f, workflow.ModeApply, nil, all)
			tt.change(f)
			f.read = nil
			scopeRun(t, f, workflow.ModePlan, nil, all)
			if e, a := m, sortedReads(f); !reflect.DeepEqual(e, a) {
				t.Errorf("accounts read: expect %v, got %v", e, a)
			}
		})
	}
}

// The state machine passes the run's accounts to this step; without them
// the step fails at once, before any call, with a TerminalError that says
// what is missing. A step with nothing to do needs none.
func TestNoAccountsIsTerminal(t *testing.T) {
	f, _ := scopeOrg()
	_, err := runItem(context.Background(), f.deps(), config(t, ""), workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}}, quiet)
	var term *workflow.TerminalError
	if !errors.As(err, &term) || !strings.Contains(err.Error(), "no accounts") || !strings.Contains(err.Error(), "org-targets") {
		t.Fatalf("expect a TerminalError about the missing accounts, got %T %v", err, err)
	}
	if len(f.calls) != 0 || len(f.seq) != 0 || len(f.read) != 0 {
		t.Errorf("calls made before failing: %v %v %v", f.calls, f.seq, f.read)
	}
	// The Lambda reports it by its top-level type, which the state machine
	// matches.
	h := &Handler{Settings: config(t, ""), Deps: f.deps(), Log: quiet}
	_, err = h.Handle(context.Background(), workflow.Item{Input: workflow.Input{Mode: workflow.ModePlan}})
	if e, a := workflow.ErrNameTerminal, fmt.Sprintf("%T", err); a != "*workflow."+e {
		t.Errorf("the handler returns %s (%v), want *workflow.%s", a, err, e)
	}
	// An empty list (--accounts named no ACTIVE account) is no error: the
	// organization trail still converges, with no member to check.
	res, err := runItem(context.Background(), f.deps(), config(t, ""), workflow.Item{Input: workflow.Input{Mode: workflow.ModePlan}, Accounts: []string{}}, quiet)
	if err != nil || len(res.Outcomes) == 0 {
		t.Errorf("empty account list: %+v, %v", res, err)
	}
	res, err = runItem(context.Background(), f.deps(), config(t, "services: {cloudtrail: {enabled: false}}"), workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}}, quiet)
	if err != nil || len(res.Outcomes) != 1 || res.Outcomes[0].Status != workflow.StatusSkipped {
		t.Errorf("cloudtrail disabled: expect skipped, got %+v, %v", res, err)
	}
}

// The result stays small whatever the organization's size: with 5,000
// accounts, each with trails of its own or unreadable, it has the three
// outcomes of the trail's resources and no row per account, and its JSON
// stays under 16 KB (Step Functions takes 256 KB); a converged re-run's
// under 4 KB.
func TestResultBoundedWith5000Accounts(t *testing.T) {
	f := newFake()
	accounts := []string{fMgmt}
	for i := range 5000 {
		id := fmt.Sprintf("6%011d", i)
		accounts = append(accounts, id)
		f.accounts = append(f.accounts, orgtypes.Account{Id: aws.String(id), State: orgtypes.AccountStateActive})
		if i%2 == 0 {
			name := "team-trail-" + strings.Repeat("x", 100)
			f.members[id] = []cttypes.Trail{{Name: aws.String(name), TrailARN: aws.String("arn:aws:cloudtrail:eu-west-1:" + id + ":trail/" + name)}}
		} else {
			f.memberErr[id] = errors.New(strings.Repeat("the service said a great deal ", 100))
		}
	}
	cfg := config(t, "services: {cloudtrail: {delegatedAdmin: true}}")
	item := workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}, Accounts: accounts}
	for i, bound := range []int{16 << 10, 4 << 10} {
		res, err := runItem(context.Background(), f.deps(), cfg, item, quiet)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(res)
		t.Logf("run %d: %d bytes, %d warnings", i+1, len(b), len(res.Warnings))
		if len(b) > bound {
			t.Errorf("run %d: the result takes %d bytes, want %d at most", i+1, len(b), bound)
		}
		if len(res.Outcomes) != 3 {
			t.Errorf("run %d: %d outcomes, want the bucket's, the administrator's and the trail's", i+1, len(res.Outcomes))
		}
	}
}
