package workflow

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestUnwrappedFindsTheNamedError(t *testing.T) {
	conflict := &ConflictError{Conflicts: []Conflict{{Service: "config", Resource: "r", Found: "1", Wanted: "2"}}}
	retry := &RetryableError{Op: "list", Err: errors.New("throttled")}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"wrapped conflict", fmt.Errorf("step: %w", conflict), ErrNameConflict},
		{"wrapped retryable", fmt.Errorf("step: %w", retry), ErrNameRetryable},
		{"plain error", errors.New("boom"), ErrNameTerminal},
		{"not ready", &NotReadyError{Op: "wait"}, ErrNameNotReady},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Unwrapped(tt.err)
			// What aws-lambda-go reports, and the state machine matches.
			if e, a := tt.want, reflect.TypeOf(got).Elem().Name(); e != a {
				t.Errorf("expect %s, got %s", e, a)
			}
			if !Named(got) {
				t.Errorf("%T is not named", got)
			}
		})
	}
	if Unwrapped(nil) != nil {
		t.Error("nil must stay nil")
	}
}

// The constants the state machine uses are the type names.
func TestErrorNamesMatchTypes(t *testing.T) {
	for _, e := range []error{&RetryableError{}, &NotReadyError{}, &ConflictError{}, &TerminalError{}} {
		name := reflect.TypeOf(e).Elem().Name()
		found := false
		for _, n := range ErrorNames {
			found = found || n == name
		}
		if !found {
			t.Errorf("%s is not in ErrorNames %v", name, ErrorNames)
		}
	}
}

func TestConflictMessageNamesBothSides(t *testing.T) {
	err := &ConflictError{Conflicts: []Conflict{
		{Service: "guardduty", Resource: "delegated administrator", Found: "999999999999", Wanted: "222222222222", Hint: "deregister it"},
		{Service: "organizations", Resource: "feature set", Found: "CONSOLIDATED_BILLING", Wanted: "ALL"},
	}}
	msg := err.Error()
	for _, want := range []string{"nothing was changed", "delegated administrator is 999999999999, configuration wants 222222222222 (deregister it)", "feature set is CONSOLIDATED_BILLING"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message does not contain %q: %s", want, msg)
		}
	}
}

func TestResultAddDerivesStatus(t *testing.T) {
	act := []Action{{Call: "organizations:EnableAWSServiceAccess", Target: "x"}}
	plan := StepResult{Mode: ModePlan}
	plan.Add(Outcome{Service: "a", Actions: act})
	plan.Add(Outcome{Service: "b"})
	if plan.Outcomes[0].Status != StatusPlanned || plan.Outcomes[1].Status != StatusUnchanged || plan.Changed {
		t.Errorf("plan: %+v changed=%v", plan.Outcomes, plan.Changed)
	}
	apply := StepResult{Mode: ModeApply}
	apply.Add(Outcome{Service: "a", Actions: act})
	apply.Add(Outcome{Service: "c", Status: StatusSkipped, Reason: "suspended"})
	if apply.Outcomes[0].Status != StatusChanged || apply.Outcomes[1].Status != StatusSkipped || !apply.Changed {
		t.Errorf("apply: %+v changed=%v", apply.Outcomes, apply.Changed)
	}
}

func TestInputValidateAndFilters(t *testing.T) {
	if err := (Input{Mode: "plan"}).Validate(); err != nil {
		t.Errorf("plan is valid: %v", err)
	}
	for _, m := range []Mode{"", "destroy"} {
		var te *TerminalError
		if err := (Input{Mode: m}).Validate(); !errors.As(err, &te) {
			t.Errorf("mode %q: expect TerminalError, got %v", m, err)
		}
	}
	in := Input{Services: []string{"config"}, Accounts: []string{"1"}}
	if !in.WantsService("config") || in.WantsService("guardduty") || !in.WantsAccount("1") || in.WantsAccount("2") || !in.WantsRegion("any") {
		t.Error("filters do not select as documented")
	}
}
