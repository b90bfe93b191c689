package main

import (
	"fmt"
	"strings"

	"github.com/orgbaseline/orgbaseline/shared/local/localsfn"
)

// assumptions writes what the model takes for granted, and where the
// limits come from.
func assumptions(p *printer, m measurement) {
	sizes := []string{}
	for _, r := range m.runs {
		if r.kind == firstRun {
			sizes = append(sizes, fmt.Sprint(r.orgAccounts))
		}
	}
	p.f("## How the model works, and what it assumes\n\n")
	for _, a := range []string{
		"The steps, their shapes (once, home region then the other regions, each region, each account), MaxConcurrency, RegionConcurrency and Poll are read from the step specs (shared/registry); the states, their MaxConcurrency, Map modes (inline or distributed), ResultWriter, Wait seconds and Task timeouts from the synthesized definition. A shape the model does not know stops the benchmark with an error.",
		"Before anything is modelled, the model is held to the runs it was fitted on: at every measured size it must give each step's invocations and the run's state transitions exactly as the local run counted them, or the benchmark stops.",
		fmt.Sprintf("For each step and kind of invocation (home region, another region, all regions), a run's calls in the home region (with the global services' endpoints) and in each other region, and its invocations, are fitted by least squares as lines over the organization's size (%s accounts) and extrapolated; an invocation's calls are the one over the other. An invocation that covers every region makes its other-region calls once per region; one that covers one region is counted as measured. sts:AssumeRole calls are fitted per step apart: credentials are cached per Lambda container, so they depend on how invocations fall on containers, not on the invocations.", strings.Join(sizes, ", ")),
		"The model knows no cap or time budget inside a step: org-trail reads member accounts for its preflight a few at a time, at most 1,000 of them, within a time budget, and reports the rest as not checked, so its modelled calls and time past 1,000 accounts overstate it.",
		"State transitions are the states entered on the path a successful run takes (a Map's iterations included, a Distributed Map's child executions included); retries, which Step Functions also bills, are left out. History events per state are those listed in cmd/bench/definition.go (a Lambda Task 5; Pass, Wait, Choice, Succeed 2; an inline Map 4 plus 2 per iteration; a Distributed Map 4 in the execution, each iteration a child execution with 2 of its own).",
		"A step with a Poll polls as often per iteration as measured (fitted like the calls; in these runs it did not poll: the emulator has no organization config rules, and the example configuration no conformance pack); the second figure of the history events assumes every iteration polls MaxPolls times.",
		fmt.Sprintf("Wall time: %.0f ms per call; calls within an invocation one after another, except that an invocation covering every region works on RegionConcurrency regions at a time after its home region; a Map's iterations in rounds of its MaxConcurrency; the steps one after another. Lambda start-up, Step Functions' own latency, throttling and retries are left out. A step whose own code runs calls concurrently (org-targets' region checks) is modelled slower than it is.", secondsPerCall*1000),
		"Result sizes: each measured result is split into its workflow.StepResult (of which the rows in regions other than the home region) and what it carries beside it (org-targets' accounts and regions); the largest of each part is fitted as a line over the organization's size. The rows in other regions of an invocation that covers every region are scaled to the regions; the StepResult is then capped at the step's bound (workflow.StepSpec.ResultBytes), at which step.Define folds every result's rows into summary rows; what a result carries beside it is not capped.",
		fmt.Sprintf("The largest state is the one at the end of a run. It is calibrated on the largest measured run of each kind (its largest state as the local run counts it), then each step's results are replaced by their modelled sizes; a Distributed Map with a ResultWriter keeps only where its results are (%d bytes) in the state, as on AWS.", len(localsfn.ResultWriterOutput)),
		"Cost is state transitions x $0.025 / 1,000 (Standard workflows); Lambda, AWS Config, GuardDuty and CloudTrail charges are not included. The cost of onboarding one account is that of the onboarding run.",
	} {
		p.f("- %s\n", a)
	}
	p.f("\nLimits, from the AWS Step Functions Developer Guide page \"Step Functions service quotas\": maximum execution history size 25,000 events (a hard quota; ")
	p.f("a Distributed Map's child executions each have their own history); maximum input or output size for a task, state, or execution 256 KiB (262,144 bytes of UTF-8 encoded data). ")
	p.f("A payload over it fails the execution with States.DataLimitExceeded, which States.ALL does not catch (\"Handling errors in Step Functions workflows\"); the local run fails the same way.\n")
}
