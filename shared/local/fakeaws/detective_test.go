package fakeaws_test

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/detective"
	dtypes "github.com/aws/aws-sdk-go-v2/service/detective/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/local/motorig"
)

// graphARN is the form of a behavior graph's ARN in the rig's partition.
var graphARN = regexp.MustCompile(`^arn:aws:detective:([a-z0-9-]+):(\d{12}):graph:[0-9a-f]{32}$`)

// outsider is an account outside the organization.
const outsider = "999999999999"

// detectiveIn is a Detective client of cfg in region ("" for cfg's own).
func detectiveIn(cfg aws.Config, region string) *detective.Client {
	if region != "" {
		cfg = awsclient.WithRegion(cfg, region)
	}
	return detective.NewFromConfig(cfg)
}

func enableAdmin(t *testing.T, api *detective.Client, account string) error {
	t.Helper()
	_, err := api.EnableOrganizationAdminAccount(ctx(t), &detective.EnableOrganizationAdminAccountInput{AccountId: aws.String(account)})
	return err
}

func mustEnableAdmin(t *testing.T, api *detective.Client, account string) {
	t.Helper()
	if err := enableAdmin(t, api, account); err != nil {
		t.Fatalf("EnableOrganizationAdminAccount %s: %v", account, err)
	}
}

// admins lists the Detective administrator accounts api's account sees.
func admins(t *testing.T, api *detective.Client) ([]dtypes.Administrator, error) {
	t.Helper()
	var all []dtypes.Administrator
	p := detective.NewListOrganizationAdminAccountsPaginator(api, &detective.ListOrganizationAdminAccountsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx(t))
		if err != nil {
			return nil, err
		}
		all = append(all, page.Administrators...)
	}
	return all, nil
}

// graphs lists the behavior graphs api's account administers.
func graphs(t *testing.T, api *detective.Client) []dtypes.Graph {
	t.Helper()
	var all []dtypes.Graph
	p := detective.NewListGraphsPaginator(api, &detective.ListGraphsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("ListGraphs: %v", err)
		}
		all = append(all, page.GraphList...)
	}
	return all
}

// onlyGraph returns the one behavior graph api's account administers.
func onlyGraph(t *testing.T, api *detective.Client) string {
	t.Helper()
	g := graphs(t, api)
	if len(g) != 1 {
		t.Fatalf("ListGraphs: %d graphs, want 1", len(g))
	}
	return aws.ToString(g[0].Arn)
}

// members lists a graph's member accounts, page by page of size (0 for the
// default), and returns them with the number of pages.
func members(t *testing.T, api *detective.Client, graph string, size int32) ([]dtypes.MemberDetail, int) {
	t.Helper()
	in := &detective.ListMembersInput{GraphArn: aws.String(graph)}
	if size > 0 {
		in.MaxResults = aws.Int32(size)
	}
	var all []dtypes.MemberDetail
	pages := 0
	p := detective.NewListMembersPaginator(api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("ListMembers: %v", err)
		}
		if size > 0 && len(page.MemberDetails) > int(size) {
			t.Errorf("page of %d members with MaxResults %d", len(page.MemberDetails), size)
		}
		pages++
		all = append(all, page.MemberDetails...)
	}
	return all, pages
}

func byAccount(ms []dtypes.MemberDetail) map[string]dtypes.MemberDetail {
	out := map[string]dtypes.MemberDetail{}
	for _, m := range ms {
		out[aws.ToString(m.AccountId)] = m
	}
	return out
}

func account(id, email string) dtypes.Account {
	return dtypes.Account{AccountId: aws.String(id), EmailAddress: aws.String(email)}
}

func createMembers(t *testing.T, api *detective.Client, graph string, accounts ...dtypes.Account) *detective.CreateMembersOutput {
	t.Helper()
	out, err := api.CreateMembers(ctx(t), &detective.CreateMembersInput{GraphArn: aws.String(graph), Accounts: accounts})
	if err != nil {
		t.Fatalf("CreateMembers: %v", err)
	}
	return out
}

// unprocessedIDs returns the IDs of the unprocessed accounts, each marked
// "(no reason)" that comes without one.
func unprocessedIDs(u []dtypes.UnprocessedAccount) []string {
	var ids []string
	for _, a := range u {
		if aws.ToString(a.Reason) == "" {
			ids = append(ids, aws.ToString(a.AccountId)+" (no reason)")
			continue
		}
		ids = append(ids, aws.ToString(a.AccountId))
	}
	return ids
}

// recent fails t unless tm is set and within a few seconds of now.
func recent(t *testing.T, what string, tm *time.Time) {
	t.Helper()
	if tm == nil || time.Since(*tm) > 30*time.Second || time.Until(*tm) > time.Second {
		t.Errorf("%s %v, want about now", what, tm)
	}
}

// detectiveInOrganizations reports whether the organization has trusted
// access for detective.amazonaws.com, and Detective's delegated
// administrators.
func detectiveInOrganizations(t *testing.T, mgmt aws.Config) (trusted bool, delegated []string) {
	t.Helper()
	orgs := organizations.NewFromConfig(mgmt)
	access, err := orgs.ListAWSServiceAccessForOrganization(ctx(t), &organizations.ListAWSServiceAccessForOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	trusted = slices.ContainsFunc(access.EnabledServicePrincipals, func(p orgtypes.EnabledServicePrincipal) bool {
		return aws.ToString(p.ServicePrincipal) == "detective.amazonaws.com"
	})
	list, err := orgs.ListDelegatedAdministrators(ctx(t), &organizations.ListDelegatedAdministratorsInput{ServicePrincipal: aws.String("detective.amazonaws.com")})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range list.DelegatedAdministrators {
		delegated = append(delegated, aws.ToString(a.Id))
	}
	return trusted, delegated
}

func TestDetectiveOrganizationAdmin(t *testing.T) {
	cfg, org := srv.SeedT(t)
	mgmt := detectiveIn(cfg, "")
	securityCfg := srv.AccountConfigT(t, org.Security)

	if got, err := admins(t, mgmt); err != nil || len(got) != 0 {
		t.Fatalf("ListOrganizationAdminAccounts before any: %+v, %v", got, err)
	}
	// Only the management account designates and lists the administrator.
	security := detectiveIn(securityCfg, "")
	wantCode(t, "Enable from a member account", enableAdmin(t, security, org.Security), "AccessDeniedException", http.StatusForbidden)
	_, err := admins(t, security)
	wantCode(t, "List from a member account", err, "AccessDeniedException", http.StatusForbidden)
	// The account must be an account ID of the organization.
	wantCode(t, "Enable 123", enableAdmin(t, mgmt, "123"), "ValidationException", http.StatusBadRequest)
	wantCode(t, "Enable an outsider", enableAdmin(t, mgmt, outsider), "ValidationException", http.StatusBadRequest)
	if trusted, delegated := detectiveInOrganizations(t, cfg); trusted || len(delegated) != 0 {
		t.Errorf("refused calls changed the organization: trusted access %v, delegated administrators %v", trusted, delegated)
	}

	before := time.Now()
	mustEnableAdmin(t, mgmt, org.Security)
	got, err := admins(t, mgmt)
	if err != nil || len(got) != 1 {
		t.Fatalf("ListOrganizationAdminAccounts: %+v, %v; want the security account", got, err)
	}
	a := got[0]
	m := graphARN.FindStringSubmatch(aws.ToString(a.GraphArn))
	if aws.ToString(a.AccountId) != org.Security || m == nil || m[1] != "us-east-1" || m[2] != org.Security {
		t.Errorf("administrator %s with graph %s, want %s with a graph of its own in us-east-1", aws.ToString(a.AccountId), aws.ToString(a.GraphArn), org.Security)
	}
	if a.DelegationTime == nil || a.DelegationTime.Before(before.Add(-time.Second)) {
		t.Errorf("DelegationTime %v, want about now", a.DelegationTime)
	}
	// The administrator got its graph, and Detective its place in Organizations.
	g := graphs(t, security)
	if len(g) != 1 || aws.ToString(g[0].Arn) != aws.ToString(a.GraphArn) {
		t.Errorf("the administrator's ListGraphs: %+v, want %s", g, aws.ToString(a.GraphArn))
	} else {
		recent(t, "CreatedTime", g[0].CreatedTime)
	}
	if trusted, delegated := detectiveInOrganizations(t, cfg); !trusted || !slices.Equal(delegated, []string{org.Security}) {
		t.Errorf("after the designation: trusted access %v, delegated administrators %v; want true, [%s]", trusted, delegated, org.Security)
	}

	// Designating it again changes nothing.
	mustEnableAdmin(t, mgmt, org.Security)
	if again, _ := admins(t, mgmt); len(again) != 1 || aws.ToString(again[0].GraphArn) != aws.ToString(a.GraphArn) {
		t.Errorf("after designating it again: %+v", again)
	}
	// Another account while security is the administrator in the region.
	err = enableAdmin(t, mgmt, org.LogArchive)
	wantCode(t, "Enable a second administrator", err, "ValidationException", http.StatusBadRequest)
	if err != nil && !strings.Contains(err.Error(), org.Security) {
		t.Errorf("the error does not name the administrator %s: %v", org.Security, err)
	}
	// In another region only the delegated administrator or the management
	// account may be designated.
	west := detectiveIn(cfg, "eu-west-1")
	wantCode(t, "Enable log-archive in eu-west-1", enableAdmin(t, west, org.LogArchive), "ValidationException", http.StatusBadRequest)
	mustEnableAdmin(t, west, org.Management)
	if got, _ := admins(t, west); len(got) != 1 || aws.ToString(got[0].AccountId) != org.Management {
		t.Errorf("administrators in eu-west-1: %+v, want the management account", got)
	}
	if len(graphs(t, detectiveIn(cfg, "eu-west-1"))) != 1 || len(graphs(t, mgmt)) != 0 {
		t.Errorf("the management account's graphs: want one in eu-west-1 and none in us-east-1")
	}
	// Where the management account is the administrator, even the delegated
	// administrator waits for its removal.
	err = enableAdmin(t, west, org.Security)
	wantCode(t, "Enable security where the management account is the administrator", err, "ValidationException", http.StatusBadRequest)
	if got, _ := admins(t, west); len(got) != 1 || aws.ToString(got[0].AccountId) != org.Management {
		t.Errorf("administrators in eu-west-1 after the refusal: %+v, want the management account", got)
	}
	// The management account cannot be a delegated administrator; security
	// is registered once, whatever the regions.
	mustEnableAdmin(t, detectiveIn(cfg, "ap-southeast-2"), org.Security)
	if _, delegated := detectiveInOrganizations(t, cfg); !slices.Equal(delegated, []string{org.Security}) {
		t.Errorf("delegated administrators %v, want [%s]", delegated, org.Security)
	}
	if arn := onlyGraph(t, detectiveIn(securityCfg, "ap-southeast-2")); !strings.HasPrefix(arn, "arn:aws:detective:ap-southeast-2:"+org.Security+":graph:") {
		t.Errorf("security's graph in ap-southeast-2: %s", arn)
	}
	if g := graphs(t, detectiveIn(securityCfg, "eu-west-1")); len(g) != 0 {
		t.Errorf("security has graphs in eu-west-1: %+v", g)
	}
}

func TestDetectiveWithoutOrganization(t *testing.T) {
	srv.ResetT(t)
	cfg, err := srv.AWSConfig(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	err = enableAdmin(t, detective.NewFromConfig(cfg), "210987654321")
	wantCode(t, "Enable without an organization", err, "AccessDeniedException", http.StatusForbidden)
}

func TestDetectiveOrganizationConfiguration(t *testing.T) {
	cfg, org := srv.SeedT(t)
	mustEnableAdmin(t, detectiveIn(cfg, ""), org.Security)
	security := detectiveIn(srv.AccountConfigT(t, org.Security), "")
	graph := onlyGraph(t, security)

	describe := func(api *detective.Client, arn string) (bool, error) {
		out, err := api.DescribeOrganizationConfiguration(ctx(t), &detective.DescribeOrganizationConfigurationInput{GraphArn: aws.String(arn)})
		if err != nil {
			return false, err
		}
		return out.AutoEnable, nil
	}
	update := func(api *detective.Client, arn string, on bool) error {
		_, err := api.UpdateOrganizationConfiguration(ctx(t), &detective.UpdateOrganizationConfigurationInput{GraphArn: aws.String(arn), AutoEnable: on})
		return err
	}
	if on, err := describe(security, graph); err != nil || on {
		t.Fatalf("AutoEnable at first: %v, %v; want false", on, err)
	}
	if err := update(security, graph, true); err != nil {
		t.Fatal(err)
	}
	if on, err := describe(security, graph); err != nil || !on {
		t.Errorf("AutoEnable after the update: %v, %v; want true", on, err)
	}

	// Only the organization's Detective administrator may read or change it.
	mgmt := detectiveIn(cfg, "")
	_, err := describe(mgmt, graph)
	wantCode(t, "Describe from the management account", err, "AccessDeniedException", http.StatusForbidden)
	logArchive := detectiveIn(srv.AccountConfigT(t, org.LogArchive), "")
	wantCode(t, "Update from log-archive", update(logArchive, graph, false), "AccessDeniedException", http.StatusForbidden)
	// An account's own graph is not the organization's.
	own, err := logArchive.CreateGraph(ctx(t), &detective.CreateGraphInput{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = describe(logArchive, aws.ToString(own.GraphArn))
	wantCode(t, "Describe of a graph that is not the organization's", err, "AccessDeniedException", http.StatusForbidden)
	// In another region security is no administrator.
	_, err = describe(detectiveIn(srv.AccountConfigT(t, org.Security), "eu-west-1"), graph)
	wantCode(t, "Describe in eu-west-1", err, "AccessDeniedException", http.StatusForbidden)

	var invalid *dtypes.ValidationException
	if err := update(security, "arn:aws:detective:us-east-1:"+org.Security+":graph:nothex", false); !errors.As(err, &invalid) || invalid.ErrorCode_ != dtypes.ErrorCodeInvalidGraphArn {
		t.Errorf("Update with a malformed ARN: err %v, want ValidationException INVALID_GRAPH_ARN", err)
	}
	other := "arn:aws:detective:us-east-1:" + org.Security + ":graph:" + strings.Repeat("0", 32)
	wantCode(t, "Update of another graph", update(security, other, false), "ValidationException", http.StatusBadRequest)
	if on, err := describe(security, graph); err != nil || !on {
		t.Errorf("AutoEnable after refused updates: %v, %v; want true", on, err)
	}
}

func TestDetectiveOrganizationMembers(t *testing.T) {
	cfg, org := srv.SeedT(t)
	mustEnableAdmin(t, detectiveIn(cfg, ""), org.Security)
	security := detectiveIn(srv.AccountConfigT(t, org.Security), "")
	graph := onlyGraph(t, security)

	var accounts []dtypes.Account
	for _, a := range org.Accounts {
		accounts = append(accounts, account(a.ID, a.Email))
	}
	accounts = append(accounts, account(outsider, "outsider@example.org"), account(org.LogArchive, "again@example.com"))
	out := createMembers(t, security, graph, accounts...)

	got := byAccount(out.Members)
	for _, a := range org.Accounts {
		if a.ID == org.Security {
			continue
		}
		m, ok := got[a.ID]
		if !ok {
			t.Errorf("organization account %s (%s) is not among the members", a.ID, a.Name)
			continue
		}
		if m.Status != dtypes.MemberStatusEnabled || m.InvitationType != dtypes.InvitationTypeOrganization ||
			aws.ToString(m.GraphArn) != graph || aws.ToString(m.AdministratorId) != org.Security ||
			aws.ToString(m.EmailAddress) != a.Email || m.InvitedTime != nil {
			t.Errorf("member %s: status %s type %s graph %s administrator %s email %s invited %v",
				a.ID, m.Status, m.InvitationType, aws.ToString(m.GraphArn), aws.ToString(m.AdministratorId), aws.ToString(m.EmailAddress), m.InvitedTime)
		}
		recent(t, "UpdatedTime of "+a.ID, m.UpdatedTime)
	}
	if m := got[outsider]; m.Status != dtypes.MemberStatusInvited || m.InvitationType != dtypes.InvitationTypeInvitation {
		t.Errorf("the account outside the organization: status %s type %s, want INVITED INVITATION", m.Status, m.InvitationType)
	} else {
		recent(t, "InvitedTime", got[outsider].InvitedTime)
	}
	if len(out.Members) != len(org.Accounts) {
		t.Errorf("%d members, want %d (every account but security, and the outsider)", len(out.Members), len(org.Accounts))
	}
	// The administrator itself and the account given twice.
	if ids := unprocessedIDs(out.UnprocessedAccounts); !slices.Equal(ids, []string{org.Security, org.LogArchive}) {
		t.Errorf("UnprocessedAccounts %v, want [%s %s]", ids, org.Security, org.LogArchive)
	}

	// Members are not created twice.
	again := createMembers(t, security, graph, account(org.Workloads[0], ""), account(outsider, "outsider@example.org"))
	if len(again.Members) != 0 || !slices.Equal(unprocessedIDs(again.UnprocessedAccounts), []string{org.Workloads[0], outsider}) {
		t.Errorf("CreateMembers of members: members %+v unprocessed %v", again.Members, unprocessedIDs(again.UnprocessedAccounts))
	}
	// An invitation needs an email address; organization accounts do not.
	noEmail := createMembers(t, security, graph, account("111111111111", ""))
	if len(noEmail.Members) != 0 || !slices.Equal(unprocessedIDs(noEmail.UnprocessedAccounts), []string{"111111111111"}) {
		t.Errorf("invitation without email: members %+v unprocessed %v", noEmail.Members, unprocessedIDs(noEmail.UnprocessedAccounts))
	}
	_, err := security.CreateMembers(ctx(t), &detective.CreateMembersInput{GraphArn: aws.String(graph), Accounts: []dtypes.Account{account("12345", "x@example.com")}})
	wantCode(t, "CreateMembers of account 12345", err, "ValidationException", http.StatusBadRequest)
	_, err = security.CreateMembers(ctx(t), &detective.CreateMembersInput{GraphArn: aws.String(graph), Accounts: []dtypes.Account{account("111111111111", "not-an-address")}})
	wantCode(t, "CreateMembers with a malformed email address", err, "ValidationException", http.StatusBadRequest)
	_, err = security.CreateMembers(ctx(t), &detective.CreateMembersInput{GraphArn: aws.String(graph), Accounts: []dtypes.Account{account("111111111111", "x@example.com")}, Message: aws.String("")})
	wantCode(t, "CreateMembers with an empty message", err, "ValidationException", http.StatusBadRequest)
	many := make([]string, 51)
	for i := range many {
		many[i] = fmt.Sprintf("3%011d", i)
	}
	_, err = security.GetMembers(ctx(t), &detective.GetMembersInput{GraphArn: aws.String(graph), AccountIds: many})
	wantCode(t, "GetMembers of 51 accounts", err, "ValidationException", http.StatusBadRequest)

	list, _ := members(t, security, graph, 0)
	if len(list) != len(org.Accounts) {
		t.Errorf("ListMembers: %d members, want %d", len(list), len(org.Accounts))
	}
	gm, err := security.GetMembers(ctx(t), &detective.GetMembersInput{GraphArn: aws.String(graph), AccountIds: []string{org.LogArchive, "111111111111"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(gm.MemberDetails) != 1 || aws.ToString(gm.MemberDetails[0].AccountId) != org.LogArchive ||
		gm.MemberDetails[0].Status != dtypes.MemberStatusEnabled ||
		!slices.Equal(unprocessedIDs(gm.UnprocessedAccounts), []string{"111111111111"}) {
		t.Errorf("GetMembers: details %+v unprocessed %v", gm.MemberDetails, unprocessedIDs(gm.UnprocessedAccounts))
	}

	// Another account can neither see nor change the graph.
	logArchive := detectiveIn(srv.AccountConfigT(t, org.LogArchive), "")
	_, err = logArchive.CreateMembers(ctx(t), &detective.CreateMembersInput{GraphArn: aws.String(graph), Accounts: []dtypes.Account{account(org.Workloads[1], "")}})
	wantCode(t, "CreateMembers from log-archive", err, "AccessDeniedException", http.StatusForbidden)
	_, err = logArchive.ListMembers(ctx(t), &detective.ListMembersInput{GraphArn: aws.String(graph)})
	wantCode(t, "ListMembers from log-archive", err, "AccessDeniedException", http.StatusForbidden)
	_, err = detectiveIn(srv.AccountConfigT(t, org.Security), "eu-west-1").ListMembers(ctx(t), &detective.ListMembersInput{GraphArn: aws.String(graph)})
	wantCode(t, "ListMembers of the graph from eu-west-1", err, "ResourceNotFoundException", http.StatusNotFound)
	missing := "arn:aws:detective:us-east-1:" + org.Security + ":graph:" + strings.Repeat("a", 32)
	_, err = security.GetMembers(ctx(t), &detective.GetMembersInput{GraphArn: aws.String(missing), AccountIds: []string{org.LogArchive}})
	wantCode(t, "GetMembers of a missing graph", err, "ResourceNotFoundException", http.StatusNotFound)
}

func TestDetectiveInvitations(t *testing.T) {
	cfg, org := srv.SeedT(t)
	aCfg, bCfg := srv.AccountConfigT(t, org.Workloads[0]), srv.AccountConfigT(t, org.Workloads[1])
	admin, invitee := detectiveIn(aCfg, ""), detectiveIn(bCfg, "")

	created, err := admin.CreateGraph(ctx(t), &detective.CreateGraphInput{Tags: map[string]string{"team": "security"}})
	if err != nil {
		t.Fatal(err)
	}
	graph := aws.ToString(created.GraphArn)
	if m := graphARN.FindStringSubmatch(graph); m == nil || m[1] != "us-east-1" || m[2] != org.Workloads[0] {
		t.Errorf("CreateGraph: %s", graph)
	}
	if again, err := admin.CreateGraph(ctx(t), &detective.CreateGraphInput{}); err != nil || aws.ToString(again.GraphArn) != graph {
		t.Errorf("CreateGraph again: %v, %v; want the same graph %s", again, err, graph)
	}
	if got := onlyGraph(t, admin); got != graph {
		t.Errorf("ListGraphs: %s, want %s", got, graph)
	}

	// In a graph that is not the organization's, accounts of the
	// organization are invited too.
	emailB := org.Accounts[slices.IndexFunc(org.Accounts, func(a motorig.Account) bool { return a.ID == org.Workloads[1] })].Email
	out := createMembers(t, admin, graph, account(org.Workloads[1], emailB), account(outsider, "outsider@example.org"))
	if len(out.Members) != 2 || len(out.UnprocessedAccounts) != 0 {
		t.Fatalf("CreateMembers: members %+v unprocessed %v", out.Members, unprocessedIDs(out.UnprocessedAccounts))
	}
	for _, m := range out.Members {
		if m.Status != dtypes.MemberStatusInvited || m.InvitationType != dtypes.InvitationTypeInvitation {
			t.Errorf("member %s: %s %s, want INVITED INVITATION", aws.ToString(m.AccountId), m.Status, m.InvitationType)
		}
	}

	invitations := func(api *detective.Client) []dtypes.MemberDetail {
		t.Helper()
		out, err := api.ListInvitations(ctx(t), &detective.ListInvitationsInput{})
		if err != nil {
			t.Fatalf("ListInvitations: %v", err)
		}
		return out.Invitations
	}
	inv := invitations(invitee)
	if len(inv) != 1 || aws.ToString(inv[0].GraphArn) != graph || aws.ToString(inv[0].AdministratorId) != org.Workloads[0] ||
		aws.ToString(inv[0].AccountId) != org.Workloads[1] || inv[0].Status != dtypes.MemberStatusInvited {
		t.Fatalf("ListInvitations of the invitee: %+v", inv)
	}
	if inv := invitations(detectiveIn(bCfg, "eu-west-1")); len(inv) != 0 {
		t.Errorf("ListInvitations of the invitee in eu-west-1: %+v", inv)
	}
	cCfg := srv.AccountConfigT(t, org.Workloads[2])
	if inv := invitations(detectiveIn(cCfg, "")); len(inv) != 0 {
		t.Errorf("ListInvitations of an account not invited: %+v", inv)
	}
	accept := func(api *detective.Client, arn string) error {
		_, err := api.AcceptInvitation(ctx(t), &detective.AcceptInvitationInput{GraphArn: aws.String(arn)})
		return err
	}
	wantCode(t, "Accept without an invitation", accept(detectiveIn(cCfg, ""), graph), "ResourceNotFoundException", http.StatusNotFound)
	wantCode(t, "Accept in another region", accept(detectiveIn(bCfg, "eu-west-1"), graph), "ResourceNotFoundException", http.StatusNotFound)
	wantCode(t, "Accept with a malformed ARN", accept(invitee, "graph"), "ValidationException", http.StatusBadRequest)

	if err := accept(invitee, graph); err != nil {
		t.Fatalf("AcceptInvitation: %v", err)
	}
	wantCode(t, "Accept again", accept(invitee, graph), "ConflictException", http.StatusConflict)
	list, _ := members(t, admin, graph, 0)
	got := byAccount(list)
	if got[org.Workloads[1]].Status != dtypes.MemberStatusEnabled || got[outsider].Status != dtypes.MemberStatusInvited {
		t.Errorf("after the acceptance: %s is %s, the outsider %s; want ENABLED and INVITED",
			org.Workloads[1], got[org.Workloads[1]].Status, got[outsider].Status)
	}
	if inv := invitations(invitee); len(inv) != 1 || inv[0].Status != dtypes.MemberStatusEnabled {
		t.Errorf("ListInvitations after the acceptance: %+v, want the accepted invitation", inv)
	}

	// Designated as the organization's administrator, the account keeps its
	// graph, which becomes the organization's: its members of the
	// organization become organization members.
	mustEnableAdmin(t, detectiveIn(cfg, ""), org.Workloads[0])
	if a, err := admins(t, detectiveIn(cfg, "")); err != nil || len(a) != 1 || aws.ToString(a[0].GraphArn) != graph {
		t.Errorf("administrators: %+v, %v; want %s with graph %s", a, err, org.Workloads[0], graph)
	}
	list, _ = members(t, admin, graph, 0)
	got = byAccount(list)
	if m := got[org.Workloads[1]]; m.InvitationType != dtypes.InvitationTypeOrganization || m.Status != dtypes.MemberStatusEnabled {
		t.Errorf("the organization's member %s: %s %s, want ORGANIZATION ENABLED", org.Workloads[1], m.InvitationType, m.Status)
	}
	if m := got[outsider]; m.InvitationType != dtypes.InvitationTypeInvitation || m.Status != dtypes.MemberStatusInvited {
		t.Errorf("the outsider: %s %s, want INVITATION INVITED", m.InvitationType, m.Status)
	}
	// The organization member still sees the graph's administrator in its
	// invitations, and has nothing left to accept.
	if inv := invitations(invitee); len(inv) != 1 || inv[0].InvitationType != dtypes.InvitationTypeOrganization || aws.ToString(inv[0].AdministratorId) != org.Workloads[0] {
		t.Errorf("ListInvitations of the organization member: %+v", inv)
	}
	wantCode(t, "Accept an organization membership", accept(invitee, graph), "ConflictException", http.StatusConflict)
}

func TestDetectivePaging(t *testing.T) {
	cfg, org := srv.SeedT(t)
	mustEnableAdmin(t, detectiveIn(cfg, ""), org.Security)
	security := detectiveIn(srv.AccountConfigT(t, org.Security), "")
	graph := onlyGraph(t, security)

	var want []string
	var accounts []dtypes.Account
	for i := 7; i >= 1; i-- {
		id := fmt.Sprintf("10000000000%d", i)
		want = append(want, id)
		accounts = append(accounts, account(id, fmt.Sprintf("member%d@example.org", i)))
	}
	slices.Sort(want)
	createMembers(t, security, graph, accounts...)
	list, pages := members(t, security, graph, 3)
	var ids []string
	for _, m := range list {
		ids = append(ids, aws.ToString(m.AccountId))
	}
	if !slices.Equal(ids, want) || pages != 3 {
		t.Errorf("ListMembers by 3: %v in %d pages, want %v in 3", ids, pages, want)
	}
	for _, n := range []int32{0, 201} {
		_, err := security.ListMembers(ctx(t), &detective.ListMembersInput{GraphArn: aws.String(graph), MaxResults: aws.Int32(n)})
		wantCode(t, fmt.Sprintf("ListMembers with MaxResults %d", n), err, "ValidationException", http.StatusBadRequest)
	}
	_, err := security.ListMembers(ctx(t), &detective.ListMembersInput{GraphArn: aws.String(graph), NextToken: aws.String("!!")})
	wantCode(t, "ListMembers with a bad token", err, "ValidationException", http.StatusBadRequest)

	// One graph, one administrator: one page each.
	g, err := security.ListGraphs(ctx(t), &detective.ListGraphsInput{MaxResults: aws.Int32(1)})
	if err != nil || len(g.GraphList) != 1 || g.NextToken != nil {
		t.Errorf("ListGraphs by 1: %+v, %v", g, err)
	}
	a, err := detectiveIn(cfg, "").ListOrganizationAdminAccounts(ctx(t), &detective.ListOrganizationAdminAccountsInput{MaxResults: aws.Int32(1)})
	if err != nil || len(a.Administrators) != 1 || a.NextToken != nil {
		t.Errorf("ListOrganizationAdminAccounts by 1: %+v, %v", a, err)
	}

	// Invitations of one account to three graphs, by two.
	var graphsOf []string
	for _, id := range org.Workloads {
		api := detectiveIn(srv.AccountConfigT(t, id), "")
		out, err := api.CreateGraph(ctx(t), &detective.CreateGraphInput{})
		if err != nil {
			t.Fatal(err)
		}
		createMembers(t, api, aws.ToString(out.GraphArn), account(org.LogArchive, "log-archive@example.com"))
		graphsOf = append(graphsOf, aws.ToString(out.GraphArn))
	}
	slices.Sort(graphsOf)
	var seen []string
	pages = 0
	p := detective.NewListInvitationsPaginator(detectiveIn(srv.AccountConfigT(t, org.LogArchive), ""), &detective.ListInvitationsInput{MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, inv := range page.Invitations {
			seen = append(seen, aws.ToString(inv.GraphArn))
		}
	}
	if !slices.Equal(seen, graphsOf) || pages != 2 {
		t.Errorf("ListInvitations by 2: %v in %d pages, want %v in 2", seen, pages, graphsOf)
	}
}

func TestDetectiveMemberQuota(t *testing.T) {
	cfg, _ := srv.SeedT(t)
	api := detectiveIn(cfg, "")
	out, err := api.CreateGraph(ctx(t), &detective.CreateGraphInput{})
	if err != nil {
		t.Fatal(err)
	}
	graph := aws.ToString(out.GraphArn)
	n := 0
	batch := func(size int) []dtypes.Account {
		var b []dtypes.Account
		for range size {
			n++
			b = append(b, account(fmt.Sprintf("2%011d", n), fmt.Sprintf("m%d@example.org", n)))
		}
		return b
	}
	for range 1200 / 50 {
		if got := createMembers(t, api, graph, batch(50)...); len(got.Members) != 50 {
			t.Fatalf("CreateMembers: %d members, want 50; unprocessed %d, the first %s: %s", len(got.Members), len(got.UnprocessedAccounts), aws.ToString(got.UnprocessedAccounts[0].AccountId), aws.ToString(got.UnprocessedAccounts[0].Reason))
		}
	}
	_, err = api.CreateMembers(ctx(t), &detective.CreateMembersInput{GraphArn: aws.String(graph), Accounts: batch(1)})
	var quota *dtypes.ServiceQuotaExceededException
	if !errors.As(err, &quota) || httpStatus(err) != http.StatusPaymentRequired {
		t.Errorf("member 1,201: err %v, want HTTP 402 ServiceQuotaExceededException", err)
	}
	_, err = api.CreateMembers(ctx(t), &detective.CreateMembersInput{GraphArn: aws.String(graph), Accounts: batch(51)})
	wantCode(t, "CreateMembers of 51 accounts", err, "ValidationException", http.StatusBadRequest)

	list, pages := members(t, api, graph, 0)
	if len(list) != 1200 || pages != 6 {
		t.Errorf("ListMembers: %d members in %d pages, want 1200 in 6 of 200", len(list), pages)
	}
}

func TestDetectiveRefused(t *testing.T) {
	cfg, org := srv.SeedT(t)
	fake := srv.FakeAWS()
	fake.RefuseDetective(true)
	t.Cleanup(func() { fake.RefuseDetective(false) })
	mgmt := detectiveIn(cfg, "")
	security := detectiveIn(srv.AccountConfigT(t, org.Security), "")

	err := enableAdmin(t, mgmt, org.Security)
	wantCode(t, "Enable while refused", err, "ValidationException", http.StatusBadRequest)
	if err != nil && !strings.Contains(err.Error(), "GuardDuty") {
		t.Errorf("the refusal does not name GuardDuty: %v", err)
	}
	_, err = security.CreateGraph(ctx(t), &detective.CreateGraphInput{})
	wantCode(t, "CreateGraph while refused", err, "ValidationException", http.StatusBadRequest)
	if a, err := admins(t, mgmt); err != nil || len(a) != 0 {
		t.Errorf("administrators after the refusals: %+v, %v", a, err)
	}
	if g := graphs(t, security); len(g) != 0 {
		t.Errorf("graphs after the refusals: %+v", g)
	}
	if trusted, delegated := detectiveInOrganizations(t, cfg); trusted || len(delegated) != 0 {
		t.Errorf("the refusals changed the organization: trusted access %v, delegated administrators %v", trusted, delegated)
	}

	// An account that has Detective already is designated without enabling it.
	fake.RefuseDetective(false)
	logArchive := detectiveIn(srv.AccountConfigT(t, org.LogArchive), "")
	if _, err := logArchive.CreateGraph(ctx(t), &detective.CreateGraphInput{}); err != nil {
		t.Fatal(err)
	}
	fake.RefuseDetective(true)
	mustEnableAdmin(t, mgmt, org.LogArchive)
	if _, err := logArchive.CreateGraph(ctx(t), &detective.CreateGraphInput{}); err != nil {
		t.Errorf("CreateGraph of an existing graph while refused: %v", err)
	}

	fake.RefuseDetective(false)
	if _, err := security.CreateGraph(ctx(t), &detective.CreateGraphInput{}); err != nil {
		t.Errorf("CreateGraph after the refusal: %v", err)
	}
}

func TestDetectiveDisableOrganizationAdmin(t *testing.T) {
	cfg, org := srv.SeedT(t)
	mgmt, west := detectiveIn(cfg, ""), detectiveIn(cfg, "eu-west-1")
	securityCfg := srv.AccountConfigT(t, org.Security)
	mustEnableAdmin(t, mgmt, org.Security)
	mustEnableAdmin(t, west, org.Security)
	graph := onlyGraph(t, detectiveIn(securityCfg, ""))
	westGraph := onlyGraph(t, detectiveIn(securityCfg, "eu-west-1"))
	createMembers(t, detectiveIn(securityCfg, ""), graph, account(org.LogArchive, "log-archive@example.com"))

	// Only the management account removes the administrator.
	_, err := detectiveIn(securityCfg, "").DisableOrganizationAdminAccount(ctx(t), &detective.DisableOrganizationAdminAccountInput{})
	wantCode(t, "Disable from a member account", err, "AccessDeniedException", http.StatusForbidden)
	if got, _ := admins(t, mgmt); len(got) != 1 {
		t.Fatalf("a refused disable changed the administrators: %+v", got)
	}

	if _, err := mgmt.DisableOrganizationAdminAccount(ctx(t), &detective.DisableOrganizationAdminAccountInput{}); err != nil {
		t.Fatalf("DisableOrganizationAdminAccount: %v", err)
	}
	if got, err := admins(t, mgmt); err != nil || len(got) != 0 {
		t.Errorf("administrators in us-east-1 after the disable: %+v, %v; want none", got, err)
	}
	// The organization behavior graph is deleted, with its memberships.
	if g := graphs(t, detectiveIn(securityCfg, "")); len(g) != 0 {
		t.Errorf("the security account's graphs in us-east-1: %+v, want none", g)
	}
	inv, err := detectiveIn(srv.AccountConfigT(t, org.LogArchive), "").ListInvitations(ctx(t), &detective.ListInvitationsInput{})
	if err != nil || len(inv.Invitations) != 0 {
		t.Errorf("the former member's invitations: %+v, %v; want none", inv, err)
	}
	// Other regions keep their administrator and graph.
	if got, _ := admins(t, west); len(got) != 1 || aws.ToString(got[0].AccountId) != org.Security || aws.ToString(got[0].GraphArn) != westGraph {
		t.Errorf("administrators in eu-west-1: %+v, want %s with %s", got, org.Security, westGraph)
	}
	// Organizations keeps the delegated administrator and trusted access.
	if trusted, delegated := detectiveInOrganizations(t, cfg); !trusted || !slices.Equal(delegated, []string{org.Security}) {
		t.Errorf("after the disable: trusted access %v, delegated administrators %v; want true, [%s]", trusted, delegated, org.Security)
	}
	// Again, in a region without an administrator: no change, no error.
	if _, err := mgmt.DisableOrganizationAdminAccount(ctx(t), &detective.DisableOrganizationAdminAccountInput{}); err != nil {
		t.Errorf("DisableOrganizationAdminAccount again: %v", err)
	}
	if got, _ := admins(t, west); len(got) != 1 {
		t.Errorf("the second disable in us-east-1 changed eu-west-1: %+v", got)
	}
	// Designated again, the account gets a new graph.
	mustEnableAdmin(t, mgmt, org.Security)
	if again := onlyGraph(t, detectiveIn(securityCfg, "")); again == graph {
		t.Errorf("designated again, the administrator has the deleted graph %s", graph)
	}
}
