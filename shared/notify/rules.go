package notify

import (
	"fmt"

	"github.com/orgbaseline/orgbaseline/shared/eventbus"
	"github.com/orgbaseline/orgbaseline/shared/settings"
)

// Rule is a finding rule: in the home region, its target is the
// notify-findings Lambda; in the other regions, the home region's bus.
type Rule struct {
	ID          string
	Description string
	Pattern     eventbus.Pattern
	// Forwarded: the rule is in the forwarding stacks too, as the
	// service emits its events in the region where they occur.
	Forwarded bool
}

// Rules are the finding rules c asks for: GuardDuty's from
// findings.severityThreshold, Security Hub's with findings.securityHubLabels
// set, AWS Health's with findings.healthEvents.
//
// Security Hub's rule is in the home region only: the finding aggregator
// (securityhub-central) links the run's regions to the home region, where
// the aggregated findings' events are emitted; a forwarded copy would be
// sent twice. GuardDuty's and Health's events are emitted in the region
// where they occur.
func Rules(c settings.Config) []Rule {
	min := settings.DefaultSeverityThreshold
	if c.Findings.SeverityThreshold != nil {
		min = *c.Findings.SeverityThreshold
	}
	rules := []Rule{{
		ID: "GuardDutyFindings", Forwarded: true, Pattern: GuardDutyPattern(min),
		Description: fmt.Sprintf("orgbaseline: GuardDuty findings of severity %v or more, to the findings topic", min),
	}}
	if len(c.Findings.SecurityHubLabels) > 0 {
		rules = append(rules, Rule{
			ID: "SecurityHubFindings", Pattern: SecurityHubPattern(c.Findings.SecurityHubLabels),
			Description: "orgbaseline: new, active Security Hub findings of the configured severities, to the findings topic",
		})
	}
	if c.Findings.HealthEvents {
		rules = append(rules, Rule{
			ID: "HealthEvents", Forwarded: true, Pattern: HealthPattern(),
			Description: "orgbaseline: AWS Health events, to the findings topic",
		})
	}
	return rules
}
