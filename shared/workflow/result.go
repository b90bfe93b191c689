// Package workflow is the contract between the state machine and the step
// Lambdas: the execution input, the result every step returns, and the named
// errors the state machine retries or catches.
package workflow

import (
	"fmt"
	"slices"
)

// Mode says whether a run changes anything.
type Mode string

const (
	// ModeApply reads, compares and acts where the state differs.
	ModeApply Mode = "apply"
	// ModePlan reads and compares only; it reports the actions it would take.
	ModePlan Mode = "plan"
)

// Input is the execution input of the state machine, passed whole to each
// step. Empty filters mean "everything the configuration enables".
type Input struct {
	Mode     Mode     `json:"mode"`
	Accounts []string `json:"accounts,omitempty"`
	Services []string `json:"services,omitempty"`
	Regions  []string `json:"regions,omitempty"`
	// Onboarding, when set, says the run onboards a new account or a
	// newly enabled region, started by an event (or by hand).
	Onboarding *Onboarding `json:"onboarding,omitempty"`
}

// Onboarding is what started an onboarding run.
type Onboarding struct {
	// Trigger is the event's name (CreateAccountResult, RegionOptIn...),
	// or "manual".
	Trigger string `json:"trigger"`
	// EventID is the EventBridge event's id, "" by hand.
	EventID string `json:"eventId,omitempty"`
}

// Item is the input of one iteration of a fan-out (a Map state): the
// execution's input and the region or account the iteration covers.
type Item struct {
	Input   Input  `json:"input"`
	Region  string `json:"region,omitempty"`
	Account string `json:"account,omitempty"`
	// Regions are the regions of a ShapeEachAccount iteration: every
	// region of the run, which the step works through in-process.
	Regions []string `json:"regions,omitempty"`
	// Accounts are the run's ACTIVE accounts as the org-targets step
	// resolved them (the management account first), for a step whose spec
	// sets TakesAccounts; a step reads them here instead of listing the
	// organization again.
	Accounts []string `json:"accounts,omitempty"`
	// Excluded are the accounts the configuration's scope excludes, as the
	// org-targets step resolved them (all of them, whatever the accounts
	// filter), passed with Accounts: for a step that names them in an
	// organization-wide setting (AWS Config's ExcludedAccounts) or reports
	// them.
	Excluded []string `json:"excluded,omitempty"`
	// Polls counts the earlier calls of a step with a Poll for this item.
	Polls int `json:"polls,omitempty"`
	// Previous is the result of the previous call of a step with a Poll,
	// whose actions the step carries into its next result (the state
	// machine keeps only the last result).
	Previous *StepResult `json:"previous,omitempty"`
}

// MemberAccounts returns the accounts a step of step's name makes members
// of an administrator's (GuardDuty's detector, Detective's graph): the
// run's ACTIVE accounts as the state machine passes them (Accounts, the
// org-targets result, for a spec with TakesAccounts), less admin, which
// administers them, and those the accounts filter leaves out, in ID order.
// The step does not list the organization itself: without the list, an
// input from before the state machine passed it, it is a TerminalError. A
// present but empty list is a run whose accounts filter admits no ACTIVE
// account; without a filter the run's accounts always hold the management
// account.
func (it Item) MemberAccounts(step, admin string) ([]string, error) {
	if len(it.Accounts) == 0 && (it.Accounts == nil || len(it.Input.Accounts) == 0) {
		return nil, &TerminalError{Op: "read the run's accounts", Err: fmt.Errorf(
			`the input of %s has no accounts: the state machine passes the org-targets step's ACTIVE accounts in "accounts" to this step (TakesAccounts); `+
				"the list is missing, so the deployed state machine predates this step's code: redeploy the management stack (cdk deploy --all)", step)}
	}
	var out []string
	for _, id := range it.Accounts {
		if id != admin && it.Input.WantsAccount(id) && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out, nil
}

// EarlierActions returns the actions of the previous call's outcomes, by
// target, for a step with a Poll to report what its earlier calls did.
func (it Item) EarlierActions() map[string][]Action {
	out := map[string][]Action{}
	if it.Previous == nil {
		return out
	}
	for _, o := range it.Previous.Outcomes {
		for _, a := range o.Actions {
			out[a.Target] = append(out[a.Target], a)
		}
	}
	return out
}

// Validate checks the mode and returns a TerminalError for bad input.
func (in Input) Validate() error {
	switch in.Mode {
	case ModeApply, ModePlan:
		return nil
	case "":
		return &TerminalError{Op: "read input", Err: fmt.Errorf(`"mode" is missing: want "apply" or "plan"`)}
	default:
		return &TerminalError{Op: "read input", Err: fmt.Errorf(`"mode" is %q: want "apply" or "plan"`, in.Mode)}
	}
}

// WantsService reports whether the services filter admits name.
func (in Input) WantsService(name string) bool {
	return len(in.Services) == 0 || slices.Contains(in.Services, name)
}

// WantsAccount reports whether the accounts filter admits id.
func (in Input) WantsAccount(id string) bool {
	return len(in.Accounts) == 0 || slices.Contains(in.Accounts, id)
}

// WantsRegion reports whether the regions filter admits name.
func (in Input) WantsRegion(name string) bool {
	return len(in.Regions) == 0 || slices.Contains(in.Regions, name)
}

// Status is the outcome of one account x region x service.
type Status string

const (
	StatusChanged   Status = "changed"
	StatusUnchanged Status = "unchanged"
	StatusPlanned   Status = "planned"
	StatusSkipped   Status = "skipped"
	StatusFailed    Status = "failed"
)

// RegionGlobal marks outcomes of organization-wide settings that belong to no
// region (trusted access, delegated administrators).
const RegionGlobal = "global"

// Action is one mutating API call, taken (apply) or proposed (plan).
type Action struct {
	// Call is "service:Operation", as in an IAM policy.
	Call string `json:"call"`
	// Target names what the call acts on, e.g. a service principal.
	Target string `json:"target,omitempty"`
}

func (a Action) String() string {
	if a.Target == "" {
		return a.Call
	}
	return a.Call + " " + a.Target
}

// Outcome is what a step did, or would do, for one account x region x service.
type Outcome struct {
	Account string   `json:"account"`
	Region  string   `json:"region"`
	Service string   `json:"service"`
	Status  Status   `json:"status"`
	Reason  string   `json:"reason,omitempty"`
	Actions []Action `json:"actions,omitempty"`
	// Count, when set, is how many account x region rows a summary row
	// (Account SummaryAccount) stands for; see StepResult.Bound.
	Count int `json:"count,omitempty"`
}

// StepResult is what every step returns.
type StepResult struct {
	Step     string    `json:"step"`
	Mode     Mode      `json:"mode"`
	Changed  bool      `json:"changed"`
	Outcomes []Outcome `json:"outcomes"`
	Warnings []string  `json:"warnings,omitempty"`
	// Pending asks a step with a Poll to be called again after its
	// interval, with Item.Polls set to Polls.
	Pending bool `json:"pending,omitempty"`
	Polls   int  `json:"polls,omitempty"`
}

// Add appends an outcome, deriving its status from the mode and the actions
// when the caller left it empty, and keeps Changed up to date.
func (r *StepResult) Add(o Outcome) {
	if o.Status == "" {
		switch {
		case len(o.Actions) == 0:
			o.Status = StatusUnchanged
		case r.Mode == ModePlan:
			o.Status = StatusPlanned
		default:
			o.Status = StatusChanged
		}
	}
	if o.Status == StatusChanged {
		r.Changed = true
	}
	r.Outcomes = append(r.Outcomes, o)
}

// LogAttrs summarizes the result for a log line.
func (r StepResult) LogAttrs() []any {
	return []any{"changed", r.Changed, "outcomes", len(r.Outcomes), "warnings", len(r.Warnings)}
}
