package fakeaws

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// detectiveSigningName is Amazon Detective's SigV4 signing name, the
// service of its requests' credential scope.
const detectiveSigningName = "detective"

// detectivePrincipal is Amazon Detective's service principal in AWS
// Organizations.
const detectivePrincipal = "detective.amazonaws.com"

// Limits of the Detective API Reference: list pages hold 1 to 200 results
// (MemberResultsLimit), CreateMembers and GetMembers take 1 to 50 accounts
// (AccountList, AccountIdList), a behavior graph has at most 1,200 member
// accounts (ServiceQuotaExceededException), pagination tokens are 1 to 1024
// characters (PaginationToken) and invitation messages 1 to 1000
// (EmailMessage).
const (
	maxDetectivePage     = 200
	maxDetectiveAccounts = 50
	maxGraphMembers      = 1200
	maxPaginationToken   = 1024
	maxInvitationMessage = 1000
)

// Values of MemberDetail's Status and InvitationType.
const (
	memberInvited            = "INVITED"
	memberEnabled            = "ENABLED"
	invitationTypeOrg        = "ORGANIZATION"
	invitationTypeInvitation = "INVITATION"
)

// Values of the ErrorCode member of Detective's ValidationException.
const (
	errorCodeInvalidGraphARN    = "INVALID_GRAPH_ARN"
	errorCodeInvalidRequestBody = "INVALID_REQUEST_BODY"
)

var (
	// detectiveAccountID is the pattern of AccountId (fixed length 12,
	// ^[0-9]+$).
	detectiveAccountID = regexp.MustCompile(`^[0-9]{12}$`)
	// graphARN is the pattern of GraphArn.
	graphARN = regexp.MustCompile(`^arn:aws[-\w]{0,10}?:detective:[-\w]{2,20}?:\d{12}?:graph:[abcdef\d]{32}?$`)
	// emailAddress is the pattern of EmailAddress, 1 to 64 characters (the
	// reference's pattern without its look-ahead, which RE2 lacks).
	emailAddress = regexp.MustCompile(`^.+@(?:[A-Za-z0-9-]{0,62}[A-Za-z0-9]\.)+[A-Za-z]{2,63}$`)
)

const maxEmailAddress = 64

// graph is a behavior graph.
type graph struct {
	arn     string
	admin   string
	region  string
	created time.Time
	tags    map[string]string
	// autoEnable is the organization configuration's AutoEnable.
	autoEnable bool
	// members holds the member accounts by account ID; the administrator
	// account is not among them.
	members map[string]*member
}

// member is an account's membership in a behavior graph.
type member struct {
	account        string
	email          string
	status         string
	invitationType string
	invited        time.Time // zero for organization accounts
	updated        time.Time
}

// detectiveAdmin is the organization's Detective administrator account in a
// region.
type detectiveAdmin struct {
	account   string
	delegated time.Time
}

// RefuseDetective makes every request that would enable Detective for an
// account (CreateGraph, and EnableOrganizationAdminAccount for an account
// without a behavior graph) fail with a ValidationException, as AWS refuses
// an account that has not had Amazon GuardDuty enabled for 48 hours (on), or
// accept them again (off).
func (h *Handler) RefuseDetective(on bool) {
	h.mu.Lock()
	h.refuseDetective = on
	h.mu.Unlock()
}

// detectiveOp answers one Detective operation for the caller.
type detectiveOp func(h *Handler, ctx context.Context, c caller, body []byte) (any, *apiError)

// detectiveRoutes are the operations the fake answers, by method and path
// (the SDK's restJson1 serializers).
var detectiveRoutes = map[string]detectiveOp{
	"POST /orgs/enableAdminAccount":                (*Handler).enableDetectiveAdmin,
	"POST /orgs/adminAccountslist":                 (*Handler).listDetectiveAdmins,
	"POST /orgs/disableAdminAccount":               (*Handler).disableDetectiveAdmin,
	"POST /orgs/describeOrganizationConfiguration": (*Handler).describeDetectiveOrgConfig,
	"POST /orgs/updateOrganizationConfiguration":   (*Handler).updateDetectiveOrgConfig,
	"POST /graph":              (*Handler).createGraph,
	"POST /graphs/list":        (*Handler).listGraphs,
	"POST /graph/members":      (*Handler).createMembers,
	"POST /graph/members/list": (*Handler).listMembers,
	"POST /graph/members/get":  (*Handler).getMembers,
	"POST /invitations/list":   (*Handler).listInvitations,
	"PUT /invitation":          (*Handler).acceptInvitation,
}

// serveDetective routes an Amazon Detective request by method and path.
func (h *Handler) serveDetective(w http.ResponseWriter, r *http.Request) {
	op, ok := detectiveRoutes[r.Method+" "+r.URL.EscapedPath()]
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
		writeRESTError(w, detectiveInvalid(errorCodeInvalidRequestBody, "cannot read the request body: %v", err))
		return
	}
	out, aerr := op(h, r.Context(), c, body)
	if aerr != nil {
		writeRESTError(w, aerr)
		return
	}
	writeJSON(w, contentTypeRESTJSON, http.StatusOK, out)
}

// detectiveInvalid is Detective's ValidationException (HTTP 400), with its
// ErrorCode and ErrorCodeReason members.
func detectiveInvalid(code, format string, args ...any) *apiError {
	e := newError(http.StatusBadRequest, "ValidationException", format, args...)
	return e.with("ErrorCode", code).with("ErrorCodeReason", e.message)
}

// detectiveDenied is Detective's AccessDeniedException (HTTP 403).
func detectiveDenied(format string, args ...any) *apiError {
	return newError(http.StatusForbidden, "AccessDeniedException", format, args...)
}

// detectiveNotFound is Detective's ResourceNotFoundException (HTTP 404).
func detectiveNotFound(format string, args ...any) *apiError {
	return newError(http.StatusNotFound, "ResourceNotFoundException", format, args...)
}

// detectiveConflict is Detective's ConflictException (HTTP 409).
func detectiveConflict(format string, args ...any) *apiError {
	return newError(http.StatusConflict, "ConflictException", format, args...)
}

// decodeDetective reads a request's JSON body into v.
func decodeDetective(body []byte, v any) *apiError {
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return detectiveInvalid(errorCodeInvalidRequestBody, "cannot parse the request body: %v", err)
	}
	return nil
}

func validateAccountID(field, id string) *apiError {
	if !detectiveAccountID.MatchString(id) {
		return detectiveInvalid(errorCodeInvalidRequestBody, "%s %q must be an account ID of 12 digits", field, id)
	}
	return nil
}

func validateGraphARN(arn string) *apiError {
	if !graphARN.MatchString(arn) {
		return detectiveInvalid(errorCodeInvalidGraphARN, "GraphArn %q is not the ARN of a behavior graph", arn)
	}
	return nil
}

// pageRequest holds the paging members of the list operations.
type pageRequest struct {
	MaxResults *int    `json:"MaxResults"`
	NextToken  *string `json:"NextToken"`
}

// start checks the request's paging members and returns the page size and
// the key of the page's first result ("" for the first page).
func (p pageRequest) start() (size int, from string, aerr *apiError) {
	size = maxDetectivePage
	if p.MaxResults != nil {
		if n := *p.MaxResults; n < 1 || n > maxDetectivePage {
			return 0, "", detectiveInvalid(errorCodeInvalidRequestBody, "MaxResults must be between 1 and %d, not %d", maxDetectivePage, n)
		}
		size = *p.MaxResults
	}
	if p.NextToken != nil {
		t := *p.NextToken
		b, err := base64.RawURLEncoding.DecodeString(t)
		if t == "" || len(t) > maxPaginationToken || err != nil || len(b) == 0 {
			return 0, "", detectiveInvalid(errorCodeInvalidRequestBody, "Invalid pagination token")
		}
		from = string(b)
	}
	return size, from, nil
}

// keyedPage returns the page of items (sorted by key) that starts at
// the key from and holds at most size items, and the token of the next
// page ("" for none).
func keyedPage[T any](items []T, key func(T) string, size int, from string) ([]T, string) {
	slices.SortFunc(items, func(a, b T) int { return strings.Compare(key(a), key(b)) })
	i, _ := slices.BinarySearchFunc(items, from, func(a T, k string) int { return strings.Compare(key(a), k) })
	items = items[i:]
	if len(items) > size {
		return items[:size], base64.RawURLEncoding.EncodeToString([]byte(key(items[size])))
	}
	return items, ""
}

// detectiveNow is the time of a change, as Detective's timestamps show it.
func (h *Handler) detectiveNow() time.Time { return h.now().UTC().Truncate(time.Millisecond) }

// newGraphLocked creates the behavior graph of account in region. h.mu is
// held.
func (h *Handler) newGraphLocked(account, region string, tags map[string]string) *graph {
	var id [16]byte
	rand.Read(id[:])
	g := &graph{
		arn:     fmt.Sprintf("arn:aws:detective:%s:%s:graph:%s", region, account, hex.EncodeToString(id[:])),
		admin:   account,
		region:  region,
		created: h.detectiveNow(),
		tags:    tags,
		members: map[string]*member{},
	}
	h.graphs[g.arn] = g
	h.graphOf[scope{account, region}] = g.arn
	return g
}

// refusalLocked is the error of enabling Detective for account while
// RefuseDetective is on, nil otherwise. h.mu is held.
func (h *Handler) refusalLocked(account, region string) *apiError {
	if !h.refuseDetective {
		return nil
	}
	return detectiveInvalid(errorCodeInvalidRequestBody,
		"Detective cannot be enabled for account %s in %s: Amazon GuardDuty has not been enabled in the account for at least 48 hours", account, region)
}

// managementCaller checks that c is the organization's management account,
// which it returns.
func (h *Handler) managementCaller(ctx context.Context, c caller) (string, *apiError) {
	mgmt, aerr := h.managementAccount(ctx)
	if aerr != nil {
		return "", aerr
	}
	if mgmt == "" || c.account != mgmt {
		return "", detectiveDenied("Account %s is not the management account of an organization", c.account)
	}
	return mgmt, nil
}

// enableDetectiveAdmin is EnableOrganizationAdminAccount: the management
// account designates an account of the organization (itself included) as
// the Detective administrator account in the region. The account gets a
// behavior graph if it has none, and that graph becomes the organization
// behavior graph, whose members that belong to the organization become
// ENABLED organization members. Detective enables trusted access for
// detective.amazonaws.com and, for an account other than the management
// account, registers it as Detective's delegated administrator; once one is
// registered, only it or the management account can be designated.
// Designating the current administrator again changes nothing.
func (h *Handler) enableDetectiveAdmin(ctx context.Context, c caller, body []byte) (any, *apiError) {
	var in struct {
		AccountID string `json:"AccountId"`
	}
	if aerr := decodeDetective(body, &in); aerr != nil {
		return nil, aerr
	}
	if aerr := validateAccountID("AccountId", in.AccountID); aerr != nil {
		return nil, aerr
	}
	mgmt, aerr := h.managementCaller(ctx, c)
	if aerr != nil {
		return nil, aerr
	}
	accounts, err := h.moto.organizationAccounts(ctx)
	if err != nil {
		return nil, internalError(err)
	}
	if !accounts[in.AccountID] {
		return nil, detectiveInvalid(errorCodeInvalidRequestBody, "Account %s is not in the organization", in.AccountID)
	}
	if aerr := h.checkDetectiveAdmin(c.region, in.AccountID); aerr != nil {
		return nil, aerr
	}
	delegated, err := h.moto.delegatedAdministrators(ctx, detectivePrincipal)
	if err != nil {
		return nil, internalError(err)
	}
	if len(delegated) > 0 && in.AccountID != mgmt && !slices.Contains(delegated, in.AccountID) {
		return nil, detectiveInvalid(errorCodeInvalidRequestBody,
			"Account %s is the delegated administrator for Detective in AWS Organizations: the Detective administrator account must be it or the management account, not %s",
			strings.Join(delegated, ", "), in.AccountID)
	}
	h.mu.Lock()
	_, hasGraph := h.graphOf[scope{in.AccountID, c.region}]
	refusal := h.refusalLocked(in.AccountID, c.region)
	h.mu.Unlock()
	if !hasGraph && refusal != nil {
		return nil, refusal
	}

	// Detective enables trusted access and registers the delegated
	// administrator itself: AmazonDetectiveOrganizationsAccess grants
	// organizations:EnableAWSServiceAccess and RegisterDelegatedAdministrator
	// for detective.amazonaws.com to the callers of
	// EnableOrganizationAdminAccount.
	if err := h.moto.enableTrustedAccess(ctx, detectivePrincipal); err != nil {
		return nil, internalError(err)
	}
	if in.AccountID != mgmt && !slices.Contains(delegated, in.AccountID) {
		if err := h.moto.registerDelegatedAdministrator(ctx, detectivePrincipal, in.AccountID); err != nil {
			return nil, internalError(err)
		}
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	if aerr := h.checkDetectiveAdminLocked(c.region, in.AccountID); aerr != nil {
		return nil, aerr
	}
	if _, ok := h.detectiveAdmins[c.region]; ok {
		return struct{}{}, nil
	}
	now := h.detectiveNow()
	g := h.graphs[h.graphOf[scope{in.AccountID, c.region}]]
	if g == nil {
		g = h.newGraphLocked(in.AccountID, c.region, nil)
	}
	for id, m := range g.members {
		if accounts[id] && m.invitationType != invitationTypeOrg {
			m.invitationType, m.status, m.updated = invitationTypeOrg, memberEnabled, now
		}
	}
	h.detectiveAdmins[c.region] = detectiveAdmin{account: in.AccountID, delegated: now}
	return struct{}{}, nil
}

// disableDetectiveAdmin is DisableOrganizationAdminAccount
// ("DisableOrganizationAdminAccount", Amazon Detective API Reference): only
// the management account calls it; it removes the Detective administrator
// account in the caller's region and deletes the organization behavior
// graph, and with it the graph's memberships. "Removing the Detective
// administrator account does not affect the delegated administrator
// account for Detective in Organizations": the fake leaves moto's delegated
// administrator and trusted access as they are. The administrator's graphs
// in other regions stay. A region without an administrator is answered
// without a change (AWS does not document that case).
func (h *Handler) disableDetectiveAdmin(ctx context.Context, c caller, body []byte) (any, *apiError) {
	if aerr := decodeDetective(body, &struct{}{}); aerr != nil {
		return nil, aerr
	}
	if _, aerr := h.managementCaller(ctx, c); aerr != nil {
		return nil, aerr
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	a, ok := h.detectiveAdmins[c.region]
	if !ok {
		return struct{}{}, nil
	}
	sc := scope{a.account, c.region}
	delete(h.graphs, h.graphOf[sc])
	delete(h.graphOf, sc)
	delete(h.detectiveAdmins, c.region)
	return struct{}{}, nil
}

// checkDetectiveAdmin refuses to designate account while another account
// is the Detective administrator account in region.
func (h *Handler) checkDetectiveAdmin(region, account string) *apiError {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.checkDetectiveAdminLocked(region, account)
}

func (h *Handler) checkDetectiveAdminLocked(region, account string) *apiError {
	if a, ok := h.detectiveAdmins[region]; ok && a.account != account {
		return detectiveInvalid(errorCodeInvalidRequestBody,
			"Account %s is already the Detective administrator account in %s: remove it (DisableOrganizationAdminAccount) before designating %s",
			a.account, region, account)
	}
	return nil
}

// administrator is the Administrator structure.
type administrator struct {
	AccountID      string    `json:"AccountId"`
	GraphArn       string    `json:"GraphArn"`
	DelegationTime time.Time `json:"DelegationTime"`
}

// listDetectiveAdmins is ListOrganizationAdminAccounts: the Detective
// administrator account in the region, for the management account.
func (h *Handler) listDetectiveAdmins(ctx context.Context, c caller, body []byte) (any, *apiError) {
	var in pageRequest
	if aerr := decodeDetective(body, &in); aerr != nil {
		return nil, aerr
	}
	size, from, aerr := in.start()
	if aerr != nil {
		return nil, aerr
	}
	if _, aerr := h.managementCaller(ctx, c); aerr != nil {
		return nil, aerr
	}
	h.mu.Lock()
	var admins []administrator
	if a, ok := h.detectiveAdmins[c.region]; ok {
		admins = append(admins, administrator{AccountID: a.account, GraphArn: h.graphOf[scope{a.account, c.region}], DelegationTime: a.delegated})
	}
	h.mu.Unlock()
	page, next := keyedPage(admins, func(a administrator) string { return a.AccountID }, size, from)
	return struct {
		Administrators []administrator `json:"Administrators"`
		NextToken      string          `json:"NextToken,omitempty"`
	}{Administrators: orEmpty(page), NextToken: next}, nil
}

// orEmpty answers an empty list as [], not null.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// createGraph is CreateGraph: the caller's behavior graph in the region,
// made if it has none.
func (h *Handler) createGraph(_ context.Context, c caller, body []byte) (any, *apiError) {
	var in struct {
		Tags map[string]string `json:"Tags"`
	}
	if aerr := decodeDetective(body, &in); aerr != nil {
		return nil, aerr
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	arn, ok := h.graphOf[scope{c.account, c.region}]
	if !ok {
		if aerr := h.refusalLocked(c.account, c.region); aerr != nil {
			return nil, aerr
		}
		arn = h.newGraphLocked(c.account, c.region, in.Tags).arn
	}
	return map[string]string{"GraphArn": arn}, nil
}

// graphSummary is the Graph structure.
type graphSummary struct {
	Arn         string    `json:"Arn"`
	CreatedTime time.Time `json:"CreatedTime"`
}

// listGraphs is ListGraphs: the behavior graph the caller administers in
// the region, if any.
func (h *Handler) listGraphs(_ context.Context, c caller, body []byte) (any, *apiError) {
	var in pageRequest
	if aerr := decodeDetective(body, &in); aerr != nil {
		return nil, aerr
	}
	size, from, aerr := in.start()
	if aerr != nil {
		return nil, aerr
	}
	h.mu.Lock()
	var graphs []graphSummary
	if g := h.graphs[h.graphOf[scope{c.account, c.region}]]; g != nil {
		graphs = append(graphs, graphSummary{Arn: g.arn, CreatedTime: g.created})
	}
	h.mu.Unlock()
	page, next := keyedPage(graphs, func(g graphSummary) string { return g.Arn }, size, from)
	return struct {
		GraphList []graphSummary `json:"GraphList"`
		NextToken string         `json:"NextToken,omitempty"`
	}{GraphList: orEmpty(page), NextToken: next}, nil
}

// adminGraphLocked returns the behavior graph arn of the caller's region,
// which the caller must administer: the graph of another account is
// refused, a graph the caller does not have is not found. h.mu is held.
func (h *Handler) adminGraphLocked(c caller, arn string) (*graph, *apiError) {
	if aerr := validateGraphARN(arn); aerr != nil {
		return nil, aerr
	}
	if owner := strings.Split(arn, ":")[4]; owner != c.account {
		return nil, detectiveDenied("Account %s is not the administrator account of the behavior graph %s", c.account, arn)
	}
	g := h.graphs[arn]
	if g == nil || g.region != c.region {
		return nil, detectiveNotFound("The behavior graph %s does not exist in %s", arn, c.region)
	}
	return g, nil
}

// orgGraphLocked returns the behavior graph arn, which must be the
// organization behavior graph of the caller's region, administered by the
// caller. h.mu is held.
func (h *Handler) orgGraphLocked(c caller, arn string) (*graph, *apiError) {
	if aerr := validateGraphARN(arn); aerr != nil {
		return nil, aerr
	}
	if a, ok := h.detectiveAdmins[c.region]; !ok || a.account != c.account {
		return nil, detectiveDenied("Account %s is not the Detective administrator account for the organization in %s", c.account, c.region)
	}
	g := h.graphs[h.graphOf[scope{c.account, c.region}]]
	if g == nil || g.arn != arn {
		return nil, detectiveInvalid(errorCodeInvalidGraphARN, "%s is not the organization behavior graph in %s", arn, c.region)
	}
	return g, nil
}

// isOrgGraphLocked reports whether g is the organization behavior graph of
// its region. h.mu is held.
func (h *Handler) isOrgGraphLocked(g *graph) bool {
	a, ok := h.detectiveAdmins[g.region]
	return ok && a.account == g.admin
}

// describeDetectiveOrgConfig is DescribeOrganizationConfiguration.
func (h *Handler) describeDetectiveOrgConfig(_ context.Context, c caller, body []byte) (any, *apiError) {
	var in struct {
		GraphArn string `json:"GraphArn"`
	}
	if aerr := decodeDetective(body, &in); aerr != nil {
		return nil, aerr
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	g, aerr := h.orgGraphLocked(c, in.GraphArn)
	if aerr != nil {
		return nil, aerr
	}
	return map[string]bool{"AutoEnable": g.autoEnable}, nil
}

// updateDetectiveOrgConfig is UpdateOrganizationConfiguration. AutoEnable
// is kept and answered; accounts that join the organization later are not
// enabled by the fake.
func (h *Handler) updateDetectiveOrgConfig(_ context.Context, c caller, body []byte) (any, *apiError) {
	var in struct {
		GraphArn   string `json:"GraphArn"`
		AutoEnable bool   `json:"AutoEnable"`
	}
	if aerr := decodeDetective(body, &in); aerr != nil {
		return nil, aerr
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	g, aerr := h.orgGraphLocked(c, in.GraphArn)
	if aerr != nil {
		return nil, aerr
	}
	g.autoEnable = in.AutoEnable
	return struct{}{}, nil
}

// memberDetail is the MemberDetail structure.
type memberDetail struct {
	AccountID       string     `json:"AccountId"`
	EmailAddress    string     `json:"EmailAddress,omitempty"`
	GraphArn        string     `json:"GraphArn"`
	AdministratorID string     `json:"AdministratorId"`
	MasterID        string     `json:"MasterId"`
	Status          string     `json:"Status"`
	InvitationType  string     `json:"InvitationType"`
	InvitedTime     *time.Time `json:"InvitedTime,omitempty"`
	UpdatedTime     time.Time  `json:"UpdatedTime"`
}

func (g *graph) detail(m *member) memberDetail {
	d := memberDetail{
		AccountID: m.account, EmailAddress: m.email, GraphArn: g.arn,
		AdministratorID: g.admin, MasterID: g.admin,
		Status: m.status, InvitationType: m.invitationType, UpdatedTime: m.updated,
	}
	if !m.invited.IsZero() {
		t := m.invited
		d.InvitedTime = &t
	}
	return d
}

// unprocessedAccount is the UnprocessedAccount structure.
type unprocessedAccount struct {
	AccountID string `json:"AccountId"`
	Reason    string `json:"Reason"`
}

// createMembers is CreateMembers. In the organization behavior graph the
// organization's accounts become ENABLED members of type ORGANIZATION; every
// other account is invited (INVITED, type INVITATION), which takes its email
// address. The administrator account, accounts that are already members
// and accounts given twice are answered as unprocessed.
func (h *Handler) createMembers(ctx context.Context, c caller, body []byte) (any, *apiError) {
	var in struct {
		GraphArn string `json:"GraphArn"`
		Accounts []struct {
			AccountID    string `json:"AccountId"`
			EmailAddress string `json:"EmailAddress"`
		} `json:"Accounts"`
		DisableEmailNotification bool    `json:"DisableEmailNotification"`
		Message                  *string `json:"Message"`
	}
	if aerr := decodeDetective(body, &in); aerr != nil {
		return nil, aerr
	}
	if n := len(in.Accounts); n < 1 || n > maxDetectiveAccounts {
		return nil, detectiveInvalid(errorCodeInvalidRequestBody, "Accounts must list 1 to %d accounts, not %d", maxDetectiveAccounts, n)
	}
	for _, a := range in.Accounts {
		if aerr := validateAccountID("AccountId", a.AccountID); aerr != nil {
			return nil, aerr
		}
		if e := a.EmailAddress; e != "" && (len(e) > maxEmailAddress || !emailAddress.MatchString(e)) {
			return nil, detectiveInvalid(errorCodeInvalidRequestBody, "EmailAddress of account %s is not a valid email address", a.AccountID)
		}
	}
	if m := in.Message; m != nil && (len(*m) < 1 || len(*m) > maxInvitationMessage) {
		return nil, detectiveInvalid(errorCodeInvalidRequestBody, "Message must be 1 to %d characters", maxInvitationMessage)
	}

	h.mu.Lock()
	g, aerr := h.adminGraphLocked(c, in.GraphArn)
	isOrg := aerr == nil && h.isOrgGraphLocked(g)
	h.mu.Unlock()
	if aerr != nil {
		return nil, aerr
	}
	var orgAccounts map[string]bool
	if isOrg {
		a, err := h.moto.organizationAccounts(ctx)
		if err != nil {
			return nil, internalError(err)
		}
		orgAccounts = a
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	if g, aerr = h.adminGraphLocked(c, in.GraphArn); aerr != nil {
		return nil, aerr
	}
	now := h.detectiveNow()
	var added []*member
	var unprocessed []unprocessedAccount
	seen := map[string]bool{}
	for _, a := range in.Accounts {
		switch m := g.members[a.AccountID]; {
		case seen[a.AccountID]:
			unprocessed = append(unprocessed, unprocessedAccount{a.AccountID, "The account is given more than once in the request"})
		case a.AccountID == g.admin:
			unprocessed = append(unprocessed, unprocessedAccount{a.AccountID, "The administrator account cannot be a member account of its own behavior graph"})
		case m != nil:
			unprocessed = append(unprocessed, unprocessedAccount{a.AccountID, fmt.Sprintf("The account is already a member account of the behavior graph (status %s)", m.status)})
		case isOrg && orgAccounts[a.AccountID]:
			added = append(added, &member{account: a.AccountID, email: a.EmailAddress, status: memberEnabled, invitationType: invitationTypeOrg, updated: now})
		case a.EmailAddress == "":
			unprocessed = append(unprocessed, unprocessedAccount{a.AccountID, "An invited account needs the email address of its root user"})
		default:
			added = append(added, &member{account: a.AccountID, email: a.EmailAddress, status: memberInvited, invitationType: invitationTypeInvitation, invited: now, updated: now})
		}
		seen[a.AccountID] = true
	}
	if len(g.members)+len(added) > maxGraphMembers {
		return nil, newError(http.StatusPaymentRequired, "ServiceQuotaExceededException",
			"The behavior graph %s has %d member accounts: adding %d would exceed the maximum of %d", g.arn, len(g.members), len(added), maxGraphMembers)
	}
	details := []memberDetail{}
	for _, m := range added {
		g.members[m.account] = m
		details = append(details, g.detail(m))
	}
	return struct {
		Members             []memberDetail       `json:"Members"`
		UnprocessedAccounts []unprocessedAccount `json:"UnprocessedAccounts"`
	}{details, orEmpty(unprocessed)}, nil
}

// listMembers is ListMembers: the graph's member accounts by account ID.
func (h *Handler) listMembers(_ context.Context, c caller, body []byte) (any, *apiError) {
	var in struct {
		GraphArn string `json:"GraphArn"`
		pageRequest
	}
	if aerr := decodeDetective(body, &in); aerr != nil {
		return nil, aerr
	}
	size, from, aerr := in.start()
	if aerr != nil {
		return nil, aerr
	}
	h.mu.Lock()
	g, aerr := h.adminGraphLocked(c, in.GraphArn)
	var details []memberDetail
	if aerr == nil {
		for _, m := range g.members {
			details = append(details, g.detail(m))
		}
	}
	h.mu.Unlock()
	if aerr != nil {
		return nil, aerr
	}
	page, next := keyedPage(details, func(d memberDetail) string { return d.AccountID }, size, from)
	return struct {
		MemberDetails []memberDetail `json:"MemberDetails"`
		NextToken     string         `json:"NextToken,omitempty"`
	}{MemberDetails: orEmpty(page), NextToken: next}, nil
}

// getMembers is GetMembers; accounts that are not members are answered as
// unprocessed.
func (h *Handler) getMembers(_ context.Context, c caller, body []byte) (any, *apiError) {
	var in struct {
		GraphArn   string   `json:"GraphArn"`
		AccountIDs []string `json:"AccountIds"`
	}
	if aerr := decodeDetective(body, &in); aerr != nil {
		return nil, aerr
	}
	if n := len(in.AccountIDs); n < 1 || n > maxDetectiveAccounts {
		return nil, detectiveInvalid(errorCodeInvalidRequestBody, "AccountIds must list 1 to %d accounts, not %d", maxDetectiveAccounts, n)
	}
	for _, id := range in.AccountIDs {
		if aerr := validateAccountID("AccountIds", id); aerr != nil {
			return nil, aerr
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	g, aerr := h.adminGraphLocked(c, in.GraphArn)
	if aerr != nil {
		return nil, aerr
	}
	details, unprocessed := []memberDetail{}, []unprocessedAccount{}
	for _, id := range in.AccountIDs {
		if m := g.members[id]; m != nil {
			details = append(details, g.detail(m))
		} else {
			unprocessed = append(unprocessed, unprocessedAccount{id, "The account is not a member account of the behavior graph"})
		}
	}
	return struct {
		MemberDetails       []memberDetail       `json:"MemberDetails"`
		UnprocessedAccounts []unprocessedAccount `json:"UnprocessedAccounts"`
	}{details, unprocessed}, nil
}

// listInvitations is ListInvitations: the caller's open (INVITED) and
// accepted (ENABLED) invitations to behavior graphs of the region, by graph
// ARN. A membership of type ORGANIZATION, which comes without an
// invitation, is listed too: "ListInvitations allows them to see the
// administrator account for the behavior graph" ("Required IAM policy for a
// member account", Amazon Detective Administration Guide).
func (h *Handler) listInvitations(_ context.Context, c caller, body []byte) (any, *apiError) {
	var in pageRequest
	if aerr := decodeDetective(body, &in); aerr != nil {
		return nil, aerr
	}
	size, from, aerr := in.start()
	if aerr != nil {
		return nil, aerr
	}
	h.mu.Lock()
	var details []memberDetail
	for _, g := range h.graphs {
		if m := g.members[c.account]; m != nil && g.region == c.region {
			details = append(details, g.detail(m))
		}
	}
	h.mu.Unlock()
	page, next := keyedPage(details, func(d memberDetail) string { return d.GraphArn }, size, from)
	return struct {
		Invitations []memberDetail `json:"Invitations"`
		NextToken   string         `json:"NextToken,omitempty"`
	}{Invitations: orEmpty(page), NextToken: next}, nil
}

// acceptInvitation is AcceptInvitation: the caller's INVITED membership
// becomes ENABLED.
func (h *Handler) acceptInvitation(_ context.Context, c caller, body []byte) (any, *apiError) {
	var in struct {
		GraphArn string `json:"GraphArn"`
	}
	if aerr := decodeDetective(body, &in); aerr != nil {
		return nil, aerr
	}
	if aerr := validateGraphARN(in.GraphArn); aerr != nil {
		return nil, aerr
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	g := h.graphs[in.GraphArn]
	if g == nil || g.region != c.region {
		return nil, detectiveNotFound("The behavior graph %s does not exist in %s", in.GraphArn, c.region)
	}
	m := g.members[c.account]
	if m == nil {
		return nil, detectiveNotFound("Account %s has no invitation to the behavior graph %s", c.account, in.GraphArn)
	}
	if m.status != memberInvited {
		return nil, detectiveConflict("The membership of account %s in the behavior graph %s is %s, not INVITED", c.account, in.GraphArn, m.status)
	}
	m.status, m.updated = memberEnabled, h.detectiveNow()
	return struct{}{}, nil
}
