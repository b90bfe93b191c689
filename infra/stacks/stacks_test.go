package stacks_test

// All CDK assertions live in this one package: every test binary that starts
// the jsii runtime pays a few seconds for it.
//
// Assertion failures of the CDK assertions library are jsii exceptions, which
// reach Go as panics; noPanic turns them into test failures so that one
// mismatch does not end the whole binary.

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/orgbaseline/orgbaseline/shared/logarchive"
	"github.com/orgbaseline/orgbaseline/shared/org/targets"
	"github.com/orgbaseline/orgbaseline/shared/policydoc"
	"github.com/orgbaseline/orgbaseline/shared/registry"
	"github.com/orgbaseline/orgbaseline/shared/step"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/orgbaseline/orgbaseline/infra/baseline"
	"github.com/orgbaseline/orgbaseline/infra/stacks"
	"github.com/orgbaseline/orgbaseline/shared/configsvc"
	"github.com/orgbaseline/orgbaseline/shared/guardduty"
	"github.com/orgbaseline/orgbaseline/shared/orgtrail"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

const exampleConfig = "../../orgbaseline.example.yaml"

// lambdaDir holds a stub bootstrap per step, so that the tests need no
// cross-compiled Lambdas.
var lambdaDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "orgbaseline-lambda-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, s := range registry.Specs() {
		if err := writeStub(dir, s.Name); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	for _, f := range registry.Events {
		if err := writeStub(dir, f.Name); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	lambdaDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func writeStub(dir, step string) error {
	if err := os.MkdirAll(filepath.Join(dir, step), 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, step, baseline.BootstrapFile), []byte("#!/bin/sh\n"), 0o755)
}

// noPanic runs f and fails the test if f panics, as CDK assertions do on a
// mismatch.
func noPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		if r := recover(); r != nil {
			t.Fatalf("%s: %v", what, r)
		}
	}()
	f()
}

// panicMessage runs f and returns what it panicked with, or "" if it did not.
func panicMessage(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}

func loadConfig(t *testing.T) settings.Config {
	t.Helper()
	cfg, err := settings.LoadFile(exampleConfig)
	if err != nil {
		t.Fatalf("load %s: %v", exampleConfig, err)
	}
	return cfg
}

func stackProps(cfg settings.Config, account string) *stacks.StackProps {
	return &stacks.StackProps{
		StackProps: awscdk.StackProps{Env: &awscdk.Environment{
			Account: jsii.String(account),
			Region:  jsii.String(cfg.HomeRegion),
		}},
		Config:    cfg,
		LambdaDir: lambdaDir,
	}
}

// app is the three stacks built from one configuration, as infra/main.go
// builds them, and their templates.
type app struct {
	cfg                            settings.Config
	management                     stacks.ManagementStack
	logArchive, security           awscdk.Stack
	mgmtTpl, logArchiveTpl, secTpl assertions.Template
	// The templates as plain Go values.
	mgmtJSON, logArchiveJSON, secJSON template
	// The forwarding stacks (stacks.NewForwardStacks), in their order.
	forward []forwardStack
}

// forwardStack is a forwarding stack and its template.
type forwardStack struct {
	stack awscdk.Stack
	tpl   assertions.Template
	json  template
}

// Configurations the stacks are built from: the example file as it is, and
// changed in Go.
const (
	variantExample  = "example"
	variantAllOn    = "all-on"
	variantTrailOff = "trail-off"
	// The trail and Config off: the log-archive and security stacks hold
	// no service resources.
	variantLogsOff = "logs-off"
	// The trail managed from the security account, with CloudWatch Logs.
	variantSecurityManaged = "security-managed"
)

// Retention periods of the all-on variant, other than the defaults, so that
// a template that shows them took them from the configuration.
const (
	allOnTrailRetention = 400
	allOnLogRetention   = 731
)

// variants changes the example configuration into each variant.
var variants = map[string]func(*settings.Config){
	variantExample: func(*settings.Config) {},
	// Every option of the trail that adds resources or statements.
	variantAllOn: func(c *settings.Config) {
		c.Services.CloudTrail.OrganizationRead = true
		c.Services.CloudTrail.CloudWatchLogs.Enabled = true
		c.Services.CloudTrail.CloudWatchLogs.RetentionDays = allOnLogRetention
		c.Services.CloudTrail.RetentionDays = allOnTrailRetention
		c.Services.GuardDuty.ExportFindings = true
	},
	variantSecurityManaged: func(c *settings.Config) {
		c.Services.CloudTrail.DelegatedAdmin = true
		c.Services.CloudTrail.ManageFrom = settings.ManageFromSecurity
		c.Services.CloudTrail.CloudWatchLogs.Enabled = true
		c.Services.CloudTrail.CloudWatchLogs.RetentionDays = allOnLogRetention
		// Security Hub's local configuration steps and Detective's
		// invitation mode are in the state machine only here.
		c.Services.SecurityHub.Configuration = settings.SecurityHubLocal
		on := true
		c.Services.Detective.Enabled = &on
		c.Services.Detective.Mode = settings.DetectiveInvitation
	},
	// The cloudtrail service off, with its options on: they must not matter.
	variantTrailOff: func(c *settings.Config) {
		off := false
		c.Services.CloudTrail.Enabled = &off
		c.Services.CloudTrail.OrganizationRead = true
		c.Services.CloudTrail.CloudWatchLogs.Enabled = true
	},
	variantLogsOff: func(c *settings.Config) {
		off := false
		c.Services.CloudTrail.Enabled = &off
		c.Services.CloudTrail.CloudWatchLogs.Enabled = true
		c.Services.Config.Enabled = &off
	},
}

// variantConfig returns the configuration of a variant, validated again as
// a Lambda would read it.
func variantConfig(name string) (settings.Config, error) {
	cfg, err := settings.LoadFile(exampleConfig)
	if err != nil {
		return settings.Config{}, err
	}
	change, ok := variants[name]
	if !ok {
		return settings.Config{}, fmt.Errorf("no variant %q", name)
	}
	change(&cfg)
	encoded, err := cfg.Encode()
	if err != nil {
		return settings.Config{}, err
	}
	if _, err := settings.Decode(name, encoded); err != nil {
		return settings.Config{}, fmt.Errorf("variant %s is not a valid configuration: %w", name, err)
	}
	return cfg, nil
}

var (
	fixtureMu   sync.Mutex
	fixtures    = map[string]*app{}
	fixtureErrs = map[string]string{}
)

// build returns the app of the example configuration, building it on first
// use.
func build(t *testing.T) *app { t.Helper(); return buildVariant(t, variantExample) }

// buildVariant returns the app of a variant, building it on first use.
func buildVariant(t *testing.T, name string) *app {
	t.Helper()
	fixtureMu.Lock()
	defer fixtureMu.Unlock()
	if a, ok := fixtures[name]; ok {
		return a
	}
	if msg, ok := fixtureErrs[name]; ok {
		t.Fatalf("build the stacks of %s: %s", name, msg)
	}
	cfg, err := variantConfig(name)
	if err != nil {
		fixtureErrs[name] = err.Error()
		t.Fatalf("build the stacks of %s: %v", name, err)
	}
	msg := panicMessage(func() {
		a := &app{cfg: cfg}
		root := awscdk.NewApp(nil)
		a.management = stacks.NewManagementStack(root, workflow.ManagementStackName, stackProps(cfg, cfg.Accounts.Management))
		a.logArchive = stacks.NewLogArchiveStack(root, workflow.LogArchiveStackName, stackProps(cfg, cfg.Accounts.LogArchive))
		a.security = stacks.NewSecurityStack(root, workflow.SecurityStackName, stackProps(cfg, cfg.Accounts.Security))
		forward := stacks.NewForwardStacks(root, cfg)
		a.mgmtTpl = assertions.Template_FromStack(a.management, nil)
		a.logArchiveTpl = assertions.Template_FromStack(a.logArchive, nil)
		a.secTpl = assertions.Template_FromStack(a.security, nil)
		a.mgmtJSON = template(*a.mgmtTpl.ToJSON())
		a.logArchiveJSON = template(*a.logArchiveTpl.ToJSON())
		a.secJSON = template(*a.secTpl.ToJSON())
		for _, s := range forward {
			tpl := assertions.Template_FromStack(s, nil)
			a.forward = append(a.forward, forwardStack{stack: s, tpl: tpl, json: template(*tpl.ToJSON())})
		}
		fixtures[name] = a
	})
	if msg != "" {
		fixtureErrs[name] = msg
		t.Fatalf("build the stacks of %s: %s", name, msg)
	}
	return fixtures[name]
}

// template is a synthesized template as plain Go values.
type template map[string]any

func (tp template) resources() map[string]any {
	r, _ := tp["Resources"].(map[string]any)
	return r
}

// resource returns the resource with the logical ID, or fails the test.
func (tp template) resource(t *testing.T, id string) map[string]any {
	t.Helper()
	r, ok := tp.resources()[id].(map[string]any)
	if !ok {
		t.Fatalf("template has no resource %s", id)
	}
	return r
}

// ofType returns the logical IDs of the resources of a type, sorted.
func (tp template) ofType(typ string) []string {
	var ids []string
	for id, r := range tp.resources() {
		if m, ok := r.(map[string]any); ok && m["Type"] == typ {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

func props(r map[string]any) map[string]any {
	p, _ := r["Properties"].(map[string]any)
	return p
}

// ref returns the logical ID a {"Ref": id} or {"Fn::GetAtt": [id, attr]}
// points to.
func ref(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	if id, ok := m["Ref"].(string); ok {
		return id
	}
	if ga, ok := m["Fn::GetAtt"].([]any); ok && len(ga) == 2 {
		id, _ := ga[0].(string)
		return id
	}
	return ""
}

// fakeArn stands for a resource's ARN in a resolved definition.
func fakeArn(logicalID string) string {
	return "arn:aws:fake:us-east-1:111111111111:" + logicalID
}

// resolve turns an intrinsic string (Fn::Join of strings, Ref and GetAtt)
// into a plain string, with fakeArn for resources.
func resolve(t *testing.T, v any) string {
	t.Helper()
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		if join, ok := v["Fn::Join"].([]any); ok && len(join) == 2 {
			sep, _ := join[0].(string)
			parts, _ := join[1].([]any)
			var out []string
			for _, p := range parts {
				out = append(out, resolve(t, p))
			}
			return strings.Join(out, sep)
		}
		switch id := ref(v); id {
		case "AWS::Partition":
			return "aws"
		case "":
		default:
			return fakeArn(id)
		}
	}
	t.Fatalf("cannot resolve %v", v)
	return ""
}

// functionID returns the logical ID of the step's Lambda, through the
// construct's accessor.
func functionID(t *testing.T, a *app, step string) string {
	t.Helper()
	fn := a.management.Baseline().Function(step)
	if fn == nil {
		t.Fatalf("Baseline().Function(%q) is nil", step)
	}
	el, ok := fn.Node().DefaultChild().(awscdk.CfnElement)
	if !ok {
		t.Fatalf("the function of %s has no CloudFormation resource", step)
	}
	return *a.management.GetLogicalId(el)
}

func stateMachineID(t *testing.T, a *app) string {
	t.Helper()
	el, ok := a.management.Baseline().StateMachine().Node().DefaultChild().(awscdk.CfnElement)
	if !ok {
		t.Fatal("the state machine has no CloudFormation resource")
	}
	return *a.management.GetLogicalId(el)
}

func TestStepFunctions(t *testing.T) {
	a := build(t)
	steps := specsOf(registry.For(a.cfg))
	stepFunctions := 0
	for _, id := range a.mgmtJSON.ofType("AWS::Lambda::Function") {
		env, _ := props(a.mgmtJSON.resource(t, id))["Environment"].(map[string]any)
		if vars, _ := env["Variables"].(map[string]any); vars[workflow.EnvStep] != nil {
			stepFunctions++
		}
	}
	if got, want := stepFunctions, len(steps); got != want {
		t.Errorf("%d step Lambda functions, want one per step the configuration needs (%d)", got, want)
	}
	for _, step := range steps {
		t.Run(step.Name, func(t *testing.T) {
			id := functionID(t, a, step.Name)
			p := props(a.mgmtJSON.resource(t, id))

			noPanic(t, "function properties", func() {
				a.mgmtTpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), assertions.Match_ObjectLike(&map[string]any{
					"Runtime":       "provided.al2023",
					"Architectures": []any{"arm64"},
					"Handler":       "bootstrap",
					"Timeout":       90,
					"MemorySize":    256,
					"Description":   step.Description,
					"TracingConfig": map[string]any{"Mode": "Active"},
					"LoggingConfig": assertions.Match_ObjectLike(&map[string]any{"LogFormat": "JSON"}),
					"KmsKeyArn":     assertions.Match_AnyValue(),
					"Environment": map[string]any{"Variables": map[string]any{
						workflow.EnvStep: step.Name,
						settings.EnvVar:  assertions.Match_AnyValue(),
					}},
				}))
			})

			vars, _ := p["Environment"].(map[string]any)["Variables"].(map[string]any)
			if got := vars[workflow.EnvStep]; got != step.Name {
				t.Errorf("%s = %v, want %s", workflow.EnvStep, got, step.Name)
			}
			// org-targets alone gets the paces of the run's steps, to
			// check that a run fits in the state machine's timeout.
			paces, hasPaces := vars[workflow.EnvRunPaces].(string)
			if hasPaces != (step.Name == targets.Spec.Name) {
				t.Errorf("%s set: %v", workflow.EnvRunPaces, hasPaces)
			}
			if hasPaces {
				got, err := workflow.PacesFromJSON(paces)
				if err != nil || !reflect.DeepEqual(got, workflow.Paces(steps)) {
					t.Errorf("%s = %s (%v), want the paces of every step the configuration needs", workflow.EnvRunPaces, paces, err)
				}
			}
			encoded, _ := vars[settings.EnvVar].(string)
			if len(encoded) > baseline.MaxSettingsBytes {
				t.Errorf("%s is %d bytes, over %d", settings.EnvVar, len(encoded), baseline.MaxSettingsBytes)
			}
			got, err := settings.Decode(settings.EnvVar, encoded)
			if err != nil {
				t.Fatalf("decode %s: %v", settings.EnvVar, err)
			}
			if !reflect.DeepEqual(got, a.cfg) {
				t.Errorf("%s decodes to\n%+v\nwant\n%+v", settings.EnvVar, got, a.cfg)
			}

			// The function logs to its own log group, kept a year and
			// encrypted with the baseline's key.
			logs, _ := p["LoggingConfig"].(map[string]any)
			lg := props(a.mgmtJSON.resource(t, ref(logs["LogGroup"])))
			if lg["RetentionInDays"] != 365.0 {
				t.Errorf("log group retention = %v, want 365 days", lg["RetentionInDays"])
			}
			keyID := ref(p["KmsKeyArn"])
			if keyID == "" || ref(lg["KmsKeyId"]) != keyID {
				t.Errorf("environment key %v and log group key %v: want the baseline key for both", p["KmsKeyArn"], lg["KmsKeyId"])
			}
		})
	}
}

// statement is one IAM policy statement of a template.
type statement map[string]any

// roleStatements returns every statement of the policies attached to the
// role, and fails if the role has managed policies.
func roleStatements(t *testing.T, tp template, roleID string) []statement {
	t.Helper()
	role := props(tp.resource(t, roleID))
	if mp, ok := role["ManagedPolicyArns"]; ok {
		t.Errorf("role %s has managed policies %v, want only its own policies", roleID, mp)
	}
	var out []statement
	for _, pid := range tp.ofType("AWS::IAM::Policy") {
		p := props(tp.resource(t, pid))
		roles, _ := p["Roles"].([]any)
		if !slices.ContainsFunc(roles, func(r any) bool { return ref(r) == roleID }) {
			continue
		}
		doc, _ := p["PolicyDocument"].(map[string]any)
		sts, _ := doc["Statement"].([]any)
		for _, s := range sts {
			if m, ok := s.(map[string]any); ok {
				out = append(out, m)
			}
		}
	}
	return out
}

func actions(s statement) []string {
	switch v := s["Action"].(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, a := range v {
			out = append(out, fmt.Sprint(a))
		}
		return out
	}
	return nil
}

// TestStepPermissions checks each step role's statements: exactly the
// step's grants (step.Grants.Lambda under the configuration), each on its
// resources under its condition, and sts:AssumeRole on the execution role;
// nothing else but logging and tracing.
func TestStepPermissions(t *testing.T) {
	for _, variant := range []string{variantExample, variantAllOn, variantSecurityManaged} {
		t.Run(variant, func(t *testing.T) {
			a := buildVariant(t, variant)
			for _, s := range registry.For(a.cfg) {
				t.Run(s.Spec.Name, func(t *testing.T) { checkStepPermissions(t, a, s) })
			}
		})
	}
}

func checkStepPermissions(t *testing.T, a *app, s step.Step) {
	t.Helper()
	spec := s.Spec
	fn := props(a.mgmtJSON.resource(t, functionID(t, a, spec.Name)))
	roleID := ref(fn["Role"])
	sts := roleStatements(t, a.mgmtJSON, roleID)
	g, _ := s.Grants(a.cfg)

	bySid := map[string][]statement{}
	var assume []statement
	for _, st := range sts {
		sid, _ := st["Sid"].(string)
		switch {
		case sid == "AssumeExecutionRole":
			assume = append(assume, st)
		case slices.ContainsFunc(g.Lambda, func(gr step.Grant) bool { return gr.Sid == sid }):
			bySid[sid] = append(bySid[sid], st)
		default:
			// Everything else is logging and tracing only.
			for _, act := range actions(st) {
				if !strings.HasPrefix(act, "logs:") && !strings.HasPrefix(act, "xray:") {
					t.Errorf("role %s also allows %s (statement %v)", roleID, act, sid)
				}
			}
		}
	}
	for _, gr := range g.Lambda {
		got := bySid[gr.Sid]
		if len(got) != 1 {
			t.Errorf("%d statements %s, want 1", len(got), gr.Sid)
			continue
		}
		if want := map[string]any(statement(policydoc.New(gr.Statement()).Map()["Statement"].([]any)[0].(map[string]any))); !jsonEqual(map[string]any(got[0]), want) {
			t.Errorf("statement %s = %s, want %s", gr.Sid, canonical(got[0]), canonical(want))
		}
	}
	checkAssume(t, spec, a, assume, roleID)
}

func checkAssume(t *testing.T, step workflow.StepSpec, a *app, assume []statement, roleID string) {
	t.Helper()
	// sts:AssumeRole only where the step works: none, the security
	// account's execution role, or any account's in the organization.
	roleIn := func(account string) string { return "arn:aws:iam::" + account + ":role/" + a.cfg.ExecutionRoleName }
	wantRoles := map[workflow.Reach][]any{
		workflow.ReachOrganization:          {roleIn("*")},
		workflow.ReachSecurity:              {roleIn(a.cfg.Accounts.Security)},
		workflow.ReachSecurityAndLogArchive: {roleIn(a.cfg.Accounts.Security), roleIn(a.cfg.Accounts.LogArchive)},
	}[step.Reach]
	switch {
	case len(wantRoles) == 0 && len(assume) != 0:
		t.Errorf("the step works in the management account only, but may assume %v", assume[0]["Resource"])
	case len(wantRoles) != 0 && len(assume) != 1:
		t.Errorf("%d AssumeExecutionRole statements, want 1", len(assume))
	case len(wantRoles) != 0:
		s := assume[0]
		if got := actions(s); !slices.Equal(got, []string{"sts:AssumeRole"}) {
			t.Errorf("AssumeExecutionRole actions = %v, want sts:AssumeRole", got)
		}
		var got []any
		if list, ok := s["Resource"].([]any); ok {
			for _, r := range list {
				got = append(got, resolve(t, r))
			}
		} else {
			got = []any{resolve(t, s["Resource"])}
		}
		if !reflect.DeepEqual(got, wantRoles) {
			t.Errorf("sts:AssumeRole on %v, want %v", got, wantRoles)
		}
		wantCond := map[string]any{"StringEquals": map[string]any{"aws:ResourceOrgID": "${aws:PrincipalOrgID}"}}
		if !reflect.DeepEqual(s["Condition"], wantCond) {
			t.Errorf("sts:AssumeRole condition = %v, want %v", s["Condition"], wantCond)
		}
	}

	// Only the Lambda service can assume the role.
	role := props(a.mgmtJSON.resource(t, roleID))
	trust, _ := json.Marshal(role["AssumeRolePolicyDocument"])
	if !strings.Contains(string(trust), `"Service":"lambda.amazonaws.com"`) || strings.Count(string(trust), `"Principal"`) != 1 {
		t.Errorf("role trust policy = %s, want the Lambda service only", trust)
	}
}

// TestStepReach pins where each step may assume the execution role: the
// trail works in the security, log-archive and member accounts, GuardDuty's
// organization configuration in the security account, the others in the
// management account only.
func TestStepReach(t *testing.T) {
	want := map[string]workflow.Reach{
		"org-prerequisites": workflow.ReachNone,
		"org-trail":         workflow.ReachOrganization,
		"org-targets":       workflow.ReachNone,
		// An onboarding run assumes the new account's execution role.
		"org-access":        workflow.ReachOrganization,
		"guardduty-admin":   workflow.ReachNone,
		"guardduty-org":     workflow.ReachSecurity,
		"config-aggregator": workflow.ReachSecurity,
		"config-delivery":   workflow.ReachSecurityAndLogArchive,
		"config-recorders":  workflow.ReachOrganization,
		"config-rules":      workflow.ReachSecurity,
		// The organization's analyzers in the delegated administrator;
		// an ACCOUNT analyzer in every account.
		"accessanalyzer-org": workflow.ReachSecurity,
		// The security account's GuardDuty detector read for Detective's
		// 48 hours; the graph configured in the administrator.
		"detective-admin": workflow.ReachSecurity,
		"detective-org":   workflow.ReachSecurity,
		// Invitation mode: each account accepts its invitation.
		"detective-accept":        workflow.ReachOrganization,
		"accessanalyzer-accounts": workflow.ReachOrganization,
		"health-org":              workflow.ReachNone,
		// The management account's hub and the delegated administrator;
		// central configuration from the administrator.
		"securityhub-admin":   workflow.ReachNone,
		"securityhub-central": workflow.ReachSecurity,
		// Local configuration: the members from the administrator; the
		// standards in every account.
		"securityhub-local":     workflow.ReachSecurity,
		"securityhub-standards": workflow.ReachOrganization,
	}
	if len(want) != len(registry.Specs()) {
		t.Errorf("%d steps, %d pinned: pin the new step's reach", len(registry.Specs()), len(want))
	}
	for _, s := range registry.Specs() {
		if r, ok := want[s.Name]; !ok || r != s.Reach {
			t.Errorf("%s reaches %q, want %q", s.Name, s.Reach, r)
		}
	}
}

// TestNoRoleOrServiceWritesOnAnyResource: in no variant does a step's role
// allow iam:PassRole or iam:CreateServiceLinkedRole on Resource *, nor an
// Organizations write without naming the service principal
// ("Actions, resources, and condition keys for AWS Organizations":
// organizations:ServicePrincipal).
func TestNoRoleOrServiceWritesOnAnyResource(t *testing.T) {
	for _, variant := range []string{variantExample, variantAllOn, variantSecurityManaged} {
		a := buildVariant(t, variant)
		for _, spec := range specsOf(registry.For(a.cfg)) {
			for _, st := range roleStatements(t, a.mgmtJSON, ref(props(a.mgmtJSON.resource(t, functionID(t, a, spec.Name)))["Role"])) {
				for _, act := range actions(st) {
					switch act {
					case "iam:PassRole", "iam:CreateServiceLinkedRole":
						if st["Resource"] == "*" {
							t.Errorf("%s/%s: %s on *", variant, spec.Name, act)
						}
					case "organizations:EnableAWSServiceAccess", "organizations:RegisterDelegatedAdministrator":
						cond, _ := st["Condition"].(map[string]any)
						eq, _ := cond["StringEquals"].(map[string]any)
						if eq["organizations:ServicePrincipal"] == nil {
							t.Errorf("%s/%s: %s without organizations:ServicePrincipal", variant, spec.Name, act)
						}
					}
				}
			}
		}
	}
}

// oneOrList is a list of resources as a PolicyStatement renders it.
func oneOrList(rs []string) any {
	if len(rs) == 1 {
		return rs[0]
	}
	var out []any
	for _, r := range rs {
		out = append(out, r)
	}
	return out
}

// canonical is v as JSON with sorted keys.
func canonical(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("<%v: %v>", v, err)
	}
	var generic any
	if err := json.Unmarshal(b, &generic); err != nil {
		return fmt.Sprintf("<%s: %v>", b, err)
	}
	b, _ = json.Marshal(generic)
	return string(b)
}

// jsonEqual reports whether a and b are the same JSON value, order of
// lists included.
func jsonEqual(a, b any) bool { return canonical(a) == canonical(b) }

// definition returns the state machine's definition, resolved.
func definition(t *testing.T, a *app) map[string]any {
	t.Helper()
	sm := props(a.mgmtJSON.resource(t, stateMachineID(t, a)))
	var def map[string]any
	if err := json.Unmarshal([]byte(resolve(t, sm["DefinitionString"])), &def); err != nil {
		t.Fatalf("parse the definition: %v", err)
	}
	return def
}

func TestStateMachineDefinition(t *testing.T) {
	a := build(t)
	def := definition(t, a)
	states, _ := def["States"].(map[string]any)

	if got, want := def["StartAt"], specsOf(registry.For(a.cfg))[0].State; got != want {
		t.Errorf("StartAt = %v, want %s", got, want)
	}
	if got, want := def["TimeoutSeconds"], workflow.ExecutionTimeout.Seconds(); got != want {
		t.Errorf("TimeoutSeconds = %v, want %v", got, want)
	}
	want := 3
	for _, step := range specsOf(registry.For(a.cfg)) {
		want += len(step.States())
	}
	if got := len(states); got != want {
		t.Errorf("%d states, want the steps' states and Conflict, Failed, Done (%d)", got, want)
	}

	wantRetry := []any{
		map[string]any{"ErrorEquals": []any{workflow.ErrNameRetryable}, "IntervalSeconds": 2.0, "BackoffRate": 2.0, "MaxAttempts": 6.0, "JitterStrategy": "FULL"},
		map[string]any{"ErrorEquals": []any{workflow.ErrNameNotReady}, "IntervalSeconds": 15.0, "BackoffRate": 1.5, "MaxAttempts": 12.0},
		map[string]any{"ErrorEquals": []any{
			"Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
			"Lambda.ClientExecutionTimeoutException", "Lambda.TooManyRequestsException",
		}, "IntervalSeconds": 2.0, "BackoffRate": 2.0, "MaxAttempts": 6.0, "JitterStrategy": "FULL"},
	}
	wantCatch := []any{
		map[string]any{"ErrorEquals": []any{workflow.ErrNameConflict}, "ResultPath": "$.error", "Next": baseline.StateConflict},
		map[string]any{"ErrorEquals": []any{"States.ALL"}, "ResultPath": "$.error", "Next": baseline.StateFailed},
	}

	for i, step := range specsOf(registry.For(a.cfg)) {
		if step.Shape != workflow.ShapeOnce {
			continue // TestStateMachineFanOut
		}
		t.Run(step.State, func(t *testing.T) {
			s, ok := states[step.State].(map[string]any)
			if !ok {
				t.Fatalf("no state %s", step.State)
			}
			if s["Type"] != "Task" {
				t.Errorf("Type = %v, want Task", s["Type"])
			}
			// The function ARN itself, not arn:aws:states:::lambda:invoke.
			if got, want := s["Resource"], fakeArn(functionID(t, a, step.Name)); got != want {
				t.Errorf("Resource = %v, want the function ARN %s", got, want)
			}
			// The whole state as input, or for a step that takes the run's
			// accounts a workflow.Item of the execution input and the
			// accounts; the whole result.
			for _, k := range []string{"InputPath", "Parameters", "OutputPath", "ResultSelector"} {
				v, ok := s[k]
				switch {
				case k == "Parameters" && step.TakesAccounts:
					want := map[string]any{"input.$": "$$.Execution.Input", "accounts.$": "$.results.orgTargets.accounts", "excluded.$": "$.results.orgTargets.excluded"}
					if !reflect.DeepEqual(v, want) {
						t.Errorf("Parameters = %v, want %v", v, want)
					}
				case ok:
					t.Errorf("%s = %v, want the whole input and result", k, v)
				}
			}
			if got, want := s["ResultPath"], "$.results."+step.ResultKey; got != want {
				t.Errorf("ResultPath = %v, want %s", got, want)
			}
			if got := s["TimeoutSeconds"]; got != 120.0 {
				t.Errorf("TimeoutSeconds = %v, want 120", got)
			}
			if !reflect.DeepEqual(s["Retry"], wantRetry) {
				got, _ := json.Marshal(s["Retry"])
				t.Errorf("Retry = %s", got)
			}
			if !reflect.DeepEqual(s["Catch"], wantCatch) {
				got, _ := json.Marshal(s["Catch"])
				t.Errorf("Catch = %s", got)
			}
			next := baseline.StateDone
			if i+1 < len(specsOf(registry.For(a.cfg))) {
				next = specsOf(registry.For(a.cfg))[i+1].States()[0]
			}
			if s["Next"] != next {
				t.Errorf("Next = %v, want %s", s["Next"], next)
			}
		})
	}

	for _, name := range []string{baseline.StateConflict, baseline.StateFailed} {
		s, _ := states[name].(map[string]any)
		if s["Type"] != "Fail" || s["ErrorPath"] != "$.error.Error" || s["CausePath"] != "$.error.Cause" {
			t.Errorf("state %s = %v, want a Fail state with ErrorPath $.error.Error and CausePath $.error.Cause", name, s)
		}
	}
	if s, _ := states[baseline.StateDone].(map[string]any); s["Type"] != "Succeed" {
		t.Errorf("state %s = %v, want a Succeed state", baseline.StateDone, s)
	}
}

// TestStateMachineChain pins the order of the steps: the organization
// prerequisites first, then the run's targets, then the organization trail,
// and so on to Done.
func TestStateMachineChain(t *testing.T) {
	a := build(t)
	def := definition(t, a)
	states, _ := def["States"].(map[string]any)

	if got := def["StartAt"]; got != "OrgPrerequisites" {
		t.Errorf("StartAt = %v, want OrgPrerequisites", got)
	}
	var tasks []string
	for name, st := range states {
		if m, _ := st.(map[string]any); m["Type"] == "Task" {
			tasks = append(tasks, name)
		}
	}
	slices.Sort(tasks)
	if want := []string{"ConfigAggregator", "ConfigDelivery", "DetectiveAdminHomeRegion", "GuardDutyAdminHomeRegion", "HealthOrg", "OrgPrerequisites", "OrgTargets", "OrgTrail", "SecurityHubAdminHomeRegion"}; !slices.Equal(tasks, want) {
		t.Errorf("Task states %v, want %v", tasks, want)
	}
	for _, tt := range []struct{ state, next, resultPath, step string }{
		{"OrgPrerequisites", "OrgTargets", "$.results.orgPrerequisites", "org-prerequisites"},
		{"OrgTargets", "OrgAccessInHomeRegion", "$.results.orgTargets", "org-targets"},
		{"OrgTrail", "GuardDutyAdminHomeRegion", "$.results.orgTrail", "org-trail"},
		{"GuardDutyAdminHomeRegion", "GuardDutyAdminOtherRegions", "$.results.guardDutyAdminHomeRegion", "guardduty-admin"},
		{"ConfigAggregator", "ConfigDelivery", "$.results.configAggregator", "config-aggregator"},
		{"ConfigDelivery", "ConfigRecordersEachAccount", "$.results.configDelivery", "config-delivery"},
		{"HealthOrg", baseline.StateDone, "$.results.healthOrg", "health-org"},
	} {
		st, _ := states[tt.state].(map[string]any)
		if st["Next"] != tt.next {
			t.Errorf("%s: Next = %v, want %s", tt.state, st["Next"], tt.next)
		}
		if st["ResultPath"] != tt.resultPath {
			t.Errorf("%s: ResultPath = %v, want %s", tt.state, st["ResultPath"], tt.resultPath)
		}
		if got, want := st["Resource"], fakeArn(functionID(t, a, tt.step)); got != want {
			t.Errorf("%s: Resource = %v, want the %s function %s", tt.state, got, tt.step, want)
		}
	}
	// org-access, the onboarding run's wait for the new account's role,
	// right after org-targets and before any step reaches an account.
	if st, _ := states["OrgAccessInHomeRegion"].(map[string]any); st["Next"] != "OrgTrail" || st["ResultPath"] != "$.results.orgAccess" {
		t.Errorf("OrgAccessInHomeRegion: Next = %v, ResultPath = %v; want OrgTrail, $.results.orgAccess", st["Next"], st["ResultPath"])
	}
	// detective-accept after detective-org, whose invitations it accepts,
	// and before the Config aggregator (in invitation mode, the
	// security-managed variant's).
	invitation, _ := definition(t, buildVariant(t, variantSecurityManaged))["States"].(map[string]any)
	for _, tt := range []struct{ state, next string }{
		{"DetectiveOrgEachRegion", "DetectiveAcceptEachAccount"},
		{"DetectiveAcceptEachAccount", "ConfigAggregator"},
	} {
		st, _ := invitation[tt.state].(map[string]any)
		if st["Next"] != tt.next {
			t.Errorf("%s: Next = %v, want %s", tt.state, st["Next"], tt.next)
		}
	}
}

// TestStateMachineFanOut pins the fan-out of GuardDuty's delegated
// administrator: the home region alone, then a Map over the other regions
// of the org-targets result, each iteration given the execution input and
// its region; a failed iteration is caught like any step's error.
func TestStateMachineFanOut(t *testing.T) {
	a := build(t)
	def := definition(t, a)
	states, _ := def["States"].(map[string]any)
	fn := fakeArn(functionID(t, a, "guardduty-admin"))
	wantCatch := []any{
		map[string]any{"ErrorEquals": []any{workflow.ErrNameConflict}, "ResultPath": "$.error", "Next": baseline.StateConflict},
		map[string]any{"ErrorEquals": []any{"States.ALL"}, "ResultPath": "$.error", "Next": baseline.StateFailed},
	}

	home, _ := states["GuardDutyAdminHomeRegion"].(map[string]any)
	if e, a := (map[string]any{"input.$": "$$.Execution.Input", "region.$": "$.results.orgTargets.homeRegion"}), home["Parameters"]; !reflect.DeepEqual(e, a) {
		t.Errorf("home Parameters: expect %v, got %v", e, a)
	}
	if home["Resource"] != fn || home["Next"] != "GuardDutyAdminOtherRegions" || !reflect.DeepEqual(home["Catch"], wantCatch) {
		t.Errorf("home task: %v", home)
	}
	if r, _ := home["Retry"].([]any); len(r) != 3 {
		t.Errorf("home task retries: %v", home["Retry"])
	}

	m, _ := states["GuardDutyAdminOtherRegions"].(map[string]any)
	for k, want := range map[string]any{
		"Type":           "Map",
		"ItemsPath":      "$.results.orgTargets.otherRegions",
		"ItemSelector":   map[string]any{"input.$": "$$.Execution.Input", "region.$": "$$.Map.Item.Value"},
		"MaxConcurrency": float64(guardduty.AdminSpec.MaxConcurrency),
		"ResultPath":     "$.results.guardDutyAdminOtherRegions",
		"Next":           "GuardDutyOrgEachRegion",
		"Catch":          wantCatch,
	} {
		if !reflect.DeepEqual(m[k], want) {
			t.Errorf("Map %s: expect %v, got %v", k, want, m[k])
		}
	}
	proc, _ := m["ItemProcessor"].(map[string]any)
	inner, _ := proc["States"].(map[string]any)["GuardDutyAdmin"].(map[string]any)
	if proc["StartAt"] != "GuardDutyAdmin" || inner["Resource"] != fn || inner["End"] != true {
		t.Errorf("Map iteration: %v", proc)
	}
	if _, ok := inner["ResultPath"]; ok {
		t.Errorf("the iteration's output is the step's result, got ResultPath %v", inner["ResultPath"])
	}
	if r, _ := inner["Retry"].([]any); len(r) != 3 {
		t.Errorf("iteration retries: %v", inner["Retry"])
	}
	if _, ok := inner["Catch"]; ok {
		t.Error("errors of an iteration are caught on the Map, not inside it")
	}

	// GuardDuty's organization configuration: a Map over every region,
	// each iteration given the run's accounts (TakesAccounts).
	each, _ := states["GuardDutyOrgEachRegion"].(map[string]any)
	for k, want := range map[string]any{
		"Type":      "Map",
		"ItemsPath": "$.results.orgTargets.regions",
		"ItemSelector": map[string]any{"input.$": "$$.Execution.Input", "region.$": "$$.Map.Item.Value",
			"accounts.$": "$.results.orgTargets.accounts", "excluded.$": "$.results.orgTargets.excluded"},
		"MaxConcurrency": float64(guardduty.OrgSpec.MaxConcurrency),
		"ResultPath":     "$.results.guardDutyOrg",
		"Next":           "DetectiveAdminHomeRegion",
		"Catch":          wantCatch,
	} {
		if !reflect.DeepEqual(each[k], want) {
			t.Errorf("GuardDutyOrgEachRegion %s: expect %v, got %v", k, want, each[k])
		}
	}
	eproc, _ := each["ItemProcessor"].(map[string]any)
	einner, _ := eproc["States"].(map[string]any)["GuardDutyOrg"].(map[string]any)
	if eproc["StartAt"] != "GuardDutyOrg" || einner["Resource"] != fakeArn(functionID(t, a, "guardduty-org")) || einner["End"] != true {
		t.Errorf("GuardDutyOrgEachRegion iteration: %v", eproc)
	}
}

func TestStateMachineSettings(t *testing.T) {
	a := build(t)
	noPanic(t, "state machine properties", func() {
		a.mgmtTpl.HasResourceProperties(jsii.String("AWS::StepFunctions::StateMachine"), assertions.Match_ObjectLike(&map[string]any{
			"StateMachineType":     "STANDARD",
			"TracingConfiguration": map[string]any{"Enabled": true},
			"LoggingConfiguration": assertions.Match_ObjectLike(&map[string]any{
				"Level":                "ALL",
				"IncludeExecutionData": true,
			}),
		}))
	})

	sm := props(a.mgmtJSON.resource(t, stateMachineID(t, a)))
	logging, _ := sm["LoggingConfiguration"].(map[string]any)
	dests, _ := logging["Destinations"].([]any)
	if len(dests) != 1 {
		t.Fatalf("%d log destinations, want 1", len(dests))
	}
	cw, _ := dests[0].(map[string]any)["CloudWatchLogsLogGroup"].(map[string]any)
	lg := props(a.mgmtJSON.resource(t, ref(cw["LogGroupArn"])))
	if lg["KmsKeyId"] == nil || lg["RetentionInDays"] != 365.0 {
		t.Errorf("execution log group = %v, want encrypted and kept 365 days", lg)
	}

	// The state machine may invoke the step functions and nothing else.
	for _, s := range roleStatements(t, a.mgmtJSON, ref(sm["RoleArn"])) {
		if !slices.Contains(actions(s), "lambda:InvokeFunction") {
			continue
		}
		res, _ := s["Resource"].([]any)
		for _, r := range res {
			arn := resolve(t, r)
			if !slices.ContainsFunc(specsOf(registry.For(a.cfg)), func(st workflow.StepSpec) bool {
				id := fakeArn(functionID(t, a, st.Name))
				return arn == id || arn == id+":*"
			}) {
				t.Errorf("the state machine may invoke %s, which is no step function", arn)
			}
		}
	}
}

func TestManagementOutput(t *testing.T) {
	a := build(t)
	out, _ := a.mgmtJSON["Outputs"].(map[string]any)
	o, ok := out[workflow.StateMachineArnOutput].(map[string]any)
	if !ok {
		t.Fatalf("no output %s in %v", workflow.StateMachineArnOutput, out)
	}
	if got, want := ref(o["Value"]), stateMachineID(t, a); got != want {
		t.Errorf("output %s = %v, want the ARN (Ref) of %s", workflow.StateMachineArnOutput, o["Value"], want)
	}
}

func TestAccountStacks(t *testing.T) {
	a := build(t)
	tests := []struct {
		name    string
		stack   awscdk.Stack
		tpl     assertions.Template
		account string
		role    string
	}{
		{workflow.ManagementStackName, a.management, a.mgmtTpl, a.cfg.Accounts.Management, stacks.RoleManagement},
		{workflow.LogArchiveStackName, a.logArchive, a.logArchiveTpl, a.cfg.Accounts.LogArchive, stacks.RoleLogArchive},
		{workflow.SecurityStackName, a.security, a.secTpl, a.cfg.Accounts.Security, stacks.RoleSecurity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := *tt.stack.StackName(); got != tt.name {
				t.Errorf("stack name = %s, want %s", got, tt.name)
			}
			if got := *tt.stack.Account(); got != tt.account {
				t.Errorf("account = %s, want %s", got, tt.account)
			}
			if got := *tt.stack.Region(); got != a.cfg.HomeRegion {
				t.Errorf("region = %s, want %s", got, a.cfg.HomeRegion)
			}
			tp := template(*tt.tpl.ToJSON())
			if d, _ := tp["Description"].(string); !strings.HasPrefix(d, "orgbaseline: ") {
				t.Errorf("description = %q, want one that starts with \"orgbaseline: \"", d)
			}
			noPanic(t, "account role parameter", func() {
				tt.tpl.HasResourceProperties(jsii.String("AWS::SSM::Parameter"), &map[string]any{
					"Name":        stacks.AccountRoleParameter,
					"Type":        "String",
					"Value":       tt.role,
					"Description": assertions.Match_AnyValue(),
				})
			})
		})
	}
}

// TestCdkNag runs the AwsSolutions rules over the three stacks, as
// infra/main.go does, for each configuration variant, and wants no
// unsuppressed error or warning.
func TestCdkNag(t *testing.T) {
	for _, variant := range []string{variantExample, variantAllOn, variantTrailOff, variantSecurityManaged, variantEventsElsewhere, variantOnboardingOff} {
		t.Run(variant, func(t *testing.T) {
			cfg, err := variantConfig(variant)
			if err != nil {
				t.Fatal(err)
			}
			var all []awscdk.Stack
			noPanic(t, "build the stacks", func() {
				root := awscdk.NewApp(nil)
				awscdk.Aspects_Of(root).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
				all = []awscdk.Stack{
					stacks.NewManagementStack(root, workflow.ManagementStackName, stackProps(cfg, cfg.Accounts.Management)),
					stacks.NewLogArchiveStack(root, workflow.LogArchiveStackName, stackProps(cfg, cfg.Accounts.LogArchive)),
					stacks.NewSecurityStack(root, workflow.SecurityStackName, stackProps(cfg, cfg.Accounts.Security)),
				}
				all = append(all, stacks.NewForwardStacks(root, cfg)...)
			})
			rule := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))
			for _, s := range all {
				t.Run(*s.StackName(), func(t *testing.T) {
					ann := assertions.Annotations_FromStack(s)
					var errs, warns []finding
					noPanic(t, "find findings", func() {
						errs = findings(ann.FindError(jsii.String("*"), rule))
						warns = findings(ann.FindWarning(jsii.String("*"), rule))
					})
					for _, m := range errs {
						t.Errorf("cdk-nag error at %s: %s", m.id, m.data)
					}
					for _, m := range warns {
						t.Errorf("cdk-nag warning at %s: %s", m.id, m.data)
					}
				})
			}
		})
	}
}

type finding struct{ id, data string }

func findings(msgs *[]*cxapi.SynthesisMessage) []finding {
	if msgs == nil {
		return nil
	}
	var out []finding
	for _, m := range *msgs {
		f := finding{id: *m.Id}
		if m.Entry != nil {
			f.data = fmt.Sprint(m.Entry.Data)
		}
		out = append(out, f)
	}
	return out
}

// TestLintSkips checks the linter skips recorded in the templates: every
// checkov skip gives a reason, and only the decided skips are there.
func TestLintSkips(t *testing.T) {
	for _, variant := range []string{variantExample, variantAllOn, variantSecurityManaged, variantEventsElsewhere} {
		t.Run(variant, func(t *testing.T) { checkLintSkips(t, buildVariant(t, variant)) })
	}
}

func checkLintSkips(t *testing.T, a *app) {
	t.Helper()
	// Skips by resource type, for the resources of the baseline construct.
	want := map[string][]string{
		"AWS::Lambda::Function": {"CKV_AWS_115", "CKV_AWS_116", "CKV_AWS_117"},
		"AWS::IAM::Policy":      {"CKV_AWS_111"}, // the step policies only
		"AWS::S3::Bucket":       {"CKV_AWS_18"},  // the Distributed Map's results bucket only
		"AWS::SQS::Queue":       {"CKV_AWS_27"},  // the dead-letter queues: SSE-SQS
	}
	// Skips by logical ID, for the trail's resources: exactly these.
	wantByID := map[string][]string{
		"TrailBucket":          {"CKV_AWS_19"}, // default encryption set by the org-trail step
		"TrailAccessLogBucket": {"CKV_AWS_18"}, // the access-log destination itself
		"TrailKey":             nil,
	}
	if a.cfg.Services.CloudTrail.OrganizationRead {
		wantByID["TrailKey"] = []string{"CKV_AWS_33"} // principal * under aws:PrincipalOrgID
	}
	if a.cfg.Services.CloudTrail.ManagedFromSecurity() && a.cfg.Services.CloudTrail.CloudWatchLogs.Enabled {
		wantByID["TrailLogGroupKey"] = nil
	}
	wantCfnLint := map[string][]string{
		"AWS::Lambda::Function":            {"W3005"},
		"AWS::StepFunctions::StateMachine": {"W3005"},
	}
	tps := map[string]template{
		workflow.ManagementStackName: a.mgmtJSON,
		workflow.LogArchiveStackName: a.logArchiveJSON,
		workflow.SecurityStackName:   a.secJSON,
	}
	for _, f := range a.forward {
		tps[*f.stack.StackName()] = f.json
	}
	seenByID := map[string]bool{}
	for name, tp := range tps {
		for id, r := range tp.resources() {
			res, _ := r.(map[string]any)
			typ, _ := res["Type"].(string)
			md, _ := res["Metadata"].(map[string]any)

			var skipped []string
			if ck, ok := md["checkov"].(map[string]any); ok {
				list, _ := ck["skip"].([]any)
				for _, s := range list {
					m, _ := s.(map[string]any)
					check, _ := m["id"].(string)
					comment, _ := m["comment"].(string)
					if len(strings.TrimSpace(comment)) < 20 {
						t.Errorf("%s/%s: checkov skip %s has no real reason: %q", name, id, check, comment)
					}
					skipped = append(skipped, check)
				}
			}
			slices.Sort(skipped)
			if w, ok := wantByID[id]; ok {
				seenByID[id] = true
				if !slices.Equal(skipped, w) {
					t.Errorf("%s/%s: checkov skips %v, want %v", name, id, skipped, w)
				}
			} else if len(skipped) > 0 && !slices.Equal(skipped, want[typ]) && !(eventFunction(id) && slices.Equal(skipped, eventFunctionSkips)) {
				t.Errorf("%s/%s (%s): checkov skips %v, want none or %v", name, id, typ, skipped, want[typ])
			}
			wantFn := want[typ]
			if eventFunction(id) {
				wantFn = eventFunctionSkips
			}
			if typ == "AWS::Lambda::Function" && !slices.Equal(skipped, wantFn) {
				t.Errorf("%s/%s: checkov skips %v, want %v", name, id, skipped, wantFn)
			}

			var ignored []string
			if cl, ok := md["cfn-lint"].(map[string]any); ok {
				cfg, _ := cl["config"].(map[string]any)
				list, _ := cfg["ignore_checks"].([]any)
				for _, r := range list {
					ignored = append(ignored, fmt.Sprint(r))
				}
			}
			if len(ignored) > 0 && !slices.Equal(ignored, wantCfnLint[typ]) {
				t.Errorf("%s/%s (%s): cfn-lint ignores %v, want none or %v", name, id, typ, ignored, wantCfnLint[typ])
			}
		}
	}
	for id := range wantByID {
		if !seenByID[id] {
			t.Errorf("no resource %s in the templates", id)
		}
	}
}

func TestBaselineAccessors(t *testing.T) {
	a := build(t)
	b := a.management.Baseline()
	if got, want := len(b.Functions()), len(specsOf(registry.For(a.cfg))); got != want {
		t.Errorf("Functions() has %d functions, want %d", got, want)
	}
	if b.Function("no-such-step") != nil {
		t.Error("Function of an unknown step is not nil")
	}
	if b.StateMachine() == nil || b.Key() == nil {
		t.Error("StateMachine() or Key() is nil")
	}
	// The construct and the stack are jsii objects themselves: they can be
	// handed to the CDK like any construct.
	noPanic(t, "pass the construct to the CDK", func() {
		if got := *awscdk.Stack_Of(b).StackName(); got != workflow.ManagementStackName {
			t.Errorf("Stack_Of(baseline) = %s, want %s", got, workflow.ManagementStackName)
		}
		if got, want := *b.Node().Path(), workflow.ManagementStackName+"/Baseline"; got != want {
			t.Errorf("baseline path = %s, want %s", got, want)
		}
	})
}

func TestBaselineRejectsInvalidProps(t *testing.T) {
	cfg := loadConfig(t)

	noBootstrap := t.TempDir()
	big := cfg
	big.Findings.EmailSubscriptions = nil
	for i := range 200 {
		big.Findings.EmailSubscriptions = append(big.Findings.EmailSubscriptions, fmt.Sprintf("security-team-%03d@example.com", i))
	}
	first := registry.All[0]
	noGrants := step.Step{Spec: first.Spec}
	nothing := first.WithGrants(func(settings.Config) step.Grants { return step.Grants{} })
	passRoleOnAny := first.WithGrants(func(settings.Config) step.Grants {
		return step.Grants{Lambda: []step.Grant{{Sid: "PassAnyRole", Actions: []string{"iam:PassRole"}}}}
	})
	reserved := first
	reserved.Spec.State = baseline.StateDone

	tests := []struct {
		name  string
		props *baseline.BaselineProps
		want  string
	}{
		{"nil props", nil, "props are required"},
		{"no lambda dir", &baseline.BaselineProps{Config: cfg}, "LambdaDir is empty"},
		{"no bootstrap", &baseline.BaselineProps{Config: cfg, LambdaDir: noBootstrap}, "make lambdas"},
		{"settings too large", &baseline.BaselineProps{Config: big, LambdaDir: lambdaDir}, "over the 3500 bytes"},
		{"no config", &baseline.BaselineProps{LambdaDir: lambdaDir}, "ExecutionRoleName is empty"},
		{"step without grants", &baseline.BaselineProps{Config: cfg, LambdaDir: lambdaDir, Steps: []step.Step{noGrants}}, "has no grants"},
		{"step that grants nothing", &baseline.BaselineProps{Config: cfg, LambdaDir: lambdaDir, Steps: []step.Step{nothing}}, "grants nothing and reaches no other account"},
		{"a wildcard without a reason", &baseline.BaselineProps{Config: cfg, LambdaDir: lambdaDir, Steps: []step.Step{passRoleOnAny}},
			"step org-prerequisites: Lambda grant 0 (PassAnyRole): a wildcard resource without the reason"},
		{"same step twice", &baseline.BaselineProps{Config: cfg, LambdaDir: lambdaDir, Steps: []step.Step{first, first}}, "used by an earlier step"},
		{"reserved state name", &baseline.BaselineProps{Config: cfg, LambdaDir: lambdaDir, Steps: []step.Step{reserved}}, "reserved for the end states"},
		{"no steps", &baseline.BaselineProps{Config: cfg, LambdaDir: lambdaDir, Steps: []step.Step{}}, "Steps is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stack awscdk.Stack
			noPanic(t, "new stack", func() { stack = awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Test"), nil) })
			msg := panicMessage(func() { baseline.NewBaseline(stack, "Baseline", tt.props) })
			if !strings.Contains(msg, tt.want) {
				t.Errorf("NewBaseline panicked with %q, want a message with %q", msg, tt.want)
			}
		})
	}

	t.Run("valid", func(t *testing.T) {
		var stack awscdk.Stack
		noPanic(t, "new stack", func() { stack = awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Test"), nil) })
		if msg := panicMessage(func() {
			baseline.NewBaseline(stack, "Baseline", &baseline.BaselineProps{Config: cfg, LambdaDir: lambdaDir})
		}); msg != "" {
			t.Errorf("NewBaseline panicked on valid props: %s", msg)
		}
	})
}

// The organization trail's resources.

// withProp returns the logical IDs of the resources of type typ whose
// property key is value, sorted.
func (tp template) withProp(typ, key string, value any) []string {
	var ids []string
	for _, id := range tp.ofType(typ) {
		r, _ := tp.resources()[id].(map[string]any)
		if jsonEqual(props(r)[key], value) {
			ids = append(ids, id)
		}
	}
	return ids
}

// one returns the only resource of type typ whose property key is value,
// or fails the test.
func (tp template) one(t *testing.T, typ, key string, value any) (string, map[string]any) {
	t.Helper()
	ids := tp.withProp(typ, key, value)
	if len(ids) != 1 {
		t.Fatalf("%d resources %s with %s = %v, want 1", len(ids), typ, key, value)
	}
	return ids[0], tp.resource(t, ids[0])
}

// checkEqual fails the test unless got and want are the same JSON value.
func checkEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !jsonEqual(got, want) {
		t.Errorf("%s =\n  %s\nwant\n  %s", what, canonical(got), canonical(want))
	}
}

// checkRetained fails the test unless the resource is kept when it leaves
// the stack or is replaced.
func checkRetained(t *testing.T, id string, r map[string]any) {
	t.Helper()
	if r["DeletionPolicy"] != "Retain" || r["UpdateReplacePolicy"] != "Retain" {
		t.Errorf("%s: DeletionPolicy %v, UpdateReplacePolicy %v, want Retain for both", id, r["DeletionPolicy"], r["UpdateReplacePolicy"])
	}
}

// checkBucketBasics checks what both trail buckets share: every public
// access blocked, versioning, ACLs off, the retention of the configuration,
// kept on delete.
func checkBucketBasics(t *testing.T, cfg settings.Config, id string, r map[string]any) {
	t.Helper()
	p := props(r)
	checkEqual(t, id+" PublicAccessBlockConfiguration", p["PublicAccessBlockConfiguration"], map[string]any{
		"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
	})
	checkEqual(t, id+" VersioningConfiguration", p["VersioningConfiguration"], map[string]any{"Status": "Enabled"})
	checkEqual(t, id+" OwnershipControls", p["OwnershipControls"], map[string]any{
		"Rules": []any{map[string]any{"ObjectOwnership": "BucketOwnerEnforced"}},
	})
	days := cfg.Services.CloudTrail.RetentionDays
	// Log files are kept days in total: current objects expire after days;
	// a version made noncurrent (overwritten, deleted, or expired) is kept
	// days more, so nothing is gone before the retention; the delete
	// markers left without versions are removed by a rule of their own.
	checkEqual(t, id+" LifecycleConfiguration", p["LifecycleConfiguration"], map[string]any{
		"Rules": []any{
			map[string]any{
				"Id":                             "orgbaseline-retention",
				"Status":                         "Enabled",
				"ExpirationInDays":               days,
				"NoncurrentVersionExpiration":    map[string]any{"NoncurrentDays": days},
				"AbortIncompleteMultipartUpload": map[string]any{"DaysAfterInitiation": 7},
			},
			map[string]any{
				"Id":                        "orgbaseline-delete-markers",
				"Status":                    "Enabled",
				"ExpiredObjectDeleteMarker": true,
			},
		},
	})
	for _, k := range []string{"AccessControl", "ObjectLockEnabled", "WebsiteConfiguration"} {
		if v, ok := p[k]; ok {
			t.Errorf("%s: %s = %v, want none", id, k, v)
		}
	}
	// S3 Object Lock on the trail bucket alone: S3 delivers no access logs
	// to a bucket with it, AWS Config delivers to none.
	if mode := cfg.LogIntegrity.ObjectLock; id == "TrailBucket" && mode != settings.ObjectLockOff {
		checkEqual(t, id+" ObjectLockConfiguration", p["ObjectLockConfiguration"], map[string]any{
			"ObjectLockEnabled": "Enabled",
			"Rule":              map[string]any{"DefaultRetention": map[string]any{"Mode": strings.ToUpper(mode), "Days": days}},
		})
	} else if v, ok := p["ObjectLockConfiguration"]; ok {
		t.Errorf("%s: ObjectLockConfiguration = %v, want none", id, v)
	}
	checkRetained(t, id, r)
}

// checkBucketPolicy checks that the bucket has exactly one policy, the
// document doc as it is.
func checkBucketPolicy(t *testing.T, tp template, bucket string, doc orgtrail.Document) {
	t.Helper()
	id, r := tp.one(t, "AWS::S3::BucketPolicy", "Bucket", bucket)
	checkEqual(t, id+" PolicyDocument", props(r)["PolicyDocument"], doc.Map())
	if deps, _ := r["DependsOn"].([]any); len(deps) != 1 || props(tp.resource(t, fmt.Sprint(deps[0])))["BucketName"] != bucket {
		t.Errorf("%s depends on %v, want the bucket %s", id, r["DependsOn"], bucket)
	}
}

func TestTrailBucket(t *testing.T) {
	for _, variant := range []string{variantExample, variantAllOn} {
		t.Run(variant, func(t *testing.T) {
			a := buildVariant(t, variant)
			tp := a.logArchiveJSON
			id, r := tp.one(t, "AWS::S3::Bucket", "BucketName", orgtrail.BucketName(a.cfg))
			checkBucketBasics(t, a.cfg, id, r)
			p := props(r)

			// The org-trail step sets the default encryption.
			if enc, ok := p["BucketEncryption"]; ok {
				t.Errorf("BucketEncryption = %v, want none in the template", enc)
			}
			logging, _ := p["LoggingConfiguration"].(map[string]any)
			if got := logging["LogFilePrefix"]; got != orgtrail.AccessLogPrefix {
				t.Errorf("access log prefix = %v, want %s", got, orgtrail.AccessLogPrefix)
			}
			dest := ref(logging["DestinationBucketName"])
			if dest == "" {
				t.Fatalf("access log destination = %v, want a Ref to the access-log bucket", logging["DestinationBucketName"])
			}
			if got := props(tp.resource(t, dest))["BucketName"]; got != logarchive.AccessLogBucketName(a.cfg) {
				t.Errorf("access logs go to %v, want %s", got, logarchive.AccessLogBucketName(a.cfg))
			}

			checkBucketPolicy(t, tp, orgtrail.BucketName(a.cfg), orgtrail.BucketPolicy(a.cfg))
		})
	}
}

func TestTrailAccessLogBucket(t *testing.T) {
	for _, variant := range []string{variantExample, variantAllOn} {
		t.Run(variant, func(t *testing.T) {
			a := buildVariant(t, variant)
			tp := a.logArchiveJSON
			id, r := tp.one(t, "AWS::S3::Bucket", "BucketName", logarchive.AccessLogBucketName(a.cfg))
			checkBucketBasics(t, a.cfg, id, r)
			p := props(r)
			// S3 delivers server access logs to SSE-S3 buckets only.
			checkEqual(t, "BucketEncryption", p["BucketEncryption"], map[string]any{
				"ServerSideEncryptionConfiguration": []any{map[string]any{
					"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"},
				}},
			})
			if l, ok := p["LoggingConfiguration"]; ok {
				t.Errorf("LoggingConfiguration = %v, want none: the bucket is the access-log destination", l)
			}
			checkBucketPolicy(t, tp, logarchive.AccessLogBucketName(a.cfg), logarchive.AccessLogBucketPolicy(a.cfg))

			// Exactly the two buckets and their two policies, and Config's.
			want := 2 + boolInt(a.cfg.Enabled(settings.ServiceConfig)) + boolInt(guardduty.FindingsExported(a.cfg))
			if got := len(tp.ofType("AWS::S3::Bucket")); got != want {
				t.Errorf("%d buckets, want %d", got, want)
			}
			if got := len(tp.ofType("AWS::S3::BucketPolicy")); got != want {
				t.Errorf("%d bucket policies, want %d", got, want)
			}

			// S3 may deliver to the bucket before the trail bucket logs.
			trailID, trail := tp.one(t, "AWS::S3::Bucket", "BucketName", orgtrail.BucketName(a.cfg))
			policyID, _ := tp.one(t, "AWS::S3::BucketPolicy", "Bucket", logarchive.AccessLogBucketName(a.cfg))
			if deps, _ := trail["DependsOn"].([]any); !slices.Contains(deps, any(policyID)) {
				t.Errorf("%s depends on %v, want %s", trailID, trail["DependsOn"], policyID)
			}
		})
	}
}

func TestLogArchiveOutputs(t *testing.T) {
	a := build(t)
	outs, _ := a.logArchiveJSON["Outputs"].(map[string]any)
	for key, bucket := range map[string]string{
		stacks.TrailBucketOutput:     orgtrail.BucketName(a.cfg),
		stacks.AccessLogBucketOutput: logarchive.AccessLogBucketName(a.cfg),
	} {
		o, _ := outs[key].(map[string]any)
		id := ref(o["Value"])
		if id == "" {
			t.Errorf("output %s = %v, want a Ref to the bucket %s", key, o["Value"], bucket)
			continue
		}
		if got := props(a.logArchiveJSON.resource(t, id))["BucketName"]; got != bucket {
			t.Errorf("output %s names %v, want %s", key, got, bucket)
		}
	}
}

func TestTrailKey(t *testing.T) {
	for _, variant := range []string{variantExample, variantAllOn} {
		t.Run(variant, func(t *testing.T) {
			a := buildVariant(t, variant)
			tp := a.secJSON
			if got, want := len(tp.ofType("AWS::KMS::Key")), 3+boolInt(guardduty.FindingsExported(a.cfg)); got != want {
				t.Fatalf("%d keys in the security stack, want the trail's, Config's, the notifications' and with exportFindings the findings' (%d)", got, want)
			}
			id, r := tp.one(t, "AWS::KMS::Key", "Description", orgtrail.TrailKeyDescription)
			p := props(r)
			checkEqual(t, "KeyPolicy", p["KeyPolicy"], orgtrail.KeyPolicy(a.cfg).Map())
			if p["EnableKeyRotation"] != true {
				t.Errorf("EnableKeyRotation = %v, want true", p["EnableKeyRotation"])
			}
			if p["Description"] != orgtrail.TrailKeyDescription {
				t.Errorf("Description = %v, want %q", p["Description"], orgtrail.TrailKeyDescription)
			}
			for _, k := range []string{"KeySpec", "KeyUsage", "MultiRegion", "Enabled", "BypassPolicyLockoutSafetyCheck"} {
				if v, ok := p[k]; ok {
					t.Errorf("%s = %v, want the default", k, v)
				}
			}
			checkRetained(t, id, r)
			checkCloudTrailDecryptsForBucketKey(t, p["KeyPolicy"], orgtrail.TrailARN(a.cfg))

			_, alias := tp.one(t, "AWS::KMS::Alias", "AliasName", orgtrail.KeyAlias)
			if got := ref(props(alias)["TargetKeyId"]); got != id {
				t.Errorf("alias %s targets %v, want %s", orgtrail.KeyAlias, props(alias)["TargetKeyId"], id)
			}

			outs, _ := tp["Outputs"].(map[string]any)
			o, _ := outs[stacks.TrailKeyArnOutput].(map[string]any)
			checkEqual(t, "output "+stacks.TrailKeyArnOutput, o["Value"], map[string]any{"Fn::GetAtt": []any{id, "Arn"}})
		})
	}
}

// checkCloudTrailDecryptsForBucketKey checks that the trail key's policy in
// the template lets CloudTrail kms:Decrypt for the trail without the
// CloudTrail encryption context, as "Configure AWS KMS key policies for
// CloudTrail" (CloudTrail User Guide, "Granting decrypt permissions")
// requires for a bucket with an S3 Bucket Key, and only with aws:SourceArn
// the trail's ARN.
func checkCloudTrailDecryptsForBucketKey(t *testing.T, doc any, trailARN string) {
	t.Helper()
	m, _ := doc.(map[string]any)
	list, _ := m["Statement"].([]any)
	found := false
	for _, x := range list {
		st, _ := x.(map[string]any)
		principal, _ := st["Principal"].(map[string]any)
		if st["Effect"] != "Allow" || principal["Service"] != "cloudtrail.amazonaws.com" || !slices.Contains(actions(statement(st)), "kms:Decrypt") {
			continue
		}
		found = true
		want := map[string]any{"StringEquals": map[string]any{"aws:SourceArn": trailARN}}
		checkEqual(t, "condition of CloudTrail's kms:Decrypt ("+fmt.Sprint(st["Sid"])+")", st["Condition"], want)
	}
	if !found {
		t.Errorf("the trail key's policy does not let CloudTrail kms:Decrypt: %s", canonical(doc))
	}
}

// statementSids returns the Sids of a policy document in a template.
func statementSids(doc any) []string {
	m, _ := doc.(map[string]any)
	list, _ := m["Statement"].([]any)
	var out []string
	for _, s := range list {
		st, _ := s.(map[string]any)
		out = append(out, fmt.Sprint(st["Sid"]))
	}
	return out
}

// TestOrganizationRead checks that organizationRead adds the read
// statements to the bucket and key policies, and only then.
func TestOrganizationRead(t *testing.T) {
	for _, tt := range []struct {
		variant string
		want    bool
	}{{variantExample, false}, {variantAllOn, true}} {
		t.Run(tt.variant, func(t *testing.T) {
			a := buildVariant(t, tt.variant)
			if a.cfg.Services.CloudTrail.OrganizationRead != tt.want {
				t.Fatalf("organizationRead = %v in %s, want %v", a.cfg.Services.CloudTrail.OrganizationRead, tt.variant, tt.want)
			}
			_, policy := a.logArchiveJSON.one(t, "AWS::S3::BucketPolicy", "Bucket", orgtrail.BucketName(a.cfg))
			bucketSids := statementSids(props(policy)["PolicyDocument"])
			_, trailKey := a.secJSON.one(t, "AWS::KMS::Key", "Description", orgtrail.TrailKeyDescription)
			keySids := statementSids(props(trailKey)["KeyPolicy"])
			if got := slices.Contains(bucketSids, "OrganizationRead"); got != tt.want {
				t.Errorf("bucket policy statements %v: OrganizationRead present = %v, want %v", bucketSids, got, tt.want)
			}
			if got := slices.Contains(keySids, "OrganizationDecryptsLogFiles"); got != tt.want {
				t.Errorf("key policy statements %v: OrganizationDecryptsLogFiles present = %v, want %v", keySids, got, tt.want)
			}
		})
	}
}

// globMatch reports whether s matches pattern, where * matches any run of
// characters (IAM's ArnLike).
func globMatch(pattern, s string) bool {
	re := "^" + strings.ReplaceAll(regexp.QuoteMeta(pattern), `\*`, ".*") + "$"
	return regexp.MustCompile(re).MatchString(s)
}

func TestTrailLogDelivery(t *testing.T) {
	t.Run("enabled", func(t *testing.T) {
		a := buildVariant(t, variantAllOn)
		tp := a.mgmtJSON
		groupID, group := tp.one(t, "AWS::Logs::LogGroup", "LogGroupName", orgtrail.LogGroupName)
		gp := props(group)
		if gp["RetentionInDays"] != float64(allOnLogRetention) {
			t.Errorf("log group retention = %v, want %d days from the configuration", gp["RetentionInDays"], allOnLogRetention)
		}
		el, ok := a.management.Baseline().Key().Node().DefaultChild().(awscdk.CfnElement)
		if !ok {
			t.Fatal("the baseline key has no CloudFormation resource")
		}
		keyID := *a.management.GetLogicalId(el)
		checkEqual(t, "log group KmsKeyId", gp["KmsKeyId"], map[string]any{"Fn::GetAtt": []any{keyID, "Arn"}})
		checkRetained(t, groupID, group)

		// The baseline key lets CloudWatch Logs use it for this log group.
		groupARN := fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", a.cfg.HomeRegion, a.cfg.Accounts.Management, orgtrail.LogGroupName)
		keyPolicy, _ := props(tp.resource(t, keyID))["KeyPolicy"].(map[string]any)
		list, _ := keyPolicy["Statement"].([]any)
		allowed := false
		for _, s := range list {
			st, _ := s.(map[string]any)
			principal, _ := st["Principal"].(map[string]any)
			if st["Effect"] != "Allow" || principal["Service"] != "logs."+a.cfg.HomeRegion+".amazonaws.com" {
				continue
			}
			acts := actions(st)
			if !slices.Contains(acts, "kms:GenerateDataKey*") || !slices.Contains(acts, "kms:Decrypt*") || !slices.Contains(acts, "kms:Encrypt*") {
				continue
			}
			cond, _ := st["Condition"].(map[string]any)
			like, _ := cond["ArnLike"].(map[string]any)
			if len(cond) == 1 && globMatch(resolve(t, like["kms:EncryptionContext:aws:logs:arn"]), groupARN) {
				allowed = true
			}
		}
		if !allowed {
			t.Errorf("the baseline key's policy does not let logs.%s.amazonaws.com encrypt for %s: %s", a.cfg.HomeRegion, groupARN, canonical(keyPolicy))
		}

		roleID, role := tp.one(t, "AWS::IAM::Role", "RoleName", orgtrail.CloudWatchLogsRoleName)
		rp := props(role)
		checkEqual(t, "trust policy", rp["AssumeRolePolicyDocument"], orgtrail.CloudWatchLogsTrustPolicy(a.cfg).Map())
		policies, _ := rp["Policies"].([]any)
		if len(policies) != 1 {
			t.Fatalf("role %s has %d inline policies, want 1", roleID, len(policies))
		}
		inline, _ := policies[0].(map[string]any)
		checkEqual(t, "role policy", inline["PolicyDocument"], orgtrail.CloudWatchLogsRolePolicy(a.cfg).Map())
		if mp, ok := rp["ManagedPolicyArns"]; ok {
			t.Errorf("role %s has managed policies %v, want none", roleID, mp)
		}
		for _, pid := range tp.ofType("AWS::IAM::Policy") {
			roles, _ := props(tp.resource(t, pid))["Roles"].([]any)
			if slices.ContainsFunc(roles, func(r any) bool { return ref(r) == roleID }) {
				t.Errorf("policy %s is attached to %s, want its one inline policy only", pid, roleID)
			}
		}
		// The step passes exactly this role.
		if got, want := orgtrail.CloudWatchLogsRoleARN(a.cfg), "arn:aws:iam::"+a.cfg.Accounts.Management+":role/"+orgtrail.CloudWatchLogsRoleName; got != want {
			t.Errorf("CloudWatchLogsRoleARN = %s, want the ARN of the role the stack creates, %s", got, want)
		}
	})

	// Managed from the security account: in the security stack, encrypted
	// with a key of its own; nothing in the management stack.
	t.Run("security", func(t *testing.T) {
		a := buildVariant(t, variantSecurityManaged)
		tp := a.secJSON
		groupID, group := tp.one(t, "AWS::Logs::LogGroup", "LogGroupName", orgtrail.LogGroupName)
		gp := props(group)
		if gp["RetentionInDays"] != float64(allOnLogRetention) {
			t.Errorf("log group retention = %v, want %d days from the configuration", gp["RetentionInDays"], allOnLogRetention)
		}
		checkRetained(t, groupID, group)
		keyID, key := tp.one(t, "AWS::KMS::Key", "Description", stacks.LogGroupKeyDescription)
		checkEqual(t, "log group KmsKeyId", gp["KmsKeyId"], map[string]any{"Fn::GetAtt": []any{keyID, "Arn"}})
		kp := props(key)
		checkEqual(t, "log group key policy", kp["KeyPolicy"], orgtrail.LogGroupKeyPolicy(a.cfg).Map())
		if kp["EnableKeyRotation"] != true {
			t.Errorf("log group key rotation = %v, want true", kp["EnableKeyRotation"])
		}
		checkRetained(t, keyID, key)
		_, alias := tp.one(t, "AWS::KMS::Alias", "AliasName", orgtrail.LogGroupKeyAlias)
		if got := ref(props(alias)["TargetKeyId"]); got != keyID {
			t.Errorf("alias %s targets %v, want %s", orgtrail.LogGroupKeyAlias, props(alias)["TargetKeyId"], keyID)
		}
		// The trail key's policy is exactly orgtrail's, still.
		trailKeyID, _ := tp.one(t, "AWS::KMS::Key", "Description", orgtrail.TrailKeyDescription)
		checkEqual(t, "trail key policy", props(tp.resource(t, trailKeyID))["KeyPolicy"], orgtrail.KeyPolicy(a.cfg).Map())
		if got := len(tp.ofType("AWS::KMS::Key")); got != 4 {
			t.Errorf("%d keys in the security stack, want the trail's, the log group's, Config's and the notifications'", got)
		}

		_, role := tp.one(t, "AWS::IAM::Role", "RoleName", orgtrail.CloudWatchLogsRoleName)
		rp := props(role)
		checkEqual(t, "trust policy", rp["AssumeRolePolicyDocument"], orgtrail.CloudWatchLogsTrustPolicy(a.cfg).Map())
		policies, _ := rp["Policies"].([]any)
		if len(policies) != 1 {
			t.Fatalf("the role has %d inline policies, want 1", len(policies))
		}
		inline, _ := policies[0].(map[string]any)
		checkEqual(t, "role policy", inline["PolicyDocument"], orgtrail.CloudWatchLogsRolePolicy(a.cfg).Map())
		if got, want := orgtrail.CloudWatchLogsRoleARN(a.cfg), "arn:aws:iam::"+a.cfg.Accounts.Security+":role/"+orgtrail.CloudWatchLogsRoleName; got != want {
			t.Errorf("CloudWatchLogsRoleARN = %s, want the role of the security stack, %s", got, want)
		}

		if ids := a.mgmtJSON.withProp("AWS::Logs::LogGroup", "LogGroupName", orgtrail.LogGroupName); len(ids) != 0 {
			t.Errorf("log group %s also in the management stack (%v)", orgtrail.LogGroupName, ids)
		}
		if ids := a.mgmtJSON.withProp("AWS::IAM::Role", "RoleName", orgtrail.CloudWatchLogsRoleName); len(ids) != 0 {
			t.Errorf("role %s also in the management stack (%v)", orgtrail.CloudWatchLogsRoleName, ids)
		}
	})

	for _, variant := range []string{variantExample, variantTrailOff} {
		t.Run("absent/"+variant, func(t *testing.T) {
			a := buildVariant(t, variant)
			if ids := a.mgmtJSON.withProp("AWS::Logs::LogGroup", "LogGroupName", orgtrail.LogGroupName); len(ids) != 0 {
				t.Errorf("log group %s present (%v), want none", orgtrail.LogGroupName, ids)
			}
			if ids := a.mgmtJSON.withProp("AWS::IAM::Role", "RoleName", orgtrail.CloudWatchLogsRoleName); len(ids) != 0 {
				t.Errorf("role %s present (%v), want none", orgtrail.CloudWatchLogsRoleName, ids)
			}
			if ids := a.secJSON.withProp("AWS::Logs::LogGroup", "LogGroupName", orgtrail.LogGroupName); len(ids) != 0 {
				t.Errorf("log group %s in the security stack (%v), want none", orgtrail.LogGroupName, ids)
			}
			// The baseline's own log groups only: one per step, the
			// state machine's and with onboarding onboard-start's and
			// onboard-summary's.
			if got, want := len(a.mgmtJSON.ofType("AWS::Logs::LogGroup")), len(specsOf(registry.For(a.cfg)))+1+2*boolInt(a.cfg.Onboarding.On() || a.cfg.Reconverge.On()); got != want {
				t.Errorf("%d log groups, want %d", got, want)
			}
		})
	}
}

// TestLogServicesOff checks that with the cloudtrail and config services off
// the log-archive and security stacks hold only the account role parameter,
// and the security stack its finding notifications (notifications.go,
// checked in notifications_test.go).
func TestLogServicesOff(t *testing.T) {
	a := buildVariant(t, variantLogsOff)
	if a.cfg.Enabled(settings.ServiceCloudTrail) || a.cfg.Enabled(settings.ServiceConfig) {
		t.Fatal("cloudtrail or config is on in the logs-off variant")
	}
	for name, tp := range map[string]template{
		workflow.LogArchiveStackName: a.logArchiveJSON,
		workflow.SecurityStackName:   a.secJSON,
	} {
		var types []string
		for id, r := range tp.resources() {
			if notificationResource(id) {
				continue
			}
			m, _ := r.(map[string]any)
			types = append(types, fmt.Sprint(m["Type"]))
		}
		if !slices.Equal(types, []string{"AWS::SSM::Parameter"}) {
			t.Errorf("%s holds %v, want the account role parameter only", name, types)
		}
		if outs, ok := tp["Outputs"].(map[string]any); ok {
			delete(outs, stacks.FindingsTopicOutput)
			delete(outs, stacks.OperationsTopicOutput)
			if len(outs) > 0 {
				t.Errorf("%s has outputs %v, want none", name, outs)
			}
		}
	}
}

// TestStateMachineConfig pins Config's fan-out: the recorders in a
// Distributed Map over the org-targets accounts, each iteration one Task
// given the execution input, the account and every region of the run;
// then the rules in a Map over the regions whose iteration repeats the step
// after a Wait while its result is pending, and outputs the last result.
func TestStateMachineConfig(t *testing.T) {
	a := build(t)
	def := definition(t, a)
	states, _ := def["States"].(map[string]any)
	wantCatch := []any{
		map[string]any{"ErrorEquals": []any{workflow.ErrNameConflict}, "ResultPath": "$.error", "Next": baseline.StateConflict},
		map[string]any{"ErrorEquals": []any{"States.ALL"}, "ResultPath": "$.error", "Next": baseline.StateFailed},
	}

	outer, _ := states["ConfigRecordersEachAccount"].(map[string]any)
	for k, want := range map[string]any{
		"Type":      "Map",
		"Label":     "ConfigRecorders",
		"ItemsPath": "$.results.orgTargets.accounts",
		"ItemSelector": map[string]any{
			"input.$": "$$.Execution.Input", "account.$": "$$.Map.Item.Value", "regions.$": "$.results.orgTargets.regions",
		},
		"MaxConcurrency": float64(configsvc.RecordersSpec.MaxConcurrency),
		// One account's failure is its own, up to the tolerance.
		"ToleratedFailurePercentage": float64(a.cfg.Tolerated()),
		"ResultPath":                 "$.results.configRecorders",
		"Next":                       "ConfigRulesEachRegion",
		"Catch":                      wantCatch,
	} {
		if !reflect.DeepEqual(outer[k], want) {
			t.Errorf("ConfigRecordersEachAccount %s: expect %v, got %v", k, want, outer[k])
		}
	}
	oproc, _ := outer["ItemProcessor"].(map[string]any)
	// A Distributed Map: each account a standard child execution, the
	// results written to the results bucket under results/<step>.
	if e, a := (map[string]any{"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}), oproc["ProcessorConfig"]; !reflect.DeepEqual(e, a) {
		t.Errorf("ProcessorConfig: expect %v, got %v", e, a)
	}
	writer, _ := outer["ResultWriter"].(map[string]any)
	params, _ := writer["Parameters"].(map[string]any)
	if writer["Resource"] != "arn:aws:states:::s3:putObject" || params["Prefix"] != baseline.ResultsPrefix+configsvc.RecordersSpec.Name {
		t.Errorf("ResultWriter: %v", writer)
	}
	bucketID := strings.TrimPrefix(fmt.Sprint(params["Bucket"]), fakeArn(""))
	if _, ok := a.mgmtJSON.resources()[bucketID]; !ok || !strings.HasPrefix(bucketID, "BaselineResults") {
		t.Fatalf("ResultWriter bucket %v, want the results bucket", params["Bucket"])
	}
	bucket := props(a.mgmtJSON.resource(t, bucketID))
	lc, _ := bucket["LifecycleConfiguration"].(map[string]any)
	lcRules, _ := lc["Rules"].([]any)
	if len(lcRules) != 1 || lcRules[0].(map[string]any)["ExpirationInDays"] != float64(baseline.ResultsRetentionDays) {
		t.Errorf("results bucket lifecycle: %v", lc)
	}
	// The state machine may start its own child executions, and no other.
	var starts []any
	for _, id := range a.mgmtJSON.ofType("AWS::IAM::Policy") {
		doc, _ := props(a.mgmtJSON.resource(t, id))["PolicyDocument"].(map[string]any)
		sts, _ := doc["Statement"].([]any)
		for _, st := range sts {
			m, _ := st.(map[string]any)
			// onboard-start's statement is checked in
			// notifications_test.go.
			if m["Action"] == "states:StartExecution" && m["Sid"] != "StartBaselineExecution" {
				starts = append(starts, m["Resource"])
			}
		}
	}
	if len(starts) != 1 || ref(starts[0]) != stateMachineID(t, a) {
		t.Errorf("states:StartExecution on %v, want the state machine itself", starts)
	}
	// Each account is one invocation, given every region of the run.
	task, _ := oproc["States"].(map[string]any)["ConfigRecorders"].(map[string]any)
	if oproc["StartAt"] != "ConfigRecorders" || task["Resource"] != fakeArn(functionID(t, a, "config-recorders")) || task["End"] != true || len(oproc["States"].(map[string]any)) != 1 {
		t.Errorf("ConfigRecordersEachAccount iteration: %v", oproc)
	}
	if r, _ := task["Retry"].([]any); len(r) != 3 {
		t.Errorf("recorder task retries: %v", task["Retry"])
	}

	rules, _ := states["ConfigRulesEachRegion"].(map[string]any)
	for k, want := range map[string]any{
		"Type":      "Map",
		"ItemsPath": "$.results.orgTargets.regions",
		"ItemSelector": map[string]any{"input.$": "$$.Execution.Input", "region.$": "$$.Map.Item.Value",
			"accounts.$": "$.results.orgTargets.accounts", "excluded.$": "$.results.orgTargets.excluded"},
		"MaxConcurrency": float64(configsvc.RulesSpec.MaxConcurrency),
		"ResultPath":     "$.results.configRules",
		"Next":           "SecurityHubAdminHomeRegion",
		"Catch":          wantCatch,
	} {
		if !reflect.DeepEqual(rules[k], want) {
			t.Errorf("ConfigRulesEachRegion %s: expect %v, got %v", k, want, rules[k])
		}
	}
	rproc, _ := rules["ItemProcessor"].(map[string]any)
	rs, _ := rproc["States"].(map[string]any)
	if rproc["StartAt"] != "ConfigRules" || len(rs) != 5 {
		t.Fatalf("the rules iteration: StartAt %v, states %v", rproc["StartAt"], slices.Sorted(maps.Keys(rs)))
	}
	st := func(name string) map[string]any { m, _ := rs[name].(map[string]any); return m }
	if tk := st("ConfigRules"); tk["Resource"] != fakeArn(functionID(t, a, "config-rules")) || tk["ResultPath"] != "$.result" || tk["Next"] != "ConfigRulesPending" {
		t.Errorf("ConfigRules task: %v", tk)
	}
	wantChoice := []any{map[string]any{
		"And": []any{
			map[string]any{"Variable": "$.result.pending", "IsPresent": true},
			map[string]any{"Variable": "$.result.pending", "BooleanEquals": true},
		},
		"Next": "ConfigRulesWait",
	}}
	if c := st("ConfigRulesPending"); c["Type"] != "Choice" || !reflect.DeepEqual(c["Choices"], wantChoice) || c["Default"] != "ConfigRulesResult" {
		t.Errorf("ConfigRulesPending: %v", c)
	}
	if w := st("ConfigRulesWait"); w["Type"] != "Wait" || w["Seconds"] != float64(configsvc.RulesPoll.IntervalSeconds) || w["Next"] != "ConfigRulesAgain" {
		t.Errorf("ConfigRulesWait: %v", w)
	}
	wantAgain := map[string]any{"input.$": "$.input", "region.$": "$.region", "polls.$": "$.result.polls", "previous.$": "$.result",
		"accounts.$": "$.accounts", "excluded.$": "$.excluded"}
	if p := st("ConfigRulesAgain"); p["Type"] != "Pass" || !reflect.DeepEqual(p["Parameters"], wantAgain) || p["Next"] != "ConfigRules" {
		t.Errorf("ConfigRulesAgain: %v", p)
	}
	if p := st("ConfigRulesResult"); p["Type"] != "Pass" || p["InputPath"] != "$.result" || p["End"] != true {
		t.Errorf("ConfigRulesResult: %v", p)
	}
}

// TestConfigResources checks Config's resources: the delivery bucket in the
// log-archive stack with configsvc's policy, logging to the shared
// access-log bucket; the delivery key with configsvc's policy and the
// aggregator role, with the AWS managed policy, in the security stack. With
// the trail off, the access-log bucket stays, for Config's bucket only.
func TestConfigResources(t *testing.T) {
	for _, variant := range []string{variantExample, variantTrailOff} {
		t.Run(variant, func(t *testing.T) {
			a := buildVariant(t, variant)
			la := a.logArchiveJSON
			id, r := la.one(t, "AWS::S3::Bucket", "BucketName", configsvc.BucketName(a.cfg))
			checkBucketBasics(t, a.cfg, id, r)
			p := props(r)
			checkEqual(t, "Config bucket encryption", p["BucketEncryption"], map[string]any{
				"ServerSideEncryptionConfiguration": []any{map[string]any{
					"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"},
				}},
			})
			logging, _ := p["LoggingConfiguration"].(map[string]any)
			if logging["LogFilePrefix"] != configsvc.AccessLogPrefix {
				t.Errorf("access log prefix = %v, want %s", logging["LogFilePrefix"], configsvc.AccessLogPrefix)
			}
			if got := props(la.resource(t, ref(logging["DestinationBucketName"])))["BucketName"]; got != logarchive.AccessLogBucketName(a.cfg) {
				t.Errorf("access logs go to %v, want %s", got, logarchive.AccessLogBucketName(a.cfg))
			}
			checkBucketPolicy(t, la, configsvc.BucketName(a.cfg), configsvc.BucketPolicy(a.cfg))
			_, bp := la.one(t, "AWS::S3::BucketPolicy", "Bucket", configsvc.BucketName(a.cfg))
			checkConfigAdmittedByAccount(t, a.cfg, "Config bucket policy", props(bp)["PolicyDocument"], "ConfigDelivery")
			checkBucketPolicy(t, la, logarchive.AccessLogBucketName(a.cfg), logarchive.AccessLogBucketPolicy(a.cfg))
			_, trailStatement := logarchive.AccessLogBucketPolicy(a.cfg).Find("S3ServerAccessLogs")
			if trailStatement != a.cfg.Enabled(settings.ServiceCloudTrail) {
				t.Errorf("access-log policy admits the trail bucket's logs = %v, with the trail on = %v", trailStatement, a.cfg.Enabled(settings.ServiceCloudTrail))
			}
			if ids := la.withProp("AWS::S3::Bucket", "BucketName", orgtrail.BucketName(a.cfg)); len(ids) != boolInt(a.cfg.Enabled(settings.ServiceCloudTrail)) {
				t.Errorf("trail buckets %v with the trail on = %v", ids, a.cfg.Enabled(settings.ServiceCloudTrail))
			}

			sec := a.secJSON
			keyID, key := sec.one(t, "AWS::KMS::Key", "Description", configsvc.KeyDescription)
			kp := props(key)
			checkEqual(t, "Config key policy", kp["KeyPolicy"], configsvc.KeyPolicy(a.cfg).Map())
			checkConfigAdmittedByAccount(t, a.cfg, "Config key policy", kp["KeyPolicy"], "ConfigEncryptsDeliveries")
			if kp["EnableKeyRotation"] != true {
				t.Errorf("Config key rotation = %v", kp["EnableKeyRotation"])
			}
			checkRetained(t, keyID, key)
			_, alias := sec.one(t, "AWS::KMS::Alias", "AliasName", configsvc.KeyAlias)
			if got := ref(props(alias)["TargetKeyId"]); got != keyID {
				t.Errorf("alias %s targets %v, want %s", configsvc.KeyAlias, props(alias)["TargetKeyId"], keyID)
			}
			_, role := sec.one(t, "AWS::IAM::Role", "RoleName", configsvc.AggregatorRoleName)
			rp := props(role)
			checkEqual(t, "aggregator trust policy", rp["AssumeRolePolicyDocument"], configsvc.AggregatorTrustPolicy(a.cfg).Map())
			checkEqual(t, "aggregator managed policies", rp["ManagedPolicyArns"], []any{
				map[string]any{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/" + configsvc.AggregatorManagedPolicy},
			})
			if _, ok := rp["Policies"]; ok {
				t.Errorf("the aggregator role has inline policies: %v", rp["Policies"])
			}
		})
	}
}

// checkConfigAdmittedByAccount checks that a deployed Config delivery policy
// admits config.amazonaws.com, in statement sid, for the configuration's
// three accounts by aws:SourceAccount, the key "Permissions for the Amazon
// S3 Bucket" and "Permissions for the KMS Key" (AWS Config Developer Guide)
// document for the service principal, and that no statement uses an
// organization-based key, which that guide says Config's service principal
// does not work with.
func checkConfigAdmittedByAccount(t *testing.T, c settings.Config, what string, doc any, sid string) {
	t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.ToLower(string(b)), "aws:sourceorg") {
		t.Errorf("%s uses an organization-based condition: %s", what, b)
	}
	list, _ := doc.(map[string]any)["Statement"].([]any)
	for _, s := range list {
		st, _ := s.(map[string]any)
		if st["Sid"] != sid {
			continue
		}
		cond, _ := st["Condition"].(map[string]any)
		eq, _ := cond["StringEquals"].(map[string]any)
		want := []string{c.Accounts.Management, c.Accounts.Security, c.Accounts.LogArchive}
		slices.Sort(want)
		checkEqual(t, what+" "+sid+" aws:SourceAccount", eq["aws:SourceAccount"], toAny(want))
		return
	}
	t.Errorf("%s has no statement %s: %s", what, sid, b)
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestStepCodeDir(t *testing.T) {
	dir := t.TempDir()
	for _, s := range []string{configsvc.RulesSpec.Name, guardduty.OrgSpec.Name} {
		if err := writeStub(dir, s); err != nil {
			t.Fatal(err)
		}
	}
	template := filepath.Join(t.TempDir(), "pack.yaml")
	if err := os.WriteFile(template, []byte("Resources: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := loadConfig(t)
	cfg.Services.Config.ConformancePacks = []settings.ConformancePack{
		{Name: "from-file", TemplateFile: template},
		{Name: "from-s3", TemplateS3URI: "s3://bucket/pack.yaml"},
	}
	got, err := baseline.StepCodeDir(dir, configsvc.RulesSpec, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got != filepath.Join(dir, configsvc.RulesSpec.Name+baseline.BundleSuffix) {
		t.Errorf("config-rules package %s", got)
	}
	var files []string
	if err := filepath.WalkDir(got, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(got, path)
			files = append(files, rel)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{baseline.BootstrapFile, settings.PackTemplateFile("from-file")}; !slices.Equal(files, want) {
		t.Errorf("package files %v, want %v", files, want)
	}
	if b, _ := os.ReadFile(filepath.Join(got, settings.PackTemplateFile("from-file"))); string(b) != "Resources: {}\n" {
		t.Errorf("bundled template %q", b)
	}
	if got, _ := baseline.StepCodeDir(dir, guardduty.OrgSpec, cfg); got != filepath.Join(dir, guardduty.OrgSpec.Name) {
		t.Errorf("guardduty-org package %s", got)
	}
	cfg.Services.Config.ConformancePacks = cfg.Services.Config.ConformancePacks[1:]
	if got, _ := baseline.StepCodeDir(dir, configsvc.RulesSpec, cfg); got != filepath.Join(dir, configsvc.RulesSpec.Name) {
		t.Errorf("config-rules package without template files %s", got)
	}
}

// TestFindingsExport checks the findings export's resources: with
// exportFindings, the findings bucket with findingsdest's policy, logging to
// the access-log bucket, and the findings key with findingsdest's policy;
// without it, neither.
func TestFindingsExport(t *testing.T) {
	for _, tt := range []struct {
		variant string
		want    bool
	}{{variantAllOn, true}, {variantExample, false}} {
		t.Run(tt.variant, func(t *testing.T) {
			a := buildVariant(t, tt.variant)
			if guardduty.FindingsExported(a.cfg) != tt.want {
				t.Fatalf("exportFindings = %v in %s", a.cfg.Services.GuardDuty.ExportFindings, tt.variant)
			}
			la, sec := a.logArchiveJSON, a.secJSON
			if !tt.want {
				if ids := la.withProp("AWS::S3::Bucket", "BucketName", guardduty.BucketName(a.cfg)); len(ids) != 0 {
					t.Errorf("findings bucket %v without exportFindings", ids)
				}
				if ids := sec.withProp("AWS::KMS::Key", "Description", guardduty.KeyDescription); len(ids) != 0 {
					t.Errorf("findings key %v without exportFindings", ids)
				}
				return
			}
			id, r := la.one(t, "AWS::S3::Bucket", "BucketName", guardduty.BucketName(a.cfg))
			checkBucketBasics(t, a.cfg, id, r)
			logging, _ := props(r)["LoggingConfiguration"].(map[string]any)
			if logging["LogFilePrefix"] != guardduty.AccessLogPrefix {
				t.Errorf("access log prefix = %v", logging["LogFilePrefix"])
			}
			checkBucketPolicy(t, la, guardduty.BucketName(a.cfg), guardduty.BucketPolicy(a.cfg))
			if _, ok := logarchive.AccessLogBucketPolicy(a.cfg).Find("S3ServerAccessLogsGuardDutyBucket"); !ok {
				t.Error("the access-log bucket does not admit the findings bucket's logs")
			}
			keyID, key := sec.one(t, "AWS::KMS::Key", "Description", guardduty.KeyDescription)
			checkEqual(t, "findings key policy", props(key)["KeyPolicy"], guardduty.KeyPolicy(a.cfg).Map())
			checkRetained(t, keyID, key)
			_, alias := sec.one(t, "AWS::KMS::Alias", "AliasName", guardduty.KeyAlias)
			if got := ref(props(alias)["TargetKeyId"]); got != keyID {
				t.Errorf("alias %s targets %v, want %s", guardduty.KeyAlias, props(alias)["TargetKeyId"], keyID)
			}
		})
	}
}

// TestHomeRegionShapeWaits pins the home-region shape with a Poll
// (Security Hub's central configuration): a Map over the org-targets
// result's homeRegions, its item given every region of the run, and the
// Poll's loop inside, whose next call keeps those regions.
func TestHomeRegionShapeWaits(t *testing.T) {
	a := build(t)
	states, _ := definition(t, a)["States"].(map[string]any)
	m, _ := states["SecurityHubCentralInHomeRegion"].(map[string]any)
	if m["Type"] != "Map" || m["ItemsPath"] != "$.results.orgTargets.homeRegions" || m["ResultPath"] != "$.results.securityHubCentral" {
		t.Fatalf("SecurityHubCentralInHomeRegion: %v", m)
	}
	sel, _ := m["ItemSelector"].(map[string]any)
	if sel["regions.$"] != "$.results.orgTargets.regions" || sel["region.$"] != "$$.Map.Item.Value" {
		t.Errorf("item selector %v", sel)
	}
	proc, _ := m["ItemProcessor"].(map[string]any)
	inner, _ := proc["States"].(map[string]any)
	again, _ := inner["SecurityHubCentralAgain"].(map[string]any)
	params, _ := again["Parameters"].(map[string]any)
	if params["regions.$"] != "$.regions" || params["previous.$"] != "$.result" {
		t.Errorf("the next call's item %v", params)
	}
	if _, ok := inner["SecurityHubCentralWait"]; !ok {
		t.Errorf("no Wait state in %v", inner)
	}
}

// specsOf returns the specs of steps, in order.
func specsOf(steps []step.Step) []workflow.StepSpec {
	out := make([]workflow.StepSpec, len(steps))
	for i, s := range steps {
		out[i] = s.Spec
	}
	return out
}

// TestOptionStepsOnlyWhenNeeded: the steps of Security Hub's local
// configuration and Detective's invitation mode are in the state machine
// only when the configuration chooses them; the example's leaves them out.
func TestOptionStepsOnlyWhenNeeded(t *testing.T) {
	optional := []string{"securityhub-local", "securityhub-standards", "detective-accept"}
	for variant, want := range map[string]bool{variantExample: false, variantSecurityManaged: true} {
		a := buildVariant(t, variant)
		b, err := json.Marshal(definition(t, a))
		if err != nil {
			t.Fatal(err)
		}
		def := string(b)
		for _, name := range optional {
			has := a.management.Baseline().Function(name) != nil
			if has != want {
				t.Errorf("%s: the function of %s is there: %v, want %v", variant, name, has, want)
			}
			spec, err := registry.Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			if inDef := strings.Contains(def, `"`+spec.Spec.State); inDef != want {
				t.Errorf("%s: the state machine has %s: %v, want %v", variant, spec.Spec.State, inDef, want)
			}
		}
	}
}
