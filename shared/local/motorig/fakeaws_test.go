package motorig_test

import (
	"errors"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	aatypes "github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"
	"github.com/aws/aws-sdk-go-v2/service/detective"
	"github.com/aws/aws-sdk-go-v2/service/health"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
)

// hostRecorder records the host of every request the SDK sends through it.
type hostRecorder struct {
	aws.HTTPClient
	mu    sync.Mutex
	hosts []string
}

func (c *hostRecorder) Do(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.hosts = append(c.hosts, r.URL.Host)
	c.mu.Unlock()
	return c.HTTPClient.Do(r)
}

// take returns the hosts recorded since the last take.
func (c *hostRecorder) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.hosts
	c.hosts = nil
	return h
}

func hostOf(t *testing.T, endpoint string) string {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// TestFakeServicesRouting checks that the configurations of the rig send
// AWS Health, IAM Access Analyzer, Amazon Detective and AWS Security Hub
// (even the operations moto has) to the fake, and every other service to
// moto, whatever endpoint settings this process has.
func TestFakeServicesRouting(t *testing.T) {
	_, org := srv.SeedT(t)
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	t.Setenv("AWS_ENDPOINT_URL_HEALTH", "http://127.0.0.1:1")
	t.Setenv("AWS_ENDPOINT_URL_ACCESSANALYZER", "http://127.0.0.1:1")
	t.Setenv("AWS_ENDPOINT_URL_DETECTIVE", "http://127.0.0.1:1")
	t.Setenv("AWS_ENDPOINT_URL_SECURITYHUB", "http://127.0.0.1:1")
	t.Setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1")
	t.Setenv("AWS_ENDPOINT_URL_ORGANIZATIONS", "http://127.0.0.1:1")
	t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
	mgmt, err := srv.AWSConfig(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	fake, moto := hostOf(t, srv.FakeEndpoint()), hostOf(t, srv.Endpoint())
	if fake == moto {
		t.Fatalf("the fake and moto are both at %s", fake)
	}

	for _, tc := range []struct {
		name string
		cfg  aws.Config
	}{
		{"management", mgmt},
		{"member", srv.AccountConfigT(t, org.Security)},
		{"member in eu-west-1", awsclient.WithRegion(srv.AccountConfigT(t, org.LogArchive), "eu-west-1")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &hostRecorder{HTTPClient: tc.cfg.HTTPClient}
			cfg := tc.cfg.Copy()
			cfg.HTTPClient = rec
			check := func(service, want string, err error) {
				t.Helper()
				if err != nil {
					t.Errorf("%s: %v", service, err)
				}
				for _, h := range rec.take() {
					if h != want {
						t.Errorf("%s sent a request to %s, want %s", service, h, want)
					}
				}
			}
			_, err := health.NewFromConfig(cfg).DescribeHealthServiceStatusForOrganization(ctx(t), &health.DescribeHealthServiceStatusForOrganizationInput{})
			if tc.name != "management" && awsclient.ErrorCode(err) == "AccessDeniedException" {
				err = nil // the fake's answer to a member account
			}
			check("Health", fake, err)
			_, err = accessanalyzer.NewFromConfig(cfg).ListAnalyzers(ctx(t), &accessanalyzer.ListAnalyzersInput{})
			check("Access Analyzer", fake, err)
			_, err = detective.NewFromConfig(cfg).ListGraphs(ctx(t), &detective.ListGraphsInput{})
			check("Detective", fake, err)
			hub := securityhub.NewFromConfig(cfg)
			_, err = hub.EnableSecurityHub(ctx(t), &securityhub.EnableSecurityHubInput{})
			check("Security Hub EnableSecurityHub", fake, err)
			_, err = hub.GetEnabledStandards(ctx(t), &securityhub.GetEnabledStandardsInput{})
			check("Security Hub GetEnabledStandards", fake, err)
			_, err = hub.GetFindings(ctx(t), &securityhub.GetFindingsInput{})
			if _, ok := awsclient.UnavailableOperation(err); ok {
				err = nil // the fake's answer to an operation it does not offer
			}
			check("Security Hub GetFindings", fake, err)
			_, err = sts.NewFromConfig(cfg).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
			check("STS", moto, err)
			_, err = organizations.NewFromConfig(cfg).DescribeOrganization(ctx(t), &organizations.DescribeOrganizationInput{})
			check("Organizations", moto, err)
		})
	}

	// A client's own endpoint option still wins.
	rec := &hostRecorder{HTTPClient: mgmt.HTTPClient}
	cfg := mgmt.Copy()
	cfg.HTTPClient = rec
	health.NewFromConfig(cfg, func(o *health.Options) { o.BaseEndpoint = aws.String("http://127.0.0.1:1") }).
		DescribeHealthServiceStatusForOrganization(ctx(t), &health.DescribeHealthServiceStatusForOrganizationInput{})
	if hosts := rec.take(); len(hosts) == 0 || hosts[0] != "127.0.0.1:1" {
		t.Errorf("Health with BaseEndpoint 127.0.0.1:1 sent requests to %v", hosts)
	}
}

func TestResetClearsFake(t *testing.T) {
	cfg, _ := srv.SeedT(t)
	hc, ac, dc := health.NewFromConfig(cfg), accessanalyzer.NewFromConfig(cfg), detective.NewFromConfig(cfg)
	if _, err := dc.CreateGraph(ctx(t), &detective.CreateGraphInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := securityhub.NewFromConfig(cfg).EnableSecurityHub(ctx(t), &securityhub.EnableSecurityHubInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := hc.EnableHealthServiceAccessForOrganization(ctx(t), &health.EnableHealthServiceAccessForOrganizationInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := ac.CreateAnalyzer(ctx(t), &accessanalyzer.CreateAnalyzerInput{
		AnalyzerName: aws.String("before-reset"), Type: aatypes.TypeAccount,
	}); err != nil {
		t.Fatal(err)
	}

	cfg, _ = srv.SeedT(t)
	hc, ac, dc = health.NewFromConfig(cfg), accessanalyzer.NewFromConfig(cfg), detective.NewFromConfig(cfg)
	if g, err := dc.ListGraphs(ctx(t), &detective.ListGraphsInput{}); err != nil || len(g.GraphList) != 0 {
		t.Errorf("behavior graphs after a reset: %+v, %v; want none", g, err)
	}
	st, err := hc.DescribeHealthServiceStatusForOrganization(ctx(t), &health.DescribeHealthServiceStatusForOrganizationInput{})
	if err != nil || aws.ToString(st.HealthServiceAccessStatusForOrganization) != "DISABLED" {
		t.Errorf("organizational view after a reset: %v, %v; want DISABLED", st, err)
	}
	_, err = ac.GetAnalyzer(ctx(t), &accessanalyzer.GetAnalyzerInput{AnalyzerName: aws.String("before-reset")})
	var nf *aatypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("GetAnalyzer after a reset: err %v, want ResourceNotFoundException", err)
	}
	_, err = securityhub.NewFromConfig(cfg).DescribeHub(ctx(t), &securityhub.DescribeHubInput{})
	var notEnabled *shtypes.InvalidAccessException
	if !errors.As(err, &notEnabled) {
		t.Errorf("DescribeHub after a reset: err %v, want InvalidAccessException", err)
	}
}
