package motorig

import (
	"context"
	"strings"
	"sync"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// Recorder records every API call made through the configurations it is
// added to (append Option to aws.Config.APIOptions), as "Service:Operation",
// so a test can check that a re-run made no mutating call.
type Recorder struct {
	mu    sync.Mutex
	calls []string
}

// Option is the API option that records calls.
func (r *Recorder) Option(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("motorigRecorder",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			r.mu.Lock()
			r.calls = append(r.calls, awsmiddleware.GetServiceID(ctx)+":"+awsmiddleware.GetOperationName(ctx))
			r.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

// Reset forgets the calls recorded so far.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = nil
}

// Mutating returns the recorded calls that change something: all but reads
// (Describe*, Get*, List*, Head*) and role assumptions.
func (r *Recorder) Mutating() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return mutating(r.calls)
}

// Take returns the calls recorded since the last Take or Reset — the
// mutating ones, and all — and forgets them.
func (r *Recorder) Take() (mutatingCalls, all []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	all, r.calls = r.calls, nil
	return mutating(all), all
}

func mutating(calls []string) []string {
	var out []string
	for _, c := range calls {
		op := c[strings.Index(c, ":")+1:]
		if op == "AssumeRole" || strings.HasPrefix(op, "Describe") || strings.HasPrefix(op, "Get") ||
			strings.HasPrefix(op, "List") || strings.HasPrefix(op, "Head") {
			continue
		}
		out = append(out, c)
	}
	return out
}
