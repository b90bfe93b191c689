// Command demo is `make demo`: it starts a moto server, seeds an emulated
// organization, and runs the orgbaseline CLI against it as a user would —
// plan, apply, then apply again to show that nothing changes — then stops the
// server. It expects build/orgbaseline and build/cdkapp (make builds them).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/detective"
	"github.com/orgbaseline/orgbaseline/shared/local/motorig"
	"github.com/orgbaseline/orgbaseline/shared/orgtrail"
	"github.com/orgbaseline/orgbaseline/shared/report"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

const (
	homeRegion = "us-east-1"
	banner     = "=============================================================================="
)

var regions = []string{"us-east-1", "eu-west-1"}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	root, err := motorig.RepoRoot()
	if err != nil {
		return err
	}
	dir := filepath.Join(root, "build", "demo")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cli := filepath.Join(root, "build", "orgbaseline")
	app := filepath.Join(root, "build", "cdkapp")
	for _, b := range []string{cli, app} {
		if _, err := os.Stat(b); err != nil {
			return fmt.Errorf("%s is missing: run `make demo`, which builds it", b)
		}
	}

	section(out, "1. Start the AWS emulator (moto server) and seed an organization")
	start := time.Now()
	srv, err := motorig.Start(ctx, motorig.WithRoot(root), motorig.WithLogFile(filepath.Join(dir, "moto.log")))
	if err != nil {
		return err
	}
	defer func() {
		srv.Close()
		fmt.Fprintf(out, "\nmoto server stopped (its log: %s)\n", srv.LogPath())
	}()
	s, err := seed(ctx, out, srv, root, dir, start)
	if err != nil {
		return err
	}
	s.cli, s.app, s.env, s.root = cli, app, append(srv.Environ(), "ORGBASELINE_ROOT="+root), root
	s.ageDetectors = srv.FakeAWS().AgeDetectors
	return s.demonstrate(ctx)
}

// session is the demo's organization in the emulator and the CLI that acts
// on it.
type session struct {
	out    io.Writer
	awsCfg aws.Config // the management account's
	org    motorig.Org
	config string // the configuration file for org
	cli    string
	app    string   // the CDK app, for apply
	env    []string // the CLI's environment: pointed at the emulator
	root   string   // the orgbaseline folder
	// ageDetectors dates the emulator's GuardDuty detectors back.
	ageDetectors func(time.Duration)
}

// detectiveWait is how long Detective needs GuardDuty on first.
const detectiveWait = detective.GuardDutyAge

// onlyDetectiveChanged fails unless rep, an apply two days after the first,
// changed Detective, and nothing else, and failed nothing.
func onlyDetectiveChanged(rep report.Report) error {
	detectiveRows := 0
	for _, row := range rep.Rows {
		switch {
		case row.Status == string(workflow.StatusFailed):
			return fmt.Errorf("two days later: %s %s %s failed: %s", row.Service, row.Account, row.Region, row.Reason)
		case row.Service == settings.ServiceDetective && row.Status == string(workflow.StatusSkipped):
			return fmt.Errorf("two days later, Detective is still skipped in %s: %s", row.Region, row.Reason)
		case row.Service == settings.ServiceDetective && row.Status == string(workflow.StatusChanged):
			detectiveRows++
		case row.Status == string(workflow.StatusChanged) || row.Status == string(workflow.StatusPlanned):
			return fmt.Errorf("two days later, %s %s %s changed: only Detective should", row.Service, row.Account, row.Region)
		}
	}
	if detectiveRows == 0 {
		return fmt.Errorf("two days later, Detective changed nothing: %s", rep.Summary())
	}
	return nil
}

// seed seeds an organization into srv, started at start, and writes a
// configuration for it to dir with the demo's conformance pack.
func seed(ctx context.Context, out io.Writer, srv *motorig.Server, root, dir string, start time.Time) (*session, error) {
	awsCfg, err := srv.AWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	org, err := motorig.Seed(ctx, awsCfg)
	if err != nil {
		return nil, err
	}
	if err := arrangeOUs(ctx, awsCfg, org); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "moto server at %s (%.1fs)\norganization %s (OUs: Security, Workloads/Prod):\n", srv.Endpoint(), time.Since(start).Seconds(), org.ID)
	for _, a := range org.Accounts {
		fmt.Fprintf(out, "  %s  %s\n", a.ID, a.Name)
	}
	config := filepath.Join(dir, "orgbaseline.yaml")
	if err := motorig.WriteConfig(config, org, homeRegion, regions); err != nil {
		return nil, err
	}
	// Detective is off by default (it needs GuardDuty on for 48 hours):
	// the demo switches it on to show how a run meets that.
	if err := enableDetective(config); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "configuration for it: %s (from orgbaseline.example.yaml, with detective switched on)\n", config)
	uri, err := motorig.AddConformancePack(ctx, awsCfg, config, demoPack, filepath.Join(root, "packs", demoPack+".yaml"))
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "with the conformance pack %s, its template uploaded to %s\n", demoPack, uri)
	fmt.Fprint(out, coverage)
	return &session{out: out, awsCfg: awsCfg, org: org, config: config}, nil
}

// demonstrate runs the CLI as a user would: deploy, plan, apply, a look at
// what the emulator holds, apply again, and a rollback plan.
func (s *session) demonstrate(ctx context.Context) error {
	out := s.out
	if _, err := s.cliStep(ctx, "2. Deploy the stacks' resources (the local stand-in for `cdk deploy --all`)", "deploy", "--local"); err != nil {
		return err
	}
	if _, err := s.cliStep(ctx, "3. Plan: what would change (nothing is changed)", "apply", "--local", "--plan"); err != nil {
		return err
	}
	if _, err := s.cliStep(ctx, "4. Apply", "apply", "--local"); err != nil {
		return err
	}
	section(out, "5. The organization trail, as the emulator now holds it")
	cfg, err := settings.LoadFile(s.config)
	if err != nil {
		return err
	}
	if err := showTrail(ctx, out, cfg, s.awsCfg); err != nil {
		return err
	}
	section(out, "6. AWS Config, as the emulator now holds it")
	if err := showConfig(ctx, out, cfg, s.awsCfg, s.org.AccountIDs()); err != nil {
		return err
	}
	section(out, "7. IAM Access Analyzer, AWS Health and Security Hub, as the local fake now holds them")
	if err := showFaked(ctx, out, cfg, s.awsCfg, s.org.AccountIDs()); err != nil {
		return err
	}
	// Detective needs GuardDuty on for 48 hours; the detectors of this
	// demo are minutes old, so the apply above skipped it.
	section(out, "8. Two days later: Detective becomes eligible")
	fmt.Fprintf(out, "Detective needs GuardDuty on for %s, and the emulator's detectors are minutes old. The local fake\n", detectiveWait)
	fmt.Fprintln(out, "now dates every GuardDuty detector back by that much (fakeaws.AgeDetectors: GetDetector's")
	fmt.Fprintln(out, "createdAt, nothing else), as a run two days later would find them.")
	s.ageDetectors(detectiveWait + time.Hour)
	later, err := s.cliStep(ctx, "", "apply", "--local")
	if err != nil {
		return err
	}
	if err := onlyDetectiveChanged(later); err != nil {
		return err
	}
	fmt.Fprintln(out)
	if err := showDetective(ctx, out, cfg, s.awsCfg); err != nil {
		return err
	}
	last, err := s.cliStep(ctx, "9. Apply again: nothing should change", "apply", "--local")
	if err != nil {
		return err
	}
	c := last.Counts()
	if c["changed"] != 0 || c["planned"] != 0 || c["failed"] != 0 {
		return fmt.Errorf("the last apply was expected to change nothing, but reported %s", last.Summary())
	}
	if err := s.demonstrateEvents(ctx, filepath.Dir(s.config)); err != nil {
		return err
	}
	if _, err := s.cliStep(ctx, "12. What removing the trail's SSE-KMS would do (plan only)", "rollback", "trail-encryption", "--plan"); err != nil {
		return err
	}
	if _, err := s.cliStep(ctx, "13. What disabling the trail would do (plan only)", "disable", "cloudtrail", "--plan"); err != nil {
		return err
	}
	if err := s.showCoverage(ctx); err != nil {
		return err
	}
	section(out, "Done")
	fmt.Fprintln(out, "Two days later only Detective changed; the apply after it changed nothing: every step read")
	fmt.Fprintln(out, "the organization first and found it already as configured. A new account's event onboarded")
	fmt.Fprintln(out, "that account alone, and the same event again started nothing; findings from 7.0 up reached")
	fmt.Fprintln(out, "the findings topic, from both regions, and the others did not. The coverage matrix, read")
	fmt.Fprintln(out, "from the emulator's state by a plan run, shows every check on.")
	return nil
}

// cliStep shows a section titled title and runs the CLI with args on the
// demo's configuration.
func (s *session) cliStep(ctx context.Context, title string, args ...string) (report.Report, error) {
	if title != "" {
		section(s.out, title)
	} else {
		fmt.Fprintln(s.out)
	}
	args = append(args, "--config", s.config)
	if args[0] == "apply" || args[0] == "onboard" || args[0] == "deploy" {
		args = append(args, "--cdk-app", s.app)
	}
	fmt.Fprintf(s.out, "$ orgbaseline %s\n\n", strings.Join(args, " "))
	return runCLI(ctx, s.cli, args, s.env, s.out)
}

// showTrail prints the trail, its bucket's encryption and its key as the
// emulator reports them, read with the SDK, not from orgbaseline's report.
func showTrail(ctx context.Context, out io.Writer, cfg settings.Config, mgmt aws.Config) error {
	ct := cloudtrail.NewFromConfig(awsclient.WithRegion(mgmt, cfg.HomeRegion))
	trails, err := ct.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{TrailNameList: []string{cfg.Services.CloudTrail.TrailName}})
	if err != nil {
		return err
	}
	for _, t := range trails.TrailList {
		if aws.ToString(t.Name) != cfg.Services.CloudTrail.TrailName {
			continue
		}
		status, err := ct.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: t.TrailARN})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "trail        %s\n", aws.ToString(t.TrailARN))
		fmt.Fprintf(out, "  organization trail %v, multi-region %v, global service events %v, log file validation %v, logging %v\n",
			aws.ToBool(t.IsOrganizationTrail), aws.ToBool(t.IsMultiRegionTrail), aws.ToBool(t.IncludeGlobalServiceEvents),
			aws.ToBool(t.LogFileValidationEnabled), aws.ToBool(status.IsLogging))
		fmt.Fprintf(out, "  bucket %s (log-archive account)\n  key    %s (security account)\n", aws.ToString(t.S3BucketName), aws.ToString(t.KmsKeyId))
	}
	accounts := awsclient.NewAccounts(mgmt, cfg.Accounts.Management, cfg.ExecutionRoleName, "orgbaseline-demo")
	enc, err := s3.NewFromConfig(awsclient.WithRegion(accounts.Config(cfg.Accounts.LogArchive), cfg.HomeRegion)).
		GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(orgtrail.BucketName(cfg))})
	if err != nil {
		return err
	}
	for _, r := range enc.ServerSideEncryptionConfiguration.Rules {
		if d := r.ApplyServerSideEncryptionByDefault; d != nil {
			fmt.Fprintf(out, "bucket default encryption: %s with %s\n", d.SSEAlgorithm, aws.ToString(d.KMSMasterKeyID))
		}
	}
	return nil
}

// demoPack is the conformance pack the demo adds: packs/<demoPack>.yaml.
const demoPack = "orgbaseline-essentials"

// showConfig prints AWS Config as the emulator reports it, read with the
// SDK: each account's recorder and delivery channel in each region, the
// organization aggregator and the conformance pack in the security account.
func showConfig(ctx context.Context, out io.Writer, cfg settings.Config, mgmt aws.Config, accounts []string) error {
	states, err := motorig.ReadRecorders(ctx, mgmt, cfg, accounts, regions)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%-14s %-11s %-9s %-10s %-7s %s\n", "ACCOUNT", "REGION", "RECORDER", "RECORDING", "GLOBAL", "DELIVERS TO")
	for _, st := range states {
		key := "SSE-S3"
		if st.Key != "" {
			key = "key " + st.Key
		}
		fmt.Fprintf(out, "%-14s %-11s %-9s %-10v %-7v s3://%s (%s)\n", st.Account, st.Region, st.Recorder, st.Recording, st.GlobalTypes, st.Bucket, key)
	}
	sec := awsclient.NewAccounts(mgmt, cfg.Accounts.Management, cfg.ExecutionRoleName, "orgbaseline-demo").Config(cfg.Accounts.Security)
	aggs, err := configservice.NewFromConfig(awsclient.WithRegion(sec, cfg.HomeRegion)).DescribeConfigurationAggregators(ctx,
		&configservice.DescribeConfigurationAggregatorsInput{ConfigurationAggregatorNames: []string{cfg.Services.Config.AggregatorName}})
	if err != nil {
		return err
	}
	for _, a := range aggs.ConfigurationAggregators {
		if src := a.OrganizationAggregationSource; src != nil {
			fmt.Fprintf(out, "aggregator %s in %s (security account): organization, all regions %v, role %s\n",
				aws.ToString(a.ConfigurationAggregatorName), cfg.HomeRegion, src.AllAwsRegions, aws.ToString(src.RoleArn))
		}
	}
	for _, r := range regions {
		st, err := configservice.NewFromConfig(awsclient.WithRegion(sec, r)).DescribeOrganizationConformancePackStatuses(ctx,
			&configservice.DescribeOrganizationConformancePackStatusesInput{OrganizationConformancePackNames: []string{demoPack}})
		if err != nil {
			return err
		}
		for _, p := range st.OrganizationConformancePackStatuses {
			fmt.Fprintf(out, "conformance pack %s in %s: %s\n", aws.ToString(p.OrganizationConformancePackName), r, p.Status)
		}
	}
	fmt.Fprintln(out, "organization config rules: not in the emulator (moto has no PutOrganizationConfigRule); tests use fakes")
	return nil
}

// runCLI runs the CLI with --output json, shows its progress as it goes and
// its report as the same table the CLI prints, and returns the report.
func runCLI(ctx context.Context, cli string, args, env []string, out io.Writer) (report.Report, error) {
	cmd := exec.CommandContext(ctx, cli, append(args, "--output", "json")...)
	cmd.Env = env
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = out
	runErr := cmd.Run()
	var rep report.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		return report.Report{}, fmt.Errorf("orgbaseline %s: %v; no report", strings.Join(args, " "), runErr)
	}
	fmt.Fprintln(out)
	if err := rep.Write(out, report.TableOptions{Width: demoWidth}); err != nil {
		return report.Report{}, err
	}
	if runErr != nil {
		return rep, fmt.Errorf("orgbaseline %s: %w", strings.Join(args, " "), runErr)
	}
	return rep, nil
}

// demoWidth is the width the demo's reports are cut to, as on a terminal of
// that many columns.
const demoWidth = 120

func section(out io.Writer, title string) {
	fmt.Fprintf(out, "\n%s\n%s\n%s\n", banner, title, banner)
}

// coverage says plainly what ran against the emulator.
const coverage = `
What runs where in this demo:
  - The state machine is the one 'cdk synth' produced, run by aws-local-stepfunctions;
    each Lambda task runs the step's Go handler through the aws-lambda-go runtime.
  - 'deploy --local' stands in for 'cdk deploy --all': moto's CloudFormation does not
    apply bucket or key policies, so the stacks' buckets, key and policies are made
    with SDK calls from the same Go values the templates carry.
  - Against the emulator (moto): AWS Organizations, STS (cross-account roles and
    the regional checks), CloudTrail (the organization trail, selectors, logging),
    S3, KMS, IAM, CloudWatch Logs, GuardDuty's delegated administrator and detectors
    in every region, and AWS Config: a recorder and delivery channel in every account
    and region, the organization aggregator, and an organization conformance pack.
    scripts/motoserver.py corrects moto in three stated ways before it starts: it adds
    the delegated administrators AWS accepts for config, securityhub, detective, health
    and cloudtrail; it answers operations moto lacks as AWS answers an unknown
    operation; and it names Config's service-linked role as AWS does. moto enforces
    no IAM, bucket or key policy: the policies are checked by tests, not here.
  - Not against the emulator (the report shows these parts as "skipped: ... is not
    available at this endpoint"; tests use fakes): GuardDuty's organization
    configuration and members, and Config's organization rules (moto has neither).
    cloudtrail:RegisterOrganizationDelegatedAdmin is missing in moto too; this demo's
    configuration leaves it off.
  - EventBridge: the rules of the synthesized templates on moto's buses (moto's matcher
    decides, and forwards between regions); moto cannot invoke Lambda, SNS or Step
    Functions targets, so an SQS queue stands in for each, and the local run takes the
    events from it into the same Starter and formatter the Lambdas run. The findings
    topic is moto's SNS, read back through an SQS subscription. The emulator's Step
    Functions keeps the onboarding executions' names; aws-local-stepfunctions runs them.
  - Against orgbaseline's local fake (shared/local/fakeaws), because moto has no such
    service, or has only in part: AWS Security Hub (the management account, the
    delegated administrator, central configuration with its aggregator, policy and
    association), IAM Access Analyzer (the organization analyzer in the security
    account and an ACCOUNT analyzer in every account and region), the AWS Health
    organizational view and its delegated administrator, and Amazon Detective. The
    fake takes the caller's account, trusted access and delegated administrators
    from moto. Detective first shows as "not yet eligible": the security account's
    GuardDuty detector was created during this demo, and Detective needs 48 hours;
    step 8 has the fake date the detectors back by 49 hours (GuardDuty requests go
    through the fake to moto, and only GetDetector's createdAt changes) and Detective
    is then applied.
`
