package fakeaws

import (
	"net/http"
)

// Values of healthServiceAccessStatusForOrganization.
const (
	healthEnabled  = "ENABLED"
	healthDisabled = "DISABLED"
)

// serveHealth answers the AWS Health operation op.
func (h *Handler) serveHealth(w http.ResponseWriter, r *http.Request, op string) {
	var answer func(mgmt string) any
	enable := false
	switch op {
	case "DescribeHealthServiceStatusForOrganization":
		answer = h.describeHealthStatus
	case "EnableHealthServiceAccessForOrganization":
		answer, enable = h.enableHealthAccess, true
	case "DisableHealthServiceAccessForOrganization":
		answer = h.disableHealthAccess
	default:
		writeJSON11Error(w, newError(http.StatusBadRequest, codeUnknownOperation, "%s is not offered by this endpoint", op))
		return
	}
	mgmt, aerr := h.healthCaller(r)
	if aerr != nil {
		writeJSON11Error(w, aerr)
		return
	}
	// EnableHealthServiceAccessForOrganization enables trusted access for
	// health.amazonaws.com itself (organizations:EnableAWSServiceAccess is
	// among its dependent actions, "Actions, resources, and condition keys
	// for AWS Health APIs and Notifications"): so does the fake, in moto's
	// organization.
	if enable {
		if err := h.moto.enableTrustedAccess(r.Context(), healthPrincipal); err != nil {
			writeJSON11Error(w, newError(http.StatusInternalServerError, "InternalFailure", "%v", err))
			return
		}
	}
	// "You can also disable the organizational feature by using the
	// Organizations DisableAWSServiceAccess API operation"
	// ("DisableHealthServiceAccessForOrganization", AWS Health API
	// Reference): with trusted access for health.amazonaws.com off in moto's
	// organization, the organizational view is off.
	if op == "DescribeHealthServiceStatusForOrganization" {
		on, err := h.moto.trustedAccess(r.Context(), healthPrincipal)
		if err != nil {
			writeJSON11Error(w, newError(http.StatusInternalServerError, "InternalFailure", "%v", err))
			return
		}
		if !on {
			h.disableHealthAccess(mgmt)
		}
	}
	writeJSON(w, contentTypeJSON11, http.StatusOK, answer(mgmt))
}

// healthPrincipal is AWS Health's service principal in AWS Organizations.
const healthPrincipal = "health.amazonaws.com"

// healthCaller checks that the request may use the organizational view:
// the account has a support plan that includes the Health API (see
// RequireSubscription) and is the organization's management account, which
// it returns.
func (h *Handler) healthCaller(r *http.Request) (string, *apiError) {
	c, aerr := h.caller(r)
	if aerr != nil {
		return "", aerr
	}
	h.mu.Lock()
	subscriptionRequired := h.subscriptionRequired
	h.mu.Unlock()
	if subscriptionRequired {
		return "", newError(http.StatusBadRequest, "SubscriptionRequiredException",
			"The AWS Support plan of account %s does not include the AWS Health API", c.account)
	}
	mgmt, aerr := h.managementAccount(r.Context())
	if aerr != nil {
		return "", aerr
	}
	if mgmt == "" {
		return "", newError(http.StatusBadRequest, "AccessDeniedException",
			"Account %s is not in an organization", c.account)
	}
	if c.account != mgmt {
		return "", newError(http.StatusBadRequest, "AccessDeniedException",
			"Account %s is not the management account of its organization", c.account)
	}
	return mgmt, nil
}

func (h *Handler) describeHealthStatus(mgmt string) any {
	h.mu.Lock()
	defer h.mu.Unlock()
	status := healthDisabled
	if h.healthEnabled[mgmt] {
		status = healthEnabled
	}
	return map[string]string{"healthServiceAccessStatusForOrganization": status}
}

func (h *Handler) enableHealthAccess(mgmt string) any {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.healthEnabled[mgmt] = true
	return struct{}{}
}

// disableHealthAccess is DisableHealthServiceAccessForOrganization
// ("DisableHealthServiceAccessForOrganization", AWS Health API Reference):
// from the management account, Health stops aggregating the organization's
// events; the view is DISABLED. AWS does not document that the call turns
// trusted access for health.amazonaws.com off, and the fake leaves it as
// it is in moto's organization (it makes no service-linked role either, so
// there is none to keep). Disabling a view that is off is no error.
func (h *Handler) disableHealthAccess(mgmt string) any {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.healthEnabled, mgmt)
	return struct{}{}
}
