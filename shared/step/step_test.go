package step

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// testSpec is a step of no service, for the setup tests.
var testSpec = workflow.StepSpec{Name: "org-prerequisites", State: "OrgPrerequisites", ResultKey: "orgPrerequisites"}

func exampleSettings(t *testing.T) string {
	t.Helper()
	c, err := settings.LoadFile("../../orgbaseline.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSetup(t *testing.T) {
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv(workflow.EnvStep, testSpec.Name)
	t.Setenv(settings.EnvVar, exampleSettings(t))
	d, err := Setup(context.Background(), Step{Spec: testSpec})
	if err != nil {
		t.Fatal(err)
	}
	if d.Settings.Accounts.Security != "222222222222" || d.AWS.Region != "eu-west-1" || d.Accounts == nil || d.Log == nil {
		t.Errorf("deps: %+v", d)
	}
	if d.AWS.AppID != "orgbaseline-org-prerequisites" || len(d.AccountsOptions) != 0 {
		t.Errorf("AppID %q, %d accounts options for a step without grants", d.AWS.AppID, len(d.AccountsOptions))
	}
	withGrants := Step{Spec: testSpec}.WithGrants(func(settings.Config) Grants { return Grants{} })
	if d, err = Setup(context.Background(), withGrants); err != nil || len(d.AccountsOptions) != 1 {
		t.Errorf("a step with grants: %d options, %v", len(d.AccountsOptions), err)
	}
	if e, a := "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole", d.Accounts.RoleARN("222222222222"); e != a {
		t.Errorf("role: expect %s, got %s", e, a)
	}
}

func TestSetupRefusesMiswiring(t *testing.T) {
	t.Setenv(workflow.EnvStep, "another-step")
	t.Setenv(settings.EnvVar, exampleSettings(t))
	if _, err := Setup(context.Background(), Step{Spec: testSpec}); err == nil || !strings.Contains(err.Error(), `"another-step"`) {
		t.Errorf("expect a wiring error, got %v", err)
	}
	t.Setenv(workflow.EnvStep, testSpec.Name)
	t.Setenv(settings.EnvVar, "")
	if _, err := Setup(context.Background(), Step{Spec: testSpec}); err == nil || !strings.Contains(err.Error(), settings.EnvVar) {
		t.Errorf("expect a settings error, got %v", err)
	}
}

func TestHandle(t *testing.T) {
	var logs strings.Builder
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	ctx := context.Background()

	// A wrapped named error reaches the top level, as the state machine needs it.
	_, err := Handle(ctx, workflow.Input{Mode: workflow.ModeApply}, log, func(context.Context, *slog.Logger) (workflow.StepResult, error) {
		return workflow.StepResult{}, fmt.Errorf("step: %w", &workflow.ConflictError{})
	})
	if e, a := workflow.ErrNameConflict, reflect.TypeOf(err).Elem().Name(); e != a {
		t.Errorf("error type: expect %s, got %s", e, a)
	}
	// Bad input is refused before run.
	ran := false
	_, err = Handle(ctx, workflow.Input{Mode: "destroy"}, log, func(context.Context, *slog.Logger) (workflow.StepResult, error) {
		ran = true
		return workflow.StepResult{}, nil
	})
	var te *workflow.TerminalError
	if !errors.As(err, &te) || ran {
		t.Errorf("bad mode: ran=%v err=%v", ran, err)
	}
	// Success is logged with the result's summary.
	res, err := Handle(ctx, workflow.Input{Mode: workflow.ModePlan}, log, func(context.Context, *slog.Logger) (workflow.StepResult, error) {
		return workflow.StepResult{Changed: true}, nil
	})
	if err != nil || !res.Changed || !strings.Contains(logs.String(), `"msg":"step done","mode":"plan","changed":true`) {
		t.Errorf("success: %+v %v\n%s", res, err, logs.String())
	}
}

// A step whose calls are still throttled when its Lambda's deadline nears
// returns a RetryableError before the deadline, for the state machine's
// back-off, instead of being timed out (Sandbox.Timedout, which no Retry
// matches). The AWS call is a real SDK client against a server that always
// throttles; the SDK alone would retry it for about two minutes.
func TestStepStopsRetryingBeforeTheLambdasDeadline(t *testing.T) {
	throttle := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>`)
	}))
	defer throttle.Close()
	cfg := aws.Config{
		Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		BaseEndpoint: aws.String(throttle.URL), Retryer: awsclient.NewRetryer,
	}
	spec := workflow.StepSpec{Name: "throttled", State: "Throttled", ResultKey: "throttled"}
	s := Define(spec, func(d Deps) Handler[workflow.Input, workflow.StepResult] {
		return func(ctx context.Context, in workflow.Input) (workflow.StepResult, error) {
			return Handle(ctx, in, slog.New(slog.DiscardHandler), func(ctx context.Context, _ *slog.Logger) (workflow.StepResult, error) {
				_, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
				return workflow.StepResult{}, awsclient.Classify("read the caller", err)
			})
		}
	})
	h := s.Handler(Deps{}).(Handler[workflow.Input, workflow.StepResult])
	lambdaDeadline := time.Now().Add(DeadlineMargin + 2*time.Second)
	ctx, cancel := context.WithDeadline(context.Background(), lambdaDeadline)
	defer cancel()
	_, err := h(ctx, workflow.Input{Mode: workflow.ModeApply})
	if now := time.Now(); !now.Before(lambdaDeadline) {
		t.Errorf("the step returned %v after the Lambda's deadline", now.Sub(lambdaDeadline))
	}
	if name := reflect.TypeOf(err).Elem().Name(); name != workflow.ErrNameRetryable {
		t.Errorf("want a RetryableError, got %s %v", name, err)
	}
	// An error that is not retryable in itself, met past the step's
	// deadline, is retryable: the work was cut short by time.
	ctx, cancel = context.WithDeadline(context.Background(), time.Now().Add(DeadlineMargin+10*time.Millisecond))
	defer cancel()
	inner, stop := beforeDeadline(ctx)
	defer stop()
	<-inner.Done()
	cut := outOfTime(inner, &workflow.TerminalError{Op: "read", Err: errors.New("context deadline exceeded")})
	if name := reflect.TypeOf(cut).Elem().Name(); name != workflow.ErrNameRetryable || !strings.Contains(cut.Error(), "Lambda's deadline") {
		t.Errorf("past the deadline: %s %v", name, cut)
	}
}
