// Package registry is the one list of steps: each step's spec and handler
// builder, in the order the state machine runs them. The step Lambdas
// (functions/<step>), the CLI's local Lambda runtime, the state machine and
// the IAM policies are all derived from it. Events lists the event Lambdas,
// the other folders of functions/; TestFunctionsMatchRegistry fails when a
// functions/ folder and the two lists disagree.
package registry

import (
	"fmt"

	"github.com/orgbaseline/orgbaseline/shared/accessanalyzer"
	"github.com/orgbaseline/orgbaseline/shared/configsvc"
	"github.com/orgbaseline/orgbaseline/shared/detective"
	"github.com/orgbaseline/orgbaseline/shared/eventfn"
	"github.com/orgbaseline/orgbaseline/shared/guardduty"
	"github.com/orgbaseline/orgbaseline/shared/health"
	"github.com/orgbaseline/orgbaseline/shared/org/access"
	"github.com/orgbaseline/orgbaseline/shared/org/prereq"
	"github.com/orgbaseline/orgbaseline/shared/org/targets"
	"github.com/orgbaseline/orgbaseline/shared/orgtrail"
	"github.com/orgbaseline/orgbaseline/shared/report"
	"github.com/orgbaseline/orgbaseline/shared/securityhub"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// The report reads the steps' results in the state machine's order.
func init() { report.StepOrder = Specs }

// All lists every step, in the order the state machine runs them.
var All = []step.Step{
	prereq.Step,
	// The run's regions and accounts first: the steps after it read them.
	targets.Step,
	// An onboarding run waits for the new account's execution role before
	// any step reaches the account.
	access.Step,
	orgtrail.Step,
	guardduty.AdminStep,
	guardduty.OrgStep,
	// Detective after GuardDuty, whose detector it needs.
	detective.AdminStep,
	detective.OrgStep,
	// The invitations detective-org sent, accepted in each account
	// (invitation mode).
	detective.AcceptStep,
	configsvc.AggregatorStep,
	// The delivery policies admit every account before its recorders put
	// their delivery channels.
	configsvc.DeliveryStep,
	configsvc.RecordersStep,
	configsvc.RulesStep,
	// After the recorders, which most Security Hub controls need.
	securityhub.AdminStep,
	securityhub.CentralStep,
	// Local configuration, after the administrator and the aggregator:
	// the members, then each account's standards (in the state machine
	// only under local configuration).
	securityhub.LocalStep,
	securityhub.StandardsStep,
	// After the prerequisites, which register the security account as
	// IAM Access Analyzer's delegated administrator.
	accessanalyzer.OrgStep,
	accessanalyzer.AccountsStep,
	health.Step,
}

// Events lists the event Lambdas: the functions EventBridge invokes with
// one event, which the CDK stacks deploy beside the step Lambdas, each with
// the rules whose target it is.
var Events = []eventfn.Function{
	eventfn.OnboardStart,
	eventfn.OnboardSummary,
	eventfn.NotifyFindings,
}

// FunctionNames returns the names of every Lambda the stacks may deploy,
// each a functions/<name> folder: the steps of All, then the event
// Lambdas.
func FunctionNames() []string {
	var out []string
	for _, s := range All {
		out = append(out, s.Spec.Name)
	}
	for _, f := range Events {
		out = append(out, f.Name)
	}
	return out
}

// LookupEvent returns the event Lambda called name.
func LookupEvent(name string) (eventfn.Function, error) {
	for _, f := range Events {
		if f.Name == name {
			return f, nil
		}
	}
	return eventfn.Function{}, fmt.Errorf("unknown event function %q", name)
}

// For returns the steps of All that c needs (step.Step.Needed), in order:
// the steps the deployed state machine runs.
func For(c settings.Config) []step.Step {
	var out []step.Step
	for _, s := range All {
		if s.Needed(c) {
			out = append(out, s)
		}
	}
	return out
}

// Specs returns the specs of All, in order.
func Specs() []workflow.StepSpec {
	specs := make([]workflow.StepSpec, len(All))
	for i, s := range All {
		specs[i] = s.Spec
	}
	return specs
}

// Lookup returns the step called name.
func Lookup(name string) (step.Step, error) {
	for _, s := range All {
		if s.Spec.Name == name {
			return s, nil
		}
	}
	return step.Step{}, fmt.Errorf("unknown step %q", name)
}
