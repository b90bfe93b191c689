package onboard

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/orgbaseline/orgbaseline/shared/eventbus"
	"github.com/orgbaseline/orgbaseline/shared/local/localbus"
	"github.com/orgbaseline/orgbaseline/shared/local/mototest"
)

var srv *mototest.Server

func TestMain(m *testing.M) { mototest.Main(m, func(s *mototest.Server) { srv = s }) }

// TestRulePatterns puts each onboarding rule's pattern on the emulator's
// EventBridge (moto's matcher: the EventBridge-compatible one at hand) and
// the published samples, with counter-examples made from them, on its bus:
// each rule matches its events and nothing else, and every event a rule
// matches decodes into a Request.
func TestRulePatterns(t *testing.T) {
	cfg, _ := srv.SeedT(t)
	bus := localbus.New(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	created := string(envelope(t, sourceOrganizations, detailTypeServiceCall, sample(t, "organizations-create-account-result-succeeded-cloudtrail-record.json")))
	ctCreate := string(withAccount(sample(t, "controltower-create-managed-account.json"), "XXXXXXXXXXXX", newAccount))
	optIn := string(sample(t, "account-region-opt-in-status-change-enabled.json"))
	accept := string(envelope(t, sourceOrganizations, detailTypeAPICall, []byte(`{"eventSource":"organizations.amazonaws.com","eventName":"AcceptHandshake","responseElements":{"handshake":{"action":"invite","state":"ACCEPTED","parties":[{"type":"ORGANIZATION","id":"o-aa111bb222"},{"type":"ACCOUNT","id":"222222222222"}]}}}`)))
	events := []struct {
		name, event string
		rule        string // the rule that matches it, "" for none
	}{
		{"CreateAccountResult SUCCEEDED", created, "NewAccount"},
		{"CreateAccountResult FAILED", strings.Replace(created, `"state":"SUCCEEDED"`, `"state":"FAILED"`, 1), ""},
		{"the CreateAccount call", string(envelope(t, sourceOrganizations, detailTypeAPICall, sample(t, "organizations-create-account-api-call-cloudtrail-record.json"))), ""},
		{"an invitation sent", string(envelope(t, sourceOrganizations, detailTypeAPICall, sample(t, "organizations-invite-account-to-organization-api-call-cloudtrail-record.json"))), ""},
		{"AcceptHandshake", accept, "AccountJoined"},
		{"AcceptHandshake refused", strings.Replace(accept, `"eventName":"AcceptHandshake"`, `"eventName":"AcceptHandshake","errorCode":"AccessDenied"`, 1), ""},
		{"AccountJoinedOrganization", string(envelope(t, sourceOrganizations, detailTypeServiceCall, []byte(`{"eventSource":"organizations.amazonaws.com","eventName":"AccountJoinedOrganization","serviceEventDetails":{"account":{"accountId":"222222222222"}}}`))), "AccountJoined"},
		{"Control Tower CreateManagedAccount", ctCreate, "ControlTowerCreated"},
		{"Control Tower CreateManagedAccount FAILED", strings.Replace(ctCreate, `"state": "SUCCEEDED"`, `"state": "FAILED"`, 1), ""},
		{"Control Tower UpdateManagedAccount", string(sample(t, "controltower-update-managed-account.json")), "ControlTowerUpdated"},
		{"region opt-in ENABLED", optIn, "RegionEnabled"},
		{"region opt-in DISABLED", strings.Replace(optIn, `"status": "ENABLED"`, `"status": "DISABLED"`, 1), ""},
		{"GuardDuty finding", `{"version":"0","id":"1","source":"aws.guardduty","detail-type":"GuardDuty Finding","account":"111111111111","time":"2020-09-16T21:20:54Z","region":"us-east-1","resources":[],"detail":{"severity":8}}`, ""},
	}
	raw := make([][]byte, len(events))
	for i, e := range events {
		raw[i] = []byte(e.event)
	}
	for i, r := range Rules() {
		matched, err := bus.Match(ctx, fmt.Sprintf("onboard-test-%d", i), "orgbaseline-"+r.ID, r.Pattern, raw)
		if err != nil {
			t.Fatalf("%s: %v", r.ID, err)
		}
		for j, e := range events {
			if want := e.rule == r.ID; matched[j] != want {
				t.Errorf("rule %s, event %q: matched %v, want %v", r.ID, e.name, matched[j], want)
			}
			if matched[j] {
				if _, err := Decode(raw[j], management); err != nil {
					t.Errorf("rule %s matches %q, which does not decode: %v", r.ID, e.name, err)
				}
			}
		}
	}
	// What no rule matches starts nothing, when given by hand.
	for j, e := range events {
		if e.rule != "" {
			continue
		}
		_, err := Decode(raw[j], management)
		var nm *eventbus.NotMatchedError
		if !errors.As(err, &nm) {
			t.Errorf("%q, which no rule matches, decodes with %v; want NotMatchedError", e.name, err)
		}
	}
}

// TestRunPatterns puts the operations topic's rules' patterns on the
// emulator's EventBridge with the published status change samples
// (FAILED, TIMED_OUT) and variants of them: the failed-run rule matches the
// baseline's runs that failed, timed out or were aborted, and nothing
// else; the run-ended rule matches the baseline's onboarding and
// re-converge runs that succeeded, and nothing else.
func TestRunPatterns(t *testing.T) {
	cfg, _ := srv.SeedT(t)
	bus := localbus.New(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const machine = "arn:aws:states:us-east-1:012345678912:stateMachine:state-machine"
	failed := string(sample(t, "stepfunctions-execution-status-change-failed.json"))
	status := func(name, st string) []byte {
		return []byte(strings.NewReplacer(`"name": "execution-name"`, `"name": "`+name+`"`, `"status": "FAILED"`, `"status": "`+st+`"`).Replace(failed))
	}
	events := [][]byte{
		[]byte(failed), // 0: FAILED
		sample(t, "stepfunctions-execution-status-change-timed-out.json"), // 1: TIMED_OUT
		status("execution-name", "ABORTED"),                               // 2
		status("onboard-444455556666-e", "SUCCEEDED"),                     // 3
		status("reconverge-e", "SUCCEEDED"),                               // 4
		status("orgbaseline-apply-x", "SUCCEEDED"),                        // 5: an operator's run
		status("onboard-444455556666-e", "RUNNING"),                       // 6
		[]byte(strings.Replace(string(status("onboard-444455556666-e", "SUCCEEDED")), machine, machine+"-other", 1)), // 7: another state machine
	}
	for _, tc := range []struct {
		name    string
		pattern eventbus.Pattern
		want    []bool
	}{
		{"failed runs", ExecutionFailedPattern(machine), []bool{true, true, true, false, false, false, false, false}},
		{"runs ended", RunEndedPattern(machine), []bool{false, false, false, true, true, false, false, false}},
	} {
		name := "orgbaseline-runs-" + strings.ReplaceAll(tc.name, " ", "-")
		got, err := bus.Match(ctx, name, name, tc.pattern, events)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s, event %d: matched %v, want %v", tc.name, i, got[i], tc.want[i])
			}
		}
	}
}
