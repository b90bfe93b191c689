package notify

import "github.com/orgbaseline/orgbaseline/shared/eventbus"

// GuardDutyPattern matches GuardDuty findings of severity min or more
// (numeric matching, "Numeric matching" in the EventBridge User Guide).
func GuardDutyPattern(min float64) eventbus.Pattern {
	return eventbus.Pattern{
		"source":      []string{GuardDutySource},
		"detail-type": []string{GuardDutyDetailType},
		"detail":      map[string]any{"severity": []any{map[string]any{"numeric": []any{">=", min}}}},
	}
}

// SecurityHubPattern matches new, active Security Hub findings with one of
// labels ("EventBridge event formats for Security Hub CSPM").
func SecurityHubPattern(labels []string) eventbus.Pattern {
	return eventbus.Pattern{
		"source":      []string{SecurityHubSource},
		"detail-type": []string{SecurityHubDetailType},
		"detail": map[string]any{"findings": map[string]any{
			"Severity":    map[string]any{"Label": labels},
			"Workflow":    map[string]any{"Status": []string{"NEW"}},
			"RecordState": []string{"ACTIVE"},
		}},
	}
}

// HealthPattern matches AWS Health events.
func HealthPattern() eventbus.Pattern {
	return eventbus.Pattern{"source": []string{HealthSource}, "detail-type": []string{HealthDetailType}}
}
