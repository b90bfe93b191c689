package notify

import (
	"fmt"

	"github.com/orgbaseline/orgbaseline/shared/eventbus"
)

// DefaultMinSeverity is the GuardDuty severity from which findings are
// sent: High and Critical.
const DefaultMinSeverity = 7.0

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

// ValidateMinSeverity checks a configured GuardDuty severity threshold.
func ValidateMinSeverity(min float64) error {
	if min < 1 || min > 10 {
		return fmt.Errorf("%v is outside GuardDuty's severities, 1.0 to 10.0", min)
	}
	return nil
}
