package orgtrail

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
)

// isLogging reads the trail's status and reports whether it logs.
func isLogging(ctx context.Context, api LoggingAPI, cfg settings.Config) (bool, error) {
	st, err := api.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(trailID(cfg))})
	if err != nil {
		return false, awsclient.Classify("read the status of "+cfg.Services.CloudTrail.TrailName, err)
	}
	return aws.ToBool(st.IsLogging), nil
}

// startLogging starts the trail's logging.
func startLogging(ctx context.Context, api LoggingAPI, cfg settings.Config) error {
	if _, err := api.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String(trailID(cfg))}); err != nil {
		return awsclient.Classify("start logging on "+cfg.Services.CloudTrail.TrailName, err)
	}
	return nil
}
