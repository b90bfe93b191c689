package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgbaseline/orgbaseline/shared/settings"
)

func TestDisableUsageErrorsCallNothing(t *testing.T) {
	calls := countingEndpoint(t)
	bad := writeFile(t, "homeRegion: nowhere\n")
	example := filepath.Join("..", "..", "..", "orgbaseline.example.yaml")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"disable"}, "orgbaseline disable SERVICE [--plan]"},
		{[]string{"disable", "--plan"}, "orgbaseline disable SERVICE [--plan]"},
		{[]string{"disable", "gaurdduty"}, `unknown service "gaurdduty"; did you mean guardduty?`},
		{[]string{"disable", "securtyhub", "--plan"}, "did you mean securityhub?"},
		{[]string{"disable", "everything"}, `unknown service "everything"`},
		{[]string{"disable", "guardduty", "--config", bad}, `homeRegion "nowhere"`},
		{[]string{"disable", "guardduty", "--config", example, "--output", "xml"}, `--output "xml"`},
		{[]string{"disable", "guardduty", "--config", example, "--paln"}, "-paln"},
		{[]string{"disable", "guardduty", "--config", example, "extra"}, `unexpected argument "extra"`},
		{[]string{"disabel"}, "did you mean disable?"},
	}
	for _, tt := range cases {
		code, _, stderr := runCLI(t, tt.args...)
		if code != ExitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr does not mention %q:\n%s", tt.args, code, tt.want, stderr)
		}
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("%d AWS calls were made with bad input", n)
	}
}

func TestEveryServiceHasADisable(t *testing.T) {
	for _, name := range settings.ServiceNames() {
		if _, ok := disablers[name]; !ok {
			t.Errorf("no disable for %s", name)
		}
	}
	for name := range disablers {
		if _, ok := settings.LookupService(name); !ok {
			t.Errorf("disable for %s, which is not a service of the baseline", name)
		}
	}
}

func TestDisableUsageListsEveryService(t *testing.T) {
	_, _, stderr := runCLI(t, "disable")
	for _, name := range settings.ServiceNames() {
		if !strings.Contains(stderr, "\n  "+name+" ") {
			t.Errorf("usage does not list %s:\n%s", name, stderr)
		}
	}
	_, stdout, _ := runCLI(t, "help")
	if !strings.Contains(stdout, "orgbaseline disable SERVICE") {
		t.Errorf("the CLI's usage does not show disable:\n%s", stdout)
	}
}
