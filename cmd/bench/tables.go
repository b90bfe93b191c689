package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// writeTables writes the measured and the modelled figures as Markdown.
func writeTables(w io.Writer, m measurement, mod *model, took time.Duration) error {
	p := &printer{w: w}
	p.f("# orgbaseline at scale: AWS calls, Step Functions limits, cost\n\n")
	p.f("Written by `make bench` (cmd/bench) on %s: %d cores, %s, %.0f s in all. ", time.Now().UTC().Format("2006-01-02"), runtime.NumCPU(), runtime.Version(), took.Seconds())
	p.f("**Measured** figures come from local runs of the synthesized state machine (aws-local-stepfunctions, the step handlers, ")
	p.f("a moto server holding the organization), every AWS call counted at the SDK by the step processes; ")
	p.f("**modelled** figures are computed from those counts and the synthesized definition, with the assumptions listed at the end.\n\n")
	measuredTable(p, m)
	stepTable(p, m)
	modelTable(p, mod)
	modelStepTable(p, mod, modelScales[len(modelScales)-1])
	assumptions(p, m)
	return p.err
}

type printer struct {
	w   io.Writer
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func (p *printer) row(cells ...string) { p.f("| %s |\n", strings.Join(cells, " | ")) }

func (p *printer) header(cells ...string) {
	p.row(cells...)
	seps := make([]string, len(cells))
	for i := range seps {
		seps[i] = "---"
	}
	p.row(seps...)
}

func measuredTable(p *printer, m measurement) {
	p.f("## Measured: calls per account x region\n\n")
	p.f("Each organization (accounts in all, management, security and log-archive included, x %d regions: %s) is run three times: ", len(m.regions), strings.Join(m.regions, ", "))
	p.f("a first run, a re-run (nothing to change), and the onboarding of one account added afterwards (`--accounts <it>`). ")
	p.f("Calls per account x region divide a run's calls by the accounts it covered times the regions. ")
	p.f("Mutating calls are all but reads (Describe, Get, List, Head, BatchGet, Search, Lookup) and sts:AssumeRole. ")
	p.f("ListAccounts is asked for AWS's page size (20 accounts), not moto's (100).\n\n")
	p.header("accounts", "run", "covered", "calls", "reads", "mutating", "calls / (account x region)", "largest Lambda result", "largest state", "states entered", "local run")
	for _, r := range m.runs {
		n, step := r.maxResult()
		p.row(fmt.Sprint(r.orgAccounts), r.kind, fmt.Sprint(r.accounts), fmt.Sprint(r.calls.total()), fmt.Sprint(r.calls.reads),
			fmt.Sprint(r.calls.mutating), fmt.Sprintf("%.1f", r.callsPerAccountRegion()), fmt.Sprintf("%s (%s)", kib(float64(n)), step),
			fmt.Sprintf("%s (%s)", kib(float64(r.maxState)), r.maxStateAt), fmt.Sprint(r.transitions), fmt.Sprintf("%.1f s", r.seconds))
	}
	p.f("\n")
}

func stepTable(p *printer, m measurement) {
	p.f("## Measured: by step\n\n")
	p.f("Calls (of which mutating) and, after the slash, the largest result of one invocation, by organization size; ")
	p.f("an onboarding run is on the organization with its added account.\n\n")
	var sizes []string
	for _, r := range m.runs {
		if r.kind == firstRun {
			sizes = append(sizes, fmt.Sprintf("%d accounts", r.orgAccounts))
		}
	}
	p.header(append([]string{"step", "run"}, sizes...)...)
	for _, step := range m.runs[0].steps {
		for _, kind := range runKinds {
			cells := []string{step.name, kind}
			for _, r := range m.runs {
				if r.kind != kind {
					continue
				}
				s := r.step(step.name)
				cells = append(cells, fmt.Sprintf("%d (%d) / %s", s.calls.total(), s.calls.mutating, kib(float64(s.maxResult))))
			}
			p.row(cells...)
		}
	}
	p.f("\n")
}

func modelTable(p *printer, mod *model) {
	p.f("## Modelled: 1,000 and 5,000 accounts x 17 regions\n\n")
	p.f("Against Step Functions' limits: %s history events per execution (and per child execution of a Distributed Map), %s per state payload. ",
		count(historyLimit), kib(payloadLimit))
	p.f("History events are given for the polls measured and, after the slash, with every Poll at its MaxPolls. ")
	p.f("Wall time at %.0f ms per call; cost at $0.025 per 1,000 state transitions.\n\n", secondsPerCall*1000)
	p.header("run", "accounts x regions", "covered", "calls", "mutating", "state transitions", "history events, execution", "history events, child execution",
		"largest state", "largest Lambda result", "wall time", "cost")
	for _, sc := range modelScales {
		for _, rm := range mod.runs {
			e := rm.estimate(mod, sc)
			p.row(e.kind, fmt.Sprintf("%s x %d", count(float64(sc.accounts)), sc.regions), count(e.covered), count(e.calls), count(e.mutating),
				count(e.transitions), fmt.Sprintf("%s / %s %s", count(e.events), count(e.worstEvents), within(e.worstEvents, historyLimit)),
				fmt.Sprintf("%s / %s %s", count(e.child), count(e.worstChild), within(e.worstChild, historyLimit)),
				fmt.Sprintf("%s %s", kib(e.maxState), within(e.maxState, payloadLimit)),
				fmt.Sprintf("%s (%s) %s", kib(e.maxResult), e.maxResultStep, within(e.maxResult, payloadLimit)),
				duration(e.seconds), fmt.Sprintf("$%.2f", e.dollars))
		}
	}
	e := mod.run(onboarding).estimate(mod, modelScales[0])
	p.f("\nOnboarding one account costs $%.4f (%s state transitions) on %s accounts.\n\n", e.dollars, count(e.transitions), count(float64(modelScales[0].accounts)))
}

func modelStepTable(p *printer, mod *model, sc scale) {
	p.f("## Modelled: by step, first run on %s accounts x %d regions\n\n", count(float64(sc.accounts)), sc.regions)
	p.header("step", "shape", "invocations", "calls", "wall time", "slowest invocation / timeout", "history events", "in the state", "largest result")
	e := mod.run(firstRun).estimate(mod, sc)
	for i, s := range e.steps {
		spec := mod.run(firstRun).steps[i].spec
		shape := string(spec.Shape)
		if spec.Shape == workflow.ShapeOnce {
			shape = "once"
		}
		stored := kib(s.stored)
		if s.resultsInS3 {
			stored += " (results in S3)"
		}
		events := count(s.events)
		if s.distributed {
			events += fmt.Sprintf(" + %s per child execution", count(s.child))
		}
		p.row(s.name, shape, count(s.invocations), count(s.calls), duration(s.seconds),
			fmt.Sprintf("%s / %d s %s", duration(s.slowest), s.timeout, within(s.slowest, float64(s.timeout))),
			events, stored, kib(s.maxResult))
	}
	p.f("\n")
}

// within marks a figure against its limit.
func within(v, limit float64) string {
	if v > limit {
		return "**over the limit**"
	}
	return fmt.Sprintf("(%.0f%%)", 100*v/limit)
}

func kib(b float64) string {
	if b < 1024 {
		return fmt.Sprintf("%.0f B", b)
	}
	return fmt.Sprintf("%.1f KiB", b/1024)
}

func count(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func duration(seconds float64) string {
	d := time.Duration(seconds * float64(time.Second)).Round(time.Second)
	if d < time.Minute {
		return fmt.Sprintf("%.1f s", seconds)
	}
	return d.String()
}
