// Package events holds published AWS sample events (see SOURCES.md). The
// onboarding and finding rules are tested against them.
package events

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every sample is valid JSON and SOURCES.md says where it came from.
func TestSamplesHaveSources(t *testing.T) {
	sources, err := os.ReadFile("SOURCES.md")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(b) {
			t.Errorf("%s is not valid JSON", f)
		}
		if !strings.Contains(string(sources), "### "+f) {
			t.Errorf("%s has no entry in SOURCES.md", f)
		}
	}
}
