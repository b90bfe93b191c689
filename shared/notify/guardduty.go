package notify

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/orgbaseline/orgbaseline/shared/eventbus"
)

// GuardDuty finding events ("Creating custom responses to GuardDuty
// findings with Amazon EventBridge", Amazon GuardDuty User Guide).
const (
	GuardDutySource     = "aws.guardduty"
	GuardDutyDetailType = "GuardDuty Finding"
)

// guardDutyDetail is the part of a GuardDuty finding ("GuardDuty finding
// format"; the Finding type of the GuardDuty API Reference) the message
// shows.
type guardDutyDetail struct {
	ID          string   `json:"id"`
	AccountID   string   `json:"accountId"`
	Region      string   `json:"region"`
	Type        string   `json:"type"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Severity    *float64 `json:"severity"`
	Resource    struct {
		ResourceType    string `json:"resourceType"`
		InstanceDetails *struct {
			InstanceID string `json:"instanceId"`
		} `json:"instanceDetails"`
		AccessKeyDetails *struct {
			AccessKeyID string `json:"accessKeyId"`
			UserName    string `json:"userName"`
		} `json:"accessKeyDetails"`
		S3BucketDetails []struct {
			Name string `json:"name"`
		} `json:"s3BucketDetails"`
		EKSClusterDetails *struct {
			Name string `json:"name"`
		} `json:"eksClusterDetails"`
		LambdaDetails *struct {
			FunctionName string `json:"functionName"`
		} `json:"lambdaDetails"`
		RDSDbInstanceDetails *struct {
			DBInstanceIdentifier string `json:"dbInstanceIdentifier"`
		} `json:"rdsDbInstanceDetails"`
	} `json:"resource"`
	Service struct {
		EventFirstSeen string `json:"eventFirstSeen"`
		EventLastSeen  string `json:"eventLastSeen"`
		Count          int    `json:"count"`
		Archived       bool   `json:"archived"`
	} `json:"service"`
}

// GuardDutyLabel is the severity label of a GuardDuty severity value
// ("Severity levels for GuardDuty findings", Amazon GuardDuty User Guide):
// Critical 9.0–10.0, High 7.0–8.9, Medium 4.0–6.9, Low 1.0–3.9.
func GuardDutyLabel(severity float64) string {
	switch {
	case severity >= 9:
		return "CRITICAL"
	case severity >= 7:
		return "HIGH"
	case severity >= 4:
		return "MEDIUM"
	default:
		return "LOW"
	}
}

// DecodeGuardDuty reads a GuardDuty Finding event. A malformed event is a
// *eventbus.DecodeError; an event of another kind a *eventbus.NotMatchedError.
func DecodeGuardDuty(b []byte) (Notification, error) {
	env, err := eventbus.DecodeEnvelope(b)
	if err != nil {
		return Notification{}, err
	}
	if env.Source != GuardDutySource || env.DetailType != GuardDutyDetailType {
		return Notification{}, &eventbus.NotMatchedError{Source: env.Source, DetailType: env.DetailType, Reason: "not a GuardDuty finding"}
	}
	var d guardDutyDetail
	if err := json.Unmarshal(env.Detail, &d); err != nil {
		return Notification{}, eventbus.JSONError("detail", err)
	}
	switch {
	case d.Type == "":
		return Notification{}, &eventbus.DecodeError{Field: "detail.type", Reason: "missing"}
	case d.Severity == nil:
		return Notification{}, &eventbus.DecodeError{Field: "detail.severity", Reason: "missing"}
	case *d.Severity < 0 || *d.Severity > 10:
		return Notification{}, &eventbus.DecodeError{Field: "detail.severity", Reason: fmt.Sprintf("%v is outside GuardDuty's 0 to 10", *d.Severity)}
	}
	n := Notification{
		Kind: "GuardDuty", Label: GuardDutyLabel(*d.Severity), Severity: strconv.FormatFloat(*d.Severity, 'f', 1, 64),
		Type: d.Type, Title: strings.TrimSpace(d.Title), Description: strings.TrimSpace(d.Description),
		Account: first(d.AccountID, env.Account), Region: first(d.Region, env.Region),
		FirstSeen: d.Service.EventFirstSeen, LastSeen: d.Service.EventLastSeen, Count: d.Service.Count,
		ID: d.ID, Resource: guardDutyResource(d),
	}
	if n.Account == "" {
		return Notification{}, &eventbus.DecodeError{Field: "account", Reason: "missing (neither the event's nor detail.accountId)"}
	}
	if n.Region == "" {
		return Notification{}, &eventbus.DecodeError{Field: "region", Reason: "missing (neither the event's nor detail.region)"}
	}
	n.Link = guardDutyLink(n.Region, n.ID)
	return n, nil
}

// guardDutyResource names what the finding is about: the details of its
// resourceType ("GuardDuty finding format": Instance, AccessKey,
// S3Bucket, EKSCluster, Lambda, RDSDBInstance...), which a sample finding
// may carry beside details of other kinds.
func guardDutyResource(d guardDutyDetail) string {
	r := d.Resource
	instance := func() string {
		if r.InstanceDetails != nil {
			return r.InstanceDetails.InstanceID
		}
		return ""
	}
	accessKey := func() string {
		if r.AccessKeyDetails != nil {
			return strings.TrimSpace(r.AccessKeyDetails.UserName + " " + r.AccessKeyDetails.AccessKeyID)
		}
		return ""
	}
	bucket := func() string {
		var names []string
		for _, b := range r.S3BucketDetails {
			names = append(names, b.Name)
		}
		return strings.Join(names, ", ")
	}
	other := func() string {
		switch {
		case r.EKSClusterDetails != nil:
			return r.EKSClusterDetails.Name
		case r.LambdaDetails != nil:
			return r.LambdaDetails.FunctionName
		case r.RDSDbInstanceDetails != nil:
			return r.RDSDbInstanceDetails.DBInstanceIdentifier
		}
		return ""
	}
	var id string
	switch r.ResourceType {
	case "Instance":
		id = instance()
	case "AccessKey":
		id = accessKey()
	case "S3Bucket":
		id = bucket()
	default:
		id = first(other(), instance(), accessKey(), bucket())
	}
	return strings.TrimSpace(r.ResourceType + " " + id)
}

// guardDutyLink opens the finding in the GuardDuty console of its region,
// or the region's findings when the event has no finding ID.
func guardDutyLink(region, id string) string {
	base := "https://console.aws.amazon.com/guardduty/home?region=" + url.QueryEscape(region) + "#/findings?macros=current"
	if id == "" {
		return base
	}
	return base + "&fId=" + url.QueryEscape(id)
}

func first(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
