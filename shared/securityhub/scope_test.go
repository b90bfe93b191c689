package securityhub

import (
	"context"
	"slices"
	"testing"

	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// Local configuration with a scope: AutoEnable is turned off (it takes
// every new account), the excluded accounts are not added, and an excluded
// one that is a member already is reported and left as it is; a second
// run makes no call.
func TestLocalScopeExcludedAccounts(t *testing.T) {
	cfg := config(t, localConfig+`scope: {excludeAccounts: ["555555555555", "666666666666"]}`+"\n")
	f := newAdmin()
	f.autoEnable, f.autoStds = true, shtypes.AutoEnableStandardsNone
	f.members["555555555555"] = "Enabled"
	it := localItem(workflow.ModeApply, mgmt, security, "444444444444")
	it.Excluded = []string{"555555555555", "666666666666"}
	res, err := ConfigureLocal(context.Background(), f, cfg, it, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"UpdateOrganizationConfiguration LOCAL autoEnable=false NONE", "CreateMembers 111111111111,444444444444"}; !slices.Equal(f.calls, want) {
		t.Fatalf("calls %v, want %v", f.calls, want)
	}
	rows := map[string]workflow.Outcome{}
	for _, o := range res.Outcomes {
		rows[o.Account] = o
	}
	if o := rows["555555555555"]; o.Status != workflow.StatusSkipped || o.Reason != "excluded by scope, but a member already (Enabled): left as it is" {
		t.Errorf("the excluded member's row: %+v", o)
	}
	if _, ok := rows["666666666666"]; ok {
		t.Errorf("an excluded account that is no member has a row here (org-targets reports it): %+v", rows)
	}
	if acts := rows[security].Actions; len(acts) == 0 || acts[0].Target != "LOCAL AutoEnable=false AutoEnableStandards=NONE" {
		t.Errorf("actions: %v", acts)
	}

	f.calls = nil
	if _, err := ConfigureLocal(context.Background(), f, cfg, it, quiet); err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 0 {
		t.Errorf("second run's calls: %v", f.calls)
	}
}

// Central configuration with a scope: the policy is associated with the
// root, and each excluded OU and account is associated with self-managed
// behavior, so the policy neither enables nor configures Security Hub
// there; a re-run makes no call.
func TestCentralScopeIsSelfManaged(t *testing.T) {
	f := newFake()
	cfg := config(t, `scope: {excludeAccounts: ["555555555555"], excludeOUs: [ou-ab12-sandbox1]}`+"\n")
	res, _ := run(t, f, cfg, workflow.Input{Mode: workflow.ModeApply}, 10)
	want := []string{
		"CreateFindingAggregator SPECIFIED_REGIONS [eu-west-1 ap-southeast-2]",
		"UpdateOrganizationConfiguration CENTRAL autoEnable=false NONE",
		"CreateConfigurationPolicy orgbaseline",
		"StartConfigurationPolicyAssociation p1 r-ab12",
		"StartConfigurationPolicyAssociation SELF_MANAGED_SECURITY_HUB ou-ab12-sandbox1",
		"StartConfigurationPolicyAssociation SELF_MANAGED_SECURITY_HUB 555555555555",
	}
	if !slices.Equal(f.calls, want) {
		t.Fatalf("calls %v, want %v", f.calls, want)
	}
	var targets []string
	for _, a := range res.Outcomes[0].Actions {
		if a.Call == CallAssociate {
			targets = append(targets, a.Target)
		}
	}
	if e := []string{"orgbaseline to root r-ab12", "self-managed (excluded by scope) to ou-ab12-sandbox1", "self-managed (excluded by scope) to account 555555555555"}; !slices.Equal(targets, e) {
		t.Errorf("association actions %v, want %v", targets, e)
	}
	f.calls = nil
	if res, calls := run(t, f, cfg, workflow.Input{Mode: workflow.ModeApply}, 10); len(f.calls) > 0 || calls != 1 || res.Outcomes[0].Status != workflow.StatusUnchanged {
		t.Fatalf("re-run: calls %v in %d invocations, row %+v", f.calls, calls, res.Outcomes[0])
	}
}
