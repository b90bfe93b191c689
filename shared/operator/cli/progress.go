package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
)

// progress prints what the state machine is doing, one line per change, to
// stderr, for the local and the deployed run alike.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	started map[string]time.Time
	ended   map[string]bool // states whose error ended the run
	now     func() time.Time
}

func newProgress(w io.Writer) *progress {
	return &progress{w: w, started: map[string]time.Time{}, ended: map[string]bool{}, now: time.Now}
}

func (p *progress) printf(format string, a ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format, a...)
}

// entered: a Task state started.
func (p *progress) entered(state string) {
	p.mu.Lock()
	p.started[state] = p.now()
	p.mu.Unlock()
	p.printf("  > %s\n", state)
}

// exited: a Task state finished. A state whose error was caught also
// exits (into its Catch); that is not reported as success.
func (p *progress) exited(state string) {
	p.mu.Lock()
	start, known := p.started[state]
	d, ended := p.now().Sub(start), p.ended[state]
	p.mu.Unlock()
	switch {
	case ended:
	case known:
		p.printf("  ok %s (%.1fs)\n", state, d.Seconds())
	default: // an exit that cannot be matched to its entry
		p.printf("  ok %s\n", state)
	}
}

func (p *progress) retried(state string, attempt int, errName string) {
	if errName != "" {
		p.printf("  .. %s: retry %d after %s\n", state, attempt, errName)
		return
	}
	p.printf("  .. %s: retry %d\n", state, attempt)
}

func (p *progress) failed(state, errName string) {
	p.printf("  !! %s failed: %s\n", state, errName)
}

func (p *progress) caught(state string) {
	p.mu.Lock()
	p.ended[state] = true
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
