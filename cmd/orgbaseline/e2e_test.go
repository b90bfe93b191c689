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
	aasdk "github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	"github.com/aws/aws-sdk-go-v2/service/detective"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	healthsdk "github.com/aws/aws-sdk-go-v2/service/health"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	shsdk "github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/orgbaseline/orgbaseline/shared/accessanalyzer"
	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/configsvc"
	"github.com/orgbaseline/orgbaseline/shared/coverage"
	detectivepkg "github.com/orgbaseline/orgbaseline/shared/detective"
	"github.com/orgbaseline/orgbaseline/shared/health"
	"github.com/orgbaseline/orgbaseline/shared/local/motorig"
	"github.com/orgbaseline/orgbaseline/shared/local/mototest"
	"github.com/orgbaseline/orgbaseline/shared/org/teardown"
	"github.com/orgbaseline/orgbaseline/shared/orgtrail"
	"github.com/orgbaseline/orgbaseline/shared/report"
	"github.com/orgbaseline/orgbaseline/shared/settings"
)

var (
	srv    *mototest.Server
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
	mototest.Main(m, func(s *mototest.Server) { srv = s }, motorig.WithRoot(root))
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
	code, stdout, stderr := orgbaselineText(t, append(args, "--output", "json")...)
	var rep report.Report
	if stdout != "" {
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("report is not JSON: %v\n%s\nstderr:\n%s", err, stdout, stderr)
		}
	}
	return code, rep, stderr
}

// coverageOf runs report --local --output json on config, expects exit
// status code, and returns the matrix.
func coverageOf(t *testing.T, code int, config string) coverage.Matrix {
	t.Helper()
	got, stdout, stderr := orgbaselineText(t, "report", "--local", "--config", config, "--output", "json")
	var m coverage.Matrix
	if err := json.Unmarshal([]byte(stdout), &m); err != nil || got != code {
		t.Fatalf("report: exit %d (want %d), %v\n%s\n%s", got, code, err, stdout, stderr)
	}
	return m
}

// orgbaselineText runs the CLI against the moto server and returns its
// exit status, stdout and stderr.
func orgbaselineText(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if args[0] == "apply" || args[0] == "onboard" || args[0] == "deploy" || args[0] == "notify" || args[0] == "report" {
		args = append(args, "--cdk-app", cdkApp)
	}
	cmd := exec.CommandContext(ctx, cliBin, args...)
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
	return code, stdout.String(), stderr.String()
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

// rowKey names a row of the report.
func rowKey(r report.Row) string { return r.Step + " " + r.Account + " " + r.Region + " " + r.Service }

// notEmulated are the operations moto does not offer (GuardDuty: 404;
// Config: UnknownOperation, from scripts/motoserver.py): the steps
// report the parts that need them as skipped, naming the operation.
var notEmulated = []string{"DescribeOrganizationConfiguration", "ListMembers", "DescribeOrganizationConfigRules"}

// skippedForEmulator reports whether r is a part skipped because the
// emulator lacks one of notEmulated (directly, or for a part that needs its
// answer).
func skippedForEmulator(r report.Row) bool {
	return r.Status == "skipped" && slices.ContainsFunc(notEmulated, func(op string) bool {
		return strings.HasSuffix(r.Reason, op+" is not available at this endpoint")
	})
}

// switchedOff reports whether r is the row of a service the configuration
// switches off (Detective, in the example configuration).
func switchedOff(r report.Row) bool {
	return r.Status == "skipped" && strings.HasSuffix(r.Reason, "is disabled in the configuration")
}

// expectAll fails t unless every row has status want, but for the parts
// the emulator cannot run.
func expectAll(t *testing.T, rep report.Report, want string) {
	t.Helper()
	if len(rep.Rows) == 0 {
		t.Fatal("the report has no rows")
	}
	for _, r := range rep.Rows {
		if r.Status != want && !skippedForEmulator(r) && !switchedOff(r) {
			t.Errorf("%s: expect %s, got %s (%s) %v", rowKey(r), want, r.Status, r.Reason, r.Actions)
		}
	}
}

// hasAction reports whether a row of step for account lists call (with target prefix).
func hasAction(rep report.Report, step, account, call string) bool {
	for _, r := range rep.Rows {
		if r.Step == step && r.Account == account && slices.ContainsFunc(r.Actions, func(a string) bool { return strings.HasPrefix(a, call) }) {
			return true
		}
	}
	return false
}

// trailState is the organization trail as the emulator holds it.
type trailState struct {
	found                                bool
	org, multiRegion, global, validation bool
	bucket, kmsKey, logGroup, role       string
	logging                              bool
	bucketSSE, bucketKey                 string
}

func readTrail(t *testing.T, cfg settings.Config, mgmt aws.Config) trailState {
	t.Helper()
	ctx := context.Background()
	ct := cloudtrail.NewFromConfig(awsclient.WithRegion(mgmt, cfg.HomeRegion))
	out, err := ct.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{TrailNameList: []string{cfg.Services.CloudTrail.TrailName}})
	if err != nil {
		t.Fatal(err)
	}
	var st trailState
	for _, tr := range out.TrailList {
		if aws.ToString(tr.Name) != cfg.Services.CloudTrail.TrailName {
			continue
		}
		st = trailState{found: true, org: aws.ToBool(tr.IsOrganizationTrail), multiRegion: aws.ToBool(tr.IsMultiRegionTrail),
			global: aws.ToBool(tr.IncludeGlobalServiceEvents), validation: aws.ToBool(tr.LogFileValidationEnabled),
			bucket: aws.ToString(tr.S3BucketName), kmsKey: aws.ToString(tr.KmsKeyId),
			logGroup: aws.ToString(tr.CloudWatchLogsLogGroupArn), role: aws.ToString(tr.CloudWatchLogsRoleArn)}
		status, err := ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: tr.TrailARN})
		if err != nil {
			t.Fatal(err)
		}
		st.logging = aws.ToBool(status.IsLogging)
	}
	acc := awsclient.NewAccounts(mgmt, cfg.Accounts.Management, cfg.ExecutionRoleName, "e2e")
	enc, err := s3.NewFromConfig(awsclient.WithRegion(acc.Config(cfg.Accounts.LogArchive), cfg.HomeRegion)).
		GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(orgtrail.BucketName(cfg))})
	if err == nil && len(enc.ServerSideEncryptionConfiguration.Rules) > 0 {
		if d := enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault; d != nil {
			st.bucketSSE, st.bucketKey = string(d.SSEAlgorithm), aws.ToString(d.KMSMasterKeyID)
		}
	}
	return st
}

func keyARN(t *testing.T, cfg settings.Config, mgmt aws.Config) string {
	t.Helper()
	acc := awsclient.NewAccounts(mgmt, cfg.Accounts.Management, cfg.ExecutionRoleName, "e2e")
	out, err := kms.NewFromConfig(awsclient.WithRegion(acc.Config(cfg.Accounts.Security), cfg.HomeRegion)).
		DescribeKey(context.Background(), &kms.DescribeKeyInput{KeyId: aws.String(orgtrail.KeyAlias)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.KeyMetadata.Arn)
}

func TestBaselineLocalOnEmulatedOrganization(t *testing.T) {
	awsCfg, org := srv.SeedT(t)
	config := filepath.Join(t.TempDir(), "orgbaseline.yaml")
	if err := motorig.WriteConfig(config, org, "us-east-1", []string{"us-east-1", "eu-west-1"}); err != nil {
		t.Fatal(err)
	}
	root, err := motorig.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := motorig.AddConformancePack(context.Background(), awsCfg, config, "orgbaseline-essentials", filepath.Join(root, "packs", "orgbaseline-essentials.yaml")); err != nil {
		t.Fatal(err)
	}
	cfg, err := settings.LoadFile(config)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("deploy --local stands in for cdk deploy", func(t *testing.T) {
		code, rep, stderr := orgbaseline(t, "deploy", "--local", "--plan", "--config", config)
		if code != 0 || !hasAction(rep, "local-deploy", org.LogArchive, "s3:CreateBucket "+orgtrail.BucketName(cfg)) {
			t.Fatalf("deploy plan: exit %d %+v\n%s", code, rep, stderr)
		}
		if readTrail(t, cfg, awsCfg).bucketSSE != "" {
			t.Error("the plan made the bucket")
		}
		code, rep, stderr = orgbaseline(t, "deploy", "--local", "--config", config)
		if code != 0 || !hasAction(rep, "local-deploy", org.Security, "kms:CreateKey") {
			t.Fatalf("deploy: exit %d %+v\n%s", code, rep, stderr)
		}
		code, rep, _ = orgbaseline(t, "deploy", "--local", "--config", config)
		if code != 0 {
			t.Fatalf("second deploy: exit %d", code)
		}
		expectAll(t, rep, "unchanged")
	})

	t.Run("plan lists the actions and changes nothing", func(t *testing.T) {
		code, rep, stderr := orgbaseline(t, "apply", "--local", "--plan", "--config", config)
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		expectAll(t, rep, "planned")
		if !hasAction(rep, "org-prerequisites", org.Management, "organizations:RegisterDelegatedAdministrator config.amazonaws.com "+org.Security) {
			t.Errorf("plan does not list the config delegated administrator: %+v", rep.Rows)
		}
		if !hasAction(rep, "org-trail", org.Management, "cloudtrail:CreateTrail") || !hasAction(rep, "org-trail", org.LogArchive, "s3:PutBucketEncryption") {
			t.Errorf("plan does not list the trail: %+v", rep.Rows)
		}
		for _, a := range org.AccountIDs() {
			if !hasAction(rep, "config-recorders", a, "config:PutConfigurationRecorder") {
				t.Errorf("plan does not list the recorder of %s", a)
			}
		}
		if !hasAction(rep, "config-aggregator", org.Security, "config:PutConfigurationAggregator") ||
			!hasAction(rep, "config-rules", org.Security, "config:PutOrganizationConformancePack") {
			t.Errorf("plan does not list the aggregator and the pack: %+v", rep.Rows)
		}
		if st := readOrg(t, awsCfg); len(st.trusted) != 0 || len(st.admins) != 0 {
			t.Errorf("plan changed the organization: %+v", st)
		}
		if readTrail(t, cfg, awsCfg).found {
			t.Error("plan created the trail")
		}
		for _, want := range []string{"> OrgPrerequisites", "ok OrgPrerequisites", "> OrgTrail", "ok OrgTrail"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("progress does not show %q:\n%s", want, stderr)
			}
		}
	})

	t.Run("apply converges the organization and creates the trail", func(t *testing.T) {
		code, rep, stderr := orgbaseline(t, "apply", "--local", "--config", config)
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		expectAll(t, rep, "changed")
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
		key := keyARN(t, cfg, awsCfg)
		tr := readTrail(t, cfg, awsCfg)
		if e := (trailState{found: true, org: true, multiRegion: true, global: true, validation: true, bucket: orgtrail.BucketName(cfg),
			kmsKey: key, logging: true, bucketSSE: "aws:kms", bucketKey: key}); tr != e {
			t.Errorf("trail:\nexpect %+v\ngot    %+v", e, tr)
		}
		if len(rep.Warnings) == 0 || !slices.ContainsFunc(rep.Warnings, func(w string) bool { return strings.Contains(w, "management account") }) {
			t.Errorf("the preflight warnings are missing: %v", rep.Warnings)
		}
		// GuardDuty's detector in the security account, each region, and the
		// parts moto lacks reported as such.
		secCfg := awsclient.NewAccounts(awsCfg, org.Management, cfg.ExecutionRoleName, "e2e").Config(org.Security)
		for _, region := range []string{"us-east-1", "eu-west-1"} {
			dets, err := guardduty.NewFromConfig(awsclient.WithRegion(secCfg, region)).ListDetectors(context.Background(), &guardduty.ListDetectorsInput{})
			if err != nil {
				t.Fatal(err)
			}
			if len(dets.DetectorIds) != 1 {
				t.Errorf("GuardDuty detectors of the security account in %s: %v", region, dets.DetectorIds)
			}
			skips := 0
			for _, r := range rep.Rows {
				if r.Step == "guardduty-org" && r.Region == region && skippedForEmulator(r) {
					skips++
				}
			}
			// The organization configuration, the members, and the members'
			// features (which need the member list).
			if skips != 3 {
				t.Errorf("%s: expect the 3 parts moto cannot run reported as skipped, got %d", region, skips)
			}
		}
		// GuardDuty's delegated administrator, home region and the other one.
		for _, region := range []string{"us-east-1", "eu-west-1"} {
			if !slices.ContainsFunc(rep.Rows, func(r report.Row) bool {
				return r.Step == "guardduty-admin" && r.Region == region && r.Status == "changed"
			}) {
				t.Errorf("no changed guardduty-admin row for %s: %+v", region, rep.Rows)
			}
			out, err := guardduty.NewFromConfig(awsclient.WithRegion(awsCfg, region)).ListOrganizationAdminAccounts(context.Background(), &guardduty.ListOrganizationAdminAccountsInput{})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.AdminAccounts) != 1 || aws.ToString(out.AdminAccounts[0].AdminAccountId) != org.Security {
				t.Errorf("GuardDuty administrators in %s: %+v", region, out.AdminAccounts)
			}
		}
	})

	t.Run("apply sets up AWS Config in every account and region", func(t *testing.T) {
		// The previous subtest applied; this one reads what it left.
		ctx := context.Background()
		acc := awsclient.NewAccounts(awsCfg, org.Management, cfg.ExecutionRoleName, "e2e")
		sec := acc.Config(org.Security)
		key, err := kms.NewFromConfig(awsclient.WithRegion(sec, cfg.HomeRegion)).DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(configsvc.KeyAlias)})
		if err != nil {
			t.Fatal(err)
		}
		regions := []string{"us-east-1", "eu-west-1"}
		states, err := motorig.ReadRecorders(ctx, awsCfg, cfg, org.AccountIDs(), regions)
		if err != nil {
			t.Fatal(err)
		}
		if len(states) != len(org.AccountIDs())*len(regions) {
			t.Fatalf("%d account-regions read", len(states))
		}
		for _, st := range states {
			want := motorig.RecorderState{Account: st.Account, Region: st.Region, Recorder: settings.DefaultRecorderName, Recording: true,
				GlobalTypes: st.Region == cfg.HomeRegion, Bucket: configsvc.BucketName(cfg), Key: aws.ToString(key.KeyMetadata.Arn)}
			if st != want {
				t.Errorf("Config in %s %s:\nexpect %+v\ngot    %+v", st.Account, st.Region, want, st)
			}
		}
		cs := configservice.NewFromConfig(awsclient.WithRegion(sec, cfg.HomeRegion))
		aggs, err := cs.DescribeConfigurationAggregators(ctx, &configservice.DescribeConfigurationAggregatorsInput{ConfigurationAggregatorNames: []string{cfg.Services.Config.AggregatorName}})
		if err != nil {
			t.Fatal(err)
		}
		if len(aggs.ConfigurationAggregators) != 1 || aggs.ConfigurationAggregators[0].OrganizationAggregationSource == nil ||
			aws.ToString(aggs.ConfigurationAggregators[0].OrganizationAggregationSource.RoleArn) != configsvc.AggregatorRoleARN(cfg) ||
			!aggs.ConfigurationAggregators[0].OrganizationAggregationSource.AllAwsRegions {
			t.Errorf("aggregator: %+v", aggs.ConfigurationAggregators)
		}
		for _, region := range regions {
			packs, err := configservice.NewFromConfig(awsclient.WithRegion(sec, region)).DescribeOrganizationConformancePacks(ctx,
				&configservice.DescribeOrganizationConformancePacksInput{OrganizationConformancePackNames: []string{"orgbaseline-essentials"}})
			if err != nil {
				t.Fatalf("conformance pack in %s: %v", region, err)
			}
			if len(packs.OrganizationConformancePacks) != 1 {
				t.Errorf("conformance packs in %s: %+v", region, packs.OrganizationConformancePacks)
			}
		}
	})

	t.Run("second apply changes nothing", func(t *testing.T) {
		before, trail := readOrg(t, awsCfg), readTrail(t, cfg, awsCfg)
		code, rep, stderr := orgbaseline(t, "apply", "--local", "--config", config)
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		expectAll(t, rep, "unchanged")
		if after := readOrg(t, awsCfg); fmt.Sprint(before) != fmt.Sprint(after) {
			t.Errorf("second apply changed the organization:\n%v\n%v", before, after)
		}
		if after := readTrail(t, cfg, awsCfg); after != trail {
			t.Errorf("second apply changed the trail:\n%+v\n%+v", trail, after)
		}
		if !strings.Contains(stderr, "using the stacks synthesized earlier") {
			t.Errorf("the second run should reuse the synthesized assembly:\n%s", stderr)
		}
	})

	t.Run("report reads the coverage from the organization's state", func(t *testing.T) {
		ctx := context.Background()
		m := coverageOf(t, 0, config)
		if m.Execution != "SUCCEEDED" || len(m.Accounts) != len(org.AccountIDs()) || strings.Join(m.Regions, ",") != "us-east-1,eu-west-1" {
			t.Fatalf("matrix: %s, %d accounts, regions %v", m.Execution, len(m.Accounts), m.Regions)
		}
		on := 0
		for _, c := range m.Cells {
			switch {
			case c.State == coverage.Off || c.State == coverage.Partial || c.State == coverage.Error:
				t.Errorf("after two applies %s %s %s is %s: %s", c.Account, c.Region, c.Service, c.State, c.Reason)
			case c.Service == settings.ServiceConfig && c.State != coverage.On:
				t.Errorf("Config in %s %s is %s, want on", c.Account, c.Region, c.State)
			case c.State == coverage.On:
				on++
			}
		}
		for _, c := range m.Organization {
			if c.State != coverage.On {
				t.Errorf("%s organization-wide is %s: %s", c.Service, c.State, c.Reason)
			}
		}
		if on < len(org.AccountIDs())*2*2 { // Config and Access Analyzer at least
			t.Errorf("%d cells on", on)
		}

		// Drift: a member's recorder stopped behind the baseline's back is
		// off in the matrix, and the report exits 1; nothing puts it back.
		member := org.Workloads[0]
		acc := awsclient.NewAccounts(awsCfg, org.Management, cfg.ExecutionRoleName, "e2e")
		cs := configservice.NewFromConfig(awsclient.WithRegion(acc.Config(member), "eu-west-1"))
		if _, err := cs.StopConfigurationRecorder(ctx, &configservice.StopConfigurationRecorderInput{ConfigurationRecorderName: aws.String(settings.DefaultRecorderName)}); err != nil {
			t.Fatal(err)
		}
		m = coverageOf(t, 1, config)
		for _, c := range m.Cells {
			drifted := c.Account == member && c.Region == "eu-west-1" && c.Service == settings.ServiceConfig
			if drifted != (c.State == coverage.Off || c.State == coverage.Partial) {
				t.Errorf("%s %s %s is %s (%s)", c.Account, c.Region, c.Service, c.State, c.Reason)
			}
		}
		code, stdout, stderr := orgbaselineText(t, "report", "--local", "--config", config, "--output", "csv", "--services", "config")
		if code != 1 || !strings.Contains(stdout, member+",") || !strings.Contains(stdout, ",eu-west-1,config,") {
			t.Errorf("csv: exit %d\n%s\n%s", code, stdout, stderr)
		}
		page := filepath.Join(t.TempDir(), "coverage.html")
		code, _, stderr = orgbaselineText(t, "report", "--local", "--config", config, "--output", "html", "--out", page)
		b, err := os.ReadFile(page)
		if code != 1 || err != nil || !bytes.Contains(b, []byte(`data-service="config" data-region="eu-west-1" data-state="`)) {
			t.Errorf("html: exit %d, %v\n%s", code, err, stderr)
		}
		// Put back by the next apply, which changes that recorder alone.
		code, rep, stderr := orgbaseline(t, "apply", "--local", "--config", config)
		if code != 0 {
			t.Fatalf("apply after drift: exit %d\n%s", code, stderr)
		}
		for _, row := range rep.Rows {
			if changed := row.Status == "changed"; changed != (row.Account == member && row.Region == "eu-west-1" && row.Service == settings.ServiceConfig) {
				t.Errorf("apply after drift: %s %s %s %s", row.Account, row.Region, row.Service, row.Status)
			}
		}
		coverageOf(t, 0, config)
	})

	t.Run("rollback of the trail's encryption keeps the key", func(t *testing.T) {
		code, rep, stderr := orgbaseline(t, "rollback", "trail-encryption", "--plan", "--config", config)
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		if readTrail(t, cfg, awsCfg).kmsKey == "" {
			t.Fatal("the plan removed the key")
		}
		if !hasAction(rep, "rollback "+orgtrail.RollbackEncryptionName, org.Management, "cloudtrail:UpdateTrail") {
			t.Errorf("plan: %+v", rep.Rows)
		}
		code, rep, stderr = orgbaseline(t, "rollback", "trail-encryption", "--config", config)
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		tr := readTrail(t, cfg, awsCfg)
		if tr.kmsKey != "" || tr.bucketSSE != "AES256" || !tr.logging {
			t.Errorf("after rollback: %+v", tr)
		}
		keyARN(t, cfg, awsCfg) // the key is still there
		if !slices.ContainsFunc(rep.Warnings, func(w string) bool { return strings.Contains(w, "kms:Decrypt") }) {
			t.Errorf("the report does not say old log files stay encrypted: %v", rep.Warnings)
		}
		code, rep, _ = orgbaseline(t, "rollback", "trail-encryption", "--config", config)
		if code != 0 {
			t.Fatalf("second rollback: exit %d", code)
		}
		for _, r := range rep.Rows {
			if r.Status == "changed" {
				t.Errorf("second rollback changed %s", rowKey(r))
			}
		}
		code, rep, _ = orgbaseline(t, "rollback", "trail-cloudwatch-logs", "--config", config)
		if code != 0 {
			t.Fatalf("cloudwatch logs rollback: exit %d", code)
		}
		for _, r := range rep.Rows {
			if r.Status == "changed" {
				t.Errorf("the trail has no CloudWatch Logs, but the rollback changed %s", rowKey(r))
			}
		}
	})

	t.Run("a new account is onboarded once per event", func(t *testing.T) {
		id, eventFile := createdAccountEvent(t, awsCfg, org, "onboarded", "e2e-onboarding-event")
		event, err := os.ReadFile(eventFile)
		if err != nil {
			t.Fatal(err)
		}

		code, rep, stderr := orgbaseline(t, "onboard", "--event", eventFile, "--local", "--config", config)
		if code != 0 {
			t.Fatalf("onboard: exit %d\n%s", code, stderr)
		}
		if !hasAction(rep, "config-recorders", id, "config:PutConfigurationRecorder") {
			t.Errorf("the new account has no recorder: %+v", rep.Rows)
		}
		if !strings.Contains(stderr, "matched by rule OnboardingNewAccount in us-east-1") {
			t.Errorf("the emulator's rule did not take the event:\n%s", stderr)
		}
		// The run's summary, through the onboarded rule, on the
		// operations topic.
		for _, want := range []string{"the operations topic received: orgbaseline onboarded account " + id + ": ", "    config          ", "    Execution onboard-" + id + "-e2e-onboarding-event: "} {
			if !strings.Contains(stderr, want) {
				t.Errorf("the summary lacks %q:\n%s", want, stderr)
			}
		}
		for _, r := range rep.Rows {
			if r.Step == "config-recorders" && r.Account != id {
				t.Errorf("the onboarding run reached account %s: %+v", r.Account, r)
			}
			if r.Status == "failed" {
				t.Errorf("failed: %+v", r)
			}
		}
		// The same event again: its execution name is taken.
		code, rep, stderr = orgbaseline(t, "onboard", "--event", eventFile, "--local", "--config", config)
		if code != 0 || len(rep.Rows) != 0 || !strings.Contains(stderr, "this event was onboarded already; nothing was started") {
			t.Errorf("the duplicate: exit %d, %d rows\n%s", code, len(rep.Rows), stderr)
		}
		// A FAILED creation starts nothing.
		failed := filepath.Join(t.TempDir(), "failed.json")
		if err := os.WriteFile(failed, bytes.Replace(event, []byte(`"SUCCEEDED"`), []byte(`"FAILED"`), 1), 0o600); err != nil {
			t.Fatal(err)
		}
		code, _, stderr = orgbaseline(t, "onboard", "--event", failed, "--local", "--config", config)
		if code != 0 || !strings.Contains(stderr, "starts nothing: ") || !strings.Contains(stderr, "account creation FAILED") {
			t.Errorf("a FAILED creation: exit %d\n%s", code, stderr)
		}
	})

	t.Run("findings at or above the threshold are published, from every region", func(t *testing.T) {
		detail, err := os.ReadFile(filepath.Join(root, "events", "guardduty-finding-low-ssh-bruteforce-sample-detail-only.json"))
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			Detail map[string]any `json:"detail"`
		}
		if err := json.Unmarshal(detail, &d); err != nil {
			t.Fatal(err)
		}
		// The published finding (its detail only) in the envelope
		// EventBridge delivers it in, at a severity and in a region.
		finding := func(severity float64, region string) string {
			d.Detail["severity"] = severity
			b, _ := json.Marshal(map[string]any{"version": "0", "id": fmt.Sprintf("e2e-finding-%v-%s", severity, region), "detail-type": "GuardDuty Finding",
				"source": "aws.guardduty", "account": org.Security, "time": "2026-11-30T12:00:00Z", "region": region, "resources": []string{}, "detail": d.Detail})
			f := filepath.Join(t.TempDir(), "finding.json")
			if err := os.WriteFile(f, b, 0o600); err != nil {
				t.Fatal(err)
			}
			return f
		}
		for _, tc := range []struct {
			severity  float64
			region    string
			published string
		}{
			{2, "us-east-1", ""},
			{8, "us-east-1", "published: [HIGH] GuardDuty UnauthorizedAccess:EC2/SSHBruteForce in " + org.Security + " us-east-1"},
			{9.5, "eu-west-1", "published: [CRITICAL] GuardDuty UnauthorizedAccess:EC2/SSHBruteForce in " + org.Security + " eu-west-1"},
			{5, "eu-west-1", ""},
		} {
			code, stdout, stderr := orgbaselineText(t, "notify", "--event", finding(tc.severity, tc.region), "--local", "--config", config)
			if code != 0 {
				t.Fatalf("severity %v: exit %d\n%s", tc.severity, code, stderr)
			}
			switch {
			case tc.published == "" && !strings.Contains(stdout, "not matched: no finding rule on the emulator matches the event; not published"):
				t.Errorf("severity %v was published:\n%s", tc.severity, stdout)
			case tc.published != "" && (!strings.Contains(stdout, tc.published) || !strings.Contains(stdout, "Resource:   Instance i-99999999")):
				t.Errorf("severity %v: want %q and the message:\n%s", tc.severity, tc.published, stdout)
			case tc.region == "eu-west-1" && tc.published != "" && !strings.Contains(stderr, "forwarded from eu-west-1"):
				t.Errorf("severity %v in eu-west-1 was not forwarded to the home region:\n%s", tc.severity, stderr)
			}
		}
	})

	t.Run("a conflicting delegated administrator fails the run and changes nothing", func(t *testing.T) {
		other := org.Workloads[0]
		ctx := context.Background()
		if _, err := organizations.NewFromConfig(awsCfg).RegisterDelegatedAdministrator(ctx, &organizations.RegisterDelegatedAdministratorInput{
			AccountId: aws.String(other), ServicePrincipal: aws.String("guardduty.amazonaws.com"),
		}); err != nil {
			t.Fatal(err)
		}
		// Switch detective on too: its trusted access would be a change,
		// which the conflict must prevent as well.
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
		for _, id := range []string{other, org.Security, "guardduty.amazonaws.com"} {
			if !strings.Contains(rep.Rows[0].Reason, id) {
				t.Errorf("the failure does not name %s: %s", id, rep.Rows[0].Reason)
			}
		}
		if after := readOrg(t, awsCfg); fmt.Sprint(before) != fmt.Sprint(after) {
			t.Errorf("a conflict changed the organization:\n%v\n%v", before, after)
		}
	})

	t.Run("disable cloudtrail deletes the trail and keeps the bucket and its key", func(t *testing.T) {
		before := readTrail(t, cfg, awsCfg)
		if !before.found || before.bucketKey == "" {
			t.Fatalf("no trail to disable: %+v", before)
		}
		code, rep, stderr := orgbaseline(t, "disable", "cloudtrail", "--plan", "--config", config)
		if code != 0 || !hasAction(rep, "disable cloudtrail", org.Management, "cloudtrail:DeleteTrail") {
			t.Fatalf("disable --plan: exit %d %+v\n%s", code, rep, stderr)
		}
		if !readTrail(t, cfg, awsCfg).found {
			t.Fatal("the plan deleted the trail")
		}
		code, rep, stderr = orgbaseline(t, "disable", "cloudtrail", "--config", config)
		if code != 0 || !hasAction(rep, "disable cloudtrail", org.Management, "cloudtrail:DeleteTrail") {
			t.Fatalf("disable: exit %d %+v\n%s", code, rep, stderr)
		}
		after := readTrail(t, cfg, awsCfg)
		if after.found || after.bucketSSE != "aws:kms" || after.bucketKey != before.bucketKey {
			t.Errorf("after disable: the trail is gone, the bucket and its key stay: %+v", after)
		}
		if !strings.Contains(strings.Join(rep.Warnings, "\n"), orgtrail.BucketName(cfg)) {
			t.Errorf("the report does not say the bucket is kept: %v", rep.Warnings)
		}
		code, rep, stderr = orgbaseline(t, "disable", "cloudtrail", "--config", config)
		if code != 0 {
			t.Fatalf("second disable: exit %d\n%s", code, stderr)
		}
		expectAll(t, rep, "unchanged")
	})

	regions := []string{"us-east-1", "eu-west-1"}

	t.Run("disable accessanalyzer deletes orgbaseline's analyzers, then the delegated administrator and trusted access", func(t *testing.T) {
		const principal = "access-analyzer.amazonaws.com"
		accounts := organizationAccounts(t, awsCfg)
		before, org0 := readAnalyzers(t, cfg, awsCfg, accounts, regions), readOrg(t, awsCfg)
		for _, want := range []string{
			org.Management + " us-east-1 " + accessanalyzer.AccountAnalyzer,
			org.Workloads[0] + " eu-west-1 " + accessanalyzer.AccountAnalyzer,
			org.Security + " us-east-1 " + accessanalyzer.OrganizationAnalyzer,
			org.Security + " eu-west-1 " + accessanalyzer.OrganizationAnalyzer,
		} {
			if !slices.Contains(before, want) {
				t.Fatalf("no analyzer %q to disable: %v", want, before)
			}
		}
		if !slices.Contains(org0.trusted, principal) || !slices.Equal(org0.admins[principal], []string{org.Security}) {
			t.Fatalf("Access Analyzer is not in the organization: %+v", org0)
		}

		rep := disableOK(t, "accessanalyzer", "--plan", "--config", config)
		if !hasAction(rep, "disable accessanalyzer", org.Security, accessanalyzer.CallDelete+" "+accessanalyzer.OrganizationAnalyzer) ||
			!hasAction(rep, "disable accessanalyzer", org.Management, "organizations:DisableAWSServiceAccess "+principal) {
			t.Errorf("the plan does not list the delete and trusted access: %+v", rep.Rows)
		}
		if after := readAnalyzers(t, cfg, awsCfg, accounts, regions); !slices.Equal(before, after) {
			t.Errorf("the plan changed the analyzers:\n%v\n%v", before, after)
		}
		if after := readOrg(t, awsCfg); fmt.Sprint(org0) != fmt.Sprint(after) {
			t.Errorf("the plan changed the organization:\n%v\n%v", org0, after)
		}

		rep = disableOK(t, "accessanalyzer", "--config", config)
		if !hasAction(rep, "disable accessanalyzer", org.Management, teardown.CallDeregister+" "+org.Security+" for "+principal) {
			t.Errorf("the delegated administrator was not deregistered: %+v", rep.Rows)
		}
		after := readAnalyzers(t, cfg, awsCfg, accounts, regions)
		for _, a := range after {
			if name := a[strings.LastIndex(a, " ")+1:]; name == accessanalyzer.AccountAnalyzer || name == accessanalyzer.OrganizationAnalyzer || name == accessanalyzer.UnusedAccessAnalyzer {
				t.Errorf("after disable the analyzer %s is left", a)
			}
		}
		if st := readOrg(t, awsCfg); slices.Contains(st.trusted, principal) || len(st.admins[principal]) != 0 {
			t.Errorf("after disable: trusted access %v, delegated administrators %v", st.trusted, st.admins[principal])
		}
		expectAll(t, disableOK(t, "accessanalyzer", "--config", config), "unchanged")
	})

	t.Run("disable health turns the organizational view off, then the delegated administrator and trusted access", func(t *testing.T) {
		const principal = "health.amazonaws.com"
		org0 := readOrg(t, awsCfg)
		if v := healthView(t, awsCfg); v != "ENABLED" || !slices.Contains(org0.trusted, principal) || !slices.Equal(org0.admins[principal], []string{org.Security}) {
			t.Fatalf("Health's organizational view is not set up: %s, %+v", v, org0)
		}

		rep := disableOK(t, "health", "--plan", "--config", config)
		if !hasAction(rep, "disable health", org.Management, health.CallDisableView) ||
			!hasAction(rep, "disable health", org.Management, teardown.CallDeregister+" "+org.Security+" for "+principal) {
			t.Errorf("the plan does not list the view and the delegated administrator: %+v", rep.Rows)
		}
		if v := healthView(t, awsCfg); v != "ENABLED" {
			t.Errorf("the plan turned the view %s", v)
		}
		if after := readOrg(t, awsCfg); fmt.Sprint(org0) != fmt.Sprint(after) {
			t.Errorf("the plan changed the organization:\n%v\n%v", org0, after)
		}

		rep = disableOK(t, "health", "--config", config)
		if !hasAction(rep, "disable health", org.Management, health.CallDisableView) ||
			!hasAction(rep, "disable health", org.Management, "organizations:DisableAWSServiceAccess "+principal) {
			t.Errorf("disable did not turn the view and trusted access off: %+v", rep.Rows)
		}
		if v := healthView(t, awsCfg); v != "DISABLED" {
			t.Errorf("after disable the view is %s", v)
		}
		if st := readOrg(t, awsCfg); slices.Contains(st.trusted, principal) || len(st.admins[principal]) != 0 {
			t.Errorf("after disable: trusted access %v, delegated administrators %v", st.trusted, st.admins[principal])
		}
		expectAll(t, disableOK(t, "health", "--config", config), "unchanged")
	})

	t.Run("disable detective removes the administrator in each region, then the delegated administrator and trusted access", func(t *testing.T) {
		const principal = "detective.amazonaws.com"
		// Detective is off in the example configuration: its organization
		// is set up as EnableOrganizationAdminAccount leaves it, in each
		// region.
		for _, region := range regions {
			if _, err := detective.NewFromConfig(awsclient.WithRegion(awsCfg, region)).EnableOrganizationAdminAccount(context.Background(),
				&detective.EnableOrganizationAdminAccountInput{AccountId: aws.String(org.Security)}); err != nil {
				t.Fatalf("designate Detective's administrator in %s: %v", region, err)
			}
		}
		sec := awsclient.NewAccounts(awsCfg, org.Management, cfg.ExecutionRoleName, "e2e").Config(org.Security)
		before, org0 := readDetective(t, awsCfg, sec, regions), readOrg(t, awsCfg)
		for _, region := range regions {
			if before[region] != org.Security+" 1" {
				t.Fatalf("Detective in %s: %q, want the security account's graph", region, before[region])
			}
		}
		if !slices.Contains(org0.trusted, principal) || !slices.Equal(org0.admins[principal], []string{org.Security}) {
			t.Fatalf("Detective is not in the organization: %+v", org0)
		}

		rep := disableOK(t, "detective", "--plan", "--config", config)
		for _, region := range regions {
			if !slices.ContainsFunc(rep.Rows, func(r report.Row) bool {
				return r.Region == region && r.Status == "planned" && slices.Contains(r.Actions, detectivepkg.CallDisableAdmin+" "+org.Security)
			}) {
				t.Errorf("the plan does not remove the administrator in %s: %+v", region, rep.Rows)
			}
		}
		if after := readDetective(t, awsCfg, sec, regions); fmt.Sprint(before) != fmt.Sprint(after) {
			t.Errorf("the plan changed Detective:\n%v\n%v", before, after)
		}
		if after := readOrg(t, awsCfg); fmt.Sprint(org0) != fmt.Sprint(after) {
			t.Errorf("the plan changed the organization:\n%v\n%v", org0, after)
		}

		disableOK(t, "detective", "--config", config)
		for region, st := range readDetective(t, awsCfg, sec, regions) {
			if st != " 0" {
				t.Errorf("Detective in %s after disable: %q, want no administrator and no graph", region, st)
			}
		}
		if st := readOrg(t, awsCfg); slices.Contains(st.trusted, principal) || len(st.admins[principal]) != 0 {
			t.Errorf("after disable: trusted access %v, delegated administrators %v", st.trusted, st.admins[principal])
		}
		expectAll(t, disableOK(t, "detective", "--config", config), "unchanged")
	})

	t.Run("disable securityhub deregisters the delegated administrator, which Security Hub follows in every region, and turns trusted access off", func(t *testing.T) {
		const principal = "securityhub.amazonaws.com"
		sec := awsclient.NewAccounts(awsCfg, org.Management, cfg.ExecutionRoleName, "e2e").Config(org.Security)
		before, org0 := readHubAdmins(t, awsCfg, regions), readOrg(t, awsCfg)
		for _, region := range regions {
			if before[region] != org.Security {
				t.Fatalf("Security Hub's administrator in %s: %q, want the security account", region, before[region])
			}
		}
		if !slices.Contains(org0.trusted, principal) || !slices.Equal(org0.admins[principal], []string{org.Security}) {
			t.Fatalf("Security Hub is not in the organization: %+v", org0)
		}

		rep := disableOK(t, "securityhub", "--plan", "--config", config)
		if !hasAction(rep, "disable securityhub", org.Management, teardown.CallDeregister+" "+org.Security+" for "+principal) ||
			!hasAction(rep, "disable securityhub", org.Management, "organizations:DisableAWSServiceAccess "+principal) {
			t.Errorf("the plan does not list the delegated administrator and trusted access: %+v", rep.Rows)
		}
		if after := readHubAdmins(t, awsCfg, regions); fmt.Sprint(before) != fmt.Sprint(after) {
			t.Errorf("the plan changed Security Hub's administrators:\n%v\n%v", before, after)
		}
		if after := readOrg(t, awsCfg); fmt.Sprint(org0) != fmt.Sprint(after) {
			t.Errorf("the plan changed the organization:\n%v\n%v", org0, after)
		}
		// Central configuration still runs: the administrator reads its
		// policies.
		if _, err := shsdk.NewFromConfig(awsclient.WithRegion(sec, cfg.HomeRegion)).ListConfigurationPolicies(context.Background(), &shsdk.ListConfigurationPoliciesInput{}); err != nil {
			t.Errorf("after the plan the administrator cannot read its configuration policies: %v", err)
		}

		disableOK(t, "securityhub", "--config", config)
		for region, a := range readHubAdmins(t, awsCfg, regions) {
			if a != "" {
				t.Errorf("Security Hub's administrator in %s after disable: %s", region, a)
			}
		}
		if st := readOrg(t, awsCfg); slices.Contains(st.trusted, principal) || len(st.admins[principal]) != 0 {
			t.Errorf("after disable: trusted access %v, delegated administrators %v", st.trusted, st.admins[principal])
		}
		// Security Hub stays enabled in the security account.
		for _, region := range regions {
			if _, err := shsdk.NewFromConfig(awsclient.WithRegion(sec, region)).DescribeHub(context.Background(), &shsdk.DescribeHubInput{}); err != nil {
				t.Errorf("Security Hub in the security account, %s, after disable: %v", region, err)
			}
		}
		expectAll(t, disableOK(t, "securityhub", "--config", config), "unchanged")
	})
}

// readHubAdmins returns Security Hub's administrator accounts by region, as
// the management account lists them.
func readHubAdmins(t *testing.T, mgmt aws.Config, regions []string) map[string]string {
	t.Helper()
	st := map[string]string{}
	for _, region := range regions {
		out, err := shsdk.NewFromConfig(awsclient.WithRegion(mgmt, region)).ListOrganizationAdminAccounts(context.Background(), &shsdk.ListOrganizationAdminAccountsInput{})
		if err != nil {
			t.Fatalf("Security Hub's administrators in %s: %v", region, err)
		}
		var ids []string
		for _, a := range out.AdminAccounts {
			ids = append(ids, aws.ToString(a.AccountId))
		}
		st[region] = strings.Join(ids, ",")
	}
	return st
}

// disableOK runs orgbaseline disable with args and returns its report,
// failing t unless it exits 0.
func disableOK(t *testing.T, args ...string) report.Report {
	t.Helper()
	code, rep, stderr := orgbaseline(t, append([]string{"disable"}, args...)...)
	if code != 0 {
		t.Fatalf("disable %v: exit %d %+v\n%s", args, code, rep, stderr)
	}
	return rep
}

// organizationAccounts lists the IDs of the organization's accounts.
func organizationAccounts(t *testing.T, mgmt aws.Config) []string {
	t.Helper()
	var ids []string
	pages := organizations.NewListAccountsPaginator(organizations.NewFromConfig(mgmt), &organizations.ListAccountsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.Accounts {
			ids = append(ids, aws.ToString(a.Id))
		}
	}
	return ids
}

// readAnalyzers lists the analyzers of accounts in regions, as "ACCOUNT
// REGION NAME", sorted.
func readAnalyzers(t *testing.T, cfg settings.Config, mgmt aws.Config, accounts, regions []string) []string {
	t.Helper()
	acc := awsclient.NewAccounts(mgmt, cfg.Accounts.Management, cfg.ExecutionRoleName, "e2e")
	var found []string
	for _, a := range accounts {
		for _, region := range regions {
			pages := aasdk.NewListAnalyzersPaginator(aasdk.NewFromConfig(awsclient.WithRegion(acc.Config(a), region)), &aasdk.ListAnalyzersInput{})
			for pages.HasMorePages() {
				page, err := pages.NextPage(context.Background())
				if err != nil {
					t.Fatalf("analyzers of %s in %s: %v", a, region, err)
				}
				for _, an := range page.Analyzers {
					found = append(found, a+" "+region+" "+aws.ToString(an.Name))
				}
			}
		}
	}
	sort.Strings(found)
	return found
}

// healthView is the status of AWS Health's organizational view.
func healthView(t *testing.T, mgmt aws.Config) string {
	t.Helper()
	out, err := healthsdk.NewFromConfig(mgmt).DescribeHealthServiceStatusForOrganization(context.Background(), &healthsdk.DescribeHealthServiceStatusForOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.HealthServiceAccessStatusForOrganization)
}

// readDetective returns, by region, Detective's administrator accounts as
// the management account lists them and the number of behavior graphs the
// security account administers: "ADMINS GRAPHS".
func readDetective(t *testing.T, mgmt, security aws.Config, regions []string) map[string]string {
	t.Helper()
	ctx := context.Background()
	st := map[string]string{}
	for _, region := range regions {
		admins, err := detective.NewFromConfig(awsclient.WithRegion(mgmt, region)).ListOrganizationAdminAccounts(ctx, &detective.ListOrganizationAdminAccountsInput{})
		if err != nil {
			t.Fatalf("Detective's administrators in %s: %v", region, err)
		}
		var ids []string
		for _, a := range admins.Administrators {
			ids = append(ids, aws.ToString(a.AccountId))
		}
		graphs, err := detective.NewFromConfig(awsclient.WithRegion(security, region)).ListGraphs(ctx, &detective.ListGraphsInput{})
		if err != nil {
			t.Fatalf("the security account's behavior graphs in %s: %v", region, err)
		}
		st[region] = fmt.Sprintf("%s %d", strings.Join(ids, ","), len(graphs.GraphList))
	}
	return st
}

// TestOnboardingForwardedToAnotherHomeRegion: with the home region
// eu-west-1, Organizations' CreateAccountResult, which arrives in
// us-east-1, reaches the home region's onboarding rule through the
// forwarding stack's rule, as the synthesized templates declare them.
func TestOnboardingForwardedToAnotherHomeRegion(t *testing.T) {
	awsCfg, org := srv.SeedT(t)
	config := filepath.Join(t.TempDir(), "orgbaseline.yaml")
	if err := motorig.WriteConfig(config, org, "eu-west-1", []string{"eu-west-1", "us-east-1"}); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := orgbaseline(t, "deploy", "--local", "--config", config); code != 0 {
		t.Fatalf("deploy: exit %d\n%s", code, stderr)
	}
	id, eventFile := createdAccountEvent(t, awsCfg, org, "joined", "e2e-forwarded-event")
	code, rep, stderr := orgbaseline(t, "onboard", "--event", eventFile, "--local", "--config", config)
	if code != 0 {
		t.Fatalf("onboard: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "matched by rule OnboardingNewAccount in eu-west-1 (forwarded from us-east-1 by the rule there)") {
		t.Errorf("the event was not forwarded to eu-west-1:\n%s", stderr)
	}
	if !hasAction(rep, "config-recorders", id, "config:PutConfigurationRecorder") {
		t.Errorf("the new account was not onboarded: %+v", rep.Rows)
	}
}

// createdAccountEvent creates an account in the emulated organization and
// writes its CreateAccountResult event: the published record, with the new
// account's ID, in the envelope EventBridge delivers it in, with eventID.
func createdAccountEvent(t *testing.T, awsCfg aws.Config, org motorig.Org, name, eventID string) (string, string) {
	t.Helper()
	ctx := context.Background()
	api := organizations.NewFromConfig(awsCfg)
	created, err := api.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	status, err := api.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: created.CreateAccountStatus.Id})
	if err != nil || aws.ToString(status.CreateAccountStatus.AccountId) == "" {
		t.Fatalf("the new account: %+v, %v", status, err)
	}
	id := aws.ToString(status.CreateAccountStatus.AccountId)
	record, err := os.ReadFile(filepath.Join(root, "events", "organizations-create-account-result-succeeded-cloudtrail-record.json"))
	if err != nil {
		t.Fatal(err)
	}
	record = bytes.ReplaceAll(record, []byte(`"444455556666"`), []byte(`"`+id+`"`))
	event, err := json.Marshal(map[string]any{"version": "0", "id": eventID, "detail-type": "AWS Service Event via CloudTrail",
		"source": "aws.organizations", "account": org.Management, "time": "2026-11-30T12:00:00Z", "region": "us-east-1", "resources": []string{},
		"detail": json.RawMessage(record)})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(file, event, 0o600); err != nil {
		t.Fatal(err)
	}
	return id, file
}

// TestScopeLeavesAccountsOut: an account excluded by ID and one in an
// excluded OU (nested) are reported excluded by the apply, get nothing
// (no Config recorder), and are excluded cells in the coverage matrix;
// every other cell is on.
func TestScopeLeavesAccountsOut(t *testing.T) {
	awsCfg, org := srv.SeedT(t)
	ctx := context.Background()
	api := organizations.NewFromConfig(awsCfg)
	outer, err := api.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(org.RootID), Name: aws.String("Sandbox")})
	if err != nil {
		t.Fatal(err)
	}
	inner, err := api.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: outer.OrganizationalUnit.Id, Name: aws.String("Experiments")})
	if err != nil {
		t.Fatal(err)
	}
	byOU, byID := org.Workloads[0], org.Workloads[1]
	if _, err := api.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(byOU), SourceParentId: aws.String(org.RootID), DestinationParentId: inner.OrganizationalUnit.Id}); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(t.TempDir(), "orgbaseline.yaml")
	if err := motorig.WriteConfig(config, org, "us-east-1", []string{"us-east-1", "eu-west-1"}); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(config, os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "\nscope:\n  excludeAccounts: [%q]\n  excludeOUs: [%s]\n", byID, aws.ToString(outer.OrganizationalUnit.Id))
	f.Close()
	if code, _, stderr := orgbaseline(t, "deploy", "--local", "--config", config); code != 0 {
		t.Fatalf("deploy: exit %d\n%s", code, stderr)
	}
	code, rep, stderr := orgbaseline(t, "apply", "--local", "--config", config)
	if code != 0 {
		t.Fatalf("apply: exit %d\n%s", code, stderr)
	}
	excludedRows := map[string]string{}
	for _, r := range rep.Rows {
		if r.Account != byOU && r.Account != byID {
			continue
		}
		if r.Status != "skipped" || !strings.HasPrefix(r.Reason, settings.ScopeReason) {
			t.Errorf("excluded account %s: %s %s %s %s", r.Account, r.Step, r.Service, r.Status, r.Reason)
		}
		excludedRows[r.Account] = r.Reason
	}
	if !strings.Contains(excludedRows[byOU], "nested in "+aws.ToString(outer.OrganizationalUnit.Id)) || !strings.Contains(excludedRows[byID], "scope.excludeAccounts") {
		t.Errorf("the excluded accounts' reasons: %v", excludedRows)
	}
	cfg, err := settings.LoadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	states, err := motorig.ReadRecorders(ctx, awsCfg, cfg, []string{byOU, byID, org.Workloads[2]}, []string{"us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range states {
		if excluded := st.Account != org.Workloads[2]; excluded == st.Recording {
			t.Errorf("Config in %s: recording %v", st.Account, st.Recording)
		}
	}
	m := coverageOf(t, 0, config)
	for _, c := range m.Cells {
		if excluded := c.Account == byOU || c.Account == byID; excluded != (c.State == coverage.Excluded) {
			t.Errorf("%s %s %s: %s (%s)", c.Account, c.Region, c.Service, c.State, c.Reason)
		}
	}
}
