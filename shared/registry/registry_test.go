package registry

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// root is the repository's top folder, from this package's folder.
const root = "../.."

// stepRef is a step as Go source names it: the package's import path and
// the variable's name.
type stepRef struct{ path, name string }

// imports maps each import's local name to its path.
func imports(f *ast.File) map[string]string {
	m := map[string]string{}
	for _, s := range f.Imports {
		p, _ := strconv.Unquote(s.Path.Value)
		name := filepath.Base(p)
		if s.Name != nil {
			name = s.Name.Name
		}
		m[name] = p
	}
	return m
}

// ref resolves e, an expression such as guardduty.OrgStep, in f.
func ref(t *testing.T, f *ast.File, e ast.Expr) stepRef {
	t.Helper()
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		t.Fatalf("%T is not pkg.Step", e)
	}
	pkg, ok := sel.X.(*ast.Ident)
	if !ok {
		t.Fatalf("%T is not a package name", sel.X)
	}
	return stepRef{imports(f)[pkg.Name], sel.Sel.Name}
}

// registered returns the source of All's elements, in order.
func registered(t *testing.T) []stepRef { t.Helper(); return listed(t, "All") }

// listed returns the source of the elements of the registry's list called
// name (All or Events), in order.
func listed(t *testing.T, name string) []stepRef {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "registry.go", nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var refs []stepRef
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || vs.Names[0].Name != name {
			return true
		}
		for _, el := range vs.Values[0].(*ast.CompositeLit).Elts {
			refs = append(refs, ref(t, f, el))
		}
		return false
	})
	return refs
}

// runs returns the step functions/<dir>/main.go passes to lambdamain.Run.
func runs(t *testing.T, dir string) stepRef { t.Helper(); return runsWith(t, dir, "Run") }

// runsWith returns what functions/<dir>/main.go passes to lambdamain's
// function called fn (Run for a step, RunEvent for an event Lambda).
func runsWith(t *testing.T, dir, fn string) stepRef {
	t.Helper()
	path := filepath.Join(root, "functions", dir, "main.go")
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var found []stepRef
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == fn {
			if x, ok := sel.X.(*ast.Ident); ok && imports(f)[x.Name] == "github.com/orgbaseline/orgbaseline/shared/lambdamain" && len(call.Args) == 1 {
				found = append(found, ref(t, f, call.Args[0]))
			}
		}
		return true
	})
	if len(found) != 1 {
		t.Fatalf("%s: expect one lambdamain.%s(pkg.Value) call, found %d", path, fn, len(found))
	}
	return found[0]
}

// TestFunctionsMatchRegistry ties the lists together: every step of All has
// a functions/<name> folder whose main runs that very step, every event
// Lambda of Events one whose main runs that very function, and every folder
// there is one or the other.
func TestFunctionsMatchRegistry(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	refs := registered(t)
	if len(refs) != len(All) {
		t.Fatalf("registry.go lists %d steps, All has %d", len(refs), len(All))
	}
	var names []string
	for i, s := range All {
		name := s.Spec.Name
		if slices.Contains(names, name) {
			t.Errorf("step %q is listed twice", name)
		}
		names = append(names, name)
		if !slices.Contains(dirs, name) {
			t.Errorf("step %q has no functions/%s folder", name, name)
			continue
		}
		if got := runs(t, name); got != refs[i] {
			t.Errorf("functions/%s/main.go runs %s.%s, the registry lists %s.%s", name, got.path, got.name, refs[i].path, refs[i].name)
		}
	}
	events := listed(t, "Events")
	if len(events) != len(Events) {
		t.Fatalf("registry.go lists %d event functions, Events has %d", len(events), len(Events))
	}
	for i, f := range Events {
		if f.Name == "" || f.Description == "" {
			t.Errorf("event function %d: Name and Description are required", i)
			continue
		}
		if slices.Contains(names, f.Name) {
			t.Errorf("event function %q has the name of a step or of another event function", f.Name)
		}
		names = append(names, f.Name)
		if !slices.Contains(dirs, f.Name) {
			t.Errorf("event function %q has no functions/%s folder", f.Name, f.Name)
			continue
		}
		if got := runsWith(t, f.Name, "RunEvent"); got != events[i] {
			t.Errorf("functions/%s/main.go runs %s.%s, the registry lists %s.%s", f.Name, got.path, got.name, events[i].path, events[i].name)
		}
		if got, err := LookupEvent(f.Name); err != nil || got.Name != f.Name {
			t.Errorf("LookupEvent(%q) = %v, %v", f.Name, got.Name, err)
		}
	}
	for _, d := range dirs {
		if !slices.Contains(names, d) {
			t.Errorf("functions/%s is neither a step nor an event function of the registry", d)
		}
	}
}

// TestSpecsAreComplete checks what the state machine and infra derive from
// each spec: the names are set and unique, and every step builds a handler
// the Lambda runtime can start (a function of a context and one input).
func TestSpecsAreComplete(t *testing.T) {
	seen := map[string]string{}
	d := step.Deps{AWS: aws.Config{Region: "eu-west-1"}, Accounts: awsclient.NewAccounts(aws.Config{Region: "eu-west-1"}, "111111111111", "role", "test")}
	for _, s := range All {
		sp := s.Spec
		for what, v := range map[string]string{"Name": sp.Name, "State": sp.State, "ResultKey": sp.ResultKey, "Description": sp.Description} {
			if v == "" {
				t.Errorf("step %q: %s is empty", sp.Name, what)
				continue
			}
			if other, ok := seen[what+"="+v]; ok && what != "Description" {
				t.Errorf("steps %q and %q share %s %q", other, sp.Name, what, v)
			}
			seen[what+"="+v] = sp.Name
		}
		if sp.Shape == workflow.ShapeEachAccount && (sp.MaxConcurrency == 0 || sp.RegionConcurrency == 0) {
			t.Errorf("step %q fans out over accounts and regions without both concurrencies", sp.Name)
		}
		h := reflect.TypeOf(s.Handler(d))
		ctx := reflect.TypeOf((*context.Context)(nil)).Elem()
		if h.Kind() != reflect.Func || h.NumIn() != 2 || h.In(0) != ctx || h.NumOut() != 2 {
			t.Errorf("step %q: handler %v is not func(context.Context, In) (Out, error)", sp.Name, h)
			continue
		}
		// The state machine gives a fanned-out step, and one that takes
		// the run's accounts, a workflow.Item.
		if (sp.Shape != workflow.ShapeOnce || sp.TakesAccounts) && h.In(1) != reflect.TypeOf(workflow.Item{}) {
			t.Errorf("step %q is given a workflow.Item but its handler takes %v", sp.Name, h.In(1))
		}
	}
}

func TestLookup(t *testing.T) {
	s, err := Lookup("config-rules")
	if err != nil || s.Spec.State != "ConfigRules" {
		t.Errorf("Lookup(config-rules) = %+v, %v", s.Spec, err)
	}
	if _, err := Lookup("macie"); err == nil {
		t.Error("Lookup(macie) found a step")
	}
}

// The run's length: even counting every invocation at its timeout, the
// steps fit in the state machine's timeout at 5,000 accounts x 17 regions
// (org-targets refuses larger runs before any change, see
// workflow.RunBound).
func TestRunFitsTheTimeoutAtFiveThousandAccounts(t *testing.T) {
	bound := workflow.RunBound(workflow.Paces(Specs()), 5000, 17, false)
	if bound > workflow.ExecutionTimeout {
		t.Errorf("a run at 5,000 accounts x 17 regions may take %v, over the timeout of %v", bound, workflow.ExecutionTimeout)
	}
	t.Logf("upper bound at 5,000 x 17: %v", bound)
	// An onboarding run (one account, every region) waits for the
	// account's execution role too.
	one := workflow.RunBound(workflow.Paces(Specs()), 1, 17, true)
	if one > workflow.ExecutionTimeout || one <= workflow.RunBound(workflow.Paces(Specs()), 1, 17, false) {
		t.Errorf("an onboarding run's bound %v: want the role's wait in it, and within %v", one, workflow.ExecutionTimeout)
	}
	t.Logf("upper bound of an onboarding run: %v", one)
}

// TestStateFitsAtFiveThousandAccounts: every result the state keeps, at its
// bound (workflow.StateResultBytes), with 5,000 accounts' IDs and 17
// regions, fits in Step Functions' 256 KiB. A new region fan-out that does
// not fit needs a smaller bound, or its results written to S3 as the
// Distributed Maps over accounts do.
func TestStateFitsAtFiveThousandAccounts(t *testing.T) {
	const input = 2 << 10 // the execution input without an accounts filter
	n := workflow.StateBound(Specs(), 5000, 17, input)
	if n > workflow.MaxPayloadBytes {
		t.Errorf("the state at 5,000 accounts x 17 regions may reach %d bytes, over %d", n, workflow.MaxPayloadBytes)
	}
	results := 0
	for _, s := range Specs() {
		results += s.StateResults(17)
	}
	t.Logf("at most %d bytes: %d results of %d bytes kept in the state", n, results, workflow.StateResultBytes)
}

// grantVariants are configurations that change the steps' grants.
var grantVariants = map[string]string{
	"defaults": "",
	"everything on": `
services:
  cloudtrail: {delegatedAdmin: true, manageFrom: security, insights: true, cloudWatchLogs: {enabled: true}}
  guardduty: {exportFindings: true, features: {ebsMalwareProtection: true}}
  config:
    conformancePacks:
      - {name: ops, templateS3Uri: "s3://templates-{region}/ops.yaml"}
`,
	"no organization ID": "services: {cloudtrail: {enabled: false}, config: {enabled: false}}\n",
	"security hub local": "services: {securityhub: {configuration: local}}\n",
}

func variant(t *testing.T, extra string) settings.Config {
	t.Helper()
	base := `
accounts: {management: "111111111111", security: "222222222222", logArchive: "333333333333"}
homeRegion: eu-west-1
regions: [eu-west-1, us-east-1]
`
	if !strings.Contains(extra, "enabled: false") {
		base += "organizationId: o-abcdef1234\n"
	}
	c, err := settings.Load("variant.yaml", strings.NewReader(base+extra))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Every step has grants, and under every variant they are sound
// (step.GrantProblems): a Sid on each Lambda statement, a reason for each
// wildcard, session policies within AssumeRole's limit. A step that works
// only in the management account has no session grants, and one that
// works elsewhere may assume the execution role there.
func TestEveryStepHasSoundGrants(t *testing.T) {
	for name, extra := range grantVariants {
		c := variant(t, extra)
		for _, s := range All {
			g, ok := s.Grants(c)
			if !ok {
				t.Errorf("%s: step %s has no grants", name, s.Spec.Name)
				continue
			}
			for _, p := range step.GrantProblems(g, c) {
				t.Errorf("%s: step %s: %s", name, s.Spec.Name, p)
			}
			session := len(g.Security) + len(g.LogArchive) + len(g.Members)
			if s.Spec.Reach == workflow.ReachNone && session > 0 {
				t.Errorf("%s: step %s has session grants but no reach", name, s.Spec.Name)
			}
			if len(g.Members) > 0 && s.Spec.Reach != workflow.ReachOrganization {
				t.Errorf("%s: step %s has member grants but reaches %q", name, s.Spec.Name, s.Spec.Reach)
			}
			if len(g.LogArchive) > 0 && s.Spec.Reach != workflow.ReachOrganization && s.Spec.Reach != workflow.ReachSecurityAndLogArchive {
				t.Errorf("%s: step %s has log-archive grants but reaches %q", name, s.Spec.Name, s.Spec.Reach)
			}
		}
	}
}

// TestForLeavesOutOptionSteps: the example configuration's state machine
// has no step of Security Hub's local configuration or Detective's
// invitation mode; a configuration that chooses them has all steps.
func TestForLeavesOutOptionSteps(t *testing.T) {
	c, err := settings.LoadFile(filepath.Join(root, "orgbaseline.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	names := func(steps []step.Step) []string {
		var out []string
		for _, s := range steps {
			out = append(out, s.Spec.Name)
		}
		return out
	}
	got := names(For(c))
	for _, opt := range []string{"securityhub-local", "securityhub-standards", "detective-accept"} {
		if slices.Contains(got, opt) {
			t.Errorf("the example's steps include %s", opt)
		}
	}
	if len(got) != len(All)-3 {
		t.Errorf("the example's steps: %v", got)
	}
	on := true
	c.Services.Detective.Enabled = &on
	c.Services.Detective.Mode = settings.DetectiveInvitation
	c.Services.SecurityHub.Configuration = settings.SecurityHubLocal
	if got := names(For(c)); !slices.Equal(got, names(All)) {
		t.Errorf("with both options: %v, want every step", got)
	}
}
