package baseline

import (
	"fmt"
	"slices"

	"github.com/orgbaseline/orgbaseline/shared/configsvc"
	"github.com/orgbaseline/orgbaseline/shared/orgtrail"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// A step's actions are granted on Resource * in its StepActions statement,
// except the actions of ScopeRequired: each of those is granted in a
// statement of its own (a ScopedGrant), on the resources the step needs and
// under a condition that names the service. iam:PassRole on * would let a
// step hand any role of the management account to any service, and
// iam:CreateServiceLinkedRole on * would let it create the service-linked
// role of any service.
//
// Which role a step passes, and whose service-linked role it creates,
// depends on the step, so the grants are listed per step in ScopedGrants. A
// step that declares one of these actions without a grant for it, or a grant
// for an action it does not declare, is rejected by NewBaseline.

// ScopeRequired are the actions never granted on Resource *.
var ScopeRequired = []string{"iam:PassRole", "iam:CreateServiceLinkedRole"}

// ScopedGrant grants one action of a step on named resources only.
type ScopedGrant struct {
	// Sid is the statement ID.
	Sid string
	// Action is one of ScopeRequired.
	Action string
	// Resources are the ARNs the action is allowed on.
	Resources []string
	// Condition is the statement's condition block.
	Condition map[string]any
}

const cloudTrailService = "cloudtrail.amazonaws.com"

// ScopedGrants returns the grants of the step named step, for the
// configuration c, or nil if the step declares none of ScopeRequired.
//
// org-trail passes only the role CloudTrail assumes to deliver to CloudWatch
// Logs, and only to CloudTrail; it may create only CloudTrail's
// service-linked role, which an organization trail needs, in this account.
// Managed from the security account, the step passes no role from the
// management account: the security account's execution role makes
// CreateTrail and UpdateTrail and passes the security account's role, so
// iam:PassRole is unneeded (UnneededActions) and has no grant.
func ScopedGrants(step string, c settings.Config) []ScopedGrant {
	switch step {
	case orgtrail.Spec.Name:
		var grants []ScopedGrant
		if !slices.Contains(UnneededActions(step, c), "iam:PassRole") {
			grants = append(grants, ScopedGrant{
				Sid:       "PassCloudWatchLogsRoleToCloudTrail",
				Action:    "iam:PassRole",
				Resources: []string{orgtrail.CloudWatchLogsRoleARN(c)},
				Condition: map[string]any{"StringEquals": map[string]any{"iam:PassedToService": cloudTrailService}},
			})
		}
		return append(grants, ScopedGrant{
			Sid:       "CreateCloudTrailServiceLinkedRole",
			Action:    "iam:CreateServiceLinkedRole",
			Resources: []string{serviceLinkedRoleARN(c.Accounts.Management, cloudTrailService, "AWSServiceRoleForCloudTrail")},
			Condition: map[string]any{"StringEquals": map[string]any{"iam:AWSServiceName": cloudTrailService}},
		})
	case configsvc.RecordersSpec.Name:
		// In the management account; elsewhere the execution role does it.
		slr := configsvc.ServiceLinkedRoleARN(c.Accounts.Management)
		return []ScopedGrant{
			{
				Sid:       "CreateConfigServiceLinkedRole",
				Action:    "iam:CreateServiceLinkedRole",
				Resources: []string{slr},
				Condition: map[string]any{"StringEquals": map[string]any{"iam:AWSServiceName": configsvc.Principal}},
			},
			{
				Sid:       "PassConfigServiceLinkedRoleToRecorder",
				Action:    "iam:PassRole",
				Resources: []string{slr},
				Condition: map[string]any{"StringEquals": map[string]any{"iam:PassedToService": configsvc.Principal}},
			},
		}
	}
	return nil
}

// UnneededActions returns the actions the step declares that the
// configuration c makes unnecessary: they are granted nowhere. org-trail
// managed from the security account does not pass the CloudWatch Logs role
// from the management account.
func UnneededActions(step string, c settings.Config) []string {
	if step == orgtrail.Spec.Name && c.Services.CloudTrail.ManagedFromSecurity() {
		return []string{"iam:PassRole"}
	}
	return nil
}

// NeededActions returns the step's actions under c: its declared actions
// but the UnneededActions, in the step's order.
func NeededActions(step workflow.StepSpec, c settings.Config) []string {
	unneeded := UnneededActions(step.Name, c)
	var out []string
	for _, a := range step.Actions {
		if !slices.Contains(unneeded, a) {
			out = append(out, a)
		}
	}
	return out
}

// serviceLinkedRoleARN is the ARN of a service's service-linked role. The
// partition is aws, as in package orgtrail.
func serviceLinkedRoleARN(account, service, role string) string {
	return fmt.Sprintf("arn:aws:iam::%s:role/aws-service-role/%s/%s", account, service, role)
}

// UnscopedActions returns the step's actions granted on Resource *: all of
// its NeededActions but those of its ScopedGrants, in the step's order.
func UnscopedActions(step workflow.StepSpec, c settings.Config) []string {
	grants := ScopedGrants(step.Name, c)
	var out []string
	for _, a := range NeededActions(step, c) {
		if !slices.ContainsFunc(grants, func(g ScopedGrant) bool { return g.Action == a }) {
			out = append(out, a)
		}
	}
	return out
}

// scopeProblems reports the actions of ScopeRequired the step needs
// without a grant, grants for actions the step does not declare or does
// not need, and unneeded actions the step does not declare.
func scopeProblems(step workflow.StepSpec, c settings.Config) []string {
	var problems []string
	grants := ScopedGrants(step.Name, c)
	needed := NeededActions(step, c)
	for _, a := range UnneededActions(step.Name, c) {
		if !slices.Contains(step.Actions, a) {
			problems = append(problems, fmt.Sprintf("%s is listed as unneeded, but the step does not declare it", a))
		}
	}
	for _, a := range ScopeRequired {
		if slices.Contains(needed, a) && !slices.ContainsFunc(grants, func(g ScopedGrant) bool { return g.Action == a }) {
			problems = append(problems, fmt.Sprintf("%s is never granted on Resource *: add the resources and condition "+
				"of the step's %s to baseline.ScopedGrants", a, a))
		}
	}
	for _, g := range grants {
		if !slices.Contains(ScopeRequired, g.Action) {
			problems = append(problems, fmt.Sprintf("grant %s is for %s, which is not one of %v", g.Sid, g.Action, ScopeRequired))
		}
		switch {
		case !slices.Contains(step.Actions, g.Action):
			problems = append(problems, fmt.Sprintf("grant %s is for %s, which the step does not declare in Actions", g.Sid, g.Action))
		case !slices.Contains(needed, g.Action):
			problems = append(problems, fmt.Sprintf("grant %s is for %s, which the configuration makes unneeded", g.Sid, g.Action))
		}
	}
	return problems
}
