package notify

import (
	"encoding/json"
	"net/url"
	"strings"

	"github.com/orgbaseline/orgbaseline/shared/eventbus"
)

// AWS Health events ("Monitoring AWS Health events with Amazon
// EventBridge", AWS Health User Guide).
const (
	HealthSource     = "aws.health"
	HealthDetailType = "AWS Health Event"
)

// healthDetail is the part of an AWS Health event the message shows.
type healthDetail struct {
	EventArn          string `json:"eventArn"`
	Service           string `json:"service"`
	EventTypeCode     string `json:"eventTypeCode"`
	EventTypeCategory string `json:"eventTypeCategory"`
	StartTime         string `json:"startTime"`
	LastUpdatedTime   string `json:"lastUpdatedTime"`
	StatusCode        string `json:"statusCode"`
	EventRegion       string `json:"eventRegion"`
	AffectedAccount   string `json:"affectedAccount"`
	EventDescription  []struct {
		Language          string `json:"language"`
		LatestDescription string `json:"latestDescription"`
	} `json:"eventDescription"`
	AffectedEntities []struct {
		EntityValue string `json:"entityValue"`
	} `json:"affectedEntities"`
}

// DecodeHealth reads an AWS Health event.
func DecodeHealth(b []byte) (Notification, error) {
	env, err := eventbus.DecodeEnvelope(b)
	if err != nil {
		return Notification{}, err
	}
	if env.Source != HealthSource || env.DetailType != HealthDetailType {
		return Notification{}, &eventbus.NotMatchedError{Source: env.Source, DetailType: env.DetailType, Reason: "not an AWS Health event"}
	}
	var d healthDetail
	if err := json.Unmarshal(env.Detail, &d); err != nil {
		return Notification{}, eventbus.JSONError("detail", err)
	}
	if d.EventTypeCode == "" {
		return Notification{}, &eventbus.DecodeError{Field: "detail.eventTypeCode", Reason: "missing"}
	}
	n := Notification{
		Kind: "AWS Health", Label: strings.ToUpper(first(d.EventTypeCategory, "event")), Type: d.EventTypeCode,
		Title:   strings.TrimSpace(d.Service + " " + d.StatusCode + ": " + d.EventTypeCode),
		Account: first(d.AffectedAccount, env.Account), Region: first(d.EventRegion, env.Region),
		FirstSeen: d.StartTime, LastSeen: d.LastUpdatedTime, ID: d.EventArn,
	}
	for _, desc := range d.EventDescription {
		if desc.Language == "" || strings.HasPrefix(desc.Language, "en") {
			n.Description = strings.TrimSpace(desc.LatestDescription)
			break
		}
	}
	var entities []string
	for _, e := range d.AffectedEntities {
		entities = append(entities, e.EntityValue)
	}
	n.Resource = strings.Join(entities, ", ")
	n.Link = "https://health.aws.amazon.com/health/home#/account/event-log?eventID=" + url.QueryEscape(d.EventArn)
	return n, nil
}
