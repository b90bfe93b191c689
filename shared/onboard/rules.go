package onboard

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/orgbaseline/orgbaseline/shared/eventbus"
)

// Rule is one onboarding rule: its name, what it is for, its pattern, and
// where its events arrive.
type Rule struct {
	// ID names the rule's construct and, prefixed, the rule.
	ID          string
	Description string
	Pattern     eventbus.Pattern
	// Global rules' events arrive in us-east-1 (Organizations, the
	// account's region opt-ins); the others' in Control Tower's home
	// region.
	Global bool
}

// Rules are the onboarding rules of the management account.
func Rules() []Rule {
	orgs := func(detailTypes []string, detail map[string]any) eventbus.Pattern {
		return eventbus.Pattern{"source": []string{sourceOrganizations}, "detail-type": detailTypes, "detail": detail}
	}
	ct := func(name, status string) eventbus.Pattern {
		return eventbus.Pattern{"source": []string{sourceControlTower}, "detail-type": []string{detailTypeServiceCall},
			"detail": map[string]any{"eventName": []string{name}, "serviceEventDetails": map[string]any{status: map[string]any{"state": []string{"SUCCEEDED"}}}}}
	}
	return []Rule{
		{ID: "NewAccount", Global: true, Description: "orgbaseline: an account created in the organization (CreateAccountResult SUCCEEDED) is onboarded",
			// "Logging API calls with AWS CloudTrail for AWS Organizations":
			// CreateAccountResult is a service event.
			Pattern: orgs([]string{detailTypeServiceCall}, map[string]any{"eventSource": []string{"organizations.amazonaws.com"}, "eventName": []string{TriggerCreateAccount},
				"serviceEventDetails": map[string]any{"createAccountStatus": map[string]any{"state": []string{"SUCCEEDED"}}}})},
		{ID: "AccountJoined", Global: true, Description: "orgbaseline: an account that joins the organization (AcceptHandshake, AccountJoinedOrganization) is onboarded",
			Pattern: orgs([]string{detailTypeAPICall, detailTypeServiceCall}, map[string]any{"eventSource": []string{"organizations.amazonaws.com"},
				"eventName": []string{TriggerAccept, TriggerJoined}, "errorCode": []any{map[string]any{"exists": false}}})},
		{ID: "ControlTowerCreated", Description: "orgbaseline: an account Control Tower enrolled (CreateManagedAccount SUCCEEDED) is onboarded",
			Pattern: ct(TriggerCTCreate, "createManagedAccountStatus")},
		{ID: "ControlTowerUpdated", Description: "orgbaseline: an account Control Tower updated (UpdateManagedAccount SUCCEEDED) is onboarded again",
			Pattern: ct(TriggerCTUpdate, "updateManagedAccountStatus")},
		{ID: "RegionEnabled", Global: true, Description: "orgbaseline: a region the management account enabled (Region Opt-In Status Change ENABLED) is applied",
			Pattern: eventbus.Pattern{"source": []string{sourceAccount}, "detail-type": []string{detailTypeRegionOptIn},
				"detail": map[string]any{"status": []string{"ENABLED"}}}},
	}
}

// Prefixes of the names of the runs an event starts (ExecutionName): the
// onboarding runs and the scheduled re-converge.
const (
	OnboardPrefix    = "onboard"
	ReconvergePrefix = "reconverge"
)

// MaxExecutionName is the longest execution name: "name: Length
// Constraints: Minimum length of 1. Maximum length of 80" (StartExecution,
// AWS Step Functions API Reference).
const MaxExecutionName = 80

// unsafeName is what an execution name keeps out: StartExecution allows
// more, but "to enable logging with CloudWatch Logs, the name should only
// contain 0-9, A-Z, a-z, - and _".
var unsafeName = regexp.MustCompile(`[^0-9A-Za-z_-]+`)

// ExecutionName is the name of the execution req starts: from the
// account (or "all"), the region of an opt-in and the event's ID, so that
// EventBridge delivering the event twice ("at least once") starts one
// execution; the second StartExecution finds the name taken. A manual
// request (no event) is named by the caller's stamp instead.
func ExecutionName(req Request, stamp string) string {
	who := req.Account
	if req.AllAccounts {
		who = "all"
	}
	parts := []string{OnboardPrefix, who}
	if req.Trigger == TriggerSchedule {
		parts = []string{ReconvergePrefix}
	}
	if req.Region != "" {
		parts = append(parts, req.Region)
	}
	id := req.EventID
	if id == "" {
		id = "manual-" + stamp
	}
	name := strings.Join(append(parts, id), "-")
	name = strings.Trim(unsafeName.ReplaceAllString(name, "_"), "_")
	if len(name) > MaxExecutionName {
		name = name[:MaxExecutionName]
	}
	return name
}

// String describes req for logs and the CLI.
func (r Request) String() string {
	who := "account " + r.Account
	if r.AllAccounts {
		who = "every account"
	}
	if r.Trigger == TriggerSchedule {
		return "the scheduled re-converge: every account, every enabled region"
	}
	if r.Region != "" {
		return fmt.Sprintf("%s: region %s of %s", r.Trigger, r.Region, who)
	}
	return fmt.Sprintf("%s: %s, every enabled region", r.Trigger, who)
}
