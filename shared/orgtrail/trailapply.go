package orgtrail

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// applyTrail carries out tp and returns the actions taken. When CreateTrail
// finds the trail exists (another run made it since the read), the trail is
// read again and converged instead, once.
func applyTrail(ctx context.Context, api convergeAPI, cfg settings.Config, keyARN string, tp trailPlan, retryExisting bool) ([]workflow.Action, error) {
	name := cfg.Services.CloudTrail.TrailName
	if tp.create {
		err := createTrail(ctx, api, cfg, keyARN)
		var exists *cttypes.TrailAlreadyExistsException
		if errors.As(err, &exists) && retryExisting {
			return convergeExisting(ctx, api, cfg, keyARN, err)
		}
		if err != nil {
			return nil, awsclient.Classify("create trail "+name, err)
		}
	}
	if len(tp.update) > 0 {
		if err := updateTrail(ctx, api, cfg, keyARN); err != nil {
			return nil, err
		}
	}
	if tp.selectors {
		if err := putEventSelectors(ctx, api, cfg); err != nil {
			return nil, err
		}
	}
	if tp.insights {
		if err := putInsightSelectors(ctx, api, cfg); err != nil {
			return nil, err
		}
	}
	if tp.startLogging {
		if err := startLogging(ctx, api, cfg); err != nil {
			return nil, err
		}
	}
	return tp.actions(name), nil
}

// convergeExisting reads again the trail that CreateTrail found existing
// (exists is its error), plans it and converges it.
func convergeExisting(ctx context.Context, api convergeAPI, cfg settings.Config, keyARN string, exists error) ([]workflow.Action, error) {
	name := cfg.Services.CloudTrail.TrailName
	t, err := readTrail(ctx, api, cfg)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, &workflow.TerminalError{Op: "create trail " + name, Err: fmt.Errorf("CloudTrail reports the trail exists, but it is not found in %s: %w", cfg.HomeRegion, exists)}
	}
	if hr := aws.ToString(t.HomeRegion); hr != "" && hr != cfg.HomeRegion {
		return nil, &workflow.ConflictError{Conflicts: []workflow.Conflict{homeRegionConflict(cfg, hr)}}
	}
	next, err := planExisting(ctx, api, cfg, keyARN, t)
	if err != nil {
		return nil, err
	}
	return applyTrail(ctx, api, cfg, keyARN, next, false)
}

// createTrail creates the organization trail as the configuration wants
// it. Its error is CreateTrail's, unclassified, for applyTrail to tell an
// existing trail.
func createTrail(ctx context.Context, api TrailsAPI, cfg settings.Config, keyARN string) error {
	group, role := desiredCWL(cfg)
	in := &cloudtrail.CreateTrailInput{
		Name:                       aws.String(cfg.Services.CloudTrail.TrailName),
		S3BucketName:               aws.String(BucketName(cfg)),
		IsOrganizationTrail:        aws.Bool(true),
		IsMultiRegionTrail:         aws.Bool(true),
		IncludeGlobalServiceEvents: aws.Bool(true),
		EnableLogFileValidation:    aws.Bool(true),
	}
	if keyARN != "" {
		in.KmsKeyId = aws.String(keyARN)
	}
	if group != "" {
		in.CloudWatchLogsLogGroupArn, in.CloudWatchLogsRoleArn = aws.String(group), aws.String(role)
	}
	_, err := api.CreateTrail(ctx, in)
	return err
}

// updateTrail sets every field of the trail that UpdateTrail converges to
// what the configuration wants.
func updateTrail(ctx context.Context, api TrailsAPI, cfg settings.Config, keyARN string) error {
	group, role := desiredCWL(cfg)
	_, err := api.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{
		Name:                       aws.String(trailID(cfg)),
		S3BucketName:               aws.String(BucketName(cfg)),
		IsOrganizationTrail:        aws.Bool(true),
		IsMultiRegionTrail:         aws.Bool(true),
		IncludeGlobalServiceEvents: aws.Bool(true),
		EnableLogFileValidation:    aws.Bool(true),
		KmsKeyId:                   aws.String(keyARN),
		CloudWatchLogsLogGroupArn:  aws.String(group),
		CloudWatchLogsRoleArn:      aws.String(role),
	})
	if err != nil {
		return awsclient.Classify("update trail "+cfg.Services.CloudTrail.TrailName, err)
	}
	return nil
}
