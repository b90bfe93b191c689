package workflow

import (
	"errors"
	"fmt"
	"strings"
)

// The closed set of errors a step handler returns to Step Functions.
//
// A Go Lambda reports the type name of the error value it returns
// (aws-lambda-go takes reflect.TypeOf(err).Elem().Name()), and Step Functions
// matches Retry and Catch entries against that name. Handlers therefore return
// these types at the top level, never wrapped: a wrapped error would be
// reported as "wrapError" and match nothing. The names below are the ones the
// state machine uses; infra imports them so both sides share one spelling.
//
// Do not rename these types: the names are part of the deployed state machine.
const (
	// ErrNameRetryable is matched by Retry with exponential back-off.
	ErrNameRetryable = "RetryableError"
	// ErrNameNotReady is matched by Retry with a longer interval: something the
	// step depends on exists but is not usable yet (a new account's role, a
	// detector being created).
	ErrNameNotReady = "NotReadyError"
	// ErrNameConflict is caught and ends the run as failed: the organization's
	// state contradicts the configuration (a different delegated administrator,
	// an organization without all features) and must not be overwritten.
	ErrNameConflict = "ConflictError"
	// ErrNameTerminal is caught and ends the run as failed: bad input, access
	// denied, or any error retrying cannot fix.
	ErrNameTerminal = "TerminalError"
)

// ErrorNames lists every named error, in the order above.
var ErrorNames = []string{ErrNameRetryable, ErrNameNotReady, ErrNameConflict, ErrNameTerminal}

// RetryableError is a transient failure (throttling, a concurrent
// modification, a 5xx) that the state machine retries with back-off.
type RetryableError struct {
	Op  string // what the step was doing
	Err error  // the underlying error
}

func (e *RetryableError) Error() string { return join(e.Op, e.Err) }

// Unwrap returns the underlying error.
func (e *RetryableError) Unwrap() error { return e.Err }

// NotReadyError means a dependency exists but cannot be used yet; the state
// machine waits and retries.
type NotReadyError struct {
	Op  string
	Err error
}

func (e *NotReadyError) Error() string { return join(e.Op, e.Err) }

// Unwrap returns the underlying error.
func (e *NotReadyError) Unwrap() error { return e.Err }

// Conflict is one contradiction between the organization and the
// configuration.
type Conflict struct {
	Service  string `json:"service"`
	Resource string `json:"resource"`
	Found    string `json:"found"`
	Wanted   string `json:"wanted"`
	Hint     string `json:"hint,omitempty"`
}

func (c Conflict) String() string {
	s := fmt.Sprintf("%s: %s is %s, configuration wants %s", c.Service, c.Resource, c.Found, c.Wanted)
	if c.Hint != "" {
		s += " (" + c.Hint + ")"
	}
	return s
}

// ConflictError reports every conflict a step found. A step that returns it
// has made no change.
type ConflictError struct {
	Conflicts []Conflict
}

func (e *ConflictError) Error() string {
	parts := make([]string, len(e.Conflicts))
	for i, c := range e.Conflicts {
		parts[i] = c.String()
	}
	return "conflict, nothing was changed: " + strings.Join(parts, "; ")
}

// TerminalError is a failure that retrying cannot fix.
type TerminalError struct {
	Op  string
	Err error
}

func (e *TerminalError) Error() string { return join(e.Op, e.Err) }

// Unwrap returns the underlying error.
func (e *TerminalError) Unwrap() error { return e.Err }

func join(op string, err error) string {
	switch {
	case err == nil:
		return op
	case op == "":
		return err.Error()
	default:
		return op + ": " + err.Error()
	}
}

// Named reports whether err is, at the top level, one of the named types.
func Named(err error) bool {
	switch err.(type) {
	case *RetryableError, *NotReadyError, *ConflictError, *TerminalError:
		return true
	}
	return false
}

// Unwrapped returns the first named error in err's chain, so a handler can
// return it at the top level. Errors that carry none become TerminalError.
func Unwrapped(err error) error {
	if err == nil {
		return nil
	}
	var (
		r *RetryableError
		n *NotReadyError
		c *ConflictError
		t *TerminalError
	)
	switch {
	case errors.As(err, &c):
		return c
	case errors.As(err, &t):
		return t
	case errors.As(err, &n):
		return n
	case errors.As(err, &r):
		return r
	}
	return &TerminalError{Err: err}
}
