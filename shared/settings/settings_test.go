package settings

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const valid = `
accounts:
  management: "111111111111"
  security: "222222222222"
  logArchive: "333333333333"
organizationId: o-a1b2c3d4e5
homeRegion: eu-west-1
regions: [eu-west-1, us-east-1]
`

func TestLoadAppliesDefaults(t *testing.T) {
	c, err := Load("valid.yaml", strings.NewReader(valid))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if e, a := DefaultExecutionRoleName, c.ExecutionRoleName; e != a {
		t.Errorf("executionRoleName: expect %q, got %q", e, a)
	}
	if e, a := 7.0, *c.Findings.SeverityThreshold; e != a {
		t.Errorf("severityThreshold: expect %v, got %v", e, a)
	}
	if e, a := []string{"cloudtrail", "config", "guardduty", "securityhub", "accessanalyzer", "health"}, c.EnabledServices(); !reflect.DeepEqual(e, a) {
		t.Errorf("enabled services: expect %v, got %v", e, a)
	}
	if e, a := ManageFromManagement, c.Services.CloudTrail.ManageFrom; e != a || c.Services.CloudTrail.ManagedFromSecurity() {
		t.Errorf("manageFrom: expect %q, got %q", e, a)
	}
	if c.Enabled(ServiceDetective) {
		t.Error("detective is enabled by default; it needs 48 hours of GuardDuty first")
	}
	if !*c.Services.GuardDuty.Features.S3DataEvents {
		t.Error("S3 data events should default to on")
	}
	if e, a := []string{"eu-west-1", "us-east-1"}, c.Regions.Names; !reflect.DeepEqual(e, a) {
		t.Errorf("regions: expect %v, got %v", e, a)
	}
}

func TestExampleFileIsValid(t *testing.T) {
	c, err := LoadFile(filepath.Join("..", "..", "orgbaseline.example.yaml"))
	if err != nil {
		t.Fatalf("the committed example does not load: %v", err)
	}
	if e, a := "222222222222", c.Accounts.Security; e != a {
		t.Errorf("security account: expect %s, got %s", e, a)
	}
}

func TestRegionsDiscover(t *testing.T) {
	src := strings.Replace(valid, "regions: [eu-west-1, us-east-1]", "regions: discover", 1)
	c, err := Load("discover.yaml", strings.NewReader(src))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !c.Regions.Discover || len(c.Regions.Names) != 0 {
		t.Errorf("expect discover with no names, got %+v", c.Regions)
	}
}

// Every problem in a file is reported at once.
func TestLoadListsEveryProblem(t *testing.T) {
	bad := `
accounts:
  management: "1234"
  security: "111111111111"
  logArchive: "111111111111x"
homeRegion: mars-north-1
regions: [us-east-1, atlantis-1, us-east-1]
executionRoleName: "bad role"
services:
  cloudtrail: {manageFrom: security}
  guardduty:
    findingPublishingFrequency: HOURLY
  nonsense: {enabled: true}
findings:
  severityThreshold: 11
  emailSubscriptions: [not-an-address]
`
	_, err := Load("bad.yaml", strings.NewReader(bad))
	var cerr *Error
	if !errors.As(err, &cerr) {
		t.Fatalf("expect *settings.Error, got %T: %v", err, err)
	}
	want := []string{
		"nonsense is not a known setting",
		`accounts.management is "1234": an account ID is 12 digits`,
		`accounts.logArchive is "111111111111x": an account ID is 12 digits`,
		`homeRegion "mars-north-1" is not a known region`,
		`regions: "atlantis-1" is not a known region`,
		`regions: "us-east-1" is listed twice`,
		`executionRoleName "bad role" is not a valid IAM role name`,
		`findingPublishingFrequency "HOURLY"`,
		"findings.severityThreshold 11 is out of range: want 0 to 10",
		"organizationId is missing",
		`findings.emailSubscriptions[0] "not-an-address" is not an e-mail address`,
		"services.cloudtrail.manageFrom is security, which needs services.cloudtrail.delegatedAdmin: true",
	}
	msg := err.Error()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error does not mention %q:\n%s", w, msg)
		}
	}
	if e, a := len(want), len(cerr.Problems); e != a {
		t.Errorf("expect %d problems, got %d:\n%s", e, a, msg)
	}
}

func TestLoadMissingFields(t *testing.T) {
	_, err := Load("empty.yaml", strings.NewReader("findings: {}\n"))
	if err == nil {
		t.Fatal("expect an error for a file without accounts and regions")
	}
	for _, w := range []string{
		"accounts.management is missing",
		"accounts.security is missing",
		"accounts.logArchive is missing",
		"homeRegion is missing",
		"regions is missing",
		"organizationId is missing",
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not mention %q:\n%v", w, err)
		}
	}
}

func TestLoadRules(t *testing.T) {
	tests := []struct {
		name, from, to, want string
	}{
		{"security is management", `security: "222222222222"`, `security: "111111111111"`, "accounts.security is the management account"},
		{"home region not listed", "regions: [eu-west-1, us-east-1]", "regions: [us-east-1]", `regions must include the home region "eu-west-1"`},
		{"regions neither list nor discover", "regions: [eu-west-1, us-east-1]", "regions: all", `regions is "all"`},
		{"threshold below zero", "regions: [eu-west-1, us-east-1]", "regions: [eu-west-1]\nfindings: {severityThreshold: -1}", "out of range"},
		{"empty file", valid, "", "the file is empty"},
		{"bad organization ID", "organizationId: o-a1b2c3d4e5", "organizationId: 123", `organizationId "123" is not an organization ID`},
		{"trail retention", "regions: [eu-west-1, us-east-1]", "regions: [eu-west-1]\nservices: {cloudtrail: {retentionDays: -5}}", "retentionDays -5"},
		{"manageFrom security without delegatedAdmin", "regions: [eu-west-1, us-east-1]", "regions: [eu-west-1]\nservices: {cloudtrail: {manageFrom: security}}", "manageFrom is security, which needs services.cloudtrail.delegatedAdmin: true"},
		{"manageFrom unknown", "regions: [eu-west-1, us-east-1]", "regions: [eu-west-1]\nservices: {cloudtrail: {manageFrom: audit, delegatedAdmin: true}}", `services.cloudtrail.manageFrom "audit": want management or security`},
		{"detective mode unknown", "regions: [eu-west-1, us-east-1]", "regions: [eu-west-1]\nservices: {detective: {enabled: true, mode: invite}}", `services.detective.mode "invite": want organization or invitation`},
		{"log group retention", "regions: [eu-west-1, us-east-1]", "regions: [eu-west-1]\nservices: {cloudtrail: {cloudWatchLogs: {retentionDays: 100}}}", "is not a CloudWatch Logs retention period"},
		{"security hub configuration unknown", "regions: [eu-west-1, us-east-1]", "regions: [eu-west-1]\nservices: {securityhub: {configuration: delegated}}", `services.securityhub.configuration "delegated": want central or local`},
		{"disabled controls with local configuration", "regions: [eu-west-1, us-east-1]", "regions: [eu-west-1]\nservices: {securityhub: {configuration: local, disabledControls: [IAM.6]}}", "disabled controls are part of central configuration's policy"},
		{"targets with local configuration", "regions: [eu-west-1, us-east-1]", "regions: [eu-west-1]\nservices: {securityhub: {configuration: local, targets: [ou-ab12-cdefgh34]}}", "targets are where central configuration's policy applies"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := strings.Replace(valid, tt.from, tt.to, 1)
			if src == valid {
				t.Fatalf("test case did not change the input")
			}
			_, err := Load("t.yaml", strings.NewReader(src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("expect error containing %q, got %v", tt.want, err)
			}
		})
	}
}

// Security Hub's configuration is central unless set; local takes the
// standards, and targets only as the default root.
func TestSecurityHubConfiguration(t *testing.T) {
	c, err := Load("t.yaml", strings.NewReader(valid))
	if err != nil || c.Services.SecurityHub.Configuration != SecurityHubCentral || c.Services.SecurityHub.Local() {
		t.Fatalf("default: %q, %v", c.Services.SecurityHub.Configuration, err)
	}
	src := strings.Replace(valid, "regions: [eu-west-1, us-east-1]", "regions: [eu-west-1]\nservices: {securityhub: {configuration: local, targets: [root], standards: [standards/pci-dss/v/3.2.1]}}", 1)
	if c, err = Load("t.yaml", strings.NewReader(src)); err != nil || !c.Services.SecurityHub.Local() {
		t.Fatalf("local: %+v, %v", c.Services.SecurityHub, err)
	}
}

func TestManageFromSecurity(t *testing.T) {
	src := strings.Replace(valid, "regions: [eu-west-1, us-east-1]", "regions: [eu-west-1]\nservices: {cloudtrail: {manageFrom: security, delegatedAdmin: true}}", 1)
	c, err := Load("t.yaml", strings.NewReader(src))
	if err != nil {
		t.Fatalf("manageFrom security with delegatedAdmin: %v", err)
	}
	if e, a := ManageFromSecurity, c.Services.CloudTrail.ManageFrom; e != a || !c.Services.CloudTrail.ManagedFromSecurity() {
		t.Errorf("manageFrom: expect %q, got %q", e, a)
	}
	s, err := c.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode("env", s)
	if err != nil || back.Services.CloudTrail.ManageFrom != ManageFromSecurity {
		t.Errorf("round trip: %+v, %v", back.Services.CloudTrail, err)
	}
}

// services.detective takes a mode; without one, as before the option
// existed (detective: {enabled: true}), it is organization mode.
func TestDetectiveMode(t *testing.T) {
	for _, tt := range []struct{ detective, want string }{
		{"{enabled: true}", DetectiveOrganization},
		{"{enabled: true, mode: organization}", DetectiveOrganization},
		{"{enabled: true, mode: invitation}", DetectiveInvitation},
	} {
		src := strings.Replace(valid, "regions: [eu-west-1, us-east-1]", "regions: [eu-west-1]\nservices: {detective: "+tt.detective+"}", 1)
		c, err := Load("t.yaml", strings.NewReader(src))
		if err != nil {
			t.Fatalf("%s: %v", tt.detective, err)
		}
		if c.Services.Detective.Mode != tt.want || c.Services.Detective.Invitation() != (tt.want == DetectiveInvitation) || !c.Enabled(ServiceDetective) {
			t.Errorf("%s: mode %q, want %q", tt.detective, c.Services.Detective.Mode, tt.want)
		}
		s, err := c.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if back, err := Decode("env", s); err != nil || back.Services.Detective.Mode != tt.want {
			t.Errorf("%s: round trip %+v, %v", tt.detective, back.Services.Detective, err)
		}
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	for _, src := range []string{valid, strings.Replace(valid, "regions: [eu-west-1, us-east-1]", "regions: discover", 1)} {
		c, err := Load("valid.yaml", strings.NewReader(src))
		if err != nil {
			t.Fatal(err)
		}
		s, err := c.Encode()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Decode("env", s)
		if err != nil {
			t.Fatalf("Decode(%s): %v", s, err)
		}
		if !reflect.DeepEqual(c, back) {
			t.Errorf("round trip changed the config:\n%+v\n%+v", c, back)
		}
	}
}

func TestFromEnv(t *testing.T) {
	t.Setenv(EnvVar, "")
	if _, err := FromEnv(); err == nil || !strings.Contains(err.Error(), EnvVar+" is not set") {
		t.Errorf("expect a clear error without %s, got %v", EnvVar, err)
	}
	t.Setenv(EnvVar, `{"accounts":{"management":"1"}}`)
	if _, err := FromEnv(); err == nil || !strings.Contains(err.Error(), "12 digits") {
		t.Errorf("expect the settings to be validated again, got %v", err)
	}
}

func TestLoadFileMissing(t *testing.T) {
	_, err := LoadFile(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("expect ErrNotExist, got %v", err)
	}
}

// BenchmarkLoadExample measures reading and validating the example file, as
// every Lambda container and CLI run does once.
func BenchmarkLoadExample(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("..", "..", "orgbaseline.example.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Load("example", strings.NewReader(string(data))); err != nil {
			b.Fatal(err)
		}
	}
}

// TestNotificationAndOnboardingSettings: the defaults, and every bad value
// reported.
func TestNotificationAndOnboardingSettings(t *testing.T) {
	c, err := Load("valid.yaml", strings.NewReader(valid))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Onboarding.On() || c.Onboarding.RoleWaitMinutes != DefaultRoleWaitMinutes || len(c.Findings.SecurityHubLabels) != 0 || c.Findings.HealthEvents {
		t.Errorf("defaults: %+v %+v", c.Onboarding, c.Findings)
	}
	c.Findings.SecurityHubLabels = []string{"HIGH", "SEVERE"}
	c.Operations.EmailSubscriptions = []string{"ops@example.com", "not an address"}
	c.Onboarding.ControlTowerRegion = "eu-nowhere-9"
	c.Onboarding.RoleWaitMinutes = 500
	got := strings.Join(c.problems(), "\n")
	for _, want := range []string{
		`findings.securityHubLabels[1] "SEVERE": want one of CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL`,
		`operations.emailSubscriptions[1] "not an address" is not an e-mail address`,
		`onboarding.controlTowerRegion "eu-nowhere-9" is not a known region of the aws partition`,
		`onboarding.roleWaitMinutes 500 is out of range: want 1 to 120`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, `"HIGH"`) || strings.Contains(got, "ops@example.com") {
		t.Errorf("good values reported:\n%s", got)
	}
}

func TestReconvergeSchedule(t *testing.T) {
	c, err := Load("valid.yaml", strings.NewReader(valid))
	if err != nil {
		t.Fatal(err)
	}
	if c.Reconverge.Schedule != DefaultReconvergeSchedule || !c.Reconverge.On() {
		t.Errorf("default: %+v", c.Reconverge)
	}
	for s, ok := range map[string]bool{"rate(1 day)": true, "rate(12 hours)": true, "cron(0 6 * * ? *)": true, "off": true,
		"rate(1 days)": false, "rate(0 hours)": false, "daily": false, "cron(0 6 *)": false} {
		c.Reconverge.Schedule = s
		bad := strings.Contains(strings.Join(c.problems(), "\n"), "reconverge.schedule")
		if bad == ok {
			t.Errorf("schedule %q: reported %v", s, bad)
		}
	}
}
