package settings

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Left out, services.config gets its defaults, and the one default rule
// names the security account as GuardDuty's central monitoring account.
func TestConfigDefaults(t *testing.T) {
	c, err := Load("valid.yaml", strings.NewReader(valid))
	if err != nil {
		t.Fatal(err)
	}
	o := c.Services.Config
	if o.RecorderName != DefaultRecorderName || o.DeliveryChannelName != DefaultDeliveryChannelName ||
		o.RecordingFrequency != "CONTINUOUS" || o.SnapshotFrequency != "TwentyFour_Hours" || !o.Encrypted() ||
		o.RetentionDays != DefaultConfigRetention || o.AggregatorName != DefaultAggregatorName {
		t.Errorf("defaults: %+v", o)
	}
	if want := DefaultConfigRules(); !reflect.DeepEqual(o.Rules, want) {
		t.Errorf("rules: expect %+v, got %+v", want, o.Rules)
	}
	want := []ConfigRule{{Name: "orgbaseline-guardduty-enabled-centralized", Identifier: GuardDutyCentralizedRule,
		InputParameters: map[string]string{CentralMonitoringAccountParam: "222222222222"}}}
	if got := c.ConfigRules(); !reflect.DeepEqual(got, want) {
		t.Errorf("rules as put: expect %+v, got %+v", want, got)
	}
	if o.Rules[0].InputParameters != nil {
		t.Errorf("the settings were changed: %+v", o.Rules)
	}
}

// An empty list of rules means none; a listed GUARDDUTY_ENABLED_CENTRALIZED
// keeps a central account it was given.
func TestConfigRulesGiven(t *testing.T) {
	for _, tt := range []struct {
		name, yaml string
		want       []ConfigRule
	}{
		{"none", "  config:\n    rules: []\n", []ConfigRule{}},
		{"own central account", "  config:\n    rules:\n      - name: gd\n        identifier: GUARDDUTY_ENABLED_CENTRALIZED\n        inputParameters: {CentralMonitoringAccount: \"444444444444\"}\n",
			[]ConfigRule{{Name: "gd", Identifier: GuardDutyCentralizedRule, InputParameters: map[string]string{CentralMonitoringAccountParam: "444444444444"}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load("rules.yaml", strings.NewReader(valid+"services:\n"+tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.ConfigRules(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("rules: expect %+v, got %+v", tt.want, got)
			}
		})
	}
}

// Every problem of services.config is listed at once.
func TestConfigProblems(t *testing.T) {
	bad := valid + `services:
  config:
    recorderName: "two words"
    recordingFrequency: HOURLY
    snapshotFrequency: Weekly
    retentionDays: -1
    rules:
      - name: "bad name!"
        identifier: guardduty
        maximumExecutionFrequency: Often
        excludedAccounts: ["123"]
      - name: ok
        identifier: S3_BUCKET_VERSIONING_ENABLED
      - name: ok
        identifier: S3_BUCKET_VERSIONING_ENABLED
    conformancePacks:
      - name: 1pack
      - name: both
        templateFile: a.yaml
        templateS3Uri: s3://bucket/key.yaml
      - name: uri
        templateS3Uri: https://example.com/x.yaml
        deliveryBucket: my-bucket
`
	_, err := Load("bad.yaml", strings.NewReader(bad))
	if err == nil {
		t.Fatal("a bad services.config was accepted")
	}
	for _, want := range []string{
		`recorderName "two words"`, `recordingFrequency "HOURLY"`, `snapshotFrequency "Weekly"`, "retentionDays -1",
		`rules[0].name "bad name!"`, `rules[0].identifier "guardduty"`, `rules[0].maximumExecutionFrequency "Often"`,
		`rules[0].excludedAccounts[0] "123"`, `rules[2].name "ok" is used by an earlier rule`,
		`conformancePacks[0].name "1pack"`, "conformancePacks[0]: give templateFile or templateS3Uri",
		"conformancePacks[1]: give templateFile or templateS3Uri, not both",
		`conformancePacks[2].templateS3Uri "https://example.com/x.yaml"`, `conformancePacks[2].deliveryBucket "my-bucket"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not mention %s:\n%v", want, err)
		}
	}
}

// PutConformancePack's TemplateS3Uri "must point to a conformance pack
// template ... located in an Amazon S3 bucket in the same Region as the
// conformance pack" (AWS Config API Reference): with regions other than the
// home region, a templateS3Uri names a bucket per region with {region} in
// the bucket name, which TemplateS3URIIn fills in.
func TestConfigPackTemplateURIPerRegion(t *testing.T) {
	const long = "a-template-bucket-with-a-rather-long-name-for-tests"
	for _, tt := range []struct {
		name, regions, uri string
		problem            string
	}{
		{"one bucket, two regions", "[eu-west-1, us-east-1]", "s3://templates/a.yaml",
			`conformancePacks[0].templateS3Uri "s3://templates/a.yaml" names one bucket, but AWS Config reads a conformance pack's template from a bucket in the pack's region, ` +
				"and the configuration has regions other than the home region eu-west-1: put {region} in the bucket name (e.g. s3://templates-{region}/...)"},
		{"region in the key only", "[eu-west-1, us-east-1]", "s3://templates/{region}/a.yaml", `"s3://templates/{region}/a.yaml" names one bucket`},
		{"one bucket, discovered regions", "discover", "s3://templates/a.yaml", `"s3://templates/a.yaml" names one bucket`},
		{"bucket name too long in some region", "discover", "s3://" + long + "-{region}/a.yaml",
			`"s3://` + long + `-{region}/a.yaml": in ap-northeast-1 it is "s3://` + long + `-ap-northeast-1/a.yaml"; want s3://bucket/key`},
		{"one bucket, home region only", "[eu-west-1]", "s3://templates/a.yaml", ""},
		{"a bucket per region", "[eu-west-1, us-east-1]", "s3://templates-{region}/packs/a.yaml", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conf := strings.Replace(valid, "regions: [eu-west-1, us-east-1]", "regions: "+tt.regions, 1) +
				"services:\n  config:\n    conformancePacks:\n      - {name: a, templateS3Uri: \"" + tt.uri + "\"}\n"
			c, err := Load("packs.yaml", strings.NewReader(conf))
			switch {
			case tt.problem == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.problem != "" && (err == nil || !strings.Contains(err.Error(), tt.problem)):
				t.Fatalf("the error does not say %s:\n%v", tt.problem, err)
			case tt.problem == "":
				if e, a := strings.ReplaceAll(tt.uri, "{region}", "us-east-1"), c.Services.Config.ConformancePacks[0].TemplateS3URIIn("us-east-1"); e != a {
					t.Errorf("URI in us-east-1: expect %s, got %s", e, a)
				}
			}
		})
	}
}

// LoadFile makes a pack's templateFile absolute, relative to the
// configuration file, and refuses a missing or oversized template.
func TestConfigTemplateFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "packs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "packs", "p.yaml"), []byte("Resources: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "packs", "big.yaml"), make([]byte, MaxTemplateBodyBytes+1), 0o644); err != nil {
		t.Fatal(err)
	}
	write := func(packs string) string {
		path := filepath.Join(dir, "orgbaseline.yaml")
		if err := os.WriteFile(path, []byte(valid+"services:\n  config:\n    conformancePacks:\n"+packs), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	c, err := LoadFile(write("      - name: p\n        templateFile: packs/p.yaml\n"))
	if err != nil {
		t.Fatal(err)
	}
	if e, a := filepath.Join(dir, "packs", "p.yaml"), c.Services.Config.ConformancePacks[0].TemplateFile; e != a {
		t.Errorf("templateFile: expect %s, got %s", e, a)
	}
	_, err = LoadFile(write("      - name: gone\n        templateFile: packs/gone.yaml\n      - name: big\n        templateFile: packs/big.yaml\n"))
	if err == nil || !strings.Contains(err.Error(), "conformancePacks[0].templateFile") || !strings.Contains(err.Error(), "give templateS3Uri") {
		t.Errorf("a missing and an oversized template: %v", err)
	}
}

// A configuration reads the same from its YAML and from the JSON a Lambda
// is given, empty lists included.
func TestConfigEncodeDecode(t *testing.T) {
	c, err := Load("packs.yaml", strings.NewReader(valid+`services:
  config:
    rules:
      - {name: r, identifier: S3_BUCKET_VERSIONING_ENABLED, excludedAccounts: [], inputParameters: {}}
    conformancePacks: []
`))
	if err != nil {
		t.Fatal(err)
	}
	enc, err := c.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode("env", enc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, back) {
		t.Errorf("round trip:\n%+v\n%+v", c.Services.Config, back.Services.Config)
	}
}
