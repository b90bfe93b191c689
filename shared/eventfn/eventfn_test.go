package eventfn

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/orgbaseline/orgbaseline/shared/eventbus"
	"github.com/orgbaseline/orgbaseline/shared/settings"
)

// exampleSettings is the example configuration, encoded as the stacks
// give it.
func exampleSettings(t *testing.T) string {
	t.Helper()
	cfg, err := settings.LoadFile(filepath.Join("..", "..", "orgbaseline.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := cfg.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A malformed event is an error (the event ends in the dead-letter queue);
// a well-formed one no rule of the function would match starts or
// publishes nothing, without error and without an AWS call.
func TestHandlersErrOnlyOnMalformedEvents(t *testing.T) {
	t.Setenv(EnvStateMachineARN, "arn:aws:states:us-east-1:111111111111:stateMachine:baseline")
	t.Setenv(EnvTopicARN, "arn:aws:sns:us-east-1:222222222222:findings")
	t.Setenv(EnvOperationsTopicARN, "arn:aws:sns:us-east-1:111111111111:operations")
	t.Setenv(settings.EnvVar, exampleSettings(t))
	other, err := os.ReadFile(filepath.Join("..", "..", "events", "stepfunctions-execution-status-change-failed.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []Function{OnboardStart, OnboardSummary, NotifyFindings} {
		t.Run(f.Name, func(t *testing.T) {
			h, err := f.Build(Deps{AWS: aws.Config{Region: "us-east-1"}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = h(context.Background(), json.RawMessage(`{"source": "aws.organizations"}`))
			var de *eventbus.DecodeError
			if !errors.As(err, &de) {
				t.Errorf("malformed event: error %v, want an *eventbus.DecodeError", err)
			}
			out, err := h(context.Background(), other)
			if err != nil || out == nil {
				t.Errorf("an event of another kind: %v, %v; want what was skipped and no error", out, err)
			}
		})
	}
}

func TestSetupNeedsItsEnvironment(t *testing.T) {
	for _, f := range []Function{OnboardStart, OnboardSummary, NotifyFindings} {
		for _, v := range f.Env {
			t.Setenv(v, "")
		}
		if _, err := f.Setup(context.Background()); err == nil {
			t.Errorf("%s: Setup without its environment succeeded", f.Name)
		}
	}
}
