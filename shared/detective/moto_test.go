package detective

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/detective"
	dtypes "github.com/aws/aws-sdk-go-v2/service/detective/types"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/local/motorig"
	"github.com/orgbaseline/orgbaseline/shared/local/mototest"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

var srv *mototest.Server

func TestMain(m *testing.M) { mototest.Main(m, func(s *mototest.Server) { srv = s }) }

// Invitation mode end to end against the local fake of Detective (moto
// for STS, Organizations and GuardDuty): the security account's graph,
// the run's accounts invited, each invitation accepted in its account
// through the execution role; the re-run changes nothing; an organization
// administrator set afterwards is detective-admin's conflict.
func TestMotoInvitationMode(t *testing.T) {
	mgmt, org := srv.SeedT(t)
	const home = "us-east-1"
	cfg, err := settings.Load("moto.yaml", strings.NewReader(fmt.Sprintf(`
accounts: {management: %q, security: %q, logArchive: %q}
organizationId: %s
homeRegion: %s
regions: [%s]
services:
  detective: {enabled: true, mode: invitation}
`, org.Management, org.Security, org.LogArchive, org.ID, home, home)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := guardduty.NewFromConfig(awsclient.WithRegion(srv.AccountConfigT(t, org.Security), home)).CreateDetector(ctx, &guardduty.CreateDetectorInput{Enable: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	h := newHandler(step.Deps{Settings: cfg, AWS: mgmt, Accounts: awsclient.NewAccounts(mgmt, org.Management, motorig.ExecutionRole, "test"), Log: quiet})
	admin := h.Admin
	h.Admin = func(region string) AdminDeps {
		d := admin(region)
		// The detector is as old as the test; Detective needs 48 hours.
		d.Now = func() time.Time { return time.Now().Add(49 * time.Hour) }
		return d
	}
	in := workflow.Input{Mode: workflow.ModeApply}
	accounts := org.AccountIDs()

	run := func(pass string) []workflow.Outcome {
		t.Helper()
		var rows []workflow.Outcome
		res, err := h.HandleAdmin(ctx, workflow.Item{Input: in, Region: home})
		if err != nil {
			t.Fatalf("%s: detective-admin: %v", pass, err)
		}
		rows = append(rows, res.Outcomes...)
		if res, err = h.HandleOrg(ctx, workflow.Item{Input: in, Region: home, Accounts: accounts}); err != nil {
			t.Fatalf("%s: detective-org: %v", pass, err)
		}
		rows = append(rows, res.Outcomes...)
		for _, a := range accounts {
			res, err := h.HandleAccept(ctx, workflow.Item{Input: in, Account: a, Regions: []string{home}})
			if err != nil {
				t.Fatalf("%s: detective-accept in %s: %v", pass, a, err)
			}
			rows = append(rows, res.Outcomes...)
		}
		return rows
	}

	for _, o := range run("first apply") {
		want := workflow.StatusChanged
		if strings.HasPrefix(o.Reason, ReasonAdministrator) {
			want = workflow.StatusSkipped
		}
		if o.Status != want {
			t.Errorf("first apply: %s %s %s %q, want %s", o.Account, o.Region, o.Status, o.Reason, want)
		}
	}
	sec := detective.NewFromConfig(awsclient.WithRegion(srv.AccountConfigT(t, org.Security), home))
	graphs, err := sec.ListGraphs(ctx, &detective.ListGraphsInput{})
	if err != nil || len(graphs.GraphList) != 1 {
		t.Fatalf("the security account's graphs: %+v %v", graphs, err)
	}
	members, err := sec.ListMembers(ctx, &detective.ListMembersInput{GraphArn: graphs.GraphList[0].Arn})
	if err != nil || len(members.MemberDetails) != len(accounts)-1 {
		t.Fatalf("members: %+v %v", members, err)
	}
	for _, m := range members.MemberDetails {
		if m.Status != dtypes.MemberStatusEnabled || m.InvitationType != dtypes.InvitationTypeInvitation {
			t.Errorf("member %s: %s %s, want ENABLED by INVITATION", aws.ToString(m.AccountId), m.Status, m.InvitationType)
		}
	}

	for _, o := range run("re-run") {
		if o.Status != workflow.StatusUnchanged && o.Status != workflow.StatusSkipped {
			t.Errorf("re-run: %s %s %s %q", o.Account, o.Region, o.Status, o.Reason)
		}
	}

	// Organization mode set up behind the configuration's back: a conflict
	// that names the setting to change, and nothing undone.
	if _, err := detective.NewFromConfig(awsclient.WithRegion(mgmt, home)).EnableOrganizationAdminAccount(ctx, &detective.EnableOrganizationAdminAccountInput{AccountId: aws.String(org.Security)}); err != nil {
		t.Fatal(err)
	}
	_, err = h.HandleAdmin(ctx, workflow.Item{Input: in, Region: home})
	var conflict *workflow.ConflictError
	if !errors.As(err, &conflict) || !strings.Contains(err.Error(), "services.detective.mode: organization") {
		t.Errorf("with an organization administrator: %T %v, want the conflict", err, err)
	}
}
