package configsvc

import (
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// AggregatorSpec creates or converges the organization aggregator in
// the security account's home region. Every call is made in the security
// account, through the execution role.
var AggregatorSpec = workflow.StepSpec{
	Name:        "config-aggregator",
	State:       "ConfigAggregator",
	ResultKey:   "configAggregator",
	Description: "orgbaseline: AWS Config organization aggregator in the security account",
	Reach:       workflow.ReachSecurity,
}

// DeliverySpec keeps the Config delivery bucket's and key's policies
// admitting every ACTIVE account of the organization (aws:SourceAccount, as
// AWS Config documents for its service principal: see BucketPolicy), once
// per run, before the recorders put their delivery channels: the run's
// accounts, added to those listed already when the run is narrowed with
// --accounts. The bucket is in the log-archive account, the key in the
// security account: the step works in both through the execution role.
var DeliverySpec = workflow.StepSpec{
	Name:          "config-delivery",
	State:         "ConfigDelivery",
	ResultKey:     "configDelivery",
	Description:   "orgbaseline: AWS Config delivery bucket and key policies admit every ACTIVE account of the organization",
	Reach:         workflow.ReachSecurityAndLogArchive,
	TakesAccounts: true,
}

// RecordersSpec sets up AWS Config's recorder and delivery channel in
// one account, in every region of the run: the service-linked role (once
// per account: IAM is global), the recorder (an existing one keeps its
// name), the delivery channel to the log-archive bucket with the security
// account's key, and recording on. In the management account the step
// works with its own role; elsewhere through the execution role.
var RecordersSpec = workflow.StepSpec{
	Name:        "config-recorders",
	State:       "ConfigRecorders",
	ResultKey:   "configRecorders",
	Description: "orgbaseline: AWS Config recorder and delivery channel, per account, in every region",
	Reach:       workflow.ReachOrganization,
	Shape:       workflow.ShapeEachAccount,
	// Config's rate limits are per account and region, so accounts go in
	// parallel, and so do an account's regions within its invocation; what
	// bounds the fan-out is the management account's Lambda concurrency
	// (as low as 10 in a new account; throttled invocations are retried)
	// and STS, which every invocation calls once per account.
	MaxConcurrency:    8,
	RegionConcurrency: 6,
}

// RulesPoll is how the state machine waits for organization rules
// and conformance packs to reach every member: 30 seconds between checks,
// for at most 20 minutes.
var RulesPoll = workflow.Poll{IntervalSeconds: 30, MaxPolls: 40}

// RulesSpec puts the organization config rules and conformance packs
// from the delegated administrator in each region, after the recorders,
// and then follows their deployment to the members (Poll).
var RulesSpec = workflow.StepSpec{
	Name:        "config-rules",
	State:       "ConfigRules",
	ResultKey:   "configRules",
	Description: "orgbaseline: AWS Config organization rules and conformance packs, per region, from the delegated administrator",
	Reach:       workflow.ReachSecurity,
	Shape:       workflow.ShapeEachRegion,
	// The organization rule and conformance pack calls all go to the one
	// administrator account, but AWS Config's quotas are per account and
	// region ("AWS Config endpoints and quotas": unless noted, each quota
	// is Region-specific), so every region goes at once and the waits for
	// the members overlap instead of queueing (17 regions at 3 at a time
	// held the run for up to six rounds of the 20-minute wait).
	MaxConcurrency: 40,
	Poll:           &RulesPoll,
	// The accounts the scope excludes (Item.Excluded) are the rules' and
	// packs' ExcludedAccounts too.
	TakesAccounts: true,
}

// AggregatorStep is the config-aggregator step: AggregatorSpec with its handler; functions/config-aggregator runs it.
var AggregatorStep = step.Define(AggregatorSpec, buildAggregator).WithGrants(AggregatorGrants)

// DeliveryStep is the config-delivery step: DeliverySpec with its handler; functions/config-delivery runs it.
var DeliveryStep = step.Define(DeliverySpec, buildDelivery).WithGrants(DeliveryGrants)

// RecordersStep is the config-recorders step: RecordersSpec with its handler; functions/config-recorders runs it.
var RecordersStep = step.Define(RecordersSpec, buildRecorders).WithGrants(RecordersGrants)

// RulesStep is the config-rules step: RulesSpec with its handler; functions/config-rules runs it.
var RulesStep = step.Define(RulesSpec, buildRules).WithGrants(RulesGrants)
