package orgtrail

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// Names of the rollbacks, as their results report them.
const (
	RollbackEncryptionName     = "trail-encryption"
	RollbackCloudWatchLogsName = "trail-cloudwatch-logs"
)

// RollbackEncryption takes SSE-KMS off the organization trail and the trail
// bucket (d as built by NewDeps). The trail's calls are made from the
// managing account (ManagingAccount), as the step makes them:
//
//  1. cloudtrail:UpdateTrail with an empty KmsKeyId in the trail's home
//     region, if the trail has a key;
//  2. cloudtrail:DescribeTrails in every configured region: a region whose
//     trail still reports a key is a failed outcome;
//  3. s3:PutBucketEncryption to SSE-S3 (AES256) on the trail bucket, if it
//     is not already.
//
// The key stays: log files written before remain encrypted with it. A second
// run changes nothing. With plan, the actions are reported, not taken.
func RollbackEncryption(ctx context.Context, d Deps, cfg settings.Config, plan bool) (workflow.StepResult, error) {
	res := rollbackResult(RollbackEncryptionName, plan)
	bucket := BucketName(cfg)
	ct := trailAPI(d, cfg, cfg.HomeRegion)
	t, err := trailInHomeRegion(ctx, ct, cfg)
	if err != nil {
		return res, err
	}
	if err := headBucket(ctx, d.S3, bucket); err != nil {
		return res, err
	}
	algo, _, err := bucketEncryption(ctx, d.S3, bucket)
	if err != nil {
		return res, err
	}

	trailOut, oldKey, err := removeTrailKey(ctx, ct, cfg, t, plan)
	if err != nil {
		return res, err
	}
	var regionOuts []workflow.Outcome
	if t != nil && !plan {
		if regionOuts, err = verifyNoKey(ctx, d, cfg, &res, &trailOut); err != nil {
			return res, err
		}
	}
	res.Add(trailOut)
	for _, o := range regionOuts {
		res.Add(o)
	}

	bucketOut, err := rollbackBucketEncryption(ctx, d.S3, cfg, algo, plan)
	if err != nil {
		return res, err
	}
	res.Add(bucketOut)

	res.Warnings = append(res.Warnings,
		fmt.Sprintf("the key %s is kept: log files written before stay encrypted with it, and whoever reads them still needs kms:Decrypt on it", oldKey),
	)
	if cfg.Services.CloudTrail.Encrypted() {
		res.Warnings = append(res.Warnings, "the next apply of the baseline turns SSE-KMS on again: set services.cloudtrail.kmsEncryption to false to keep it off")
	}
	return res, nil
}

// trailInHomeRegion reads the trail named in cfg, nil when there is none;
// a trail homed in another region is a *workflow.ConflictError.
func trailInHomeRegion(ctx context.Context, api DescribeTrailsAPI, cfg settings.Config) (*cttypes.Trail, error) {
	t, err := readTrail(ctx, api, cfg)
	if err != nil {
		return nil, err
	}
	if t != nil && aws.ToString(t.HomeRegion) != "" && aws.ToString(t.HomeRegion) != cfg.HomeRegion {
		return nil, &workflow.ConflictError{Conflicts: []workflow.Conflict{homeRegionConflict(cfg, aws.ToString(t.HomeRegion))}}
	}
	return t, nil
}

// removeTrailKey takes the KMS key off trail t (step 1), unless plan, and
// returns the trail's outcome in the home region and the key the trail had
// (the key alias's ARN when it had none).
func removeTrailKey(ctx context.Context, api TrailsAPI, cfg settings.Config, t *cttypes.Trail, plan bool) (workflow.Outcome, string, error) {
	name := cfg.Services.CloudTrail.TrailName
	out := workflow.Outcome{Account: ManagingAccount(cfg), Region: cfg.HomeRegion, Service: settings.ServiceCloudTrail}
	oldKey := KeyAliasARN(cfg)
	switch {
	case t == nil:
		out.Reason = "no trail " + name + " in " + cfg.HomeRegion
	case aws.ToString(t.KmsKeyId) != "":
		oldKey = aws.ToString(t.KmsKeyId)
		if !plan {
			_, err := api.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{Name: aws.String(trailID(cfg)), KmsKeyId: aws.String("")})
			if err != nil {
				return out, oldKey, awsclient.Classify("remove the KMS key from trail "+name, err)
			}
		}
		out.Actions = append(out.Actions, workflow.Action{Call: CallUpdateTrail, Target: name + ": " + FieldKmsKeyID + "=\"\""})
	}
	return out, oldKey, nil
}

// verifyNoKey reads the trail in every configured region (step 2) and
// returns the outcomes of the regions other than the home region; the home
// region's verdict goes into trailOut. A region whose trail is missing or
// still reports a key is a failed outcome.
func verifyNoKey(ctx context.Context, d Deps, cfg settings.Config, res *workflow.StepResult, trailOut *workflow.Outcome) ([]workflow.Outcome, error) {
	name := cfg.Services.CloudTrail.TrailName
	regions := cfg.Regions.Names
	if cfg.Regions.Discover || len(regions) == 0 {
		regions = []string{cfg.HomeRegion}
		res.Warnings = append(res.Warnings, "regions is \"discover\": the trail was verified in the home region "+cfg.HomeRegion+" only")
	}
	var outs []workflow.Outcome
	for _, region := range regions {
		key, found, err := keyIn(ctx, trailAPI(d, cfg, region), cfg, region)
		if err != nil {
			return outs, err
		}
		o := workflow.Outcome{Account: ManagingAccount(cfg), Region: region, Service: settings.ServiceCloudTrail}
		switch {
		case !found:
			o.Status, o.Reason = workflow.StatusFailed, "trail "+name+" not found here"
		case key != "":
			o.Status, o.Reason = workflow.StatusFailed, "trail "+name+" still reports KMS key "+key
		default:
			o.Reason = "verified: trail " + name + " reports no KMS key"
		}
		if region == cfg.HomeRegion {
			trailOut.Reason = o.Reason
			if o.Status == workflow.StatusFailed {
				trailOut.Status = workflow.StatusFailed
			}
			continue
		}
		outs = append(outs, o)
	}
	return outs, nil
}

// rollbackBucketEncryption sets the trail bucket's default encryption to
// SSE-S3 (step 3) unless it is already (algo), or plan, and returns the
// bucket's outcome.
func rollbackBucketEncryption(ctx context.Context, api BucketEncryptionAPI, cfg settings.Config, algo s3types.ServerSideEncryption, plan bool) (workflow.Outcome, error) {
	bucket := BucketName(cfg)
	out := workflow.Outcome{Account: cfg.Accounts.LogArchive, Region: cfg.HomeRegion, Service: settings.ServiceCloudTrail}
	if algo == s3types.ServerSideEncryptionAes256 {
		return out, nil
	}
	if !plan {
		if err := putEncryption(ctx, api, bucket, ""); err != nil {
			return out, err
		}
	}
	out.Actions = append(out.Actions, workflow.Action{Call: CallPutBucketEncryption, Target: bucket + ": " + encryptionText("")})
	return out, nil
}

// keyIn returns the KMS key the trail reports in region, read from the
// managing account (api), and whether the trail was found there (shadow
// trails included).
func keyIn(ctx context.Context, api DescribeTrailsAPI, cfg settings.Config, region string) (string, bool, error) {
	name := cfg.Services.CloudTrail.TrailName
	out, err := api.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{TrailNameList: []string{TrailARN(cfg)}, IncludeShadowTrails: aws.Bool(true)})
	if err != nil {
		return "", false, awsclient.Classify("describe trail "+name+" in "+region, err)
	}
	t := pickTrail(out.TrailList, cfg)
	if t == nil {
		return "", false, nil
	}
	return aws.ToString(t.KmsKeyId), true, nil
}

// RollbackCloudWatchLogs stops the organization trail's delivery to
// CloudWatch Logs: cloudtrail:UpdateTrail with empty
// CloudWatchLogsLogGroupArn and CloudWatchLogsRoleArn, if they are set, from
// the managing account. The log group and the role stay: they belong to the
// managing account's stack. A second run changes nothing. With plan, the
// action is reported, not taken.
func RollbackCloudWatchLogs(ctx context.Context, d Deps, cfg settings.Config, plan bool) (workflow.StepResult, error) {
	res := rollbackResult(RollbackCloudWatchLogsName, plan)
	name := cfg.Services.CloudTrail.TrailName
	ct := trailAPI(d, cfg, cfg.HomeRegion)
	t, err := trailInHomeRegion(ctx, ct, cfg)
	if err != nil {
		return res, err
	}
	out := workflow.Outcome{Account: ManagingAccount(cfg), Region: cfg.HomeRegion, Service: settings.ServiceCloudTrail}
	switch {
	case t == nil:
		out.Reason = "no trail " + name + " in " + cfg.HomeRegion
	case aws.ToString(t.CloudWatchLogsLogGroupArn) != "" || aws.ToString(t.CloudWatchLogsRoleArn) != "":
		if !plan {
			_, err := ct.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{
				Name: aws.String(trailID(cfg)), CloudWatchLogsLogGroupArn: aws.String(""), CloudWatchLogsRoleArn: aws.String(""),
			})
			if err != nil {
				return res, awsclient.Classify("remove CloudWatch Logs delivery from trail "+name, err)
			}
		}
		out.Actions = append(out.Actions, workflow.Action{Call: CallUpdateTrail, Target: name + ": " + FieldCloudWatchLogsLogGroupArn + "=\"\", " + FieldCloudWatchLogsRoleArn + "=\"\""})
	}
	res.Add(out)
	res.Warnings = append(res.Warnings, fmt.Sprintf("the log group %s and the role %s stay: they belong to the stack %s of account %s; switch services.cloudtrail.cloudWatchLogs.enabled off in the configuration and redeploy to remove them", LogGroupName, CloudWatchLogsRoleName, logDeliveryStack(cfg), ManagingAccount(cfg)))
	if cfg.Services.CloudTrail.CloudWatchLogs.Enabled {
		res.Warnings = append(res.Warnings, "cloudWatchLogs.enabled is still on in the configuration: the next apply of the baseline turns the delivery on again")
	}
	return res, nil
}

// logDeliveryStack names the stack that holds the log group and the role:
// the managing account's.
func logDeliveryStack(cfg settings.Config) string {
	if cfg.Services.CloudTrail.ManagedFromSecurity() {
		return workflow.SecurityStackName
	}
	return workflow.ManagementStackName
}

func rollbackResult(name string, plan bool) workflow.StepResult {
	mode := workflow.ModeApply
	if plan {
		mode = workflow.ModePlan
	}
	return workflow.StepResult{Step: "rollback " + name, Mode: mode, Outcomes: []workflow.Outcome{}}
}
