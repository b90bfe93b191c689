package faults

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// orgs returns an Organizations client with the layer, against a server
// that counts the requests that reach it.
func orgs(t *testing.T, l *Layer, attempts int) (*organizations.Client, *atomic.Int64) {
	t.Helper()
	var reached atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	return organizations.NewFromConfig(aws.Config{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""),
		BaseEndpoint: aws.String(srv.URL),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = attempts
				o.Backoff = retry.BackoffDelayerFunc(noDelay)
			})
		},
		APIOptions: append([]func(*middleware.Stack) error{}, l.Option()),
	}), &reached
}

func noDelay(int, error) (time.Duration, error) { return 0, nil }

func mutatingOp(op string) bool {
	return !strings.HasPrefix(op, "List") && !strings.HasPrefix(op, "Describe")
}

// Throttling and server errors are retried by the SDK as AWS's are: every
// attempt draws again, and a call that always fails fails with AWS's error.
func TestThrottlingAndServerErrorsAreRetried(t *testing.T) {
	var kinds []string
	l := New(Spec{Throttle: 1}, func(context.Context) string { return "" }, mutatingOp, func(k, _ string) { kinds = append(kinds, k) })
	c, reached := orgs(t, l, 3)
	_, err := c.ListRoots(context.Background(), &organizations.ListRootsInput{})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ThrottlingException" || reached.Load() != 0 || len(kinds) != 3 {
		t.Errorf("always throttled: %v, %d reached, faults %v", err, reached.Load(), kinds)
	}
	l = New(Spec{ServerError: 1}, func(context.Context) string { return "" }, mutatingOp, nil)
	c, _ = orgs(t, l, 2)
	if _, err := c.ListRoots(context.Background(), &organizations.ListRootsInput{}); err == nil || l.Injected.ServerErrors.Load() != 2 {
		t.Errorf("always a server error: %v, %d injected", err, l.Injected.ServerErrors.Load())
	}
}

// A lost response happens after the call reached the service: the SDK
// retries it, so the service sees it twice, as when AWS applied a call
// whose answer was lost.
func TestLostResponseIsAppliedThenRetried(t *testing.T) {
	l := New(Spec{LostResponse: 1}, func(context.Context) string { return "" }, mutatingOp, nil)
	c, reached := orgs(t, l, 2)
	_, err := c.EnableAWSServiceAccess(context.Background(), &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String("x")})
	if err == nil || reached.Load() != 2 || l.Injected.LostResponses.Load() != 2 {
		t.Errorf("lost responses: %v, %d reached", err, reached.Load())
	}
	// Reads keep their answers.
	if _, err := c.ListRoots(context.Background(), &organizations.ListRootsInput{}); err != nil {
		t.Errorf("a read: %v", err)
	}
}

// Every call in the denied account's sessions is AccessDenied, at once;
// the other accounts' calls go through.
func TestDeniedAccount(t *testing.T) {
	type key struct{}
	l := New(Spec{DenyAccount: "444444444444"}, func(ctx context.Context) string { a, _ := ctx.Value(key{}).(string); return a }, mutatingOp, nil)
	c, reached := orgs(t, l, 3)
	_, err := c.ListRoots(context.WithValue(context.Background(), key{}, "444444444444"), &organizations.ListRootsInput{})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDeniedException" || reached.Load() != 0 || l.Injected.Denied.Load() != 1 {
		t.Errorf("denied account: %v, %d reached, %d injected", err, reached.Load(), l.Injected.Denied.Load())
	}
	if _, err := c.ListRoots(context.WithValue(context.Background(), key{}, "555555555555"), &organizations.ListRootsInput{}); err != nil {
		t.Errorf("another account: %v", err)
	}
}
