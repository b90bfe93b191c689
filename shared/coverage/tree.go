package coverage

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgbaseline/orgbaseline/shared/org/targets"
)

// Account is one account of the organization and where it sits in it.
type Account struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
	// OU is the path of the organizational unit that holds the account,
	// from the root ("Root/Workloads/Prod"); "Root" for an account in no OU.
	OU string `json:"ou"`
	// OUID is that unit's ID (the root's for an account in no OU).
	OUID string `json:"ouId"`
}

// TreeAPI reads the organization's tree: its root ("ListRoots", AWS
// Organizations API Reference: callable from the management account), and
// what each root or OU holds (targets.ScopeAPI).
type TreeAPI interface {
	organizations.ListRootsAPIClient
	targets.ScopeAPI
}

var _ TreeAPI = (*organizations.Client)(nil)

// ReadTree lists every account of the organization with its OU path,
// walking the tree from the root: two paged reads per OU (its child OUs and
// its accounts, targets.ReadParent), read-only.
func ReadTree(ctx context.Context, api TreeAPI) ([]Account, error) {
	var roots []string
	pages := organizations.NewListRootsPaginator(api, &organizations.ListRootsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the organization's roots: %w", err)
		}
		for _, r := range page.Roots {
			roots = append(roots, aws.ToString(r.Id))
		}
	}
	if len(roots) == 0 {
		return nil, fmt.Errorf("list the organization's roots: none")
	}
	var out []Account
	type parent struct{ id, path string }
	queue := []parent{{roots[0], "Root"}}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		accounts, units, err := targets.ReadParent(ctx, api, p.id)
		if err != nil {
			return nil, fmt.Errorf("read %s (%s): %w", p.path, p.id, err)
		}
		for _, a := range accounts {
			out = append(out, Account{ID: aws.ToString(a.Id), Name: aws.ToString(a.Name), Status: string(a.Status), OU: p.path, OUID: p.id})
		}
		for _, u := range units {
			queue = append(queue, parent{aws.ToString(u.Id), p.path + "/" + strings.ReplaceAll(aws.ToString(u.Name), "/", "_")})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].OU != out[j].OU {
			return out[i].OU < out[j].OU
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}
