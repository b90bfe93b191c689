package access

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

const (
	mgmt   = "111111111111"
	newAcc = "444455556666"
)

var denied = &smithy.GenericAPIError{Code: "AccessDenied", Message: "User: arn:aws:sts::111111111111:assumed-role/x is not authorized to perform: sts:AssumeRole"}

func deps(errs map[string]error, calls *[]string) Deps {
	return Deps{
		Assume: func(_ context.Context, account string) error {
			*calls = append(*calls, account)
			return errs[account]
		},
		RoleARN: func(a string) string { return "arn:aws:iam::" + a + ":role/OrganizationAccountAccessRole" },
	}
}

func cfg() settings.Config {
	return settings.Config{Accounts: settings.Accounts{Management: mgmt}, Onboarding: settings.Onboarding{RoleWaitMinutes: 15}}
}

func onboarding(mode workflow.Mode, polls int) workflow.Item {
	return workflow.Item{
		Input:    workflow.Input{Mode: mode, Accounts: []string{newAcc}, Onboarding: &workflow.Onboarding{Trigger: "CreateAccountResult", EventID: "e"}},
		Region:   "us-east-1",
		Accounts: []string{mgmt, newAcc},
		Polls:    polls,
	}
}

var log = slog.New(slog.DiscardHandler)

func TestCheck(t *testing.T) {
	t.Run("not an onboarding run: no call, no row", func(t *testing.T) {
		var calls []string
		it := onboarding(workflow.ModeApply, 0)
		it.Input.Onboarding = nil
		res, err := Check(context.Background(), deps(nil, &calls), cfg(), it, log)
		if err != nil || len(res.Outcomes) != 0 || res.Pending || len(calls) != 0 {
			t.Errorf("%+v, %v, calls %v", res, err, calls)
		}
	})
	t.Run("role assumable", func(t *testing.T) {
		var calls []string
		res, err := Check(context.Background(), deps(nil, &calls), cfg(), onboarding(workflow.ModeApply, 0), log)
		if err != nil || res.Pending || len(res.Outcomes) != 1 || res.Outcomes[0].Status != workflow.StatusUnchanged ||
			!strings.Contains(res.Outcomes[0].Reason, "can be assumed") || len(calls) != 1 || calls[0] != newAcc {
			t.Errorf("%+v, %v, calls %v", res, err, calls)
		}
	})
	t.Run("role not there yet: wait", func(t *testing.T) {
		var calls []string
		res, err := Check(context.Background(), deps(map[string]error{newAcc: denied}, &calls), cfg(), onboarding(workflow.ModeApply, 3), log)
		if err != nil || !res.Pending || res.Polls != 4 || len(res.Outcomes) != 0 {
			t.Errorf("%+v, %v", res, err)
		}
	})
	t.Run("role never there: the run fails naming role and account", func(t *testing.T) {
		var calls []string
		// 15 minutes at 30 seconds a check: after 29 waits, one more.
		if res, err := Check(context.Background(), deps(map[string]error{newAcc: denied}, &calls), cfg(), onboarding(workflow.ModeApply, 29), log); err != nil || !res.Pending {
			t.Fatalf("after 14m30s: %+v, %v; want one more wait", res, err)
		}
		_, err := Check(context.Background(), deps(map[string]error{newAcc: denied}, &calls), cfg(), onboarding(workflow.ModeApply, 30), log)
		var te *workflow.TerminalError
		if !errors.As(err, &te) || !strings.Contains(err.Error(), "arn:aws:iam::444455556666:role/OrganizationAccountAccessRole could not be assumed for 15m0s") ||
			!strings.Contains(err.Error(), "onboarding.roleWaitMinutes: 15") {
			t.Errorf("err %v", err)
		}
	})
	t.Run("plan: no wait, the row fails", func(t *testing.T) {
		var calls []string
		res, err := Check(context.Background(), deps(map[string]error{newAcc: denied}, &calls), cfg(), onboarding(workflow.ModePlan, 0), log)
		if err != nil || res.Pending || len(res.Outcomes) != 1 || res.Outcomes[0].Status != workflow.StatusFailed {
			t.Errorf("%+v, %v", res, err)
		}
	})
	t.Run("throttled: the state machine's retries", func(t *testing.T) {
		var calls []string
		_, err := Check(context.Background(), deps(map[string]error{newAcc: &smithy.GenericAPIError{Code: "Throttling"}}, &calls), cfg(), onboarding(workflow.ModeApply, 0), log)
		var re *workflow.RetryableError
		if !errors.As(err, &re) {
			t.Errorf("err %v, want RetryableError", err)
		}
	})
	t.Run("management account and accounts the run does not cover are not checked", func(t *testing.T) {
		var calls []string
		it := onboarding(workflow.ModeApply, 0)
		it.Input.Accounts = []string{mgmt, "999999999999"}
		res, err := Check(context.Background(), deps(nil, &calls), cfg(), it, log)
		if err != nil || len(calls) != 0 || len(res.Outcomes) != 0 {
			t.Errorf("%+v, %v, calls %v", res, err, calls)
		}
	})
}
