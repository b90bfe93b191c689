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

// Shape says how the state machine calls a step.
type Shape string

const (
	// ShapeOnce: one Task with the whole execution input (Input).
	ShapeOnce Shape = ""
	// ShapeHomeThenOtherRegions: one Task for the home region, then a Map
	// over the other regions of the run, each iteration with an Item. Some
	// services fail when switched on in many regions at once before the
	// home region is done (GuardDuty's delegated administrator).
	ShapeHomeThenOtherRegions Shape = "home-then-other-regions"
	// ShapeEachRegion: a Map over every region of the run, each iteration
	// with an Item.
	ShapeEachRegion Shape = "each-region"
	// ShapeEachAccountRegion: a Map over the run's accounts, each iteration
	// a Map over its regions, each of those with an Item that names the
	// account and the region. MaxConcurrency caps the accounts in flight,
	// RegionConcurrency the regions of one account.
	ShapeEachAccountRegion Shape = "each-account-region"
)

// Poll makes the state machine call a step again while its result says
// Pending: a Choice after the Task, then a Wait state of IntervalSeconds,
// then the Task again with Item.Polls set to the result's Polls. The step
// stops asking after MaxPolls (it reports what is still pending as failed),
// so the loop is bounded; no Lambda sleeps to wait.
type Poll struct {
	IntervalSeconds int
	MaxPolls        int
}

// Reach says in which accounts a step may assume the execution role.
type Reach string

const (
	// ReachNone: the step works in the management account only.
	ReachNone Reach = ""
	// ReachSecurity: the step works in the security account too.
	ReachSecurity Reach = "security"
	// ReachOrganization: the step works in any account of the organization.
	ReachOrganization Reach = "organization"
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
	// Actions are the IAM actions the step calls in the management account;
	// none for a step that works only in other accounts (Reach).
	Actions []string
	// Reach is where the step may assume the execution role; the role is
	// typically an administrator of its account, so each step gets only
	// the accounts it works in.
	Reach Reach
	// Shape is how the state machine calls the step.
	Shape Shape
	// MaxConcurrency caps the iterations of its Map state, from the
	// service's API limits.
	MaxConcurrency int
	// RegionConcurrency caps the inner Map of ShapeEachAccountRegion.
	RegionConcurrency int
	// Poll, when set, repeats the step while its result is Pending.
	Poll *Poll
}

// States returns the names of the top-level states that run the step:
// State, or for ShapeHomeThenOtherRegions the home Task and the Map, or for
// the other shapes the Map.
func (s StepSpec) States() []string {
	switch s.Shape {
	case ShapeHomeThenOtherRegions:
		return []string{s.State + "HomeRegion", s.State + "OtherRegions"}
	case ShapeEachRegion:
		return []string{s.State + "EachRegion"}
	case ShapeEachAccountRegion:
		// The Map over regions is inside it, named State+"EachRegion".
		return []string{s.State + "EachAccount"}
	}
	return []string{s.State}
}

// ResultKeys returns where the step's results are stored, under $.results:
// one StepResult per key, or for a Map an array of them.
func (s StepSpec) ResultKeys() []string {
	if s.Shape == ShapeHomeThenOtherRegions {
		return []string{s.ResultKey + "HomeRegion", s.ResultKey + "OtherRegions"}
	}
	return []string{s.ResultKey}
}

// StepGuardDutyOrg configures GuardDuty from the delegated administrator in
// each region: its detector, the organization configuration (auto-enable
// and protection plans) and the existing accounts as members. The work in
// the security account is done through the execution role; from the
// management account it only lists the organization's accounts.
var StepGuardDutyOrg = StepSpec{
	Name:        "guardduty-org",
	State:       "GuardDutyOrg",
	ResultKey:   "guardDutyOrg",
	Description: "orgbaseline: GuardDuty detector, organization configuration and members, per region, from the delegated administrator",
	Actions: []string{
		"organizations:ListAccounts",
	},
	Reach: ReachSecurity,
	Shape: ShapeEachRegion,
	// Per region the calls go to one administrator account; a few regions
	// at a time keep GuardDuty's per-account request rates in reach.
	MaxConcurrency: 5,
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
		// What CloudTrail calls in Organizations when it registers the
		// delegated administrator ("Required permissions to assign a
		// delegated administrator", CloudTrail User Guide).
		"organizations:RegisterDelegatedAdministrator",
		// What CloudTrail itself checks and creates for an organization trail.
		"organizations:DescribeOrganization",
		"organizations:ListAccounts",
		"organizations:ListAWSServiceAccessForOrganization",
		"organizations:ListDelegatedAdministrators",
		"iam:GetRole",
		"iam:CreateServiceLinkedRole",
		// Handing the CloudWatch Logs delivery role to CloudTrail (unneeded
		// when the trail is managed from the security account: see
		// baseline.UnneededActions).
		"iam:PassRole",
	},
	// The key in the security account, the bucket in the log-archive
	// account, and every member account's own trails (the preflight).
	Reach: ReachOrganization,
}

// StepOrgTargets resolves the regions and accounts the run covers; the state
// machine fans out over its result.
var StepOrgTargets = StepSpec{
	Name:        "org-targets",
	State:       "OrgTargets",
	ResultKey:   "orgTargets",
	Description: "orgbaseline: the regions and ACTIVE accounts a run covers",
	// The regional sts:GetCallerIdentity checks need no permission.
	Actions: []string{
		"account:ListRegions",
		"organizations:ListAccounts",
	},
}

// StepGuardDutyAdmin makes the security account GuardDuty's delegated
// administrator, in the home region alone and then in the other regions.
var StepGuardDutyAdmin = StepSpec{
	Name:        "guardduty-admin",
	State:       "GuardDutyAdmin",
	ResultKey:   "guardDutyAdmin",
	Description: "orgbaseline: GuardDuty delegated administrator, per region",
	Actions: []string{
		"guardduty:ListOrganizationAdminAccounts",
		"guardduty:EnableOrganizationAdminAccount",
		// What EnableOrganizationAdminAccount does in Organizations for the caller.
		"organizations:DescribeOrganization",
		"organizations:EnableAWSServiceAccess",
		"organizations:ListAWSServiceAccessForOrganization",
		"organizations:ListDelegatedAdministrators",
		"organizations:RegisterDelegatedAdministrator",
		// Read-only calls GuardDuty's guide also lists for designating a
		// delegated administrator ("Permissions required to designate a
		// delegated GuardDuty administrator account").
		"organizations:DescribeAccount",
		"organizations:DescribeOrganizationalUnit",
		"organizations:ListAccounts",
	},
	Shape: ShapeHomeThenOtherRegions,
	// Organizations-backed and known to fail when many regions go at once.
	MaxConcurrency: 3,
}

// StepConfigAggregator creates or converges the organization aggregator in
// the security account's home region. Every call is made in the security
// account, through the execution role.
var StepConfigAggregator = StepSpec{
	Name:        "config-aggregator",
	State:       "ConfigAggregator",
	ResultKey:   "configAggregator",
	Description: "orgbaseline: AWS Config organization aggregator in the security account",
	Reach:       ReachSecurity,
}

// StepConfigRecorders sets up AWS Config's recorder and delivery channel in
// one account and region: the service-linked role, the recorder (an
// existing one keeps its name), the delivery channel to the log-archive
// bucket with the security account's key, and recording on. In the
// management account the step works with its own role; elsewhere through
// the execution role.
var StepConfigRecorders = StepSpec{
	Name:        "config-recorders",
	State:       "ConfigRecorders",
	ResultKey:   "configRecorders",
	Description: "orgbaseline: AWS Config recorder and delivery channel, per account and region",
	Actions: []string{
		"config:DescribeConfigurationRecorders",
		"config:DescribeConfigurationRecorderStatus",
		"config:DescribeDeliveryChannels",
		"config:PutConfigurationRecorder",
		"config:PutDeliveryChannel",
		"config:StartConfigurationRecorder",
		"iam:GetRole",
		"iam:CreateServiceLinkedRole",
		// Handing the service-linked role to the recorder.
		"iam:PassRole",
	},
	Reach: ReachOrganization,
	Shape: ShapeEachAccountRegion,
	// Config's rate limits are per account and region, so accounts go in
	// parallel; what bounds the fan-out is the management account's Lambda
	// concurrency (as low as 10 in a new account; throttled invocations
	// are retried) and STS, which every iteration calls once per container.
	MaxConcurrency:    5,
	RegionConcurrency: 3,
}

// ConfigRulesPoll is how the state machine waits for organization rules
// and conformance packs to reach every member: 30 seconds between checks,
// for at most 20 minutes.
var ConfigRulesPoll = Poll{IntervalSeconds: 30, MaxPolls: 40}

// StepConfigRules puts the organization config rules and conformance packs
// from the delegated administrator in each region, after the recorders,
// and then follows their deployment to the members (Poll).
var StepConfigRules = StepSpec{
	Name:        "config-rules",
	State:       "ConfigRules",
	ResultKey:   "configRules",
	Description: "orgbaseline: AWS Config organization rules and conformance packs, per region, from the delegated administrator",
	Reach:       ReachSecurity,
	Shape:       ShapeEachRegion,
	// The organization rule and conformance pack calls all go to the one
	// administrator account; a few regions at a time keep its request
	// rates low.
	MaxConcurrency: 3,
	Poll:           &ConfigRulesPoll,
}

// Steps lists every step, in the order the state machine runs them.
var Steps = []StepSpec{
	StepOrgPrerequisites, StepOrgTrail, StepOrgTargets, StepGuardDutyAdmin, StepGuardDutyOrg,
	StepConfigAggregator, StepConfigRecorders, StepConfigRules,
}
