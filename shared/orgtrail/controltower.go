package orgtrail

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
)

// ControlTowerPrefix begins the names of the trails AWS Control Tower
// manages: from landing zone 3.0 an organization-level trail in the
// management account that "logs all events for the management account and
// all member accounts" ("About logging in AWS Control Tower", AWS Control
// Tower User Guide), aws-controltower-BaselineCloudTrail.
const ControlTowerPrefix = "aws-controltower-"

// controlTowerTrail returns the name of an organization trail of AWS
// Control Tower among every trail api's region shows, shadow trails
// included (a multi-region trail homed elsewhere shows as one), or "".
// One DescribeTrails call ("DescribeTrails", AWS CloudTrail API
// Reference: with no trail names and includeShadowTrails, the trails of
// the current region and the shadows of the others).
func controlTowerTrail(ctx context.Context, api DescribeTrailsAPI) (string, error) {
	out, err := api.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(true)})
	if err != nil {
		return "", awsclient.Classify("describe the trails (looking for AWS Control Tower's)", err)
	}
	for _, t := range out.TrailList {
		if name := aws.ToString(t.Name); aws.ToBool(t.IsOrganizationTrail) && strings.HasPrefix(name, ControlTowerPrefix) {
			return name, nil
		}
	}
	return "", nil
}

// controlTowerReason is the trail's skip when AWS Control Tower's
// organization trail already records the organization.
func controlTowerReason(name string) string {
	return fmt.Sprintf("AWS Control Tower's organization trail %s already records every account of the organization; "+
		"a second organization trail would be charged for a second copy of the management events (AWS CloudTrail pricing), "+
		"so orgbaseline does not create one: set services.cloudtrail.alongsideControlTower: true to create it anyway, or services.cloudtrail.enabled: false", name)
}

// controlTowerWarning is the warning of a trail created (or kept) beside
// AWS Control Tower's.
func controlTowerWarning(name string, cfg settings.Config) string {
	return fmt.Sprintf("AWS Control Tower's organization trail %s records the organization too: with services.cloudtrail.alongsideControlTower the trail %s is made beside it, and the second copy of management events is charged", name, cfg.Services.CloudTrail.TrailName)
}
