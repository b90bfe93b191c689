package localsfn

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestATaskAfterADistributedMapIsGivenWhatAWSGivesIt(t *testing.T) {
	def := json.RawMessage(`{"StartAt":"A","States":{
		"A":{"Type":"Map","ResultPath":"$.results.each","ResultWriter":{"Resource":"arn:aws:states:::s3:putObject"},
			"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"T","States":{"T":{"Type":"Task","End":true}}},"Next":"B"},
		"R":{"Type":"Map","ResultPath":"$.results.regions","ItemProcessor":{"ProcessorConfig":{"Mode":"INLINE"},"StartAt":"U","States":{"U":{"Type":"Task","End":true}}},"Next":"B"},
		"B":{"Type":"Task","End":true}}}`)
	paths := writerPaths([]json.RawMessage{def})
	if len(paths) != 1 || !slices.Equal(paths[0], []string{"results", "each"}) {
		t.Fatalf("paths %v: want only the Distributed Map's", paths)
	}
	big := `"` + strings.Repeat("x", 300<<10) + `"`
	inline := []byte(`{"mode":"apply","results":{"each":[` + big + `]}}`)
	if n := inputBytes(inline, paths); n > MaxPayloadBytes {
		t.Errorf("a task after the Distributed Map: %d bytes, want what AWS counts, the reference (under %d)", n, MaxPayloadBytes)
	}
	elsewhere := []byte(`{"mode":"apply","results":{"regions":[` + big + `]}}`)
	if n := inputBytes(elsewhere, paths); n <= MaxPayloadBytes {
		t.Errorf("results an inline Map keeps in the state count whole: %d bytes", n)
	}
}

func TestWaitOverridesReachNestedWaits(t *testing.T) {
	def := json.RawMessage(`{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":15,"Next":"T"},"T":{"Type":"Task","End":true}}},"Next":"W2"},"W2":{"Type":"Wait","Seconds":30,"End":true}}}`)
	got := waitOverrides(def, 100)
	if len(got) != 2 || got["W"] != 100 || got["W2"] != 100 {
		t.Errorf("overrides %v", got)
	}
	if len(waitOverrides(def, 0)) != 0 {
		t.Error("0 ms must leave the waits alone")
	}
}
