package events

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/orgbaseline/orgbaseline/infra/lintskip"
	"github.com/orgbaseline/orgbaseline/shared/eventfn"
)

// Settings of the event Lambdas.
const (
	functionTimeoutSeconds = 60
	functionMemoryMB       = 256
	// LambdaRetryAttempts is how many times Lambda retries an event whose
	// handler failed (asynchronous invocation: at most 2), for a
	// throttled or failed AWS call; a malformed event fails each time and
	// then goes to the function's dead-letter queue.
	LambdaRetryAttempts = 2
	// LambdaMaxEventAgeSeconds bounds how long Lambda keeps retrying an
	// event: 6 hours, its maximum.
	LambdaMaxEventAgeSeconds = 6 * 60 * 60
	bootstrapFile            = "bootstrap"
)

// EventLambdaProps configures an EventLambda.
type EventLambdaProps struct {
	Function eventfn.Function
	// LambdaDir holds the function's bootstrap: LambdaDir/<name>/bootstrap.
	LambdaDir string
	// Key encrypts the function's log group and environment variables;
	// its policy must let CloudWatch Logs use it for this account's log
	// groups.
	Key awskms.IKey
	// Env is the function's environment: a value for each variable of
	// Function.Env.
	Env map[string]*string
	// Wildcards are the wildcard resources of the grants the caller adds
	// to the role (cdk-nag's AwsSolutions-IAM5 findings, as appliesTo
	// entries), and WildcardReason why they hold: the role's policy then
	// carries one suppression that lists every wildcard with its reason.
	Wildcards      []any
	WildcardReason string
}

// EventLambda is an event Lambda: its role, log group, dead-letter queue
// (the events its handler failed on, after Lambda's retries) and function.
type EventLambda interface {
	Function() awslambda.Function
	Role() awsiam.Role
	DeadLetterQueue() awssqs.Queue
	// AllowRule lets rule invoke the function (a Lambda permission for the
	// rule's ARN only), as the permission id.
	AllowRule(id string, rule Rule)
}

type eventLambda struct {
	scope constructs.Construct
	fn    awslambda.Function
	role  awsiam.Role
	dlq   awssqs.Queue
}

func (l *eventLambda) Function() awslambda.Function  { return l.fn }
func (l *eventLambda) Role() awsiam.Role             { return l.role }
func (l *eventLambda) DeadLetterQueue() awssqs.Queue { return l.dlq }

// AllowRule: "Using resource-based policies for Amazon EventBridge",
// AWS Lambda permissions: lambda:InvokeFunction for events.amazonaws.com,
// with the rule's ARN as the source.
func (l *eventLambda) AllowRule(id string, rule Rule) {
	awslambda.NewCfnPermission(l.scope, jsii.String(id), &awslambda.CfnPermissionProps{
		Action:       jsii.String("lambda:InvokeFunction"),
		FunctionName: l.fn.FunctionArn(),
		Principal:    jsii.String(ServiceEvents),
		SourceArn:    rule.Arn(),
	})
}

// NewEventLambda creates, in scope, the role id+"Role", the log group
// id+"Logs", the dead-letter queue id+"DeadLetters" and the function
// id+"Function". It panics if the bootstrap is missing or a variable of the
// function's Env has no value.
func NewEventLambda(scope constructs.Construct, id string, props *EventLambdaProps) EventLambda {
	f := props.Function
	bootstrap := filepath.Join(props.LambdaDir, f.Name, bootstrapFile)
	if fi, err := os.Stat(bootstrap); err != nil || !fi.Mode().IsRegular() {
		panic(fmt.Sprintf("events: %s not found: build the Lambdas first (make lambdas)", bootstrap))
	}
	env := map[string]*string{}
	for _, v := range f.Env {
		val, ok := props.Env[v]
		if !ok || val == nil {
			panic(fmt.Sprintf("events: function %s needs %s", f.Name, v))
		}
		env[v] = val
	}
	role := awsiam.NewRole(scope, jsii.String(id+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("orgbaseline event function " + f.Name),
	})
	logs := awslogs.NewLogGroup(scope, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
		Retention:     awslogs.RetentionDays_ONE_YEAR,
		EncryptionKey: props.Key,
	})
	logs.GrantWrite(role)
	dlq := NewDeadLetterQueue(scope, id+"DeadLetters")
	fn := awslambda.NewFunction(scope, jsii.String(id+"Function"), &awslambda.FunctionProps{
		Description:           jsii.String(f.Description),
		Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:          awslambda.Architecture_ARM_64(),
		Handler:               jsii.String(bootstrapFile),
		Code:                  awslambda.Code_FromAsset(jsii.String(filepath.Dir(bootstrap)), nil),
		Timeout:               awscdk.Duration_Seconds(jsii.Number(functionTimeoutSeconds)),
		MemorySize:            jsii.Number(functionMemoryMB),
		Role:                  role,
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		LogGroup:              logs,
		Tracing:               awslambda.Tracing_ACTIVE,
		Environment:           &env,
		EnvironmentEncryption: props.Key,
		DeadLetterQueue:       dlq,
		RetryAttempts:         jsii.Number(LambdaRetryAttempts),
		MaxEventAge:           awscdk.Duration_Seconds(jsii.Number(LambdaMaxEventAgeSeconds)),
	})
	reason := "X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions."
	if props.WildcardReason != "" {
		reason += " " + props.WildcardReason
	}
	appliesTo := append([]any{"Resource::*"}, props.Wildcards...)
	cdknag.NagSuppressions_AddResourceSuppressions(role.Node().FindChild(jsii.String("DefaultPolicy")), &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		Reason:    jsii.String(reason),
		AppliesTo: &appliesTo,
	}}, jsii.Bool(true))
	lintskip.Checkov(fn,
		lintskip.Check{ID: "CKV_AWS_117", Comment: "The function calls AWS service APIs only (Step Functions or SNS) and serves no network " +
			"endpoint; a VPC would add NAT or interface endpoints without narrowing what the function can reach."},
		lintskip.Check{ID: "CKV_AWS_115", Comment: "Only its EventBridge rules invoke the function, one event each, at the rate " +
			"accounts, regions or findings appear. Reserved concurrency would be taken from the account's unreserved pool, and " +
			"deployment fails in accounts whose concurrency quota is at the minimum of 10."},
	)
	// CDK makes the function depend on its role's default policy, which
	// the Role property already orders.
	lintskip.CfnLint(fn, "W3005")
	return &eventLambda{scope: scope, fn: fn, role: role, dlq: dlq}
}
