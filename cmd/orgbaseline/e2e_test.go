package main

// End-to-end tests of `orgbaseline apply --local`: the CLI binary as a user
// runs it, synthesizing the stacks with the CDK app, running the synthesized
// state machine in aws-local-stepfunctions, and its steps against the moto
// server holding a seeded organization.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgbaseline/orgbaseline/shared/motorig"
	"github.com/orgbaseline/orgbaseline/shared/report"
)

var (
	srv    *motorig.Server
	cliBin string // the orgbaseline binary under test
	cdkApp string // the CDK app binary it synthesizes with
	root   string
)

// TestMain builds the CLI and the CDK app into build/e2e (unless
// ORGBASELINE_CLI and ORGBASELINE_CDK_APP name them, as `make test` does) and
// starts moto.
func TestMain(m *testing.M) {
	var err error
	if root, err = filepath.Abs(filepath.Join("..", "..")); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL:", err)
		os.Exit(1)
	}
	out := filepath.Join(root, "build", "e2e")
	cliBin = binary("ORGBASELINE_CLI", filepath.Join(out, "orgbaseline"), "-tags", "lambda.norpc", "./cmd/orgbaseline")
	cdkApp = binary("ORGBASELINE_CDK_APP", filepath.Join(out, "cdkapp"), "./infra")
	motorig.Main(m, func(s *motorig.Server) { srv = s }, motorig.WithRoot(root))
}

// binary returns the binary named by env, or builds pkg into out.
func binary(env, out string, buildArgs ...string) string {
	if p := os.Getenv(env); p != "" {
		if !filepath.IsAbs(p) {
			p = filepath.Join(root, p) // relative to the project, as make passes it
		}
		return p
	}
	args := append([]string{"build", "-o", out}, buildArgs...)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: go %s: %v\n%s", strings.Join(args, " "), err, b)
		os.Exit(1)
	}
	return out
}

// orgbaseline runs the CLI against the moto server and decodes its JSON report.
func orgbaseline(t *testing.T, args ...string) (int, report.Report, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cliBin, append(args, "--output", "json", "--cdk-app", cdkApp)...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(srv.Environ(), "ORGBASELINE_ROOT="+root)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	var rep report.Report
	if stdout.Len() > 0 {
		if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
			t.Fatalf("report is not JSON: %v\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
		}
	}
	return code, rep, stderr.String()
}

// orgState is what the prerequisites step changes in the organization.
type orgState struct {
	trusted []string
	admins  map[string][]string
}

var principals = []string{
	"access-analyzer.amazonaws.com", "cloudtrail.amazonaws.com", "config-multiaccountsetup.amazonaws.com",
	"config.amazonaws.com", "detective.amazonaws.com", "guardduty.amazonaws.com", "health.amazonaws.com",
	"securityhub.amazonaws.com",
}

func readOrg(t *testing.T, cfg aws.Config) orgState {
	t.Helper()
	ctx := context.Background()
	api := organizations.NewFromConfig(cfg)
	st := orgState{admins: map[string][]string{}}
	pages := organizations.NewListAWSServiceAccessForOrganizationPaginator(api, &organizations.ListAWSServiceAccessForOrganizationInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page.EnabledServicePrincipals {
			st.trusted = append(st.trusted, aws.ToString(p.ServicePrincipal))
		}
	}
	sort.Strings(st.trusted)
	for _, p := range principals {
		out, err := api.ListDelegatedAdministrators(ctx, &organizations.ListDelegatedAdministratorsInput{ServicePrincipal: aws.String(p)})
		if err != nil {
			t.Fatalf("list delegated administrators for %s: %v", p, err)
		}
		for _, a := range out.DelegatedAdministrators {
			st.admins[p] = append(st.admins[p], aws.ToString(a.Id))
		}
	}
	return st
}

func statuses(rep report.Report) map[string]string {
	m := map[string]string{}
	for _, r := range rep.Rows {
		m[r.Service] = r.Status
	}
	return m
}

func TestApplyLocalOnEmulatedOrganization(t *testing.T) {
	awsCfg, org := srv.SeedT(t)
	config := filepath.Join(t.TempDir(), "orgbaseline.yaml")
	if err := motorig.WriteConfig(config, org, "us-east-1", []string{"us-east-1", "eu-west-1"}); err != nil {
		t.Fatal(err)
	}
	services := []string{"cloudtrail", "config", "guardduty", "securityhub", "accessanalyzer", "health"}

	t.Run("plan lists the actions and changes nothing", func(t *testing.T) {
		code, rep, stderr := orgbaseline(t, "apply", "--local", "--plan", "--config", config)
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		for _, s := range services {
			if e, a := "planned", statuses(rep)[s]; e != a {
				t.Errorf("%s: expect %s, got %s", s, e, a)
			}
		}
		if !slices.ContainsFunc(rep.Rows, func(r report.Row) bool {
			return r.Service == "config" && slices.Contains(r.Actions, "organizations:RegisterDelegatedAdministrator config.amazonaws.com "+org.Security)
		}) {
			t.Errorf("plan does not list the config delegated administrator: %+v", rep.Rows)
		}
		if st := readOrg(t, awsCfg); len(st.trusted) != 0 || len(st.admins) != 0 {
			t.Errorf("plan changed the organization: %+v", st)
		}
		if !strings.Contains(stderr, "> OrgPrerequisites") || !strings.Contains(stderr, "ok OrgPrerequisites") {
			t.Errorf("no progress shown:\n%s", stderr)
		}
	})

	t.Run("apply converges the organization", func(t *testing.T) {
		code, rep, stderr := orgbaseline(t, "apply", "--local", "--config", config)
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		for _, s := range services {
			if e, a := "changed", statuses(rep)[s]; e != a {
				t.Errorf("%s: expect %s, got %s", s, e, a)
			}
		}
		st := readOrg(t, awsCfg)
		want := []string{"access-analyzer.amazonaws.com", "cloudtrail.amazonaws.com", "config-multiaccountsetup.amazonaws.com",
			"config.amazonaws.com", "guardduty.amazonaws.com", "health.amazonaws.com", "securityhub.amazonaws.com"}
		if !slices.Equal(want, st.trusted) {
			t.Errorf("trusted access:\nexpect %v\ngot    %v", want, st.trusted)
		}
		for _, p := range []string{"config.amazonaws.com", "config-multiaccountsetup.amazonaws.com", "access-analyzer.amazonaws.com", "health.amazonaws.com"} {
			if e, a := []string{org.Security}, st.admins[p]; !slices.Equal(e, a) {
				t.Errorf("%s delegated administrators: expect %v, got %v", p, e, a)
			}
		}
	})

	t.Run("second apply changes nothing", func(t *testing.T) {
		before := readOrg(t, awsCfg)
		code, rep, stderr := orgbaseline(t, "apply", "--local", "--config", config)
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		for _, s := range services {
			if e, a := "unchanged", statuses(rep)[s]; e != a {
				t.Errorf("%s: expect %s, got %s", s, e, a)
			}
		}
		if after := readOrg(t, awsCfg); fmt.Sprint(before) != fmt.Sprint(after) {
			t.Errorf("second apply changed the organization:\n%v\n%v", before, after)
		}
		if !strings.Contains(stderr, "using the stacks synthesized earlier") {
			t.Errorf("the second run should reuse the synthesized assembly:\n%s", stderr)
		}
	})

	t.Run("a conflicting delegated administrator fails the run and changes nothing", func(t *testing.T) {
		other := org.Workloads[0]
		ctx := context.Background()
		if _, err := organizations.NewFromConfig(awsCfg).RegisterDelegatedAdministrator(ctx, &organizations.RegisterDelegatedAdministratorInput{
			AccountId: aws.String(other), ServicePrincipal: aws.String("securityhub.amazonaws.com"),
		}); err != nil {
			t.Fatal(err)
		}
		// Switch detective on too: its trusted access would be a change.
		withDetective := filepath.Join(t.TempDir(), "orgbaseline.yaml")
		b, _ := os.ReadFile(config)
		b = bytes.Replace(b, []byte("detective:\n    enabled: false"), []byte("detective:\n    enabled: true"), 1)
		if err := os.WriteFile(withDetective, b, 0o600); err != nil {
			t.Fatal(err)
		}
		before := readOrg(t, awsCfg)
		code, rep, stderr := orgbaseline(t, "apply", "--local", "--config", withDetective)
		if e, a := 1, code; e != a {
			t.Fatalf("exit: expect %d, got %d\n%s", e, a, stderr)
		}
		if rep.Error != "ConflictError" || len(rep.Rows) != 1 || rep.Rows[0].Status != "failed" {
			t.Fatalf("expect one failed row from a ConflictError, got %+v", rep)
		}
		for _, id := range []string{other, org.Security, "securityhub.amazonaws.com"} {
			if !strings.Contains(rep.Rows[0].Reason, id) {
				t.Errorf("the failure does not name %s: %s", id, rep.Rows[0].Reason)
			}
		}
		if after := readOrg(t, awsCfg); fmt.Sprint(before) != fmt.Sprint(after) {
			t.Errorf("a conflict changed the organization:\n%v\n%v", before, after)
		}
	})
}
