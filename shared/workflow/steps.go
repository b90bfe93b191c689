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
	// ManagementForwardStackName begins the names of the management
	// account's stacks in regions other than the home region (us-east-1,
	// Control Tower's home region) that forward the onboarding events
	// arriving there to the home region: ForwardStackName.
	ManagementForwardStackName = "OrgBaseline-ManagementForward"
	// SecurityForwardStackName begins the names of the security account's
	// stacks in the other regions of the run that forward the findings
	// arriving there to the home region: ForwardStackName.
	SecurityForwardStackName = "OrgBaseline-SecurityForward"
	// StateMachineArnOutput is the management stack output with the ARN of
	// the baseline state machine.
	StateMachineArnOutput = "BaselineStateMachineArn"
	// SettingsDigestOutput is the management stack output with the digest
	// of the configuration the stacks were deployed with
	// (settings.Config.Digest).
	SettingsDigestOutput = "SettingsDigest"
	// FindingsTopicOutput is the security stack output with the ARN of
	// the findings topic.
	FindingsTopicOutput = "FindingsTopicArn"
	// The logical IDs (or their beginnings) of the event-driven half's
	// resources that the local run looks up in the synthesized templates:
	// the findings and operations topics and the rule on the runs that
	// ended.
	FindingsTopicID   = "FindingsTopic"
	OperationsTopicID = "OperationsTopic"
	RunEndedRuleID    = "OnboardedRule"
)

// ForwardStackName is the name of a forwarding stack (base is
// ManagementForwardStackName or SecurityForwardStackName) in region.
func ForwardStackName(base, region string) string { return base + "-" + region }

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
	// ShapeEachAccount: a Distributed Map over the run's accounts, each
	// iteration one Task given a workflow.Item with the account and every
	// region of the run (Item.Regions): the step does the account-wide
	// work once and the regions in-process. MaxConcurrency caps the
	// accounts in flight, RegionConcurrency the regions one invocation
	// works on at once.
	ShapeEachAccount Shape = "each-account"
	// ShapeHomeRegion: a Map over the home region alone (none when the run
	// does not cover it), its iteration an Item with the region and every
	// region of the run (Item.Regions): for organization-wide settings
	// made from the home region that the state machine waits for (Poll).
	ShapeHomeRegion Shape = "home-region"
)

// Poll makes the state machine call a step again while its result says
// Pending: a Choice after the Task, then a Wait state of IntervalSeconds,
// then the Task again with Item.Polls set to the result's Polls. The step
// stops asking after MaxPolls (it reports what is still pending as failed),
// so the loop is bounded; no Lambda sleeps to wait.
type Poll struct {
	IntervalSeconds int
	MaxPolls        int
	// OnboardingOnly: the step waits only in an onboarding run
	// (Input.Onboarding); any other run calls it once.
	OnboardingOnly bool `json:",omitempty"`
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
	// ReachSecurityAndLogArchive: the step works in the security and the
	// log-archive accounts too.
	ReachSecurityAndLogArchive Reach = "security-and-log-archive"
)

// StepSpec describes one step Lambda: what infra deploys and what the state
// machine calls. Its permissions are the step's grants (step.Grants), which
// depend on the configuration.
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
	// Reach is where the step may assume the execution role; the role is
	// typically an administrator of its account, so each step gets only
	// the accounts it works in.
	Reach Reach
	// Shape is how the state machine calls the step.
	Shape Shape
	// MaxConcurrency caps the iterations of its Map state, from the
	// service's API limits.
	MaxConcurrency int
	// RegionConcurrency caps the regions a ShapeEachAccount invocation
	// works on at once.
	RegionConcurrency int
	// ResultLimit, when set below the shape's bound (ResultBytes), is the
	// bound of each of the step's results instead: for a region fan-out
	// whose region rows are few and short, so that the state keeps room
	// (StateBound).
	ResultLimit int
	// Poll, when set, repeats the step while its result is Pending.
	Poll *Poll
	// TakesAccounts: the state machine passes the run's accounts (the
	// org-targets result) in Item.Accounts and the accounts the scope
	// excludes in Item.Excluded, and the step's handler takes a
	// workflow.Item even when its shape is ShapeOnce.
	TakesAccounts bool
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
	case ShapeEachAccount:
		return []string{s.State + "EachAccount"}
	case ShapeHomeRegion:
		return []string{s.State + "InHomeRegion"}
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
