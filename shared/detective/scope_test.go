package detective

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	dtypes "github.com/aws/aws-sdk-go-v2/service/detective/types"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// With a scope, AutoEnable is turned off (it takes every new account), the
// excluded accounts are not added, and an excluded one that is a member
// already is reported and left as it is; a second run makes no call.
func TestOrgScopeExcludedAccounts(t *testing.T) {
	det := &fakeDetective{graph: testGraph, errs: map[string]error{}, autoEnable: true,
		members: []dtypes.MemberDetail{{AccountId: aws.String("555555555555"), Status: dtypes.MemberStatusEnabled}}}
	run := []string{mgmt, security, "444444444444"}
	orgs := &fakeOrgs{all: append(slices.Clone(run), "555555555555", "666666666666")}
	d := OrgDeps{Detective: det, Accounts: orgs}
	cfg := config(t, `scope: {excludeAccounts: ["555555555555", "666666666666"]}`)
	it := item(workflow.ModeApply, run...)
	it.Excluded = []string{"555555555555", "666666666666"}
	res, err := ConfigureOrg(context.Background(), d, cfg, it, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"UpdateOrganizationConfiguration false", "CreateMembers 2"}; !slices.Equal(det.calls, want) {
		t.Fatalf("calls %v, want %v", det.calls, want)
	}
	rows := map[string]workflow.Outcome{}
	for _, o := range res.Outcomes {
		rows[o.Account] = o
	}
	if o := rows["555555555555"]; o.Status != workflow.StatusSkipped || o.Reason != "excluded by scope, but a member already (ENABLED): left as it is (detective:DeleteMembers removes it)" {
		t.Errorf("the excluded member's row: %+v", o)
	}
	if _, ok := rows["666666666666"]; ok {
		t.Errorf("an excluded account that is no member has a row here (org-targets reports it): %+v", rows)
	}

	det.calls = nil
	if _, err := ConfigureOrg(context.Background(), d, cfg, it, quiet); err != nil {
		t.Fatal(err)
	}
	if len(det.calls) != 0 {
		t.Errorf("second run's calls: %v", det.calls)
	}
}
