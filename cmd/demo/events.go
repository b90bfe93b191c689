package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
)

// newAccount creates an account in the emulated organization, as
// Organizations' CreateAccount would, and writes its CreateAccountResult
// event, the published sample with the new account's ID in the envelope
// EventBridge delivers it in (Organizations' events arrive in us-east-1).
func (s *session) newAccount(ctx context.Context, dir string) (string, string, error) {
	api := organizations.NewFromConfig(s.awsCfg)
	created, err := api.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("new-workload"), Email: aws.String("new-workload@example.com")})
	if err != nil {
		return "", "", err
	}
	status, err := api.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: created.CreateAccountStatus.Id})
	if err != nil {
		return "", "", err
	}
	id := aws.ToString(status.CreateAccountStatus.AccountId)
	record, err := os.ReadFile(filepath.Join(s.root, "events", "organizations-create-account-result-succeeded-cloudtrail-record.json"))
	if err != nil {
		return "", "", err
	}
	record = bytes.ReplaceAll(record, []byte(`"444455556666"`), []byte(`"`+id+`"`))
	event, err := json.MarshalIndent(map[string]any{"version": "0", "id": "6f3c1b1e-demo-4000-8000-000000000001", "detail-type": "AWS Service Event via CloudTrail",
		"source": "aws.organizations", "account": s.org.Management, "time": "2026-11-30T12:00:00Z", "region": "us-east-1", "resources": []string{},
		"detail": json.RawMessage(record)}, "", "  ")
	if err != nil {
		return "", "", err
	}
	path := filepath.Join(dir, "create-account-result.json")
	return id, path, os.WriteFile(path, event, 0o644)
}

// finding writes a GuardDuty finding event: a published sample finding
// (events/) at a severity, in a region, in its EventBridge envelope.
func (s *session) finding(dir, sample string, wrapped bool, severity float64, region string) (string, error) {
	b, err := os.ReadFile(filepath.Join(s.root, "events", sample))
	if err != nil {
		return "", err
	}
	var detail map[string]any
	if wrapped {
		var d struct {
			Detail map[string]any `json:"detail"`
		}
		err = json.Unmarshal(b, &d)
		detail = d.Detail
	} else {
		err = json.Unmarshal(b, &detail)
	}
	if err != nil {
		return "", err
	}
	detail["severity"] = severity
	detail["accountId"], detail["region"] = s.org.Security, region
	event, err := json.MarshalIndent(map[string]any{"version": "0", "id": fmt.Sprintf("demo-finding-%v", severity), "detail-type": "GuardDuty Finding",
		"source": "aws.guardduty", "account": s.org.Security, "time": "2026-11-30T12:00:00Z", "region": region, "resources": []string{},
		"detail": detail}, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, fmt.Sprintf("finding-%v.json", severity))
	return path, os.WriteFile(path, event, 0o644)
}

// cliText runs the CLI with args on the demo's configuration and shows
// what it prints.
func (s *session) cliText(ctx context.Context, args ...string) (string, error) {
	args = append(args, "--config", s.config, "--cdk-app", s.app)
	fmt.Fprintf(s.out, "$ orgbaseline %s\n", strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, s.cli, args...)
	cmd.Env = s.env
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, s.out
	err := cmd.Run()
	fmt.Fprint(s.out, stdout.String())
	if err != nil {
		return stdout.String(), fmt.Errorf("orgbaseline %s: %w", strings.Join(args, " "), err)
	}
	return stdout.String(), nil
}

// demonstrateEvents shows the event-driven half on the emulator: a new
// account's event onboards it, once; findings reach the topic from the
// threshold up, from every region.
func (s *session) demonstrateEvents(ctx context.Context, dir string) error {
	out := s.out
	section(out, "10. A new account: its CreateAccountResult event onboards it, once")
	id, event, err := s.newAccount(ctx, dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "created account %s in the emulated organization; its event: %s\n", id, event)
	fmt.Fprintln(out, "The event goes on the management account's bus in us-east-1, where Organizations' events arrive;")
	fmt.Fprintln(out, "the rules `deploy --local` put there from the synthesized templates decide what it starts.")
	rep, err := s.cliStep(ctx, "", "onboard", "--event", event, "--local")
	if err != nil {
		return err
	}
	onboarded := false
	for _, r := range rep.Rows {
		if r.Account == id && r.Step == "config-recorders" && r.Status == "changed" {
			onboarded = true
		}
	}
	if !onboarded {
		return fmt.Errorf("account %s was not onboarded: %s", id, rep.Summary())
	}
	fmt.Fprintln(out, "\nThe same event again (EventBridge delivers at least once): its execution name is taken.")
	text, err := s.cliText(ctx, "onboard", "--event", event, "--local")
	if err != nil {
		return err
	}
	if strings.TrimSpace(text) != "" {
		return fmt.Errorf("the duplicate event printed a report: it started a run")
	}

	section(out, "11. Findings: from the threshold (7.0) up, from every region, to the findings topic")
	fmt.Fprintln(out, "Published GuardDuty sample findings at four severities, in the home region and in eu-west-1,")
	fmt.Fprintln(out, "on the security account's bus of their region; eu-west-1's rule forwards to the home region.")
	for _, f := range []struct {
		sample   string
		wrapped  bool
		severity float64
		region   string
		publish  bool
	}{
		{"guardduty-finding-low-ssh-bruteforce-sample-detail-only.json", true, 2, "us-east-1", false},
		{"guardduty-finding-medium-recon-iamuser-maliciousipcaller-custom-sample-detail-only.json", false, 5, "eu-west-1", false},
		{"guardduty-finding-low-ssh-bruteforce-sample-detail-only.json", true, 8, "us-east-1", true},
		{"guardduty-finding-medium-recon-iamuser-maliciousipcaller-custom-sample-detail-only.json", false, 9.5, "eu-west-1", true},
	} {
		path, err := s.finding(dir, f.sample, f.wrapped, f.severity, f.region)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "\n-- severity %v in %s --\n", f.severity, f.region)
		text, err := s.cliText(ctx, "notify", "--event", path, "--local")
		if err != nil {
			return err
		}
		if published := strings.HasPrefix(text, "published: "); published != f.publish {
			return fmt.Errorf("severity %v: published %v, want %v", f.severity, published, f.publish)
		}
	}
	return nil
}
