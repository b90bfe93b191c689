package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgbaseline/orgbaseline/shared/local/motorig"
)

// showCoverage ends the demo with the coverage matrix, as `orgbaseline
// report` reads it from the emulator's state (a plan run and the
// organization's tree): the table, then the HTML page written beside the
// configuration.
func (s *session) showCoverage(ctx context.Context) error {
	section(s.out, "14. Coverage: what the organization has on, read from its state")
	page := filepath.Join(filepath.Dir(s.config), "coverage.html")
	for _, args := range [][]string{
		{"report", "--local", "--config", s.config, "--cdk-app", s.app},
		{"report", "--local", "--config", s.config, "--cdk-app", s.app, "--output", "html", "--out", page},
	} {
		fmt.Fprintf(s.out, "$ orgbaseline %s\n\n", strings.Join(args, " "))
		cmd := exec.CommandContext(ctx, s.cli, args...)
		cmd.Env = s.env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		// The progress of the plan run is the apply's; the report is what
		// is new here.
		for _, line := range strings.Split(stderr.String(), "\n") {
			if strings.HasPrefix(line, "orgbaseline report:") {
				fmt.Fprintln(s.out, line)
			}
		}
		s.out.Write(stdout.Bytes())
		if err != nil {
			return fmt.Errorf("orgbaseline %s: %w\n%s", strings.Join(args, " "), err, stderr.String())
		}
		fmt.Fprintln(s.out)
	}
	fmt.Fprintf(s.out, "Open %s in a browser: a heat map with filters by service, region, OU and state.\n", page)
	return nil
}

// arrangeOUs puts the demo's accounts in OUs, as an organization would
// have them, so that the coverage page's OU filter has something to
// filter: Security (the security and log-archive accounts) and
// Workloads/Prod (the workload accounts); the management account stays in
// the root ("CreateOrganizationalUnit", "MoveAccount", AWS Organizations
// API Reference).
func arrangeOUs(ctx context.Context, awsCfg aws.Config, org motorig.Org) error {
	api := organizations.NewFromConfig(awsCfg)
	create := func(parent, name string) (string, error) {
		out, err := api.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(parent), Name: aws.String(name)})
		if err != nil {
			return "", fmt.Errorf("create OU %s: %w", name, err)
		}
		return aws.ToString(out.OrganizationalUnit.Id), nil
	}
	security, err := create(org.RootID, "Security")
	if err != nil {
		return err
	}
	workloads, err := create(org.RootID, "Workloads")
	if err != nil {
		return err
	}
	prod, err := create(workloads, "Prod")
	if err != nil {
		return err
	}
	move := func(account, to string) error {
		_, err := api.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(account), SourceParentId: aws.String(org.RootID), DestinationParentId: aws.String(to)})
		if err != nil {
			return fmt.Errorf("move account %s: %w", account, err)
		}
		return nil
	}
	for _, a := range []string{org.Security, org.LogArchive} {
		if err := move(a, security); err != nil {
			return err
		}
	}
	for _, a := range org.Workloads {
		if err := move(a, prod); err != nil {
			return err
		}
	}
	return nil
}
