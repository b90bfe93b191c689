package registry

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const module = "github.com/orgbaseline/orgbaseline/"

// deps returns every package pkgs link, from go list -deps.
func deps(t *testing.T, pkgs ...string) []string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-deps", "-tags", "lambda.norpc"}, pkgs...)...)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", strings.Join(pkgs, " "), err)
	}
	return strings.Fields(string(out))
}

// TestLocalMachineryStaysLocal proves the layout's boundary: the step
// Lambdas and the CDK app link nothing of the local run, the emulator rig,
// the test fixtures or the operator's CLI; the CDK app does not link the
// Lambda runtime (lambdacontext, a context key the logger reads, is not the
// runtime); and no command links the testing package. A banned name that
// ends in "/" bans the packages under it.
func TestLocalMachineryStaysLocal(t *testing.T) {
	operatorOnly := []string{module + "shared/local/", module + "shared/operator/"}
	check := func(what string, pkgs []string, banned ...string) {
		t.Helper()
		for _, p := range pkgs {
			for _, b := range banned {
				if p == b || strings.HasSuffix(b, "/") && strings.HasPrefix(p, b) {
					t.Errorf("%s link %s", what, p)
				}
			}
		}
	}
	check("the step Lambdas", deps(t, "./functions/..."), operatorOnly...)
	check("the CDK app", deps(t, "./infra/..."), append(operatorOnly, "github.com/aws/aws-lambda-go/lambda", "github.com/aws/aws-lambda-go/lambda/", "testing")...)
	check("the commands", deps(t, "./cmd/..."), "testing")
}

// TestReadmeWhereThingsAre checks the README's "Where things are" table
// against the tree: every path it names exists, and every Go package of the
// repository has its row (functions/<step>/ stands for the step Lambdas).
func TestReadmeWhereThingsAre(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Where things are\n")
	if !ok {
		t.Fatal(`README.md has no "## Where things are" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	listed := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		first := strings.Split(line, "|")[1]
		for _, p := range regexp.MustCompile("`([^`]+)`").FindAllStringSubmatch(first, -1) {
			path := strings.TrimSuffix(p[1], "/")
			listed[path] = true
			if _, err := os.Stat(filepath.Join(root, strings.ReplaceAll(path, "/<step>", ""))); err != nil {
				t.Errorf("the README names %s, which is not in the tree", p[1])
			}
		}
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && rel != "." || d.Name() == "node_modules" || d.Name() == "build" || d.Name() == "testdata" || d.Name() == "cdk.out") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		dir := filepath.ToSlash(filepath.Dir(rel))
		if strings.HasPrefix(dir, "functions/") {
			dir = "functions/<step>"
		}
		if !listed[dir] && dir != "." {
			t.Errorf("package %s/ has no row in the README's \"Where things are\" table", dir)
			listed[dir] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
