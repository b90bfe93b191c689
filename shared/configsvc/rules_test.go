package configsvc

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfgtypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"

	"github.com/orgbaseline/orgbaseline/shared/local/awstest"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// defaultRule is the rule of the default configuration.
const defaultRule = "orgbaseline-guardduty-enabled-centralized"

func runRules(t *testing.T, extra string, f RulesAPI, item workflow.Item) (workflow.StepResult, error) {
	t.Helper()
	h := &RulesHandler{Settings: fakeConfig(t, extra), Log: quiet, In: func(region string) RulesAPI {
		if region != "eu-west-1" {
			t.Errorf("client asked for region %q", region)
		}
		return f
	}}
	if item.Region == "" {
		item.Region = "eu-west-1"
	}
	if item.Input.Mode == "" {
		item.Input.Mode = workflow.ModeApply
	}
	res, err := h.Handle(context.Background(), item)
	for _, o := range res.Outcomes {
		if o.Region != "eu-west-1" || o.Service != "config" {
			t.Errorf("outcome not under the region and config: %+v", o)
		}
	}
	return res, err
}

func mustRules(t *testing.T, extra string, f RulesAPI, item workflow.Item) workflow.StepResult {
	t.Helper()
	res, err := runRules(t, extra, f, item)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// managed is an organization rule built on a managed rule.
func managed(name, identifier, params string, excluded ...string) cfgtypes.OrganizationConfigRule {
	r := cfgtypes.OrganizationConfigRule{
		OrganizationConfigRuleName:      aws.String(name),
		OrganizationManagedRuleMetadata: &cfgtypes.OrganizationManagedRuleMetadata{RuleIdentifier: aws.String(identifier)},
		ExcludedAccounts:                excluded,
	}
	if params != "" {
		r.OrganizationManagedRuleMetadata.InputParameters = aws.String(params)
	}
	return r
}

// converged is the fake with the default rule as the default configuration
// wants it, deployed.
func converged() *fakeConfigService {
	f := newFake()
	f.rules[defaultRule] = managed(defaultRule, settings.GuardDutyCentralizedRule, `{ "CentralMonitoringAccount" : "222222222222" }`)
	f.ruleStatus[defaultRule] = status{status: "CREATE_SUCCESSFUL"}
	return f
}

func TestRulesDefaultRuleCreated(t *testing.T) {
	f := newFake()
	res := mustRules(t, "", f, workflow.Item{})
	if e, a := []string{"PutOrganizationConfigRule"}, f.mutating; !reflect.DeepEqual(e, a) {
		t.Fatalf("mutating calls: expect %v, got %v", e, a)
	}
	in := f.putRules[0]
	meta := in.OrganizationManagedRuleMetadata
	if aws.ToString(in.OrganizationConfigRuleName) != defaultRule || meta == nil ||
		aws.ToString(meta.RuleIdentifier) != "GUARDDUTY_ENABLED_CENTRALIZED" || meta.MaximumExecutionFrequency != "" ||
		in.OrganizationCustomRuleMetadata != nil || in.ExcludedAccounts == nil || len(in.ExcludedAccounts) != 0 {
		t.Errorf("PutOrganizationConfigRule input: %+v %+v", in, meta)
	}
	if e, a := `{"CentralMonitoringAccount":"222222222222"}`, aws.ToString(meta.InputParameters); e != a {
		t.Errorf("input parameters: expect %s, got %s", e, a)
	}
	if e, a := []workflow.Status{workflow.StatusChanged}, statuses(res); !reflect.DeepEqual(e, a) || !res.Changed || res.Pending {
		t.Fatalf("statuses: expect %v, got %v: %+v", e, a, res.Outcomes)
	}
	o := res.Outcomes[0]
	if o.Account != securityID || !reflect.DeepEqual(o.Actions, []workflow.Action{{Call: CallPutOrganizationConfigRule, Target: defaultRule}}) ||
		o.Reason != "rule "+defaultRule+": missing: create it from managed rule GUARDDUTY_ENABLED_CENTRALIZED; deployed to the members (CREATE_SUCCESSFUL)" {
		t.Errorf("outcome: %+v", o)
	}
	// The status was read for the configured name.
	if !slices.Contains(f.calls, "DescribeOrganizationConfigRuleStatuses") {
		t.Errorf("status not read: %v", f.calls)
	}
	// No packs configured: no pack call.
	for _, c := range f.calls {
		if strings.Contains(c, "ConformancePack") {
			t.Errorf("pack call without packs: %s", c)
		}
	}
}

func TestRulesUnchangedMakesNoCall(t *testing.T) {
	f := converged()
	// Rules not in the configuration are left alone; one named like
	// orgbaseline's gets a warning.
	f.rules["orgbaseline-old"] = managed("orgbaseline-old", "S3_BUCKET_VERSIONING_ENABLED", "")
	f.rules["someone-else"] = managed("someone-else", "IAM_ROOT_ACCESS_KEY_CHECK", "")
	res := mustRules(t, "", f, workflow.Item{})
	if len(f.mutating) != 0 {
		t.Errorf("mutating calls: %v", f.mutating)
	}
	if e, a := []workflow.Status{workflow.StatusUnchanged}, statuses(res); !reflect.DeepEqual(e, a) || res.Changed || res.Pending {
		t.Errorf("statuses: expect %v, got %v: %+v", e, a, res.Outcomes)
	}
	if e, a := "rule "+defaultRule+" matches the configuration; deployed to the members (CREATE_SUCCESSFUL)", res.Outcomes[0].Reason; e != a {
		t.Errorf("reason: expect %q, got %q", e, a)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "orgbaseline-old is not in the configuration") {
		t.Errorf("warnings: %q", res.Warnings)
	}
	// Every page of rules was read (one rule per page).
	if n := count(f.calls, "DescribeOrganizationConfigRules"); n != 3 {
		t.Errorf("DescribeOrganizationConfigRules calls: %d, want 3", n)
	}
}

func count(calls []string, op string) int {
	n := 0
	for _, c := range calls {
		if c == op {
			n++
		}
	}
	return n
}

func TestRulesChangedParametersArePut(t *testing.T) {
	f := converged()
	f.rules[defaultRule] = managed(defaultRule, settings.GuardDutyCentralizedRule, `{"CentralMonitoringAccount":"999999999999"}`)
	res := mustRules(t, "", f, workflow.Item{})
	if len(f.putRules) != 1 {
		t.Fatalf("mutating calls: %v", f.mutating)
	}
	if e, a := `{"CentralMonitoringAccount":"222222222222"}`, aws.ToString(f.putRules[0].OrganizationManagedRuleMetadata.InputParameters); e != a {
		t.Errorf("input parameters: expect %s, got %s", e, a)
	}
	if o := res.Outcomes[0]; o.Status != workflow.StatusChanged ||
		!strings.Contains(o.Reason, `input parameters {"CentralMonitoringAccount":"999999999999"}, want {"CentralMonitoringAccount":"222222222222"}`) ||
		!strings.Contains(o.Reason, "(UPDATE_SUCCESSFUL)") {
		t.Errorf("outcome: %+v", o)
	}
}

func TestRulesOtherFieldsCompared(t *testing.T) {
	extra := `
services:
  config:
    rules:
      - {name: versioning, identifier: S3_BUCKET_VERSIONING_ENABLED, maximumExecutionFrequency: Six_Hours}
      - {name: root-keys, identifier: IAM_ROOT_ACCESS_KEY_CHECK}
`
	f := newFake()
	// Another identifier and frequency; a frequency the configuration
	// leaves out is not compared, and no parameters equal "{}".
	f.rules["versioning"] = managed("versioning", "S3_BUCKET_LOGGING_ENABLED", "")
	f.rules["versioning"].OrganizationManagedRuleMetadata.MaximumExecutionFrequency = "One_Hour"
	f.rules["root-keys"] = managed("root-keys", "IAM_ROOT_ACCESS_KEY_CHECK", "{}")
	f.rules["root-keys"].OrganizationManagedRuleMetadata.MaximumExecutionFrequency = "TwentyFour_Hours"
	f.ruleStatus["root-keys"] = status{status: "UPDATE_SUCCESSFUL"}
	res := mustRules(t, extra, f, workflow.Item{})
	if len(f.putRules) != 1 || aws.ToString(f.putRules[0].OrganizationConfigRuleName) != "versioning" {
		t.Fatalf("puts: %v", f.mutating)
	}
	meta := f.putRules[0].OrganizationManagedRuleMetadata
	if aws.ToString(meta.RuleIdentifier) != "S3_BUCKET_VERSIONING_ENABLED" || meta.MaximumExecutionFrequency != "Six_Hours" || meta.InputParameters != nil {
		t.Errorf("put metadata: %+v", meta)
	}
	if r := res.Outcomes[0].Reason; !strings.Contains(r, "identifier S3_BUCKET_LOGGING_ENABLED, want S3_BUCKET_VERSIONING_ENABLED") ||
		!strings.Contains(r, "maximum execution frequency One_Hour, want Six_Hours") {
		t.Errorf("reason: %q", r)
	}
	if e, a := []workflow.Status{workflow.StatusChanged, workflow.StatusUnchanged}, statuses(res); !reflect.DeepEqual(e, a) {
		t.Errorf("statuses: expect %v, got %v", e, a)
	}
}

func TestRulesExcludedAccountsAreASet(t *testing.T) {
	extra := `services: {config: {rules: [{name: ` + defaultRule + `, identifier: GUARDDUTY_ENABLED_CENTRALIZED, excludedAccounts: ["555555555555", "444444444444"]}]}}`
	f := converged()
	f.rules[defaultRule] = managed(defaultRule, settings.GuardDutyCentralizedRule, `{"CentralMonitoringAccount":"222222222222"}`, "444444444444", "555555555555")
	res := mustRules(t, extra, f, workflow.Item{})
	if len(f.mutating) != 0 || res.Outcomes[0].Status != workflow.StatusUnchanged {
		t.Fatalf("same accounts in another order: calls %v, %+v", f.mutating, res.Outcomes)
	}

	f.rules[defaultRule] = managed(defaultRule, settings.GuardDutyCentralizedRule, `{"CentralMonitoringAccount":"222222222222"}`, "444444444444")
	res = mustRules(t, extra, f, workflow.Item{})
	if len(f.putRules) != 1 {
		t.Fatalf("puts: %v", f.mutating)
	}
	if e, a := []string{"444444444444", "555555555555"}, f.putRules[0].ExcludedAccounts; !reflect.DeepEqual(e, a) {
		t.Errorf("excluded accounts: expect %v, got %v", e, a)
	}
	if r := res.Outcomes[0].Reason; !strings.Contains(r, "excluded accounts (1, want 2): to add 555555555555") {
		t.Errorf("reason: %q", r)
	}
}

func TestRulesCustomRuleIsAConflict(t *testing.T) {
	extra := `
services:
  config:
    rules:
      - {name: new-one, identifier: IAM_ROOT_ACCESS_KEY_CHECK}
      - {name: mine, identifier: S3_BUCKET_VERSIONING_ENABLED}
`
	f := newFake()
	f.rules["mine"] = cfgtypes.OrganizationConfigRule{
		OrganizationConfigRuleName:     aws.String("mine"),
		OrganizationCustomRuleMetadata: &cfgtypes.OrganizationCustomRuleMetadata{LambdaFunctionArn: aws.String("arn:aws:lambda:eu-west-1:222222222222:function:mine")},
	}
	_, err := runRules(t, extra, f, workflow.Item{})
	if e, a := workflow.ErrNameConflict, errName(err); e != a {
		t.Fatalf("error: expect %s, got %s (%v)", e, a, err)
	}
	if !strings.Contains(err.Error(), "organization config rule mine in eu-west-1 is a custom rule") {
		t.Errorf("message: %v", err)
	}
	if len(f.mutating) != 0 {
		t.Errorf("a conflict must stop every change: %v", f.mutating)
	}
}

func TestRulesPlan(t *testing.T) {
	extra := `
services:
  config:
    conformancePacks:
      - {name: pack-a, templateS3Uri: "s3://templates-{region}/a.yaml"}
`
	f := newFake()
	res := mustRules(t, extra, f, workflow.Item{Input: workflow.Input{Mode: workflow.ModePlan}})
	if len(f.mutating) != 0 {
		t.Errorf("plan made calls: %v", f.mutating)
	}
	for _, c := range f.calls {
		if strings.Contains(c, "Status") {
			t.Errorf("plan read a deployment status: %s", c)
		}
	}
	if e, a := []workflow.Status{workflow.StatusPlanned, workflow.StatusPlanned}, statuses(res); !reflect.DeepEqual(e, a) || res.Changed || res.Pending || res.Polls != 0 {
		t.Fatalf("statuses: expect %v, got %v: %+v", e, a, res)
	}
	if e, a := (workflow.Action{Call: CallPutOrganizationConformancePack, Target: "pack-a"}), res.Outcomes[1].Actions[0]; e != a {
		t.Errorf("pack action: expect %v, got %v", e, a)
	}
}

func TestRulesSkipped(t *testing.T) {
	for _, tt := range []struct {
		name, extra string
		item        workflow.Item
		reason      string
	}{
		{"disabled", "services: {config: {enabled: false}}", workflow.Item{}, "config is disabled in the configuration"},
		{"filtered out", "", workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply, Services: []string{"cloudtrail"}}}, "config is not in the services filter"},
		{"nothing configured", "services: {config: {rules: []}}", workflow.Item{}, "no organization config rules or conformance packs in the configuration"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			res := mustRules(t, tt.extra, f, tt.item)
			if len(f.calls) != 0 {
				t.Errorf("calls: %v", f.calls)
			}
			if o := res.Outcomes[0]; len(res.Outcomes) != 1 || o.Status != workflow.StatusSkipped || o.Reason != tt.reason || o.Account != securityID {
				t.Errorf("outcomes: %+v", res.Outcomes)
			}
		})
	}
	// No region: nothing to work in.
	h := &RulesHandler{Settings: fakeConfig(t, ""), Log: quiet, In: func(string) RulesAPI { t.Error("client asked for"); return nil }}
	res, err := h.Handle(context.Background(), workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}})
	if err != nil || res.Outcomes[0].Status != workflow.StatusSkipped || res.Outcomes[0].Region != "-" {
		t.Errorf("no region: %v %+v", err, res.Outcomes)
	}
}

// packsConfig configures the packs pack-s3 (template in S3, delivery
// bucket, parameters, exclusions) and pack-file (template file at path),
// and no rules.
func packsConfig(path string) string {
	return fmt.Sprintf(`
services:
  config:
    rules: []
    conformancePacks:
      - name: pack-s3
        templateS3Uri: "s3://templates-{region}/ops.yaml"
        deliveryBucket: awsconfigconforms-results
        inputParameters: {b: "2", a: "1"}
        excludedAccounts: ["555555555555", "444444444444"]
      - {name: pack-file, templateFile: %q}
`, path)
}

const template = "Resources:\n  Versioning:\n    Type: AWS::Config::ConfigRule\n"

func writeTemplate(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestPacksCreated(t *testing.T) {
	t.Setenv(EnvTaskRoot, "")
	path := filepath.Join(t.TempDir(), "conf", "pack.yaml")
	writeTemplate(t, path, template)
	f := newFake()
	res := mustRules(t, packsConfig(path), f, workflow.Item{})
	if e, a := []string{"PutOrganizationConformancePack", "PutOrganizationConformancePack"}, f.mutating; !reflect.DeepEqual(e, a) {
		t.Fatalf("mutating calls: expect %v, got %v", e, a)
	}
	s3, file := f.putPacks[0], f.putPacks[1]
	wantParams := []cfgtypes.ConformancePackInputParameter{
		{ParameterName: aws.String("a"), ParameterValue: aws.String("1")},
		{ParameterName: aws.String("b"), ParameterValue: aws.String("2")},
	}
	if aws.ToString(s3.OrganizationConformancePackName) != "pack-s3" || aws.ToString(s3.TemplateS3Uri) != "s3://templates-eu-west-1/ops.yaml" || s3.TemplateBody != nil ||
		aws.ToString(s3.DeliveryS3Bucket) != "awsconfigconforms-results" || !reflect.DeepEqual(wantParams, s3.ConformancePackInputParameters) ||
		!reflect.DeepEqual([]string{"444444444444", "555555555555"}, s3.ExcludedAccounts) {
		t.Errorf("pack-s3 input: %+v", s3)
	}
	if aws.ToString(file.OrganizationConformancePackName) != "pack-file" || file.TemplateS3Uri != nil || aws.ToString(file.TemplateBody) != template ||
		file.DeliveryS3Bucket != nil {
		t.Errorf("pack-file input: %+v", file)
	}
	if e, a := []workflow.Status{workflow.StatusChanged, workflow.StatusChanged}, statuses(res); !reflect.DeepEqual(e, a) {
		t.Fatalf("statuses: expect %v, got %v: %+v", e, a, res.Outcomes)
	}
	if e, a := "conformance pack pack-s3: missing: create it from s3://templates-eu-west-1/ops.yaml; deployed to the members (CREATE_SUCCESSFUL)", res.Outcomes[0].Reason; e != a {
		t.Errorf("reason: expect %q, got %q", e, a)
	}
	if e, a := "conformance pack pack-file: missing: create it from template file pack.yaml; deployed to the members (CREATE_SUCCESSFUL)", res.Outcomes[1].Reason; e != a {
		t.Errorf("reason: expect %q, got %q", e, a)
	}
	// Both names in one call, refused as one is missing, then one by one.
	if e, a := [][]string{{"pack-s3", "pack-file"}, {"pack-s3"}, {"pack-file"}}, f.packNames; !reflect.DeepEqual(e, a) {
		t.Errorf("DescribeOrganizationConformancePacks names: expect %v, got %v", e, a)
	}

	// Converged: both names at once (two pages), nothing put.
	f.mutating, f.packNames = nil, nil
	res = mustRules(t, packsConfig(path), f, workflow.Item{})
	if len(f.mutating) != 0 || !reflect.DeepEqual([][]string{{"pack-s3", "pack-file"}, {"pack-s3", "pack-file"}}, f.packNames) {
		t.Errorf("re-run: calls %v, describes %v", f.mutating, f.packNames)
	}
	if e, a := []workflow.Status{workflow.StatusUnchanged, workflow.StatusUnchanged}, statuses(res); !reflect.DeepEqual(e, a) {
		t.Errorf("re-run statuses: expect %v, got %v", e, a)
	}
}

// PutConformancePack's TemplateS3Uri must name "an Amazon S3 bucket in the
// same Region as the conformance pack" (AWS Config API Reference): each
// region's put names that region's bucket.
func TestPacksTemplateFromTheBucketOfTheRegion(t *testing.T) {
	cfg := fakeConfig(t, `
services:
  config:
    rules: []
    conformancePacks:
      - {name: pack-a, templateS3Uri: "s3://templates-{region}/packs/a.yaml"}
`)
	for _, region := range []string{"us-east-1", "eu-west-1"} {
		f := newFake()
		h := &RulesHandler{Settings: cfg, Log: quiet, In: func(string) RulesAPI { return f }}
		res, err := h.Handle(context.Background(), workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}, Region: region})
		if err != nil {
			t.Fatal(err)
		}
		want := "s3://templates-" + region + "/packs/a.yaml"
		if len(f.putPacks) != 1 || aws.ToString(f.putPacks[0].TemplateS3Uri) != want || f.putPacks[0].TemplateBody != nil {
			t.Errorf("%s: expect one put from %s, got %+v", region, want, f.putPacks)
		}
		if !strings.Contains(res.Outcomes[0].Reason, "create it from "+want) {
			t.Errorf("%s: reason %q does not name %s", region, res.Outcomes[0].Reason, want)
		}
	}
}

func TestPacksTemplateFromTheLambdaPackage(t *testing.T) {
	root := t.TempDir()
	t.Setenv(EnvTaskRoot, root)
	writeTemplate(t, filepath.Join(root, "packs", "pack-file.yaml"), "bundled: true\n")
	f := newFake()
	f.packs["pack-s3"] = cfgtypes.OrganizationConformancePack{OrganizationConformancePackName: aws.String("pack-s3")}
	// The configured path is on the machine that synthesized the app: not
	// read in a Lambda.
	mustRules(t, packsConfig("/nowhere/pack.yaml"), f, workflow.Item{})
	var file *string
	for _, p := range f.putPacks {
		if aws.ToString(p.OrganizationConformancePackName) == "pack-file" {
			file = p.TemplateBody
		}
	}
	if e, a := "bundled: true\n", aws.ToString(file); e != a {
		t.Errorf("template body: expect %q, got %q", e, a)
	}
}

func TestPacksTemplateFileProblems(t *testing.T) {
	t.Setenv(EnvTaskRoot, "")
	big := filepath.Join(t.TempDir(), "big.yaml")
	writeTemplate(t, big, strings.Repeat("#", settings.MaxTemplateBodyBytes+1))
	for name, path := range map[string]string{"missing": "/nowhere/pack.yaml", "too big": big} {
		t.Run(name, func(t *testing.T) {
			f := newFake()
			_, err := runRules(t, packsConfig(path), f, workflow.Item{})
			if e, a := workflow.ErrNameTerminal, errName(err); e != a || !strings.Contains(err.Error(), "read the template of conformance pack pack-file") {
				t.Fatalf("error: expect %s, got %s (%v)", e, a, err)
			}
			if len(f.mutating) != 0 {
				t.Errorf("calls before the templates were read: %v", f.mutating)
			}
		})
	}
}

func TestPacksFieldsCompared(t *testing.T) {
	t.Setenv(EnvTaskRoot, "")
	path := filepath.Join(t.TempDir(), "pack.yaml")
	writeTemplate(t, path, template)
	f := newFake()
	f.packs["pack-s3"] = cfgtypes.OrganizationConformancePack{
		OrganizationConformancePackName: aws.String("pack-s3"), DeliveryS3Bucket: aws.String("awsconfigconforms-old"),
		ConformancePackInputParameters: []cfgtypes.ConformancePackInputParameter{{ParameterName: aws.String("a"), ParameterValue: aws.String("1")}},
		ExcludedAccounts:               []string{"555555555555", "444444444444"},
	}
	f.packs["pack-file"] = cfgtypes.OrganizationConformancePack{
		OrganizationConformancePackName: aws.String("pack-file"), ExcludedAccounts: []string{"444444444444"},
	}
	res := mustRules(t, packsConfig(path), f, workflow.Item{})
	if len(f.putPacks) != 2 {
		t.Fatalf("puts: %v", f.mutating)
	}
	if r := res.Outcomes[0].Reason; !strings.Contains(r, "delivery bucket awsconfigconforms-old, want awsconfigconforms-results") ||
		!strings.Contains(r, "input parameters a=1, want a=1,b=2") || strings.Contains(r, "excluded") {
		t.Errorf("pack-s3 reason: %q", r)
	}
	if r := res.Outcomes[1].Reason; !strings.Contains(r, "excluded accounts (1, want 0): to remove 444444444444") {
		t.Errorf("pack-file reason: %q", r)
	}
	if in := f.putPacks[1]; in.ExcludedAccounts == nil || len(in.ExcludedAccounts) != 0 || in.ConformancePackInputParameters == nil {
		t.Errorf("clearing must send empty lists: %+v", in)
	}
}

func TestPendingAsksForAnotherCall(t *testing.T) {
	f := newFake()
	f.settle = "CREATE_IN_PROGRESS"
	res := mustRules(t, "", f, workflow.Item{Polls: 3})
	if !res.Pending || res.Polls != 4 {
		t.Fatalf("pending %v polls %d, want true 4", res.Pending, res.Polls)
	}
	if o := res.Outcomes[0]; len(res.Outcomes) != 1 || o.Status != workflow.StatusChanged ||
		!strings.HasSuffix(o.Reason, "; deploying to the members (CREATE_IN_PROGRESS), check 4 of 40") {
		t.Errorf("outcomes: %+v", res.Outcomes)
	}
	// The next call finds it done: nothing is put, and it is no longer
	// pending. Without the previous result it would report the rule
	// unchanged; given it (as the state machine's loop does), it reports
	// the put of the earlier call, which the state machine would otherwise
	// lose.
	f.ruleStatus[defaultRule] = status{status: "CREATE_SUCCESSFUL"}
	f.mutating = nil
	next := mustRules(t, "", f, workflow.Item{Polls: res.Polls})
	if next.Pending || next.Polls != 0 || len(f.mutating) != 0 || next.Outcomes[0].Status != workflow.StatusUnchanged {
		t.Errorf("next call: pending %v polls %d calls %v %+v", next.Pending, next.Polls, f.mutating, next.Outcomes)
	}
	carried := mustRules(t, "", f, workflow.Item{Polls: res.Polls, Previous: &res})
	if o := carried.Outcomes[0]; o.Status != workflow.StatusChanged || !reflect.DeepEqual(o.Actions, res.Outcomes[0].Actions) || !carried.Changed || len(f.mutating) != 0 {
		t.Errorf("next call with the previous result: %+v, calls %v", carried, f.mutating)
	}
}

func TestMaxPollsReportsWhatIsStillPending(t *testing.T) {
	extra := `
services:
  config:
    conformancePacks:
      - {name: pack-a, templateS3Uri: "s3://templates-{region}/a.yaml"}
`
	f := converged()
	f.ruleStatus[defaultRule] = status{status: "UPDATE_IN_PROGRESS"}
	f.packs["pack-a"] = cfgtypes.OrganizationConformancePack{OrganizationConformancePackName: aws.String("pack-a")}
	f.packStatus["pack-a"] = status{status: "CREATE_IN_PROGRESS"}
	last := RulesPoll.MaxPolls - 1
	res := mustRules(t, extra, f, workflow.Item{Polls: last})
	if res.Pending {
		t.Fatal("still pending after the last check")
	}
	want := []workflow.Outcome{
		{Account: securityID, Region: "eu-west-1", Service: "config", Status: workflow.StatusUnchanged, Reason: "rule " + defaultRule + " matches the configuration"},
		{Account: securityID, Region: "eu-west-1", Service: "config", Status: workflow.StatusFailed, Reason: "rule " + defaultRule + ": still UPDATE_IN_PROGRESS after 40 checks"},
		{Account: securityID, Region: "eu-west-1", Service: "config", Status: workflow.StatusUnchanged, Reason: "conformance pack pack-a matches the configuration"},
		{Account: securityID, Region: "eu-west-1", Service: "config", Status: workflow.StatusFailed, Reason: "conformance pack pack-a: still CREATE_IN_PROGRESS after 40 checks"},
	}
	if !reflect.DeepEqual(want, res.Outcomes) {
		t.Errorf("outcomes:\nexpect %+v\ngot    %+v", want, res.Outcomes)
	}
	if len(f.mutating) != 0 {
		t.Errorf("mutating calls: %v", f.mutating)
	}
}

func TestMemberFailuresPerAccount(t *testing.T) {
	extra := `
services:
  config:
    conformancePacks:
      - {name: pack-a, templateS3Uri: "s3://templates-{region}/a.yaml"}
`
	f := converged()
	f.ruleStatus[defaultRule] = status{status: "CREATE_FAILED", code: "OrganizationRuleFailed", message: "failed in 2 accounts"}
	f.ruleMembers[defaultRule] = []status{
		{account: "555555555555", status: "CREATE_FAILED", code: "NoAvailableConfigurationRecorder", message: "no recorder"},
		{account: "444444444444", status: "CREATE_SUCCESSFUL"},
		{account: "666666666666", status: "UPDATE_FAILED", code: "InsufficientPermissions"},
	}
	f.packs["pack-a"] = cfgtypes.OrganizationConformancePack{OrganizationConformancePackName: aws.String("pack-a")}
	f.packStatus["pack-a"] = status{status: "UPDATE_FAILED", code: "PackFailed", message: "somewhere"}
	// No member reported failed: the failure stays with the organization.
	f.packMembers["pack-a"] = []status{{account: "444444444444", status: "UPDATE_SUCCESSFUL"}}
	res := mustRules(t, extra, f, workflow.Item{})
	want := []workflow.Outcome{
		{Account: securityID, Region: "eu-west-1", Service: "config", Status: workflow.StatusUnchanged, Reason: "rule " + defaultRule + " matches the configuration"},
		{Account: "555555555555", Region: "eu-west-1", Service: "config", Status: workflow.StatusFailed, Reason: "rule " + defaultRule + ": CREATE_FAILED: NoAvailableConfigurationRecorder: no recorder"},
		{Account: "666666666666", Region: "eu-west-1", Service: "config", Status: workflow.StatusFailed, Reason: "rule " + defaultRule + ": UPDATE_FAILED: InsufficientPermissions"},
		{Account: securityID, Region: "eu-west-1", Service: "config", Status: workflow.StatusUnchanged, Reason: "conformance pack pack-a matches the configuration"},
		{Account: securityID, Region: "eu-west-1", Service: "config", Status: workflow.StatusFailed, Reason: "conformance pack pack-a: UPDATE_FAILED: PackFailed: somewhere"},
	}
	if !reflect.DeepEqual(want, res.Outcomes) {
		t.Errorf("outcomes:\nexpect %+v\ngot    %+v", want, res.Outcomes)
	}
	if res.Pending {
		t.Error("failed is settled, not pending")
	}
	// Two pages of members were read.
	if n := count(f.calls, "GetOrganizationConfigRuleDetailedStatus"); n != 2 {
		t.Errorf("GetOrganizationConfigRuleDetailedStatus calls: %d, want 2", n)
	}
}

func TestMemberFailuresAreCapped(t *testing.T) {
	f := converged()
	f.ruleStatus[defaultRule] = status{status: "CREATE_FAILED"}
	for i := range 13 {
		f.ruleMembers[defaultRule] = append(f.ruleMembers[defaultRule], status{account: fmt.Sprintf("5%011d", i), status: "CREATE_FAILED", code: "NoAvailableConfigurationRecorder"})
	}
	res := mustRules(t, "", f, workflow.Item{})
	if n := len(res.Outcomes); n != 1+maxMemberOutcomes+1 {
		t.Fatalf("%d outcomes: %+v", n, res.Outcomes)
	}
	if o := res.Outcomes[len(res.Outcomes)-1]; o.Account != securityID || o.Status != workflow.StatusFailed || o.Reason != "rule "+defaultRule+": 3 more member accounts failed" {
		t.Errorf("summary: %+v", o)
	}
}

func TestRulesErrors(t *testing.T) {
	for _, tt := range []struct {
		name    string
		op      string
		err     error
		want    string
		message []string
	}{
		{"operation in progress", "PutOrganizationConfigRule", &cfgtypes.ResourceInUseException{Message: aws.String("in use")}, workflow.ErrNameRetryable, []string{"in progress"}},
		{"not the delegated administrator", "DescribeOrganizationConfigRules", &cfgtypes.OrganizationAccessDeniedException{Message: aws.String("denied")}, workflow.ErrNameTerminal,
			[]string{"delegated administrator for config-multiaccountsetup.amazonaws.com"}},
		{"all features off", "PutOrganizationConfigRule", &cfgtypes.OrganizationAllFeaturesNotEnabledException{Message: aws.String("no")}, workflow.ErrNameTerminal, []string{"all features"}},
		{"too many rules", "PutOrganizationConfigRule", &cfgtypes.MaxNumberOfOrganizationConfigRulesExceededException{Message: aws.String("max")}, workflow.ErrNameTerminal, []string{"quota"}},
		{"status throttled", "DescribeOrganizationConfigRuleStatuses", &cfgtypes.LimitExceededException{Message: aws.String("slow down")}, workflow.ErrNameRetryable, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			f.errs[tt.op] = []error{awstest.ResponseErr("Config Service", tt.op, 400, tt.err)}
			_, err := runRules(t, "", f, workflow.Item{})
			if e, a := tt.want, errName(err); e != a {
				t.Fatalf("error: expect %s, got %s (%v)", e, a, err)
			}
			for _, m := range tt.message {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("message %q does not say %q", err, m)
				}
			}
		})
	}
}

func TestUnavailableOperationsSkipTheirPart(t *testing.T) {
	extra := `
services:
  config:
    conformancePacks:
      - {name: pack-a, templateS3Uri: "s3://templates-{region}/a.yaml"}
`
	t.Run("rules cannot be listed", func(t *testing.T) {
		f := newFake()
		f.errs["DescribeOrganizationConfigRules"] = []error{awstest.UnknownOperation("Config Service", "DescribeOrganizationConfigRules")}
		res := mustRules(t, extra, f, workflow.Item{})
		if e, a := []workflow.Status{workflow.StatusSkipped, workflow.StatusChanged}, statuses(res); !reflect.DeepEqual(e, a) {
			t.Fatalf("statuses: expect %v, got %v: %+v", e, a, res.Outcomes)
		}
		if e, a := "DescribeOrganizationConfigRules is not available at this endpoint", res.Outcomes[0].Reason; e != a {
			t.Errorf("reason: expect %q, got %q", e, a)
		}
		if e, a := []string{"PutOrganizationConformancePack"}, f.mutating; !reflect.DeepEqual(e, a) {
			t.Errorf("mutating calls: expect %v, got %v", e, a)
		}
	})
	t.Run("rules cannot be put", func(t *testing.T) {
		f := newFake()
		f.errs["PutOrganizationConfigRule"] = []error{awstest.UnknownOperation("Config Service", "PutOrganizationConfigRule")}
		res := mustRules(t, extra, f, workflow.Item{})
		if e, a := []workflow.Status{workflow.StatusSkipped, workflow.StatusChanged}, statuses(res); !reflect.DeepEqual(e, a) {
			t.Fatalf("statuses: expect %v, got %v: %+v", e, a, res.Outcomes)
		}
		if o := res.Outcomes[0]; !strings.HasSuffix(o.Reason, ": PutOrganizationConfigRule is not available at this endpoint") || len(o.Actions) != 0 {
			t.Errorf("outcome: %+v", o)
		}
		if slices.Contains(f.calls, "DescribeOrganizationConfigRuleStatuses") {
			t.Errorf("status of rules that could not be put was read: %v", f.calls)
		}
		if res.Pending {
			t.Error("pending")
		}
	})
	t.Run("404 without a code", func(t *testing.T) {
		f := newFake()
		f.errs["DescribeOrganizationConformancePacks"] = []error{awstest.ResponseErr("Config Service", "DescribeOrganizationConformancePacks", 404, awstest.HTMLBody)}
		res := mustRules(t, extra, f, workflow.Item{})
		if e, a := []workflow.Status{workflow.StatusChanged, workflow.StatusSkipped}, statuses(res); !reflect.DeepEqual(e, a) {
			t.Fatalf("statuses: expect %v, got %v: %+v", e, a, res.Outcomes)
		}
		if e, a := "DescribeOrganizationConformancePacks is not available at this endpoint", res.Outcomes[1].Reason; e != a {
			t.Errorf("reason: expect %q, got %q", e, a)
		}
	})
	t.Run("status cannot be read", func(t *testing.T) {
		f := newFake()
		f.errs["DescribeOrganizationConfigRuleStatuses"] = []error{awstest.UnknownOperation("Config Service", "DescribeOrganizationConfigRuleStatuses")}
		f.errs["GetOrganizationConformancePackDetailedStatus"] = []error{awstest.UnknownOperation("Config Service", "GetOrganizationConformancePackDetailedStatus")}
		f.settle = "CREATE_FAILED"
		res := mustRules(t, extra, f, workflow.Item{})
		if e, a := []workflow.Status{workflow.StatusChanged, workflow.StatusSkipped, workflow.StatusChanged, workflow.StatusFailed}, statuses(res); !reflect.DeepEqual(e, a) {
			t.Fatalf("statuses: expect %v, got %v: %+v", e, a, res.Outcomes)
		}
		if e, a := "deployment of the rules to the members: DescribeOrganizationConfigRuleStatuses is not available at this endpoint", res.Outcomes[1].Reason; e != a {
			t.Errorf("reason: expect %q, got %q", e, a)
		}
		if e, a := "conformance pack pack-a: CREATE_FAILED (which members failed is not known: GetOrganizationConformancePackDetailedStatus is not available at this endpoint)", res.Outcomes[3].Reason; e != a {
			t.Errorf("reason: expect %q, got %q", e, a)
		}
	})
}

func TestStatusMissingIsPending(t *testing.T) {
	f := converged()
	delete(f.ruleStatus, defaultRule)
	res := mustRules(t, "", f, workflow.Item{})
	if !res.Pending || res.Polls != 1 || !strings.Contains(res.Outcomes[0].Reason, "(without a status)") {
		t.Errorf("pending %v polls %d %+v", res.Pending, res.Polls, res.Outcomes)
	}
}

func TestSameParameters(t *testing.T) {
	for _, tt := range []struct {
		have string
		want map[string]string
		same bool
	}{
		{`{"a":"1","b":"2"}`, map[string]string{"b": "2", "a": "1"}, true},
		{"{ \"a\" :\n \"1\" }", map[string]string{"a": "1"}, true},
		{"", nil, true},
		{"{}", map[string]string{}, true},
		{"", map[string]string{"a": "1"}, false},
		{`{"a":"1"}`, nil, false},
		{`{"a":1}`, map[string]string{"a": "1"}, false},
		{`{"a":"1"`, map[string]string{"a": "1"}, false},
	} {
		if got := sameParameters(tt.have, tt.want); got != tt.same {
			t.Errorf("sameParameters(%q, %v) = %v, want %v", tt.have, tt.want, got, tt.same)
		}
	}
}

// "guardduty-enabled-centralized" (AWS Config Developer Guide): the managed
// rule is offered in every supported region but four; there the rule is
// skipped with the reason, nothing is put, and the region's other parts go
// on.
func TestRulesManagedRuleNotOfferedInTheRegionIsSkipped(t *testing.T) {
	f := newFake()
	res, err := ConfigureRules(context.Background(), f, fakeConfig(t, ""), workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}, Region: "mx-central-1"}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.mutating) != 0 {
		t.Errorf("calls in a region without the rule: %v", f.mutating)
	}
	if e, a := []workflow.Status{workflow.StatusSkipped}, statuses(res); !reflect.DeepEqual(e, a) || res.Pending {
		t.Fatalf("statuses: expect %v, got %v: %+v", e, a, res.Outcomes)
	}
	if want := "AWS Config does not offer managed rule GUARDDUTY_ENABLED_CENTRALIZED in mx-central-1"; !strings.Contains(res.Outcomes[0].Reason, want) {
		t.Errorf("reason: %q", res.Outcomes[0].Reason)
	}
	if !ManagedRuleOffered("GUARDDUTY_ENABLED_CENTRALIZED", "eu-west-1") || ManagedRuleOffered("GUARDDUTY_ENABLED_CENTRALIZED", "ap-east-2") {
		t.Error("ManagedRuleOffered disagrees with the rule's page")
	}
}
