package notify

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/orgbaseline/orgbaseline/shared/eventbus"
)

// Security Hub finding events ("EventBridge event formats for Security Hub
// CSPM", AWS Security Hub CSPM User Guide): one event carries one or more
// findings in the AWS Security Finding Format.
const (
	SecurityHubSource     = "aws.securityhub"
	SecurityHubDetailType = "Security Hub Findings - Imported"
)

// SecurityHubLabels are the severity labels of a finding, least severe
// first ("Severity", AWS Security Finding Format).
var SecurityHubLabels = []string{"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"}

// asffFinding is the part of an AWS Security Finding Format finding the
// message shows.
type asffFinding struct {
	ID           string   `json:"Id"`
	AwsAccountID string   `json:"AwsAccountId"`
	Region       string   `json:"Region"`
	Title        string   `json:"Title"`
	Description  string   `json:"Description"`
	Types        []string `json:"Types"`
	GeneratorID  string   `json:"GeneratorId"`
	Severity     *struct {
		Label      string   `json:"Label"`
		Normalized *float64 `json:"Normalized"`
	} `json:"Severity"`
	Compliance *struct {
		SecurityControlID string `json:"SecurityControlId"`
	} `json:"Compliance"`
	Resources []struct {
		Type string `json:"Type"`
		ID   string `json:"Id"`
	} `json:"Resources"`
	FirstObservedAt string `json:"FirstObservedAt"`
	LastObservedAt  string `json:"LastObservedAt"`
}

// DecodeSecurityHub reads a "Security Hub Findings - Imported" event, one
// Notification per finding.
func DecodeSecurityHub(b []byte) ([]Notification, error) {
	env, err := eventbus.DecodeEnvelope(b)
	if err != nil {
		return nil, err
	}
	if env.Source != SecurityHubSource || env.DetailType != SecurityHubDetailType {
		return nil, &eventbus.NotMatchedError{Source: env.Source, DetailType: env.DetailType, Reason: "not a Security Hub finding"}
	}
	var d struct {
		Findings []asffFinding `json:"findings"`
	}
	if err := json.Unmarshal(env.Detail, &d); err != nil {
		return nil, eventbus.JSONError("detail", err)
	}
	if len(d.Findings) == 0 {
		return nil, &eventbus.DecodeError{Field: "detail.findings", Reason: "missing or empty"}
	}
	var out []Notification
	for i, f := range d.Findings {
		field := fmt.Sprintf("detail.findings[%d]", i)
		switch {
		case f.Severity == nil || f.Severity.Label == "":
			return nil, &eventbus.DecodeError{Field: field + ".Severity.Label", Reason: "missing"}
		case !knownLabel(f.Severity.Label):
			return nil, &eventbus.DecodeError{Field: field + ".Severity.Label", Reason: fmt.Sprintf("%q is not one of %s", f.Severity.Label, strings.Join(SecurityHubLabels, ", "))}
		case f.Title == "":
			return nil, &eventbus.DecodeError{Field: field + ".Title", Reason: "missing"}
		}
		n := Notification{
			Kind: "Security Hub", Label: f.Severity.Label, Title: f.Title, Description: strings.TrimSpace(f.Description),
			Account: first(f.AwsAccountID, env.Account), Region: first(f.Region, env.Region),
			FirstSeen: f.FirstObservedAt, LastSeen: f.LastObservedAt, ID: f.ID,
		}
		if f.Severity.Normalized != nil {
			n.Severity = strconv.FormatFloat(*f.Severity.Normalized, 'f', -1, 64)
		}
		switch {
		case f.Compliance != nil && f.Compliance.SecurityControlID != "":
			n.Type = f.Compliance.SecurityControlID
		case len(f.Types) > 0:
			n.Type = f.Types[0]
		default:
			n.Type = f.GeneratorID
		}
		var res []string
		for _, r := range f.Resources {
			res = append(res, strings.TrimSpace(r.Type+" "+r.ID))
		}
		n.Resource = strings.Join(res, ", ")
		if n.Account == "" || n.Region == "" {
			return nil, &eventbus.DecodeError{Field: field, Reason: "no account or region (neither the finding's nor the event's)"}
		}
		n.Link = "https://console.aws.amazon.com/securityhub/home?region=" + url.QueryEscape(n.Region) + "#/findings"
		out = append(out, n)
	}
	return out, nil
}

func knownLabel(label string) bool {
	for _, l := range SecurityHubLabels {
		if l == label {
			return true
		}
	}
	return false
}
