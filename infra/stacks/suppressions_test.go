package stacks_test

import (
	"testing"
)

// Suppressions stay few: every cdk-nag suppression and checkov skip of the
// example configuration's templates is counted, and the count may not grow
// past what it is. A new wildcard or skip needs its reason, and this
// number raised with it.
func TestSuppressionsStayFew(t *testing.T) {
	const maxNag, maxCheckov = 20, 30
	a := build(t)
	nag, checkov := 0, 0
	for _, tp := range []template{a.mgmtJSON, a.logArchiveJSON, a.secJSON} {
		for _, r := range tp.resources() {
			md, _ := r.(map[string]any)["Metadata"].(map[string]any)
			if n, ok := md["cdk_nag"].(map[string]any); ok {
				rules, _ := n["rules_to_suppress"].([]any)
				nag += len(rules)
			}
			if c, ok := md["checkov"].(map[string]any); ok {
				skips, _ := c["skip"].([]any)
				checkov += len(skips)
			}
		}
	}
	if nag > maxNag || checkov > maxCheckov {
		t.Errorf("%d cdk-nag suppressions (at most %d) and %d checkov skips (at most %d)", nag, maxNag, checkov, maxCheckov)
	}
	t.Logf("%d cdk-nag suppressions, %d checkov skips", nag, checkov)
}
