package registry

import (
	"os/exec"
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
