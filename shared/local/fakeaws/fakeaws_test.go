package fakeaws_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	aatypes "github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"
	"github.com/aws/aws-sdk-go-v2/service/detective"
	"github.com/aws/aws-sdk-go-v2/service/health"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/local/motorig"
	"github.com/orgbaseline/orgbaseline/shared/local/mototest"
)

var srv *mototest.Server

func TestMain(m *testing.M) { mototest.Main(m, func(s *mototest.Server) { srv = s }) }

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// httpStatus is the HTTP status of an error answer, 0 for other errors.
func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// wantCode fails t unless err is an answer with the error code and status.
func wantCode(t *testing.T, what string, err error, code string, status int) {
	t.Helper()
	if awsclient.ErrorCode(err) != code || httpStatus(err) != status {
		t.Errorf("%s: err %v, want HTTP %d %s", what, err, status, code)
	}
}

func healthStatus(t *testing.T, api *health.Client) string {
	t.Helper()
	out, err := api.DescribeHealthServiceStatusForOrganization(ctx(t), &health.DescribeHealthServiceStatusForOrganizationInput{})
	if err != nil {
		t.Fatalf("DescribeHealthServiceStatusForOrganization: %v", err)
	}
	return aws.ToString(out.HealthServiceAccessStatusForOrganization)
}

func TestHealthOrganizationalView(t *testing.T) {
	cfg, org := srv.SeedT(t)
	api := health.NewFromConfig(cfg)
	if got := healthStatus(t, api); got != "DISABLED" {
		t.Errorf("status before enabling: %s, want DISABLED", got)
	}
	if _, err := api.EnableHealthServiceAccessForOrganization(ctx(t), &health.EnableHealthServiceAccessForOrganizationInput{}); err != nil {
		t.Fatalf("EnableHealthServiceAccessForOrganization: %v", err)
	}
	if got := healthStatus(t, api); got != "ENABLED" {
		t.Errorf("status after enabling: %s, want ENABLED", got)
	}
	// As on AWS, the enable gives Health trusted access.
	access, err := organizations.NewFromConfig(cfg).ListAWSServiceAccessForOrganization(ctx(t), &organizations.ListAWSServiceAccessForOrganizationInput{})
	if err != nil || !slices.ContainsFunc(access.EnabledServicePrincipals, func(p orgtypes.EnabledServicePrincipal) bool {
		return aws.ToString(p.ServicePrincipal) == "health.amazonaws.com"
	}) {
		t.Errorf("trusted access after enabling: %+v %v", access, err)
	}
	// Enabling again is no error.
	if _, err := api.EnableHealthServiceAccessForOrganization(ctx(t), &health.EnableHealthServiceAccessForOrganizationInput{}); err != nil {
		t.Errorf("EnableHealthServiceAccessForOrganization again: %v", err)
	}

	// A member account, through the role CreateAccount made in it, may do
	// neither.
	member := health.NewFromConfig(srv.AccountConfigT(t, org.Workloads[0]))
	_, err = member.DescribeHealthServiceStatusForOrganization(ctx(t), &health.DescribeHealthServiceStatusForOrganizationInput{})
	wantCode(t, "Describe from a member account", err, "AccessDeniedException", http.StatusBadRequest)
	_, err = member.EnableHealthServiceAccessForOrganization(ctx(t), &health.EnableHealthServiceAccessForOrganizationInput{})
	wantCode(t, "Enable from a member account", err, "AccessDeniedException", http.StatusBadRequest)
	if err != nil && !strings.Contains(err.Error(), org.Workloads[0]) {
		t.Errorf("the error does not name the account %s: %v", org.Workloads[0], err)
	}

	// A new organization starts without the organizational view.
	cfg, _ = srv.SeedT(t)
	if got := healthStatus(t, health.NewFromConfig(cfg)); got != "DISABLED" {
		t.Errorf("status after a reset: %s, want DISABLED", got)
	}
}

func TestHealthWithoutOrganization(t *testing.T) {
	srv.ResetT(t)
	cfg, err := srv.AWSConfig(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	_, err = health.NewFromConfig(cfg).DescribeHealthServiceStatusForOrganization(ctx(t), &health.DescribeHealthServiceStatusForOrganizationInput{})
	wantCode(t, "Describe without an organization", err, "AccessDeniedException", http.StatusBadRequest)
}

func TestHealthSubscriptionRequired(t *testing.T) {
	cfg, _ := srv.SeedT(t)
	fake := srv.FakeAWS()
	fake.RequireSubscription(true)
	t.Cleanup(func() { fake.RequireSubscription(false) })
	api := health.NewFromConfig(cfg)
	_, err := api.DescribeHealthServiceStatusForOrganization(ctx(t), &health.DescribeHealthServiceStatusForOrganizationInput{})
	wantCode(t, "Describe", err, "SubscriptionRequiredException", http.StatusBadRequest)
	_, err = api.EnableHealthServiceAccessForOrganization(ctx(t), &health.EnableHealthServiceAccessForOrganizationInput{})
	wantCode(t, "Enable", err, "SubscriptionRequiredException", http.StatusBadRequest)

	fake.RequireSubscription(false)
	if got := healthStatus(t, api); got != "DISABLED" {
		t.Errorf("status: %s, want DISABLED (the failed Enable must change nothing)", got)
	}
}

func TestUnknownOperations(t *testing.T) {
	cfg, _ := srv.SeedT(t)
	_, err := health.NewFromConfig(cfg).DescribeEvents(ctx(t), &health.DescribeEventsInput{})
	if op, ok := awsclient.UnavailableOperation(err); !ok || op != "DescribeEvents" {
		t.Errorf("DescribeEvents: err %v, want an unavailable operation", err)
	}
	_, err = accessanalyzer.NewFromConfig(cfg).ListArchiveRules(ctx(t), &accessanalyzer.ListArchiveRulesInput{AnalyzerName: aws.String("x")})
	if op, ok := awsclient.UnavailableOperation(err); !ok || op != "ListArchiveRules" {
		t.Errorf("ListArchiveRules: err %v, want an unavailable operation", err)
	}
	_, err = detective.NewFromConfig(cfg).DeleteGraph(ctx(t), &detective.DeleteGraphInput{
		GraphArn: aws.String("arn:aws:detective:us-east-1:" + motorig.ManagementAccountID + ":graph:" + strings.Repeat("0", 32)),
	})
	if op, ok := awsclient.UnavailableOperation(err); !ok || op != "DeleteGraph" {
		t.Errorf("DeleteGraph: err %v, want an unavailable operation", err)
	}
	_, err = detective.NewFromConfig(cfg).ListTagsForResource(ctx(t), &detective.ListTagsForResourceInput{
		ResourceArn: aws.String("arn:aws:detective:us-east-1:" + motorig.ManagementAccountID + ":graph:" + strings.Repeat("0", 32)),
	})
	if op, ok := awsclient.UnavailableOperation(err); !ok || op != "ListTagsForResource" {
		t.Errorf("ListTagsForResource: err %v, want an unavailable operation", err)
	}
	// Security Hub's, moto's own (GetFindings) included, and those that share
	// a path with an operation the fake answers (DeleteConfigurationPolicy,
	// DisableSecurityHub).
	hub := securityhub.NewFromConfig(cfg)
	_, err = hub.GetFindings(ctx(t), &securityhub.GetFindingsInput{})
	if op, ok := awsclient.UnavailableOperation(err); !ok || op != "GetFindings" {
		t.Errorf("GetFindings: err %v, want an unavailable operation", err)
	}
	_, err = hub.DisableSecurityHub(ctx(t), &securityhub.DisableSecurityHubInput{})
	if op, ok := awsclient.UnavailableOperation(err); !ok || op != "DisableSecurityHub" {
		t.Errorf("DisableSecurityHub: err %v, want an unavailable operation", err)
	}
	_, err = hub.DeleteConfigurationPolicy(ctx(t), &securityhub.DeleteConfigurationPolicyInput{Identifier: aws.String("00000000-0000-4000-8000-000000000000")})
	if op, ok := awsclient.UnavailableOperation(err); !ok || op != "DeleteConfigurationPolicy" {
		t.Errorf("DeleteConfigurationPolicy: err %v, want an unavailable operation", err)
	}
}

func TestUnsignedRequest(t *testing.T) {
	resp, err := http.Get(srv.FakeEndpoint() + "/analyzer")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Amzn-ErrorType") != "MissingAuthenticationTokenException" {
		t.Errorf("unsigned ListAnalyzers: HTTP %s %s %s, want 403 MissingAuthenticationTokenException",
			resp.Status, resp.Header.Get("X-Amzn-ErrorType"), body)
	}
}

func create(ctx context.Context, api *accessanalyzer.Client, name string, typ aatypes.Type, age int32) (string, error) {
	in := &accessanalyzer.CreateAnalyzerInput{AnalyzerName: aws.String(name), Type: typ}
	if age != 0 {
		in.Configuration = &aatypes.AnalyzerConfigurationMemberUnusedAccess{
			Value: aatypes.UnusedAccessConfiguration{UnusedAccessAge: aws.Int32(age)},
		}
	}
	out, err := api.CreateAnalyzer(ctx, in)
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Arn), nil
}

func mustCreate(t *testing.T, api *accessanalyzer.Client, name string, typ aatypes.Type, age int32) string {
	t.Helper()
	arn, err := create(ctx(t), api, name, typ, age)
	if err != nil {
		t.Fatalf("CreateAnalyzer %s (%s): %v", name, typ, err)
	}
	return arn
}

// unusedAccessAge is the age of an analyzer's configuration, 0 without one.
func unusedAccessAge(c aatypes.AnalyzerConfiguration) int32 {
	if u, ok := c.(*aatypes.AnalyzerConfigurationMemberUnusedAccess); ok {
		return aws.ToInt32(u.Value.UnusedAccessAge)
	}
	return 0
}

func TestCreateAndGetAnalyzer(t *testing.T) {
	cfg, _ := srv.SeedT(t)
	api := accessanalyzer.NewFromConfig(cfg)
	before := time.Now().Add(-time.Second)
	arn := mustCreate(t, api, "orgbaseline-unused", aatypes.TypeAccountUnusedAccess, 30)
	want := "arn:aws:access-analyzer:us-east-1:" + motorig.ManagementAccountID + ":analyzer/orgbaseline-unused"
	if arn != want {
		t.Errorf("ARN %s, want %s", arn, want)
	}
	out, err := api.GetAnalyzer(ctx(t), &accessanalyzer.GetAnalyzerInput{AnalyzerName: aws.String("orgbaseline-unused")})
	if err != nil {
		t.Fatal(err)
	}
	a := out.Analyzer
	if aws.ToString(a.Arn) != want || aws.ToString(a.Name) != "orgbaseline-unused" ||
		a.Type != aatypes.TypeAccountUnusedAccess || a.Status != aatypes.AnalyzerStatusActive {
		t.Errorf("GetAnalyzer: arn %s name %s type %s status %s", aws.ToString(a.Arn), aws.ToString(a.Name), a.Type, a.Status)
	}
	if a.CreatedAt == nil || a.CreatedAt.Before(before) || a.CreatedAt.After(time.Now().Add(time.Second)) {
		t.Errorf("createdAt %v, want about now", a.CreatedAt)
	}
	if got := unusedAccessAge(a.Configuration); got != 30 {
		t.Errorf("configuration %#v, want unused access age 30", a.Configuration)
	}

	_, err = api.GetAnalyzer(ctx(t), &accessanalyzer.GetAnalyzerInput{AnalyzerName: aws.String("missing")})
	var nf *aatypes.ResourceNotFoundException
	if !errors.As(err, &nf) || aws.ToString(nf.ResourceId) != "missing" {
		t.Errorf("GetAnalyzer of a missing analyzer: err %v, want ResourceNotFoundException", err)
	}

	// Analyzers belong to an account and a region.
	other := accessanalyzer.NewFromConfig(awsclient.WithRegion(cfg, "eu-west-1"))
	if _, err := other.GetAnalyzer(ctx(t), &accessanalyzer.GetAnalyzerInput{AnalyzerName: aws.String("orgbaseline-unused")}); !errors.As(err, &nf) {
		t.Errorf("GetAnalyzer in another region: err %v, want ResourceNotFoundException", err)
	}
	arn = mustCreate(t, other, "orgbaseline-unused", aatypes.TypeAccountUnusedAccess, 0)
	if !strings.HasPrefix(arn, "arn:aws:access-analyzer:eu-west-1:") {
		t.Errorf("ARN in eu-west-1: %s", arn)
	}
}

func TestCreateAnalyzerRules(t *testing.T) {
	cfg, _ := srv.SeedT(t)
	api := accessanalyzer.NewFromConfig(cfg)
	mustCreate(t, api, "account", aatypes.TypeAccount, 0)

	var conflict *aatypes.ConflictException
	_, err := create(ctx(t), api, "account", aatypes.TypeAccountUnusedAccess, 0)
	if !errors.As(err, &conflict) || httpStatus(err) != http.StatusConflict {
		t.Errorf("CreateAnalyzer with a taken name: err %v, want HTTP 409 ConflictException", err)
	}
	var quota *aatypes.ServiceQuotaExceededException
	_, err = create(ctx(t), api, "account-2", aatypes.TypeAccount, 0)
	if !errors.As(err, &quota) || httpStatus(err) != http.StatusPaymentRequired {
		t.Errorf("second ACCOUNT analyzer: err %v, want HTTP 402 ServiceQuotaExceededException", err)
	}

	// A retry of a create, with the same client token, is answered as the
	// first.
	in := &accessanalyzer.CreateAnalyzerInput{AnalyzerName: aws.String("retried"), Type: aatypes.TypeAccountUnusedAccess, ClientToken: aws.String("token-1")}
	first, err := api.CreateAnalyzer(ctx(t), in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := api.CreateAnalyzer(ctx(t), in)
	if err != nil || aws.ToString(again.Arn) != aws.ToString(first.Arn) {
		t.Errorf("CreateAnalyzer with the same client token: %v, %v; want the first ARN %s", again, err, aws.ToString(first.Arn))
	}

	var invalid *aatypes.ValidationException
	for _, name := range []string{"1starts-with-a-digit", "has space", "has/slash", "_underscore", strings.Repeat("a", 256)} {
		if _, err := create(ctx(t), api, name, aatypes.TypeAccountInternalAccess, 0); !errors.As(err, &invalid) {
			t.Errorf("CreateAnalyzer %q: err %v, want ValidationException", name, err)
		}
	}
	for _, age := range []int32{-1, 366} {
		if _, err := create(ctx(t), accessanalyzer.NewFromConfig(awsclient.WithRegion(cfg, "eu-west-2")), "age", aatypes.TypeAccountUnusedAccess, age); !errors.As(err, &invalid) {
			t.Errorf("unusedAccessAge %d: err %v, want ValidationException", age, err)
		}
	}
	if _, err := create(ctx(t), api, "bad-type", aatypes.Type("EVERYTHING"), 0); !errors.As(err, &invalid) {
		t.Errorf("type EVERYTHING: err %v, want ValidationException", err)
	}
	// Names of 255 characters with every allowed character are fine.
	long := "A" + strings.Repeat("z9_.-", 50) + "abcd"
	mustCreate(t, accessanalyzer.NewFromConfig(awsclient.WithRegion(cfg, "eu-west-2")), long, aatypes.TypeAccountUnusedAccess, 365)
}

// enableTrustedAccess enables trusted access for IAM Access Analyzer.
func enableTrustedAccess(t *testing.T, mgmt aws.Config) {
	t.Helper()
	if _, err := organizations.NewFromConfig(mgmt).EnableAWSServiceAccess(ctx(t), &organizations.EnableAWSServiceAccessInput{
		ServicePrincipal: aws.String("access-analyzer.amazonaws.com"),
	}); err != nil {
		t.Fatal(err)
	}
}

func TestOrganizationAnalyzer(t *testing.T) {
	cfg, org := srv.SeedT(t)
	mgmt := accessanalyzer.NewFromConfig(cfg)
	security := accessanalyzer.NewFromConfig(srv.AccountConfigT(t, org.Security))

	var invalid *aatypes.ValidationException
	var denied *aatypes.AccessDeniedException
	for _, api := range []*accessanalyzer.Client{mgmt, security} {
		_, err := create(ctx(t), api, "org", aatypes.TypeOrganization, 0)
		if !errors.As(err, &invalid) || !strings.Contains(err.Error(), "Service not enabled for AWS Organizations") {
			t.Errorf("ORGANIZATION analyzer before trusted access: err %v, want ValidationException", err)
		}
	}

	enableTrustedAccess(t, cfg)
	_, err := create(ctx(t), security, "org", aatypes.TypeOrganizationUnusedAccess, 0)
	if !errors.As(err, &denied) || httpStatus(err) != http.StatusForbidden ||
		!strings.Contains(err.Error(), "Account "+org.Security+" is not a delegated administrator") {
		t.Errorf("ORGANIZATION_UNUSED_ACCESS analyzer from a member: err %v, want AccessDeniedException", err)
	}
	mustCreate(t, mgmt, "org", aatypes.TypeOrganization, 0)

	if _, err := organizations.NewFromConfig(cfg).RegisterDelegatedAdministrator(ctx(t), &organizations.RegisterDelegatedAdministratorInput{
		AccountId:        aws.String(org.Security),
		ServicePrincipal: aws.String("access-analyzer.amazonaws.com"),
	}); err != nil {
		t.Fatal(err)
	}
	arn := mustCreate(t, security, "org", aatypes.TypeOrganizationUnusedAccess, 90)
	if want := "arn:aws:access-analyzer:us-east-1:" + org.Security + ":analyzer/org"; arn != want {
		t.Errorf("ARN %s, want %s", arn, want)
	}
	// Another member is still refused.
	_, err = create(ctx(t), accessanalyzer.NewFromConfig(srv.AccountConfigT(t, org.LogArchive)), "org", aatypes.TypeOrganization, 0)
	if !errors.As(err, &denied) {
		t.Errorf("ORGANIZATION analyzer from log-archive: err %v, want AccessDeniedException", err)
	}
	// Five organization analyzers of a type per account and region.
	for i := 2; i <= 5; i++ {
		mustCreate(t, security, fmt.Sprintf("org-%d", i), aatypes.TypeOrganizationUnusedAccess, 0)
	}
	var quota *aatypes.ServiceQuotaExceededException
	if _, err := create(ctx(t), security, "org-6", aatypes.TypeOrganizationUnusedAccess, 0); !errors.As(err, &quota) {
		t.Errorf("sixth ORGANIZATION_UNUSED_ACCESS analyzer: err %v, want ServiceQuotaExceededException", err)
	}
	mustCreate(t, security, "org-external", aatypes.TypeOrganization, 0)
}

func TestListAnalyzersPaging(t *testing.T) {
	cfg, _ := srv.SeedT(t)
	enableTrustedAccess(t, cfg)
	api := accessanalyzer.NewFromConfig(cfg)
	var want []string
	for i := 1; i <= 5; i++ {
		name := fmt.Sprintf("org-%d", i)
		mustCreate(t, api, name, aatypes.TypeOrganization, 0)
		want = append(want, name)
	}
	mustCreate(t, api, "account", aatypes.TypeAccount, 0)
	mustCreate(t, api, "unused", aatypes.TypeAccountUnusedAccess, 45)
	want = append(want, "account", "unused")
	slices.Sort(want)

	list := func(typ aatypes.Type) (names []string, pages int) {
		t.Helper()
		p := accessanalyzer.NewListAnalyzersPaginator(api, &accessanalyzer.ListAnalyzersInput{Type: typ, MaxResults: aws.Int32(2)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx(t))
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Analyzers) > 2 {
				t.Errorf("page of %d analyzers with maxResults 2", len(page.Analyzers))
			}
			pages++
			for _, a := range page.Analyzers {
				names = append(names, aws.ToString(a.Name))
				if a.CreatedAt == nil || a.Status != aatypes.AnalyzerStatusActive {
					t.Errorf("listed analyzer %s: createdAt %v status %s", aws.ToString(a.Name), a.CreatedAt, a.Status)
				}
			}
		}
		return names, pages
	}
	got, pages := list("")
	if !slices.Equal(got, want) || pages != 4 {
		t.Errorf("ListAnalyzers: %v in %d pages, want %v in 4", got, pages, want)
	}
	got, pages = list(aatypes.TypeOrganization)
	if !slices.Equal(got, want[1:6]) || pages != 3 {
		t.Errorf("ListAnalyzers of type ORGANIZATION: %v in %d pages, want %v in 3", got, pages, want[1:6])
	}
	got, _ = list(aatypes.TypeAccountUnusedAccess)
	if !slices.Equal(got, []string{"unused"}) {
		t.Errorf("ListAnalyzers of type ACCOUNT_UNUSED_ACCESS: %v", got)
	}

	// Without maxResults, one page; another account sees none of them.
	out, err := api.ListAnalyzers(ctx(t), &accessanalyzer.ListAnalyzersInput{})
	if err != nil || len(out.Analyzers) != len(want) || out.NextToken != nil {
		t.Errorf("ListAnalyzers without maxResults: %d analyzers, next %v, err %v", len(out.Analyzers), out.NextToken, err)
	}
	_, err = api.ListAnalyzers(ctx(t), &accessanalyzer.ListAnalyzersInput{NextToken: aws.String("!!")})
	var invalid *aatypes.ValidationException
	if !errors.As(err, &invalid) {
		t.Errorf("ListAnalyzers with a bad token: err %v, want ValidationException", err)
	}
}

func TestListAnalyzersPerAccount(t *testing.T) {
	cfg, org := srv.SeedT(t)
	mustCreate(t, accessanalyzer.NewFromConfig(cfg), "mine", aatypes.TypeAccount, 0)
	out, err := accessanalyzer.NewFromConfig(srv.AccountConfigT(t, org.Security)).ListAnalyzers(ctx(t), &accessanalyzer.ListAnalyzersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Analyzers) != 0 {
		t.Errorf("security lists the management account's analyzers: %+v", out.Analyzers)
	}
}

func TestUpdateAnalyzer(t *testing.T) {
	cfg, _ := srv.SeedT(t)
	api := accessanalyzer.NewFromConfig(cfg)
	mustCreate(t, api, "unused", aatypes.TypeAccountUnusedAccess, 30)
	mustCreate(t, api, "external", aatypes.TypeAccount, 0)

	update := func(name string, age int32) (*accessanalyzer.UpdateAnalyzerOutput, error) {
		return api.UpdateAnalyzer(ctx(t), &accessanalyzer.UpdateAnalyzerInput{
			AnalyzerName: aws.String(name),
			Configuration: &aatypes.AnalyzerConfigurationMemberUnusedAccess{
				Value: aatypes.UnusedAccessConfiguration{UnusedAccessAge: aws.Int32(age)},
			},
		})
	}
	out, err := update("unused", 120)
	if err != nil {
		t.Fatal(err)
	}
	if got := unusedAccessAge(out.Configuration); got != 120 {
		t.Errorf("UpdateAnalyzer answered %#v, want age 120", out.Configuration)
	}
	got, err := api.GetAnalyzer(ctx(t), &accessanalyzer.GetAnalyzerInput{AnalyzerName: aws.String("unused")})
	if err != nil {
		t.Fatal(err)
	}
	if age := unusedAccessAge(got.Analyzer.Configuration); age != 120 {
		t.Errorf("after UpdateAnalyzer the age is %d, want 120", age)
	}

	var invalid *aatypes.ValidationException
	if _, err := update("unused", 0); !errors.As(err, &invalid) {
		t.Errorf("UpdateAnalyzer with age 0: err %v, want ValidationException", err)
	}
	if _, err := update("external", 60); !errors.As(err, &invalid) {
		t.Errorf("UpdateAnalyzer of an external access analyzer: err %v, want ValidationException", err)
	}
	var nf *aatypes.ResourceNotFoundException
	if _, err := update("missing", 60); !errors.As(err, &nf) {
		t.Errorf("UpdateAnalyzer of a missing analyzer: err %v, want ResourceNotFoundException", err)
	}
	got, err = api.GetAnalyzer(ctx(t), &accessanalyzer.GetAnalyzerInput{AnalyzerName: aws.String("unused")})
	if err != nil || unusedAccessAge(got.Analyzer.Configuration) != 120 {
		t.Errorf("a refused update changed the analyzer: %v, %v", got, err)
	}
}

// analyzerNames lists the names of api's analyzers in its region.
func analyzerNames(t *testing.T, api *accessanalyzer.Client) []string {
	t.Helper()
	out, err := api.ListAnalyzers(ctx(t), &accessanalyzer.ListAnalyzersInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range out.Analyzers {
		names = append(names, aws.ToString(a.Name))
	}
	return names
}

func TestDeleteAnalyzer(t *testing.T) {
	cfg, org := srv.SeedT(t)
	api := accessanalyzer.NewFromConfig(cfg)
	west := accessanalyzer.NewFromConfig(awsclient.WithRegion(cfg, "eu-west-1"))
	security := accessanalyzer.NewFromConfig(srv.AccountConfigT(t, org.Security))
	mustCreate(t, api, "gone", aatypes.TypeAccount, 0)
	mustCreate(t, api, "kept", aatypes.TypeAccountUnusedAccess, 90)
	mustCreate(t, west, "gone", aatypes.TypeAccount, 0)
	mustCreate(t, security, "gone", aatypes.TypeAccount, 0)

	if _, err := api.DeleteAnalyzer(ctx(t), &accessanalyzer.DeleteAnalyzerInput{AnalyzerName: aws.String("gone"), ClientToken: aws.String("token-1")}); err != nil {
		t.Fatalf("DeleteAnalyzer: %v", err)
	}
	if got := analyzerNames(t, api); !slices.Equal(got, []string{"kept"}) {
		t.Errorf("analyzers after the delete: %v, want [kept]", got)
	}
	var nf *aatypes.ResourceNotFoundException
	if _, err := api.GetAnalyzer(ctx(t), &accessanalyzer.GetAnalyzerInput{AnalyzerName: aws.String("gone")}); !errors.As(err, &nf) {
		t.Errorf("GetAnalyzer of the deleted analyzer: err %v, want ResourceNotFoundException", err)
	}
	// The same name in another region, or in another account, stays.
	if got := analyzerNames(t, west); !slices.Equal(got, []string{"gone"}) {
		t.Errorf("analyzers in eu-west-1: %v, want [gone]", got)
	}
	if got := analyzerNames(t, security); !slices.Equal(got, []string{"gone"}) {
		t.Errorf("analyzers of the security account: %v, want [gone]", got)
	}
	// Deleting it again, or a name the account never had, is not found.
	_, err := api.DeleteAnalyzer(ctx(t), &accessanalyzer.DeleteAnalyzerInput{AnalyzerName: aws.String("gone")})
	wantCode(t, "DeleteAnalyzer again", err, "ResourceNotFoundException", http.StatusNotFound)
	if !errors.As(err, &nf) || aws.ToString(nf.ResourceId) != "gone" || aws.ToString(nf.ResourceType) != "AWS::AccessAnalyzer::Analyzer" {
		t.Errorf("the error does not name the analyzer: %v", err)
	}
	_, err = api.DeleteAnalyzer(ctx(t), &accessanalyzer.DeleteAnalyzerInput{AnalyzerName: aws.String("9invalid")})
	wantCode(t, "DeleteAnalyzer of an invalid name", err, "ValidationException", http.StatusBadRequest)
	// A name freed by the delete can be used again.
	mustCreate(t, api, "gone", aatypes.TypeAccount, 0)
}

// healthTrusted reports whether trusted access for AWS Health is on.
func healthTrusted(t *testing.T, mgmt aws.Config) bool {
	t.Helper()
	access, err := organizations.NewFromConfig(mgmt).ListAWSServiceAccessForOrganization(ctx(t), &organizations.ListAWSServiceAccessForOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	return slices.ContainsFunc(access.EnabledServicePrincipals, func(p orgtypes.EnabledServicePrincipal) bool {
		return aws.ToString(p.ServicePrincipal) == "health.amazonaws.com"
	})
}

func TestHealthDisableOrganizationalView(t *testing.T) {
	cfg, org := srv.SeedT(t)
	api := health.NewFromConfig(cfg)
	if _, err := api.EnableHealthServiceAccessForOrganization(ctx(t), &health.EnableHealthServiceAccessForOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	// A member account may not disable it.
	member := health.NewFromConfig(srv.AccountConfigT(t, org.Security))
	_, err := member.DisableHealthServiceAccessForOrganization(ctx(t), &health.DisableHealthServiceAccessForOrganizationInput{})
	wantCode(t, "Disable from a member account", err, "AccessDeniedException", http.StatusBadRequest)
	if got := healthStatus(t, api); got != "ENABLED" {
		t.Errorf("status after a refused disable: %s, want ENABLED", got)
	}

	if _, err := api.DisableHealthServiceAccessForOrganization(ctx(t), &health.DisableHealthServiceAccessForOrganizationInput{}); err != nil {
		t.Fatalf("DisableHealthServiceAccessForOrganization: %v", err)
	}
	if got := healthStatus(t, api); got != "DISABLED" {
		t.Errorf("status after disabling: %s, want DISABLED", got)
	}
	// AWS does not document that the call turns trusted access off: it
	// stays on.
	if !healthTrusted(t, cfg) {
		t.Error("the disable turned trusted access for health.amazonaws.com off")
	}
	// Disabling again is no error.
	if _, err := api.DisableHealthServiceAccessForOrganization(ctx(t), &health.DisableHealthServiceAccessForOrganizationInput{}); err != nil {
		t.Errorf("DisableHealthServiceAccessForOrganization again: %v", err)
	}

	// Turning trusted access off through Organizations disables the view too.
	if _, err := api.EnableHealthServiceAccessForOrganization(ctx(t), &health.EnableHealthServiceAccessForOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := organizations.NewFromConfig(cfg).DisableAWSServiceAccess(ctx(t), &organizations.DisableAWSServiceAccessInput{
		ServicePrincipal: aws.String("health.amazonaws.com"),
	}); err != nil {
		t.Fatal(err)
	}
	if got := healthStatus(t, api); got != "DISABLED" {
		t.Errorf("status after DisableAWSServiceAccess: %s, want DISABLED", got)
	}
}
