// Package fakeaws answers, for local runs, the AWS APIs that moto does not
// emulate and the baseline calls: the AWS Health organizational view
// (DescribeHealthServiceStatusForOrganization,
// EnableHealthServiceAccessForOrganization and
// DisableHealthServiceAccessForOrganization, awsJson1_1), IAM Access
// Analyzer's analyzers (ListAnalyzers, CreateAnalyzer, GetAnalyzer,
// UpdateAnalyzer and DeleteAnalyzer, restJson1), Amazon Detective's
// organization and behavior graph membership
// (EnableOrganizationAdminAccount, ListOrganizationAdminAccounts,
// DisableOrganizationAdminAccount, CreateGraph, ListGraphs,
// DescribeOrganizationConfiguration, UpdateOrganizationConfiguration,
// CreateMembers, ListMembers, GetMembers, ListInvitations and
// AcceptInvitation, restJson1) and AWS Security Hub (CSPM) for an
// organization under central configuration (EnableSecurityHub, DescribeHub,
// GetEnabledStandards, BatchEnableStandards, BatchDisableStandards,
// EnableOrganizationAdminAccount, ListOrganizationAdminAccounts,
// DescribeOrganizationConfiguration, UpdateOrganizationConfiguration,
// CreateFindingAggregator, ListFindingAggregators, GetFindingAggregator,
// UpdateFindingAggregator, CreateConfigurationPolicy,
// GetConfigurationPolicy, ListConfigurationPolicies,
// UpdateConfigurationPolicy, StartConfigurationPolicyAssociation,
// GetConfigurationPolicyAssociation, ListConfigurationPolicyAssociations,
// CreateMembers, ListMembers and GetMembers, restJson1), which moto has
// only in part. The SDK's own clients reach it through a service-specific
// endpoint (AWS_ENDPOINT_URL_HEALTH, AWS_ENDPOINT_URL_ACCESSANALYZER,
// AWS_ENDPOINT_URL_DETECTIVE, AWS_ENDPOINT_URL_SECURITYHUB);
// shared/local/motorig starts one beside its moto server. Health requests
// are told apart by their X-Amz-Target header, Detective and Security Hub
// requests by the service of their signature's credential scope (detective,
// securityhub), and the rest go to Access Analyzer.
//
// The state is held in memory: the Health organizational view per
// organization, the analyzers per account and region, the behavior graphs
// per administrator account and region, the organization's Detective
// administrator account per region, and Security Hub per account and
// region (hub, standards, member accounts), the organization's Security Hub
// administrator account and organization configuration per region, the
// finding aggregator per account, and the configuration policies and their
// associations per organization. The caller is the account of the access
// key in the request's SigV4 Authorization header, which the fake asks moto
// (sts:GetCallerIdentity with the same key: moto does not check signatures,
// and neither does the fake); the region is the one of the signature's
// credential scope. What the organization holds (the management account,
// its accounts, roots and organizational units, trusted access, delegated
// administrators) is read from moto's Organizations.
//
// The fake applies the rules AWS documents for these operations: only the
// management account reads, enables and disables the organizational view,
// which trusted access for health.amazonaws.com turned off in moto turns
// off too (disabling the view leaves trusted access as it is); analyzer
// names, types and unused-access ages are validated; names are unique per
// account and region; there is at most one analyzer of each account-level
// type per account and region, and five of each organization-level type
// (one ORGANIZATION_INTERNAL_ACCESS per organization and region);
// organization analyzers need trusted access for access-analyzer.amazonaws.com
// and the management account or its delegated administrator.
//
// For Detective (Detective API Reference; "Designating the Detective
// administrator account for an organization", Amazon Detective
// Administration Guide): only the management account designates and lists
// the Detective administrator account, an account of the organization, one
// per region; once Organizations has a delegated administrator for
// detective.amazonaws.com, only it or the management account can be
// designated. Designating an account gives it a behavior graph
// (arn:aws:detective:REGION:ACCOUNT:graph:32 hex digits) if it has none,
// enables trusted access for detective.amazonaws.com in moto and, unless it
// is the management account, registers it there as Detective's delegated
// administrator. DisableOrganizationAdminAccount, from the management
// account, removes the administrator in the region and deletes the
// organization behavior graph with its memberships; Organizations' delegated
// administrator and trusted access stay. An account administers at most one
// graph per region, which CreateGraph answers again. Only the
// organization's Detective administrator reads and updates the organization
// configuration. In the
// organization behavior graph, CreateMembers enables the organization's
// accounts (ENABLED, type ORGANIZATION); other accounts, and every account
// in other graphs, are invited (INVITED, type INVITATION) and become ENABLED
// when they accept. The administrator account itself and accounts that are
// already members are answered as unprocessed; a graph has at most 1,200
// member accounts. RefuseDetective makes enabling Detective fail as for an
// account whose GuardDuty is not 48 hours old.
//
// For Security Hub (Security Hub CSPM API Reference; Security Hub CSPM User
// Guide: "Integrating Security Hub CSPM with AWS Organizations", "Enabling
// central configuration in Security Hub CSPM", "Understanding cross-Region
// aggregation in Security Hub CSPM", "Creating and associating configuration
// policies"): an account that has not enabled Security Hub in a region is
// answered InvalidAccessException ("not subscribed"), one that enables it
// twice ResourceConflictException. EnableSecurityHub enables the default
// standards (AWS Foundational Security Best Practices v1.0.0, CIS AWS
// Foundations Benchmark v1.2.0) unless EnableDefaultStandards is false;
// BatchEnableStandards answers new standards PENDING, GetEnabledStandards
// READY. Only the management account designates and lists the
// administrator account, an account of the organization, one per region;
// designating it enables trusted access for securityhub.amazonaws.com,
// registers it as delegated administrator (unless it is the management
// account) and enables Security Hub in it with the default standards; once
// Organizations has a delegated administrator for Security Hub, only it or
// the management account can be designated. A delegated administrator
// deregistered in moto's Organizations is removed in every region at the
// next Security Hub request, and the central configuration it ran stops,
// its configuration policies and associations deleted ("Removing or
// changing the delegated administrator"). Only the administrator reads
// and updates the organization configuration. Central configuration needs
// an administrator other than the management account, a finding aggregator
// (one per account, not in a member account) whose home Region is the
// caller's, AutoEnable false and AutoEnableStandards NONE; it is PENDING for
// a number of reads (SetSecurityHubPendingReads, default 1), then ENABLED
// (FAILED with FailCentralConfiguration), and governs the home Region and,
// once enabled, the linked Regions, where the administrator is the same.
// Configuration policies (unique names; standards of the home Region;
// enabled or disabled controls, not both) are managed by the administrator
// in the home Region under ENABLED central configuration, and associated
// with the root, an organizational unit or an account of the organization
// (a policy or SELF_MANAGED_SECURITY_HUB): the association is PENDING for
// the same number of reads, then SUCCESS; a target without one inherits
// its nearest parent's, and is self-managed without any. CreateMembers by
// the administrator makes the organization's accounts Enabled members and
// enables Security Hub in them, except the management account; other
// accounts are Created.
//
// Every other operation of the four services is answered with an
// UnknownOperationException, as an endpoint answers an operation it does not
// offer. Analyzers find nothing; enabling Health's organizational view or
// designating Detective's or Security Hub's administrator makes no
// service-linked role in moto; Detective ingests nothing, sends no email,
// and AutoEnable does not enable accounts that join the organization later.
// Security Hub makes no findings and no controls; configuration policies
// are kept and associated but change no account's hub or standards, and
// AutoEnable enables no account either.
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
	// detectorAge dates GuardDuty detectors back (AgeDetectors).
	detectorAge time.Duration
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
	// graphs holds Detective's behavior graphs by ARN, and graphOf the ARN
	// of each administrator account's graph by account and region.
	graphs  map[string]*graph
	graphOf map[scope]string
	// detectiveAdmins holds the organization's Detective administrator
	// account by region.
	detectiveAdmins map[string]detectiveAdmin
	// refuseDetective makes every enabling of Detective fail.
	refuseDetective bool
	// hubs holds Security Hub by account and region.
	hubs map[scope]*hub
	// hubAdmins holds the organization's Security Hub administrator account
	// designated in each region.
	hubAdmins map[string]string
	// hubAdminGen counts the designations of Security Hub administrator
	// accounts (syncHubAdmins).
	hubAdminGen int
	// hubOrgConfigs holds the organization configuration's local settings
	// by region, and hubCentral its central configuration (nil for none).
	hubOrgConfigs map[string]*hubOrgConfig
	hubCentral    *hubCentral
	// aggregators holds the finding aggregator of each account.
	aggregators map[string]*aggregator
	// hubPolicies holds the configuration policies by ID, hubAssociations
	// the configurations applied to the roots, organizational units and
	// accounts by target ID.
	hubPolicies     map[string]*hubPolicy
	hubAssociations map[string]*hubAssociation
	// hubPendingReads is how many reads answer PENDING after an
	// asynchronous change (SetSecurityHubPendingReads).
	hubPendingReads int
	// hubCentralFailure, if not empty, makes switches to central
	// configuration fail with it as their message.
	hubCentralFailure string
}

// scope is an account in a region.
type scope struct{ account, region string }

// NewHandler returns a Handler that asks the moto server at motoEndpoint
// (http://host:port) who calls and how the organization is set up.
func NewHandler(motoEndpoint string) *Handler {
	h := &Handler{moto: newMoto(motoEndpoint), now: time.Now, hubPendingReads: 1}
	h.Reset()
	return h
}

// Reset forgets every analyzer, every organizational view, every behavior
// graph and Detective administrator, all of Security Hub (hubs,
// administrators, organization configuration, finding aggregators,
// configuration policies and associations), and what the fake learned from
// moto (call it after resetting moto). The settings of RequireSubscription,
// RefuseDetective, SetSecurityHubPendingReads, FailCentralConfiguration and
// AgeDetectors stay.
func (h *Handler) Reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.accounts = map[string]string{}
	h.management = ""
	h.healthEnabled = map[string]bool{}
	h.analyzers = map[scope]map[string]*analyzer{}
	h.graphs = map[string]*graph{}
	h.graphOf = map[scope]string{}
	h.detectiveAdmins = map[string]detectiveAdmin{}
	h.hubs = map[scope]*hub{}
	h.hubAdmins = map[string]string{}
	h.hubOrgConfigs = map[string]*hubOrgConfig{}
	h.hubCentral = nil
	h.aggregators = map[string]*aggregator{}
	h.hubPolicies = map[string]*hubPolicy{}
	h.hubAssociations = map[string]*hubAssociation{}
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

// ServeHTTP answers a request for AWS Health (by its X-Amz-Target header),
// Amazon Detective or AWS Security Hub (by the service of its signature's
// credential scope, detective or securityhub) or IAM Access Analyzer (the
// rest, by its path), and passes Amazon GuardDuty's (credential scope
// guardduty) to moto (AgeDetectors).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	switch {
	case strings.HasPrefix(target, healthTargetPrefix):
		h.serveHealth(w, r, strings.TrimPrefix(target, healthTargetPrefix))
	case target != "":
		writeJSON11Error(w, newError(http.StatusBadRequest, codeUnknownOperation, "%s is not offered by this endpoint", target))
	case signingService(r) == detectiveSigningName:
		h.serveDetective(w, r)
	case signingService(r) == securityHubSigningName:
		h.serveSecurityHub(w, r)
	case signingService(r) == guardDutySigningName:
		h.serveGuardDuty(w, r)
	default:
		h.serveAccessAnalyzer(w, r)
	}
}

// signingService is the service of a request's SigV4 credential scope, ""
// when the request is not signed so.
func signingService(r *http.Request) string {
	cred, aerr := parseAuthorization(r.Header.Get("Authorization"))
	if aerr != nil {
		return ""
	}
	return cred.service
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
	accessKey, region, service string
}

// parseAuthorization reads the access key, region and service of a SigV4
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
		return credential{accessKey: f[0], region: f[2], service: f[3]}, nil
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
