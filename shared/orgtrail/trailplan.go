package orgtrail

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// Fields of the trail that UpdateTrail converges, named as in its input.
const (
	FieldS3BucketName               = "S3BucketName"
	FieldIsOrganizationTrail        = "IsOrganizationTrail"
	FieldIsMultiRegionTrail         = "IsMultiRegionTrail"
	FieldIncludeGlobalServiceEvents = "IncludeGlobalServiceEvents"
	FieldEnableLogFileValidation    = "EnableLogFileValidation"
	FieldKmsKeyID                   = "KmsKeyId"
	FieldCloudWatchLogsLogGroupArn  = "CloudWatchLogsLogGroupArn"
	FieldCloudWatchLogsRoleArn      = "CloudWatchLogsRoleArn"
)

// trailPlan is what the step found and will do to the trail.
type trailPlan struct {
	create       bool
	update       []string // the fields that differ
	selectors    bool     // put the advanced event selectors
	insights     bool     // put the Insights selectors
	startLogging bool
	// insightsLeftOn says the trail has Insights while the configuration
	// has them off: the step leaves them (see planExisting).
	insightsLeftOn bool
}

// actions lists the calls of tp on the trail called name, in the order
// applyTrail makes them.
func (tp trailPlan) actions(name string) []workflow.Action {
	var out []workflow.Action
	if tp.create {
		out = append(out, workflow.Action{Call: CallCreateTrail, Target: name})
	}
	if len(tp.update) > 0 {
		out = append(out, workflow.Action{Call: CallUpdateTrail, Target: name + ": " + strings.Join(tp.update, ", ")})
	}
	if tp.selectors {
		out = append(out, workflow.Action{Call: CallPutEventSelectors, Target: name})
	}
	if tp.insights {
		out = append(out, workflow.Action{Call: CallPutInsightSelectors, Target: name})
	}
	if tp.startLogging {
		out = append(out, workflow.Action{Call: CallStartLogging, Target: name})
	}
	return out
}

// homeRegionCheck reads the trail through api and returns the conflict of a
// trail homed in another region, or nil when there is none or no trail.
func homeRegionCheck(ctx context.Context, api DescribeTrailsAPI, cfg settings.Config) (*workflow.Conflict, error) {
	existing, err := readTrail(ctx, api, cfg)
	if err != nil || existing == nil {
		return nil, err
	}
	if hr := aws.ToString(existing.HomeRegion); hr != "" && hr != cfg.HomeRegion {
		c := homeRegionConflict(cfg, hr)
		return &c, nil
	}
	return nil, nil
}

// planTrail reads the trail and returns what converging it takes, or the
// conflict of a trail homed in another region.
func planTrail(ctx context.Context, api convergeAPI, cfg settings.Config, keyARN string) (trailPlan, *workflow.Conflict, error) {
	existing, err := readTrail(ctx, api, cfg)
	if err != nil {
		return trailPlan{}, nil, err
	}
	if existing == nil {
		return planNew(cfg), nil, nil
	}
	if hr := aws.ToString(existing.HomeRegion); hr != "" && hr != cfg.HomeRegion {
		c := homeRegionConflict(cfg, hr)
		return trailPlan{}, &c, nil
	}
	tp, err := planExisting(ctx, api, cfg, keyARN, existing)
	return tp, nil, err
}

// homeRegionConflict is the conflict of the trail homed in region found
// rather than in the configured home region.
func homeRegionConflict(cfg settings.Config, found string) workflow.Conflict {
	return workflow.Conflict{
		Service: settings.ServiceCloudTrail, Resource: "home region of trail " + cfg.Services.CloudTrail.TrailName,
		Found: found, Wanted: cfg.HomeRegion,
		Hint: "a trail can only be updated from its home region and orgbaseline does not recreate it; set homeRegion to " + found + ", or delete the trail yourself",
	}
}

// readTrail returns the trail named in cfg, or nil. It reads the home
// region's own trails first and, when the trail is not there, every trail
// the region shows, shadow trails included, so that a trail of that name
// homed in another region is found.
func readTrail(ctx context.Context, api DescribeTrailsAPI, cfg settings.Config) (*cttypes.Trail, error) {
	for _, shadow := range []bool{false, true} {
		t, err := describeTrail(ctx, api, cfg, shadow)
		if err != nil || t != nil {
			return t, err
		}
	}
	return nil, nil
}

// describeTrail reads the trail named in cfg among the home region's own
// trails, or with shadow among every trail the region shows.
func describeTrail(ctx context.Context, api DescribeTrailsAPI, cfg settings.Config, shadow bool) (*cttypes.Trail, error) {
	name := cfg.Services.CloudTrail.TrailName
	in := &cloudtrail.DescribeTrailsInput{TrailNameList: []string{trailID(cfg)}, IncludeShadowTrails: aws.Bool(shadow)}
	if shadow {
		// A name matches only trails homed in this region; a trail homed
		// elsewhere is found among all the trails this region shows.
		in.TrailNameList = nil
	}
	out, err := api.DescribeTrails(ctx, in)
	if err != nil {
		return nil, awsclient.Classify("describe trail "+name, err)
	}
	return pickTrail(out.TrailList, cfg), nil
}

// pickTrail returns the management account's trail named in cfg from list.
// The name is matched here rather than trusted to the request's filter. The
// ARN's account is the management account's also when the list comes from
// the security account: the management account owns the organization trails
// a delegated administrator manages.
func pickTrail(list []cttypes.Trail, cfg settings.Config) *cttypes.Trail {
	name := cfg.Services.CloudTrail.TrailName
	for i, t := range list {
		arn := aws.ToString(t.TrailARN)
		if aws.ToString(t.Name) == name && (arn == "" || strings.Contains(arn, ":"+cfg.Accounts.Management+":trail/")) {
			return &list[i]
		}
	}
	return nil
}

// desiredCWL returns the CloudWatch Logs log group and role ARNs the trail
// should have ("" when cloudWatchLogs is off).
func desiredCWL(cfg settings.Config) (group, role string) {
	if cfg.Services.CloudTrail.CloudWatchLogs.Enabled {
		return LogGroupARN(cfg), CloudWatchLogsRoleARN(cfg)
	}
	return "", ""
}

// trailDiff lists the fields of t that differ from the configuration. An
// empty and an absent value are the same.
func trailDiff(t *cttypes.Trail, cfg settings.Config, keyARN string) []string {
	group, role := desiredCWL(cfg)
	var diff []string
	check := func(field string, ok bool) {
		if !ok {
			diff = append(diff, field)
		}
	}
	check(FieldS3BucketName, aws.ToString(t.S3BucketName) == BucketName(cfg))
	check(FieldIsOrganizationTrail, aws.ToBool(t.IsOrganizationTrail))
	check(FieldIsMultiRegionTrail, aws.ToBool(t.IsMultiRegionTrail))
	check(FieldIncludeGlobalServiceEvents, aws.ToBool(t.IncludeGlobalServiceEvents))
	check(FieldEnableLogFileValidation, aws.ToBool(t.LogFileValidationEnabled))
	check(FieldKmsKeyID, aws.ToString(t.KmsKeyId) == keyARN)
	check(FieldCloudWatchLogsLogGroupArn, aws.ToString(t.CloudWatchLogsLogGroupArn) == group)
	check(FieldCloudWatchLogsRoleArn, aws.ToString(t.CloudWatchLogsRoleArn) == role)
	return diff
}

// planNew is the plan for a trail that does not exist yet: a new trail has
// the default event selectors, no Insights and does not log.
func planNew(cfg settings.Config) trailPlan {
	return trailPlan{create: true, selectors: true, insights: cfg.Services.CloudTrail.Insights, startLogging: true}
}

// planExisting reads the trail's selectors and status and compares them,
// and its fields, with the configuration.
func planExisting(ctx context.Context, api trailSettingsAPI, cfg settings.Config, keyARN string, t *cttypes.Trail) (trailPlan, error) {
	tp := trailPlan{update: trailDiff(t, cfg, keyARN)}
	var err error
	if tp.selectors, err = eventSelectorsDiffer(ctx, api, cfg); err != nil {
		return tp, err
	}
	if tp.insights, err = insightsDiffer(ctx, api, cfg); err != nil {
		return tp, err
	}
	if tp.insights && !cfg.Services.CloudTrail.Insights {
		// Switching Insights off takes cloudtrail:PutInsightSelectors,
		// which the step is granted only with Insights on: it leaves
		// them, and says so.
		tp.insights, tp.insightsLeftOn = false, true
	}
	logging, err := isLogging(ctx, api, cfg)
	if err != nil {
		return tp, err
	}
	tp.startLogging = !logging
	return tp, nil
}
