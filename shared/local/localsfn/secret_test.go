package localsfn

import (
	"net/http"
	"strings"
	"testing"
)

// The local Lambda service answers only requests that carry the run's
// secret: another local process cannot make the step processes, which hold
// the operator's credentials, run.
func TestLambdaServiceRefusesRequestsWithoutTheRunsSecret(t *testing.T) {
	svc := NewLambdaService(&Stack{}, nil, nil, nil)
	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	url := svc.Endpoint() + "/2015-03-31/functions/x/invocations"
	post := func(token string) int {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("{}"))
		if token != "" {
			req.Header.Set("X-Amz-Security-Token", token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	_, _, token := svc.Credentials()
	if len(token) < 32 {
		t.Fatalf("secret %q", token)
	}
	if got := post(""); got != http.StatusForbidden {
		t.Errorf("no secret: %d, want 403", got)
	}
	if got := post("guess"); got != http.StatusForbidden {
		t.Errorf("a wrong secret: %d, want 403", got)
	}
	// With the secret the request reaches the service: no such function.
	if got := post(token); got != http.StatusNotFound {
		t.Errorf("the secret: %d, want 404 for an unknown function", got)
	}
	other := NewLambdaService(&Stack{}, nil, nil, nil)
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, _, t2 := other.Credentials(); t2 == token {
		t.Error("two runs share a secret")
	}
}
