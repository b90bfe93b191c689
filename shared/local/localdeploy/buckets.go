package localdeploy

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/configsvc"
	"github.com/orgbaseline/orgbaseline/shared/guardduty"
	"github.com/orgbaseline/orgbaseline/shared/logarchive"
	"github.com/orgbaseline/orgbaseline/shared/orgtrail"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// bucketSpec is one bucket as the log-archive stack declares it.
type bucketSpec struct {
	name      string
	policy    orgtrail.Document
	sseS3     bool                    // declare SSE-S3 default encryption
	logging   *s3types.LoggingEnabled // server access logging target
	retention int32
}

// The log-archive stack's buckets.
func (d *deployer) accessLogBucket() bucketSpec {
	return bucketSpec{name: logarchive.AccessLogBucketName(d.cfg), policy: logarchive.AccessLogBucketPolicy(d.cfg), sseS3: true,
		retention: int32(logarchive.AccessLogRetentionDays(d.cfg))}
}

func (d *deployer) trailBucket() bucketSpec {
	return bucketSpec{name: orgtrail.BucketName(d.cfg), policy: orgtrail.BucketPolicy(d.cfg), retention: int32(d.cfg.Services.CloudTrail.RetentionDays),
		logging: &s3types.LoggingEnabled{TargetBucket: aws.String(logarchive.AccessLogBucketName(d.cfg)), TargetPrefix: aws.String(orgtrail.AccessLogPrefix)}}
}

func (d *deployer) findingsBucket() bucketSpec {
	return bucketSpec{name: guardduty.BucketName(d.cfg), policy: guardduty.BucketPolicy(d.cfg), sseS3: true, retention: int32(logarchive.AccessLogRetentionDays(d.cfg)),
		logging: &s3types.LoggingEnabled{TargetBucket: aws.String(logarchive.AccessLogBucketName(d.cfg)), TargetPrefix: aws.String(guardduty.AccessLogPrefix)}}
}

func (d *deployer) configBucket() bucketSpec {
	return bucketSpec{name: configsvc.BucketName(d.cfg), policy: configsvc.BucketPolicy(d.cfg), sseS3: true, retention: int32(d.cfg.Services.Config.RetentionDays),
		logging: &s3types.LoggingEnabled{TargetBucket: aws.String(logarchive.AccessLogBucketName(d.cfg)), TargetPrefix: aws.String(configsvc.AccessLogPrefix)}}
}

// bucket converges one bucket: creates it if it is missing, then each of
// its settings in turn.
func (d *deployer) bucket(ctx context.Context, api bucketAPI, b bucketSpec, actions *[]workflow.Action) error {
	exists, err := d.createBucket(ctx, api, b.name, actions)
	if err != nil {
		return err
	}
	// Each setting: read it (a new bucket has none of them), compare, put.
	for _, s := range bucketSettings(api, b) {
		ok := false
		if exists {
			if ok, err = s.has(ctx); err != nil {
				return awsclient.Classify(s.get+" "+b.name, err)
			}
		}
		if !ok {
			if err := d.change(actions, s.put, s.target, func() error { return s.set(ctx) }); err != nil {
				return err
			}
		}
	}
	return nil
}

// createBucket creates the bucket name unless it exists, and reports
// whether it existed.
func (d *deployer) createBucket(ctx context.Context, api bucketCreateAPI, name string, actions *[]workflow.Action) (bool, error) {
	_, err := api.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)})
	if err == nil {
		return true, nil
	}
	if !notFound(err, "NotFound", "NoSuchBucket", "404") {
		return false, awsclient.Classify("s3:HeadBucket "+name, err)
	}
	in := &s3.CreateBucketInput{Bucket: aws.String(name)}
	if r := d.cfg.HomeRegion; r != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(r)}
	}
	return false, d.change(actions, "s3:CreateBucket", name, func() error { _, err := api.CreateBucket(ctx, in); return err })
}

// bucketSetting is one setting of a bucket as the stack declares it: how
// to read whether the bucket has it, and how to put it.
type bucketSetting struct {
	get, put string // the calls, for errors and actions
	target   string // the action's target
	has      func(context.Context) (bool, error)
	set      func(context.Context) error
}

// bucketSettings are b's settings, in the order they are put: the bucket
// policy last.
func bucketSettings(api bucketAPI, b bucketSpec) []bucketSetting {
	s := []bucketSetting{publicAccessBlock(api, b.name), versioning(api, b.name), ownershipControls(api, b.name)}
	if b.sseS3 {
		s = append(s, sseS3Encryption(api, b.name))
	}
	s = append(s, lifecycle(api, b.name, b.retention))
	if b.logging != nil {
		s = append(s, accessLogging(api, b.name, b.logging))
	}
	return append(s, bucketPolicy(api, b.name, b.policy.JSON()))
}

func publicAccessBlock(api publicAccessBlockAPI, bucket string) bucketSetting {
	name := aws.String(bucket)
	return bucketSetting{get: "s3:GetPublicAccessBlock", put: "s3:PutPublicAccessBlock", target: bucket,
		has: func(ctx context.Context) (bool, error) {
			out, err := api.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: name})
			if notFound(err, "NoSuchPublicAccessBlockConfiguration") {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			c := out.PublicAccessBlockConfiguration
			return c != nil && aws.ToBool(c.BlockPublicAcls) && aws.ToBool(c.BlockPublicPolicy) && aws.ToBool(c.IgnorePublicAcls) && aws.ToBool(c.RestrictPublicBuckets), nil
		},
		set: func(ctx context.Context) error {
			_, err := api.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: name, PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
				BlockPublicAcls: aws.Bool(true), BlockPublicPolicy: aws.Bool(true), IgnorePublicAcls: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true),
			}})
			return err
		}}
}

func versioning(api bucketVersioningAPI, bucket string) bucketSetting {
	name := aws.String(bucket)
	return bucketSetting{get: "s3:GetBucketVersioning", put: "s3:PutBucketVersioning", target: bucket,
		has: func(ctx context.Context) (bool, error) {
			out, err := api.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: name})
			return err == nil && out.Status == s3types.BucketVersioningStatusEnabled, err
		},
		set: func(ctx context.Context) error {
			_, err := api.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: name, VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}})
			return err
		}}
}

func ownershipControls(api ownershipControlsAPI, bucket string) bucketSetting {
	name := aws.String(bucket)
	return bucketSetting{get: "s3:GetBucketOwnershipControls", put: "s3:PutBucketOwnershipControls", target: bucket,
		has: func(ctx context.Context) (bool, error) {
			out, err := api.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: name})
			if notFound(err, "OwnershipControlsNotFoundError") {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			return out.OwnershipControls != nil && len(out.OwnershipControls.Rules) == 1 &&
				out.OwnershipControls.Rules[0].ObjectOwnership == s3types.ObjectOwnershipBucketOwnerEnforced, nil
		},
		set: func(ctx context.Context) error {
			_, err := api.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: name, OwnershipControls: &s3types.OwnershipControls{
				Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: s3types.ObjectOwnershipBucketOwnerEnforced}},
			}})
			return err
		}}
}

func sseS3Encryption(api bucketEncryptionAPI, bucket string) bucketSetting {
	name := aws.String(bucket)
	return bucketSetting{get: "s3:GetBucketEncryption", put: "s3:PutBucketEncryption", target: bucket + " AES256",
		has: func(ctx context.Context) (bool, error) {
			out, err := api.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: name})
			if notFound(err, "ServerSideEncryptionConfigurationNotFoundError") {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			r := out.ServerSideEncryptionConfiguration
			return r != nil && len(r.Rules) == 1 && r.Rules[0].ApplyServerSideEncryptionByDefault != nil &&
				r.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm == s3types.ServerSideEncryptionAes256, nil
		},
		set: func(ctx context.Context) error {
			_, err := api.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: name, ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{
				Rules: []s3types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAes256}}},
			}})
			return err
		}}
}

func lifecycle(api bucketLifecycleAPI, bucket string, retention int32) bucketSetting {
	name := aws.String(bucket)
	wantRules := lifecycleRules(retention)
	return bucketSetting{get: "s3:GetBucketLifecycleConfiguration", put: "s3:PutBucketLifecycleConfiguration", target: fmt.Sprintf("%s %d days", bucket, retention),
		has: func(ctx context.Context) (bool, error) {
			out, err := api.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: name})
			if notFound(err, "NoSuchLifecycleConfiguration") {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			return sameRules(out.Rules, wantRules), nil
		},
		set: func(ctx context.Context) error {
			_, err := api.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: name,
				LifecycleConfiguration: &s3types.BucketLifecycleConfiguration{Rules: wantRules}})
			return err
		}}
}

func accessLogging(api bucketLoggingAPI, bucket string, logging *s3types.LoggingEnabled) bucketSetting {
	name := aws.String(bucket)
	return bucketSetting{get: "s3:GetBucketLogging", put: "s3:PutBucketLogging", target: bucket + " to " + aws.ToString(logging.TargetBucket),
		has: func(ctx context.Context) (bool, error) {
			out, err := api.GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: name})
			if err != nil {
				return false, err
			}
			l := out.LoggingEnabled
			return l != nil && aws.ToString(l.TargetBucket) == aws.ToString(logging.TargetBucket) && aws.ToString(l.TargetPrefix) == aws.ToString(logging.TargetPrefix), nil
		},
		set: func(ctx context.Context) error {
			_, err := api.PutBucketLogging(ctx, &s3.PutBucketLoggingInput{Bucket: name, BucketLoggingStatus: &s3types.BucketLoggingStatus{LoggingEnabled: logging}})
			return err
		}}
}

func bucketPolicy(api bucketPolicyAPI, bucket, policy string) bucketSetting {
	name := aws.String(bucket)
	return bucketSetting{get: "s3:GetBucketPolicy", put: "s3:PutBucketPolicy", target: bucket,
		has: func(ctx context.Context) (bool, error) {
			out, err := api.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: name})
			if notFound(err, "NoSuchBucketPolicy") {
				return false, nil
			}
			if err != nil {
				return false, err
			}
			return sameJSON(aws.ToString(out.Policy), policy), nil
		},
		set: func(ctx context.Context) error {
			_, err := api.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: name, Policy: aws.String(policy)})
			return err
		}}
}

// lifecycleRules are the buckets' lifecycle rules as the stacks declare
// them: log files are kept days in total. Current objects expire after days;
// the buckets are versioned, so this leaves a noncurrent version behind a
// delete marker, and the version is removed days later (a log file
// overwritten or deleted early is kept the whole retention) and the marker, once alone, by a rule of its own (S3 takes
// ExpiredObjectDeleteMarker only in a rule without an expiration in days).
// Incomplete multipart uploads are aborted after
// logarchive.AbortIncompleteUploadDays.
func lifecycleRules(days int32) []s3types.LifecycleRule {
	all := func() *s3types.LifecycleRuleFilter { return &s3types.LifecycleRuleFilter{Prefix: aws.String("")} }
	return []s3types.LifecycleRule{
		{
			ID:                             aws.String(logarchive.RetentionRuleID),
			Status:                         s3types.ExpirationStatusEnabled,
			Filter:                         all(),
			Expiration:                     &s3types.LifecycleExpiration{Days: aws.Int32(days)},
			NoncurrentVersionExpiration:    &s3types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(days)},
			AbortIncompleteMultipartUpload: &s3types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(logarchive.AbortIncompleteUploadDays)},
		},
		{
			ID:         aws.String(logarchive.DeleteMarkerRuleID),
			Status:     s3types.ExpirationStatusEnabled,
			Filter:     all(),
			Expiration: &s3types.LifecycleExpiration{ExpiredObjectDeleteMarker: aws.Bool(true)},
		},
	}
}

// sameRules reports whether got holds exactly the rules want, in any order:
// no rule missing, none more, none twice.
func sameRules(got, want []s3types.LifecycleRule) bool {
	if len(got) != len(want) {
		return false
	}
	seen := map[string]bool{}
	for _, g := range got {
		id := aws.ToString(g.ID)
		if seen[id] {
			return false
		}
		seen[id] = true
		i := slices.IndexFunc(want, func(w s3types.LifecycleRule) bool { return aws.ToString(w.ID) == id })
		if i < 0 || !sameRule(g, want[i]) {
			return false
		}
	}
	return true
}

// sameRule compares what the rules do: status, scope (the whole bucket, or
// the same prefix) and every action the stacks set.
func sameRule(a, b s3types.LifecycleRule) bool {
	type expiration struct {
		days    int32
		markers bool
		date    bool
	}
	exp := func(e *s3types.LifecycleExpiration) expiration {
		if e == nil {
			return expiration{}
		}
		return expiration{aws.ToInt32(e.Days), aws.ToBool(e.ExpiredObjectDeleteMarker), e.Date != nil}
	}
	nc := func(e *s3types.NoncurrentVersionExpiration) [2]int32 {
		if e == nil {
			return [2]int32{}
		}
		return [2]int32{aws.ToInt32(e.NoncurrentDays), aws.ToInt32(e.NewerNoncurrentVersions)}
	}
	abort := func(e *s3types.AbortIncompleteMultipartUpload) int32 {
		if e == nil {
			return 0
		}
		return aws.ToInt32(e.DaysAfterInitiation)
	}
	return aws.ToString(a.ID) == aws.ToString(b.ID) && a.Status == b.Status &&
		scope(a) == scope(b) &&
		exp(a.Expiration) == exp(b.Expiration) && nc(a.NoncurrentVersionExpiration) == nc(b.NoncurrentVersionExpiration) &&
		abort(a.AbortIncompleteMultipartUpload) == abort(b.AbortIncompleteMultipartUpload) &&
		len(a.Transitions) == 0 && len(b.Transitions) == 0 &&
		len(a.NoncurrentVersionTransitions) == 0 && len(b.NoncurrentVersionTransitions) == 0
}

// scope is the prefix a rule applies to ("" for the whole bucket), or "?"
// for a filter by tag, size or a combination, which the stacks never set.
func scope(r s3types.LifecycleRule) string {
	f := r.Filter
	switch {
	case f == nil:
		return aws.ToString(r.Prefix)
	case f.Tag != nil || f.And != nil || f.ObjectSizeGreaterThan != nil || f.ObjectSizeLessThan != nil:
		return "?"
	default:
		return aws.ToString(f.Prefix)
	}
}
