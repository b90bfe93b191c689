package notify

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/orgbaseline/orgbaseline/shared/eventbus"
)

// samples is the project's folder of published sample events.
const samples = "../../events"

func sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(samples, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// guardDutyEvent wraps the published GuardDuty finding, whose source gives
// its detail only (events/SOURCES.md), in an EventBridge envelope, with
// its severity set to sev (nil keeps the published one).
func guardDutyEvent(t testing.TB, sev any) []byte {
	t.Helper()
	var d struct {
		Detail map[string]any `json:"detail"`
	}
	if err := json.Unmarshal(sample(t, "guardduty-finding-low-ssh-bruteforce-sample-detail-only.json"), &d); err != nil {
		t.Fatal(err)
	}
	if sev != nil {
		d.Detail["severity"] = sev
	}
	b, err := json.Marshal(map[string]any{
		"version": "0", "id": "c8c4daa7-a20c-2f03-0070-b7393dd542ad", "detail-type": GuardDutyDetailType,
		"source": GuardDutySource, "account": "123456789012", "time": "2018-05-11T14:56:40Z",
		"region": "us-east-1", "resources": []string{}, "detail": d.Detail,
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGuardDutySample: the published finding reads as a LOW
// UnauthorizedAccess:EC2/SSHBruteForce against i-99999999, and formats
// into a subject SNS accepts, a text body and a chat notification.
func TestGuardDutySample(t *testing.T) {
	n, err := DecodeGuardDuty(guardDutyEvent(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Notification{Kind: "GuardDuty", Label: "LOW", Severity: "2.0", Type: "UnauthorizedAccess:EC2/SSHBruteForce",
		Title: "198.51.100.0 is performing SSH brute force attacks against i-99999999.", Account: "123456789012", Region: "us-east-1",
		Resource: "Instance i-99999999", FirstSeen: "2018-05-11T14:56:39.976Z", LastSeen: "2018-05-11T14:56:39.976Z", Count: 1,
		Link: "https://console.aws.amazon.com/guardduty/home?region=us-east-1#/findings?macros=current"}
	n.Description = ""
	if n != want {
		t.Errorf("decoded\n%+v\nwant\n%+v", n, want)
	}
	n, _ = DecodeGuardDuty(guardDutyEvent(t, nil))
	m := Format(n)
	if m.Subject != "[LOW] GuardDuty UnauthorizedAccess:EC2/SSHBruteForce in 123456789012 us-east-1" {
		t.Errorf("subject %q", m.Subject)
	}
	for _, line := range []string{
		"198.51.100.0 is performing SSH brute force attacks against i-99999999.\n\n198.51.100.0 is performing SSH brute force attacks against i-99999999. Brute force attacks",
		"Severity:   LOW (2.0)\n", "Account:    123456789012\n", "Resource:   Instance i-99999999\n",
		"First seen: 2018-05-11T14:56:39.976Z\n", "Count:      1\n",
		"Open in the console: https://console.aws.amazon.com/guardduty/home?region=us-east-1#/findings?macros=current\n",
	} {
		if !strings.Contains(m.Text, line) {
			t.Errorf("text lacks %q:\n%s", line, m.Text)
		}
	}
	var c customNotification
	if err := json.Unmarshal([]byte(m.Chat), &c); err != nil {
		t.Fatalf("chat form: %v", err)
	}
	if c.Version != "1.0" || c.Source != "custom" || c.Content.TextType != "client-markdown" || c.Content.Title != m.Subject ||
		!strings.Contains(c.Content.Description, "*Resource* Instance i-99999999") || c.Metadata.AdditionalContext["severity"] != "LOW" {
		t.Errorf("chat form %+v", c)
	}
	var body map[string]string
	if err := json.Unmarshal([]byte(m.PublishBody()), &body); err != nil || body["default"] != m.Text || body["email"] != m.Text || body["https"] != m.Chat {
		t.Errorf("publish body %v, %v", body, err)
	}
}

// TestGuardDutyLabels: "Severity levels for GuardDuty findings": Low
// 1.0–3.9, Medium 4.0–6.9, High 7.0–8.9, Critical 9.0–10.0.
func TestGuardDutyLabels(t *testing.T) {
	for sev, want := range map[float64]string{1: "LOW", 3.9: "LOW", 4: "MEDIUM", 6.9: "MEDIUM", 7: "HIGH", 8.9: "HIGH", 9: "CRITICAL", 10: "CRITICAL"} {
		n, err := DecodeGuardDuty(guardDutyEvent(t, sev))
		if err != nil {
			t.Fatal(err)
		}
		if n.Label != want || !strings.HasPrefix(Format(n).Subject, "["+want+"] ") {
			t.Errorf("severity %v: label %s, want %s", sev, n.Label, want)
		}
	}
}

func TestSecurityHubSample(t *testing.T) {
	ns, err := DecodeSecurityHub(sample(t, "securityhub-findings-imported-iam4-fsbp.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 1 {
		t.Fatalf("%d notifications, want 1", len(ns))
	}
	n := ns[0]
	if n.Label != "INFORMATIONAL" || n.Type != "IAM.4" || n.Account != "111122223333" || n.Region != "us-west-2" ||
		n.Title != "IAM.4 IAM root user access key should not exist" || n.Resource != "AwsAccount AWS::::Account:111122223333" {
		t.Errorf("decoded %+v", n)
	}
	if s := Format(n).Subject; s != "[INFORMATIONAL] Security Hub IAM.4 in 111122223333 us-west-2" {
		t.Errorf("subject %q", s)
	}
}

func TestHealthSample(t *testing.T) {
	n, err := DecodeHealth(sample(t, "health-event-public-ec2-operational-issue.json"))
	if err != nil {
		t.Fatal(err)
	}
	if n.Label != "ISSUE" || n.Type != "AWS_EC2_OPERATIONAL_ISSUE" || n.Account != "123456789012" || n.Region != "us-east-1" || n.Description == "" {
		t.Errorf("decoded %+v", n)
	}
}

// TestMalformed: every malformed event is a DecodeError naming its field;
// another kind of event is NotMatched; none is a notification.
func TestMalformed(t *testing.T) {
	good := string(guardDutyEvent(t, 8.0))
	replace := func(old, new string) string {
		if !strings.Contains(good, old) {
			t.Fatalf("the event has no %q", old)
		}
		return strings.Replace(good, old, new, 1)
	}
	for _, tc := range []struct {
		name, event, field string
		notMatched         bool
	}{
		{name: "empty", event: "", field: ""},
		{name: "truncated", event: good[:len(good)/2], field: ""},
		{name: "not an object", event: `[1,2]`, field: ""},
		{name: "two values", event: good + good, field: ""},
		{name: "no source", event: replace(`"source":"aws.guardduty",`, ""), field: "source"},
		{name: "detail a string", event: `{"source":"aws.guardduty","detail-type":"GuardDuty Finding","detail":"x"}`, field: "detail"},
		{name: "no detail", event: `{"source":"aws.guardduty","detail-type":"GuardDuty Finding"}`, field: "detail"},
		{name: "severity a string", event: replace(`"severity":8`, `"severity":"8"`), field: "detail.severity"},
		{name: "severity missing", event: replace(`"severity":8,`, ``), field: "detail.severity"},
		{name: "severity out of range", event: replace(`"severity":8`, `"severity":80`), field: "detail.severity"},
		{name: "type missing", event: replace(`"type":"UnauthorizedAccess:EC2/SSHBruteForce"`, `"type":""`), field: "detail.type"},
		{name: "bad time", event: replace(`"time":"2018-05-11T14:56:40Z"`, `"time":"yesterday"`), field: "time"},
		{name: "no account", event: replace(`"account":"123456789012"`, `"account":""`), field: "account"},
		{name: "count a string", event: replace(`"count":1`, `"count":"1"`), field: "detail.service.count"},
		{name: "another source", event: replace(`"source":"aws.guardduty"`, `"source":"aws.securityhub"`), notMatched: true},
		{name: "too big", event: `{"source":"` + strings.Repeat("x", eventbus.MaxEventBytes) + `"}`, field: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeGuardDuty([]byte(tc.event))
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

// TestSubjectBounds: a subject SNS accepts whatever the finding says.
func TestSubjectBounds(t *testing.T) {
	n := Notification{Kind: "GuardDuty", Label: "HIGH", Type: strings.Repeat("é", 80) + "\nline", Account: "123456789012", Region: "us-east-1"}
	s := Format(n).Subject
	if len(s) > MaxSubjectBytes || !utf8.ValidString(s) || strings.ContainsAny(s, "\n\r\t") {
		t.Errorf("subject %q: %d bytes", s, len(s))
	}
}

// FuzzDecode: no input makes a decoder panic, and what decodes formats
// into a subject SNS accepts and a chat form that is JSON.
func FuzzDecode(f *testing.F) {
	f.Add(guardDutyEvent(f, nil))
	f.Add(sample(f, "securityhub-findings-imported-iam4-fsbp.json"))
	f.Add(sample(f, "health-event-public-ec2-operational-issue.json"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var ns []Notification
		if n, err := DecodeGuardDuty(b); err == nil {
			ns = append(ns, n)
		}
		if sh, err := DecodeSecurityHub(b); err == nil {
			ns = append(ns, sh...)
		}
		if n, err := DecodeHealth(b); err == nil {
			ns = append(ns, n)
		}
		for _, n := range ns {
			m := Format(n)
			if len(m.Subject) > MaxSubjectBytes || strings.ContainsAny(m.Subject, "\n\r") {
				t.Errorf("subject %q", m.Subject)
			}
			if !json.Valid([]byte(m.Chat)) || !json.Valid([]byte(m.PublishBody())) {
				t.Errorf("chat form not JSON: %s", m.Chat)
			}
		}
	})
}

type fakeSNS struct{ in []*sns.PublishInput }

func (f *fakeSNS) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	f.in = append(f.in, in)
	return &sns.PublishOutput{MessageId: aws.String("m")}, nil
}

// TestPublisher: a finding is one message with a subject and a message per
// protocol; an event of another kind publishes nothing and says why; a
// malformed one is an error.
func TestPublisher(t *testing.T) {
	f := &fakeSNS{}
	p := Publisher{SNS: f, TopicARN: "arn:aws:sns:us-east-1:222222222222:orgbaseline-findings"}
	got, err := p.Handle(context.Background(), guardDutyEvent(t, 8.0))
	if err != nil || len(got.Messages) != 1 || len(f.in) != 1 {
		t.Fatalf("%+v, %v, %d publishes", got, err, len(f.in))
	}
	in := f.in[0]
	if aws.ToString(in.Subject) != "[HIGH] GuardDuty UnauthorizedAccess:EC2/SSHBruteForce in 123456789012 us-east-1" ||
		aws.ToString(in.MessageStructure) != "json" || aws.ToString(in.TopicArn) != p.TopicARN {
		t.Errorf("publish %+v", in)
	}
	var body map[string]string
	if err := json.Unmarshal([]byte(aws.ToString(in.Message)), &body); err != nil || !strings.Contains(body["email"], "Severity:   HIGH (8.0)") {
		t.Errorf("message %v, %v", body, err)
	}
	other, err := p.Handle(context.Background(), []byte(`{"source":"aws.ec2","detail-type":"EC2 Instance State-change Notification","detail":{}}`))
	if err != nil || other.Skipped == "" || len(f.in) != 1 {
		t.Errorf("another event: %+v, %v", other, err)
	}
	var de *eventbus.DecodeError
	if _, err := p.Handle(context.Background(), []byte(`{"source":"aws.guardduty"`)); !errors.As(err, &de) {
		t.Errorf("truncated: %v", err)
	}
}

// TestGuardDutyResourceByType: the medium sample (an AccessKey finding
// that carries instance details too) names its access key.
func TestGuardDutyResourceByType(t *testing.T) {
	var detail map[string]any
	if err := json.Unmarshal(sample(t, "guardduty-finding-medium-recon-iamuser-maliciousipcaller-custom-sample-detail-only.json"), &detail); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"source": GuardDutySource, "detail-type": GuardDutyDetailType, "detail": detail})
	n, err := DecodeGuardDuty(b)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(n.Resource, "AccessKey ") || strings.Contains(n.Resource, "i-") {
		t.Errorf("resource %q", n.Resource)
	}
	t.Log(n.Resource)
}
