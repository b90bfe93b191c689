package fakeaws

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strconv"
	"time"
)

// guardDutySigningName is Amazon GuardDuty's SigV4 signing name, the
// service of its requests' credential scope.
const guardDutySigningName = "guardduty"

// getDetectorPath is GetDetector's request path, GET /detector/{detectorId}
// (GetDetector, Amazon GuardDuty API Reference).
var getDetectorPath = regexp.MustCompile(`^/detector/[^/]+$`)

// AgeDetectors makes GuardDuty's GetDetector answer every detector's
// createdAt d earlier than moto holds it, as if each had been created d
// before: how a local run meets Amazon Detective's requirement that
// GuardDuty has been on for 48 hours, which no detector the emulator made
// during a run can meet otherwise. 0 answers moto's dates again. Nothing
// else of GuardDuty changes: the fake passes every GuardDuty request to moto
// as it is and its answer back.
func (h *Handler) AgeDetectors(d time.Duration) {
	h.mu.Lock()
	h.detectorAge = d
	h.mu.Unlock()
}

// serveGuardDuty passes a GuardDuty request to moto, dating GetDetector's
// createdAt back by AgeDetectors' duration.
func (h *Handler) serveGuardDuty(w http.ResponseWriter, r *http.Request) {
	target, err := url.Parse(h.moto.endpoint)
	if err != nil {
		writeRESTError(w, newError(http.StatusInternalServerError, "InternalServerErrorException", "moto endpoint: %v", err))
		return
	}
	h.mu.Lock()
	age := h.detectorAge
	h.mu.Unlock()
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = target.Host
		},
		ModifyResponse: func(resp *http.Response) error {
			if age == 0 || r.Method != http.MethodGet || !getDetectorPath.MatchString(r.URL.Path) || resp.StatusCode != http.StatusOK {
				return nil
			}
			return ageDetector(resp, age)
		},
	}
	proxy.ServeHTTP(w, r)
}

// ageDetector rewrites a GetDetector answer's createdAt to age earlier.
func ageDetector(resp *http.Response, age time.Duration) error {
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err == nil {
		if s, ok := doc["createdAt"].(string); ok {
			if t, perr := time.Parse(time.RFC3339Nano, s); perr == nil {
				doc["createdAt"] = t.Add(-age).UTC().Format("2006-01-02T15:04:05.000000Z")
				if b, merr := json.Marshal(doc); merr == nil {
					body = b
				}
			}
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return nil
}
