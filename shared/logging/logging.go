// Package logging builds the JSON logger every step and the CLI use, so every
// line carries the same keys: step, request_id, and where relevant account,
// region and service.
package logging

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Attribute keys.
const (
	KeyStep      = "step"
	KeyRequestID = "request_id"
	KeyAccount   = "account"
	KeyRegion    = "region"
	KeyService   = "service"
)

// New returns a JSON logger writing to w, tagged with step. The level comes
// from ORGBASELINE_LOG_LEVEL (debug, info, warn, error; default info).
func New(w io.Writer, step string) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: levelFromEnv()})
	return slog.New(requestIDHandler{h}).With(KeyStep, step)
}

// Default returns New(os.Stderr, step).
func Default(step string) *slog.Logger { return New(os.Stderr, step) }

func levelFromEnv() slog.Level {
	switch strings.ToLower(os.Getenv("ORGBASELINE_LOG_LEVEL")) {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// requestIDHandler adds the Lambda request ID of the invocation the record
// is logged under, taken from the context.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		r.AddAttrs(slog.String(KeyRequestID, lc.AwsRequestID))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// Where returns logger tagged with an account, region and service; empty
// values are left out.
func Where(l *slog.Logger, account, region, service string) *slog.Logger {
	var args []any
	for _, kv := range [][2]string{{KeyAccount, account}, {KeyRegion, region}, {KeyService, service}} {
		if kv[1] != "" {
			args = append(args, kv[0], kv[1])
		}
	}
	return l.With(args...)
}
