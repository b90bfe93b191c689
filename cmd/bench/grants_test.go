package main

import (
	"strings"
	"testing"

	"github.com/orgbaseline/orgbaseline/shared/local/sdkcount"
	"github.com/orgbaseline/orgbaseline/shared/settings"
)

func exampleConfig(t *testing.T) settings.Config {
	t.Helper()
	c, err := settings.LoadFile("../../orgbaseline.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// grantProblems fails both ways: a call its step is not granted where it
// is made, and a grant of a call no run makes.
func TestGrantProblemsBothWays(t *testing.T) {
	c := exampleConfig(t)
	calls := []sdkcount.Call{
		// org-targets may list accounts, not create them.
		{Step: "org-targets", Service: "Organizations", Operation: "CreateAccount"},
		// org-trail may read trails in a member account, not create one there.
		{Step: "org-trail", Service: "CloudTrail", Operation: "CreateTrail", Account: "444444444444"},
		// S3's HeadBucket is s3:ListBucket, granted in the log-archive session.
		{Step: "org-trail", Service: "S3", Operation: "HeadBucket", Account: c.Accounts.LogArchive},
		// Needs no grant of the step's own.
		{Step: "org-targets", Service: "STS", Operation: "GetCallerIdentity"},
	}
	got := strings.Join(grantProblems(c, calls), "\n")
	for _, want := range []string{
		"step org-targets calls organizations:CreateAccount in its Lambda role, which is not granted it there",
		"step org-trail calls cloudtrail:CreateTrail in a member account's session, which is not granted it there",
		"step org-targets is granted organizations:ListAccounts, which the runs never call",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems do not say %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "s3:ListBucket in") {
		t.Errorf("HeadBucket is not read as s3:ListBucket:\n%s", got)
	}
	stale := []sdkcount.Call{{Step: "org-targets", Service: "Account", Operation: "ListRegions"}}
	if got := strings.Join(grantProblems(c, stale), "\n"); !strings.Contains(got, "org-targets account:ListRegions is listed as not exercised") {
		t.Errorf("a listed call that is made is not reported:\n%s", got)
	}
}
