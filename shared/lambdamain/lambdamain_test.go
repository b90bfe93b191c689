package lambdamain

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

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
	t.Setenv(workflow.EnvStep, workflow.StepOrgPrerequisites.Name)
	t.Setenv(settings.EnvVar, exampleSettings(t))
	d, err := Setup(context.Background(), workflow.StepOrgPrerequisites)
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
	if _, err := Setup(context.Background(), workflow.StepOrgPrerequisites); err == nil || !strings.Contains(err.Error(), `"another-step"`) {
		t.Errorf("expect a wiring error, got %v", err)
	}
	t.Setenv(workflow.EnvStep, workflow.StepOrgPrerequisites.Name)
	t.Setenv(settings.EnvVar, "")
	if _, err := Setup(context.Background(), workflow.StepOrgPrerequisites); err == nil || !strings.Contains(err.Error(), settings.EnvVar) {
		t.Errorf("expect a settings error, got %v", err)
	}
}
