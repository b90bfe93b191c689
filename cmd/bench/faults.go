package main

// Fault injection: runs on an emulated organization with the fault layer
// (shared/local/faults) between the step processes' SDK and the emulator,
// each followed by two runs without faults. What a run with faults ends
// with, and that the organization then converges (the second run after it
// makes no mutating call), is the table docs/faults.md.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/local/faults"
	"github.com/orgbaseline/orgbaseline/shared/report"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// faultCase is one kind of trouble.
type faultCase struct {
	name string
	spec faults.Spec
	// denyMember denies every call in a member account's sessions;
	// suspend closes a member account before the run (it is SUSPENDED).
	denyMember, suspend bool
}

// faultCases are the faults tried.
var faultCases = []faultCase{
	{name: "throttling: 20% of attempts", spec: faults.Spec{Throttle: 0.2}},
	{name: "server errors (503): 10% of attempts", spec: faults.Spec{ServerError: 0.1}},
	{name: "responses lost after the call was applied: 20% of mutating attempts", spec: faults.Spec{LostResponse: 0.2}},
	{name: "all three at once: 10% throttled, 5% server errors, 10% lost responses", spec: faults.Spec{Throttle: 0.1, ServerError: 0.05, LostResponse: 0.1}},
	{name: "AccessDenied for every call in one member account", denyMember: true},
	{name: "a suspended member account", suspend: true},
}

// faultResult is what came of one faultCase.
type faultResult struct {
	fc              faultCase
	accounts        int
	status          string
	counts          map[string]int // the report's rows, by status
	failed          []string       // the failed rows, in short
	injected        map[string]int // faults, by kind
	stepsHit        []string       // the steps faults were injected into
	calls           int
	next, afterNext int // mutating calls of the two runs without faults
	nextStatus      string
}

// tryFault runs fc on a fresh organization of n accounts.
func (r *rig) tryFault(ctx context.Context, n int, fc faultCase, seed uint64) (faultResult, error) {
	o, err := r.seed(ctx, n)
	if err != nil {
		return faultResult{}, err
	}
	res := faultResult{fc: fc, accounts: n, injected: map[string]int{}, counts: map[string]int{}}
	spec := fc.spec
	spec.Seed = seed
	member := o.Workloads[0]
	if fc.denyMember {
		spec.DenyAccount = member
	}
	if fc.suspend {
		api := organizations.NewFromConfig(awsclient.WithRegion(o.mgmt, awsclient.OrganizationsRegion))
		if _, err := api.CloseAccount(ctx, &organizations.CloseAccountInput{AccountId: aws.String(member)}); err != nil {
			return res, fmt.Errorf("close account %s: %w", member, err)
		}
	}
	env, _ := json.Marshal(spec)
	in := workflow.Input{Mode: workflow.ModeApply}
	out, err := r.runOnce(ctx, o, in, []string{faults.EnvFaults + "=" + string(env)})
	if err != nil {
		return res, err
	}
	res.status, res.calls = out.exe.Status, len(out.calls)
	hit := map[string]bool{}
	for _, f := range out.faults {
		res.injected[f.Kind]++
		hit[f.Step] = true
	}
	for s := range hit {
		res.stepsHit = append(res.stepsHit, s)
	}
	sort.Strings(res.stepsHit)
	if err := res.readReport(out); err != nil {
		return res, err
	}
	for i, mutating := range []*int{&res.next, &res.afterNext} {
		clean, err := r.runOnce(ctx, o, in, nil)
		if err != nil {
			return res, err
		}
		if i == 0 {
			res.nextStatus = clean.exe.Status
		}
		for _, c := range clean.calls {
			if c.Mutating {
				*mutating++
			}
		}
	}
	return res, nil
}

// readReport counts the faulty run's rows by status.
func (res *faultResult) readReport(out runOutput) error {
	rep, err := report.FromExecution(workflow.ModeApply, out.exe.Status, out.exe.Output, out.exe.Error, out.exe.Cause)
	if err != nil {
		return err
	}
	for s, n := range rep.Counts() {
		res.counts[s] = n
	}
	for _, row := range rep.Rows {
		if row.Status == string(workflow.StatusFailed) {
			res.failed = append(res.failed, fmt.Sprintf("%s %s %s", row.Account, row.Region, row.Service))
		}
	}
	return nil
}

// tryFaults runs every faultCase on an organization of n accounts.
func tryFaults(ctx context.Context, o rigOptions, n int) ([]faultResult, error) {
	r, err := startRig(ctx, o)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var out []faultResult
	for i, fc := range faultCases {
		fmt.Fprintf(o.progress, "fault: %s\n", fc.name)
		res, err := r.tryFault(ctx, n, fc, uint64(i+1))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fc.name, err)
		}
		out = append(out, res)
	}
	return out, nil
}

// writeFaults writes the table of results.
func writeFaults(w io.Writer, results []faultResult, regions []string) error {
	fmt.Fprintf(w, "# Fault injection\n\n")
	fmt.Fprintf(w, "Written by `make faults` (cmd/bench -faults). Each row is a fresh emulated organization of %d accounts x %d regions (%s) "+
		"run once with the fault layer (shared/local/faults) between the step processes' AWS SDK and the emulator, inside the SDK's retry loop, "+
		"then twice without it. A throttled attempt answers ThrottlingException, a server error 503 ServiceUnavailable, a lost response is "+
		"applied by the emulator and its answer replaced by a connection error; the denied account's sessions answer AccessDeniedException to "+
		"every call; a suspended account is closed in the emulator before the run.\n\n",
		results[0].accounts, len(regions), strings.Join(regions, ", "))
	fmt.Fprintln(w, "| fault | injected | steps hit | run with the fault: execution, rows, calls (an SDK call once, whatever its retries) | next run: execution, mutating calls | the run after: mutating calls |")
	fmt.Fprintln(w, "| --- | --- | --- | --- | --- | --- |")
	for _, r := range results {
		var inj []string
		for _, k := range []string{faults.KindThrottled, faults.KindServerError, faults.KindLostResponse, faults.KindDenied} {
			if n := r.injected[k]; n > 0 {
				inj = append(inj, fmt.Sprintf("%d %s", n, k))
			}
		}
		rows := fmt.Sprintf("%d changed, %d unchanged, %d skipped, %d failed", r.counts["changed"], r.counts["unchanged"], r.counts["skipped"], r.counts["failed"])
		if len(r.failed) > 0 {
			rows += " (" + strings.Join(slices.Compact(r.failed), "; ") + ")"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s; %s; %d calls | %s; %d | %d |\n", r.fc.name, orDash(strings.Join(inj, ", ")),
			orDash(strings.Join(r.stepsHit, ", ")), r.status, rows, r.calls, r.nextStatus, r.next, r.afterNext)
	}
	fmt.Fprintln(w, "\nA failed row names what failed; the other accounts and regions of the run are applied and reported, and the execution "+
		"succeeds within toleratedFailurePercent. The next run without the fault changes what the faulty run could not (for the denied "+
		"account, everything of it); the run after that makes no mutating call: the organization has converged.")
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
