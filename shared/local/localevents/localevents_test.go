package localevents

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/local/localbus"
	"github.com/orgbaseline/orgbaseline/shared/local/mototest"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

var srv *mototest.Server

func TestMain(m *testing.M) { mototest.Main(m, func(s *mototest.Server) { srv = s }) }

// testdata/assembly is a cloud assembly of the shapes the stacks
// synthesize: a forwarding stack in us-east-1 whose rule targets the home
// region's bus (Fn::Join of the partition), a home stack (eu-west-1) with a
// rule on a Lambda function, a rule on a topic whose pattern names the
// state machine (Ref), and the topic.
func TestRead(t *testing.T) {
	asm, err := Read(filepath.Join("testdata", "assembly"))
	if err != nil {
		t.Fatal(err)
	}
	if len(asm.Rules) != 3 || len(asm.Topics) != 1 {
		t.Fatalf("%d rules, %d topics: %+v", len(asm.Rules), len(asm.Topics), asm)
	}
	byID := map[string]Rule{}
	for _, r := range asm.Rules {
		byID[r.LogicalID] = r
	}
	if f := byID["NewAccountForward"]; f.Region != "us-east-1" || f.Account != "123456789012" ||
		f.Target != (Target{Kind: TargetBus, BusARN: "arn:aws:events:eu-west-1:123456789012:event-bus/default"}) {
		t.Errorf("the forwarding rule: %+v", f)
	}
	if o := byID["OnboardingNewAccount"]; o.Region != "eu-west-1" || o.Target != (Target{Kind: TargetFunction, LogicalID: "OnboardStartFunction"}) {
		t.Errorf("the onboarding rule: %+v", o)
	}
	e := byID["ExecutionFailedRule"]
	if e.Target != (Target{Kind: TargetTopic, LogicalID: "OperationsTopic"}) || !strings.Contains(string(e.Pattern), `"stateMachineArn":["local-BaselineStateMachine"]`) {
		t.Errorf("the topic's rule: %+v %s", e, e.Pattern)
	}
	if long := (Rule{Stack: strings.Repeat("S", 60), LogicalID: "OnboardingNewAccount"}).RuleName(); len(long) != 64 {
		t.Errorf("a long rule name: %q", long)
	}
}

// TestDeployForwardsAcrossRegions: the event put on the us-east-1 bus is
// forwarded to the home region's bus, whose rule's stand-in queue holds it;
// what the topic publishes comes back through its subscription.
func TestDeployForwardsAcrossRegions(t *testing.T) {
	cfg, _ := srv.SeedT(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	asm, err := Read(filepath.Join("testdata", "assembly"))
	if err != nil {
		t.Fatal(err)
	}
	// The rule on the home region's bus, before anything is deployed.
	if _, err := Take(ctx, awsclient.WithRegion(cfg, "eu-west-1"), asm.Rules[1]); !errors.Is(err, ErrNotDeployed) {
		t.Errorf("take before the deploy: %v, want ErrNotDeployed", err)
	}
	cfgFor := func(_, region string) aws.Config { return awsclient.WithRegion(cfg, region) }
	plan, err := Deploy(ctx, asm, cfgFor, workflow.ModePlan)
	if err != nil || len(plan.Outcomes) != 4 || plan.Outcomes[0].Status != workflow.StatusPlanned {
		t.Fatalf("plan: %+v, %v", plan, err)
	}
	if _, err := Take(ctx, cfgFor("", "eu-west-1"), asm.Rules[1]); !errors.Is(err, ErrNotDeployed) {
		t.Errorf("the plan deployed: %v", err)
	}
	res, err := Deploy(ctx, asm, cfgFor, workflow.ModeApply)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Outcomes) != 4 || res.Outcomes[1].Status != workflow.StatusChanged {
		t.Errorf("deploy: %+v", res.Outcomes)
	}
	again, err := Deploy(ctx, asm, cfgFor, workflow.ModeApply)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range again.Outcomes {
		if o.Status != workflow.StatusUnchanged {
			t.Errorf("a second deploy changed %+v", o)
		}
	}
	record, err := os.ReadFile(filepath.Join("..", "..", "..", "events", "organizations-create-account-result-succeeded-cloudtrail-record.json"))
	if err != nil {
		t.Fatal(err)
	}
	event, _ := json.Marshal(map[string]any{"version": "0", "id": "1", "source": "aws.organizations", "detail-type": "AWS Service Event via CloudTrail",
		"account": "123456789012", "region": "us-east-1", "time": "2020-09-16T21:20:54Z", "resources": []string{}, "detail": json.RawMessage(record)})
	if err := localbus.New(cfgFor("", "us-east-1")).Put(ctx, "default", event); err != nil {
		t.Fatal(err)
	}
	var onboarding Rule
	for _, r := range asm.Rules {
		if r.LogicalID == "OnboardingNewAccount" {
			onboarding = r
		}
	}
	got, err := Take(ctx, cfgFor("", "eu-west-1"), onboarding)
	if err != nil || len(got) != 1 || !strings.Contains(string(got[0]), `"444455556666"`) {
		t.Fatalf("the home region's stand-in queue: %d events, %v", len(got), err)
	}

	topic := asm.Topics[0]
	api := sns.NewFromConfig(cfgFor("", topic.Region))
	list, err := api.ListTopics(ctx, &sns.ListTopicsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var arn string
	for _, tp := range list.Topics {
		if strings.HasSuffix(aws.ToString(tp.TopicArn), ":"+topic.TopicName()) {
			arn = aws.ToString(tp.TopicArn)
		}
	}
	if _, err := api.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(arn), Subject: aws.String("[HIGH] s"), Message: aws.String("body")}); err != nil {
		t.Fatal(err)
	}
	n, err := Received(ctx, cfgFor("", topic.Region), topic)
	if err != nil || len(n) != 1 || n[0].Subject != "[HIGH] s" || n[0].Message != "body" {
		t.Errorf("received %+v, %v", n, err)
	}
}
