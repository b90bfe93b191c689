package guardduty

import (
	"context"
	"slices"
	"strings"
	"testing"

	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// With a scope, no account joins by itself (AutoEnableOrganizationMembers
// NONE: ALL and NEW reach every account), the excluded accounts are never
// added, and one that is a member already is reported and left as it is.
// A second run makes no call.
func TestFakeScopeExcludedAccounts(t *testing.T) {
	const scope = `scope: {excludeAccounts: ["500000000001", "500000000002"]}`
	// 500000000002 is an Enabled member; 500000000001 was one (Removed).
	gd := newFakeGD(append(slices.Clone(baseMembers), "500000000001", "500000000002")...)
	gd.left = map[string]string{"500000000001": "Removed"}
	orgs := orgOf(3)
	// What org-targets passes: the accounts without the excluded ones,
	// and the excluded ones.
	item := workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}, Region: "eu-west-1",
		Accounts: slices.DeleteFunc(orgs.active(), func(a string) bool { return a == "500000000001" || a == "500000000002" }),
		Excluded: []string{"500000000001", "500000000002"}}
	run := func() workflow.StepResult {
		t.Helper()
		h := &OrgHandler{Settings: fakeConfig(t, scope), Log: quiet, Accounts: orgs, In: func(string) OrgClient { return gd }}
		res, err := h.Handle(context.Background(), item)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := run()
	if len(gd.updateOrg) != 1 || gd.updateOrg[0].AutoEnableOrganizationMembers != gdtypes.AutoEnableMembersNone {
		t.Fatalf("UpdateOrganizationConfiguration: %+v", gd.updateOrg)
	}
	if o := part(t, res, "organization configuration:"); !strings.Contains(o.Reason, "AutoEnableOrganizationMembers ALL, want NONE") {
		t.Errorf("organization configuration outcome: %+v", o)
	}
	if len(gd.createMembers) != 1 || ids(gd.createMembers[0].AccountDetails) != "500000000000" {
		t.Errorf("CreateMembers: %+v", gd.createMembers)
	}
	rows := rowsOf(res)
	if r, ok := rows["500000000002"]; !ok || r.Status != workflow.StatusSkipped ||
		r.Reason != "members: excluded by scope, but a member already (Enabled): left as it is (guardduty:DisassociateMembers removes it)" {
		t.Errorf("the excluded member's row: %+v", r)
	}
	if _, ok := rows["500000000001"]; ok {
		t.Errorf("an excluded account that is no Enabled member has a row here (org-targets reports it): %+v", rows)
	}
	if o := part(t, res, "members: 1 accounts excluded by scope"); o.Status != workflow.StatusSkipped {
		t.Errorf("members outcome: %+v", o)
	}

	gd.mutating = nil
	again := run()
	if len(gd.mutating) != 0 {
		t.Errorf("second run's calls: %v", gd.mutating)
	}
	if o := part(t, again, "organization configuration"); o.Status != workflow.StatusUnchanged {
		t.Errorf("second run: %+v", o)
	}
}

// Without a scope the organization configuration stays ALL.
func TestFakeNoScopeAutoEnablesAll(t *testing.T) {
	gd := newFakeGD(baseMembers...)
	gd.autoMembers = gdtypes.AutoEnableMembersNone
	mustRun(t, "", gd, orgOf(0), workflow.ModeApply)
	if len(gd.updateOrg) != 1 || gd.updateOrg[0].AutoEnableOrganizationMembers != gdtypes.AutoEnableMembersAll {
		t.Fatalf("UpdateOrganizationConfiguration: %+v", gd.updateOrg)
	}
}
