package notify

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/orgbaseline/orgbaseline/shared/eventbus"
	"github.com/orgbaseline/orgbaseline/shared/local/localbus"
	"github.com/orgbaseline/orgbaseline/shared/local/mototest"
	"github.com/orgbaseline/orgbaseline/shared/settings"
)

var srv *mototest.Server

func TestMain(m *testing.M) { mototest.Main(m, func(s *mototest.Server) { srv = s }) }

// TestFindingPatterns puts the finding rules' patterns on the emulator's
// EventBridge (moto's matcher) and the published samples, at several
// severities, on its bus.
func TestFindingPatterns(t *testing.T) {
	cfg, _ := srv.SeedT(t)
	bus := localbus.New(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	hub := string(sample(t, "securityhub-findings-imported-iam4-fsbp.json"))
	hubHigh := strings.NewReplacer(`"Label": "INFORMATIONAL"`, `"Label": "HIGH"`, `"Status": "RESOLVED"`, `"Status": "NEW"`).Replace(hub)
	if hubHigh == hub {
		t.Fatal("the Security Hub sample has changed: no label or workflow status to set")
	}
	// moto's matcher does not look into an array of objects (its
	// _flatten_dict stops at lists), where EventBridge matches a field of
	// any element: Security Hub's patterns, whose fields are inside
	// detail.findings[], are checked here with the one finding as
	// detail.findings' object, which EventBridge matches the same way.
	hub, hubHigh = oneFinding(t, hub), oneFinding(t, hubHigh)
	gd := func(sev float64) []byte { return guardDutyEvent(t, sev) }
	for _, tc := range []struct {
		name    string
		pattern eventbus.Pattern
		events  [][]byte
		want    []bool
	}{
		{name: "GuardDuty from 7.0", pattern: GuardDutyPattern(settings.DefaultSeverityThreshold),
			events: [][]byte{guardDutyEvent(t, nil), gd(5), gd(6.9), gd(7), gd(8.9), gd(9), gd(10), []byte(hubHigh)},
			want:   []bool{false, false, false, true, true, true, true, false}},
		{name: "GuardDuty from 4.0", pattern: GuardDutyPattern(4),
			events: [][]byte{gd(3.9), gd(4), gd(8)},
			want:   []bool{false, true, true}},
		{name: "Security Hub CRITICAL and HIGH", pattern: SecurityHubPattern([]string{"CRITICAL", "HIGH"}),
			events: [][]byte{[]byte(hub), []byte(hubHigh), gd(9)},
			want:   []bool{false, true, false}},
		{name: "AWS Health", pattern: HealthPattern(),
			events: [][]byte{sample(t, "health-event-public-ec2-operational-issue.json"), sample(t, "health-event-ec2-instance-store-drive-performance-degraded.json"), gd(9)},
			want:   []bool{true, true, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "orgbaseline-" + strings.NewReplacer(" ", "-", ".", "-").Replace(tc.name)
			got, err := bus.Match(ctx, name, name, tc.pattern, tc.events)
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("event %d: matched %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// oneFinding replaces a Security Hub event's findings array of one
// finding by the finding itself (see TestFindingPatterns).
func oneFinding(t *testing.T, event string) string {
	t.Helper()
	var e map[string]any
	if err := json.Unmarshal([]byte(event), &e); err != nil {
		t.Fatal(err)
	}
	d := e["detail"].(map[string]any)
	fs := d["findings"].([]any)
	if len(fs) != 1 {
		t.Fatalf("%d findings, want 1", len(fs))
	}
	d["findings"] = fs[0]
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
