// Package fakeaws answers, for local runs, the AWS APIs that moto does not
// emulate and the baseline calls: the AWS Health organizational view
// (DescribeHealthServiceStatusForOrganization and
// EnableHealthServiceAccessForOrganization, awsJson1_1) and IAM Access
// Analyzer's analyzers (ListAnalyzers, CreateAnalyzer, GetAnalyzer and
// UpdateAnalyzer, restJson1). The SDK's own clients reach it through a
// service-specific endpoint (AWS_ENDPOINT_URL_HEALTH,
// AWS_ENDPOINT_URL_ACCESSANALYZER); shared/local/motorig starts one beside
// its moto server.
//
// The state is held in memory: the Health organizational view per
// organization, the analyzers per account and region. The caller is the
// account of the access key in the request's SigV4 Authorization header,
// which the fake asks moto (sts:GetCallerIdentity with the same key: moto
// does not check signatures, and neither does the fake); the region is the
// one of the signature's credential scope. What the organization allows
// (the management account, trusted access, delegated administrators) is
// read from moto's Organizations.
//
// The fake applies the rules AWS documents for these operations: only the
// management account reads and enables the organizational view; analyzer
// names, types and unused-access ages are validated; names are unique per
// account and region; there is at most one analyzer of each account-level
// type per account and region, and five of each organization-level type
// (one ORGANIZATION_INTERNAL_ACCESS per organization and region);
// organization analyzers need trusted access for access-analyzer.amazonaws.com
// and the management account or its delegated administrator. Every other
// operation of the two services is answered with an
// UnknownOperationException, as an endpoint answers an operation it does not
// offer. Analyzers find nothing, and enabling the organizational view does
// not change the organization in moto (no trusted access, no service-linked
// role).
package fakeaws

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Handler answers the emulated operations. Make one with NewHandler.
type Handler struct {
	moto *moto
	now  func() time.Time

	mu sync.Mutex
	// accounts caches the account of each access key.
	accounts map[string]string
	// management is the organization's management account once known.
	management string
	// healthEnabled holds the organizations, by management account, whose
	// organizational view is enabled.
	healthEnabled map[string]bool
	// subscriptionRequired makes every Health call fail.
	subscriptionRequired bool
	// analyzers holds the analyzers by account and region, then by name.
	analyzers map[scope]map[string]*analyzer
}

// scope is an account in a region.
type scope struct{ account, region string }

// NewHandler returns a Handler that asks the moto server at motoEndpoint
// (http://host:port) who calls and how the organization is set up.
func NewHandler(motoEndpoint string) *Handler {
	h := &Handler{moto: newMoto(motoEndpoint), now: time.Now}
	h.Reset()
	return h
}

// Reset forgets every analyzer, every organizational view and what the fake
// learned from moto (call it after resetting moto).
func (h *Handler) Reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.accounts = map[string]string{}
	h.management = ""
	h.healthEnabled = map[string]bool{}
	h.analyzers = map[scope]map[string]*analyzer{}
}

// RequireSubscription makes every AWS Health call fail with a
// SubscriptionRequiredException, as AWS answers an account without a
// Business, Enterprise On-Ramp or Enterprise support plan (on), or answer
// again (off).
func (h *Handler) RequireSubscription(on bool) {
	h.mu.Lock()
	h.subscriptionRequired = on
	h.mu.Unlock()
}

// healthTargetPrefix starts the X-Amz-Target header of AWS Health requests.
const healthTargetPrefix = "AWSHealth_20160804."

// ServeHTTP answers a request for AWS Health (by its X-Amz-Target header)
// or IAM Access Analyzer (by its path).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	switch {
	case strings.HasPrefix(target, healthTargetPrefix):
		h.serveHealth(w, r, strings.TrimPrefix(target, healthTargetPrefix))
	case target != "":
		writeJSON11Error(w, newError(http.StatusBadRequest, codeUnknownOperation, "%s is not offered by this endpoint", target))
	default:
		h.serveAccessAnalyzer(w, r)
	}
}

const codeUnknownOperation = "UnknownOperationException"

// caller is who signed a request.
type caller struct {
	account, region string
}

// caller returns the account and region of a request's signature.
func (h *Handler) caller(r *http.Request) (caller, *apiError) {
	cred, aerr := parseAuthorization(r.Header.Get("Authorization"))
	if aerr != nil {
		return caller{}, aerr
	}
	h.mu.Lock()
	account, ok := h.accounts[cred.accessKey]
	h.mu.Unlock()
	if !ok {
		a, err := h.moto.account(r.Context(), cred.accessKey)
		if err != nil {
			return caller{}, internalError(err)
		}
		account = a
		h.mu.Lock()
		h.accounts[cred.accessKey] = account
		h.mu.Unlock()
	}
	return caller{account: account, region: cred.region}, nil
}

// managementAccount returns the organization's management account, ""
// without an organization.
func (h *Handler) managementAccount(ctx context.Context) (string, *apiError) {
	h.mu.Lock()
	m := h.management
	h.mu.Unlock()
	if m != "" {
		return m, nil
	}
	m, err := h.moto.managementAccount(ctx)
	if err != nil {
		return "", internalError(err)
	}
	h.mu.Lock()
	h.management = m
	h.mu.Unlock()
	return m, nil
}

// internalError is the answer when moto cannot be asked.
func internalError(err error) *apiError {
	return newError(http.StatusInternalServerError, "InternalServerException", "%v", err)
}

// credential is the part of a SigV4 credential scope the fake uses.
type credential struct {
	accessKey, region string
}

// parseAuthorization reads the access key and region of a SigV4
// Authorization header:
//
//	AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/health/aws4_request, SignedHeaders=..., Signature=...
func parseAuthorization(header string) (credential, *apiError) {
	if header == "" {
		return credential{}, newError(http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token")
	}
	rest, ok := strings.CutPrefix(header, "AWS4-HMAC-SHA256 ")
	if !ok {
		return credential{}, newError(http.StatusForbidden, "IncompleteSignatureException", "Authorization header is not AWS4-HMAC-SHA256")
	}
	for _, part := range strings.Split(rest, ",") {
		v, ok := strings.CutPrefix(strings.TrimSpace(part), "Credential=")
		if !ok {
			continue
		}
		f := strings.Split(v, "/")
		if len(f) != 5 || f[0] == "" || f[2] == "" || f[4] != "aws4_request" {
			break
		}
		return credential{accessKey: f[0], region: f[2]}, nil
	}
	return credential{}, newError(http.StatusForbidden, "IncompleteSignatureException", "Authorization header lacks a valid Credential")
}

// Server serves a Handler on a port of 127.0.0.1.
type Server struct {
	*Handler
	url       string
	srv       *http.Server
	closeOnce sync.Once
	closeErr  error
}

// Start serves a new Handler for the moto server at motoEndpoint on a free
// port of 127.0.0.1, until Close. ctx bounds the start only.
func Start(ctx context.Context, motoEndpoint string) (*Server, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fakeaws: listen: %w", err)
	}
	s := &Server{Handler: NewHandler(motoEndpoint), url: "http://" + ln.Addr().String()}
	s.srv = &http.Server{Handler: s.Handler, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

// URL is the server's endpoint, http://127.0.0.1:PORT.
func (s *Server) URL() string { return s.url }

// Close stops the server and closes its connections. Calling it again
// returns the first result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		err := s.srv.Close()
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.closeErr = fmt.Errorf("fakeaws: close: %w", err)
		}
		s.moto.http.CloseIdleConnections()
	})
	return s.closeErr
}
