package fakeaws_test

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	sh "github.com/orgbaseline/orgbaseline/shared/securityhub"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// TestSecurityHubLocalConfiguration runs Security Hub's steps with local
// configuration against the fake, as the state machine orders them: the
// administrator and the management account's hub (securityhub-admin, per
// region), the aggregator (securityhub-central), the organization
// configuration and the members (securityhub-local, per region), the
// standards in every account (securityhub-standards). A second run changes
// nothing.
func TestSecurityHubLocalConfiguration(t *testing.T) {
	mgmtCfg, org := srv.SeedT(t)
	regions := []string{"us-east-1", "eu-west-1"}
	cfg, err := settings.Load("local.yaml", strings.NewReader(fmt.Sprintf(`
accounts: {management: %q, security: %q, logArchive: %q}
organizationId: %s
homeRegion: us-east-1
regions: [us-east-1, eu-west-1]
services:
  securityhub: {configuration: local, standards: [standards/aws-foundational-security-best-practices/v/1.0.0, standards/nist-800-53/v/5.0.0]}
`, org.Management, org.Security, org.LogArchive, org.ID)))
	if err != nil {
		t.Fatal(err)
	}
	var accounts []string
	for _, a := range org.Accounts {
		accounts = append(accounts, a.ID)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	in := func(account, region string) *securityhub.Client {
		c := mgmtCfg
		if account != org.Management {
			c = srv.AccountConfigT(t, account)
		}
		return securityhub.NewFromConfig(awsclient.WithRegion(c, region))
	}
	roots := organizations.NewFromConfig(awsclient.WithRegion(mgmtCfg, "us-east-1"))

	// run runs every step once and returns the statuses of their rows,
	// "step account region status" for those not unchanged.
	run := func() []string {
		var rows []string
		add := func(res workflow.StepResult, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", res.Step, err)
			}
			for _, o := range res.Outcomes {
				if o.Status != workflow.StatusUnchanged {
					rows = append(rows, fmt.Sprintf("%s %s %s %s %s", res.Step, o.Account, o.Region, o.Status, o.Reason))
				}
			}
		}
		input := workflow.Input{Mode: workflow.ModeApply}
		for _, r := range regions {
			add(sh.EnableAdmin(ctx(t), in(org.Management, r), cfg, workflow.Item{Input: input, Region: r}, quiet))
		}
		item := workflow.Item{Input: input, Region: "us-east-1", Regions: regions}
		for polls := 0; ; polls++ {
			res, err := sh.ConfigureCentral(ctx(t), sh.CentralDeps{SecurityHub: in(org.Security, "us-east-1"), Roots: roots}, cfg, item, quiet)
			if err != nil || !res.Pending || polls > 5 {
				add(res, err)
				break
			}
			item.Polls, item.Previous = res.Polls, &res
		}
		for _, r := range regions {
			add(sh.ConfigureLocal(ctx(t), in(org.Security, r), cfg, workflow.Item{Input: input, Region: r, Accounts: accounts}, quiet))
		}
		for _, a := range accounts {
			add(sh.EnableStandards(ctx(t), func(r string) sh.StandardsAPI { return in(a, r) }, cfg,
				workflow.Item{Input: input, Account: a, Regions: regions}, quiet))
		}
		return rows
	}

	first := run()
	for _, row := range first {
		if strings.Contains(row, " failed ") || strings.Contains(row, " skipped ") {
			t.Errorf("first run: %s", row)
		}
	}
	for _, want := range []string{
		"securityhub-central " + org.Security + " us-east-1 changed",
		"securityhub-local " + org.Security + " us-east-1 changed",
		"securityhub-local " + org.Security + " eu-west-1 changed",
		"securityhub-standards " + org.Workloads[0] + " eu-west-1 changed",
	} {
		if !slices.ContainsFunc(first, func(r string) bool { return strings.HasPrefix(r, want) }) {
			t.Errorf("first run: no row %q in\n%s", want, strings.Join(first, "\n"))
		}
	}

	// Local configuration with AutoEnable in each region, every account a
	// member, each with the configured standards (and AWS's defaults that
	// CreateMembers turned on with Security Hub).
	for _, r := range regions {
		sec := in(org.Security, r)
		conf, err := sec.DescribeOrganizationConfiguration(ctx(t), &securityhub.DescribeOrganizationConfigurationInput{})
		if err != nil || conf.OrganizationConfiguration.ConfigurationType != "LOCAL" || !aws.ToBool(conf.AutoEnable) || conf.AutoEnableStandards != "NONE" {
			t.Errorf("%s: organization configuration %+v, %v", r, conf, err)
		}
		members, _ := hubMembers(t, sec, aws.Bool(false), 0)
		if len(members) != len(accounts)-1 {
			t.Errorf("%s: members %v, want every account but the administrator", r, members)
		}
		for _, a := range accounts {
			subs, _ := enabledStandards(t, in(a, r), 0)
			got := standardsOf(subs)
			for _, want := range []string{fsbpIn(r), "arn:aws:securityhub:" + r + "::" + nist53} {
				if !slices.Contains(got, want+" READY") {
					t.Errorf("%s in %s: standards %v, want %s", a, r, got, want)
				}
			}
		}
	}

	if again := run(); len(again) > 0 {
		t.Errorf("a second run changed:\n%s", strings.Join(again, "\n"))
	}
}

// An organization in central configuration, with local configured: the
// local step fails its row and switches nothing (the fake, as AWS, would
// refuse LOCAL while policies exist anyway).
func TestSecurityHubLocalFindsCentral(t *testing.T) {
	_, org, security := centralOrganization(t)
	cfg, err := settings.Load("local.yaml", strings.NewReader(fmt.Sprintf(`
accounts: {management: %q, security: %q, logArchive: %q}
organizationId: %s
homeRegion: us-east-1
regions: [us-east-1]
services: {securityhub: {configuration: local}}
`, org.Management, org.Security, org.LogArchive, org.ID)))
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	res, err := sh.ConfigureLocal(ctx(t), security, cfg, workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}, Region: "us-east-1", Accounts: []string{org.Management}}, quiet)
	if err != nil || res.Outcomes[0].Status != workflow.StatusFailed || len(res.Outcomes[0].Actions) > 0 {
		t.Fatalf("%+v %v", res, err)
	}
	if got := configState(t, security); got != "CENTRAL ENABLED" {
		t.Errorf("organization configuration %s, want CENTRAL ENABLED as it was", got)
	}
}
