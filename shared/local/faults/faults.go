// Package faults is a fault layer between the AWS SDK and the emulator, for
// the fault-injection runs (cmd/bench -faults and its test): an API option
// that, inside the SDK's retry loop, makes a share of the calls fail as AWS
// calls fail — throttled, a server error, the response lost after the call
// was applied — and every call in one account's sessions denied. The step
// processes of a counted run (sdkcount.Counted) take it from EnvFaults.
package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"sync"
	"sync/atomic"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// EnvFaults carries a Spec, as JSON, to the step processes.
const EnvFaults = "ORGBASELINE_FAULTS"

// Spec says which faults to inject: the share (0 to 1) of attempts that are
// throttled, that meet a server error, and of mutating attempts whose
// response is lost after the call was applied; and the account whose
// sessions are denied every call.
type Spec struct {
	Throttle     float64 `json:"throttle,omitempty"`
	ServerError  float64 `json:"serverError,omitempty"`
	LostResponse float64 `json:"lostResponse,omitempty"`
	DenyAccount  string  `json:"denyAccount,omitempty"`
	// Seed seeds the draws; each process adds its own ID to it.
	Seed uint64 `json:"seed,omitempty"`
}

// FromEnv reads the Spec of EnvFaults, and whether there is one.
func FromEnv() (Spec, bool, error) {
	v := os.Getenv(EnvFaults)
	if v == "" {
		return Spec{}, false, nil
	}
	var s Spec
	if err := json.Unmarshal([]byte(v), &s); err != nil {
		return Spec{}, false, fmt.Errorf("%s: %w", EnvFaults, err)
	}
	return s, true, nil
}

// Injected counts the faults a Layer injected, by kind.
type Injected struct {
	Throttled, ServerErrors, LostResponses, Denied atomic.Int64
}

// Layer injects the faults of a Spec.
type Layer struct {
	spec Spec
	// accountOf returns the account a call is made in, "" for the step's
	// own; mutating tells an operation that changes something; onFault
	// sees each fault injected (its kind and the operation).
	accountOf func(context.Context) string
	mutating  func(op string) bool
	onFault   func(kind, op string)
	mu        sync.Mutex
	rng       *rand.Rand
	Injected  Injected
}

// Kinds of faults, as onFault names them.
const (
	KindThrottled    = "throttled"
	KindServerError  = "server error"
	KindLostResponse = "lost response"
	KindDenied       = "denied"
)

// New returns the Layer of spec.
func New(spec Spec, accountOf func(context.Context) string, mutating func(string) bool, onFault func(kind, op string)) *Layer {
	if onFault == nil {
		onFault = func(string, string) {}
	}
	return &Layer{spec: spec, accountOf: accountOf, mutating: mutating, onFault: onFault,
		rng: rand.New(rand.NewPCG(spec.Seed, uint64(os.Getpid())))}
}

func (l *Layer) draw(p float64) bool {
	if p <= 0 {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rng.Float64() < p
}

// Option is the API option that injects the faults into every attempt of
// the calls made through the configuration it is added to: after the SDK's
// retry middleware, so that each retried attempt draws again and the SDK
// retries what AWS's errors would make it retry.
func (l *Layer) Option() func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("faultLayer", l.handle), "Retry", middleware.After)
	}
}

func (l *Layer) handle(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	op := awsmiddleware.GetOperationName(ctx)
	if a := l.spec.DenyAccount; a != "" && l.accountOf(ctx) == a {
		l.Injected.Denied.Add(1)
		l.onFault(KindDenied, op)
		return middleware.FinalizeOutput{}, middleware.Metadata{}, &smithy.GenericAPIError{
			Code: "AccessDeniedException", Message: "fault: not authorized to perform " + op + " in account " + a, Fault: smithy.FaultClient}
	}
	switch {
	case l.draw(l.spec.Throttle):
		l.Injected.Throttled.Add(1)
		l.onFault(KindThrottled, op)
		return middleware.FinalizeOutput{}, middleware.Metadata{}, &smithy.GenericAPIError{
			Code: "ThrottlingException", Message: "fault: Rate exceeded", Fault: smithy.FaultClient}
	case l.draw(l.spec.ServerError):
		l.Injected.ServerErrors.Add(1)
		l.onFault(KindServerError, op)
		return middleware.FinalizeOutput{}, middleware.Metadata{}, &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: http.StatusServiceUnavailable, Header: http.Header{}}},
			Err:      &smithy.GenericAPIError{Code: "ServiceUnavailable", Message: "fault: service unavailable", Fault: smithy.FaultServer},
		}}
	}
	out, md, err := next.HandleFinalize(ctx, in)
	if err == nil && l.mutating(op) && l.draw(l.spec.LostResponse) {
		// The call was applied; its answer never arrives.
		l.Injected.LostResponses.Add(1)
		l.onFault(KindLostResponse, op)
		return middleware.FinalizeOutput{}, md, &smithyhttp.RequestSendError{Err: fmt.Errorf("fault: the response to %s was lost after the call was applied", op)}
	}
	return out, md, err
}
