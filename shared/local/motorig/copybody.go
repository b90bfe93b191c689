package motorig

import (
	"bytes"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// copyBody is the HTTP client of the clients that reach the fake: it sends
// each request's body from a copy of its own. The SDK (smithy-go) closes a
// request's body as soon as the response has arrived, while net/http may
// still be using it; the closed body's WriteTo then answers io.EOF, which
// net/http takes for a failed write, and it closes the connection while the
// SDK reads the response ("use of closed network connection"). The SDK then
// sends the request again. moto answers too slowly for this to be seen; the
// fake, in-process, answers fast enough that it struck a few in a thousand
// requests of some kilobytes (CreateMembers of 50 accounts), and an
// operation that is not idempotent answers the second time as AWS would:
// CreateMembers finds the accounts already members, AcceptInvitation the
// invitation already accepted.
type copyBody struct{ aws.HTTPClient }

func (c copyBody) Do(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return c.HTTPClient.Do(r)
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	own := r.Clone(r.Context())
	own.Body = io.NopCloser(bytes.NewReader(b))
	own.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	return c.HTTPClient.Do(own)
}
