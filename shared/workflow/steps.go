package workflow

// Names shared by the CDK app, the step Lambdas and the CLI.
const (
	// EnvStep names the step a Lambda runs (the functions/<name> folder).
	EnvStep = "ORGBASELINE_STEP"
	// ManagementStackName is the stack that holds the state machine.
	ManagementStackName = "OrgBaseline-Management"
	// LogArchiveStackName is the log-archive account's stack.
	LogArchiveStackName = "OrgBaseline-LogArchive"
	// SecurityStackName is the security account's stack.
	SecurityStackName = "OrgBaseline-Security"
	// StateMachineArnOutput is the management stack output with the ARN of
	// the baseline state machine.
	StateMachineArnOutput = "BaselineStateMachineArn"
)

// StepSpec describes one step Lambda: what infra deploys and what the state
// machine calls. Its IAM actions are the step's whole permission set in the
// management account (least privilege, one list per function).
type StepSpec struct {
	// Name is the functions/<Name> folder, the build/lambda/<Name> asset and
	// the value of EnvStep.
	Name string
	// State is the name of the Task state that runs it.
	State string
	// ResultKey is where the state machine stores the step's result:
	// $.results.<ResultKey>.
	ResultKey string
	// Description is the Lambda's description.
	Description string
	// Actions are the IAM actions the step calls in the management account.
	Actions []string
}

// StepOrgPrerequisites checks the organization and enables trusted access and
// delegated administrators.
var StepOrgPrerequisites = StepSpec{
	Name:        "org-prerequisites",
	State:       "OrgPrerequisites",
	ResultKey:   "orgPrerequisites",
	Description: "orgbaseline: organization prerequisites (all features, trusted access, delegated administrators)",
	Actions: []string{
		"organizations:DescribeOrganization",
		"organizations:ListAWSServiceAccessForOrganization",
		"organizations:EnableAWSServiceAccess",
		"organizations:ListDelegatedAdministrators",
		"organizations:RegisterDelegatedAdministrator",
	},
}

// StepOrgTrail creates or converges the organization trail.
var StepOrgTrail = StepSpec{
	Name:        "org-trail",
	State:       "OrgTrail",
	ResultKey:   "orgTrail",
	Description: "orgbaseline: organization CloudTrail trail (log-archive bucket, security-account key, CloudWatch Logs)",
	Actions: []string{
		// The trail, from the management account in the home region.
		"cloudtrail:DescribeTrails",
		"cloudtrail:GetTrailStatus",
		"cloudtrail:CreateTrail",
		"cloudtrail:UpdateTrail",
		"cloudtrail:StartLogging",
		"cloudtrail:GetEventSelectors",
		"cloudtrail:PutEventSelectors",
		"cloudtrail:GetInsightSelectors",
		"cloudtrail:PutInsightSelectors",
		"cloudtrail:RegisterOrganizationDelegatedAdmin",
		// What CloudTrail itself checks and creates for an organization trail.
		"organizations:DescribeOrganization",
		"organizations:ListAccounts",
		"organizations:ListAWSServiceAccessForOrganization",
		"organizations:ListDelegatedAdministrators",
		"iam:GetRole",
		"iam:CreateServiceLinkedRole",
		// Handing the CloudWatch Logs delivery role to CloudTrail.
		"iam:PassRole",
	},
}

// Steps lists every step, in the order the state machine runs them.
var Steps = []StepSpec{StepOrgPrerequisites, StepOrgTrail}
