package onboard

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/orgbaseline/orgbaseline/shared/eventbus"
	"github.com/orgbaseline/orgbaseline/shared/report"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// Step Functions' status change events ("Automating Step Functions event
// delivery with EventBridge", AWS Step Functions Developer Guide).
const (
	sourceStates         = "aws.states"
	detailTypeStatus     = "Step Functions Execution Status Change"
	onboardNamePrefix    = OnboardPrefix + "-"
	reconvergeNamePrefix = ReconvergePrefix + "-"
	maxSummaryFailedRows = 10
)

// statusChange is the part of a status change event the summary reads.
// The input and output are the execution's, as JSON strings, when they fit
// in the event (inputDetails / outputDetails "included").
type statusChange struct {
	ExecutionArn  string `json:"executionArn"`
	Name          string `json:"name"`
	Status        string `json:"status"`
	Input         string `json:"input"`
	Output        string `json:"output"`
	OutputDetails struct {
		Included bool `json:"included"`
	} `json:"outputDetails"`
}

// DescribeAPI reads an execution whose output did not fit in its event.
type DescribeAPI interface {
	DescribeExecution(ctx context.Context, in *sfn.DescribeExecutionInput, optFns ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
}

// PublishAPI publishes to the operations topic.
type PublishAPI interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

var (
	_ DescribeAPI = (*sfn.Client)(nil)
	_ PublishAPI  = (*sns.Client)(nil)
)

// Summarizer publishes the summary of an onboarding run that ended.
type Summarizer struct {
	SFN DescribeAPI
	// Fetch reads the results a Distributed Map wrote to S3.
	Fetch    report.Fetch
	SNS      PublishAPI
	TopicARN string
	Log      *slog.Logger
}

// Summary is what the Summarizer published.
type Summary struct {
	Subject string `json:"subject,omitempty"`
	Text    string `json:"text,omitempty"`
	// Skipped says why nothing was published.
	Skipped string `json:"skipped,omitempty"`
}

// Handle reads the status change event of an onboarding run that
// SUCCEEDED, builds the run's report (the same as `orgbaseline apply`
// prints) and publishes its summary: the counts by service and the rows
// that failed. Another event is Skipped; a malformed one is an
// *eventbus.DecodeError.
func (s Summarizer) Handle(ctx context.Context, event json.RawMessage) (Summary, error) {
	env, err := eventbus.DecodeEnvelope(event)
	if err != nil {
		return Summary{}, err
	}
	var d statusChange
	if env.Source != sourceStates || env.DetailType != detailTypeStatus {
		return Summary{Skipped: "not a Step Functions status change"}, nil
	}
	if err := json.Unmarshal(env.Detail, &d); err != nil {
		return Summary{}, eventbus.JSONError("detail", err)
	}
	reconverge := strings.HasPrefix(d.Name, reconvergeNamePrefix)
	if d.Status != "SUCCEEDED" || !strings.HasPrefix(d.Name, onboardNamePrefix) && !reconverge {
		return Summary{Skipped: fmt.Sprintf("execution %s is %s, not an onboarding or re-converge run that succeeded", d.Name, d.Status)}, nil
	}
	if d.ExecutionArn == "" {
		return Summary{}, &eventbus.DecodeError{Field: "detail.executionArn", Reason: "missing"}
	}
	output, input := d.Output, d.Input
	if !d.OutputDetails.Included || output == "" || input == "" {
		// The output did not fit in the event: read the execution.
		ex, err := s.SFN.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(d.ExecutionArn)})
		if err != nil {
			return Summary{}, fmt.Errorf("read the execution %s: %w", d.ExecutionArn, err)
		}
		output, input = aws.ToString(ex.Output), aws.ToString(ex.Input)
	}
	var in workflow.Input
	if err := json.Unmarshal([]byte(input), &in); err != nil {
		return Summary{}, fmt.Errorf("the input of %s: %w", d.ExecutionArn, err)
	}
	rep, err := report.FromExecutionWith(ctx, s.Fetch, in.Mode, "SUCCEEDED", []byte(output), "", "")
	if err != nil {
		return Summary{}, err
	}
	sum := Summarize(d.Name, d.ExecutionArn, in, rep)
	if reconverge {
		// A re-converge that found everything as configured is not news.
		c := rep.Counts()
		if c["changed"] == 0 && c["failed"] == 0 {
			return Summary{Skipped: "the re-converge " + d.Name + " found the organization as configured: nothing to tell"}, nil
		}
		sum = summarizeReconverge(sum, rep)
	}
	if _, err := s.SNS.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(s.TopicARN), Subject: aws.String(sum.Subject), Message: aws.String(sum.Text)}); err != nil {
		return sum, fmt.Errorf("publish the summary of %s: %w", d.Name, err)
	}
	if s.Log != nil {
		s.Log.InfoContext(ctx, "published", "subject", sum.Subject)
	}
	return sum, nil
}

// Summarize is the summary of an onboarding run's report: a subject with
// what was onboarded and the counts, and a text with the counts by
// service, the rows that failed (at most 10, then how many more), the
// warnings, and the execution.
func Summarize(name, executionArn string, in workflow.Input, rep report.Report) Summary {
	what := "every account"
	if len(in.Accounts) > 0 {
		what = "account " + strings.Join(in.Accounts, ", ")
	}
	where := "every enabled region"
	if len(in.Regions) > 0 {
		where = "region " + strings.Join(in.Regions, ", ")
	}
	trigger := TriggerManual
	if in.Onboarding != nil {
		trigger = in.Onboarding.Trigger
	}
	c := rep.Counts()
	subject := fmt.Sprintf("orgbaseline onboarded %s: %d changed, %d failed", what, c["changed"], c["failed"])
	// "Subjects must be ... less than 100 characters long" ("Publish",
	// Amazon SNS API Reference).
	if len(subject) > 99 {
		subject = subject[:96] + "..."
	}
	var b strings.Builder
	fmt.Fprintf(&b, "orgbaseline onboarded %s in %s (%s): %s.\n\n", what, where, trigger, rep.Summary())
	byService := map[string]map[string]int{}
	for _, r := range rep.Rows {
		if byService[r.Service] == nil {
			byService[r.Service] = map[string]int{}
		}
		byService[r.Service][r.Status] += max(r.Count, 1)
	}
	services := make([]string, 0, len(byService))
	for s := range byService {
		services = append(services, s)
	}
	sort.Strings(services)
	for _, s := range services {
		var parts []string
		for _, st := range []string{"changed", "unchanged", "planned", "skipped", "failed"} {
			if n := byService[s][st]; n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", n, st))
			}
		}
		fmt.Fprintf(&b, "  %-15s %s\n", s, strings.Join(parts, ", "))
	}
	listRows(&b, "Failed", rep, workflow.StatusFailed, func(r report.Row) string { return r.Reason })
	for _, w := range rep.Warnings {
		fmt.Fprintf(&b, "\nwarning: %s\n", w)
	}
	fmt.Fprintf(&b, "\nExecution %s: %s\n", name, executionArn)
	return Summary{Subject: subject, Text: b.String()}
}

// summarizeReconverge turns sum, a run's Summarize, into the summary of a
// scheduled re-converge that put drift back or failed somewhere: the rows
// that changed (what had drifted), then sum's counts by service, failed
// rows, warnings and execution.
func summarizeReconverge(sum Summary, rep report.Report) Summary {
	c := rep.Counts()
	subject := fmt.Sprintf("orgbaseline re-converge: %d put back, %d failed", c["changed"], c["failed"])
	var b strings.Builder
	fmt.Fprintf(&b, "orgbaseline re-applied the baseline on its schedule: %s.\n", rep.Summary())
	fmt.Fprintln(&b, "What had drifted from the configuration was put back (changed); what failed is listed.")
	listRows(&b, "Put back", rep, workflow.StatusChanged, func(r report.Row) string { return strings.Join(r.Actions, "; ") })
	// The counts by service, the failed rows, the warnings and the
	// execution, as an onboarding run's summary has them.
	if _, rest, ok := strings.Cut(sum.Text, "\n\n"); ok {
		fmt.Fprintf(&b, "\n%s", rest)
	}
	return Summary{Subject: subject, Text: b.String()}
}

// listRows writes, under title, rep's rows of status, each with what says
// about it: at most maxSummaryFailedRows, then how many more.
func listRows(b *strings.Builder, title string, rep report.Report, status workflow.Status, what func(report.Row) string) {
	var rows []report.Row
	for _, r := range rep.Rows {
		if r.Status == string(status) {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(b, "\n%s:\n", title)
	for i, r := range rows {
		if i == maxSummaryFailedRows {
			fmt.Fprintf(b, "  and %d more\n", len(rows)-i)
			return
		}
		fmt.Fprintf(b, "  %s %s %s: %s\n", r.Account, r.Region, r.Service, what(r))
	}
}
