package fakeaws_test

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/local/motorig"
)

// The default standards and their ARNs.
const (
	cisV120 = "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0"
	nist53  = "standards/nist-800-53/v/5.0.0"
)

// fsbpIn is the ARN of AWS Foundational Security Best Practices v1.0.0 in
// region.
func fsbpIn(region string) string {
	return "arn:aws:securityhub:" + region + "::standards/aws-foundational-security-best-practices/v/1.0.0"
}

// hubIn is a Security Hub client of cfg in region ("" for cfg's own).
func hubIn(cfg aws.Config, region string) *securityhub.Client {
	if region != "" {
		cfg = awsclient.WithRegion(cfg, region)
	}
	return securityhub.NewFromConfig(cfg)
}

func enableHub(t *testing.T, api *securityhub.Client, defaults bool) error {
	t.Helper()
	_, err := api.EnableSecurityHub(ctx(t), &securityhub.EnableSecurityHubInput{EnableDefaultStandards: aws.Bool(defaults)})
	return err
}

func mustEnableHub(t *testing.T, api *securityhub.Client, defaults bool) {
	t.Helper()
	if err := enableHub(t, api, defaults); err != nil {
		t.Fatalf("EnableSecurityHub: %v", err)
	}
}

// enabledStandards lists api's standards subscriptions, page by page of
// size (0 for the default), and returns them with the number of pages.
func enabledStandards(t *testing.T, api *securityhub.Client, size int32) ([]shtypes.StandardsSubscription, int) {
	t.Helper()
	in := &securityhub.GetEnabledStandardsInput{}
	if size > 0 {
		in.MaxResults = aws.Int32(size)
	}
	var all []shtypes.StandardsSubscription
	pages := 0
	p := securityhub.NewGetEnabledStandardsPaginator(api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("GetEnabledStandards: %v", err)
		}
		pages++
		all = append(all, page.StandardsSubscriptions...)
	}
	return all, pages
}

// standardsOf returns the standards ARNs of subscriptions, sorted, each with
// its status.
func standardsOf(subs []shtypes.StandardsSubscription) []string {
	var out []string
	for _, s := range subs {
		out = append(out, aws.ToString(s.StandardsArn)+" "+string(s.StandardsStatus))
	}
	slices.Sort(out)
	return out
}

func enableHubAdmin(t *testing.T, api *securityhub.Client, account string) error {
	t.Helper()
	_, err := api.EnableOrganizationAdminAccount(ctx(t), &securityhub.EnableOrganizationAdminAccountInput{AdminAccountId: aws.String(account)})
	return err
}

func mustEnableHubAdmin(t *testing.T, api *securityhub.Client, account string) {
	t.Helper()
	if err := enableHubAdmin(t, api, account); err != nil {
		t.Fatalf("EnableOrganizationAdminAccount %s: %v", account, err)
	}
}

// hubAdmins lists the Security Hub administrator accounts api's account
// sees, as ACCOUNT STATUS.
func hubAdmins(t *testing.T, api *securityhub.Client) ([]string, error) {
	t.Helper()
	var all []string
	p := securityhub.NewListOrganizationAdminAccountsPaginator(api, &securityhub.ListOrganizationAdminAccountsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx(t))
		if err != nil {
			return nil, err
		}
		for _, a := range page.AdminAccounts {
			all = append(all, aws.ToString(a.AccountId)+" "+string(a.Status))
		}
	}
	return all, nil
}

// hubInOrganizations reports whether the organization has trusted access
// for securityhub.amazonaws.com, and Security Hub's delegated
// administrators.
func hubInOrganizations(t *testing.T, mgmt aws.Config) (trusted bool, delegated []string) {
	t.Helper()
	orgs := organizations.NewFromConfig(mgmt)
	access, err := orgs.ListAWSServiceAccessForOrganization(ctx(t), &organizations.ListAWSServiceAccessForOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	trusted = slices.ContainsFunc(access.EnabledServicePrincipals, func(p orgtypes.EnabledServicePrincipal) bool {
		return aws.ToString(p.ServicePrincipal) == "securityhub.amazonaws.com"
	})
	list, err := orgs.ListDelegatedAdministrators(ctx(t), &organizations.ListDelegatedAdministratorsInput{ServicePrincipal: aws.String("securityhub.amazonaws.com")})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range list.DelegatedAdministrators {
		delegated = append(delegated, aws.ToString(a.Id))
	}
	return trusted, delegated
}

func TestSecurityHubEnable(t *testing.T) {
	cfg, org := srv.SeedT(t)
	api := hubIn(cfg, "")

	_, err := api.DescribeHub(ctx(t), &securityhub.DescribeHubInput{})
	wantCode(t, "DescribeHub before enabling", err, "InvalidAccessException", http.StatusUnauthorized)
	_, err = api.GetEnabledStandards(ctx(t), &securityhub.GetEnabledStandardsInput{})
	wantCode(t, "GetEnabledStandards before enabling", err, "InvalidAccessException", http.StatusUnauthorized)

	mustEnableHub(t, api, true)
	var conflict *shtypes.ResourceConflictException
	if err := enableHub(t, api, true); !errors.As(err, &conflict) || httpStatus(err) != http.StatusConflict {
		t.Errorf("EnableSecurityHub again: err %v, want HTTP 409 ResourceConflictException", err)
	}
	hub, err := api.DescribeHub(ctx(t), &securityhub.DescribeHubInput{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:securityhub:us-east-1:" + motorig.ManagementAccountID + ":hub/default"; aws.ToString(hub.HubArn) != want ||
		hub.ControlFindingGenerator != shtypes.ControlFindingGeneratorSecurityControl || !aws.ToBool(hub.AutoEnableControls) {
		t.Errorf("DescribeHub: arn %s generator %s auto-enable controls %v", aws.ToString(hub.HubArn), hub.ControlFindingGenerator, aws.ToBool(hub.AutoEnableControls))
	}
	if !strings.HasPrefix(aws.ToString(hub.SubscribedAt), "20") || !strings.HasSuffix(aws.ToString(hub.SubscribedAt), "Z") {
		t.Errorf("SubscribedAt %q, want an ISO 8601 time", aws.ToString(hub.SubscribedAt))
	}
	_, err = api.DescribeHub(ctx(t), &securityhub.DescribeHubInput{HubArn: aws.String("arn:aws:securityhub:us-east-1:" + org.Security + ":hub/default")})
	wantCode(t, "DescribeHub of another hub", err, "ResourceNotFoundException", http.StatusNotFound)

	// The default standards, READY when read.
	subs, _ := enabledStandards(t, api, 0)
	if got, want := standardsOf(subs), []string{cisV120 + " READY", fsbpIn("us-east-1") + " READY"}; !slices.Equal(got, want) {
		t.Errorf("default standards %v, want %v", got, want)
	}
	for _, s := range subs {
		if arn := aws.ToString(s.StandardsSubscriptionArn); !regexp.MustCompile(`^arn:aws:securityhub:us-east-1:` + motorig.ManagementAccountID +
			`:subscription/(aws-foundational-security-best-practices|cis-aws-foundations-benchmark)/v/1\.[02]\.0$`).MatchString(arn) {
			t.Errorf("subscription ARN %s", arn)
		}
	}

	// Security Hub is per account and Region.
	west := hubIn(cfg, "eu-west-1")
	_, err = west.DescribeHub(ctx(t), &securityhub.DescribeHubInput{})
	wantCode(t, "DescribeHub in eu-west-1", err, "InvalidAccessException", http.StatusUnauthorized)
	security := hubIn(srv.AccountConfigT(t, org.Security), "")
	_, err = security.DescribeHub(ctx(t), &securityhub.DescribeHubInput{})
	wantCode(t, "DescribeHub of security", err, "InvalidAccessException", http.StatusUnauthorized)
	if _, err := west.EnableSecurityHub(ctx(t), &securityhub.EnableSecurityHubInput{
		EnableDefaultStandards: aws.Bool(false), ControlFindingGenerator: shtypes.ControlFindingGeneratorStandardControl,
	}); err != nil {
		t.Fatal(err)
	}
	if subs, _ := enabledStandards(t, west, 0); len(subs) != 0 {
		t.Errorf("standards with EnableDefaultStandards false: %v", standardsOf(subs))
	}
	if hub, err := west.DescribeHub(ctx(t), &securityhub.DescribeHubInput{}); err != nil || hub.ControlFindingGenerator != shtypes.ControlFindingGeneratorStandardControl {
		t.Errorf("DescribeHub in eu-west-1: %+v, %v; want STANDARD_CONTROL", hub, err)
	}
	_, err = security.EnableSecurityHub(ctx(t), &securityhub.EnableSecurityHubInput{ControlFindingGenerator: "EVERY_CONTROL"})
	wantCode(t, "EnableSecurityHub with a bad generator", err, "InvalidInputException", http.StatusBadRequest)
}

func TestSecurityHubStandards(t *testing.T) {
	cfg, _ := srv.SeedT(t)
	api := hubIn(cfg, "")
	mustEnableHub(t, api, false)

	enable := func(arns ...string) (*securityhub.BatchEnableStandardsOutput, error) {
		var reqs []shtypes.StandardsSubscriptionRequest
		for _, a := range arns {
			reqs = append(reqs, shtypes.StandardsSubscriptionRequest{StandardsArn: aws.String(a)})
		}
		return api.BatchEnableStandards(ctx(t), &securityhub.BatchEnableStandardsInput{StandardsSubscriptionRequests: reqs})
	}
	nist := "arn:aws:securityhub:us-east-1::" + nist53
	out, err := enable(fsbpIn("us-east-1"), nist)
	if err != nil {
		t.Fatal(err)
	}
	if got := standardsOf(out.StandardsSubscriptions); !slices.Equal(got, []string{fsbpIn("us-east-1") + " PENDING", nist + " PENDING"}) {
		t.Errorf("BatchEnableStandards answered %v, want both PENDING", got)
	}
	subs, _ := enabledStandards(t, api, 0)
	if got := standardsOf(subs); !slices.Equal(got, []string{fsbpIn("us-east-1") + " READY", nist + " READY"}) {
		t.Errorf("after one read: %v, want both READY", got)
	}
	// Enabling an enabled standard again answers it as it is.
	if out, err := enable(nist, cisV120); err != nil || !slices.Equal(standardsOf(out.StandardsSubscriptions), []string{cisV120 + " PENDING", nist + " READY"}) {
		t.Errorf("BatchEnableStandards of an enabled one: %v, %v", standardsOf(out.StandardsSubscriptions), err)
	}

	// Refusals change nothing.
	_, err = enable(fsbpIn("us-east-1"), fsbpIn("eu-west-1"))
	wantCode(t, "a standard of another Region", err, "InvalidInputException", http.StatusBadRequest)
	_, err = enable("arn:aws:securityhub:us-east-1::standards/made-up/v/1.0.0")
	wantCode(t, "an unknown standard", err, "InvalidInputException", http.StatusBadRequest)
	many := make([]string, 26)
	for i := range many {
		many[i] = nist
	}
	_, err = enable(many...)
	wantCode(t, "26 standards", err, "InvalidInputException", http.StatusBadRequest)
	if subs, _ := enabledStandards(t, api, 0); len(subs) != 3 {
		t.Errorf("after the refusals: %v, want 3 standards", standardsOf(subs))
	}

	// Paging and the filter by subscription.
	all, pages := enabledStandards(t, api, 1)
	if len(all) != 3 || pages != 3 {
		t.Errorf("GetEnabledStandards by 1: %d in %d pages, want 3 in 3", len(all), pages)
	}
	for _, n := range []int32{0, 101} {
		_, err := api.GetEnabledStandards(ctx(t), &securityhub.GetEnabledStandardsInput{MaxResults: aws.Int32(n)})
		wantCode(t, fmt.Sprintf("GetEnabledStandards with MaxResults %d", n), err, "InvalidInputException", http.StatusBadRequest)
	}
	_, err = api.GetEnabledStandards(ctx(t), &securityhub.GetEnabledStandardsInput{NextToken: aws.String("!!")})
	wantCode(t, "GetEnabledStandards with a bad token", err, "InvalidInputException", http.StatusBadRequest)
	nistSub := ""
	for _, s := range all {
		if aws.ToString(s.StandardsArn) == nist {
			nistSub = aws.ToString(s.StandardsSubscriptionArn)
		}
	}
	one, err := api.GetEnabledStandards(ctx(t), &securityhub.GetEnabledStandardsInput{StandardsSubscriptionArns: []string{nistSub}})
	if err != nil || len(one.StandardsSubscriptions) != 1 || aws.ToString(one.StandardsSubscriptions[0].StandardsArn) != nist {
		t.Errorf("GetEnabledStandards of %s: %+v, %v", nistSub, one, err)
	}

	// Disabling answers DELETING, and the standard is gone.
	_, err = api.BatchDisableStandards(ctx(t), &securityhub.BatchDisableStandardsInput{StandardsSubscriptionArns: []string{nistSub + "-x"}})
	wantCode(t, "BatchDisableStandards of an unknown subscription", err, "InvalidInputException", http.StatusBadRequest)
	off, err := api.BatchDisableStandards(ctx(t), &securityhub.BatchDisableStandardsInput{StandardsSubscriptionArns: []string{nistSub}})
	if err != nil || !slices.Equal(standardsOf(off.StandardsSubscriptions), []string{nist + " DELETING"}) {
		t.Errorf("BatchDisableStandards: %v, %v", standardsOf(off.StandardsSubscriptions), err)
	}
	if subs, _ := enabledStandards(t, api, 0); !slices.Equal(standardsOf(subs), []string{cisV120 + " READY", fsbpIn("us-east-1") + " READY"}) {
		t.Errorf("after disabling: %v", standardsOf(subs))
	}
}

func TestSecurityHubOrganizationAdmin(t *testing.T) {
	cfg, org := srv.SeedT(t)
	mgmt := hubIn(cfg, "")
	securityCfg := srv.AccountConfigT(t, org.Security)
	security := hubIn(securityCfg, "")

	if got, err := hubAdmins(t, mgmt); err != nil || len(got) != 0 {
		t.Fatalf("ListOrganizationAdminAccounts before any: %v, %v", got, err)
	}
	// Only the management account designates and lists the administrator.
	wantCode(t, "Enable from a member account", enableHubAdmin(t, security, org.Security), "InvalidAccessException", http.StatusUnauthorized)
	_, err := hubAdmins(t, security)
	wantCode(t, "List from a member account", err, "InvalidAccessException", http.StatusUnauthorized)
	// The account must be an account ID of the organization.
	wantCode(t, "Enable 123", enableHubAdmin(t, mgmt, "123"), "InvalidInputException", http.StatusBadRequest)
	wantCode(t, "Enable an outsider", enableHubAdmin(t, mgmt, outsider), "InvalidInputException", http.StatusBadRequest)
	_, err = mgmt.EnableOrganizationAdminAccount(ctx(t), &securityhub.EnableOrganizationAdminAccountInput{
		AdminAccountId: aws.String(org.Security), Feature: shtypes.SecurityHubFeatureSecurityHubV2,
	})
	wantCode(t, "Enable for SecurityHubV2", err, "InvalidInputException", http.StatusBadRequest)
	if trusted, delegated := hubInOrganizations(t, cfg); trusted || len(delegated) != 0 {
		t.Errorf("refused calls changed the organization: trusted access %v, delegated administrators %v", trusted, delegated)
	}

	out, err := mgmt.EnableOrganizationAdminAccount(ctx(t), &securityhub.EnableOrganizationAdminAccountInput{AdminAccountId: aws.String(org.Security)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.AdminAccountId) != org.Security || out.Feature != shtypes.SecurityHubFeatureSecurityHub {
		t.Errorf("EnableOrganizationAdminAccount answered %s %s", aws.ToString(out.AdminAccountId), out.Feature)
	}
	if got, err := hubAdmins(t, mgmt); err != nil || !slices.Equal(got, []string{org.Security + " ENABLED"}) {
		t.Errorf("ListOrganizationAdminAccounts: %v, %v; want [%s ENABLED]", got, err, org.Security)
	}
	// The designation enables Security Hub in the administrator account, in
	// the Region, with the default standards, and gives Security Hub its
	// place in Organizations.
	if _, err := security.DescribeHub(ctx(t), &securityhub.DescribeHubInput{}); err != nil {
		t.Errorf("DescribeHub of the administrator: %v", err)
	}
	if subs, _ := enabledStandards(t, security, 0); len(subs) != 2 {
		t.Errorf("the administrator's standards: %v, want the two default ones", standardsOf(subs))
	}
	_, err = hubIn(securityCfg, "eu-west-1").DescribeHub(ctx(t), &securityhub.DescribeHubInput{})
	wantCode(t, "DescribeHub of the administrator in eu-west-1", err, "InvalidAccessException", http.StatusUnauthorized)
	if trusted, delegated := hubInOrganizations(t, cfg); !trusted || !slices.Equal(delegated, []string{org.Security}) {
		t.Errorf("after the designation: trusted access %v, delegated administrators %v; want true, [%s]", trusted, delegated, org.Security)
	}

	// The same account again is no error; another one is.
	mustEnableHubAdmin(t, mgmt, org.Security)
	err = enableHubAdmin(t, mgmt, org.LogArchive)
	wantCode(t, "Enable a second administrator", err, "InvalidInputException", http.StatusBadRequest)
	if err != nil && !strings.Contains(err.Error(), org.Security) {
		t.Errorf("the error does not name the administrator %s: %v", org.Security, err)
	}
	// In another Region only Organizations' delegated administrator or the
	// management account may be designated; the management account is not
	// registered in Organizations.
	west := hubIn(cfg, "eu-west-1")
	wantCode(t, "Enable log-archive in eu-west-1", enableHubAdmin(t, west, org.LogArchive), "InvalidInputException", http.StatusBadRequest)
	mustEnableHubAdmin(t, west, org.Management)
	if got, _ := hubAdmins(t, west); !slices.Equal(got, []string{org.Management + " ENABLED"}) {
		t.Errorf("administrators in eu-west-1: %v, want the management account", got)
	}
	// Where the management account is the administrator, even the delegated
	// administrator waits for its removal.
	wantCode(t, "Enable security where the management account is the administrator", enableHubAdmin(t, west, org.Security), "InvalidInputException", http.StatusBadRequest)
	if got, _ := hubAdmins(t, west); !slices.Equal(got, []string{org.Management + " ENABLED"}) {
		t.Errorf("administrators in eu-west-1 after the refusal: %v, want the management account", got)
	}
	if _, delegated := hubInOrganizations(t, cfg); !slices.Equal(delegated, []string{org.Security}) {
		t.Errorf("delegated administrators %v, want [%s]", delegated, org.Security)
	}
	if got, _ := hubAdmins(t, mgmt); !slices.Equal(got, []string{org.Security + " ENABLED"}) {
		t.Errorf("administrators in us-east-1 after eu-west-1's: %v", got)
	}
	out2, err := mgmt.ListOrganizationAdminAccounts(ctx(t), &securityhub.ListOrganizationAdminAccountsInput{MaxResults: aws.Int32(1)})
	if err != nil || len(out2.AdminAccounts) != 1 || out2.NextToken != nil || out2.Feature != shtypes.SecurityHubFeatureSecurityHub {
		t.Errorf("ListOrganizationAdminAccounts by 1: %+v, %v", out2, err)
	}
	_, err = mgmt.ListOrganizationAdminAccounts(ctx(t), &securityhub.ListOrganizationAdminAccountsInput{MaxResults: aws.Int32(11)})
	wantCode(t, "ListOrganizationAdminAccounts with MaxResults 11", err, "InvalidInputException", http.StatusBadRequest)
}

func TestSecurityHubWithoutOrganization(t *testing.T) {
	srv.ResetT(t)
	cfg, err := srv.AWSConfig(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	err = enableHubAdmin(t, hubIn(cfg, ""), "210987654321")
	wantCode(t, "Enable without an organization", err, "InvalidAccessException", http.StatusUnauthorized)
}

// hubMembers lists api's member accounts, page by page of size (0 for the
// default), as ACCOUNT STATUS, with the number of pages.
func hubMembers(t *testing.T, api *securityhub.Client, onlyAssociated *bool, size int32) ([]string, int) {
	t.Helper()
	in := &securityhub.ListMembersInput{OnlyAssociated: onlyAssociated}
	if size > 0 {
		in.MaxResults = aws.Int32(size)
	}
	var all []string
	pages := 0
	p := securityhub.NewListMembersPaginator(api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatalf("ListMembers: %v", err)
		}
		pages++
		for _, m := range page.Members {
			all = append(all, aws.ToString(m.AccountId)+" "+aws.ToString(m.MemberStatus))
		}
	}
	return all, pages
}

func hubResults(r []shtypes.Result) []string {
	var ids []string
	for _, a := range r {
		if aws.ToString(a.ProcessingResult) == "" {
			ids = append(ids, aws.ToString(a.AccountId)+" (no reason)")
			continue
		}
		ids = append(ids, aws.ToString(a.AccountId))
	}
	return ids
}

func details(ids ...string) []shtypes.AccountDetails {
	var d []shtypes.AccountDetails
	for _, id := range ids {
		d = append(d, shtypes.AccountDetails{AccountId: aws.String(id), Email: aws.String(id + "@example.org")})
	}
	return d
}

func TestSecurityHubMembers(t *testing.T) {
	cfg, org := srv.SeedT(t)
	mustEnableHubAdmin(t, hubIn(cfg, ""), org.Security)
	security := hubIn(srv.AccountConfigT(t, org.Security), "")
	workloadA := hubIn(srv.AccountConfigT(t, org.Workloads[0]), "")
	// workload-a has Security Hub already, without standards; the
	// management account has none.
	mustEnableHub(t, workloadA, false)

	out, err := security.CreateMembers(ctx(t), &securityhub.CreateMembersInput{AccountDetails: details(append(
		[]string{org.LogArchive, org.Security, org.Management, outsider, org.LogArchive}, org.Workloads...)...)})
	if err != nil {
		t.Fatal(err)
	}
	if got := hubResults(out.UnprocessedAccounts); !slices.Equal(got, []string{org.Security, org.Management, org.LogArchive}) {
		t.Errorf("UnprocessedAccounts %v, want security (itself), the management account (no Security Hub) and log-archive (given twice: a member already)", got)
	}
	want := []string{outsider + " Created"}
	for _, id := range append([]string{org.LogArchive}, org.Workloads...) {
		want = append(want, id+" Enabled")
	}
	slices.Sort(want)
	if got, _ := hubMembers(t, security, aws.Bool(false), 0); !slices.Equal(got, want) {
		t.Errorf("ListMembers of all: %v, want %v", got, want)
	}
	if got, _ := hubMembers(t, security, nil, 0); !slices.Equal(got, slices.DeleteFunc(slices.Clone(want), func(s string) bool { return strings.HasSuffix(s, "Created") })) {
		t.Errorf("ListMembers (OnlyAssociated by default): %v", got)
	}
	// Organization accounts get Security Hub with the default standards,
	// unless they had it.
	logArchive := hubIn(srv.AccountConfigT(t, org.LogArchive), "")
	if subs, _ := enabledStandards(t, logArchive, 0); len(subs) != 2 {
		t.Errorf("log-archive's standards: %v, want the default ones", standardsOf(subs))
	}
	if subs, _ := enabledStandards(t, workloadA, 0); len(subs) != 0 {
		t.Errorf("workload-a's standards: %v, want none, as before", standardsOf(subs))
	}

	// Members once; not members of another administrator; an administrator
	// is no member.
	again, err := security.CreateMembers(ctx(t), &securityhub.CreateMembersInput{AccountDetails: details(org.LogArchive, outsider)})
	if err != nil || !slices.Equal(hubResults(again.UnprocessedAccounts), []string{org.LogArchive, outsider}) {
		t.Errorf("CreateMembers of members: %v, %v", hubResults(again.UnprocessedAccounts), err)
	}
	_, err = workloadA.CreateMembers(ctx(t), &securityhub.CreateMembersInput{AccountDetails: details("111111111111")})
	wantCode(t, "CreateMembers from a member account", err, "InvalidInputException", http.StatusBadRequest)
	mgmt := hubIn(cfg, "")
	_, err = mgmt.CreateMembers(ctx(t), &securityhub.CreateMembersInput{AccountDetails: details(org.Workloads[2])})
	wantCode(t, "CreateMembers without Security Hub", err, "InvalidAccessException", http.StatusUnauthorized)
	mustEnableHub(t, mgmt, false)
	other, err := mgmt.CreateMembers(ctx(t), &securityhub.CreateMembersInput{AccountDetails: details(org.Workloads[1], "111111111111", org.Security)})
	if err != nil || !slices.Equal(hubResults(other.UnprocessedAccounts), []string{org.Workloads[1], org.Security}) {
		t.Errorf("CreateMembers of another administrator's member and of an administrator: %v, %v", hubResults(other.UnprocessedAccounts), err)
	}
	if got, _ := hubMembers(t, mgmt, aws.Bool(false), 0); !slices.Equal(got, []string{"111111111111 Created"}) {
		t.Errorf("CreateMembers of an account that is not the organization's administrator: %v, want the account Created", got)
	}
	_, err = security.CreateMembers(ctx(t), &securityhub.CreateMembersInput{AccountDetails: details("12345")})
	wantCode(t, "CreateMembers of account 12345", err, "InvalidInputException", http.StatusBadRequest)

	gm, err := security.GetMembers(ctx(t), &securityhub.GetMembersInput{AccountIds: []string{org.LogArchive, "222222222222"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(gm.Members) != 1 || aws.ToString(gm.Members[0].AccountId) != org.LogArchive ||
		aws.ToString(gm.Members[0].MemberStatus) != "Enabled" || aws.ToString(gm.Members[0].AdministratorId) != org.Security ||
		aws.ToString(gm.Members[0].Email) != org.LogArchive+"@example.org" || gm.Members[0].UpdatedAt == nil ||
		!slices.Equal(hubResults(gm.UnprocessedAccounts), []string{"222222222222"}) {
		t.Errorf("GetMembers: members %+v unprocessed %v", gm.Members, hubResults(gm.UnprocessedAccounts))
	}

	// Paging.
	got, pages := hubMembers(t, security, aws.Bool(false), 2)
	if !slices.Equal(got, want) || pages != 3 {
		t.Errorf("ListMembers by 2: %v in %d pages, want %v in 3", got, pages, want)
	}
	for _, n := range []int32{0, 51} {
		_, err := security.ListMembers(ctx(t), &securityhub.ListMembersInput{MaxResults: aws.Int32(n)})
		wantCode(t, fmt.Sprintf("ListMembers with MaxResults %d", n), err, "InvalidInputException", http.StatusBadRequest)
	}
}
