package motorig_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgbaseline/orgbaseline/shared/local/motorig"
)

// seedSized empties the server and seeds an organization of n accounts
// after seeding the server's random IDs with 7.
func seedSized(t *testing.T, n int) (aws.Config, motorig.Org) {
	t.Helper()
	srv.ResetT(t)
	if err := srv.SeedRandom(ctx(t), 7); err != nil {
		t.Fatal(err)
	}
	cfg, err := srv.AWSConfig(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	org, err := motorig.SeedAccounts(ctx(t), cfg, n)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, org
}

func listed(t *testing.T, cfg aws.Config) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	pages := organizations.NewListAccountsPaginator(organizations.NewFromConfig(cfg), &organizations.ListAccountsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.Accounts {
			ids[aws.ToString(a.Id)] = true
		}
	}
	return ids
}

func TestSeedAccountsAndAddAccount(t *testing.T) {
	_, small := seedSized(t, 4)
	cfg, org := seedSized(t, 6)
	if e, a := 6, len(listed(t, cfg)); e != a || len(org.Accounts) != e || len(org.Workloads) != 3 {
		t.Fatalf("expect %d accounts, 3 of them workloads; listed %d, seeded %+v", e, a, org)
	}
	// The same seed of the server's IDs: the same organization and
	// accounts with roles, whatever the size.
	if small.ID != org.ID || small.Security != org.Security || small.LogArchive != org.LogArchive || small.Workloads[0] != org.Workloads[0] {
		t.Errorf("another organization after the same seed: %+v and %+v", small, org)
	}

	added, err := motorig.AddAccount(ctx(t), cfg, &org, "onboarded")
	if err != nil {
		t.Fatal(err)
	}
	if !listed(t, cfg)[added.ID] || len(org.Accounts) != 7 || org.Workloads[len(org.Workloads)-1] != added.ID {
		t.Errorf("the added account %+v is not in the organization: %+v", added, org)
	}
	if _, err := motorig.SeedAccounts(ctx(t), cfg, 2); err == nil {
		t.Error("an organization of 2 accounts was seeded")
	}
}
