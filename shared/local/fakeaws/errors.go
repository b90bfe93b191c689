package fakeaws

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// apiError is an error answer: its HTTP status, its code (the exception's
// name) and message, and, for restJson1, further members of the body.
type apiError struct {
	status  int
	code    string
	message string
	extra   map[string]any
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func newError(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// with adds a member to the error's body.
func (e *apiError) with(key string, value any) *apiError {
	if e.extra == nil {
		e.extra = map[string]any{}
	}
	e.extra[key] = value
	return e
}

// Content types of the two protocols.
const (
	contentTypeJSON11   = "application/x-amz-json-1.1"
	contentTypeRESTJSON = "application/json"
)

// writeJSON11Error answers with an error in the awsJson1_1 protocol: the
// code in the body's __type and in the X-Amzn-ErrorType header (the SDK
// reads the header first).
func writeJSON11Error(w http.ResponseWriter, e *apiError) {
	w.Header().Set("X-Amzn-ErrorType", e.code)
	writeJSON(w, contentTypeJSON11, e.status, map[string]any{"__type": e.code, "message": e.message})
}

// writeRESTError answers with an error in the restJson1 protocol: the code
// in the X-Amzn-ErrorType header, the message and the error's members in
// the body.
func writeRESTError(w http.ResponseWriter, e *apiError) {
	body := map[string]any{"message": e.message}
	for k, v := range e.extra {
		body[k] = v
	}
	w.Header().Set("X-Amzn-ErrorType", e.code)
	writeJSON(w, contentTypeRESTJSON, e.status, body)
}

func writeJSON(w http.ResponseWriter, contentType string, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"message":"cannot encode the answer"}`)
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	w.Write(b)
}
