package settings

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func withScope(scope string) string {
	return valid + "scope: " + scope + "\n"
}

func TestScopeLoadsAndRoundTrips(t *testing.T) {
	c, err := Load("t.yaml", strings.NewReader(withScope(`{excludeAccounts: ["444444444444"], excludeOUs: [ou-ab12-cd34ef56]}`)))
	if err != nil {
		t.Fatal(err)
	}
	want := Scope{ExcludeAccounts: []string{"444444444444"}, ExcludeOUs: []string{"ou-ab12-cd34ef56"}}
	if !reflect.DeepEqual(c.Scope, want) || !c.Scope.Any() || !c.Scope.ExcludesAccount("444444444444") || c.Scope.ExcludesAccount("555555555555") {
		t.Errorf("scope: got %+v", c.Scope)
	}
	s, err := c.Encode()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode("env", s)
	if err != nil || !reflect.DeepEqual(back, c) {
		t.Errorf("round trip: %+v, %v", back.Scope, err)
	}
}

// The digest identifies the deployed configuration: the scope is part of
// it, and a configuration without one (or with empty lists) digests as it
// did before the setting existed (no "scope" key in the encoding).
func TestScopeIsPartOfTheDigest(t *testing.T) {
	digest := func(src string) (string, string) {
		t.Helper()
		c, err := Load("t.yaml", strings.NewReader(src))
		if err != nil {
			t.Fatal(err)
		}
		enc, err := c.Encode()
		if err != nil {
			t.Fatal(err)
		}
		d, err := c.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d, enc
	}
	none, enc := digest(valid)
	if strings.Contains(enc, `"scope"`) {
		t.Errorf("a configuration without a scope encodes one: %s", enc)
	}
	if empty, _ := digest(withScope(`{excludeAccounts: [], excludeOUs: []}`)); empty != none {
		t.Error("an empty scope changes the digest")
	}
	byAccount, _ := digest(withScope(`{excludeAccounts: ["444444444444"]}`))
	byOU, _ := digest(withScope(`{excludeOUs: [ou-ab12-cd34ef56]}`))
	if byAccount == none || byOU == none || byAccount == byOU {
		t.Errorf("the digest does not tell the scopes apart: %s %s %s", none, byAccount, byOU)
	}
}

func TestScopeProblems(t *testing.T) {
	for _, tt := range []struct{ scope, want string }{
		{`{excludeAccounts: ["12345"]}`, `scope.excludeAccounts[0] "12345": an account ID is 12 digits`},
		{`{excludeAccounts: ["111111111111"]}`, `scope.excludeAccounts[0] "111111111111" cannot be excluded: it is the management account (accounts.management)`},
		{`{excludeAccounts: ["222222222222"]}`, `scope.excludeAccounts[0] "222222222222" cannot be excluded: it is the security account (accounts.security)`},
		{`{excludeAccounts: ["444444444444", "333333333333"]}`, `scope.excludeAccounts[1] "333333333333" cannot be excluded: it is the log-archive account (accounts.logArchive)`},
		{`{excludeAccounts: ["444444444444", "444444444444"]}`, `scope.excludeAccounts[1] "444444444444" is listed twice`},
		{`{excludeOUs: [r-ab12]}`, `scope.excludeOUs[0] "r-ab12" is not an organizational unit ID (ou-xxxx-xxxxxxxx); a root cannot be excluded`},
		{`{excludeOUs: ["444444444444"]}`, `scope.excludeOUs[0] "444444444444" is not an organizational unit ID`},
		{`{excludeOUs: [ou-ab12-cd34ef56, ou-ab12-cd34ef56]}`, `scope.excludeOUs[1] "ou-ab12-cd34ef56" is listed twice`},
	} {
		_, err := Load("t.yaml", strings.NewReader(withScope(tt.scope)))
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: want a problem %q, got %v", tt.scope, tt.want, err)
		}
	}
}

func TestScopeOUIsNoSecurityHubTarget(t *testing.T) {
	src := valid + "services: {securityhub: {targets: [ou-ab12-cd34ef56]}}\nscope: {excludeOUs: [ou-ab12-cd34ef56]}\n"
	_, err := Load("t.yaml", strings.NewReader(src))
	if err == nil || !strings.Contains(err.Error(), `scope.excludeOUs[0] "ou-ab12-cd34ef56" is also in services.securityhub.targets`) {
		t.Errorf("want the OU refused, got %v", err)
	}
}

// The organization-wide parts that cover every account say so with a
// scope, and only with one.
func TestScopeWarning(t *testing.T) {
	none, err := Load("t.yaml", strings.NewReader(valid))
	if err != nil {
		t.Fatal(err)
	}
	scoped, err := Load("t.yaml", strings.NewReader(withScope(`{excludeAccounts: ["444444444444"], excludeOUs: [ou-ab12-cd34ef56]}`)))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{ServiceCloudTrail, ServiceConfig, ServiceAccessAnalyzer, ServiceHealth} {
		if w := none.ScopeWarning(s); w != "" {
			t.Errorf("%s without a scope: %q", s, w)
		}
		if w := scoped.ScopeWarning(s); !strings.HasPrefix(w, s+": ") || !strings.HasSuffix(w, "; scope excludes 1 accounts and 1 OUs") {
			t.Errorf("%s: %q", s, w)
		}
	}
	for _, s := range []string{ServiceGuardDuty, ServiceSecurityHub, ServiceDetective} {
		if w := scoped.ScopeWarning(s); w != "" {
			t.Errorf("%s excludes the accounts itself, but warns: %q", s, w)
		}
	}
}
