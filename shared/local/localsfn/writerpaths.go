package localsfn

import (
	"encoding/json"
	"regexp"
	"strings"
)

// plainPath is a ResultPath of plain keys ($.a.b).
var plainPath = regexp.MustCompile(`^\$(\.[A-Za-z0-9_]+)+$`)

// writerPaths returns the ResultPath, as keys, of every Distributed Map with
// a ResultWriter in the state machine definitions, at any depth. On AWS such
// a Map puts a reference to its results at its ResultPath
// (ResultWriterOutput); the local interpreter keeps the results there.
func writerPaths(defs []json.RawMessage) [][]string {
	var out [][]string
	type state struct {
		Type          string          `json:"Type"`
		ResultPath    string          `json:"ResultPath"`
		ResultWriter  json.RawMessage `json:"ResultWriter"`
		ItemProcessor *struct {
			ProcessorConfig struct {
				Mode string `json:"Mode"`
			} `json:"ProcessorConfig"`
			States map[string]json.RawMessage `json:"States"`
		} `json:"ItemProcessor"`
	}
	var walk func(states map[string]json.RawMessage)
	walk = func(states map[string]json.RawMessage) {
		for _, raw := range states {
			var s state
			if json.Unmarshal(raw, &s) != nil || s.ItemProcessor == nil {
				continue
			}
			if s.Type == "Map" && s.ItemProcessor.ProcessorConfig.Mode == "DISTRIBUTED" && len(s.ResultWriter) > 0 && plainPath.MatchString(s.ResultPath) {
				out = append(out, strings.Split(strings.TrimPrefix(s.ResultPath, "$."), "."))
			}
			walk(s.ItemProcessor.States)
		}
	}
	for _, d := range defs {
		var def struct {
			States map[string]json.RawMessage `json:"States"`
		}
		if json.Unmarshal(d, &def) == nil {
			walk(def.States)
		}
	}
	return out
}

// inputBytes is the size of a task's input as Step Functions counts it: the
// results a Distributed Map with a ResultWriter left inline in it (at one of
// paths) count as the reference AWS puts in their place.
func inputBytes(payload []byte, paths [][]string) int {
	n := len(payload)
	var v any
	if len(paths) == 0 || json.Unmarshal(payload, &v) != nil {
		return n
	}
	for _, p := range paths {
		cur := v
		for _, k := range p {
			m, ok := cur.(map[string]any)
			if !ok {
				cur = nil
				break
			}
			cur = m[k]
		}
		if arr, ok := cur.([]any); ok {
			b, _ := json.Marshal(arr)
			n += len(ResultWriterOutput) - len(b)
		}
	}
	return n
}

// waitOverrides returns ms for every Wait state of the definition, at any
// depth; none when ms is 0.
func waitOverrides(def json.RawMessage, ms int) map[string]int {
	out := map[string]int{}
	if ms <= 0 {
		return out
	}
	type state struct {
		Type          string `json:"Type"`
		ItemProcessor *struct {
			States map[string]json.RawMessage `json:"States"`
		} `json:"ItemProcessor"`
	}
	var walk func(states map[string]json.RawMessage)
	walk = func(states map[string]json.RawMessage) {
		for name, raw := range states {
			var s state
			if json.Unmarshal(raw, &s) != nil {
				continue
			}
			if s.Type == "Wait" {
				out[name] = ms
			}
			if s.ItemProcessor != nil {
				walk(s.ItemProcessor.States)
			}
		}
	}
	var d struct {
		States map[string]json.RawMessage `json:"States"`
	}
	if json.Unmarshal(def, &d) == nil {
		walk(d.States)
	}
	return out
}
