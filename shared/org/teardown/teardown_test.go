package teardown_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/orgbaseline/orgbaseline/shared/org/teardown"
	"github.com/orgbaseline/orgbaseline/shared/org/teardown/fakeorg"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

const (
	mgmt     = "111111111111"
	security = "222222222222"
	other    = "333333333333"
	adminP   = "svc.amazonaws.com"
	plainP   = "extra.amazonaws.com"
)

func run(orgs *fakeorg.Orgs, plan bool) (workflow.StepResult, bool) {
	res := teardown.NewResult("svc", plan)
	ok := teardown.OrgWide(context.Background(), orgs, &res, "svc", mgmt, security, []string{adminP, plainP},
		func(p string) bool { return p == adminP }, plan)
	return res, ok
}

func statuses(res workflow.StepResult) []workflow.Status {
	var s []workflow.Status
	for _, o := range res.Outcomes {
		s = append(s, o.Status)
	}
	return s
}

func TestOrgWideOrderPlanAndIdempotence(t *testing.T) {
	log := &fakeorg.Log{}
	orgs := fakeorg.New(log)
	orgs.Admins[adminP] = []string{security}
	orgs.Access[adminP], orgs.Access[plainP] = true, true

	res, ok := run(orgs, true)
	if !ok || len(log.Calls()) != 0 {
		t.Fatalf("plan: ok %v, it called", ok)
	}
	if want := []workflow.Status{workflow.StatusPlanned, workflow.StatusPlanned, workflow.StatusPlanned}; !reflect.DeepEqual(statuses(res), want) {
		t.Errorf("plan statuses %v, want %v", statuses(res), want)
	}

	if _, ok = run(orgs, false); !ok {
		t.Fatal("apply not ok")
	}
	want := []string{
		"organizations:DeregisterDelegatedAdministrator " + security + " " + adminP,
		"organizations:DisableAWSServiceAccess " + adminP,
		"organizations:DisableAWSServiceAccess " + plainP,
	}
	if got := log.Calls(); !reflect.DeepEqual(got, want) {
		t.Errorf("calls\n got %v\nwant %v", got, want)
	}

	res, ok = run(orgs, false)
	if got := log.Calls(); !ok || len(got) != 0 {
		t.Errorf("second run: ok %v, calls %v", ok, got)
	}
	for _, o := range res.Outcomes {
		if o.Status != workflow.StatusUnchanged {
			t.Errorf("second run row %+v", o)
		}
	}
}

func TestOrgWideOtherAdministratorIsKept(t *testing.T) {
	log := &fakeorg.Log{}
	orgs := fakeorg.New(log)
	orgs.Admins[adminP] = []string{other}
	orgs.Access[adminP] = true

	res, ok := run(orgs, false)
	if ok {
		t.Error("a conflict reported ok")
	}
	if got := log.Calls(); len(got) != 0 {
		t.Errorf("calls on a conflict: %v", got)
	}
	if o := res.Outcomes[0]; o.Status != workflow.StatusFailed || !strings.Contains(o.Reason, other) {
		t.Errorf("conflict row %+v", o)
	}
	for _, o := range res.Outcomes[1:] {
		if o.Status != workflow.StatusSkipped {
			t.Errorf("trusted access row %+v, want skipped", o)
		}
	}
	if !orgs.Access[adminP] || len(orgs.Admins[adminP]) != 1 {
		t.Error("the other administrator or its trusted access was touched")
	}
}

func TestGone(t *testing.T) {
	orgs := fakeorg.New(&fakeorg.Log{})
	for _, tt := range []struct {
		access bool
		admins []string
		want   bool
	}{
		{false, nil, true},
		{true, nil, false},
		{false, []string{security}, false},
		{false, []string{other}, false},
	} {
		orgs.Access[adminP] = tt.access
		orgs.Admins[adminP] = tt.admins
		got, err := teardown.Gone(context.Background(), orgs, adminP)
		if err != nil || got != tt.want {
			t.Errorf("access %v, administrators %v: Gone %v (%v), want %v", tt.access, tt.admins, got, err, tt.want)
		}
	}
}
