// Package eventbus reads EventBridge events: the envelope every event has,
// the errors a decoder reports (a malformed event, one its rule would not
// match), and the event pattern type the rules carry. The onboarding and
// the notification decoders build on it.
package eventbus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Envelope is the part of an EventBridge event every rule reads ("Amazon
// EventBridge events", EventBridge User Guide: the top-level fields).
type Envelope struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// DecodeError is a malformed event: what is wrong, and where.
type DecodeError struct {
	// Field is the JSON path of the field ("detail.severity"), "" for the
	// event as a whole.
	Field  string
	Reason string
}

func (e *DecodeError) Error() string {
	if e.Field == "" {
		return "malformed event: " + e.Reason
	}
	return fmt.Sprintf("malformed event: %s: %s", e.Field, e.Reason)
}

// NotMatchedError is a well-formed event that the decoder's rules would
// not match: another source or detail-type, or, e.g., an account creation
// that FAILED.
type NotMatchedError struct {
	Source, DetailType string
	// Reason says why, e.g. "not a GuardDuty finding".
	Reason string
}

func (e *NotMatchedError) Error() string {
	return fmt.Sprintf("event from %q with detail-type %q: %s", e.Source, e.DetailType, e.Reason)
}

// Pattern is an EventBridge event pattern ("Amazon EventBridge event
// patterns", EventBridge User Guide), as the CDK stacks put it on a rule
// and the local run on the emulator's.
type Pattern map[string]any

// MaxEventBytes is the largest event the decoders read: EventBridge's
// PutEvents entries are at most 256 KB ("Amazon EventBridge quotas").
const MaxEventBytes = 256 * 1024

// DecodeEnvelope reads an event's envelope and checks the fields every
// event has.
func DecodeEnvelope(b []byte) (Envelope, error) {
	var env Envelope
	if len(b) > MaxEventBytes {
		return env, &DecodeError{Reason: fmt.Sprintf("%d bytes, more than an EventBridge event's %d", len(b), MaxEventBytes)}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&env); err != nil {
		return env, JSONError("", err)
	}
	if dec.More() {
		return env, &DecodeError{Reason: "more than one JSON value"}
	}
	switch {
	case env.Source == "":
		return env, &DecodeError{Field: "source", Reason: "missing"}
	case env.DetailType == "":
		return env, &DecodeError{Field: "detail-type", Reason: "missing"}
	case len(env.Detail) == 0 || string(env.Detail) == "null":
		return env, &DecodeError{Field: "detail", Reason: "missing"}
	case env.Detail[0] != '{':
		return env, &DecodeError{Field: "detail", Reason: "not an object"}
	}
	if env.Time != "" {
		if _, err := time.Parse(time.RFC3339, env.Time); err != nil {
			return env, &DecodeError{Field: "time", Reason: fmt.Sprintf("%q is not an RFC 3339 time", env.Time)}
		}
	}
	return env, nil
}

// JSONError names the field a JSON decoding error is about.
func JSONError(prefix string, err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if prefix != "" && field != "" {
			field = prefix + "." + field
		} else if prefix != "" {
			field = prefix
		}
		return &DecodeError{Field: field, Reason: fmt.Sprintf("a JSON %s, want a %s", typeErr.Value, typeName(typeErr.Type.Kind().String()))}
	case errors.As(err, &syntaxErr):
		return &DecodeError{Field: prefix, Reason: fmt.Sprintf("not valid JSON at byte %d: %v", syntaxErr.Offset, err)}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &DecodeError{Field: prefix, Reason: "truncated JSON"}
	case errors.Is(err, io.EOF):
		return &DecodeError{Field: prefix, Reason: "empty"}
	}
	return &DecodeError{Field: prefix, Reason: err.Error()}
}

func typeName(kind string) string {
	switch kind {
	case "float64", "float32", "int", "int64":
		return "number"
	case "struct", "map":
		return "object"
	case "slice":
		return "list"
	}
	return kind
}
