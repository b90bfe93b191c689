package onboard

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/orgbaseline/orgbaseline/shared/eventbus"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

const (
	management = "111111111111"
	newAccount = "444455556666"
)

func sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// envelope wraps a published CloudTrail record, whose source gives the
// record only (events/SOURCES.md), in the EventBridge envelope it arrives
// in: the record is the event's detail.
func envelope(t testing.TB, source, detailType string, record []byte) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"version": "0", "id": "6f3c1b1e-0000-4000-8000-000000000001", "detail-type": detailType,
		"source": source, "account": management, "time": "2020-09-16T21:20:54Z", "region": "us-east-1", "resources": []string{},
		"detail": json.RawMessage(record)})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withAccount replaces the published placeholder account ID, which is not
// 12 digits, by a real-looking one.
func withAccount(b []byte, placeholder, id string) []byte {
	return []byte(strings.ReplaceAll(string(b), `"`+placeholder+`"`, `"`+id+`"`))
}

func TestDecodeSamples(t *testing.T) {
	createResult := envelope(t, sourceOrganizations, detailTypeServiceCall, sample(t, "organizations-create-account-result-succeeded-cloudtrail-record.json"))
	// The published InviteAccountToOrganization record's handshake, as the
	// AcceptHandshake response carries it once accepted (no AcceptHandshake
	// record is published: events/SOURCES.md).
	var invite struct {
		ResponseElements map[string]map[string]any `json:"responseElements"`
	}
	if err := json.Unmarshal(sample(t, "organizations-invite-account-to-organization-api-call-cloudtrail-record.json"), &invite); err != nil {
		t.Fatal(err)
	}
	invite.ResponseElements["handshake"]["state"] = "ACCEPTED"
	acceptRecord, _ := json.Marshal(map[string]any{"eventSource": "organizations.amazonaws.com", "eventName": "AcceptHandshake", "responseElements": invite.ResponseElements})
	// AccountJoinedOrganization's fields are not documented: a constructed
	// record that names the account once.
	joinedRecord := []byte(`{"eventSource":"organizations.amazonaws.com","eventName":"AccountJoinedOrganization","serviceEventDetails":{"accountJoinedOrganization":{"accountId":"222222222222","joinedMethod":"INVITED"}}}`)

	for _, tc := range []struct {
		name  string
		event []byte
		want  Request
	}{
		{name: "CreateAccountResult", event: createResult,
			want: Request{Trigger: TriggerCreateAccount, Account: newAccount, EventID: "6f3c1b1e-0000-4000-8000-000000000001"}},
		{name: "Control Tower create", event: withAccount(sample(t, "controltower-create-managed-account.json"), "XXXXXXXXXXXX", newAccount),
			want: Request{Trigger: TriggerCTCreate, Account: newAccount, EventID: "999cccaa-eaaa-0000-1111-123456789012"}},
		{name: "Control Tower update", event: sample(t, "controltower-update-managed-account.json"),
			want: Request{Trigger: TriggerCTUpdate, Account: "624281831893", EventID: "999cccaa-eaaa-0000-1111-123456789012"}},
		{name: "region opt-in of a member", event: sample(t, "account-region-opt-in-status-change-enabled.json"),
			want: Request{Trigger: TriggerRegionOptIn, Account: "123456789012", Region: "ap-east-1", EventID: "11112222-3333-4444-5555-666677778888"}},
		{name: "accepted invitation", event: envelope(t, sourceOrganizations, detailTypeAPICall, acceptRecord),
			want: Request{Trigger: TriggerAccept, Account: "222222222222", EventID: "6f3c1b1e-0000-4000-8000-000000000001"}},
		{name: "account joined", event: envelope(t, sourceOrganizations, detailTypeServiceCall, joinedRecord),
			want: Request{Trigger: TriggerJoined, Account: "222222222222", EventID: "6f3c1b1e-0000-4000-8000-000000000001"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(tc.event, management)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}

	// The management account's own opt-in: the region in every account.
	own := []byte(strings.ReplaceAll(string(sample(t, "account-region-opt-in-status-change-enabled.json")), "123456789012", management))
	got, err := Decode(own, management)
	if err != nil || !got.AllAccounts || got.Account != "" || got.Region != "ap-east-1" {
		t.Errorf("the management account's opt-in: %+v, %v", got, err)
	}
}

// TestDecodeRefuses: what starts nothing says why; a malformed event names
// its field.
func TestDecodeRefuses(t *testing.T) {
	created := string(envelope(t, sourceOrganizations, detailTypeServiceCall, sample(t, "organizations-create-account-result-succeeded-cloudtrail-record.json")))
	optIn := string(sample(t, "account-region-opt-in-status-change-enabled.json"))
	replace := func(s, old, new string) []byte {
		if !strings.Contains(s, old) {
			t.Fatalf("no %q to replace", old)
		}
		return []byte(strings.Replace(s, old, new, 1))
	}
	for _, tc := range []struct {
		name       string
		event      []byte
		field      string
		notMatched bool
	}{
		{name: "creation FAILED", event: replace(created, `"state":"SUCCEEDED"`, `"state":"FAILED"`), notMatched: true},
		{name: "the CreateAccount call", event: envelope(t, sourceOrganizations, detailTypeAPICall, sample(t, "organizations-create-account-api-call-cloudtrail-record.json")), notMatched: true},
		{name: "an invitation sent", event: envelope(t, sourceOrganizations, detailTypeAPICall, sample(t, "organizations-invite-account-to-organization-api-call-cloudtrail-record.json")), notMatched: true},
		{name: "region disabled", event: replace(optIn, `"status": "ENABLED"`, `"status": "DISABLED"`), notMatched: true},
		{name: "GuardDuty finding", event: []byte(`{"source":"aws.guardduty","detail-type":"GuardDuty Finding","detail":{}}`), notMatched: true},
		{name: "failed call", event: envelope(t, sourceOrganizations, detailTypeAPICall, []byte(`{"eventName":"AcceptHandshake","errorCode":"AccessDenied"}`)), notMatched: true},
		{name: "placeholder account", event: sample(t, "controltower-create-managed-account.json"), field: "detail.serviceEventDetails.createManagedAccountStatus.account.accountId"},
		{name: "no status", event: replace(created, `"createAccountStatus"`, `"other"`), field: "detail.serviceEventDetails.createAccountStatus"},
		{name: "account a number", event: replace(created, `"accountId":"444455556666"`, `"accountId":444455556666`), field: "detail.serviceEventDetails.createAccountStatus.accountId"},
		{name: "bad region", event: replace(optIn, `"ap-east-1"`, `"../etc"`), field: "detail.regionName"},
		{name: "truncated", event: []byte(created[:len(created)-20]), field: ""},
		{name: "joined without account", event: envelope(t, sourceOrganizations, detailTypeServiceCall, []byte(`{"eventName":"AccountJoinedOrganization","serviceEventDetails":{}}`)), field: "detail.serviceEventDetails"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.event, management)
			var de *eventbus.DecodeError
			var nm *eventbus.NotMatchedError
			switch {
			case tc.notMatched && !errors.As(err, &nm):
				t.Errorf("err %v, want NotMatchedError", err)
			case !tc.notMatched && !errors.As(err, &de):
				t.Errorf("err %v, want DecodeError", err)
			case !tc.notMatched && de.Field != tc.field:
				t.Errorf("err %v: field %q, want %q", err, de.Field, tc.field)
			}
		})
	}
}

func TestExecutionName(t *testing.T) {
	req := Request{Trigger: TriggerCreateAccount, Account: newAccount, EventID: "6f3c1b1e-0000-4000-8000-000000000001"}
	if n := ExecutionName(req, "x"); n != "onboard-444455556666-6f3c1b1e-0000-4000-8000-000000000001" || n != ExecutionName(req, "y") {
		t.Errorf("name %q: the same event must give the same name", n)
	}
	long := Request{AllAccounts: true, Region: "ap-southeast-5", EventID: strings.Repeat("a:b/", 40)}
	n := ExecutionName(long, "")
	if len(n) > MaxExecutionName || unsafeName.MatchString(n) || !strings.HasPrefix(n, "onboard-all-ap-southeast-5-a_b_") {
		t.Errorf("name %q", n)
	}
	if m := ExecutionName(Request{Account: newAccount}, "20261130T150405Z"); m != "onboard-444455556666-manual-20261130T150405Z" {
		t.Errorf("manual name %q", m)
	}
}

// FuzzDecode: no input makes Decode panic; what decodes names a 12-digit
// account or every account, and a valid execution name.
func FuzzDecode(f *testing.F) {
	f.Add(envelope(f, sourceOrganizations, detailTypeServiceCall, sample(f, "organizations-create-account-result-succeeded-cloudtrail-record.json")))
	f.Add(sample(f, "controltower-update-managed-account.json"))
	f.Add(sample(f, "account-region-opt-in-status-change-enabled.json"))
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := Decode(b, management)
		if err != nil {
			return
		}
		if !req.AllAccounts && !accountID.MatchString(req.Account) {
			t.Errorf("decoded account %q", req.Account)
		}
		if n := ExecutionName(req, "s"); n == "" || len(n) > MaxExecutionName || unsafeName.MatchString(n) {
			t.Errorf("execution name %q", n)
		}
	})
}

type fakeSFN struct {
	inputs []*sfn.StartExecutionInput
	names  map[string]bool
}

func (f *fakeSFN) StartExecution(_ context.Context, in *sfn.StartExecutionInput, _ ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	f.inputs = append(f.inputs, in)
	if f.names[aws.ToString(in.Name)] {
		return nil, &sfntypes.ExecutionAlreadyExists{Message: aws.String("Execution Already Exists")}
	}
	f.names[aws.ToString(in.Name)] = true
	return &sfn.StartExecutionOutput{ExecutionArn: aws.String("arn:aws:states:us-east-1:111111111111:execution:orgbaseline:" + aws.ToString(in.Name))}, nil
}

// TestStart: an event starts one execution for its account; the same event
// again starts nothing (its name is taken); what no rule matches, and a
// region outside the configuration, start nothing and say why; a
// malformed event is an error.
func TestStart(t *testing.T) {
	f := &fakeSFN{names: map[string]bool{}}
	cfg := settings.Config{Accounts: settings.Accounts{Management: management}, Regions: settings.Regions{Names: []string{"us-east-1", "ap-east-1"}}}
	s := Starter{SFN: f, StateMachineARN: "arn:aws:states:us-east-1:111111111111:stateMachine:orgbaseline", Settings: cfg}
	created := envelope(t, sourceOrganizations, detailTypeServiceCall, sample(t, "organizations-create-account-result-succeeded-cloudtrail-record.json"))

	got, err := s.Start(context.Background(), created)
	if err != nil || got.Duplicate || got.ExecutionARN == "" || got.Name != "onboard-444455556666-6f3c1b1e-0000-4000-8000-000000000001" {
		t.Fatalf("first delivery: %+v, %v", got, err)
	}
	var in workflow.Input
	if err := json.Unmarshal([]byte(aws.ToString(f.inputs[0].Input)), &in); err != nil {
		t.Fatal(err)
	}
	if in.Mode != workflow.ModeApply || !slices.Equal(in.Accounts, []string{newAccount}) || in.Regions != nil ||
		in.Onboarding == nil || in.Onboarding.Trigger != TriggerCreateAccount || in.Onboarding.EventID == "" {
		t.Errorf("input %+v", in)
	}
	again, err := s.Start(context.Background(), created)
	if err != nil || !again.Duplicate || again.ExecutionARN != "" {
		t.Errorf("second delivery: %+v, %v", again, err)
	}

	failed := []byte(strings.Replace(string(created), `"state":"SUCCEEDED"`, `"state":"FAILED"`, 1))
	if got, err := s.Start(context.Background(), failed); err != nil || got.Skipped == "" || got.Name != "" {
		t.Errorf("FAILED creation: %+v, %v", got, err)
	}
	optIn := []byte(strings.ReplaceAll(string(sample(t, "account-region-opt-in-status-change-enabled.json")), "ap-east-1", "ap-south-2"))
	if got, err := s.Start(context.Background(), optIn); err != nil || !strings.Contains(got.Skipped, "region ap-south-2 is not among the configuration's regions") {
		t.Errorf("opt-in of a region outside the configuration: %+v, %v", got, err)
	}
	var de *eventbus.DecodeError
	if _, err := s.Start(context.Background(), created[:40]); !errors.As(err, &de) {
		t.Errorf("truncated event: %v, want a DecodeError", err)
	}
	if len(f.inputs) != 2 {
		t.Errorf("%d StartExecution calls, want 2 (the event and its duplicate)", len(f.inputs))
	}
}

// An account the scope excludes by ID is not onboarded: no execution
// starts, and the result says why. Another account starts its run as
// before.
func TestStartSkipsAnExcludedAccount(t *testing.T) {
	f := &fakeSFN{names: map[string]bool{}}
	cfg := settings.Config{Accounts: settings.Accounts{Management: management}, Regions: settings.Regions{Names: []string{"us-east-1"}},
		Scope: settings.Scope{ExcludeAccounts: []string{newAccount}}}
	s := Starter{SFN: f, StateMachineARN: "arn:aws:states:us-east-1:111111111111:stateMachine:orgbaseline", Settings: cfg}
	created := envelope(t, sourceOrganizations, detailTypeServiceCall, sample(t, "organizations-create-account-result-succeeded-cloudtrail-record.json"))
	got, err := s.Start(context.Background(), created)
	if err != nil || got.Name != "" || got.ExecutionARN != "" || got.Skipped != "account "+newAccount+" is excluded by scope (scope.excludeAccounts): not onboarded" {
		t.Fatalf("excluded account: %+v, %v", got, err)
	}
	if len(f.inputs) != 0 {
		t.Errorf("StartExecution calls: %d", len(f.inputs))
	}
	s.Settings.Scope.ExcludeAccounts = []string{"999999999999"}
	if got, err := s.Start(context.Background(), created); err != nil || got.ExecutionARN == "" {
		t.Errorf("another account excluded: %+v, %v", got, err)
	}
}
