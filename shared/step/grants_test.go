package step

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/orgbaseline/orgbaseline/shared/settings"
)

func grantsConfig(t *testing.T) settings.Config {
	t.Helper()
	c, err := settings.LoadFile("../../orgbaseline.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A session's policy holds the grants of its account: the members' in
// every account, the security and log-archive accounts' own in theirs; a
// session with no grant may do nothing.
func TestSessionPolicyPerAccount(t *testing.T) {
	c := grantsConfig(t)
	g := Grants{
		Members:    []Grant{{Actions: []string{"cloudtrail:DescribeTrails"}, Why: "no resource type"}},
		Security:   []Grant{{Actions: []string{"kms:DescribeKey"}, Resources: []string{"arn:aws:kms:eu-west-1:222222222222:key/*"}}},
		LogArchive: []Grant{{Actions: []string{"s3:GetBucketPolicy"}, Resources: []string{"arn:aws:s3:::b"}}},
	}
	actions := func(account string) []string { return sessionActions(t, g, c, account) }
	for account, want := range map[string]string{
		"444444444444":        "Allow cloudtrail:DescribeTrails",
		c.Accounts.Security:   "Allow cloudtrail:DescribeTrails,Allow kms:DescribeKey",
		c.Accounts.LogArchive: "Allow cloudtrail:DescribeTrails,Allow s3:GetBucketPolicy",
	} {
		if got := strings.Join(actions(account), ","); got != want {
			t.Errorf("%s: %s, want %s", account, got, want)
		}
	}
	if got := strings.Join(sessionActions(t, Grants{}, c, "444444444444"), ","); got != "Deny *" {
		t.Errorf("no grant: %s", got)
	}
}

// sessionActions returns "Effect Action" of each statement of g's session
// policy in account; a statement keeps no Sid.
func sessionActions(t *testing.T, g Grants, c settings.Config, account string) []string {
	t.Helper()
	var doc struct{ Statement []map[string]any }
	if err := json.Unmarshal([]byte(g.SessionPolicy(c, account)), &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, st := range doc.Statement {
		if sid, ok := st["Sid"]; ok && sid != "" {
			t.Errorf("a session statement keeps its Sid: %v", st)
		}
		out = append(out, st["Effect"].(string)+" "+st["Action"].(string))
	}
	return out
}

func TestGrantProblems(t *testing.T) {
	c := grantsConfig(t)
	long := make([]string, 200)
	for i := range long {
		long[i] = "config:DescribeConfigurationRecorderStatus"
	}
	g := Grants{
		Lambda:  []Grant{{Sid: "A", Actions: []string{"s3:GetObject"}}, {Sid: "A", Actions: []string{"s3:PutObject"}, Resources: []string{"arn:aws:s3:::b/key"}}, {Actions: []string{"x:Y"}, Resources: []string{"r"}}},
		Members: []Grant{{Actions: long, Why: "none"}, {}},
	}
	got := strings.Join(GrantProblems(g, c), "\n")
	for _, want := range []string{"a wildcard resource without the reason", "Sid used twice", "no Sid", "no action", "over 2048"} {
		if !strings.Contains(got, want) {
			t.Errorf("problems do not say %q:\n%s", want, got)
		}
	}
	if p := GrantProblems(Grants{Lambda: []Grant{{Sid: "Ok", Actions: []string{"organizations:ListAccounts"}, Why: "no resource type"}}}, c); len(p) != 0 {
		t.Errorf("a sound grant: %v", p)
	}
}
