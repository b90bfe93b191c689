package fakeaws

import (
	"context"
	"crypto/rand"
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

// securityHubSigningName is AWS Security Hub's SigV4 signing name, the
// service of its requests' credential scope.
const securityHubSigningName = "securityhub"

// securityHubPrincipal is AWS Security Hub's service principal in AWS
// Organizations.
const securityHubPrincipal = "securityhub.amazonaws.com"

// securityHubFeature is the one value of Feature the fake answers: Security
// Hub CSPM, not SecurityHubV2.
const securityHubFeature = "SecurityHub"

// Error codes of the Security Hub API Reference, with the HTTP status each
// operation's Errors give them.
const (
	codeHubAccessDenied  = "AccessDeniedException"     // 403
	codeHubInvalidAccess = "InvalidAccessException"    // 401
	codeHubInvalidInput  = "InvalidInputException"     // 400
	codeHubConflict      = "ResourceConflictException" // 409
	codeHubNotFound      = "ResourceNotFoundException" // 404
)

// Limits of the Security Hub API Reference: ListOrganizationAdminAccounts
// pages hold 1 to 10 accounts, ListMembers pages 1 to 50 members, the other
// lists 1 to 100 items; BatchEnableStandards and BatchDisableStandards take
// 1 to 25 standards.
const (
	maxHubAdminPage   = 10
	maxHubMemberPage  = 50
	maxHubPage        = 100
	maxStandardsBatch = 25
)

// maxHubOrgMembers is how many member accounts a delegated administrator
// can have in a Region ("Recommendations for managing multiple accounts in
// Security Hub CSPM").
const maxHubOrgMembers = 10000

// Values of StandardsStatus and StandardsControlsUpdatable.
const (
	standardsPending  = "PENDING"
	standardsReady    = "READY"
	standardsDeleting = "DELETING"
	controlsUpdatable = "READY_FOR_UPDATES"
)

// Values of ControlFindingGenerator.
const (
	findingsPerSecurityControl = "SECURITY_CONTROL"
	findingsPerStandardControl = "STANDARD_CONTROL"
)

// Values of Member's MemberStatus the fake gives: Enabled for organization
// accounts that the delegated administrator adds, Created for the others,
// which would need an invitation.
const (
	hubMemberEnabled = "Enabled"
	hubMemberCreated = "Created"
)

// hubStandards are the standards DescribeStandards lists, by the part of
// their ARN after the service. Their ARNs name the Region
// (arn:aws:securityhub:REGION::standards/...), except CIS AWS Foundations
// Benchmark v1.2.0's (arn:aws:securityhub:::ruleset/...).
var hubStandards = []string{
	"ruleset/cis-aws-foundations-benchmark/v/1.2.0",
	"standards/aws-foundational-security-best-practices/v/1.0.0",
	"standards/aws-resource-tagging-standard/v/1.0.0",
	"standards/cis-aws-foundations-benchmark/v/1.4.0",
	"standards/cis-aws-foundations-benchmark/v/3.0.0",
	"standards/nist-800-171/v/2.0.0",
	"standards/nist-800-53/v/5.0.0",
	"standards/pci-dss/v/3.2.1",
	"standards/pci-dss/v/4.0.1",
}

// defaultStandards are the standards EnableSecurityHub enables unless
// EnableDefaultStandards is false: AWS Foundational Security Best Practices
// v1.0.0 and CIS AWS Foundations Benchmark v1.2.0.
var defaultStandards = []string{
	"standards/aws-foundational-security-best-practices/v/1.0.0",
	"ruleset/cis-aws-foundations-benchmark/v/1.2.0",
}

// standardsARN is the ARN of the standard at path in region.
func standardsARN(region, path string) string {
	if strings.HasPrefix(path, "ruleset/") {
		return "arn:aws:securityhub:::" + path
	}
	return fmt.Sprintf("arn:aws:securityhub:%s::%s", region, path)
}

// standardPath returns the path of the standard whose ARN in region is arn,
// "" for none.
func standardPath(region, arn string) string {
	for _, p := range hubStandards {
		if standardsARN(region, p) == arn {
			return p
		}
	}
	return ""
}

// subscriptionARN is the ARN of account's subscription to the standard at
// path in region: arn:aws:securityhub:REGION:ACCOUNT:subscription/ and the
// standard's name and version.
func subscriptionARN(region, account, path string) string {
	_, name, _ := strings.Cut(path, "/")
	return fmt.Sprintf("arn:aws:securityhub:%s:%s:subscription/%s", region, account, name)
}

var (
	// hubAccountID is an account ID, 12 digits.
	hubAccountID = regexp.MustCompile(`^[0-9]{12}$`)
	// regionName is the form of a Region's name.
	regionName = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
)

// hub is Security Hub in an account and Region.
type hub struct {
	account, region         string
	subscribed              time.Time
	controlFindingGenerator string
	tags                    map[string]string
	// standards holds the paths of the enabled standards by subscription
	// ARN.
	standards map[string]string
	// administrator is the account whose member account this account is,
	// "" for none.
	administrator string
	// members holds the member accounts of an administrator account by
	// account ID.
	members map[string]*hubMember
}

// hubMember is an account's membership with an administrator account.
type hubMember struct {
	account string
	email   string
	status  string
	updated time.Time
}

func (b *hub) arn() string {
	return fmt.Sprintf("arn:aws:securityhub:%s:%s:hub/default", b.region, b.account)
}

// enableStandard subscribes the hub to the standard at path, and reports
// whether it was not subscribed yet.
func (b *hub) enableStandard(path string) (arn string, added bool) {
	arn = subscriptionARN(b.region, b.account, path)
	if _, ok := b.standards[arn]; ok {
		return arn, false
	}
	b.standards[arn] = path
	return arn, true
}

// hubRequest is what a Security Hub operation reads of its request.
type hubRequest struct {
	body  []byte
	query url.Values
	// label is the path's label, unescaped, for the operations that have
	// one.
	label string
}

// hubOp answers one Security Hub operation for the caller.
type hubOp func(h *Handler, ctx context.Context, c caller, in hubRequest) (any, *apiError)

// securityHubRoutes are the operations the fake answers without a label in
// their path, by method and path (the SDK's restJson1 serializers).
var securityHubRoutes = map[string]hubOp{
	"POST /accounts":                                 (*Handler).enableSecurityHub,
	"GET /accounts":                                  (*Handler).describeHub,
	"POST /standards/get":                            (*Handler).getEnabledStandards,
	"POST /standards/register":                       (*Handler).batchEnableStandards,
	"POST /standards/deregister":                     (*Handler).batchDisableStandards,
	"POST /organization/admin/enable":                (*Handler).enableHubAdmin,
	"GET /organization/admin":                        (*Handler).listHubAdmins,
	"GET /organization/configuration":                (*Handler).describeHubOrgConfig,
	"POST /organization/configuration":               (*Handler).updateHubOrgConfig,
	"POST /findingAggregator/create":                 (*Handler).createFindingAggregator,
	"GET /findingAggregator/list":                    (*Handler).listFindingAggregators,
	"PATCH /findingAggregator/update":                (*Handler).updateFindingAggregator,
	"POST /configurationPolicy/create":               (*Handler).createConfigurationPolicy,
	"GET /configurationPolicy/list":                  (*Handler).listConfigurationPolicies,
	"POST /configurationPolicyAssociation/associate": (*Handler).startPolicyAssociation,
	"POST /configurationPolicyAssociation/get":       (*Handler).getPolicyAssociation,
	"POST /configurationPolicyAssociation/list":      (*Handler).listPolicyAssociations,
	"POST /members":                                  (*Handler).createHubMembers,
	"GET /members":                                   (*Handler).listHubMembers,
	"POST /members/get":                              (*Handler).getHubMembers,
}

// securityHubLabelRoutes are the operations with a label at the end of
// their path: one segment, or the rest of the path for a greedy label.
var securityHubLabelRoutes = []struct {
	method, prefix string
	greedy         bool
	op             hubOp
}{
	{http.MethodGet, "/configurationPolicy/get/", false, (*Handler).getConfigurationPolicy},
	{http.MethodPatch, "/configurationPolicy/", false, (*Handler).updateConfigurationPolicy},
	{http.MethodGet, "/findingAggregator/get/", true, (*Handler).getFindingAggregator},
}

// securityHubRoute finds the operation of a request and its path's label.
func securityHubRoute(r *http.Request) (hubOp, string, bool) {
	path := r.URL.EscapedPath()
	if op, ok := securityHubRoutes[r.Method+" "+path]; ok {
		return op, "", true
	}
	for _, rt := range securityHubLabelRoutes {
		rest, ok := strings.CutPrefix(path, rt.prefix)
		if r.Method != rt.method || !ok || rest == "" || (!rt.greedy && strings.Contains(rest, "/")) {
			continue
		}
		label, err := url.PathUnescape(rest)
		if err != nil {
			continue
		}
		return rt.op, label, true
	}
	return nil, "", false
}

// serveSecurityHub routes an AWS Security Hub request by method and path.
func (h *Handler) serveSecurityHub(w http.ResponseWriter, r *http.Request) {
	op, label, ok := securityHubRoute(r)
	if !ok {
		writeRESTError(w, unknownOperation(r))
		return
	}
	c, aerr := h.caller(r)
	if aerr != nil {
		writeRESTError(w, aerr)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeRESTError(w, hubInvalidInput("cannot read the request body: %v", err))
		return
	}
	if aerr := h.syncHubAdmins(r.Context()); aerr != nil {
		writeRESTError(w, aerr)
		return
	}
	out, aerr := op(h, r.Context(), c, hubRequest{body: body, query: r.URL.Query(), label: label})
	if aerr != nil {
		writeRESTError(w, aerr)
		return
	}
	writeJSON(w, contentTypeRESTJSON, http.StatusOK, out)
}

// hubError is a Security Hub error: its body carries Code and Message, as
// AWS's do.
func hubError(status int, code, format string, args ...any) *apiError {
	return newError(status, code, format, args...).with("Code", code)
}

func hubInvalidInput(format string, args ...any) *apiError {
	return hubError(http.StatusBadRequest, codeHubInvalidInput, format, args...)
}

func hubInvalidAccess(format string, args ...any) *apiError {
	return hubError(http.StatusUnauthorized, codeHubInvalidAccess, format, args...)
}

func hubAccessDenied(format string, args ...any) *apiError {
	return hubError(http.StatusForbidden, codeHubAccessDenied, format, args...)
}

func hubConflict(format string, args ...any) *apiError {
	return hubError(http.StatusConflict, codeHubConflict, format, args...)
}

func hubNotFound(format string, args ...any) *apiError {
	return hubError(http.StatusNotFound, codeHubNotFound, format, args...)
}

// decodeHub reads a request's JSON body into v.
func decodeHub(body []byte, v any) *apiError {
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return hubInvalidInput("cannot parse the request body: %v", err)
	}
	return nil
}

func validateHubAccountID(field, id string) *apiError {
	if !hubAccountID.MatchString(id) {
		return hubInvalidInput("%s %q is not an account ID of 12 digits", field, id)
	}
	return nil
}

// hubPaging checks a list request's MaxResults (1 to max, max when absent)
// and NextToken, and returns the page size and the key of the page's first
// item ("" for the first page).
func hubPaging(maxResults *int, nextToken *string, max int) (size int, from string, aerr *apiError) {
	size = max
	if maxResults != nil {
		if n := *maxResults; n < 1 || n > max {
			return 0, "", hubInvalidInput("MaxResults must be between 1 and %d, not %d", max, n)
		}
		size = *maxResults
	}
	if nextToken != nil {
		b, err := base64.RawURLEncoding.DecodeString(*nextToken)
		if *nextToken == "" || err != nil || len(b) == 0 {
			return 0, "", hubInvalidInput("Invalid pagination token")
		}
		from = string(b)
	}
	return size, from, nil
}

// queryPaging is hubPaging for the paging members of a request's query.
func queryPaging(q url.Values, max int) (int, string, *apiError) {
	var maxResults *int
	var nextToken *string
	if q.Has("MaxResults") {
		n, err := strconv.Atoi(q.Get("MaxResults"))
		if err != nil {
			return 0, "", hubInvalidInput("MaxResults %q is not a number", q.Get("MaxResults"))
		}
		maxResults = &n
	}
	if q.Has("NextToken") {
		t := q.Get("NextToken")
		nextToken = &t
	}
	return hubPaging(maxResults, nextToken, max)
}

// hubNow is the time of a change, as Security Hub's timestamps show it.
func (h *Handler) hubNow() time.Time { return h.now().UTC().Truncate(time.Millisecond) }

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// newHubLocked enables Security Hub for account in region, with the default
// standards if defaults. h.mu is held.
func (h *Handler) newHubLocked(account, region, generator string, tags map[string]string, defaults bool) *hub {
	if generator == "" {
		generator = findingsPerSecurityControl
	}
	b := &hub{
		account: account, region: region, subscribed: h.hubNow(),
		controlFindingGenerator: generator, tags: tags,
		standards: map[string]string{}, members: map[string]*hubMember{},
	}
	if defaults {
		for _, p := range defaultStandards {
			b.enableStandard(p)
		}
	}
	h.hubs[scope{account, region}] = b
	return b
}

// callerHubLocked returns the caller's Security Hub in its Region, which
// must be enabled. h.mu is held.
func (h *Handler) callerHubLocked(c caller) (*hub, *apiError) {
	b := h.hubs[scope{c.account, c.region}]
	if b == nil {
		return nil, hubInvalidAccess("Account %s is not subscribed to AWS Security Hub", c.account)
	}
	return b, nil
}

// enableSecurityHub is EnableSecurityHub: Security Hub for the caller in
// its Region, with the default standards unless EnableDefaultStandards is
// false.
func (h *Handler) enableSecurityHub(_ context.Context, c caller, in hubRequest) (any, *apiError) {
	var req struct {
		Tags                    map[string]string `json:"Tags"`
		EnableDefaultStandards  *bool             `json:"EnableDefaultStandards"`
		ControlFindingGenerator string            `json:"ControlFindingGenerator"`
	}
	if aerr := decodeHub(in.body, &req); aerr != nil {
		return nil, aerr
	}
	switch req.ControlFindingGenerator {
	case "", findingsPerSecurityControl, findingsPerStandardControl:
	default:
		return nil, hubInvalidInput("ControlFindingGenerator must be %s or %s, not %q",
			findingsPerSecurityControl, findingsPerStandardControl, req.ControlFindingGenerator)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.hubs[scope{c.account, c.region}] != nil {
		return nil, hubConflict("Account is already subscribed to Security Hub")
	}
	h.newHubLocked(c.account, c.region, req.ControlFindingGenerator, req.Tags, req.EnableDefaultStandards == nil || *req.EnableDefaultStandards)
	return struct{}{}, nil
}

// describeHub is DescribeHub: the caller's hub in its Region.
func (h *Handler) describeHub(_ context.Context, c caller, in hubRequest) (any, *apiError) {
	h.mu.Lock()
	defer h.mu.Unlock()
	b, aerr := h.callerHubLocked(c)
	if aerr != nil {
		return nil, aerr
	}
	if in.query.Has("HubArn") {
		arn := in.query.Get("HubArn")
		if !strings.HasPrefix(arn, "arn:aws:securityhub:") {
			return nil, hubInvalidInput("HubArn %q is not the ARN of a hub", arn)
		}
		if arn != b.arn() {
			return nil, hubNotFound("Hub %s not found", arn)
		}
	}
	return map[string]any{
		"HubArn":                  b.arn(),
		"SubscribedAt":            b.subscribed.Format("2006-01-02T15:04:05.000Z"),
		"AutoEnableControls":      true,
		"ControlFindingGenerator": b.controlFindingGenerator,
	}, nil
}

// standardsSubscription is the StandardsSubscription structure.
type standardsSubscription struct {
	StandardsArn               string            `json:"StandardsArn"`
	StandardsInput             map[string]string `json:"StandardsInput"`
	StandardsStatus            string            `json:"StandardsStatus"`
	StandardsSubscriptionArn   string            `json:"StandardsSubscriptionArn"`
	StandardsControlsUpdatable string            `json:"StandardsControlsUpdatable"`
}

func (b *hub) subscription(arn, status string) standardsSubscription {
	return standardsSubscription{
		StandardsArn: standardsARN(b.region, b.standards[arn]), StandardsInput: map[string]string{},
		StandardsStatus: status, StandardsSubscriptionArn: arn, StandardsControlsUpdatable: controlsUpdatable,
	}
}

// getEnabledStandards is GetEnabledStandards: the caller's subscriptions in
// its Region, by subscription ARN, all READY (BatchEnableStandards answers
// them PENDING).
func (h *Handler) getEnabledStandards(_ context.Context, c caller, in hubRequest) (any, *apiError) {
	var req struct {
		StandardsSubscriptionArns []string `json:"StandardsSubscriptionArns"`
		MaxResults                *int     `json:"MaxResults"`
		NextToken                 *string  `json:"NextToken"`
	}
	if aerr := decodeHub(in.body, &req); aerr != nil {
		return nil, aerr
	}
	size, from, aerr := hubPaging(req.MaxResults, req.NextToken, maxHubPage)
	if aerr != nil {
		return nil, aerr
	}
	h.mu.Lock()
	b, aerr := h.callerHubLocked(c)
	var subs []standardsSubscription
	if aerr == nil {
		for arn := range b.standards {
			if len(req.StandardsSubscriptionArns) == 0 || slices.Contains(req.StandardsSubscriptionArns, arn) {
				subs = append(subs, b.subscription(arn, standardsReady))
			}
		}
	}
	h.mu.Unlock()
	if aerr != nil {
		return nil, aerr
	}
	page, next := keyedPage(subs, func(s standardsSubscription) string { return s.StandardsSubscriptionArn }, size, from)
	return struct {
		StandardsSubscriptions []standardsSubscription `json:"StandardsSubscriptions"`
		NextToken              string                  `json:"NextToken,omitempty"`
	}{orEmpty(page), next}, nil
}

// batchEnableStandards is BatchEnableStandards: the standards, which must be
// standards of the caller's Region, are enabled, new ones answered PENDING
// and the enabled ones READY. A standard the fake does not know fails the
// request.
func (h *Handler) batchEnableStandards(_ context.Context, c caller, in hubRequest) (any, *apiError) {
	var req struct {
		StandardsSubscriptionRequests []struct {
			StandardsArn string `json:"StandardsArn"`
		} `json:"StandardsSubscriptionRequests"`
	}
	if aerr := decodeHub(in.body, &req); aerr != nil {
		return nil, aerr
	}
	if n := len(req.StandardsSubscriptionRequests); n < 1 || n > maxStandardsBatch {
		return nil, hubInvalidInput("StandardsSubscriptionRequests must list 1 to %d standards, not %d", maxStandardsBatch, n)
	}
	var paths []string
	for _, s := range req.StandardsSubscriptionRequests {
		p := standardPath(c.region, s.StandardsArn)
		if p == "" {
			return nil, hubInvalidInput("%s is not the ARN of a standard in %s", s.StandardsArn, c.region)
		}
		paths = append(paths, p)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	b, aerr := h.callerHubLocked(c)
	if aerr != nil {
		return nil, aerr
	}
	subs := []standardsSubscription{}
	for _, p := range paths {
		arn, added := b.enableStandard(p)
		status := standardsReady
		if added {
			status = standardsPending
		}
		subs = append(subs, b.subscription(arn, status))
	}
	return map[string][]standardsSubscription{"StandardsSubscriptions": subs}, nil
}

// batchDisableStandards is BatchDisableStandards: the subscriptions, which
// must be the caller's in its Region, are answered DELETING and removed.
func (h *Handler) batchDisableStandards(_ context.Context, c caller, in hubRequest) (any, *apiError) {
	var req struct {
		StandardsSubscriptionArns []string `json:"StandardsSubscriptionArns"`
	}
	if aerr := decodeHub(in.body, &req); aerr != nil {
		return nil, aerr
	}
	if n := len(req.StandardsSubscriptionArns); n < 1 || n > maxStandardsBatch {
		return nil, hubInvalidInput("StandardsSubscriptionArns must list 1 to %d subscriptions, not %d", maxStandardsBatch, n)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	b, aerr := h.callerHubLocked(c)
	if aerr != nil {
		return nil, aerr
	}
	for _, arn := range req.StandardsSubscriptionArns {
		if _, ok := b.standards[arn]; !ok {
			return nil, hubInvalidInput("%s is not a standards subscription of account %s in %s", arn, c.account, c.region)
		}
	}
	subs := []standardsSubscription{}
	for _, arn := range req.StandardsSubscriptionArns {
		if _, ok := b.standards[arn]; ok {
			subs = append(subs, b.subscription(arn, standardsDeleting))
			delete(b.standards, arn)
		}
	}
	return map[string][]standardsSubscription{"StandardsSubscriptions": subs}, nil
}

// hubManagementCaller checks that c is the organization's management
// account, which it returns.
func (h *Handler) hubManagementCaller(ctx context.Context, c caller) (string, *apiError) {
	mgmt, aerr := h.managementAccount(ctx)
	if aerr != nil {
		return "", aerr
	}
	if mgmt == "" || c.account != mgmt {
		return "", hubInvalidAccess("Account %s is not the management account of an organization", c.account)
	}
	return mgmt, nil
}

// hubAdminLocked returns the organization's Security Hub administrator
// account in region: the account designated there or, once central
// configuration is enabled, the home Region's in its linked Regions. h.mu
// is held.
func (h *Handler) hubAdminLocked(region string) string {
	if a, ok := h.hubAdmins[region]; ok {
		return a
	}
	if cc := h.hubCentral; cc != nil && cc.status == centralEnabled && h.linkedLocked(cc.admin, region) {
		return cc.admin
	}
	return ""
}

// checkHubAdminLocked refuses to designate account while another account is
// the Security Hub administrator account in region. h.mu is held.
func (h *Handler) checkHubAdminLocked(region, account string) *apiError {
	if a := h.hubAdminLocked(region); a != "" && a != account {
		return hubInvalidInput("Account %s is already the Security Hub administrator account in %s: remove it (DisableOrganizationAdminAccount) before designating %s",
			a, region, account)
	}
	return nil
}

// enableHubAdmin is EnableOrganizationAdminAccount: the management account
// designates an account of the organization (itself included) as the
// Security Hub administrator account in the region. Security Hub enables
// trusted access for securityhub.amazonaws.com, registers the account as
// its delegated administrator in Organizations unless it is the management
// account, and enables Security Hub in the account in the Region (with the
// default standards) if it is not. Once Organizations has a delegated
// administrator for Security Hub, only it or the management account can be
// designated; designating the current administrator again changes nothing.
func (h *Handler) enableHubAdmin(ctx context.Context, c caller, in hubRequest) (any, *apiError) {
	var req struct {
		AdminAccountID string `json:"AdminAccountId"`
		Feature        string `json:"Feature"`
	}
	if aerr := decodeHub(in.body, &req); aerr != nil {
		return nil, aerr
	}
	if req.Feature != "" && req.Feature != securityHubFeature {
		return nil, hubInvalidInput("Feature %q is not offered by this endpoint: only %s", req.Feature, securityHubFeature)
	}
	if aerr := validateHubAccountID("AdminAccountId", req.AdminAccountID); aerr != nil {
		return nil, aerr
	}
	mgmt, aerr := h.hubManagementCaller(ctx, c)
	if aerr != nil {
		return nil, aerr
	}
	accounts, err := h.moto.organizationAccounts(ctx)
	if err != nil {
		return nil, internalError(err)
	}
	if !accounts[req.AdminAccountID] {
		return nil, hubInvalidInput("Account %s is not in the organization", req.AdminAccountID)
	}
	h.mu.Lock()
	aerr = h.checkHubAdminLocked(c.region, req.AdminAccountID)
	h.mu.Unlock()
	if aerr != nil {
		return nil, aerr
	}
	delegated, err := h.moto.delegatedAdministrators(ctx, securityHubPrincipal)
	if err != nil {
		return nil, internalError(err)
	}
	if len(delegated) > 0 && req.AdminAccountID != mgmt && !slices.Contains(delegated, req.AdminAccountID) {
		return nil, hubInvalidInput("Account %s is the delegated administrator for Security Hub in AWS Organizations: the Security Hub administrator account must be it or the management account, not %s",
			strings.Join(delegated, ", "), req.AdminAccountID)
	}
	if err := h.moto.enableTrustedAccess(ctx, securityHubPrincipal); err != nil {
		return nil, internalError(err)
	}
	if req.AdminAccountID != mgmt && !slices.Contains(delegated, req.AdminAccountID) {
		if err := h.moto.registerDelegatedAdministrator(ctx, securityHubPrincipal, req.AdminAccountID); err != nil {
			return nil, internalError(err)
		}
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	if aerr := h.checkHubAdminLocked(c.region, req.AdminAccountID); aerr != nil {
		return nil, aerr
	}
	h.hubAdmins[c.region] = req.AdminAccountID
	h.hubAdminGen++
	if h.hubs[scope{req.AdminAccountID, c.region}] == nil {
		h.newHubLocked(req.AdminAccountID, c.region, "", nil, true)
	}
	return map[string]string{"AdminAccountId": req.AdminAccountID, "Feature": securityHubFeature}, nil
}

// syncHubAdmins applies a removal of Security Hub's delegated administrator
// through AWS Organizations (moto's DeregisterDelegatedAdministrator for
// securityhub.amazonaws.com), which Security Hub follows: "If you use the
// Organizations API to remove the delegated Security Hub CSPM administrator
// account, it is automatically removed in all Regions", and under central
// configuration "Security Hub CSPM automatically stops central
// configuration, and deletes your configuration policies and policy
// associations. Member accounts retain the configurations they had"
// ("Removing or changing the delegated administrator", AWS Security Hub
// CSPM User Guide). The fake applies it at the next Security Hub request:
// an administrator account that is neither the management account (which
// Organizations does not register) nor a delegated administrator in moto
// is removed in every Region, and the central configuration it ran is
// stopped with its policies and associations. The hubs, standards, members
// and finding aggregators stay. A designation made while moto was read
// leaves the check to the next request.
func (h *Handler) syncHubAdmins(ctx context.Context) *apiError {
	h.mu.Lock()
	gen, designated := h.hubAdminGen, len(h.hubAdmins) > 0 || h.hubCentral != nil
	h.mu.Unlock()
	if !designated {
		return nil
	}
	mgmt, aerr := h.managementAccount(ctx)
	if aerr != nil {
		return aerr
	}
	delegated, err := h.moto.delegatedAdministrators(ctx, securityHubPrincipal)
	if err != nil {
		return internalError(err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.hubAdminGen != gen {
		return nil
	}
	removed := func(account string) bool { return account != mgmt && !slices.Contains(delegated, account) }
	for region, a := range h.hubAdmins {
		if removed(a) {
			delete(h.hubAdmins, region)
		}
	}
	if cc := h.hubCentral; cc != nil && removed(cc.admin) {
		h.hubCentral = nil
		h.hubPolicies = map[string]*hubPolicy{}
		h.hubAssociations = map[string]*hubAssociation{}
	}
	return nil
}

// adminAccount is the AdminAccount structure.
type adminAccount struct {
	AccountID string `json:"AccountId"`
	Status    string `json:"Status"`
}

// listHubAdmins is ListOrganizationAdminAccounts: the Security Hub
// administrator account in the region, for the management account.
func (h *Handler) listHubAdmins(ctx context.Context, c caller, in hubRequest) (any, *apiError) {
	if f := in.query.Get("Feature"); f != "" && f != securityHubFeature {
		return nil, hubInvalidInput("Feature %q is not offered by this endpoint: only %s", f, securityHubFeature)
	}
	size, from, aerr := queryPaging(in.query, maxHubAdminPage)
	if aerr != nil {
		return nil, aerr
	}
	if _, aerr := h.hubManagementCaller(ctx, c); aerr != nil {
		return nil, aerr
	}
	h.mu.Lock()
	var admins []adminAccount
	if a := h.hubAdminLocked(c.region); a != "" {
		admins = append(admins, adminAccount{AccountID: a, Status: "ENABLED"})
	}
	h.mu.Unlock()
	page, next := keyedPage(admins, func(a adminAccount) string { return a.AccountID }, size, from)
	return struct {
		AdminAccounts []adminAccount `json:"AdminAccounts"`
		Feature       string         `json:"Feature"`
		NextToken     string         `json:"NextToken,omitempty"`
	}{orEmpty(page), securityHubFeature, next}, nil
}

// hubAdminCallerLocked checks that c is the organization's Security Hub
// administrator account in its Region. h.mu is held.
func (h *Handler) hubAdminCallerLocked(c caller) *apiError {
	if h.hubAdminLocked(c.region) != c.account {
		return hubInvalidAccess("Account %s is not an administrator for this organization", c.account)
	}
	return nil
}

// hubResult is the Result structure of unprocessed accounts.
type hubResult struct {
	AccountID        string `json:"AccountId"`
	ProcessingResult string `json:"ProcessingResult"`
}

// createHubMembers is CreateMembers. The organization's administrator
// account makes the organization's accounts Enabled member accounts, and
// enables Security Hub with the default standards in those that do not have
// it, except the management account, which must enable it itself (the
// account is answered as unprocessed). Other accounts, and every account
// added by an account that is not the organization's administrator, are
// Created: they would need an invitation (InviteMembers), which the fake
// does not offer. The caller itself, members already (an account given
// twice too), members of another administrator and administrator accounts
// are answered as unprocessed; a member account cannot add members.
func (h *Handler) createHubMembers(ctx context.Context, c caller, in hubRequest) (any, *apiError) {
	var req struct {
		AccountDetails []struct {
			AccountID string `json:"AccountId"`
			Email     string `json:"Email"`
		} `json:"AccountDetails"`
	}
	if aerr := decodeHub(in.body, &req); aerr != nil {
		return nil, aerr
	}
	if len(req.AccountDetails) == 0 {
		return nil, hubInvalidInput("AccountDetails must list at least one account")
	}
	for _, a := range req.AccountDetails {
		if aerr := validateHubAccountID("AccountId", a.AccountID); aerr != nil {
			return nil, aerr
		}
	}
	h.mu.Lock()
	aerr := h.memberAdminLocked(c)
	isAdmin := h.hubAdminLocked(c.region) == c.account
	h.mu.Unlock()
	if aerr != nil {
		return nil, aerr
	}
	var orgAccounts map[string]bool
	var mgmt string
	if isAdmin {
		a, err := h.moto.organizationAccounts(ctx)
		if err != nil {
			return nil, internalError(err)
		}
		m, aerr := h.managementAccount(ctx)
		if aerr != nil {
			return nil, aerr
		}
		orgAccounts, mgmt = a, m
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	if aerr := h.memberAdminLocked(c); aerr != nil {
		return nil, aerr
	}
	admin := h.hubs[scope{c.account, c.region}]
	now := h.hubNow()
	unprocessed := []hubResult{}
	for _, a := range req.AccountDetails {
		id := a.AccountID
		target := h.hubs[scope{id, c.region}]
		switch m := admin.members[id]; {
		case id == c.account:
			unprocessed = append(unprocessed, hubResult{id, "An administrator account cannot be its own member account"})
		case m != nil:
			unprocessed = append(unprocessed, hubResult{id, fmt.Sprintf("The account is already a member account (%s)", m.status)})
		case target != nil && target.administrator != "":
			unprocessed = append(unprocessed, hubResult{id, fmt.Sprintf("The account is a member account of administrator account %s", target.administrator)})
		case target != nil && len(target.members) > 0:
			unprocessed = append(unprocessed, hubResult{id, "The account is an administrator account: it cannot be a member account"})
		case isAdmin && orgAccounts[id]:
			if target == nil {
				if id == mgmt {
					unprocessed = append(unprocessed, hubResult{id, "Security Hub cannot be enabled automatically for the organization management account: it must enable Security Hub first"})
					break
				}
				target = h.newHubLocked(id, c.region, admin.controlFindingGenerator, nil, true)
			}
			target.administrator = c.account
			admin.members[id] = &hubMember{account: id, email: a.Email, status: hubMemberEnabled, updated: now}
		default:
			admin.members[id] = &hubMember{account: id, email: a.Email, status: hubMemberCreated, updated: now}
		}
	}
	return map[string][]hubResult{"UnprocessedAccounts": unprocessed}, nil
}

// memberAdminLocked checks that c can have member accounts: it has
// Security Hub and is no member account itself. h.mu is held.
func (h *Handler) memberAdminLocked(c caller) *apiError {
	b, aerr := h.callerHubLocked(c)
	if aerr != nil {
		return aerr
	}
	if b.administrator != "" {
		return hubInvalidInput("Account %s is a member account of administrator account %s: it cannot have member accounts", c.account, b.administrator)
	}
	return nil
}

// hubMemberDetail is the Member structure.
type hubMemberDetail struct {
	AccountID       string    `json:"AccountId"`
	AdministratorID string    `json:"AdministratorId"`
	MasterID        string    `json:"MasterId"`
	Email           string    `json:"Email,omitempty"`
	MemberStatus    string    `json:"MemberStatus"`
	UpdatedAt       time.Time `json:"UpdatedAt"`
}

func (b *hub) memberDetail(m *hubMember) hubMemberDetail {
	return hubMemberDetail{
		AccountID: m.account, AdministratorID: b.account, MasterID: b.account,
		Email: m.email, MemberStatus: m.status, UpdatedAt: m.updated,
	}
}

// listHubMembers is ListMembers: the caller's member accounts by account
// ID, only the Enabled ones unless OnlyAssociated is false.
func (h *Handler) listHubMembers(_ context.Context, c caller, in hubRequest) (any, *apiError) {
	onlyAssociated := true
	if in.query.Has("OnlyAssociated") {
		b, err := strconv.ParseBool(in.query.Get("OnlyAssociated"))
		if err != nil {
			return nil, hubInvalidInput("OnlyAssociated %q is not a boolean", in.query.Get("OnlyAssociated"))
		}
		onlyAssociated = b
	}
	size, from, aerr := queryPaging(in.query, maxHubMemberPage)
	if aerr != nil {
		return nil, aerr
	}
	h.mu.Lock()
	b, aerr := h.callerHubLocked(c)
	var details []hubMemberDetail
	if aerr == nil {
		for _, m := range b.members {
			if !onlyAssociated || m.status == hubMemberEnabled {
				details = append(details, b.memberDetail(m))
			}
		}
	}
	h.mu.Unlock()
	if aerr != nil {
		return nil, aerr
	}
	page, next := keyedPage(details, func(d hubMemberDetail) string { return d.AccountID }, size, from)
	return struct {
		Members   []hubMemberDetail `json:"Members"`
		NextToken string            `json:"NextToken,omitempty"`
	}{orEmpty(page), next}, nil
}

// getHubMembers is GetMembers; accounts that are not the caller's member
// accounts are answered as unprocessed.
func (h *Handler) getHubMembers(_ context.Context, c caller, in hubRequest) (any, *apiError) {
	var req struct {
		AccountIDs []string `json:"AccountIds"`
	}
	if aerr := decodeHub(in.body, &req); aerr != nil {
		return nil, aerr
	}
	if len(req.AccountIDs) == 0 {
		return nil, hubInvalidInput("AccountIds must list at least one account")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	b, aerr := h.callerHubLocked(c)
	if aerr != nil {
		return nil, aerr
	}
	details, unprocessed := []hubMemberDetail{}, []hubResult{}
	for _, id := range req.AccountIDs {
		if m := b.members[id]; m != nil {
			details = append(details, b.memberDetail(m))
		} else {
			unprocessed = append(unprocessed, hubResult{id, "The account is not a member account of the administrator account"})
		}
	}
	return struct {
		Members             []hubMemberDetail `json:"Members"`
		UnprocessedAccounts []hubResult       `json:"UnprocessedAccounts"`
	}{details, unprocessed}, nil
}
