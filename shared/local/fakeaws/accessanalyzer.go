package fakeaws

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// accessAnalyzerPrincipal is IAM Access Analyzer's service principal in
// AWS Organizations.
const accessAnalyzerPrincipal = "access-analyzer.amazonaws.com"

// analyzerResourceType is the resourceType of the analyzer errors.
const analyzerResourceType = "AWS::AccessAnalyzer::Analyzer"

// analyzerType describes an analyzer type: whether it covers the
// organization, which configuration member it takes ("" for none), and how
// many analyzers of the type there may be (per account and region, or per
// organization and region when perOrganization).
type analyzerType struct {
	organization    bool
	config          string
	limit           int
	perOrganization bool
}

// analyzerTypes are the types AWS offers, with the quotas of "IAM Access
// Analyzer quotas" (IAM User Guide).
var analyzerTypes = map[string]analyzerType{
	"ACCOUNT":                      {limit: 1},
	"ACCOUNT_UNUSED_ACCESS":        {config: "unusedAccess", limit: 1},
	"ACCOUNT_INTERNAL_ACCESS":      {config: "internalAccess", limit: 1},
	"ORGANIZATION":                 {organization: true, limit: 5},
	"ORGANIZATION_UNUSED_ACCESS":   {organization: true, config: "unusedAccess", limit: 5},
	"ORGANIZATION_INTERNAL_ACCESS": {organization: true, config: "internalAccess", limit: 1, perOrganization: true},
}

// analyzerName is the pattern of analyzer names; they are 1 to 255
// characters long.
var analyzerName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]*$`)

const maxAnalyzerName = 255

// Unused access ages, in days.
const minUnusedAccessAge, maxUnusedAccessAge = 1, 365

// defaultListPage is the page size of ListAnalyzers without maxResults.
const defaultListPage = 100

// analyzer is an analyzer as AWS's AnalyzerSummary shows it.
type analyzer struct {
	ARN           string            `json:"arn"`
	Name          string            `json:"name"`
	Type          string            `json:"type"`
	CreatedAt     time.Time         `json:"createdAt"`
	Status        string            `json:"status"`
	Configuration *analyzerConfig   `json:"configuration,omitempty"`
	Tags          map[string]string `json:"tags,omitempty"`
	clientToken   string
}

// analyzerConfig is the AnalyzerConfiguration union.
type analyzerConfig struct {
	UnusedAccess   *unusedAccessConfig `json:"unusedAccess,omitempty"`
	InternalAccess json.RawMessage     `json:"internalAccess,omitempty"`
}

type unusedAccessConfig struct {
	UnusedAccessAge *int            `json:"unusedAccessAge,omitempty"`
	AnalysisRule    json.RawMessage `json:"analysisRule,omitempty"`
}

// member names the union's member that is set, "" for none.
func (c *analyzerConfig) member() (string, *apiError) {
	var set []string
	if c.UnusedAccess != nil {
		set = append(set, "unusedAccess")
	}
	if len(c.InternalAccess) > 0 && string(c.InternalAccess) != "null" {
		set = append(set, "internalAccess")
	}
	switch len(set) {
	case 0:
		return "", nil
	case 1:
		return set[0], nil
	}
	return "", fieldError("configuration", "configuration must set exactly one of %s", strings.Join(set, ", "))
}

// validateConfig checks a configuration given for an analyzer of type typ.
func validateConfig(c *analyzerConfig, typ string) *apiError {
	if c == nil {
		return nil
	}
	member, aerr := c.member()
	if aerr != nil {
		return aerr
	}
	if want := analyzerTypes[typ].config; member != "" && member != want {
		return fieldError("configuration", "configuration %s does not apply to analyzers of type %s", member, typ)
	}
	if u := c.UnusedAccess; u != nil && u.UnusedAccessAge != nil {
		if age := *u.UnusedAccessAge; age < minUnusedAccessAge || age > maxUnusedAccessAge {
			return fieldError("configuration.unusedAccess.unusedAccessAge",
				"unusedAccessAge must be between %d and %d days, not %d", minUnusedAccessAge, maxUnusedAccessAge, age)
		}
	}
	return nil
}

// fieldError is a ValidationException about one field.
func fieldError(field, format string, args ...any) *apiError {
	msg := fmt.Sprintf(format, args...)
	return newError(http.StatusBadRequest, "ValidationException", "%s", msg).
		with("reason", "fieldValidationFailed").
		with("fieldList", []map[string]string{{"name": field, "message": msg}})
}

func validationError(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, "ValidationException", format, args...).with("reason", "other")
}

func notFound(name string) *apiError {
	return newError(http.StatusNotFound, "ResourceNotFoundException", "Analyzer %s not found", name).
		with("resourceId", name).with("resourceType", analyzerResourceType)
}

// serveAccessAnalyzer routes an IAM Access Analyzer request by method and
// path.
func (h *Handler) serveAccessAnalyzer(w http.ResponseWriter, r *http.Request) {
	path := r.URL.EscapedPath()
	var name string
	switch {
	case path == "/analyzer":
	case strings.HasPrefix(path, "/analyzer/") && !strings.Contains(path[len("/analyzer/"):], "/"):
		n, err := url.PathUnescape(path[len("/analyzer/"):])
		if err != nil || n == "" {
			writeRESTError(w, validationError("invalid analyzer name in path %s", path))
			return
		}
		name = n
	default:
		writeRESTError(w, unknownOperation(r))
		return
	}
	var op func(context.Context, caller, *http.Request, string) (any, *apiError)
	switch {
	case name == "" && r.Method == http.MethodGet:
		op = h.listAnalyzers
	case name == "" && r.Method == http.MethodPut:
		op = h.createAnalyzer
	case name != "" && r.Method == http.MethodGet:
		op = h.getAnalyzer
	case name != "" && r.Method == http.MethodPut:
		op = h.updateAnalyzer
	case name != "" && r.Method == http.MethodDelete:
		op = h.deleteAnalyzer
	default:
		writeRESTError(w, unknownOperation(r))
		return
	}
	c, aerr := h.caller(r)
	if aerr != nil {
		writeRESTError(w, aerr)
		return
	}
	out, aerr := op(r.Context(), c, r, name)
	if aerr != nil {
		writeRESTError(w, aerr)
		return
	}
	if out == nil {
		// An operation without response elements: HTTP 200 with an empty
		// body.
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, contentTypeRESTJSON, http.StatusOK, out)
}

func unknownOperation(r *http.Request) *apiError {
	return newError(http.StatusNotFound, codeUnknownOperation, "%s %s is not offered by this endpoint", r.Method, r.URL.Path)
}

// decodeBody reads a request's JSON body into v.
func decodeBody(r *http.Request, v any) *apiError {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return validationError("cannot read the request body: %v", err)
	}
	if len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return newError(http.StatusBadRequest, "ValidationException", "cannot parse the request body: %v", err).
			with("reason", "cannotParse")
	}
	return nil
}

type createAnalyzerRequest struct {
	AnalyzerName  string            `json:"analyzerName"`
	Type          string            `json:"type"`
	Configuration *analyzerConfig   `json:"configuration"`
	ClientToken   string            `json:"clientToken"`
	ArchiveRules  json.RawMessage   `json:"archiveRules"`
	Tags          map[string]string `json:"tags"`
}

// createAnalyzer is CreateAnalyzer. A request with the client token and
// name of an existing analyzer (the SDK's retry of a create) answers that
// analyzer's ARN. Archive rules are accepted and not kept.
func (h *Handler) createAnalyzer(ctx context.Context, c caller, r *http.Request, _ string) (any, *apiError) {
	var in createAnalyzerRequest
	if aerr := decodeBody(r, &in); aerr != nil {
		return nil, aerr
	}
	if aerr := validateName(in.AnalyzerName); aerr != nil {
		return nil, aerr
	}
	typ, ok := analyzerTypes[in.Type]
	if !ok {
		return nil, fieldError("type", "type must be one of %s, not %q", strings.Join(typeNames(), ", "), in.Type)
	}
	if aerr := validateConfig(in.Configuration, in.Type); aerr != nil {
		return nil, aerr
	}
	if typ.organization {
		if aerr := h.authorizeOrganization(ctx, c.account); aerr != nil {
			return nil, aerr
		}
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	sc := scope{c.account, c.region}
	if a, ok := h.analyzers[sc][in.AnalyzerName]; ok {
		if in.ClientToken != "" && in.ClientToken == a.clientToken {
			return map[string]string{"arn": a.ARN}, nil
		}
		return nil, newError(http.StatusConflict, "ConflictException", "Analyzer %s already exists", in.AnalyzerName).
			with("resourceId", in.AnalyzerName).with("resourceType", analyzerResourceType)
	}
	if n := h.countLocked(sc, in.Type, typ.perOrganization); n >= typ.limit {
		where := "account " + c.account
		if typ.perOrganization {
			where = "the organization"
		}
		return nil, newError(http.StatusPaymentRequired, "ServiceQuotaExceededException",
			"%s already has %d analyzer(s) of type %s in %s, the most allowed", where, n, in.Type, c.region).
			with("resourceId", in.AnalyzerName).with("resourceType", analyzerResourceType)
	}
	a := &analyzer{
		ARN:           fmt.Sprintf("arn:aws:access-analyzer:%s:%s:analyzer/%s", c.region, c.account, in.AnalyzerName),
		Name:          in.AnalyzerName,
		Type:          in.Type,
		CreatedAt:     h.now().UTC().Truncate(time.Millisecond),
		Status:        "ACTIVE",
		Configuration: in.Configuration,
		Tags:          in.Tags,
		clientToken:   in.ClientToken,
	}
	if h.analyzers[sc] == nil {
		h.analyzers[sc] = map[string]*analyzer{}
	}
	h.analyzers[sc][a.Name] = a
	return map[string]string{"arn": a.ARN}, nil
}

func validateName(name string) *apiError {
	if len(name) < 1 || len(name) > maxAnalyzerName || !analyzerName.MatchString(name) {
		return fieldError("analyzerName",
			"analyzerName %q must be 1 to %d characters, a letter followed by letters, digits, _, . and -", name, maxAnalyzerName)
	}
	return nil
}

func typeNames() []string {
	var names []string
	for n := range analyzerTypes {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// countLocked counts the analyzers of type typ in sc, or in sc's region in
// every account when perOrganization (the fake knows one organization).
// h.mu is held.
func (h *Handler) countLocked(sc scope, typ string, perOrganization bool) int {
	n := 0
	for s, byName := range h.analyzers {
		if s != sc && !(perOrganization && s.region == sc.region) {
			continue
		}
		for _, a := range byName {
			if a.Type == typ {
				n++
			}
		}
	}
	return n
}

// authorizeOrganization checks that account may create an analyzer for the
// organization: trusted access for IAM Access Analyzer is enabled, and the
// account is the management account or the delegated administrator.
func (h *Handler) authorizeOrganization(ctx context.Context, account string) *apiError {
	mgmt, aerr := h.managementAccount(ctx)
	if aerr != nil {
		return aerr
	}
	if mgmt == "" {
		return validationError("Account %s is not in an organization", account)
	}
	enabled, err := h.moto.trustedAccess(ctx, accessAnalyzerPrincipal)
	if err != nil {
		return internalError(err)
	}
	if !enabled {
		return validationError("Service not enabled for AWS Organizations")
	}
	if account == mgmt {
		return nil
	}
	admin, err := h.moto.delegatedAdministrator(ctx, accessAnalyzerPrincipal, account)
	if err != nil {
		return internalError(err)
	}
	if !admin {
		return newError(http.StatusForbidden, "AccessDeniedException", "Account %s is not a delegated administrator", account)
	}
	return nil
}

// listAnalyzers is ListAnalyzers: the caller's analyzers in the region, of
// one type if asked, by name, a page of maxResults at a time. The
// nextToken names the first analyzer of the next page.
func (h *Handler) listAnalyzers(_ context.Context, c caller, r *http.Request, _ string) (any, *apiError) {
	q := r.URL.Query()
	typ := q.Get("type")
	if _, ok := analyzerTypes[typ]; typ != "" && !ok {
		return nil, fieldError("type", "type must be one of %s, not %q", strings.Join(typeNames(), ", "), typ)
	}
	size := defaultListPage
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, fieldError("maxResults", "maxResults must be a positive integer, not %q", v)
		}
		size = n
	}
	from := ""
	if v := q.Get("nextToken"); v != "" {
		b, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil || len(b) == 0 {
			return nil, validationError("Invalid pagination token")
		}
		from = string(b)
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	var page []analyzer
	for _, a := range h.analyzers[scope{c.account, c.region}] {
		if (typ == "" || a.Type == typ) && a.Name >= from {
			page = append(page, *a)
		}
	}
	slices.SortFunc(page, func(a, b analyzer) int { return strings.Compare(a.Name, b.Name) })
	out := struct {
		Analyzers []analyzer `json:"analyzers"`
		NextToken string     `json:"nextToken,omitempty"`
	}{Analyzers: page}
	if len(page) > size {
		out.Analyzers, out.NextToken = page[:size], base64.RawURLEncoding.EncodeToString([]byte(page[size].Name))
	}
	if out.Analyzers == nil {
		out.Analyzers = []analyzer{}
	}
	return out, nil
}

// getAnalyzer is GetAnalyzer.
func (h *Handler) getAnalyzer(_ context.Context, c caller, _ *http.Request, name string) (any, *apiError) {
	h.mu.Lock()
	defer h.mu.Unlock()
	a, ok := h.analyzers[scope{c.account, c.region}][name]
	if !ok {
		return nil, notFound(name)
	}
	return map[string]analyzer{"analyzer": *a}, nil
}

// updateAnalyzer is UpdateAnalyzer: it replaces the configuration of an
// unused or internal access analyzer (AWS does not offer it for external
// access analyzers) and answers the configuration in force.
func (h *Handler) updateAnalyzer(_ context.Context, c caller, r *http.Request, name string) (any, *apiError) {
	var in struct {
		Configuration *analyzerConfig `json:"configuration"`
	}
	if aerr := decodeBody(r, &in); aerr != nil {
		return nil, aerr
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	a, ok := h.analyzers[scope{c.account, c.region}][name]
	if !ok {
		return nil, notFound(name)
	}
	if analyzerTypes[a.Type].config == "" {
		return nil, validationError("UpdateAnalyzer is not supported for external access analyzers (%s is of type %s)", name, a.Type)
	}
	if aerr := validateConfig(in.Configuration, a.Type); aerr != nil {
		return nil, aerr
	}
	if in.Configuration != nil {
		a.Configuration = in.Configuration
	}
	return map[string]*analyzerConfig{"configuration": a.Configuration}, nil
}

// deleteAnalyzer is DeleteAnalyzer ("DeleteAnalyzer", IAM Access Analyzer
// API Reference: DELETE /analyzer/{analyzerName}; HTTP 200 with an empty
// body; ResourceNotFoundException for an analyzer the caller does not have
// in the region): the analyzer goes, and with it Access Analyzer for the
// account or organization in the region (the fake makes no findings to
// delete). The clientToken is accepted and not kept.
func (h *Handler) deleteAnalyzer(_ context.Context, c caller, _ *http.Request, name string) (any, *apiError) {
	if aerr := validateName(name); aerr != nil {
		return nil, aerr
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	sc := scope{c.account, c.region}
	if _, ok := h.analyzers[sc][name]; !ok {
		return nil, notFound(name)
	}
	delete(h.analyzers[sc], name)
	return nil, nil
}
