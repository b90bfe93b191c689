package step

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"testing"

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
	d, err := Setup(context.Background(), testSpec)
	if err != nil {
		t.Fatal(err)
	}
	if d.Settings.Accounts.Security != "222222222222" || d.AWS.Region != "eu-west-1" || d.Accounts == nil || d.Log == nil {
		t.Errorf("deps: %+v", d)
	}
	if e, a := "arn:aws:iam::222222222222:role/OrganizationAccountAccessRole", d.Accounts.RoleARN("222222222222"); e != a {
		t.Errorf("role: expect %s, got %s", e, a)
	}
}

func TestSetupRefusesMiswiring(t *testing.T) {
	t.Setenv(workflow.EnvStep, "another-step")
	t.Setenv(settings.EnvVar, exampleSettings(t))
	if _, err := Setup(context.Background(), testSpec); err == nil || !strings.Contains(err.Error(), `"another-step"`) {
		t.Errorf("expect a wiring error, got %v", err)
	}
	t.Setenv(workflow.EnvStep, testSpec.Name)
	t.Setenv(settings.EnvVar, "")
	if _, err := Setup(context.Background(), testSpec); err == nil || !strings.Contains(err.Error(), settings.EnvVar) {
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
