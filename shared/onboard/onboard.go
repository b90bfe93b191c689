// Package onboard turns the events that announce a new account, or a
// newly enabled region, into the run that covers it: the decoders of
// those events, the rules' patterns, and the name of the execution an
// event starts, derived from the account and the event so that a
// duplicate delivery starts nothing.
//
// Where each event arrives (and so where its rule is):
//   - Organizations' CreateAccountResult and AccountJoinedOrganization
//     (and AcceptHandshake) are recorded in us-east-1 ("Logging API calls
//     with AWS CloudTrail for AWS Organizations": its CloudTrail
//     information is in US East (N. Virginia) only); a rule there forwards
//     them to the home region's bus when the home region is another.
//   - An invited account's own AcceptHandshake is "logged in the
//     CloudTrail log of the acting account. If the acting account is a
//     member account, that action will not be logged in the management
//     account's CloudTrail logs" ("Accepting or declining account
//     invitations with AWS Organizations"): the management account sees
//     such a join as AccountJoinedOrganization ("available only in the
//     management account's event history", AcceptHandshake, AWS
//     Organizations API Reference), whose fields AWS does not document;
//     the decoder reads the account from the fields that name one.
//   - Control Tower's lifecycle events arrive in Control Tower's home
//     region ("Lifecycle events in AWS Control Tower").
//   - "Region Opt-In Status Change" goes "to the calling account"
//     ("Monitoring Account Management events with EventBridge"): the
//     management account sees the regions it enables, for itself or for a
//     member (detail.accountId).
package onboard

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/orgbaseline/orgbaseline/shared/eventbus"
)

// Triggers, the event names a Request says it came from.
const (
	TriggerCreateAccount = "CreateAccountResult"
	TriggerAccept        = "AcceptHandshake"
	TriggerJoined        = "AccountJoinedOrganization"
	TriggerCTCreate      = "CreateManagedAccount"
	TriggerCTUpdate      = "UpdateManagedAccount"
	TriggerRegionOptIn   = "RegionOptIn"
	TriggerManual        = "manual"
	// TriggerSchedule: the reconverge schedule's event re-applies the
	// whole baseline.
	TriggerSchedule       = "Scheduled"
	detailTypeScheduled   = "Scheduled Event"
	sourceEvents          = "aws.events"
	detailTypeServiceCall = "AWS Service Event via CloudTrail"
	detailTypeAPICall     = "AWS API Call via CloudTrail"
	detailTypeRegionOptIn = "Region Opt-In Status Change"
	sourceOrganizations   = "aws.organizations"
	sourceControlTower    = "aws.controltower"
	sourceAccount         = "aws.account"
)

// Request is what an event asks for: the account to onboard in every
// enabled region, or (a region opt-in) one region of an account, or of
// every account when the management account itself opted in.
type Request struct {
	Trigger string `json:"trigger"`
	// Account is the account to onboard; "" with AllAccounts.
	Account     string `json:"account,omitempty"`
	AllAccounts bool   `json:"allAccounts,omitempty"`
	// Region, for a region opt-in: the one region to apply.
	Region string `json:"region,omitempty"`
	// EventID is the EventBridge event's id, "" for a manual request.
	EventID string `json:"eventId,omitempty"`
}

var accountID = regexp.MustCompile(`^[0-9]{12}$`)

// cloudTrailDetail is the part of a CloudTrail record (the detail of an
// "AWS ... via CloudTrail" event) the decoders read.
type cloudTrailDetail struct {
	EventSource         string          `json:"eventSource"`
	EventName           string          `json:"eventName"`
	ErrorCode           string          `json:"errorCode"`
	ServiceEventDetails json.RawMessage `json:"serviceEventDetails"`
	ResponseElements    json.RawMessage `json:"responseElements"`
}

// Decode reads an event that starts onboarding. management is the
// management account: its own region opt-in applies to every account. A
// malformed event is a *eventbus.DecodeError; one no onboarding rule
// matches (another kind, a FAILED creation, a disabled region) an
// *eventbus.NotMatchedError.
func Decode(b []byte, management string) (Request, error) {
	env, err := eventbus.DecodeEnvelope(b)
	if err != nil {
		return Request{}, err
	}
	notMatched := func(format string, args ...any) error {
		return &eventbus.NotMatchedError{Source: env.Source, DetailType: env.DetailType, Reason: fmt.Sprintf(format, args...)}
	}
	var req Request
	switch env.Source {
	case sourceEvents:
		// A scheduled rule's event ("Creating an Amazon EventBridge rule
		// that runs on a schedule"): the whole organization, again.
		if env.DetailType != detailTypeScheduled {
			return Request{}, notMatched("not a scheduled event")
		}
		req = Request{Trigger: TriggerSchedule, AllAccounts: true}
	case sourceAccount:
		if env.DetailType != detailTypeRegionOptIn {
			return Request{}, notMatched("not a region opt-in status change")
		}
		req, err = regionOptIn(env, management, notMatched)
	case sourceOrganizations, sourceControlTower:
		if env.DetailType != detailTypeServiceCall && env.DetailType != detailTypeAPICall {
			return Request{}, notMatched("not a CloudTrail record")
		}
		var d cloudTrailDetail
		if err := json.Unmarshal(env.Detail, &d); err != nil {
			return Request{}, eventbus.JSONError("detail", err)
		}
		if d.ErrorCode != "" {
			return Request{}, notMatched("the call failed (%s)", d.ErrorCode)
		}
		req, err = cloudTrail(env, d, notMatched)
	default:
		return Request{}, notMatched("not an event that starts onboarding")
	}
	if err != nil {
		return Request{}, err
	}
	req.EventID = env.ID
	return req, nil
}

func cloudTrail(env eventbus.Envelope, d cloudTrailDetail, notMatched func(string, ...any) error) (Request, error) {
	switch {
	case env.Source == sourceOrganizations && d.EventName == TriggerCreateAccount:
		var s struct {
			Status *struct {
				State     string `json:"state"`
				AccountID string `json:"accountId"`
			} `json:"createAccountStatus"`
		}
		if err := unmarshal(d.ServiceEventDetails, "detail.serviceEventDetails", &s); err != nil {
			return Request{}, err
		}
		if s.Status == nil {
			return Request{}, &eventbus.DecodeError{Field: "detail.serviceEventDetails.createAccountStatus", Reason: "missing"}
		}
		if s.Status.State != "SUCCEEDED" {
			return Request{}, notMatched("account creation %s: nothing to onboard", orNone(s.Status.State))
		}
		return account(TriggerCreateAccount, s.Status.AccountID, "detail.serviceEventDetails.createAccountStatus.accountId")
	case env.Source == sourceOrganizations && d.EventName == TriggerAccept:
		var r struct {
			Handshake *struct {
				State   string `json:"state"`
				Action  string `json:"action"`
				Parties []struct {
					ID   string `json:"id"`
					Type string `json:"type"`
				} `json:"parties"`
			} `json:"handshake"`
		}
		if err := unmarshal(d.ResponseElements, "detail.responseElements", &r); err != nil {
			return Request{}, err
		}
		if r.Handshake == nil {
			return Request{}, &eventbus.DecodeError{Field: "detail.responseElements.handshake", Reason: "missing"}
		}
		// "INVITE: ... a request to join an organization" (Handshake, AWS
		// Organizations API Reference); other handshakes add no account.
		// CloudTrail records write the action in lower case ("invite", the
		// published InviteAccountToOrganization record).
		if !strings.EqualFold(r.Handshake.Action, "INVITE") || !strings.EqualFold(r.Handshake.State, "ACCEPTED") {
			return Request{}, notMatched("handshake %s %s: no account joins", orNone(r.Handshake.Action), orNone(r.Handshake.State))
		}
		for _, p := range r.Handshake.Parties {
			if p.Type == "ACCOUNT" {
				return account(TriggerAccept, p.ID, "detail.responseElements.handshake.parties[type ACCOUNT].id")
			}
		}
		return Request{}, &eventbus.DecodeError{Field: "detail.responseElements.handshake.parties", Reason: "no party of type ACCOUNT"}
	case env.Source == sourceOrganizations && d.EventName == TriggerJoined:
		ids := accountIDs(d.ServiceEventDetails)
		if len(ids) != 1 {
			return Request{}, &eventbus.DecodeError{Field: "detail.serviceEventDetails", Reason: fmt.Sprintf("names %d account IDs (%s), want the one that joined", len(ids), strings.Join(ids, ", "))}
		}
		return Request{Trigger: TriggerJoined, Account: ids[0]}, nil
	case env.Source == sourceControlTower && (d.EventName == TriggerCTCreate || d.EventName == TriggerCTUpdate):
		key := "createManagedAccountStatus"
		if d.EventName == TriggerCTUpdate {
			key = "updateManagedAccountStatus"
		}
		var s map[string]*struct {
			State   string `json:"state"`
			Account *struct {
				AccountID string `json:"accountId"`
			} `json:"account"`
		}
		if err := unmarshal(d.ServiceEventDetails, "detail.serviceEventDetails", &s); err != nil {
			return Request{}, err
		}
		st := s[key]
		switch {
		case st == nil:
			return Request{}, &eventbus.DecodeError{Field: "detail.serviceEventDetails." + key, Reason: "missing"}
		case st.State != "SUCCEEDED":
			return Request{}, notMatched("%s %s: nothing to onboard", d.EventName, orNone(st.State))
		case st.Account == nil:
			return Request{}, &eventbus.DecodeError{Field: "detail.serviceEventDetails." + key + ".account", Reason: "missing"}
		}
		return account(d.EventName, st.Account.AccountID, "detail.serviceEventDetails."+key+".account.accountId")
	}
	return Request{}, notMatched("event %s from %s does not start onboarding", orNone(d.EventName), orNone(d.EventSource))
}

// regionOptIn reads a "Region Opt-In Status Change": detail.accountId,
// regionName, status ("Monitoring Account Management events with
// EventBridge", AWS Account Management Reference Guide).
func regionOptIn(env eventbus.Envelope, management string, notMatched func(string, ...any) error) (Request, error) {
	var d struct {
		AccountID  string `json:"accountId"`
		RegionName string `json:"regionName"`
		Status     string `json:"status"`
	}
	if err := json.Unmarshal(env.Detail, &d); err != nil {
		return Request{}, eventbus.JSONError("detail", err)
	}
	if d.Status != "ENABLED" {
		return Request{}, notMatched("region %s is %s, not ENABLED: nothing to apply", orNone(d.RegionName), orNone(d.Status))
	}
	if !regionName.MatchString(d.RegionName) {
		return Request{}, &eventbus.DecodeError{Field: "detail.regionName", Reason: fmt.Sprintf("%q is not a region name", d.RegionName)}
	}
	req, err := account(TriggerRegionOptIn, d.AccountID, "detail.accountId")
	if err != nil {
		return Request{}, err
	}
	req.Region = d.RegionName
	if req.Account == management {
		// The management account's own opt-in: the region, everywhere.
		req.Account, req.AllAccounts = "", true
	}
	return req, nil
}

var regionName = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

func account(trigger, id, field string) (Request, error) {
	if !accountID.MatchString(id) {
		return Request{}, &eventbus.DecodeError{Field: field, Reason: fmt.Sprintf("%q is not a 12-digit account ID", id)}
	}
	return Request{Trigger: trigger, Account: id}, nil
}

func unmarshal(raw json.RawMessage, field string, v any) error {
	if len(raw) == 0 || string(raw) == "null" {
		return &eventbus.DecodeError{Field: field, Reason: "missing"}
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return eventbus.JSONError(field, err)
	}
	return nil
}

// accountIDs returns the distinct 12-digit values of the fields named
// accountId (any case) in raw, at any depth.
func accountIDs(raw json.RawMessage) []string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	seen := map[string]bool{}
	var ids []string
	var walk func(any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, x := range t {
				if s, ok := x.(string); ok && strings.EqualFold(k, "accountId") && accountID.MatchString(s) && !seen[s] {
					seen[s] = true
					ids = append(ids, s)
				}
				walk(x)
			}
		case []any:
			for _, x := range t {
				walk(x)
			}
		}
	}
	walk(v)
	slices.Sort(ids)
	return ids
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
