package motorig

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	"github.com/aws/aws-sdk-go-v2/service/detective"
	"github.com/aws/aws-sdk-go-v2/service/health"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/orgbaseline/orgbaseline/shared/local/fakeaws"
)

// closingBody is a request body that, once closed, reads as empty, as the
// SDK's bodies do.
type closingBody struct {
	mu     sync.Mutex
	r      io.Reader
	closed bool
}

func (b *closingBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, io.EOF
	}
	return b.r.Read(p)
}

func (b *closingBody) Close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	return nil
}

// lateReader is an HTTP client that reads the request body only after Do
// has returned, as net/http may.
type lateReader struct{ sent *http.Request }

func (c *lateReader) Do(r *http.Request) (*http.Response, error) {
	c.sent = r
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody}, nil
}

func TestCopyBodyOutlivesTheSDKsClose(t *testing.T) {
	const payload = `{"GraphArn":"arn","Accounts":[]}`
	inner := &lateReader{}
	body := &closingBody{r: strings.NewReader(payload)}
	req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:1/graph/members", body)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (copyBody{inner}).Do(req); err != nil {
		t.Fatal(err)
	}
	body.Close() // the SDK closes the body once Do returned
	got, err := io.ReadAll(inner.sent.Body)
	if err != nil || string(got) != payload {
		t.Errorf("body read after the SDK's close: %q, %v; want %q", got, err, payload)
	}
	again, err := inner.sent.GetBody()
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(again); string(got) != payload {
		t.Errorf("GetBody: %q, want %q", got, payload)
	}

	// A request without a body goes through as it is.
	get, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:1/analyzer", nil)
	if _, err := (copyBody{inner}).Do(get); err != nil || inner.sent != get {
		t.Errorf("request without a body: sent %p, want %p (%v)", inner.sent, get, err)
	}
}

// TestFakeClientsCopyBodies checks that the clients the rig points at the
// fake send their requests through copyBody, around their own HTTP client.
func TestFakeClientsCopyBodies(t *testing.T) {
	fake, err := fakeaws.Start(context.Background(), "http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	s := &Server{fake: fake}
	own := &lateReader{}
	h, a, d := &health.Options{HTTPClient: own}, &accessanalyzer.Options{HTTPClient: own}, &detective.Options{HTTPClient: own}
	sh := &securityhub.Options{HTTPClient: own}
	s.fakeEndpoint(health.ServiceID, h)
	s.fakeEndpoint(accessanalyzer.ServiceID, a)
	s.fakeEndpoint(detective.ServiceID, d)
	s.fakeEndpoint(securityhub.ServiceID, sh)
	for _, tc := range []struct {
		service  string
		endpoint *string
		client   any
	}{
		{health.ServiceID, h.BaseEndpoint, h.HTTPClient},
		{accessanalyzer.ServiceID, a.BaseEndpoint, a.HTTPClient},
		{detective.ServiceID, d.BaseEndpoint, d.HTTPClient},
		{securityhub.ServiceID, sh.BaseEndpoint, sh.HTTPClient},
	} {
		if aws.ToString(tc.endpoint) != fake.URL() {
			t.Errorf("%s: endpoint %q, want the fake's %s", tc.service, aws.ToString(tc.endpoint), fake.URL())
		}
		if c, ok := tc.client.(copyBody); !ok || c.HTTPClient != own {
			t.Errorf("%s: HTTP client %#v, want copyBody around the client's own", tc.service, tc.client)
		}
	}
}
