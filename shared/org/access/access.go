package access

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/logging"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// ServiceName is the service column of the step's rows.
const ServiceName = "onboarding"

// Deps assumes the execution role in an account.
type Deps struct {
	// Assume returns nil once the execution role in account can be
	// assumed.
	Assume func(ctx context.Context, account string) error
	// RoleARN names the role in account.
	RoleARN func(account string) string
}

type handler struct {
	settings settings.Config
	deps     Deps
	log      *slog.Logger
}

func build(d step.Deps) step.Handler[workflow.Item, workflow.StepResult] {
	h := &handler{settings: d.Settings, log: d.Log, deps: Deps{
		Assume: func(ctx context.Context, account string) error {
			_, err := d.Accounts.Config(account).Credentials.Retrieve(ctx)
			return err
		},
		RoleARN: d.Accounts.RoleARN,
	}}
	return h.handle
}

func (h *handler) handle(ctx context.Context, item workflow.Item) (workflow.StepResult, error) {
	log := logging.Where(h.log, h.settings.Accounts.Management, item.Region, ServiceName)
	return step.Handle(ctx, item.Input, log, func(ctx context.Context, log *slog.Logger) (workflow.StepResult, error) {
		return Check(ctx, h.deps, h.settings, item, log)
	})
}

// Check assumes the execution role in each account an onboarding run
// names. A run that onboards nothing (no Input.Onboarding), or only
// accounts the run does not cover, has nothing to wait for and no row. An
// account whose role is refused is waited for (Pending) until
// settings.Onboarding.RoleWaitMinutes have passed; then the run fails with
// a TerminalError that names the role and the account, before any step
// reaches them. In plan mode nothing is waited for: the account's row
// fails.
func Check(ctx context.Context, d Deps, cfg settings.Config, item workflow.Item, log *slog.Logger) (workflow.StepResult, error) {
	res := workflow.StepResult{Step: Spec.Name, Mode: item.Input.Mode, Outcomes: []workflow.Outcome{}}
	if item.Input.Onboarding == nil {
		return res, nil
	}
	var waiting []string
	var last error
	for _, account := range newAccounts(cfg, item) {
		out := workflow.Outcome{Account: account, Region: workflow.RegionGlobal, Service: ServiceName}
		err := d.Assume(ctx, account)
		switch {
		case err == nil:
			out.Reason = "the execution role " + d.RoleARN(account) + " can be assumed"
			res.Add(out)
		case refused(err):
			waiting, last = append(waiting, account), err
			if item.Input.Mode == workflow.ModePlan {
				out.Status, out.Reason = workflow.StatusFailed, "the execution role "+d.RoleARN(account)+" cannot be assumed: "+err.Error()
				res.Add(out)
			}
		default:
			// Throttling and the like: the state machine's retries.
			return res, awsclient.Classify("assume the execution role in "+account, err)
		}
	}
	if len(waiting) == 0 || item.Input.Mode == workflow.ModePlan {
		return res, nil
	}
	waited := time.Duration(item.Polls*Poll.IntervalSeconds) * time.Second
	limit := time.Duration(cfg.Onboarding.RoleWaitMinutes) * time.Minute
	if waited+time.Duration(Poll.IntervalSeconds)*time.Second > limit || item.Polls+1 >= Poll.MaxPolls {
		roles := make([]string, len(waiting))
		for i, a := range waiting {
			roles[i] = d.RoleARN(a)
		}
		return res, &workflow.TerminalError{Op: "onboard " + strings.Join(waiting, ", "), Err: fmt.Errorf(
			"the execution role %s could not be assumed for %s (onboarding.roleWaitMinutes: %d): %w; "+
				"an invited account has no OrganizationAccountAccessRole: create the role there (trusting the management account), or set executionRoleName, then run orgbaseline onboard --account",
			strings.Join(roles, ", "), waited.Round(time.Second), cfg.Onboarding.RoleWaitMinutes, last)}
	}
	log.InfoContext(ctx, "waiting for the execution role", "accounts", strings.Join(waiting, ","), "waited", waited.String())
	res.Pending, res.Polls = true, item.Polls+1
	return res, nil
}

// newAccounts are the accounts the run onboards that it covers (ACTIVE,
// in the run's accounts), less the management account, which works with
// its own role.
func newAccounts(cfg settings.Config, item workflow.Item) []string {
	var out []string
	for _, a := range item.Input.Accounts {
		if a != cfg.Accounts.Management && slices.Contains(item.Accounts, a) && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// refused reports whether STS refused the role: AccessDenied, which AWS
// answers for a role that does not exist yet or does not trust the caller
// ("AssumeRole", AWS Security Token Service API Reference, Errors).
func refused(err error) bool { return awsclient.ErrorCode(err) == "AccessDenied" }
