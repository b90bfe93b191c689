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
