// Package report turns a finished execution into the account x region x
// service report the CLI prints, as a table or as JSON.
package report

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"io"
	"sort"
	"strings"

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
	// Count, when set, is how many account x region rows a summary row
	// stands for (a step folds rows to keep its result bounded).
	Count int `json:"count,omitempty"`
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
	// ServiceSummaries is the per-service summary (Services), filled in
	// when the report is written as JSON.
	ServiceSummaries []ServiceSummary `json:"services,omitempty"`
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
// output (when it succeeded) or error and cause (when it failed). Results
// that a Distributed Map wrote to S3 need FromExecutionWith.
func FromExecution(mode workflow.Mode, status string, output []byte, errName, cause string) (Report, error) {
	return FromExecutionWith(context.Background(), nil, mode, status, output, errName, cause)
}

// Fetch reads an S3 object: where a Distributed Map wrote its results.
type Fetch func(ctx context.Context, bucket, key string) ([]byte, error)

// StepOrder returns the steps in the order the state machine runs them:
// the report reads their results in that order. The registry sets it
// (registry.Specs), which the report cannot import (the registry lists the
// event Lambdas, one of which builds a report). Unset, the results are
// read in the order of their keys.
var StepOrder func() []workflow.StepSpec

// resultKeys returns the keys of results in the steps' order (StepOrder),
// then any other in key order.
func resultKeys(results map[string]json.RawMessage) []string {
	var keys []string
	seen := map[string]bool{}
	if StepOrder != nil {
		for _, spec := range StepOrder() {
			for _, key := range spec.ResultKeys() {
				if _, ok := results[key]; ok && !seen[key] {
					keys, seen[key] = append(keys, key), true
				}
			}
		}
	}
	var rest []string
	for key := range results {
		if !seen[key] {
			rest = append(rest, key)
		}
	}
	sort.Strings(rest)
	return append(keys, rest...)
}

// ObjectsAPI reads an S3 object ("GetObject", Amazon S3 API Reference).
type ObjectsAPI interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// FetchWith is the Fetch that reads with api.
func FetchWith(api ObjectsAPI) Fetch {
	return func(ctx context.Context, bucket, key string) ([]byte, error) {
		out, err := api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			return nil, err
		}
		defer out.Body.Close()
		return io.ReadAll(out.Body)
	}
}

// FromExecutionWith is FromExecution for an execution whose Distributed
// Maps wrote their results to S3 (their result in the output is a
// ResultWriterDetails): fetch reads the manifest and the result files.
func FromExecutionWith(ctx context.Context, fetch Fetch, mode workflow.Mode, status string, output []byte, errName, cause string) (Report, error) {
	r := Report{Execution: status, Mode: string(mode), Rows: []Row{}}
	if status == "SUCCEEDED" {
		var out executionOutput
		if err := json.Unmarshal(output, &out); err != nil {
			return r, fmt.Errorf("read the execution output: %w", err)
		}
		d := decoder{ctx: ctx, fetch: fetch}
		for _, key := range resultKeys(out.Results) {
			results, err := d.results(out.Results[key])
			if err != nil {
				return r, fmt.Errorf("read the result of %s: %w", key, err)
			}
			for _, res := range results {
				r.add(res)
			}
		}
		r.Warnings = append(r.Warnings, recorderWarnings(r.Rows)...)
		return r, nil
	}
	r.Error, r.Cause = errName, cause
	r.Rows = append(r.Rows, Row{Account: "-", Region: "-", Service: "-", Step: "-", Status: string(workflow.StatusFailed), Reason: FailureText(errName, cause)})
	return r, nil
}

// decoder reads the results of a step, in every form the state machine
// leaves them.
type decoder struct {
	ctx   context.Context
	fetch Fetch
}

// written is a Distributed Map's result when it writes to S3.
type written struct {
	MapRunArn           string `json:"MapRunArn"`
	ResultWriterDetails *struct {
		Bucket string `json:"Bucket"`
		Key    string `json:"Key"`
	} `json:"ResultWriterDetails"`
}

// manifest is the manifest.json a Distributed Map writes beside its result
// files ("Processing the results of a Distributed Map", Step Functions
// Developer Guide).
type manifest struct {
	DestinationBucket string `json:"DestinationBucket"`
	ResultFiles       map[string][]struct {
		Key string `json:"Key"`
	} `json:"ResultFiles"`
}

// childExecution is one entry of a result file: a child execution, its
// output as a JSON string.
type childExecution struct {
	Status string  `json:"Status"`
	Input  string  `json:"Input"`
	Output *string `json:"Output"`
	Error  string  `json:"Error"`
	Cause  string  `json:"Cause"`
}

// results reads one StepResult; or an array of them, or arrays of arrays (a
// Map over accounts whose iterations are Maps over regions); or the result
// files a Distributed Map wrote to S3, whose entries are child executions
// with their output as a string.
func (d decoder) results(raw json.RawMessage) ([]workflow.StepResult, error) {
	var many []json.RawMessage
	if err := json.Unmarshal(raw, &many); err == nil {
		var out []workflow.StepResult
		for _, m := range many {
			results, err := d.results(m)
			if err != nil {
				return nil, err
			}
			out = append(out, results...)
		}
		return out, nil
	}
	var w written
	if err := json.Unmarshal(raw, &w); err == nil && w.ResultWriterDetails != nil {
		return d.written(w)
	}
	var child childExecution
	if err := json.Unmarshal(raw, &child); err == nil && child.Output != nil && child.Status != "" {
		return d.results(json.RawMessage(*child.Output))
	}
	var one workflow.StepResult
	if err := json.Unmarshal(raw, &one); err != nil {
		return nil, err
	}
	return []workflow.StepResult{one}, nil
}

// written reads the results a Distributed Map wrote to S3: its manifest,
// then every result file of its succeeded child executions, and of those
// that failed within the map's tolerated failures (each its account's
// failed row).
func (d decoder) written(w written) ([]workflow.StepResult, error) {
	bucket, key := w.ResultWriterDetails.Bucket, w.ResultWriterDetails.Key
	if d.fetch == nil {
		return nil, fmt.Errorf("the results of map run %s are in s3://%s/%s, and this report cannot read S3", w.MapRunArn, bucket, key)
	}
	body, err := d.fetch(d.ctx, bucket, key)
	if err != nil {
		return nil, fmt.Errorf("read the results manifest s3://%s/%s: %w", bucket, key, err)
	}
	var m manifest
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("read the results manifest s3://%s/%s: %w", bucket, key, err)
	}
	if m.DestinationBucket != "" {
		bucket = m.DestinationBucket
	}
	var out []workflow.StepResult
	for _, f := range m.ResultFiles["SUCCEEDED"] {
		body, err := d.fetch(d.ctx, bucket, f.Key)
		if err != nil {
			return nil, fmt.Errorf("read the results s3://%s/%s: %w", bucket, f.Key, err)
		}
		results, err := d.results(body)
		if err != nil {
			return nil, fmt.Errorf("read the results s3://%s/%s: %w", bucket, f.Key, err)
		}
		out = append(out, results...)
	}
	for _, f := range m.ResultFiles["FAILED"] {
		body, err := d.fetch(d.ctx, bucket, f.Key)
		if err != nil {
			return nil, fmt.Errorf("read the results s3://%s/%s: %w", bucket, f.Key, err)
		}
		res, err := failedChildren(body)
		if err != nil {
			return nil, fmt.Errorf("read the results s3://%s/%s: %w", bucket, f.Key, err)
		}
		out = append(out, res)
	}
	return out, nil
}

// failedChildren reads a result file of failed child executions: each is
// the failed row of the account its input names.
func failedChildren(body []byte) (workflow.StepResult, error) {
	var children []childExecution
	if err := json.Unmarshal(body, &children); err != nil {
		return workflow.StepResult{}, err
	}
	res := workflow.StepResult{}
	for _, c := range children {
		var in workflow.Item
		_ = json.Unmarshal([]byte(c.Input), &in)
		account := in.Account
		if account == "" {
			account = "-"
		}
		res.Outcomes = append(res.Outcomes, workflow.Outcome{
			Account: account, Region: "-", Service: "-", Status: workflow.StatusFailed,
			Reason: "the account's invocation failed after its retries: " + FailureText(c.Error, c.Cause),
		})
	}
	return res, nil
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
		row := Row{Account: o.Account, Region: o.Region, Service: o.Service, Step: res.Step, Status: string(o.Status), Reason: o.Reason, Count: o.Count}
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

// Counts returns the number of account x region rows per status; a
// summary row counts every row it stands for.
func (r Report) Counts() map[string]int {
	c := map[string]int{}
	for _, row := range r.Rows {
		c[row.Status] += max(row.Count, 1)
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

// WriteJSON prints the report as indented JSON, with the per-service
// summary.
func (r Report) WriteJSON(w io.Writer) error {
	r.ServiceSummaries = r.Services()
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
