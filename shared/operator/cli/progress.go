package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/orgbaseline/orgbaseline/shared/org/targets"
	"github.com/orgbaseline/orgbaseline/shared/report"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// progress prints what the state machine is doing to stderr, for the local
// and the deployed run alike: a phase (a step's Task state) once when it
// starts and once when it ends, and for a fan-out over accounts or regions
// its count of iterations done at each quarter ("3/12 accounts"), not a
// line per invocation. Retries and failures are printed as they come, with
// the account or region they concern.
type progress struct {
	mu     sync.Mutex
	w      io.Writer
	now    func() time.Time
	phases map[string]*phase
	// fanOut is how many iterations each Task state runs, from the step
	// specs (report.StepOrder) and the org-targets result: the accounts
	// and regions of the run. Unknown until org-targets ends.
	fanOut map[string]fanOut
	shapes map[string]workflow.StepSpec
	// distributed maps a Distributed Map state to its Task state: a
	// deployed execution's history holds the Map's events, not its
	// iterations' (each a child execution).
	distributed map[string]string
}

type fanOut struct {
	total int
	unit  string
}

type phase struct {
	start   time.Time
	done    int
	quarter int  // the last quarter reported
	ended   bool // reported done, or its error ended the run
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w, now: time.Now, phases: map[string]*phase{}, fanOut: map[string]fanOut{}, shapes: map[string]workflow.StepSpec{}, distributed: map[string]string{}}
	if report.StepOrder != nil {
		for _, spec := range report.StepOrder() {
			p.shapes[spec.State] = spec
			if spec.Shape == workflow.ShapeEachAccount {
				p.distributed[spec.States()[0]] = spec.State
			}
			if spec.Shape == workflow.ShapeHomeThenOtherRegions {
				p.shapes[spec.State+"HomeRegion"] = workflow.StepSpec{State: spec.State + "HomeRegion"}
			}
		}
	}
	return p
}

func (p *progress) printf(format string, a ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format, a...)
}

// phaseOf returns the phase of a Task state, started now if new; the
// caller holds mu.
func (p *progress) phaseOf(state string) (*phase, bool) {
	ph, ok := p.phases[state]
	if !ok {
		ph = &phase{start: p.now()}
		p.phases[state] = ph
	}
	return ph, !ok
}

// entered: a Task state started.
func (p *progress) entered(state string) {
	p.mu.Lock()
	_, fresh := p.phaseOf(state)
	f := p.fanOut[state]
	p.mu.Unlock()
	switch {
	case fresh && f.total > 1:
		p.printf("  > %s (%d %s)\n", state, f.total, f.unit)
	case fresh:
		p.printf("  > %s\n", state)
	}
}

// exited: a Task state finished, with output. A state whose error was
// caught also exits (into its Catch); that is not reported as success. An
// iteration of a polled step that is still pending is not done.
func (p *progress) exited(state string, output []byte) {
	if state == targets.Spec.State {
		p.learnTargets(output)
	}
	p.mu.Lock()
	ph, _ := p.phaseOf(state)
	if ph.ended || bytes.Contains(output, []byte(`"pending":true`)) {
		p.mu.Unlock()
		return
	}
	ph.done++
	f := p.fanOut[state]
	d := p.now().Sub(ph.start)
	var line string
	switch {
	case f.total <= 1: // one invocation (or a fan-out not sized yet)
		ph.ended = true
		line = fmt.Sprintf("  ok %s (%.1fs)\n", state, d.Seconds())
	case ph.done >= f.total:
		ph.ended = true
		line = fmt.Sprintf("  ok %s: %d/%d %s (%.1fs)\n", state, ph.done, f.total, f.unit, d.Seconds())
	case ph.done*4/f.total > ph.quarter:
		ph.quarter = ph.done * 4 / f.total
		line = fmt.Sprintf("  .. %s: %d/%d %s\n", state, ph.done, f.total, f.unit)
	}
	p.mu.Unlock()
	if line != "" {
		p.printf("%s", line)
	}
}

// mapEntered: a Map state started. For a Distributed Map, whose iterations
// a deployed execution's history does not hold, its Task's phase starts.
func (p *progress) mapEntered(mapState string) {
	if task, ok := p.distributed[mapState]; ok {
		p.entered(task)
	}
}

// mapExited: a Map state ended. A Distributed Map's phase ends with it,
// every iteration done (a failed one fails the Map, reported apart).
func (p *progress) mapExited(mapState string) {
	task, ok := p.distributed[mapState]
	if !ok {
		return
	}
	p.mu.Lock()
	ph, _ := p.phaseOf(task)
	if ph.ended {
		p.mu.Unlock()
		return
	}
	ph.ended = true
	f, d := p.fanOut[task], p.now().Sub(ph.start)
	p.mu.Unlock()
	p.printf("  ok %s: %d/%d %s (%.1fs)\n", task, f.total, f.total, f.unit, d.Seconds())
}

// learnTargets reads the accounts and regions of the run from the
// org-targets state's output, and sizes every fan-out from them.
func (p *progress) learnTargets(output []byte) {
	var out struct {
		Results map[string]targets.Result `json:"results"`
	}
	if json.Unmarshal(output, &out) != nil {
		return
	}
	t, ok := out.Results[targets.Spec.ResultKey]
	if !ok {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for state, spec := range p.shapes {
		switch spec.Shape {
		case workflow.ShapeEachAccount:
			p.fanOut[state] = fanOut{len(t.Accounts), "accounts"}
		case workflow.ShapeEachRegion:
			p.fanOut[state] = fanOut{len(t.Regions), "regions"}
		case workflow.ShapeHomeThenOtherRegions:
			p.fanOut[state] = fanOut{len(t.OtherRegions), "other regions"}
		case workflow.ShapeHomeRegion:
			p.fanOut[state] = fanOut{len(t.HomeRegions), "region"}
		default:
			p.fanOut[state] = fanOut{1, ""}
		}
	}
}

func (p *progress) retried(label string, attempt int, errName string) {
	if errName != "" {
		p.printf("  .. %s: retry %d after %s\n", label, attempt, errName)
		return
	}
	p.printf("  .. %s: retry %d\n", label, attempt)
}

func (p *progress) failed(label, errName string) {
	p.printf("  !! %s failed: %s\n", label, errName)
}

// caught: the state's error was caught, which ends the run.
func (p *progress) caught(state string) {
	p.mu.Lock()
	ph, _ := p.phaseOf(state)
	ph.ended = true
	p.mu.Unlock()
	p.printf("  !! %s: error caught, ending the run\n", state)
}

func (p *progress) note(format string, a ...any) {
	p.printf("  "+format+"\n", a...)
}

// stateLabel names a Task state for the progress lines: the state, and for
// an iteration of a fan-out the region (or account) its input names, so the
// iterations of a Map can be told apart.
func stateLabel(state string, input []byte) string {
	var item struct {
		Region  string `json:"region"`
		Account string `json:"account"`
	}
	if json.Unmarshal(input, &item) != nil {
		return state
	}
	label := state
	for _, v := range []string{item.Account, item.Region} {
		if v != "" {
			label += " " + v
		}
	}
	return label
}
