package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	"github.com/aws/aws-sdk-go-v2/service/detective"
	"github.com/aws/aws-sdk-go-v2/service/health"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	hsvc "github.com/orgbaseline/orgbaseline/shared/health"
	"github.com/orgbaseline/orgbaseline/shared/settings"
)

// enableDetective switches Detective on in the configuration file at path,
// keeping the rest of it as it is.
func enableDetective(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	on := bytes.Replace(b, []byte("detective:\n    enabled: false"), []byte("detective:\n    enabled: true"), 1)
	if bytes.Equal(on, b) {
		return fmt.Errorf("%s: no 'detective: enabled: false' to switch on", path)
	}
	return os.WriteFile(path, on, 0o644)
}

// showFaked prints what the local fake holds for the services moto lacks,
// read with the SDK as any client would: the analyzers of every account and
// region, the Health organizational view and its delegated administrators,
// Security Hub's central configuration.
func showFaked(ctx context.Context, out io.Writer, cfg settings.Config, mgmt aws.Config, accounts []string) error {
	acc := awsclient.NewAccounts(mgmt, cfg.Accounts.Management, cfg.ExecutionRoleName, "demo")
	fmt.Fprintf(out, "%-14s %-11s %s\n", "ACCOUNT", "REGION", "ANALYZERS")
	for _, a := range accounts {
		for _, r := range regions {
			api := accessanalyzer.NewFromConfig(awsclient.WithRegion(acc.Config(a), r))
			var names []string
			pages := accessanalyzer.NewListAnalyzersPaginator(api, &accessanalyzer.ListAnalyzersInput{})
			for pages.HasMorePages() {
				page, err := pages.NextPage(ctx)
				if err != nil {
					return fmt.Errorf("analyzers of %s in %s: %w", a, r, err)
				}
				for _, an := range page.Analyzers {
					names = append(names, fmt.Sprintf("%s (%s, %s)", aws.ToString(an.Name), an.Type, an.Status))
				}
			}
			fmt.Fprintf(out, "%-14s %-11s %s\n", a, r, strings.Join(names, ", "))
		}
	}
	view, err := health.NewFromConfig(awsclient.WithRegion(mgmt, hsvc.Region)).DescribeHealthServiceStatusForOrganization(ctx, &health.DescribeHealthServiceStatusForOrganizationInput{})
	if err != nil {
		return fmt.Errorf("the Health organizational view: %w", err)
	}
	admins, err := organizations.NewFromConfig(awsclient.WithRegion(mgmt, awsclient.OrganizationsRegion)).ListDelegatedAdministrators(ctx,
		&organizations.ListDelegatedAdministratorsInput{ServicePrincipal: aws.String(hsvc.Principal)})
	if err != nil {
		return fmt.Errorf("Health's delegated administrators: %w", err)
	}
	var ids []string
	for _, d := range admins.DelegatedAdministrators {
		ids = append(ids, aws.ToString(d.Id))
	}
	fmt.Fprintf(out, "\nAWS Health organizational view: %s; delegated administrator(s): %s\n",
		aws.ToString(view.HealthServiceAccessStatusForOrganization), strings.Join(ids, ", "))

	hub := securityhub.NewFromConfig(awsclient.WithRegion(acc.Config(cfg.Accounts.Security), cfg.HomeRegion))
	oc, err := hub.DescribeOrganizationConfiguration(ctx, &securityhub.DescribeOrganizationConfigurationInput{})
	if err != nil {
		return fmt.Errorf("Security Hub's organization configuration: %w", err)
	}
	policies, err := hub.ListConfigurationPolicies(ctx, &securityhub.ListConfigurationPoliciesInput{})
	if err != nil {
		return fmt.Errorf("Security Hub's configuration policies: %w", err)
	}
	var names []string
	for _, p := range policies.ConfigurationPolicySummaries {
		names = append(names, aws.ToString(p.Name))
	}
	if c := oc.OrganizationConfiguration; c != nil {
		fmt.Fprintf(out, "Security Hub (security account, %s): %s configuration, %s; configuration policies: %s\n",
			cfg.HomeRegion, c.ConfigurationType, c.Status, strings.Join(names, ", "))
	}
	return nil
}

// showDetective prints Amazon Detective as the local fake holds it, read
// with the SDK: the organization's administrator account in each region,
// from the management account, and the members of its behavior graph by
// status.
func showDetective(ctx context.Context, out io.Writer, cfg settings.Config, mgmt aws.Config) error {
	sec := awsclient.NewAccounts(mgmt, cfg.Accounts.Management, cfg.ExecutionRoleName, "demo").Config(cfg.Accounts.Security)
	for _, r := range regions {
		admins, err := detective.NewFromConfig(awsclient.WithRegion(mgmt, r)).ListOrganizationAdminAccounts(ctx, &detective.ListOrganizationAdminAccountsInput{})
		if err != nil {
			return fmt.Errorf("Detective's administrator in %s: %w", r, err)
		}
		var ids []string
		for _, a := range admins.Administrators {
			ids = append(ids, aws.ToString(a.AccountId))
		}
		api := detective.NewFromConfig(awsclient.WithRegion(sec, r))
		graphs, err := api.ListGraphs(ctx, &detective.ListGraphsInput{})
		if err != nil {
			return fmt.Errorf("Detective's graphs in %s: %w", r, err)
		}
		for _, g := range graphs.GraphList {
			byStatus := map[string]int{}
			pages := detective.NewListMembersPaginator(api, &detective.ListMembersInput{GraphArn: g.Arn})
			for pages.HasMorePages() {
				page, err := pages.NextPage(ctx)
				if err != nil {
					return fmt.Errorf("Detective's members in %s: %w", r, err)
				}
				for _, m := range page.MemberDetails {
					byStatus[string(m.Status)]++
				}
			}
			var counts []string
			for status, n := range byStatus {
				counts = append(counts, fmt.Sprintf("%d %s", n, status))
			}
			slices.Sort(counts)
			fmt.Fprintf(out, "Detective in %-10s administrator %s, graph %s, members: %s\n", r, strings.Join(ids, ", "), aws.ToString(g.Arn), strings.Join(counts, ", "))
		}
	}
	return nil
}
