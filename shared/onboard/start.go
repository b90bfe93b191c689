package onboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/orgbaseline/orgbaseline/shared/eventbus"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// StartAPI starts executions of the baseline state machine.
type StartAPI interface {
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, optFns ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
}

var _ StartAPI = (*sfn.Client)(nil)

// Starter starts the onboarding run an event asks for.
type Starter struct {
	SFN             StartAPI
	StateMachineARN string
	Settings        settings.Config
	// Now stamps the names of manual runs.
	Now func() time.Time
	Log *slog.Logger
}

// Started is what Start did.
type Started struct {
	Request Request `json:"request"`
	// Name and ExecutionARN are the execution's; ExecutionARN is empty for
	// a duplicate.
	Name         string `json:"name,omitempty"`
	ExecutionARN string `json:"executionArn,omitempty"`
	// Duplicate: the event was delivered before, and its execution exists.
	Duplicate bool `json:"duplicate,omitempty"`
	// Skipped says why nothing was started (an event the rules would not
	// match, a region the configuration leaves out).
	Skipped string `json:"skipped,omitempty"`
}

// Start decodes event and starts its onboarding run. An event that starts
// nothing (a FAILED account creation, a disabled region) is Skipped, not an
// error; a malformed one is an *eventbus.DecodeError, which the Lambda
// returns so that the event ends in its dead-letter queue.
func (s Starter) Start(ctx context.Context, event json.RawMessage) (Started, error) {
	req, err := Decode(event, s.Settings.Accounts.Management)
	var nm *eventbus.NotMatchedError
	switch {
	case errors.As(err, &nm):
		s.log().InfoContext(ctx, "nothing to onboard", "reason", nm.Error())
		return Started{Skipped: nm.Error()}, nil
	case err != nil:
		return Started{}, err
	}
	return s.StartRequest(ctx, req)
}

// StartRequest starts req's onboarding run. An account the configuration's
// scope excludes by ID starts nothing (Skipped, "excluded by scope"); one
// in an excluded OU is known only to the org-targets step, which reads the
// OUs: its run starts, and org-targets reports the account excluded and
// leaves it out, so no step works on it.
func (s Starter) StartRequest(ctx context.Context, req Request) (Started, error) {
	out := Started{Request: req}
	if req.Account != "" && s.Settings.Scope.ExcludesAccount(req.Account) {
		out.Skipped = fmt.Sprintf("account %s is %s (scope.excludeAccounts): not onboarded", req.Account, settings.ScopeReason)
		s.log().InfoContext(ctx, "nothing to onboard", "reason", out.Skipped)
		return out, nil
	}
	if req.Region != "" && !s.Settings.Regions.Discover && !slices.Contains(s.Settings.Regions.Names, req.Region) {
		out.Skipped = fmt.Sprintf("region %s is not among the configuration's regions (%v): add it there to apply it", req.Region, s.Settings.Regions.Names)
		s.log().InfoContext(ctx, "nothing to onboard", "reason", out.Skipped)
		return out, nil
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	out.Name = ExecutionName(req, now().UTC().Format("20060102T150405Z"))
	input, err := json.Marshal(Input(req))
	if err != nil {
		return out, err
	}
	// "StartExecution is idempotent for STANDARD workflows. For a
	// STANDARD workflow, if you call StartExecution with the same name and
	// input as a running execution, the call succeeds and return the same
	// response as the original request. If the execution is closed or if
	// the input is different, it returns a 400 ExecutionAlreadyExists
	// error" (StartExecution, AWS Step Functions API Reference).
	res, err := s.SFN.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(s.StateMachineARN), Name: aws.String(out.Name), Input: aws.String(string(input)),
	})
	var exists *sfntypes.ExecutionAlreadyExists
	switch {
	case errors.As(err, &exists):
		out.Duplicate = true
		s.log().InfoContext(ctx, "already onboarding", "execution", out.Name, "request", req.String())
		return out, nil
	case err != nil:
		return out, fmt.Errorf("start the onboarding run %s: %w", out.Name, err)
	}
	out.ExecutionARN = aws.ToString(res.ExecutionArn)
	s.log().InfoContext(ctx, "onboarding", "execution", out.ExecutionARN, "request", req.String())
	return out, nil
}

func (s Starter) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// Input is the execution input of req's run: apply, for its account (or
// every account) and its region (or every region).
func Input(req Request) workflow.Input {
	if req.Trigger == TriggerSchedule {
		// The whole baseline, as `orgbaseline apply` runs it.
		return workflow.Input{Mode: workflow.ModeApply}
	}
	in := workflow.Input{Mode: workflow.ModeApply, Onboarding: &workflow.Onboarding{Trigger: req.Trigger, EventID: req.EventID}}
	if !req.AllAccounts {
		in.Accounts = []string{req.Account}
	}
	if req.Region != "" {
		in.Regions = []string{req.Region}
	}
	return in
}
