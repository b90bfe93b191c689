// Package report turns a finished execution into the account x region x
// service report the CLI prints, as a table or as JSON.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// Row is one line of the report.
type Row struct {
	Account string   `json:"account"`
	Region  string   `json:"region"`
	Service string   `json:"service"`
	Step    string   `json:"step"`
	Status  string   `json:"status"`
	Reason  string   `json:"reason,omitempty"`
	Actions []string `json:"actions,omitempty"`
}

// Outcome is the text of the outcome column: "changed", "skipped: why"...
func (r Row) Outcome() string {
	if r.Reason != "" && (r.Status == string(workflow.StatusSkipped) || r.Status == string(workflow.StatusFailed)) {
		return r.Status + ": " + r.Reason
	}
	return r.Status
}

// Report is a whole run.
type Report struct {
	// Execution is SUCCEEDED, FAILED, ABORTED or TIMED_OUT.
	Execution string   `json:"execution"`
	Mode      string   `json:"mode"`
	Rows      []Row    `json:"rows"`
	Warnings  []string `json:"warnings,omitempty"`
	// Error and Cause are the execution's, when it failed.
	Error string `json:"error,omitempty"`
	Cause string `json:"cause,omitempty"`
}

// executionOutput is the state machine's output: its input plus the results,
// each a StepResult or, from a Map state, an array of them.
type executionOutput struct {
	Mode    workflow.Mode              `json:"mode"`
	Results map[string]json.RawMessage `json:"results"`
}

// FromExecution builds the report of an execution that ended with status,
// output (when it succeeded) or error and cause (when it failed).
func FromExecution(mode workflow.Mode, status string, output []byte, errName, cause string) (Report, error) {
	r := Report{Execution: status, Mode: string(mode), Rows: []Row{}}
	if status == "SUCCEEDED" {
		var out executionOutput
		if err := json.Unmarshal(output, &out); err != nil {
			return r, fmt.Errorf("read the execution output: %w", err)
		}
		for _, spec := range workflow.Steps {
			for _, key := range spec.ResultKeys() {
				raw, ok := out.Results[key]
				if !ok {
					continue
				}
				results, err := decodeResults(raw)
				if err != nil {
					return r, fmt.Errorf("read the result of %s: %w", key, err)
				}
				for _, res := range results {
					r.add(res)
				}
			}
		}
		return r, nil
	}
	r.Error, r.Cause = errName, cause
	r.Rows = append(r.Rows, Row{Account: "-", Region: "-", Service: "-", Step: "-", Status: string(workflow.StatusFailed), Reason: FailureText(errName, cause)})
	return r, nil
}

// decodeResults reads one StepResult, or an array of them, or arrays of
// arrays (a Map over accounts whose iterations are Maps over regions).
func decodeResults(raw json.RawMessage) ([]workflow.StepResult, error) {
	var many []json.RawMessage
	if err := json.Unmarshal(raw, &many); err == nil {
		var out []workflow.StepResult
		for _, m := range many {
			results, err := decodeResults(m)
			if err != nil {
				return nil, err
			}
			out = append(out, results...)
		}
		return out, nil
	}
	var one workflow.StepResult
	if err := json.Unmarshal(raw, &one); err != nil {
		return nil, err
	}
	return []workflow.StepResult{one}, nil
}

// FromResults builds the report of steps run outside a state machine (the
// local deploy, the rollbacks).
func FromResults(mode workflow.Mode, results ...workflow.StepResult) Report {
	r := Report{Execution: "SUCCEEDED", Mode: string(mode), Rows: []Row{}}
	for _, res := range results {
		r.add(res)
	}
	return r
}

func (r *Report) add(res workflow.StepResult) {
	for _, o := range res.Outcomes {
		row := Row{Account: o.Account, Region: o.Region, Service: o.Service, Step: res.Step, Status: string(o.Status), Reason: o.Reason}
		for _, a := range o.Actions {
			row.Actions = append(row.Actions, a.String())
		}
		r.Rows = append(r.Rows, row)
	}
	for _, w := range res.Warnings {
		r.Warnings = append(r.Warnings, res.Step+": "+w)
	}
}

// FailureText is a one-line explanation of a failed execution: the error
// name and, for a Lambda error, the message inside the cause.
func FailureText(errName, cause string) string {
	var lambdaErr struct {
		ErrorMessage string `json:"errorMessage"`
	}
	msg := cause
	if json.Unmarshal([]byte(cause), &lambdaErr) == nil && lambdaErr.ErrorMessage != "" {
		msg = lambdaErr.ErrorMessage
	}
	switch {
	case errName == "":
		return msg
	case msg == "":
		return errName
	}
	return errName + ": " + msg
}

// Failed reports whether the run failed anywhere.
func (r Report) Failed() bool {
	if r.Execution != "SUCCEEDED" {
		return true
	}
	for _, row := range r.Rows {
		if row.Status == string(workflow.StatusFailed) {
			return true
		}
	}
	return false
}

// Counts returns the number of rows per status.
func (r Report) Counts() map[string]int {
	c := map[string]int{}
	for _, row := range r.Rows {
		c[row.Status]++
	}
	return c
}

// Summary is a one-line count of the outcomes, e.g. "3 changed, 4 unchanged".
func (r Report) Summary() string {
	c := r.Counts()
	var parts []string
	for _, s := range []workflow.Status{workflow.StatusChanged, workflow.StatusUnchanged, workflow.StatusPlanned, workflow.StatusSkipped, workflow.StatusFailed} {
		if n := c[string(s)]; n > 0 || s == workflow.StatusFailed {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	return strings.Join(parts, ", ")
}

// WriteTable prints the report as an aligned table, then warnings and a
// summary line.
func (r Report) WriteTable(w io.Writer) error {
	rows := append([]Row(nil), r.Rows...)
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Account != rows[j].Account {
			return rows[i].Account < rows[j].Account
		}
		return rows[i].Region < rows[j].Region
	})
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tREGION\tSERVICE\tOUTCOME\tACTIONS")
	for _, row := range rows {
		actions := strings.Join(row.Actions, "; ")
		if actions == "" {
			actions = "-"
		}
		outcome := row.Outcome()
		if row.Reason != "" && outcome == row.Status {
			actions += " (" + row.Reason + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", row.Account, row.Region, row.Service, outcome, actions)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	_, err := fmt.Fprintf(w, "%s (%s): %s\n", strings.ToLower(r.Execution), r.Mode, r.Summary())
	return err
}

// WriteJSON prints the report as indented JSON.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
