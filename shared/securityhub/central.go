package securityhub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// PolicyName is the configuration policy orgbaseline keeps.
const PolicyName = "orgbaseline"

// Calls the central step reports.
const (
	CallCreateAggregator = "securityhub:CreateFindingAggregator"
	CallUpdateAggregator = "securityhub:UpdateFindingAggregator"
	CallCentral          = "securityhub:UpdateOrganizationConfiguration"
	CallCreatePolicy     = "securityhub:CreateConfigurationPolicy"
	CallUpdatePolicy     = "securityhub:UpdateConfigurationPolicy"
	CallAssociate        = "securityhub:StartConfigurationPolicyAssociation"
)

// Region linking modes of a finding aggregator ("CreateFindingAggregator").
const (
	linkSpecified = "SPECIFIED_REGIONS"
	linkAll       = "ALL_REGIONS"
	linkNone      = "NO_REGIONS"
)

// CentralAPI is the part of the Security Hub client the central step uses,
// in the delegated administrator's home region.
// Each method is the operation of its name in the AWS Security Hub CSPM
// API Reference; the errors handled are the ones its Errors section lists.
// An account has at most one finding aggregator ("CreateFindingAggregator"),
// and the organization configuration's status goes PENDING to ENABLED
// ("OrganizationConfiguration").
type CentralAPI interface {
	securityhub.ListFindingAggregatorsAPIClient
	CreateFindingAggregator(ctx context.Context, in *securityhub.CreateFindingAggregatorInput, optFns ...func(*securityhub.Options)) (*securityhub.CreateFindingAggregatorOutput, error)
	GetFindingAggregator(ctx context.Context, in *securityhub.GetFindingAggregatorInput, optFns ...func(*securityhub.Options)) (*securityhub.GetFindingAggregatorOutput, error)
	UpdateFindingAggregator(ctx context.Context, in *securityhub.UpdateFindingAggregatorInput, optFns ...func(*securityhub.Options)) (*securityhub.UpdateFindingAggregatorOutput, error)
	DescribeOrganizationConfiguration(ctx context.Context, in *securityhub.DescribeOrganizationConfigurationInput, optFns ...func(*securityhub.Options)) (*securityhub.DescribeOrganizationConfigurationOutput, error)
	UpdateOrganizationConfiguration(ctx context.Context, in *securityhub.UpdateOrganizationConfigurationInput, optFns ...func(*securityhub.Options)) (*securityhub.UpdateOrganizationConfigurationOutput, error)
	securityhub.ListConfigurationPoliciesAPIClient
	GetConfigurationPolicy(ctx context.Context, in *securityhub.GetConfigurationPolicyInput, optFns ...func(*securityhub.Options)) (*securityhub.GetConfigurationPolicyOutput, error)
	CreateConfigurationPolicy(ctx context.Context, in *securityhub.CreateConfigurationPolicyInput, optFns ...func(*securityhub.Options)) (*securityhub.CreateConfigurationPolicyOutput, error)
	UpdateConfigurationPolicy(ctx context.Context, in *securityhub.UpdateConfigurationPolicyInput, optFns ...func(*securityhub.Options)) (*securityhub.UpdateConfigurationPolicyOutput, error)
	GetConfigurationPolicyAssociation(ctx context.Context, in *securityhub.GetConfigurationPolicyAssociationInput, optFns ...func(*securityhub.Options)) (*securityhub.GetConfigurationPolicyAssociationOutput, error)
	StartConfigurationPolicyAssociation(ctx context.Context, in *securityhub.StartConfigurationPolicyAssociationInput, optFns ...func(*securityhub.Options)) (*securityhub.StartConfigurationPolicyAssociationOutput, error)
}

var _ CentralAPI = (*securityhub.Client)(nil)

// RootsAPI lists the organization's root, from the management account.
// ("ListRoots", AWS Organizations API Reference.)
type RootsAPI interface {
	organizations.ListRootsAPIClient
}

var _ RootsAPI = (*organizations.Client)(nil)

// CentralDeps are the central step's clients.
type CentralDeps struct {
	SecurityHub CentralAPI
	Roots       RootsAPI
}

// central is one call of the central step.
type central struct {
	d       CentralDeps
	cfg     settings.Config
	item    workflow.Item
	apply   bool
	out     workflow.Outcome
	res     workflow.StepResult
	pending []string
	log     *slog.Logger
}

// ConfigureCentral converges central configuration from the delegated
// administrator in the home region (the item's). While Security Hub is
// still applying a change (the organization configuration or an
// association PENDING) the result is Pending and the state machine calls
// again after CentralPoll's interval; what is still pending after its
// MaxPolls is the row's failure.
func ConfigureCentral(ctx context.Context, d CentralDeps, cfg settings.Config, item workflow.Item, log *slog.Logger) (workflow.StepResult, error) {
	c := &central{d: d, cfg: cfg, item: item, apply: item.Input.Mode == workflow.ModeApply, log: log,
		res: workflow.StepResult{Step: CentralSpec.Name, Mode: item.Input.Mode, Outcomes: []workflow.Outcome{}},
		out: workflow.Outcome{Account: cfg.Accounts.Security, Region: item.Region, Service: settings.ServiceSecurityHub}}
	if reason := step.SkippedItem(cfg, item.Input, settings.ServiceSecurityHub, item.Region == ""); reason != "" {
		c.out.Status, c.out.Reason = workflow.StatusSkipped, reason
		if item.Region == "" {
			c.out.Region = "-"
		}
		c.res.Add(c.out)
		return c.res, nil
	}
	// The actions of the earlier calls of this run (Poll), in order.
	if item.Previous != nil {
		for _, o := range item.Previous.Outcomes {
			c.out.Actions = append(c.out.Actions, o.Actions...)
		}
	}
	err := c.converge(ctx)
	var notAdmin *shtypes.InvalidAccessException
	switch {
	case errors.As(err, &notAdmin) && !c.apply:
		// A plan on an organization whose administrator securityhub-admin
		// has not set yet: everything is to be done.
		c.planAll()
	case errors.As(err, &notAdmin):
		// securityhub-admin set the administrator earlier in this run;
		// Security Hub may not act on it at once.
		return c.res, &workflow.NotReadyError{Op: "Security Hub central configuration in " + item.Region, Err: fmt.Errorf("the security account is not acting as Security Hub's delegated administrator yet: %w", err)}
	case err != nil:
		return c.res, settle(&c.out, &c.res, err)
	}
	switch {
	case len(c.pending) > 0 && !c.apply:
	case len(c.pending) > 0 && item.Polls+1 >= CentralPoll.MaxPolls:
		c.out.Status = workflow.StatusFailed
		c.out.Reason = fmt.Sprintf("still pending after %d checks: %s", item.Polls+1, strings.Join(c.pending, "; "))
	case len(c.pending) > 0:
		c.res.Pending, c.res.Polls = true, item.Polls+1
	}
	c.res.Add(c.out)
	return c.res, nil
}

// planAll plans every part, for an organization without the delegated
// administrator yet.
func (c *central) planAll() {
	c.out.Actions = nil
	var others []string
	for _, r := range c.item.Regions {
		if r != c.item.Region {
			others = append(others, r)
		}
	}
	c.act(CallCreateAggregator, linkSpecified+" "+strings.Join(others, ","))
	if c.cfg.Services.SecurityHub.Local() {
		return
	}
	c.act(CallCentral, "CENTRAL")
	c.act(CallCreatePolicy, PolicyName)
	for _, t := range c.cfg.Services.SecurityHub.Targets {
		c.act(CallAssociate, PolicyName+" to "+t)
	}
	for _, t := range scopeTargets(c.cfg) {
		c.act(CallAssociate, "self-managed ("+settings.ScopeReason+") to "+t.name)
	}
}

// converge works through the parts in their order; each waits for the one
// before it.
func (c *central) converge(ctx context.Context) error {
	if err := c.aggregator(ctx); err != nil {
		return err
	}
	if c.cfg.Services.SecurityHub.Local() {
		// Local configuration: the aggregator only; securityhub-local
		// keeps the organization configuration. An organization found in
		// central configuration is the row's failure, never switched.
		return c.notCentral(ctx)
	}
	ready, err := c.organizationConfiguration(ctx)
	if err != nil || !ready {
		return err
	}
	id, err := c.policy(ctx)
	if err != nil || id == "" {
		return err
	}
	return c.associations(ctx, id)
}

func (c *central) act(call, target string) {
	c.out.Actions = append(c.out.Actions, workflow.Action{Call: call, Target: target})
	if c.apply {
		c.log.Info("Security Hub central configuration changed", "call", call, "target", target)
	}
}

// aggregator makes the finding aggregator in the home region link the run's
// other regions. A run narrowed to some regions only adds them; ALL_REGIONS
// is kept as it is.
func (c *central) aggregator(ctx context.Context) error {
	var others []string
	for _, r := range c.item.Regions {
		if r != c.item.Region {
			others = append(others, r)
		}
	}
	arn, err := c.anyAggregator(ctx)
	if err != nil {
		return err
	}
	if arn == "" {
		mode, regions := linkSpecified, others
		if len(others) == 0 {
			mode, regions = linkNone, nil
		}
		c.act(CallCreateAggregator, fmt.Sprintf("%s %s", mode, strings.Join(regions, ",")))
		if c.apply {
			if _, err := c.d.SecurityHub.CreateFindingAggregator(ctx, &securityhub.CreateFindingAggregatorInput{RegionLinkingMode: aws.String(mode), Regions: regions}); err != nil {
				// A call whose answer was lost and that was sent again
				// finds the aggregator made: success when a fresh read
				// shows one (the next call compares its regions).
				if again, lerr := c.anyAggregator(ctx); lerr != nil || again == "" {
					return awsclient.Classify("create the finding aggregator in "+c.item.Region, err)
				}
			}
		}
		return nil
	}
	got, err := c.d.SecurityHub.GetFindingAggregator(ctx, &securityhub.GetFindingAggregatorInput{FindingAggregatorArn: aws.String(arn)})
	if err != nil {
		return err
	}
	if r := aws.ToString(got.FindingAggregationRegion); r != "" && r != c.item.Region {
		return &workflow.ConflictError{Conflicts: []workflow.Conflict{{
			Service: settings.ServiceSecurityHub, Resource: "finding aggregation region",
			Found: r, Wanted: c.item.Region, Hint: "central configuration is set from the aggregation region: set homeRegion to it, or delete the aggregator",
		}}}
	}
	mode := aws.ToString(got.RegionLinkingMode)
	if mode == linkAll {
		return nil
	}
	want := slices.Clone(others)
	if len(c.item.Input.Regions) > 0 && mode == linkSpecified {
		want = union(got.Regions, others)
	}
	if mode == linkSpecified && sameSet(got.Regions, want) || mode == linkNone && len(want) == 0 {
		return nil
	}
	newMode, regions := linkSpecified, want
	if len(want) == 0 {
		newMode, regions = linkNone, nil
	}
	c.act(CallUpdateAggregator, fmt.Sprintf("%s %s", newMode, strings.Join(regions, ",")))
	if c.apply {
		if _, err := c.d.SecurityHub.UpdateFindingAggregator(ctx, &securityhub.UpdateFindingAggregatorInput{
			FindingAggregatorArn: aws.String(arn), RegionLinkingMode: aws.String(newMode), Regions: regions,
		}); err != nil {
			return awsclient.Classify("update the finding aggregator in "+c.item.Region, err)
		}
	}
	return nil
}

// anyAggregator returns the ARN of the account's finding aggregator, "" when
// it has none (an account has at most one).
func (c *central) anyAggregator(ctx context.Context) (string, error) {
	pages := securityhub.NewListFindingAggregatorsPaginator(c.d.SecurityHub, &securityhub.ListFindingAggregatorsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return "", err
		}
		for _, a := range page.FindingAggregators {
			return aws.ToString(a.FindingAggregatorArn), nil
		}
	}
	return "", nil
}

// organizationConfiguration switches the organization to central
// configuration, and reports whether it is in force (ENABLED). Central
// configuration takes AutoEnable false and AutoEnableStandards NONE: the
// policies decide ("UpdateOrganizationConfiguration").
func (c *central) organizationConfiguration(ctx context.Context) (bool, error) {
	got, err := c.d.SecurityHub.DescribeOrganizationConfiguration(ctx, &securityhub.DescribeOrganizationConfigurationInput{})
	if err != nil {
		return false, err
	}
	oc := got.OrganizationConfiguration
	if oc != nil && oc.ConfigurationType == shtypes.OrganizationConfigurationConfigurationTypeCentral {
		switch oc.Status {
		case shtypes.OrganizationConfigurationStatusEnabled:
			return true, nil
		case shtypes.OrganizationConfigurationStatusPending:
			c.pending = append(c.pending, "the organization configuration is PENDING")
			return false, nil
		case shtypes.OrganizationConfigurationStatusFailed:
			return false, &workflow.TerminalError{Op: "switch to central configuration", Err: fmt.Errorf("Security Hub reports FAILED: %s", aws.ToString(oc.StatusMessage))}
		}
	}
	c.act(CallCentral, "CENTRAL")
	if !c.apply {
		return false, nil
	}
	if _, err := c.d.SecurityHub.UpdateOrganizationConfiguration(ctx, &securityhub.UpdateOrganizationConfigurationInput{
		AutoEnable: aws.Bool(false), AutoEnableStandards: shtypes.AutoEnableStandardsNone,
		OrganizationConfiguration: &shtypes.OrganizationConfiguration{ConfigurationType: shtypes.OrganizationConfigurationConfigurationTypeCentral},
	}); err != nil {
		return false, awsclient.Classify("switch to central configuration in "+c.item.Region, err)
	}
	c.pending = append(c.pending, "the organization configuration was switched to CENTRAL")
	return false, nil
}

// notCentral fails the row when the organization is in central
// configuration while local configuration is configured (centralFound).
func (c *central) notCentral(ctx context.Context) error {
	got, err := c.d.SecurityHub.DescribeOrganizationConfiguration(ctx, &securityhub.DescribeOrganizationConfigurationInput{})
	if err != nil {
		return err
	}
	if oc := got.OrganizationConfiguration; oc != nil && oc.ConfigurationType == shtypes.OrganizationConfigurationConfigurationTypeCentral {
		c.out.Status, c.out.Reason = workflow.StatusFailed, centralFound(c.item.Region)
	}
	return nil
}

// centralFound is the reason of a row that finds the organization in
// central configuration while the configuration says local. orgbaseline
// does not switch it: "Disabling central configuration in Security Hub
// CSPM" (Security Hub CSPM User Guide) requires the accounts, OUs and root
// disassociated from their configuration and the configuration policies
// deleted first; the accounts then keep their settings but become
// self-managed, and the delegated administrator no longer configures them.
// That is the operator's decision, made once for the organization.
func centralFound(region string) string {
	return fmt.Sprintf("the organization uses Security Hub central configuration in %s, but services.securityhub.configuration is local: "+
		"orgbaseline does not switch it. Either set configuration: central, or disable central configuration from the delegated administrator in its home region "+
		"(\"Disabling central configuration in Security Hub CSPM\": disassociate the root, OUs and accounts from their configuration, delete the configuration policies, %q among them, "+
		"then switch the organization configuration to LOCAL) and run again", region, PolicyName)
}

// wantPolicy is the configuration policy under the configuration.
func (c *central) wantPolicy() *shtypes.PolicyMemberSecurityHub {
	o := c.cfg.Services.SecurityHub
	stds := make([]string, len(o.Standards))
	for i, s := range o.Standards {
		stds[i] = StandardARN(s, c.cfg.HomeRegion)
	}
	return &shtypes.PolicyMemberSecurityHub{Value: shtypes.SecurityHubPolicy{
		ServiceEnabled:             aws.Bool(true),
		EnabledStandardIdentifiers: stds,
		SecurityControlsConfiguration: &shtypes.SecurityControlsConfiguration{
			DisabledSecurityControlIdentifiers: append([]string{}, o.DisabledControls...),
		},
	}}
}

// StandardARN completes a standard's path into its ARN in region
// ("standards/..." are regional, "ruleset/..." global); an ARN is kept.
func StandardARN(s, region string) string {
	switch {
	case strings.HasPrefix(s, "arn:"):
		return s
	case strings.HasPrefix(s, "ruleset/"):
		return "arn:aws:securityhub:::" + s
	}
	return "arn:aws:securityhub:" + region + "::" + s
}

// samePolicy reports whether a policy read back matches want.
func samePolicy(got shtypes.Policy, want *shtypes.PolicyMemberSecurityHub) bool {
	g, ok := got.(*shtypes.PolicyMemberSecurityHub)
	if !ok {
		return false
	}
	gv, wv := g.Value, want.Value
	var gotDisabled, gotEnabledControls []string
	if gv.SecurityControlsConfiguration != nil {
		gotDisabled = gv.SecurityControlsConfiguration.DisabledSecurityControlIdentifiers
		gotEnabledControls = gv.SecurityControlsConfiguration.EnabledSecurityControlIdentifiers
	}
	return aws.ToBool(gv.ServiceEnabled) && sameSet(gv.EnabledStandardIdentifiers, wv.EnabledStandardIdentifiers) &&
		len(gotEnabledControls) == 0 && sameSet(gotDisabled, wv.SecurityControlsConfiguration.DisabledSecurityControlIdentifiers)
}

// policy creates or converges orgbaseline's configuration policy and
// returns its ID ("" in plan mode before it exists).
func (c *central) policy(ctx context.Context) (string, error) {
	want := c.wantPolicy()
	id, err := c.policyID(ctx)
	if err != nil {
		return "", err
	}
	if id == "" {
		c.act(CallCreatePolicy, PolicyName)
		if !c.apply {
			return "", nil
		}
		got, err := c.d.SecurityHub.CreateConfigurationPolicy(ctx, &securityhub.CreateConfigurationPolicyInput{
			Name: aws.String(PolicyName), Description: aws.String("orgbaseline: Security Hub on, with the configured standards and controls"),
			ConfigurationPolicy: want,
		})
		if err != nil {
			// Sent again after a lost answer, the create finds its
			// name taken: the policy made is the one to use.
			if again, lerr := c.policyID(ctx); lerr == nil && again != "" {
				return again, nil
			}
			return "", awsclient.Classify("create the configuration policy "+PolicyName, err)
		}
		return aws.ToString(got.Id), nil
	}
	got, err := c.d.SecurityHub.GetConfigurationPolicy(ctx, &securityhub.GetConfigurationPolicyInput{Identifier: aws.String(id)})
	if err != nil {
		return "", err
	}
	if samePolicy(got.ConfigurationPolicy, want) {
		return id, nil
	}
	c.act(CallUpdatePolicy, PolicyName)
	if c.apply {
		if _, err := c.d.SecurityHub.UpdateConfigurationPolicy(ctx, &securityhub.UpdateConfigurationPolicyInput{
			Identifier: aws.String(id), ConfigurationPolicy: want, UpdatedReason: aws.String("orgbaseline: the configuration changed"),
		}); err != nil {
			return "", awsclient.Classify("update the configuration policy "+PolicyName, err)
		}
	}
	return id, nil
}

// policyID returns the ID of orgbaseline's configuration policy, "" when
// there is none.
func (c *central) policyID(ctx context.Context) (string, error) {
	pages := securityhub.NewListConfigurationPoliciesPaginator(c.d.SecurityHub, &securityhub.ListConfigurationPoliciesInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return "", err
		}
		for _, p := range page.ConfigurationPolicySummaries {
			if aws.ToString(p.Name) == PolicyName {
				return aws.ToString(p.Id), nil
			}
		}
	}
	return "", nil
}

// SelfManaged is the configuration an excluded OU or account is associated
// with: "a value of SELF_MANAGED_SECURITY_HUB for a self-managed
// configuration" ("StartConfigurationPolicyAssociation", AWS Security Hub
// CSPM API Reference); the policy then neither enables Security Hub there
// nor configures it, and an account inherits the association of its
// nearest OU.
const SelfManaged = "SELF_MANAGED_SECURITY_HUB"

// associations applies policy id to each target, and self-managed
// behavior to each OU and account the configuration's scope excludes
// (scopeTargets); an association Security Hub is still applying is
// pending, a failed one is the row's failure.
func (c *central) associations(ctx context.Context, id string) error {
	targets, err := c.targets(ctx)
	if err != nil {
		return err
	}
	for i := range targets {
		targets[i].policy = id
	}
	targets = append(targets, scopeTargets(c.cfg)...)
	var failed []string
	for _, t := range targets {
		id, name := t.policy, PolicyName
		if id == SelfManaged {
			name = "self-managed (" + settings.ScopeReason + ")"
		}
		got, err := c.d.SecurityHub.GetConfigurationPolicyAssociation(ctx, &securityhub.GetConfigurationPolicyAssociationInput{Target: t.target})
		if err != nil && !notFound(err) {
			return err
		}
		if err == nil && aws.ToString(got.ConfigurationPolicyId) == id && got.AssociationType == shtypes.AssociationTypeApplied {
			switch got.AssociationStatus {
			case shtypes.ConfigurationPolicyAssociationStatusSuccess:
				continue
			case shtypes.ConfigurationPolicyAssociationStatusPending:
				c.pending = append(c.pending, "the association with "+t.name+" is PENDING")
				continue
			case shtypes.ConfigurationPolicyAssociationStatusFailed:
				failed = append(failed, t.name+": "+aws.ToString(got.AssociationStatusMessage))
				continue
			}
		}
		c.act(CallAssociate, name+" to "+t.name)
		if c.apply {
			if _, err := c.d.SecurityHub.StartConfigurationPolicyAssociation(ctx, &securityhub.StartConfigurationPolicyAssociationInput{
				ConfigurationPolicyIdentifier: aws.String(id), Target: t.target,
			}); err != nil {
				return awsclient.Classify("associate the configuration policy with "+t.name, err)
			}
			c.pending = append(c.pending, "the association with "+t.name+" was started")
		}
	}
	if len(failed) > 0 {
		return &workflow.TerminalError{Op: "associate the configuration policy", Err: fmt.Errorf("Security Hub reports FAILED for %s", strings.Join(failed, "; "))}
	}
	return nil
}

type target struct {
	name   string
	target shtypes.Target
	// policy is the configuration to associate: the policy's ID, or
	// SelfManaged.
	policy string
}

// scopeTargets are the OUs and accounts the configuration's scope
// excludes, each to be self-managed: an account of an excluded OU
// inherits the OU's association, so only the OUs and the accounts named
// by ID are associated.
func scopeTargets(cfg settings.Config) []target {
	var out []target
	for _, ou := range cfg.Scope.ExcludeOUs {
		out = append(out, target{name: ou, target: &shtypes.TargetMemberOrganizationalUnitId{Value: ou}, policy: SelfManaged})
	}
	for _, a := range cfg.Scope.ExcludeAccounts {
		out = append(out, target{name: "account " + a, target: &shtypes.TargetMemberAccountId{Value: a}, policy: SelfManaged})
	}
	return out
}

// targets are the configured targets; "root" is the organization's root,
// read from the management account.
func (c *central) targets(ctx context.Context) ([]target, error) {
	var out []target
	for _, t := range c.cfg.Services.SecurityHub.Targets {
		if t != settings.TargetRoot {
			out = append(out, target{name: t, target: &shtypes.TargetMemberOrganizationalUnitId{Value: t}})
			continue
		}
		roots, err := c.d.Roots.ListRoots(ctx, &organizations.ListRootsInput{})
		if err != nil {
			return nil, awsclient.Classify("read the organization's root", err)
		}
		if len(roots.Roots) == 0 {
			return nil, &workflow.TerminalError{Op: "read the organization's root", Err: fmt.Errorf("the organization has no root")}
		}
		id := aws.ToString(roots.Roots[0].Id)
		out = append(out, target{name: "root " + id, target: &shtypes.TargetMemberRootId{Value: id}})
	}
	return out, nil
}

func notFound(err error) bool {
	var nf *shtypes.ResourceNotFoundException
	return errors.As(err, &nf)
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}

func union(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}
