package targets

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/local/mototest"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

var srv *mototest.Server

func TestMain(m *testing.M) { mototest.Main(m, func(s *mototest.Server) { srv = s }) }

// The emulator's Organizations: an excluded OU with a nested OU, the
// workload accounts moved into them, resolved through the SDK's paginators
// one account and one OU a page; an OU not in the organization is the
// TerminalError that names it.
func TestResolveScopeOnTheEmulator(t *testing.T) {
	awsCfg, org := srv.SeedT(t)
	ctx := context.Background()
	api := organizations.NewFromConfig(awsclient.WithRegion(awsCfg, awsclient.OrganizationsRegion))
	mkOU := func(parent, name string) string {
		t.Helper()
		out, err := api.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(parent), Name: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.OrganizationalUnit.Id)
	}
	move := func(account, to string) {
		t.Helper()
		if _, err := api.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(account), SourceParentId: aws.String(org.RootID), DestinationParentId: aws.String(to)}); err != nil {
			t.Fatal(err)
		}
	}
	sandbox := mkOU(org.RootID, "sandbox")
	nested := mkOU(sandbox, "nested")
	mkOU(sandbox, "empty")
	move(org.Workloads[0], sandbox)
	move(org.Workloads[1], nested)
	move(org.Workloads[2], nested)

	cfg, err := settings.Load("t.yaml", strings.NewReader(fmt.Sprintf(`
accounts: {management: %q, security: %q, logArchive: %q}
organizationId: %s
homeRegion: us-east-1
regions: [us-east-1]
scope: {excludeOUs: [%s]}
`, org.Management, org.Security, org.LogArchive, org.ID, sandbox)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := ResolveScope(ctx, pageOfOne{api}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := Exclusions{
		org.Workloads[0]: "excluded by scope: in OU " + sandbox + " (scope.excludeOUs)",
		org.Workloads[1]: "excluded by scope: in OU " + nested + ", nested in " + sandbox + " (scope.excludeOUs)",
		org.Workloads[2]: "excluded by scope: in OU " + nested + ", nested in " + sandbox + " (scope.excludeOUs)",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("exclusions:\nexpect %v\ngot    %v", want, got)
	}

	cfg.Scope.ExcludeOUs = []string{strings.Replace(sandbox, sandbox[len(sandbox)-4:], "zzzz", 1)}
	_, err = ResolveScope(ctx, pageOfOne{api}, cfg)
	var term *workflow.TerminalError
	if !errors.As(err, &term) || !strings.Contains(err.Error(), "is not an OU of the organization") {
		t.Errorf("an unknown OU: %v", err)
	}
}

// pageOfOne asks for one item a page, so that every listing pages.
type pageOfOne struct{ api *organizations.Client }

func (p pageOfOne) ListAccountsForParent(ctx context.Context, in *organizations.ListAccountsForParentInput, optFns ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error) {
	in.MaxResults = aws.Int32(1)
	return p.api.ListAccountsForParent(ctx, in, optFns...)
}

func (p pageOfOne) ListOrganizationalUnitsForParent(ctx context.Context, in *organizations.ListOrganizationalUnitsForParentInput, optFns ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error) {
	in.MaxResults = aws.Int32(1)
	return p.api.ListOrganizationalUnitsForParent(ctx, in, optFns...)
}
