package stacks_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/orgbaseline/orgbaseline/infra/events"
	"github.com/orgbaseline/orgbaseline/infra/stacks"
	"github.com/orgbaseline/orgbaseline/shared/eventfn"
	"github.com/orgbaseline/orgbaseline/shared/notify"
	"github.com/orgbaseline/orgbaseline/shared/onboard"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// Configurations of the event-driven half, beside those of stacks_test.go.
const (
	// The home region is not us-east-1, Control Tower's is a third
	// region, and the run's regions leave out us-east-1; every finding
	// rule and both topics' subscriptions.
	variantEventsElsewhere = "events-elsewhere"
	// Onboarding off.
	variantOnboardingOff = "onboarding-off"
	// regions: discover.
	variantDiscover = "discover"
)

const elsewhereCTRegion = "ap-southeast-2"

func init() {
	variants[variantEventsElsewhere] = func(c *settings.Config) {
		c.HomeRegion = "eu-west-1"
		c.Regions = settings.Regions{Names: []string{"eu-west-1", "eu-central-1"}}
		c.Onboarding.ControlTowerRegion = elsewhereCTRegion
		c.Findings.SecurityHubLabels = []string{"CRITICAL", "HIGH"}
		c.Findings.HealthEvents = true
		min := 4.0
		c.Findings.SeverityThreshold = &min
		c.Operations.EmailSubscriptions = []string{"ops@example.com", "oncall@example.com"}
	}
	// Nothing starts a run by itself: onboarding and the re-converge off.
	variants[variantOnboardingOff] = func(c *settings.Config) {
		off := false
		c.Onboarding.Enabled = &off
		c.Reconverge.Schedule = "off"
	}
	variants[variantDiscover] = func(c *settings.Config) {
		c.Regions = settings.Regions{Discover: true}
	}
}

// eventFunctionSkips are the checkov skips of an event Lambda, which has
// its dead-letter queue.
var eventFunctionSkips = []string{"CKV_AWS_115", "CKV_AWS_117"}

// eventFunction reports whether the logical ID is an event Lambda's
// function.
func eventFunction(id string) bool {
	return strings.HasPrefix(id, stacks.OnboardStartID+"Function") || strings.HasPrefix(id, stacks.OnboardSummaryID+"Function") ||
		strings.HasPrefix(id, stacks.NotifyFindingsID+"Function")
}

// notificationResource reports whether the logical ID is one of the
// security stack's finding notifications.
func notificationResource(id string) bool {
	for _, p := range []string{stacks.NotifyFindingsID, stacks.FindingsTopicID, stacks.OperationsTopicID, stacks.NotificationsKeyID, "DeadLetterAlarm",
		"GuardDutyFindings", "SecurityHubFindings", "HealthEvents"} {
		if strings.HasPrefix(id, p) {
			return true
		}
	}
	return false
}

// idWithPrefix returns the one resource of type typ whose logical ID
// begins with prefix (an L2 construct's: id and a hash), or fails.
func (tp template) idWithPrefix(t *testing.T, typ, prefix string) string {
	t.Helper()
	var ids []string
	for _, id := range tp.ofType(typ) {
		if strings.HasPrefix(id, prefix) {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		t.Fatalf("%d resources %s with a logical ID that begins %s (%v), want 1", len(ids), typ, prefix, ids)
	}
	return ids[0]
}

// checkRule checks the rule id: enabled on the default bus, pattern
// exactly want, one target (targetArn: how its Arn reads in the template;
// role: the logical ID of the role it sends with, or ""), the retry policy,
// and a dead-letter queue that is encrypted and takes messages from
// EventBridge for this rule only. It returns the queue's logical ID.
func checkRule(t *testing.T, tp template, id string, want any, targetArn any, role string) string {
	t.Helper()
	r := tp.resource(t, id)
	if r["Type"] != "AWS::Events::Rule" {
		t.Fatalf("%s is a %v, want an AWS::Events::Rule", id, r["Type"])
	}
	p := props(r)
	if p["State"] != "ENABLED" || p["EventBusName"] != nil {
		t.Errorf("rule %s: State %v, EventBusName %v; want ENABLED on the default bus", id, p["State"], p["EventBusName"])
	}
	if d, _ := p["Description"].(string); !strings.HasPrefix(d, "orgbaseline: ") {
		t.Errorf("rule %s: description %q", id, d)
	}
	checkEqual(t, "rule "+id+" pattern", p["EventPattern"], want)
	targets, _ := p["Targets"].([]any)
	if len(targets) != 1 {
		t.Fatalf("rule %s: %d targets, want 1", id, len(targets))
	}
	target, _ := targets[0].(map[string]any)
	checkEqual(t, "rule "+id+" target", target["Arn"], targetArn)
	if target["Id"] != events.TargetID {
		t.Errorf("rule %s: target Id %v", id, target["Id"])
	}
	if got := ref(target["RoleArn"]); got != role {
		t.Errorf("rule %s: target role %v, want %q", id, target["RoleArn"], role)
	}
	checkEqual(t, "rule "+id+" retry policy", target["RetryPolicy"], map[string]any{
		"MaximumRetryAttempts": events.MaxRetryAttempts, "MaximumEventAgeInSeconds": events.MaxEventAgeSeconds,
	})
	dlc, _ := target["DeadLetterConfig"].(map[string]any)
	queue := ref(dlc["Arn"])
	if !strings.HasPrefix(queue, id+"DeadLetters") {
		t.Fatalf("rule %s: dead-letter queue %v, want its own", id, dlc)
	}
	checkQueue(t, tp, queue)
	// EventBridge may send to the queue for this rule only.
	var found bool
	for _, pid := range tp.ofType("AWS::SQS::QueuePolicy") {
		pp := props(tp.resource(t, pid))
		if qs, _ := pp["Queues"].([]any); len(qs) != 1 || ref(qs[0]) != queue {
			continue
		}
		doc, _ := pp["PolicyDocument"].(map[string]any)
		sts, _ := doc["Statement"].([]any)
		for _, s := range sts {
			st, _ := s.(map[string]any)
			if st["Effect"] != "Allow" {
				continue
			}
			found = true
			checkEqual(t, "queue "+queue+" statement", st, map[string]any{
				"Sid": "EventBridgeDeadLetters", "Effect": "Allow", "Action": "sqs:SendMessage",
				"Principal": map[string]any{"Service": events.ServiceEvents},
				"Resource":  map[string]any{"Fn::GetAtt": []any{queue, "Arn"}},
				"Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": map[string]any{"Fn::GetAtt": []any{id, "Arn"}}}},
			})
		}
	}
	if !found {
		t.Errorf("queue %s: no statement lets EventBridge send to it", queue)
	}
	return queue
}

// checkQueue checks a dead-letter queue: SSE-SQS, 14 days, TLS only.
func checkQueue(t *testing.T, tp template, id string) {
	t.Helper()
	p := props(tp.resource(t, id))
	if p["SqsManagedSseEnabled"] != true || p["MessageRetentionPeriod"] != float64(events.DeadLetterRetentionDays*24*60*60) {
		t.Errorf("queue %s: %v, want SSE-SQS and a 14-day retention", id, p)
	}
	var tls bool
	for _, pid := range tp.ofType("AWS::SQS::QueuePolicy") {
		pp := props(tp.resource(t, pid))
		if qs, _ := pp["Queues"].([]any); len(qs) != 1 || ref(qs[0]) != id {
			continue
		}
		doc, _ := pp["PolicyDocument"].(map[string]any)
		for _, s := range doc["Statement"].([]any) {
			st := s.(map[string]any)
			cond, _ := st["Condition"].(map[string]any)
			if b, _ := cond["Bool"].(map[string]any); st["Effect"] == "Deny" && b["aws:SecureTransport"] == "false" {
				tls = true
			}
		}
	}
	if !tls {
		t.Errorf("queue %s: no deny without TLS", id)
	}
}

// checkAlarms checks that every queue of the template has its alarm, to
// the topic topicID: ApproximateNumberOfMessagesVisible above 0.
func checkAlarms(t *testing.T, tp template, topicID string) {
	t.Helper()
	alarmed := map[string]bool{}
	for _, id := range tp.ofType("AWS::CloudWatch::Alarm") {
		p := props(tp.resource(t, id))
		dims, _ := p["Dimensions"].([]any)
		if len(dims) != 1 || p["MetricName"] != "ApproximateNumberOfMessagesVisible" || p["Namespace"] != "AWS/SQS" ||
			p["Threshold"] != float64(0) || p["ComparisonOperator"] != "GreaterThanThreshold" || p["TreatMissingData"] != "notBreaching" {
			t.Errorf("alarm %s: %v", id, p)
			continue
		}
		d, _ := dims[0].(map[string]any)
		alarmed[ref(d["Value"])] = true
		checkEqual(t, "alarm "+id+" actions", p["AlarmActions"], []any{map[string]any{"Ref": topicID}})
	}
	queues := tp.ofType("AWS::SQS::Queue")
	if len(queues) == 0 {
		t.Fatal("no dead-letter queue")
	}
	for _, q := range queues {
		if !alarmed[q] {
			t.Errorf("queue %s has no alarm", q)
		}
	}
	if len(alarmed) != len(queues) {
		t.Errorf("%d alarms for %d queues", len(alarmed), len(queues))
	}
}

// checkKeyStatements checks a topic key's policy, statement by statement:
// the account's (the CDK default) and want, by Sid, in any order.
func checkKeyStatements(t *testing.T, tp template, keyID, account string, want map[string]map[string]any) {
	t.Helper()
	p := props(tp.resource(t, keyID))
	if p["EnableKeyRotation"] != true {
		t.Errorf("key %s: rotation off", keyID)
	}
	doc, _ := p["KeyPolicy"].(map[string]any)
	sts, _ := doc["Statement"].([]any)
	if len(sts) != len(want)+1 {
		t.Errorf("key %s: %d statements, want %d", keyID, len(sts), len(want)+1)
	}
	for _, s := range sts {
		st := s.(map[string]any)
		sid, _ := st["Sid"].(string)
		if sid == "" {
			principal, _ := st["Principal"].(map[string]any)
			if st["Action"] != "kms:*" || st["Effect"] != "Allow" || st["Resource"] != "*" || st["Condition"] != nil ||
				resolve(t, principal["AWS"]) != "arn:aws:iam::"+account+":root" {
				t.Errorf("key %s: account statement %v", keyID, st)
			}
			continue
		}
		w, ok := want[sid]
		if !ok {
			t.Errorf("key %s: statement %s is not wanted: %v", keyID, sid, st)
			continue
		}
		checkEqual(t, "key "+keyID+" statement "+sid, st, w)
	}
}

// publisherStatement is a key statement for a service that publishes to
// the key's topics.
func publisherStatement(sid, service string) map[string]any {
	return map[string]any{"Sid": sid, "Effect": "Allow", "Principal": map[string]any{"Service": service},
		"Action": []any{"kms:GenerateDataKey*", "kms:Decrypt"}, "Resource": "*"}
}

// topicStatements returns the statements of the topic's policy, by Sid.
func topicStatements(t *testing.T, tp template, topicID string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, pid := range tp.ofType("AWS::SNS::TopicPolicy") {
		pp := props(tp.resource(t, pid))
		if ts, _ := pp["Topics"].([]any); len(ts) != 1 || ref(ts[0]) != topicID {
			continue
		}
		doc, _ := pp["PolicyDocument"].(map[string]any)
		for _, s := range doc["Statement"].([]any) {
			st := s.(map[string]any)
			sid, _ := st["Sid"].(string)
			if st["Effect"] == "Deny" {
				sid = "deny"
			}
			out[sid] = st
		}
	}
	return out
}

// checkTopic checks a topic: encrypted with keyID, publications without
// TLS refused, and the e-mail subscriptions emails, each once.
func checkTopic(t *testing.T, tp template, topicID, keyID string, emails []string) {
	t.Helper()
	p := props(tp.resource(t, topicID))
	checkEqual(t, "topic "+topicID+" key", p["KmsMasterKeyId"], map[string]any{"Fn::GetAtt": []any{keyID, "Arn"}})
	deny := topicStatements(t, tp, topicID)["deny"]
	cond, _ := deny["Condition"].(map[string]any)
	if b, _ := cond["Bool"].(map[string]any); b["aws:SecureTransport"] != "false" {
		t.Errorf("topic %s: no deny without TLS (%v)", topicID, deny)
	}
	var got []string
	for _, id := range tp.ofType("AWS::SNS::Subscription") {
		sp := props(tp.resource(t, id))
		if ref(sp["TopicArn"]) == topicID {
			if sp["Protocol"] != "email" {
				t.Errorf("subscription %s: protocol %v", id, sp["Protocol"])
			}
			got = append(got, fmt.Sprint(sp["Endpoint"]))
		}
	}
	want := slices.Clone(emails)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("topic %s: subscriptions %v, want %v", topicID, got, want)
	}
}

// cloudWatchTopicStatement is the statement that lets the account's alarms
// of the stack's region publish to topicID.
func checkCloudWatchTopicStatement(t *testing.T, tp template, topicID string, st map[string]any) {
	t.Helper()
	cond, _ := st["Condition"].(map[string]any)
	eq, _ := cond["StringEquals"].(map[string]any)
	like, _ := cond["ArnLike"].(map[string]any)
	src := resolve(t, like["aws:SourceArn"])
	if st["Action"] != "sns:Publish" || ref(st["Resource"]) != topicID || eq["aws:SourceAccount"] == nil ||
		!strings.HasPrefix(src, "arn:aws:cloudwatch:") || !strings.HasSuffix(src, ":alarm:*") {
		t.Errorf("topic %s: CloudWatch statement %v", topicID, st)
	}
	if p, _ := st["Principal"].(map[string]any); p["Service"] != events.ServiceCloudWatch {
		t.Errorf("topic %s: CloudWatch statement's principal %v", topicID, st["Principal"])
	}
}

// checkEventLambda checks an event Lambda's function: its environment,
// dead-letter queue and asynchronous retries, and that its role's
// statements are only want (by their first action), logging, tracing and
// sending to its queue. It returns the function's logical ID.
func checkEventLambda(t *testing.T, tp template, prefix string, env map[string]any, want map[string]map[string]any) string {
	t.Helper()
	fnID := tp.idWithPrefix(t, "AWS::Lambda::Function", prefix+"Function")
	p := props(tp.resource(t, fnID))
	vars, _ := p["Environment"].(map[string]any)["Variables"].(map[string]any)
	if len(vars) != len(env) {
		t.Errorf("%s: environment %v, want %v", fnID, vars, env)
	}
	for k, v := range env {
		if v != nil {
			checkEqual(t, fnID+" "+k, vars[k], v)
		}
	}
	dlq := ref(p["DeadLetterConfig"].(map[string]any)["TargetArn"])
	if !strings.HasPrefix(dlq, prefix+"DeadLetters") {
		t.Errorf("%s: dead-letter queue %v", fnID, p["DeadLetterConfig"])
	}
	checkQueue(t, tp, dlq)
	if p["KmsKeyArn"] == nil || p["Runtime"] != "provided.al2023" {
		t.Errorf("%s: %v", fnID, p)
	}
	var invoke bool
	for _, id := range tp.ofType("AWS::Lambda::EventInvokeConfig") {
		ip := props(tp.resource(t, id))
		if ref(ip["FunctionName"]) == fnID {
			invoke = ip["MaximumRetryAttempts"] == float64(events.LambdaRetryAttempts) && ip["MaximumEventAgeInSeconds"] == float64(events.LambdaMaxEventAgeSeconds)
		}
	}
	if !invoke {
		t.Errorf("%s: no asynchronous invocation configuration with %d retries", fnID, events.LambdaRetryAttempts)
	}
	role := ref(p["Role"])
	seen := map[string]bool{}
	for _, st := range roleStatements(t, tp, role) {
		acts := actions(st)
		switch {
		case want[acts[0]] != nil:
			seen[acts[0]] = true
			checkEqual(t, fnID+" "+acts[0], st, want[acts[0]])
		case acts[0] == "sqs:SendMessage":
			if ref(st["Resource"]) != dlq {
				t.Errorf("%s: sqs:SendMessage on %v, want its dead-letter queue", fnID, st["Resource"])
			}
		case strings.HasPrefix(acts[0], "logs:"), strings.HasPrefix(acts[0], "xray:"):
		case acts[0] == "kms:Decrypt" && len(acts) == 1:
			// The environment's key.
		default:
			t.Errorf("%s: unexpected statement %v", fnID, st)
		}
	}
	for a := range want {
		if !seen[a] {
			t.Errorf("%s: no statement %s", fnID, a)
		}
	}
	return fnID
}

// checkPermission checks that the rule may invoke the function, and
// nothing else may through this permission.
func checkPermission(t *testing.T, tp template, ruleID, fnID string) {
	t.Helper()
	for _, id := range tp.ofType("AWS::Lambda::Permission") {
		p := props(tp.resource(t, id))
		if jsonEqual(p["SourceArn"], map[string]any{"Fn::GetAtt": []any{ruleID, "Arn"}}) {
			if ref(p["FunctionName"]) != fnID || p["Principal"] != events.ServiceEvents || p["Action"] != "lambda:InvokeFunction" {
				t.Errorf("permission %s: %v", id, p)
			}
			return
		}
	}
	t.Errorf("no permission lets rule %s invoke %s", ruleID, fnID)
}

func TestOnboarding(t *testing.T) {
	for _, variant := range []string{variantExample, variantEventsElsewhere} {
		t.Run(variant, func(t *testing.T) {
			a := buildVariant(t, variant)
			tp := a.mgmtJSON
			encoded, err := a.cfg.Encode()
			if err != nil {
				t.Fatal(err)
			}
			fnID := checkEventLambda(t, tp, stacks.OnboardStartID, map[string]any{
				eventfn.EnvStateMachineARN: map[string]any{"Ref": stateMachineID(t, a)},
				settings.EnvVar:            encoded,
			}, map[string]map[string]any{
				"states:StartExecution": {"Sid": "StartBaselineExecution", "Effect": "Allow", "Action": "states:StartExecution",
					"Resource": map[string]any{"Ref": stateMachineID(t, a)}},
			})
			fnArn := map[string]any{"Fn::GetAtt": []any{fnID, "Arn"}}
			rules := onboard.Rules()
			for _, r := range rules {
				id := stacks.OnboardingRulePrefix + r.ID
				checkRule(t, tp, id, r.Pattern, fnArn, "")
				checkPermission(t, tp, id, fnID)
			}
			// The scheduled re-converge: its event to onboard-start.
			sched := props(tp.resource(t, stacks.ReconvergeRuleID))
			if sched["ScheduleExpression"] != settings.DefaultReconvergeSchedule || sched["EventPattern"] != nil {
				t.Errorf("the re-converge rule: %v", sched)
			}
			checkEqual(t, "the re-converge rule's target", sched["Targets"].([]any)[0].(map[string]any)["Arn"], fnArn)
			checkPermission(t, tp, stacks.ReconvergeRuleID, fnID)
			if got := len(tp.ofType("AWS::Events::Rule")); got != len(rules)+3 {
				t.Errorf("%d rules in the management stack, want the %d onboarding rules, the re-converge schedule, the failed-run rule and the onboarded rule", got, len(rules))
			}
		})
	}
	t.Run(variantOnboardingOff, func(t *testing.T) {
		a := buildVariant(t, variantOnboardingOff)
		for id := range a.mgmtJSON.resources() {
			if strings.HasPrefix(id, stacks.OnboardStartID) || strings.HasPrefix(id, stacks.OnboardingRulePrefix) || strings.HasPrefix(id, stacks.ReconvergeRuleID) {
				t.Errorf("onboarding and the re-converge off, but %s is in the management stack", id)
			}
		}
		for _, f := range a.forward {
			if strings.HasPrefix(*f.stack.StackName(), workflow.ManagementForwardStackName) {
				t.Errorf("onboarding off, but stack %s", *f.stack.StackName())
			}
		}
	})
}

func TestOperationsTopic(t *testing.T) {
	for _, variant := range []string{variantExample, variantEventsElsewhere, variantOnboardingOff} {
		t.Run(variant, func(t *testing.T) {
			a := buildVariant(t, variant)
			tp := a.mgmtJSON
			keyID := tp.idWithPrefix(t, "AWS::KMS::Key", stacks.OperationsKeyID)
			account := a.cfg.Accounts.Management
			topicID := tp.idWithPrefix(t, "AWS::SNS::Topic", stacks.OperationsTopicID)
			checkKeyStatements(t, tp, keyID, account, map[string]map[string]any{
				events.SidEvents:     publisherStatement(events.SidEvents, events.ServiceEvents),
				events.SidCloudWatch: publisherStatement(events.SidCloudWatch, events.ServiceCloudWatch),
			})
			checkTopic(t, tp, topicID, keyID, a.cfg.Operations.EmailSubscriptions)
			sts := topicStatements(t, tp, topicID)
			checkCloudWatchTopicStatement(t, tp, topicID, sts["CloudWatchAlarmsOfThisAccount"])
			checkEqual(t, "EventBridge's statement", sts["EventBridgeExecutionFailed"], map[string]any{
				"Sid": "EventBridgeExecutionFailed", "Effect": "Allow", "Action": "sns:Publish",
				"Principal": map[string]any{"Service": events.ServiceEvents}, "Resource": map[string]any{"Ref": topicID},
				"Condition": map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": map[string]any{"Fn::GetAtt": []any{stacks.ExecutionFailedRuleID, "Arn"}}}},
			})
			want := 3
			if a.cfg.Onboarding.On() || a.cfg.Reconverge.On() {
				// The onboarding runs that succeeded, to onboard-summary.
				fnID := tp.idWithPrefix(t, "AWS::Lambda::Function", stacks.OnboardSummaryID)
				checkRule(t, tp, stacks.OnboardedRuleID, map[string]any{
					"source":      []any{"aws.states"},
					"detail-type": []any{"Step Functions Execution Status Change"},
					"detail": map[string]any{
						"status":          []any{"SUCCEEDED"},
						"stateMachineArn": []any{map[string]any{"Ref": stateMachineID(t, a)}},
						"name":            []any{map[string]any{"prefix": "onboard-"}, map[string]any{"prefix": "reconverge-"}},
					},
				}, map[string]any{"Fn::GetAtt": []any{fnID, "Arn"}}, "")
				checkPermission(t, tp, stacks.OnboardedRuleID, fnID)
				fn := props(tp.resource(t, fnID))
				vars, _ := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
				checkEqual(t, "onboard-summary's topic", vars[eventfn.EnvOperationsTopicARN], map[string]any{"Ref": topicID})
				byID := map[string]statement{}
				for _, st := range roleStatements(t, tp, ref(fn["Role"])) {
					if sid, _ := st["Sid"].(string); sid != "" {
						byID[sid] = st
					}
				}
				checkEqual(t, "PublishSummary", byID["PublishSummary"]["Resource"], map[string]any{"Ref": topicID})
				checkEqual(t, "EncryptSummary", byID["EncryptSummary"]["Action"], []any{"kms:GenerateDataKey", "kms:Decrypt"})
				if r := fmt.Sprint(byID["ReadBaselineExecutions"]["Resource"]); byID["ReadBaselineExecutions"]["Action"] != "states:DescribeExecution" || !strings.Contains(r, ":execution:") {
					t.Errorf("ReadBaselineExecutions: %v", byID["ReadBaselineExecutions"])
				}
				if byID["ReadRunResults"]["Action"] != "s3:GetObject" || !strings.Contains(fmt.Sprint(byID["ReadRunResults"]["Resource"]), "/results/*") {
					t.Errorf("ReadRunResults: %v", byID["ReadRunResults"])
				}
			} else if tp.resources()[stacks.OnboardedRuleID] != nil {
				t.Error("onboarding off, but the onboarded rule is there")
			}
			if len(sts) != want {
				t.Errorf("topic policy: %d statements, want the TLS deny, CloudWatch's and EventBridge's (%d)", len(sts), want)
			}
			checkRule(t, tp, stacks.ExecutionFailedRuleID, map[string]any{
				"source":      []any{"aws.states"},
				"detail-type": []any{"Step Functions Execution Status Change"},
				"detail": map[string]any{
					"status":          []any{"FAILED", "TIMED_OUT", "ABORTED"},
					"stateMachineArn": []any{map[string]any{"Ref": stateMachineID(t, a)}},
				},
			}, map[string]any{"Ref": topicID}, "")
			checkAlarms(t, tp, topicID)
		})
	}
}

func TestFindingNotifications(t *testing.T) {
	for _, variant := range []string{variantExample, variantEventsElsewhere} {
		t.Run(variant, func(t *testing.T) {
			a := buildVariant(t, variant)
			tp := a.secJSON
			keyID := tp.idWithPrefix(t, "AWS::KMS::Key", stacks.NotificationsKeyID)
			account := a.cfg.Accounts.Security
			findings := tp.idWithPrefix(t, "AWS::SNS::Topic", stacks.FindingsTopicID)
			operations := tp.idWithPrefix(t, "AWS::SNS::Topic", stacks.OperationsTopicID)
			checkKeyStatements(t, tp, keyID, account, map[string]map[string]any{
				events.SidCloudWatch: publisherStatement(events.SidCloudWatch, events.ServiceCloudWatch),
				events.SidLogs: {"Sid": events.SidLogs, "Effect": "Allow",
					"Principal": map[string]any{"Service": "logs." + a.cfg.HomeRegion + ".amazonaws.com"},
					"Action":    []any{"kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"},
					"Resource":  "*",
					"Condition": map[string]any{"ArnLike": map[string]any{"kms:EncryptionContext:aws:logs:arn": map[string]any{"Fn::Join": []any{"", []any{
						"arn:", map[string]any{"Ref": "AWS::Partition"}, ":logs:" + a.cfg.HomeRegion + ":" + a.cfg.Accounts.Security + ":log-group:*"}}}}}},
			})
			checkTopic(t, tp, findings, keyID, a.cfg.Findings.EmailSubscriptions)
			checkTopic(t, tp, operations, keyID, a.cfg.Operations.EmailSubscriptions)
			if sts := topicStatements(t, tp, findings); len(sts) != 1 {
				t.Errorf("findings topic policy: %v, want the TLS deny only (the Lambda publishes with its role)", sts)
			}
			sts := topicStatements(t, tp, operations)
			checkCloudWatchTopicStatement(t, tp, operations, sts["CloudWatchAlarmsOfThisAccount"])

			fnID := checkEventLambda(t, tp, stacks.NotifyFindingsID, map[string]any{
				eventfn.EnvTopicARN: map[string]any{"Ref": findings},
			}, map[string]map[string]any{
				"sns:Publish": {"Sid": "PublishFindings", "Effect": "Allow", "Action": "sns:Publish", "Resource": map[string]any{"Ref": findings}},
				"kms:GenerateDataKey": {"Sid": "EncryptFindings", "Effect": "Allow", "Action": []any{"kms:GenerateDataKey", "kms:Decrypt"},
					"Resource": map[string]any{"Fn::GetAtt": []any{keyID, "Arn"}}},
			})
			fnArn := map[string]any{"Fn::GetAtt": []any{fnID, "Arn"}}
			want := map[string]any{"GuardDutyFindings": notify.GuardDutyPattern(*a.cfg.Findings.SeverityThreshold)}
			if len(a.cfg.Findings.SecurityHubLabels) > 0 {
				want["SecurityHubFindings"] = notify.SecurityHubPattern(a.cfg.Findings.SecurityHubLabels)
			}
			if a.cfg.Findings.HealthEvents {
				want["HealthEvents"] = notify.HealthPattern()
			}
			if got := len(tp.ofType("AWS::Events::Rule")); got != len(want) {
				t.Errorf("%d rules in the security stack, want %d", got, len(want))
			}
			for id, pattern := range want {
				checkRule(t, tp, id+"Rule", pattern, fnArn, "")
				checkPermission(t, tp, id+"Rule", fnID)
			}
			checkAlarms(t, tp, operations)
		})
	}
}

// TestForwardStacks checks which forwarding stacks there are, in which
// account and region, and their rules: the home region's patterns, the home
// region's default bus as the target, with a role allowed events:PutEvents
// on that bus only.
func TestForwardStacks(t *testing.T) {
	mgmt := func(ids ...string) []string { return ids }
	tests := []struct {
		variant string
		// want: stack name → the rules' IDs.
		want map[string][]string
	}{
		{variantExample, map[string][]string{
			workflow.ForwardStackName(workflow.SecurityForwardStackName, "eu-west-1"): {"GuardDutyFindings"},
		}},
		{variantOnboardingOff, map[string][]string{
			workflow.ForwardStackName(workflow.SecurityForwardStackName, "eu-west-1"): {"GuardDutyFindings"},
		}},
		{variantEventsElsewhere, map[string][]string{
			workflow.ForwardStackName(workflow.ManagementForwardStackName, "us-east-1"):       mgmt("NewAccount", "AccountJoined", "RegionEnabled"),
			workflow.ForwardStackName(workflow.ManagementForwardStackName, elsewhereCTRegion): mgmt("ControlTowerCreated", "ControlTowerUpdated"),
			workflow.ForwardStackName(workflow.SecurityForwardStackName, "eu-central-1"):      {"GuardDutyFindings", "HealthEvents"},
			// us-east-1 is no region of the run: Health's global events only.
			workflow.ForwardStackName(workflow.SecurityForwardStackName, "us-east-1"): {"HealthEvents"},
		}},
	}
	discover := map[string][]string{}
	for _, r := range settings.DefaultRegions() {
		if r != "us-east-1" {
			discover[workflow.ForwardStackName(workflow.SecurityForwardStackName, r)] = []string{"GuardDutyFindings"}
		}
	}
	tests = append(tests, struct {
		variant string
		want    map[string][]string
	}{variantDiscover, discover})

	for _, tt := range tests {
		t.Run(tt.variant, func(t *testing.T) {
			a := buildVariant(t, tt.variant)
			patterns := map[string]any{}
			for _, r := range onboard.Rules() {
				patterns[r.ID] = r.Pattern
			}
			for _, r := range stacks.FindingRules(a.cfg) {
				patterns[r.ID] = r.Pattern
			}
			got := map[string]bool{}
			for _, f := range a.forward {
				name := *f.stack.StackName()
				got[name] = true
				rules, ok := tt.want[name]
				if !ok {
					t.Errorf("unexpected stack %s", name)
					continue
				}
				region := strings.TrimPrefix(strings.TrimPrefix(name, workflow.ManagementForwardStackName+"-"), workflow.SecurityForwardStackName+"-")
				account := a.cfg.Accounts.Security
				if strings.HasPrefix(name, workflow.ManagementForwardStackName) {
					account = a.cfg.Accounts.Management
				}
				if *f.stack.Region() != region || *f.stack.Account() != account {
					t.Errorf("stack %s in %s/%s, want %s/%s", name, *f.stack.Account(), *f.stack.Region(), account, region)
				}
				tp := f.json
				bus := map[string]any{"Fn::Join": []any{"", []any{"arn:", map[string]any{"Ref": "AWS::Partition"}, ":events:" + a.cfg.HomeRegion + ":" + account + ":event-bus/default"}}}
				role := tp.idWithPrefix(t, "AWS::IAM::Role", stacks.ForwardRoleID)
				trust, _ := props(tp.resource(t, role))["AssumeRolePolicyDocument"].(map[string]any)
				checkEqual(t, name+" trust", trust["Statement"], []any{map[string]any{"Action": "sts:AssumeRole", "Effect": "Allow",
					"Principal": map[string]any{"Service": events.ServiceEvents}}})
				sts := roleStatements(t, tp, role)
				if len(sts) != 1 {
					t.Errorf("%s: role statements %v, want events:PutEvents only", name, sts)
				} else {
					checkEqual(t, name+" role statement", sts[0], map[string]any{"Sid": "PutEventsOnTheHomeBus", "Effect": "Allow", "Action": "events:PutEvents", "Resource": bus})
				}
				if n := len(tp.ofType("AWS::Events::Rule")); n != len(rules) {
					t.Errorf("%s: %d rules, want %v", name, n, rules)
				}
				for _, r := range rules {
					checkRule(t, tp, r+"Forward", patterns[r], bus, role)
				}
				if n := len(tp.ofType("AWS::Lambda::Function")) + len(tp.ofType("AWS::SNS::Topic")); n != 0 {
					t.Errorf("%s: %d functions and topics, want none", name, n)
				}
			}
			for name := range tt.want {
				if !got[name] {
					t.Errorf("no stack %s", name)
				}
			}
		})
	}
}

// TestSettingsDigestOutput: the management stack outputs the digest of
// the configuration it was built from, which the CLI compares with the
// file it is given.
func TestSettingsDigestOutput(t *testing.T) {
	a := build(t)
	want, err := a.cfg.Digest()
	if err != nil {
		t.Fatal(err)
	}
	outputs, _ := a.mgmtJSON["Outputs"].(map[string]any)
	out, _ := outputs[workflow.SettingsDigestOutput].(map[string]any)
	if out["Value"] != want {
		t.Errorf("output %s = %v, want %s", workflow.SettingsDigestOutput, out["Value"], want)
	}
}
