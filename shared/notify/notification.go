package notify

import "fmt"

// Notification is one finding or event, as a person reads it; every
// decoder produces it and Format renders it.
type Notification struct {
	// Kind names the source: "GuardDuty", "Security Hub", "AWS Health".
	Kind string
	// Label is the severity label: LOW, MEDIUM, HIGH, CRITICAL (and
	// INFORMATIONAL for Security Hub); for AWS Health, the event's
	// category in capitals (ISSUE, SCHEDULEDCHANGE, ...).
	Label string
	// Severity is the service's own value, as text ("8.0"), "" if none.
	Severity    string
	Type        string
	Title       string
	Description string
	Account     string
	Region      string
	// Resource is what the finding is about, e.g. "Instance i-99999999".
	Resource  string
	FirstSeen string
	LastSeen  string
	// Count is how many times the activity was seen, 0 if not said.
	Count int
	// ID identifies the finding or event at its service.
	ID string
	// Link opens it in the AWS console.
	Link string
}

// Subject is the notification's one-line summary: "[HIGH] GuardDuty
// UnauthorizedAccess:EC2/SSHBruteForce in 123456789012 us-east-1".
func (n Notification) Subject() string {
	return fmt.Sprintf("[%s] %s %s in %s %s", n.Label, n.Kind, n.Type, n.Account, n.Region)
}
