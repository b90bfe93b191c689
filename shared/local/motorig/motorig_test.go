package motorig_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	aatypes "github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/local/motorig"
	"github.com/orgbaseline/orgbaseline/shared/local/mototest"
	"github.com/orgbaseline/orgbaseline/shared/settings"
)

var (
	srv       *mototest.Server
	startTime time.Duration
)

// childEnv marks the test binary run as a child process by TestEnv.
const childEnv = "MOTORIG_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(envChild())
	}
	t0 := time.Now()
	mototest.Main(m, func(s *mototest.Server) {
		srv = s
		startTime = time.Since(t0)
	})
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

func TestStartup(t *testing.T) {
	t.Logf("server at %s ready after %v", srv.Endpoint(), startTime)
	if !strings.HasPrefix(srv.Endpoint(), "http://127.0.0.1:") {
		t.Errorf("Endpoint() = %q, want http://127.0.0.1:PORT", srv.Endpoint())
	}
	if srv.Region() != "us-east-1" {
		t.Errorf("Region() = %q, want the default us-east-1", srv.Region())
	}
}

func TestSeed(t *testing.T) {
	t0 := time.Now()
	cfg, org := srv.SeedT(t)
	t.Logf("reset and seed took %v", time.Since(t0))

	if org.Management != motorig.ManagementAccountID {
		t.Errorf("Management = %s, want %s", org.Management, motorig.ManagementAccountID)
	}
	if len(org.Workloads) != 3 || org.Security == "" || org.LogArchive == "" || org.RootID == "" {
		t.Fatalf("incomplete Org: %+v", org)
	}

	client := organizations.NewFromConfig(cfg)
	got := map[string]orgtypes.Account{}
	p := organizations.NewListAccountsPaginator(client, &organizations.ListAccountsInput{MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.Accounts {
			got[aws.ToString(a.Id)] = a
		}
	}
	if len(got) != 6 {
		t.Errorf("ListAccounts returned %d accounts, want 6", len(got))
	}
	for _, want := range org.Accounts {
		a, ok := got[want.ID]
		if !ok {
			t.Errorf("account %s (%s) not listed", want.Name, want.ID)
			continue
		}
		if want.Name != "management" && aws.ToString(a.Name) != want.Name {
			t.Errorf("account %s is named %q, want %q", want.ID, aws.ToString(a.Name), want.Name)
		}
		if aws.ToString(a.Email) != want.Email {
			t.Errorf("account %s has e-mail %q, want %q", want.Name, aws.ToString(a.Email), want.Email)
		}
		if a.State != orgtypes.AccountStateActive || a.Status != orgtypes.AccountStatusActive {
			t.Errorf("account %s: State %q Status %q, want ACTIVE", want.Name, a.State, a.Status)
		}
	}
	byName := map[string]string{}
	for _, a := range got {
		byName[aws.ToString(a.Name)] = aws.ToString(a.Id)
	}
	if byName["security"] != org.Security || byName["log-archive"] != org.LogArchive {
		t.Errorf("security/log-archive listed as %s/%s, Org has %s/%s",
			byName["security"], byName["log-archive"], org.Security, org.LogArchive)
	}
	for i, name := range []string{"workload-a", "workload-b", "workload-c"} {
		if byName[name] != org.Workloads[i] {
			t.Errorf("%s listed as %s, Org has %s", name, byName[name], org.Workloads[i])
		}
	}

	d, err := client.DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	o := d.Organization
	if o.FeatureSet != orgtypes.OrganizationFeatureSetAll {
		t.Errorf("FeatureSet = %q, want ALL", o.FeatureSet)
	}
	if aws.ToString(o.Id) != org.ID || aws.ToString(o.MasterAccountId) != org.Management {
		t.Errorf("DescribeOrganization: id %s master %s, want %s %s",
			aws.ToString(o.Id), aws.ToString(o.MasterAccountId), org.ID, org.Management)
	}

	// A member account sees the same organization.
	mcfg := srv.AccountConfigT(t, org.Workloads[0])
	md, err := organizations.NewFromConfig(mcfg).DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(md.Organization.Id) != org.ID {
		t.Errorf("member sees organization %s, want %s", aws.ToString(md.Organization.Id), org.ID)
	}
}

func callerAccount(t *testing.T, cfg aws.Config) (account, arn string) {
	t.Helper()
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Account), aws.ToString(out.Arn)
}

func TestAssumeRoleIntoMemberAccounts(t *testing.T) {
	cfg, org := srv.SeedT(t)
	if acct, _ := callerAccount(t, cfg); acct != org.Management {
		t.Fatalf("management config acts in %s, want %s", acct, org.Management)
	}

	role := "arn:aws:iam::" + org.Security + ":role/OrganizationAccountAccessRole"
	out, err := sts.NewFromConfig(cfg).AssumeRole(ctx(t), &sts.AssumeRoleInput{
		RoleArn:         aws.String(role),
		RoleSessionName: aws.String("motorig-test"),
	})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	assumed := cfg.Copy()
	assumed.Credentials = credentials.NewStaticCredentialsProvider(
		aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	acct, arn := callerAccount(t, assumed)
	if acct != org.Security {
		t.Errorf("GetCallerIdentity with the assumed role: account %s, want security %s", acct, org.Security)
	}
	if want := "arn:aws:sts::" + org.Security + ":assumed-role/OrganizationAccountAccessRole/motorig-test"; arn != want {
		t.Errorf("GetCallerIdentity ARN %s, want %s", arn, want)
	}

	for _, id := range append([]string{org.LogArchive}, org.Workloads...) {
		if acct, _ := callerAccount(t, srv.AccountConfigT(t, id)); acct != id {
			t.Errorf("AccountConfig(%s) acts in %s", id, acct)
		}
	}
}

// The launcher adds these principals to moto's delegated-administrator list.
var correctedPrincipals = []string{
	"config.amazonaws.com",
	"securityhub.amazonaws.com",
	"detective.amazonaws.com",
	"health.amazonaws.com",
	"cloudtrail.amazonaws.com",
}

func TestDelegatedAdminCorrection(t *testing.T) {
	cfg, org := srv.SeedT(t)
	client := organizations.NewFromConfig(cfg)
	for _, p := range correctedPrincipals {
		if _, err := client.EnableAWSServiceAccess(ctx(t), &organizations.EnableAWSServiceAccessInput{
			ServicePrincipal: aws.String(p),
		}); err != nil {
			t.Fatalf("EnableAWSServiceAccess %s: %v", p, err)
		}
		if _, err := client.RegisterDelegatedAdministrator(ctx(t), &organizations.RegisterDelegatedAdministratorInput{
			AccountId:        aws.String(org.Security),
			ServicePrincipal: aws.String(p),
		}); err != nil {
			t.Errorf("RegisterDelegatedAdministrator %s: %v", p, err)
			continue
		}
		var admins []string
		pg := organizations.NewListDelegatedAdministratorsPaginator(client, &organizations.ListDelegatedAdministratorsInput{
			ServicePrincipal: aws.String(p),
		})
		for pg.HasMorePages() {
			page, err := pg.NextPage(ctx(t))
			if err != nil {
				t.Fatalf("ListDelegatedAdministrators %s: %v", p, err)
			}
			for _, a := range page.DelegatedAdministrators {
				admins = append(admins, aws.ToString(a.Id))
			}
		}
		if !slices.Equal(admins, []string{org.Security}) {
			t.Errorf("delegated administrators of %s: %v, want [%s]", p, admins, org.Security)
		}
	}

	var services []string
	pg := organizations.NewListDelegatedServicesForAccountPaginator(client, &organizations.ListDelegatedServicesForAccountInput{
		AccountId: aws.String(org.Security),
	})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.DelegatedServices {
			services = append(services, aws.ToString(s.ServicePrincipal))
		}
	}
	slices.Sort(services)
	want := slices.Sorted(slices.Values(correctedPrincipals))
	if !slices.Equal(services, want) {
		t.Errorf("services delegated to security: %v, want %v", services, want)
	}

	// The check itself is still there for other principals.
	_, err := client.RegisterDelegatedAdministrator(ctx(t), &organizations.RegisterDelegatedAdministratorInput{
		AccountId:        aws.String(org.Security),
		ServicePrincipal: aws.String("example.amazonaws.com"),
	})
	var invalid *orgtypes.InvalidInputException
	if !errors.As(err, &invalid) {
		t.Errorf("RegisterDelegatedAdministrator example.amazonaws.com: err %v, want InvalidInputException", err)
	}
}

func TestResetClearsOrganization(t *testing.T) {
	cfg, org := srv.SeedT(t)
	client := organizations.NewFromConfig(cfg)
	if _, err := client.DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{}); err != nil {
		t.Fatalf("before reset: %v", err)
	}
	if err := srv.Reset(ctx(t)); err != nil {
		t.Fatal(err)
	}
	_, err := client.DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
	var notInUse *orgtypes.AWSOrganizationsNotInUseException
	if !errors.As(err, &notInUse) {
		t.Errorf("DescribeOrganization after reset: err %v, want AWSOrganizationsNotInUseException", err)
	}

	// The correction outlives a reset: a new organization can register
	// a corrected principal again.
	_, org2 := srv.SeedT(t)
	if org2.ID == org.ID || org2.Security == org.Security {
		t.Errorf("after reset, seed made the same organization %s / security %s again", org2.ID, org2.Security)
	}
	if _, err := client.RegisterDelegatedAdministrator(ctx(t), &organizations.RegisterDelegatedAdministratorInput{
		AccountId:        aws.String(org2.Security),
		ServicePrincipal: aws.String("health.amazonaws.com"),
	}); err != nil {
		t.Errorf("RegisterDelegatedAdministrator after reset: %v", err)
	}
}

// countingClient counts the HTTP requests the SDK sends through it.
type countingClient struct {
	aws.HTTPClient
	requests atomic.Int32
}

func (c *countingClient) Do(r *http.Request) (*http.Response, error) {
	c.requests.Add(1)
	return c.HTTPClient.Do(r)
}

// An operation moto lacks fails at the first attempt: the answer is not one
// the SDK retries.
func TestUnimplementedOperationFailsFast(t *testing.T) {
	cfg, _ := srv.SeedT(t)
	counter := &countingClient{HTTPClient: cfg.HTTPClient}
	cfg.HTTPClient = counter
	// moto 5.2 does not implement EnableAllFeatures; the launcher answers
	// as AWS answers an operation an endpoint does not have.
	_, err := organizations.NewFromConfig(cfg).EnableAllFeatures(ctx(t), &organizations.EnableAllFeaturesInput{})
	var re *smithyhttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != 400 || awsclient.ErrorCode(err) != "UnknownOperationException" {
		t.Fatalf("EnableAllFeatures: err %v, want an HTTP 400 UnknownOperationException", err)
	}
	if op, ok := awsclient.UnavailableOperation(err); !ok || op != "EnableAllFeatures" {
		t.Errorf("UnavailableOperation(%v) = %q, %v", err, op, ok)
	}
	if n := counter.requests.Load(); n != 1 {
		t.Errorf("EnableAllFeatures sent %d requests, want 1: the SDK retried the answer", n)
	}
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := motorig.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func TestWriteConfig(t *testing.T) {
	_, org := srv.SeedT(t)
	path := filepath.Join(t.TempDir(), "orgbaseline.yaml")
	regions := []string{"eu-west-1", "us-east-1", "eu-west-2"}
	if err := motorig.WriteConfig(path, org, "eu-west-1", regions); err != nil {
		t.Fatal(err)
	}
	got, err := settings.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	// Everything but the accounts, the organization and the regions is as in
	// the example.
	want, err := settings.LoadFile(filepath.Join(repoRoot(t), motorig.ExampleConfig))
	if err != nil {
		t.Fatal(err)
	}
	if want.Accounts.Security == org.Security {
		t.Fatal("the example already holds the seeded security account")
	}
	want.Accounts = settings.Accounts{Management: org.Management, Security: org.Security, LogArchive: org.LogArchive}
	want.OrganizationID = org.ID
	want.HomeRegion = "eu-west-1"
	want.Regions = settings.Regions{Names: regions}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("written configuration:\n%+v\nwant:\n%+v", got, want)
	}

	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		`"` + org.Security + `"`,
		"# security (audit) account: delegated administrator of every service",
		"# needs GuardDuty enabled for 48 hours first",
	} {
		if !strings.Contains(string(text), s) {
			t.Errorf("written configuration lacks %q:\n%s", s, text)
		}
	}

	// Regions default to the home region.
	if err := motorig.WriteConfig(path, org, "us-east-1", nil); err != nil {
		t.Fatal(err)
	}
	if c, err := settings.LoadFile(path); err != nil || !slices.Equal(c.Regions.Names, []string{"us-east-1"}) {
		t.Errorf("with no regions: %+v, %v; want regions [us-east-1]", c.Regions, err)
	}

	// The result is validated.
	err = motorig.WriteConfig(path, org, "us-east-1", []string{"eu-west-1"})
	if err == nil || !strings.Contains(err.Error(), "must include the home region") {
		t.Errorf("regions without the home region: err %v, want a validation error", err)
	}
}

// TestEnv runs a child process that loads the SDK's default configuration
// the way the CLI does, from an environment full of settings that must not
// reach it.
func TestEnv(t *testing.T) {
	// The child lists the analyzers of the fake (see envChild).
	srv.ResetT(t)
	mgmt, err := srv.AWSConfig(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := accessanalyzer.NewFromConfig(mgmt).CreateAnalyzer(ctx(t), &accessanalyzer.CreateAnalyzerInput{
		AnalyzerName: aws.String("motorig-env"), Type: aatypes.TypeAccount,
	}); err != nil {
		t.Fatal(err)
	}

	home := t.TempDir()
	awsDir := filepath.Join(home, ".aws")
	if err := os.Mkdir(awsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"config": "[default]\nregion = ap-south-1\nendpoint_url = http://127.0.0.1:1\n" +
			"[profile leaky]\nregion = ap-south-1\n",
		"credentials": "[default]\naws_access_key_id = AKIALEAKEDDEFAULT\naws_secret_access_key = x\n" +
			"[leaky]\naws_access_key_id = AKIALEAKEDPROFILE\naws_secret_access_key = x\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(awsDir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	leaky := map[string]string{
		"HOME":                        home,
		"AWS_PROFILE":                 "leaky",
		"AWS_ACCESS_KEY_ID":           "AKIALEAKEDENV",
		"AWS_SECRET_ACCESS_KEY":       "x",
		"AWS_SESSION_TOKEN":           "leaked-token",
		"AWS_REGION":                  "ap-south-1",
		"AWS_ENDPOINT_URL":            "http://127.0.0.1:1",
		"AWS_ENDPOINT_URL_STS":        "http://127.0.0.1:1",
		"AWS_CONFIG_FILE":             filepath.Join(awsDir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(awsDir, "credentials"),
	}

	run := func(t *testing.T, env []string) {
		t.Helper()
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(env, childEnv+"=1")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("child: %v\n%s%s", err, out, stderr.String())
		}
		want := fmt.Sprintf("account=%s key=%s token= region=us-east-1 analyzers=[motorig-env]", motorig.ManagementAccountID, motorig.AccessKeyID)
		if got := strings.TrimSpace(string(out)); got != want {
			t.Errorf("child saw %q, want %q", got, want)
		}
		if rest := withoutCoverageWarning(stderr.String()); rest != "" {
			t.Errorf("child wrote to stderr: %q", rest)
		}
	}

	t.Run("Environ", func(t *testing.T) {
		for k, v := range leaky {
			t.Setenv(k, v)
		}
		run(t, srv.Environ())
	})
	t.Run("Env appended", func(t *testing.T) {
		var env []string
		for k, v := range leaky {
			if k != "AWS_ENDPOINT_URL_STS" { // Env cannot know every service's variable
				env = append(env, k+"="+v)
			}
		}
		run(t, append(env, srv.Env()...))
	})
}

// coverageWarning is what the Go coverage runtime writes to stderr when a
// binary built with -cover, like this test binary under go test -cover,
// exits without GOCOVERDIR: the child process of TestEnv does.
const coverageWarning = "warning: GOCOVERDIR not set, no coverage data emitted"

// withoutCoverageWarning returns stderr without the coverage runtime's
// warning, which is not the child's own output.
func withoutCoverageWarning(stderr string) string {
	var rest []string
	for _, line := range strings.SplitAfter(stderr, "\n") {
		if strings.TrimSuffix(line, "\n") != coverageWarning {
			rest = append(rest, line)
		}
	}
	return strings.Join(rest, "")
}

// envChild loads the default configuration and prints whom it reaches, and
// which analyzers IAM Access Analyzer lists (moto has no such service).
func envChild() int {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryMaxAttempts(1))
	if err != nil {
		fmt.Println("load:", err)
		return 1
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		fmt.Println("credentials:", err)
		return 1
	}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		fmt.Println("GetCallerIdentity:", err)
		return 1
	}
	list, err := accessanalyzer.NewFromConfig(cfg).ListAnalyzers(ctx, &accessanalyzer.ListAnalyzersInput{})
	if err != nil {
		fmt.Println("ListAnalyzers:", err)
		return 1
	}
	var analyzers []string
	for _, a := range list.Analyzers {
		analyzers = append(analyzers, aws.ToString(a.Name))
	}
	fmt.Printf("account=%s key=%s token=%s region=%s analyzers=%v\n",
		aws.ToString(out.Account), creds.AccessKeyID, creds.SessionToken, cfg.Region, analyzers)
	return 0
}

func TestAWSConfigIgnoresProfile(t *testing.T) {
	t.Setenv("AWS_PROFILE", "does-not-exist")
	t.Setenv("AWS_REGION", "ap-south-1")
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	cfg, err := srv.AWSConfig(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "us-east-1" {
		t.Errorf("region %s, want us-east-1", cfg.Region)
	}
	if acct, _ := callerAccount(t, cfg); acct != motorig.ManagementAccountID {
		t.Errorf("acts in %s, want %s", acct, motorig.ManagementAccountID)
	}
}

func accepts(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func TestStartAndClose(t *testing.T) {
	// Inherited by the server process, MOTO_ACCOUNT_ID would pin every
	// request to one account.
	t.Setenv("MOTO_ACCOUNT_ID", "999999999999")
	logPath := filepath.Join(t.TempDir(), "moto.log")
	t0 := time.Now()
	s, err := motorig.Start(ctx(t), motorig.WithRegion("eu-west-1"), motorig.WithLogFile(logPath))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("second server ready after %v", time.Since(t0))
	t.Cleanup(func() { s.Close() })
	if s.Endpoint() == srv.Endpoint() {
		t.Fatalf("both servers at %s", s.Endpoint())
	}
	if !slices.Contains(s.Env(), "AWS_REGION=eu-west-1") {
		t.Errorf("Env() = %v, want AWS_REGION=eu-west-1", s.Env())
	}
	if s.FakeEndpoint() == srv.FakeEndpoint() {
		t.Fatalf("both servers' fakes at %s", s.FakeEndpoint())
	}
	for _, v := range []string{"AWS_ENDPOINT_URL_HEALTH", "AWS_ENDPOINT_URL_ACCESSANALYZER", "AWS_ENDPOINT_URL_DETECTIVE", "AWS_ENDPOINT_URL_SECURITYHUB"} {
		if !slices.Contains(s.Env(), v+"="+s.FakeEndpoint()) {
			t.Errorf("Env() = %v, want %s=%s", s.Env(), v, s.FakeEndpoint())
		}
	}
	cfg, err := s.AWSConfig(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if acct, _ := callerAccount(t, cfg); acct != motorig.ManagementAccountID {
		t.Errorf("caller account %s, want %s (MOTO_ACCOUNT_ID leaked into the server)", acct, motorig.ManagementAccountID)
	}

	addr := strings.TrimPrefix(s.Endpoint(), "http://")
	fakeAddr := strings.TrimPrefix(s.FakeEndpoint(), "http://")
	for _, a := range []string{addr, fakeAddr} {
		if !accepts(a) {
			t.Fatalf("%s does not accept connections before Close", a)
		}
	}
	t0 = time.Now()
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	t.Logf("Close took %v", time.Since(t0))
	for _, a := range []string{addr, fakeAddr} {
		if accepts(a) {
			t.Errorf("%s still accepts connections after Close", a)
		}
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	log, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatalf("log file given with WithLogFile: %v", err)
	}
	if !strings.Contains(string(log), "READY http://"+addr) {
		t.Errorf("log lacks the READY line:\n%s", log)
	}
}

func TestStartFailures(t *testing.T) {
	python := os.Getenv(motorig.EnvPython)
	if python == "" {
		python = filepath.Join(repoRoot(t), ".venv", "bin", "python")
	}
	// script is a stand-in for the Python interpreter that writes its
	// process ID to pidFile, then runs body.
	script := func(t *testing.T, pidFile, body string) string {
		p := filepath.Join(t.TempDir(), "python")
		if err := os.WriteFile(p, []byte("#!/bin/sh\necho $$ >'"+pidFile+"'\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name string
		env  map[string]string
		opts func(t *testing.T, pidFile string) []motorig.Option
		want []string
		// launched says that Start runs the launcher, which must be gone
		// when Start returns.
		launched bool
	}{{
		name: "ORGBASELINE_PYTHON missing",
		env:  map[string]string{motorig.EnvPython: "/nonexistent/bin/python"},
		want: []string{"ORGBASELINE_PYTHON is /nonexistent/bin/python, which does not exist", "make deps"},
	}, {
		name: "no venv",
		env:  map[string]string{motorig.EnvPython: ""},
		opts: func(t *testing.T, _ string) []motorig.Option {
			root := t.TempDir()
			os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example.com/x\n"), 0o644)
			return []motorig.Option{motorig.WithRoot(root)}
		},
		want: []string{"ORGBASELINE_PYTHON is not set", ".venv/bin/python does not exist", "make deps"},
	}, {
		name: "no moto",
		opts: func(t *testing.T, pidFile string) []motorig.Option {
			// -S leaves out site-packages, where moto is installed.
			return []motorig.Option{motorig.WithPython(script(t, pidFile, `exec "`+python+`" -S "$@"`))}
		},
		want:     []string{"cannot import moto", "make deps", "exited before it was ready"},
		launched: true,
	}, {
		name: "never ready",
		opts: func(t *testing.T, pidFile string) []motorig.Option {
			return []motorig.Option{
				motorig.WithPython(script(t, pidFile, "echo starting >&2; exec sleep 60")),
				motorig.WithStartTimeout(time.Second),
			}
		},
		want:     []string{"did not report READY", "starting"},
		launched: true,
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			pidFile := filepath.Join(t.TempDir(), "pid")
			var opts []motorig.Option
			if tc.opts != nil {
				opts = tc.opts(t, pidFile)
			}
			s, err := motorig.Start(ctx(t), opts...)
			if err == nil {
				s.Close()
				t.Fatal("Start succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if tc.launched {
				checkGone(t, pidFile)
			}
		})
	}
}

// checkGone checks that the process whose ID is in pidFile has exited and
// been waited for: Start does not return while the launcher it started
// still runs.
func checkGone(t *testing.T, pidFile string) {
	t.Helper()
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("the launcher did not run: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid file: %v", err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("launcher process %d still there after Start failed (signal 0: %v)", pid, err)
	}
}
