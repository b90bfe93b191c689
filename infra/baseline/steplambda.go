package baseline

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/orgbaseline/orgbaseline/infra/lintskip"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// StepLambdaProps configures a StepLambda.
type StepLambdaProps struct {
	// Step is the step the function runs.
	Step workflow.StepSpec
	// Grants are the statements of the function's own role (the step's
	// step.Grants.Lambda under Config).
	Grants []step.Grant
	// Config is the validated configuration: it decides the execution roles
	// the function may assume (ExecutionRoleARNs) and its code
	// (StepCodeDir).
	Config settings.Config
	// Settings is Config encoded (settings.Config.Encode), which the
	// function receives in settings.EnvVar.
	Settings string
	// LambdaDir holds the step's bootstrap executable:
	// LambdaDir/<step>/bootstrap.
	LambdaDir string
	// Key encrypts the function's log group and environment variables.
	Key awskms.IKey
	// Env are further environment variables of the function.
	Env map[string]string
}

// StepLambda is the Lambda of one step: its role, the policy with the
// step's actions, its log group and the function.
//
// A StepLambda is no node of the construct tree: its resources are children
// of the scope it is given, with ids that begin with id (id+"Role",
// id+"Logs", id+"Policy", id+"Function"), so that their logical IDs, which
// CloudFormation tells an update from a replacement by, do not depend on how
// the Go code groups them.
type StepLambda interface {
	// Function returns the step's function.
	Function() awslambda.IFunction
	// Role returns the role the function runs with.
	Role() awsiam.IRole
	// LogGroup returns the function's log group.
	LogGroup() awslogs.ILogGroup
}

type stepLambda struct {
	fn   awslambda.IFunction
	role awsiam.IRole
	logs awslogs.ILogGroup
}

func (l *stepLambda) Function() awslambda.IFunction { return l.fn }
func (l *stepLambda) Role() awsiam.IRole            { return l.role }
func (l *stepLambda) LogGroup() awslogs.ILogGroup   { return l.logs }

// NewStepLambda creates a step's role, log group, policy and function in
// scope. It panics if the step's code cannot be put together (StepCodeDir).
func NewStepLambda(scope constructs.Construct, id string, props *StepLambdaProps) StepLambda {
	spec := props.Step
	role := awsiam.NewRole(scope, jsii.String(id+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("orgbaseline step " + spec.Name),
	})
	logs := newLogGroup(scope, id+"Logs", props.Key)
	// What AWSLambdaBasicExecutionRole would allow, for this log group only.
	logs.GrantWrite(role)

	policy := awsiam.NewPolicy(scope, jsii.String(id+"Policy"), &awsiam.PolicyProps{
		Roles:      &[]awsiam.IRole{role},
		Statements: stepStatements(spec, props.Config, props.Grants),
	})

	codeDir, err := StepCodeDir(props.LambdaDir, spec, props.Config)
	if err != nil {
		panic("baseline: " + err.Error())
	}
	fn := awslambda.NewFunction(scope, jsii.String(id+"Function"), &awslambda.FunctionProps{
		Description:           jsii.String(spec.Description),
		Runtime:               awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:          awslambda.Architecture_ARM_64(),
		Handler:               jsii.String(BootstrapFile),
		Code:                  awslambda.Code_FromAsset(jsii.String(codeDir), nil),
		Timeout:               awscdk.Duration_Seconds(jsii.Number(functionTimeoutSeconds)),
		MemorySize:            jsii.Number(functionMemoryMB),
		Role:                  role,
		LoggingFormat:         awslambda.LoggingFormat_JSON,
		LogGroup:              logs,
		Tracing:               awslambda.Tracing_ACTIVE,
		Environment:           environment(spec, props),
		EnvironmentEncryption: props.Key,
	})
	// The function is usable only once its step policy is attached.
	fn.Node().AddDependency(policy)

	suppressStepFindings(spec, props.Config, props.Grants, role, policy)
	skipStepLints(fn)
	return &stepLambda{fn: fn, role: role, logs: logs}
}

// environment is the function's environment: the step, the settings and
// props.Env.
func environment(step workflow.StepSpec, props *StepLambdaProps) *map[string]*string {
	env := map[string]*string{
		workflow.EnvStep: jsii.String(step.Name),
		settings.EnvVar:  jsii.String(props.Settings),
	}
	for k, v := range props.Env {
		env[k] = jsii.String(v)
	}
	return &env
}

// stepStatements are the statements of a step's policy: its grants, each
// on its resources under its condition (step.Grant.Statement), and the
// execution role, only in the accounts the step works in, and only in
// accounts of this organization.
func stepStatements(spec workflow.StepSpec, c settings.Config, grants []step.Grant) *[]awsiam.PolicyStatement {
	var statements []awsiam.PolicyStatement
	for _, g := range grants {
		resources := g.Resources
		if len(resources) == 0 {
			resources = []string{"*"}
		}
		props := &awsiam.PolicyStatementProps{
			Sid:       jsii.String(g.Sid),
			Actions:   jsii.Strings(g.Actions...),
			Resources: jsii.Strings(resources...),
		}
		if len(g.Condition) > 0 {
			cond := map[string]any{}
			for op, kv := range g.Condition {
				cond[op] = kv
			}
			props.Conditions = &cond
		}
		statements = append(statements, awsiam.NewPolicyStatement(props))
	}
	if roles := ExecutionRoleARNs(spec.Reach, c); len(roles) > 0 {
		statements = append(statements, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("AssumeExecutionRole"),
			Actions:   jsii.Strings("sts:AssumeRole"),
			Resources: jsii.Strings(roles...),
			Conditions: &map[string]any{
				"StringEquals": map[string]any{"aws:ResourceOrgID": "${aws:PrincipalOrgID}"},
			},
		}))
	}
	return &statements
}

// ExecutionRoleARNs are the execution roles a step may assume, by its
// reach: every account's (the account ID a wildcard, confined to the
// organization by the statement's condition), the security account's, the
// security and log-archive accounts', or none.
func ExecutionRoleARNs(reach workflow.Reach, cfg settings.Config) []string {
	in := func(account string) string {
		return fmt.Sprintf("arn:%s:iam::%s:role/%s", *awscdk.Aws_PARTITION(), account, cfg.ExecutionRoleName)
	}
	switch reach {
	case workflow.ReachOrganization:
		return []string{in("*")}
	case workflow.ReachSecurity:
		return []string{in(cfg.Accounts.Security)}
	case workflow.ReachSecurityAndLogArchive:
		return []string{in(cfg.Accounts.Security), in(cfg.Accounts.LogArchive)}
	}
	return nil
}

// suppressStepFindings records why cdk-nag's wildcard findings on the step's
// policy and role do not apply: each grant's wildcard with the grant's own
// reason (step.Grant.Why), and the execution role's account wildcard.
func suppressStepFindings(spec workflow.StepSpec, c settings.Config, grants []step.Grant, role awsiam.Role, policy awsiam.Policy) {
	var appliesTo []any
	var reasons []string
	for _, g := range grants {
		n := len(appliesTo)
		if len(g.Resources) == 0 {
			appliesTo = append(appliesTo, "Resource::*")
		}
		for _, r := range g.Resources {
			if strings.Contains(r, "*") {
				appliesTo = append(appliesTo, "Resource::"+r)
			}
		}
		if len(appliesTo) > n {
			reasons = append(reasons, fmt.Sprintf("%s (%s): %s.", g.Sid, strings.Join(g.Actions, ", "), g.Why))
		}
	}
	if spec.Reach == workflow.ReachOrganization {
		appliesTo = append(appliesTo, "Resource::arn:<AWS::Partition>:iam::*:role/"+c.ExecutionRoleName)
		reasons = append(reasons, fmt.Sprintf("AssumeExecutionRole: the step works in any account of the organization (member "+
			"accounts it finds at run time); the account wildcard of the %s ARN is confined to this organization by the "+
			"aws:ResourceOrgID condition, and every session carries the step's session policy.", c.ExecutionRoleName))
	}
	if len(appliesTo) > 0 {
		// One suppression per policy, each wildcard with its grant's reason.
		cdknag.NagSuppressions_AddResourceSuppressions(policy, &[]*cdknag.NagPackSuppression{{
			Id:        jsii.String("AwsSolutions-IAM5"),
			Reason:    jsii.String("Each wildcard is a grant's own: " + strings.Join(reasons, " ")),
			AppliesTo: &appliesTo,
		}}, jsii.Bool(true))
	}
	// The X-Ray statement CDK adds for active tracing is in the role's
	// default policy, and only there.
	cdknag.NagSuppressions_AddResourceSuppressions(role.Node().FindChild(jsii.String("DefaultPolicy")), &[]*cdknag.NagPackSuppression{{
		Id:        jsii.String("AwsSolutions-IAM5"),
		Reason:    jsii.String("X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions."),
		AppliesTo: &[]any{"Resource::*"},
	}}, jsii.Bool(true))
}

// skipStepLints records why checkov's and cfn-lint's findings on the step's
// function and policy do not apply.
//
// checkov's CKV_AWS_111 (write access without constraints) needs no skip:
// the grants on Resource * are of actions that have no resource type, which
// it does not count.
func skipStepLints(fn awslambda.Function) {
	lintskip.Checkov(fn,
		lintskip.Check{ID: "CKV_AWS_116", Comment: "Only the state machine invokes the function, synchronously; a dead-letter queue " +
			"receives failed asynchronous invocations only, so it would stay empty. Failures reach the Task's Catch and the execution history."},
		lintskip.Check{ID: "CKV_AWS_117", Comment: "The function calls AWS service APIs (Organizations, STS and the security services) only " +
			"and serves no network endpoint; a VPC would add NAT or interface endpoints without narrowing what the function can reach."},
		lintskip.Check{ID: "CKV_AWS_115", Comment: "Only the state machine calls the step, with its Map states' MaxConcurrency as the bound. Reserved concurrency would be " +
			"taken from the account's unreserved pool, and deployment fails in accounts whose concurrency quota is at the minimum of 10."},
	)
	// CDK makes the function depend on everything under its role, the role
	// itself included, which the Role property already references.
	lintskip.CfnLint(fn, "W3005")
}
