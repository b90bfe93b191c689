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
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/orgbaseline/orgbaseline/infra/baseline"
	"github.com/orgbaseline/orgbaseline/infra/stacks"
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
	for _, s := range workflow.Steps {
		if err := writeStub(dir, s.Name); err != nil {
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

// app is the three stacks built from the example configuration, as
// infra/main.go builds them, and their templates.
type app struct {
	cfg                            settings.Config
	management                     stacks.ManagementStack
	logArchive, security           awscdk.Stack
	mgmtTpl, logArchiveTpl, secTpl assertions.Template
	// mgmtJSON is the management template as plain Go values.
	mgmtJSON template
}

var (
	fixtureOnce sync.Once
	fixture     *app
	fixtureErr  string
)

// build returns the shared app, building it on first use.
func build(t *testing.T) *app {
	t.Helper()
	fixtureOnce.Do(func() {
		cfg, err := settings.LoadFile(exampleConfig)
		if err != nil {
			fixtureErr = err.Error()
			return
		}
		fixtureErr = panicMessage(func() {
			a := &app{cfg: cfg}
			root := awscdk.NewApp(nil)
			a.management = stacks.NewManagementStack(root, workflow.ManagementStackName, stackProps(cfg, cfg.Accounts.Management))
			a.logArchive = stacks.NewLogArchiveStack(root, workflow.LogArchiveStackName, stackProps(cfg, cfg.Accounts.LogArchive))
			a.security = stacks.NewSecurityStack(root, workflow.SecurityStackName, stackProps(cfg, cfg.Accounts.Security))
			a.mgmtTpl = assertions.Template_FromStack(a.management, nil)
			a.logArchiveTpl = assertions.Template_FromStack(a.logArchive, nil)
			a.secTpl = assertions.Template_FromStack(a.security, nil)
			a.mgmtJSON = template(*a.mgmtTpl.ToJSON())
			fixture = a
		})
	})
	if fixture == nil {
		t.Fatalf("build the stacks: %s", fixtureErr)
	}
	return fixture
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
	if got, want := len(a.mgmtJSON.ofType("AWS::Lambda::Function")), len(workflow.Steps); got != want {
		t.Errorf("%d Lambda functions, want one per step (%d)", got, want)
	}
	for _, step := range workflow.Steps {
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

func TestStepPermissions(t *testing.T) {
	a := build(t)
	for _, step := range workflow.Steps {
		t.Run(step.Name, func(t *testing.T) {
			fn := props(a.mgmtJSON.resource(t, functionID(t, a, step.Name)))
			roleID := ref(fn["Role"])
			sts := roleStatements(t, a.mgmtJSON, roleID)

			var stepActions, assume []statement
			for _, s := range sts {
				switch s["Sid"] {
				case "StepActions":
					stepActions = append(stepActions, s)
				case "AssumeExecutionRole":
					assume = append(assume, s)
				default:
					// Everything else is logging and tracing only.
					for _, act := range actions(s) {
						if !strings.HasPrefix(act, "logs:") && !strings.HasPrefix(act, "xray:") {
							t.Errorf("role %s also allows %s", roleID, act)
						}
					}
				}
			}

			if len(stepActions) != 1 {
				t.Fatalf("%d StepActions statements, want 1", len(stepActions))
			}
			if got := actions(stepActions[0]); !slices.Equal(got, step.Actions) {
				t.Errorf("step actions = %v, want exactly %v", got, step.Actions)
			}
			if r := stepActions[0]["Resource"]; r != "*" {
				t.Errorf("step actions on %v, want *", r)
			}

			if len(assume) != 1 {
				t.Fatalf("%d AssumeExecutionRole statements, want 1", len(assume))
			}
			s := assume[0]
			if got := actions(s); !slices.Equal(got, []string{"sts:AssumeRole"}) {
				t.Errorf("AssumeExecutionRole actions = %v, want sts:AssumeRole", got)
			}
			if got, want := resolve(t, s["Resource"]), "arn:aws:iam::*:role/"+a.cfg.ExecutionRoleName; got != want {
				t.Errorf("sts:AssumeRole on %s, want %s", got, want)
			}
			wantCond := map[string]any{"StringEquals": map[string]any{"aws:ResourceOrgID": "${aws:PrincipalOrgID}"}}
			if !reflect.DeepEqual(s["Condition"], wantCond) {
				t.Errorf("sts:AssumeRole condition = %v, want %v", s["Condition"], wantCond)
			}

			// Only the Lambda service can assume the role.
			role := props(a.mgmtJSON.resource(t, roleID))
			trust, _ := json.Marshal(role["AssumeRolePolicyDocument"])
			if !strings.Contains(string(trust), `"Service":"lambda.amazonaws.com"`) || strings.Count(string(trust), `"Principal"`) != 1 {
				t.Errorf("role trust policy = %s, want the Lambda service only", trust)
			}
		})
	}
}

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

	if got, want := def["StartAt"], workflow.Steps[0].State; got != want {
		t.Errorf("StartAt = %v, want %s", got, want)
	}
	if got := def["TimeoutSeconds"]; got != 7200.0 {
		t.Errorf("TimeoutSeconds = %v, want 7200", got)
	}
	if got, want := len(states), len(workflow.Steps)+3; got != want {
		t.Errorf("%d states, want one per step and Conflict, Failed, Done (%d)", got, want)
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

	for i, step := range workflow.Steps {
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
			for _, k := range []string{"InputPath", "Parameters", "OutputPath", "ResultSelector"} {
				if v, ok := s[k]; ok {
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
			if i+1 < len(workflow.Steps) {
				next = workflow.Steps[i+1].State
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
			if !slices.ContainsFunc(workflow.Steps, func(st workflow.StepSpec) bool {
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
// infra/main.go does, and wants no unsuppressed error or warning.
func TestCdkNag(t *testing.T) {
	cfg := loadConfig(t)
	var all []awscdk.Stack
	noPanic(t, "build the stacks", func() {
		root := awscdk.NewApp(nil)
		awscdk.Aspects_Of(root).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
		all = []awscdk.Stack{
			stacks.NewManagementStack(root, workflow.ManagementStackName, stackProps(cfg, cfg.Accounts.Management)),
			stacks.NewLogArchiveStack(root, workflow.LogArchiveStackName, stackProps(cfg, cfg.Accounts.LogArchive)),
			stacks.NewSecurityStack(root, workflow.SecurityStackName, stackProps(cfg, cfg.Accounts.Security)),
		}
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
	a := build(t)
	want := map[string][]string{
		"AWS::Lambda::Function": {"CKV_AWS_115", "CKV_AWS_116", "CKV_AWS_117"},
		"AWS::IAM::Policy":      {"CKV_AWS_111"}, // the step policies only
	}
	wantCfnLint := map[string][]string{
		"AWS::Lambda::Function":            {"W3005"},
		"AWS::StepFunctions::StateMachine": {"W3005"},
	}
	tpls := map[string]assertions.Template{
		workflow.ManagementStackName: a.mgmtTpl,
		workflow.LogArchiveStackName: a.logArchiveTpl,
		workflow.SecurityStackName:   a.secTpl,
	}
	for name, tpl := range tpls {
		tp := template(*tpl.ToJSON())
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
			if len(skipped) > 0 && !slices.Equal(skipped, want[typ]) {
				t.Errorf("%s/%s (%s): checkov skips %v, want none or %v", name, id, typ, skipped, want[typ])
			}
			if typ == "AWS::Lambda::Function" && !slices.Equal(skipped, want[typ]) {
				t.Errorf("%s/%s: checkov skips %v, want %v", name, id, skipped, want[typ])
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
}

func TestBaselineAccessors(t *testing.T) {
	a := build(t)
	b := a.management.Baseline()
	if got, want := len(b.Functions()), len(workflow.Steps); got != want {
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
	step := workflow.Steps[0]
	noActions := step
	noActions.Actions = nil
	reserved := step
	reserved.State = baseline.StateDone

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
		{"step without actions", &baseline.BaselineProps{Config: cfg, LambdaDir: lambdaDir, Steps: []workflow.StepSpec{noActions}}, "Actions is empty"},
		{"same step twice", &baseline.BaselineProps{Config: cfg, LambdaDir: lambdaDir, Steps: []workflow.StepSpec{step, step}}, "used by an earlier step"},
		{"reserved state name", &baseline.BaselineProps{Config: cfg, LambdaDir: lambdaDir, Steps: []workflow.StepSpec{reserved}}, "reserved for the end states"},
		{"no steps", &baseline.BaselineProps{Config: cfg, LambdaDir: lambdaDir, Steps: []workflow.StepSpec{}}, "Steps is empty"},
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
