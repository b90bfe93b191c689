// Package localdeploy stands in for `cdk deploy` on an emulated AWS: it
// creates, with SDK calls, the resources of the log-archive and security
// stacks that the steps depend on: the trail's buckets and key (and the
// CloudWatch Logs delivery role and log group of the account the trail is
// managed from: the management stack's, or with manageFrom security the
// security stack's), AWS Config's delivery bucket, delivery key and
// aggregator role, and with exportFindings GuardDuty's findings bucket and
// key.
//
// moto's CloudFormation reports such stacks as created but applies neither
// bucket policies nor public access blocks, so deploying the synthesized
// templates into it would not reproduce them. The resources are made here
// from the same Go values the CDK stacks put in their templates (packages
// orgtrail and configsvc: names and policy documents), and the CDK tests check that the
// templates carry exactly those values.
//
// Like a deploy, it reads first and changes only what differs; in plan mode
// it reports what it would do.
package localdeploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"reflect"
	"slices"

	"github.com/orgbaseline/orgbaseline/shared/logarchive"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/configsvc"
	"github.com/orgbaseline/orgbaseline/shared/guardduty"
	"github.com/orgbaseline/orgbaseline/shared/orgtrail"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// StepName names the deploy in results.
const StepName = "local-deploy"

// KeyAliasTag tags the trail's key with its alias (orgtrail.KeyAlias) on
// creation, so that a run interrupted between creating the key and its alias
// finds the key again instead of creating another one.
const KeyAliasTag = "orgbaseline:alias"

// Deploy converges the emulated accounts to what the stacks declare for cfg.
// accounts gives configurations for the log-archive and security accounts;
// mgmt is the management account's.
func Deploy(ctx context.Context, cfg settings.Config, mgmt aws.Config, accounts *awsclient.Accounts, mode workflow.Mode, log *slog.Logger) (workflow.StepResult, error) {
	res := workflow.StepResult{Step: StepName, Mode: mode, Outcomes: []workflow.Outcome{}}
	trail, config := cfg.Enabled(settings.ServiceCloudTrail), cfg.Enabled(settings.ServiceConfig)
	if !trail {
		res.Add(workflow.Outcome{Account: cfg.Accounts.LogArchive, Region: cfg.HomeRegion, Service: settings.ServiceCloudTrail,
			Status: workflow.StatusSkipped, Reason: "cloudtrail is switched off: the stacks declare no trail resources"})
	}
	if !config {
		res.Add(workflow.Outcome{Account: cfg.Accounts.LogArchive, Region: cfg.HomeRegion, Service: settings.ServiceConfig,
			Status: workflow.StatusSkipped, Reason: "config is switched off: the stacks declare no Config resources"})
	}
	findings := guardduty.FindingsExported(cfg)
	if !logarchive.HasAccessLogBucket(cfg) {
		return res, nil
	}
	d := &deployer{cfg: cfg, apply: mode == workflow.ModeApply, log: log}
	region := cfg.HomeRegion
	la := s3.NewFromConfig(awsclient.WithRegion(accounts.Config(cfg.Accounts.LogArchive), region))
	sec := awsclient.WithRegion(accounts.Config(cfg.Accounts.Security), region)

	// The access-log bucket serves the trail's, Config's and the findings'
	// buckets; it is reported with the first of them.
	var actions []workflow.Action
	if err := d.bucket(ctx, la, d.accessLogBucket(), &actions); err != nil {
		return res, err
	}
	if trail {
		if err := d.bucket(ctx, la, d.trailBucket(), &actions); err != nil {
			return res, err
		}
		res.Add(workflow.Outcome{Account: cfg.Accounts.LogArchive, Region: region, Service: settings.ServiceCloudTrail, Actions: actions})
		actions = nil

		// The log group and the role are the managing account's; the other
		// account's stack holds none, so a role left there from the other
		// mode is removed, as a deploy would.
		keyActions, err := d.key(ctx, kms.NewFromConfig(sec), d.trailKey())
		if err != nil {
			return res, err
		}
		more, err := d.cloudWatchLogs(ctx, cloudwatchlogs.NewFromConfig(sec), iam.NewFromConfig(sec), d.logDeliveryIn(cfg.Accounts.Security))
		if err != nil {
			return res, err
		}
		res.Add(workflow.Outcome{Account: cfg.Accounts.Security, Region: region, Service: settings.ServiceCloudTrail, Actions: append(keyActions, more...)})

		m := awsclient.WithRegion(mgmt, region)
		mgmtActions, err := d.cloudWatchLogs(ctx, cloudwatchlogs.NewFromConfig(m), iam.NewFromConfig(m), d.logDeliveryIn(cfg.Accounts.Management))
		if err != nil {
			return res, err
		}
		res.Add(workflow.Outcome{Account: cfg.Accounts.Management, Region: region, Service: settings.ServiceCloudTrail, Actions: mgmtActions})
	}
	if config {
		if err := d.bucket(ctx, la, d.configBucket(), &actions); err != nil {
			return res, err
		}
		res.Add(workflow.Outcome{Account: cfg.Accounts.LogArchive, Region: region, Service: settings.ServiceConfig, Actions: actions})
		actions = nil
		keyActions, err := d.key(ctx, kms.NewFromConfig(sec), d.configKey())
		if err != nil {
			return res, err
		}
		roleActions, err := d.aggregatorRole(ctx, iam.NewFromConfig(sec))
		if err != nil {
			return res, err
		}
		res.Add(workflow.Outcome{Account: cfg.Accounts.Security, Region: region, Service: settings.ServiceConfig, Actions: append(keyActions, roleActions...)})
	}
	if findings {
		if err := d.bucket(ctx, la, d.findingsBucket(), &actions); err != nil {
			return res, err
		}
		res.Add(workflow.Outcome{Account: cfg.Accounts.LogArchive, Region: region, Service: settings.ServiceGuardDuty, Actions: actions})
		keyActions, err := d.key(ctx, kms.NewFromConfig(sec), d.findingsKey())
		if err != nil {
			return res, err
		}
		res.Add(workflow.Outcome{Account: cfg.Accounts.Security, Region: region, Service: settings.ServiceGuardDuty, Actions: keyActions})
	}
	res.Warnings = append(res.Warnings, d.warnings...)
	return res, nil
}

type deployer struct {
	cfg      settings.Config
	apply    bool
	log      *slog.Logger
	warnings []string
}

// change records an action and, when applying, makes it.
func (d *deployer) change(actions *[]workflow.Action, call, target string, do func() error) error {
	*actions = append(*actions, workflow.Action{Call: call, Target: target})
	if !d.apply {
		return nil
	}
	if err := do(); err != nil {
		return awsclient.Classify(call+" "+target, err)
	}
	d.log.Info("local deploy", "call", call, "target", target)
	return nil
}

func notFound(err error, codes ...string) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	for _, c := range codes {
		if apiErr.ErrorCode() == c {
			return true
		}
	}
	return false
}

// sameJSON reports whether two JSON documents are equal as values.
func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

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

func (d *deployer) bucket(ctx context.Context, api *s3.Client, b bucketSpec, actions *[]workflow.Action) error {
	name := aws.String(b.name)
	_, err := api.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: name})
	exists := err == nil
	if err != nil && !notFound(err, "NotFound", "NoSuchBucket", "404") {
		return awsclient.Classify("s3:HeadBucket "+b.name, err)
	}
	if !exists {
		in := &s3.CreateBucketInput{Bucket: name}
		if r := d.cfg.HomeRegion; r != "us-east-1" {
			in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(r)}
		}
		if err := d.change(actions, "s3:CreateBucket", b.name, func() error { _, err := api.CreateBucket(ctx, in); return err }); err != nil {
			return err
		}
	}
	// Each setting: read it (a new bucket has none of them), compare, put.
	settingsOK := func(read func() (bool, error)) (bool, error) {
		if !exists {
			return false, nil
		}
		return read()
	}

	ok, err := settingsOK(func() (bool, error) {
		out, err := api.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: name})
		if notFound(err, "NoSuchPublicAccessBlockConfiguration") {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		c := out.PublicAccessBlockConfiguration
		return c != nil && aws.ToBool(c.BlockPublicAcls) && aws.ToBool(c.BlockPublicPolicy) && aws.ToBool(c.IgnorePublicAcls) && aws.ToBool(c.RestrictPublicBuckets), nil
	})
	if err != nil {
		return awsclient.Classify("s3:GetPublicAccessBlock "+b.name, err)
	}
	if !ok {
		if err := d.change(actions, "s3:PutPublicAccessBlock", b.name, func() error {
			_, err := api.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: name, PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
				BlockPublicAcls: aws.Bool(true), BlockPublicPolicy: aws.Bool(true), IgnorePublicAcls: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true),
			}})
			return err
		}); err != nil {
			return err
		}
	}

	ok, err = settingsOK(func() (bool, error) {
		out, err := api.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: name})
		return err == nil && out.Status == s3types.BucketVersioningStatusEnabled, err
	})
	if err != nil {
		return awsclient.Classify("s3:GetBucketVersioning "+b.name, err)
	}
	if !ok {
		if err := d.change(actions, "s3:PutBucketVersioning", b.name, func() error {
			_, err := api.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: name, VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}})
			return err
		}); err != nil {
			return err
		}
	}

	ok, err = settingsOK(func() (bool, error) {
		out, err := api.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: name})
		if notFound(err, "OwnershipControlsNotFoundError") {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		return out.OwnershipControls != nil && len(out.OwnershipControls.Rules) == 1 &&
			out.OwnershipControls.Rules[0].ObjectOwnership == s3types.ObjectOwnershipBucketOwnerEnforced, nil
	})
	if err != nil {
		return awsclient.Classify("s3:GetBucketOwnershipControls "+b.name, err)
	}
	if !ok {
		if err := d.change(actions, "s3:PutBucketOwnershipControls", b.name, func() error {
			_, err := api.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: name, OwnershipControls: &s3types.OwnershipControls{
				Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: s3types.ObjectOwnershipBucketOwnerEnforced}},
			}})
			return err
		}); err != nil {
			return err
		}
	}

	if b.sseS3 {
		ok, err = settingsOK(func() (bool, error) {
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
		})
		if err != nil {
			return awsclient.Classify("s3:GetBucketEncryption "+b.name, err)
		}
		if !ok {
			if err := d.change(actions, "s3:PutBucketEncryption", b.name+" AES256", func() error {
				_, err := api.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: name, ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{
					Rules: []s3types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAes256}}},
				}})
				return err
			}); err != nil {
				return err
			}
		}
	}

	wantRules := lifecycleRules(b.retention)
	ok, err = settingsOK(func() (bool, error) {
		out, err := api.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: name})
		if notFound(err, "NoSuchLifecycleConfiguration") {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		return sameRules(out.Rules, wantRules), nil
	})
	if err != nil {
		return awsclient.Classify("s3:GetBucketLifecycleConfiguration "+b.name, err)
	}
	if !ok {
		if err := d.change(actions, "s3:PutBucketLifecycleConfiguration", fmt.Sprintf("%s %d days", b.name, b.retention), func() error {
			_, err := api.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: name,
				LifecycleConfiguration: &s3types.BucketLifecycleConfiguration{Rules: wantRules}})
			return err
		}); err != nil {
			return err
		}
	}

	if b.logging != nil {
		ok, err = settingsOK(func() (bool, error) {
			out, err := api.GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: name})
			if err != nil {
				return false, err
			}
			l := out.LoggingEnabled
			return l != nil && aws.ToString(l.TargetBucket) == aws.ToString(b.logging.TargetBucket) && aws.ToString(l.TargetPrefix) == aws.ToString(b.logging.TargetPrefix), nil
		})
		if err != nil {
			return awsclient.Classify("s3:GetBucketLogging "+b.name, err)
		}
		if !ok {
			if err := d.change(actions, "s3:PutBucketLogging", b.name+" to "+aws.ToString(b.logging.TargetBucket), func() error {
				_, err := api.PutBucketLogging(ctx, &s3.PutBucketLoggingInput{Bucket: name, BucketLoggingStatus: &s3types.BucketLoggingStatus{LoggingEnabled: b.logging}})
				return err
			}); err != nil {
				return err
			}
		}
	}

	policy := b.policy.JSON()
	ok, err = settingsOK(func() (bool, error) {
		out, err := api.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: name})
		if notFound(err, "NoSuchBucketPolicy") {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		return sameJSON(aws.ToString(out.Policy), policy), nil
	})
	if err != nil {
		return awsclient.Classify("s3:GetBucketPolicy "+b.name, err)
	}
	if !ok {
		return d.change(actions, "s3:PutBucketPolicy", b.name, func() error {
			_, err := api.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: name, Policy: aws.String(policy)})
			return err
		})
	}
	return nil
}

// lifecycleRules are the buckets' lifecycle rules as the stacks declare
// them: log files are kept days in total. Current objects expire after days;
// the buckets are versioned, so this leaves a noncurrent version behind a
// delete marker, and the version is removed logarchive.NoncurrentVersionDays
// later and the marker, once alone, by a rule of its own (S3 takes
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
			NoncurrentVersionExpiration:    &s3types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(logarchive.NoncurrentVersionDays)},
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

// key converges the trail's key and its alias in the security account.
//
// The key is made in steps (CreateKey, CreateAlias, EnableKeyRotation) and a
// run can stop between them, so each step is found again by a later run: the
// key by its alias or, before the alias exists, by its tag KeyAliasTag; the
// rotation and the policy by reading them.
// keySpec is one key as the security stack declares it.
type keySpec struct {
	alias, description string
	policy             orgtrail.Document
}

// trailKey and configKey are the security stack's keys.
func (d *deployer) trailKey() keySpec {
	return keySpec{alias: orgtrail.KeyAlias, description: orgtrail.TrailKeyDescription, policy: orgtrail.KeyPolicy(d.cfg)}
}

func (d *deployer) findingsKey() keySpec {
	return keySpec{alias: guardduty.KeyAlias, description: guardduty.KeyDescription, policy: guardduty.KeyPolicy(d.cfg)}
}

func (d *deployer) configKey() keySpec {
	return keySpec{alias: configsvc.KeyAlias, description: configsvc.KeyDescription, policy: configsvc.KeyPolicy(d.cfg)}
}

func (d *deployer) key(ctx context.Context, api *kms.Client, k keySpec) ([]workflow.Action, error) {
	var actions []workflow.Action
	policy := k.policy.JSON()
	alias := aws.String(k.alias)
	var keyID *string
	out, err := api.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: alias})
	var nf *kmstypes.NotFoundException
	switch {
	case errors.As(err, &nf):
		tagged, err := taggedKey(ctx, api, k.alias)
		if err != nil {
			return nil, err
		}
		keyID = tagged
		if keyID == nil {
			if err := d.change(&actions, "kms:CreateKey", k.alias, func() error {
				k, err := api.CreateKey(ctx, &kms.CreateKeyInput{
					Policy:      aws.String(policy),
					Description: aws.String(k.description),
					Tags:        []kmstypes.Tag{{TagKey: aws.String(KeyAliasTag), TagValue: aws.String(k.alias)}},
				})
				if err != nil {
					return err
				}
				if k.KeyMetadata == nil || k.KeyMetadata.KeyId == nil {
					return errors.New("CreateKey returned no key ID")
				}
				keyID = k.KeyMetadata.KeyId
				return nil
			}); err != nil {
				return nil, err
			}
		}
		if err := d.change(&actions, "kms:CreateAlias", k.alias, func() error {
			_, err := api.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: alias, TargetKeyId: keyID})
			return err
		}); err != nil {
			return nil, err
		}
		if keyID == nil {
			// Planning, with no key yet: a new key gets the policy it is
			// created with, and its rotation is still off.
			actions = append(actions, workflow.Action{Call: "kms:EnableKeyRotation", Target: k.alias})
			return actions, nil
		}
	case err != nil:
		return nil, awsclient.Classify("kms:DescribeKey "+k.alias, err)
	case out.KeyMetadata == nil || out.KeyMetadata.KeyId == nil:
		return nil, &workflow.TerminalError{Op: "kms:DescribeKey " + k.alias, Err: errors.New("no key metadata in the answer")}
	default:
		keyID = out.KeyMetadata.KeyId
	}
	p, err := api.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: keyID, PolicyName: aws.String("default")})
	if err != nil {
		return nil, awsclient.Classify("kms:GetKeyPolicy", err)
	}
	if !sameJSON(aws.ToString(p.Policy), policy) {
		if err := d.change(&actions, "kms:PutKeyPolicy", k.alias, func() error {
			_, err := api.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: keyID, PolicyName: aws.String("default"), Policy: aws.String(policy)})
			return err
		}); err != nil {
			return nil, err
		}
	}
	rot, err := api.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: keyID})
	if err != nil {
		return nil, awsclient.Classify("kms:GetKeyRotationStatus", err)
	}
	if !rot.KeyRotationEnabled {
		if err := d.change(&actions, "kms:EnableKeyRotation", k.alias, func() error {
			_, err := api.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: keyID})
			return err
		}); err != nil {
			return nil, err
		}
	}
	return actions, nil
}

// taggedKey returns the ID of a key of the account tagged KeyAliasTag with
// alias, that is a key a former run created but did not
// alias, or nil. Keys pending deletion are left alone.
func taggedKey(ctx context.Context, api *kms.Client, alias string) (*string, error) {
	keys := kms.NewListKeysPaginator(api, &kms.ListKeysInput{})
	for keys.HasMorePages() {
		page, err := keys.NextPage(ctx)
		if err != nil {
			return nil, awsclient.Classify("kms:ListKeys", err)
		}
		for _, k := range page.Keys {
			tagged, err := hasAliasTag(ctx, api, k.KeyId, alias)
			if err != nil {
				return nil, err
			}
			if !tagged {
				continue
			}
			out, err := api.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: k.KeyId})
			if err != nil {
				return nil, awsclient.Classify("kms:DescribeKey "+aws.ToString(k.KeyId), err)
			}
			if m := out.KeyMetadata; m != nil && m.KeyState != kmstypes.KeyStatePendingDeletion && m.KeyState != kmstypes.KeyStatePendingReplicaDeletion {
				return k.KeyId, nil
			}
		}
	}
	return nil, nil
}

// hasAliasTag reports whether key carries KeyAliasTag with alias. A key whose tags cannot be read (another service's, or gone since
// the listing) is not the trail's.
func hasAliasTag(ctx context.Context, api *kms.Client, key *string, alias string) (bool, error) {
	tags := kms.NewListResourceTagsPaginator(api, &kms.ListResourceTagsInput{KeyId: key})
	for tags.HasMorePages() {
		page, err := tags.NextPage(ctx)
		if notFound(err, "NotFoundException", "AccessDeniedException") {
			return false, nil
		}
		if err != nil {
			return false, awsclient.Classify("kms:ListResourceTags "+aws.ToString(key), err)
		}
		for _, t := range page.Tags {
			if aws.ToString(t.TagKey) == KeyAliasTag && aws.ToString(t.TagValue) == alias {
				return true, nil
			}
		}
	}
	return false, nil
}

// logDeliveryIn reports whether account's stack holds the log group and the
// role: with cloudWatchLogs on, the managing account's.
func (d *deployer) logDeliveryIn(account string) bool {
	return d.cfg.Services.CloudTrail.CloudWatchLogs.Enabled && orgtrail.ManagingAccount(d.cfg) == account
}

// cloudWatchLogs converges one account's log group and delivery role:
// present when want (cloudWatchLogs on, in the managing account); otherwise
// the role is removed, as a deploy would, and a log group kept (the stack
// retains it).
func (d *deployer) cloudWatchLogs(ctx context.Context, logs *cloudwatchlogs.Client, roles *iam.Client, want bool) ([]workflow.Action, error) {
	var actions []workflow.Action
	opts := d.cfg.Services.CloudTrail.CloudWatchLogs
	role := aws.String(orgtrail.CloudWatchLogsRoleName)
	const inline = "WriteTrailStreams"
	got, err := roles.GetRole(ctx, &iam.GetRoleInput{RoleName: role})
	roleExists := err == nil
	if err != nil && !notFound(err, "NoSuchEntity") {
		return nil, awsclient.Classify("iam:GetRole", err)
	}
	if !want {
		if roleExists {
			if err := d.change(&actions, "iam:DeleteRole", orgtrail.CloudWatchLogsRoleName, func() error {
				if _, err := roles.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: role, PolicyName: aws.String(inline)}); err != nil && !notFound(err, "NoSuchEntity") {
					return err
				}
				_, err := roles.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: role})
				return err
			}); err != nil {
				return nil, err
			}
		}
		return actions, nil
	}

	groups, err := logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(orgtrail.LogGroupName)})
	if err != nil {
		return nil, awsclient.Classify("logs:DescribeLogGroups", err)
	}
	var retention int32
	found := false
	for _, g := range groups.LogGroups {
		if aws.ToString(g.LogGroupName) == orgtrail.LogGroupName {
			found, retention = true, aws.ToInt32(g.RetentionInDays)
		}
	}
	if !found {
		if err := d.change(&actions, "logs:CreateLogGroup", orgtrail.LogGroupName, func() error {
			_, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(orgtrail.LogGroupName)})
			return err
		}); err != nil {
			return nil, err
		}
	}
	if want := int32(opts.RetentionDays); retention != want {
		if err := d.change(&actions, "logs:PutRetentionPolicy", fmt.Sprintf("%s %d days", orgtrail.LogGroupName, want), func() error {
			_, err := logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String(orgtrail.LogGroupName), RetentionInDays: aws.Int32(want)})
			return err
		}); err != nil {
			return nil, err
		}
	}

	trust := orgtrail.CloudWatchLogsTrustPolicy(d.cfg).JSON()
	switch {
	case !roleExists:
		if err := d.change(&actions, "iam:CreateRole", orgtrail.CloudWatchLogsRoleName, func() error {
			_, err := roles.CreateRole(ctx, &iam.CreateRoleInput{RoleName: role, AssumeRolePolicyDocument: aws.String(trust)})
			return err
		}); err != nil {
			return nil, err
		}
	case got.Role == nil || !sameJSON(decodeIAM(aws.ToString(got.Role.AssumeRolePolicyDocument)), trust):
		if err := d.change(&actions, "iam:UpdateAssumeRolePolicy", orgtrail.CloudWatchLogsRoleName, func() error {
			_, err := roles.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: role, PolicyDocument: aws.String(trust)})
			return err
		}); err != nil {
			return nil, err
		}
	}
	policy := orgtrail.CloudWatchLogsRolePolicy(d.cfg).JSON()
	same := false
	if roleExists {
		out, err := roles.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: role, PolicyName: aws.String(inline)})
		if err != nil && !notFound(err, "NoSuchEntity") {
			return nil, awsclient.Classify("iam:GetRolePolicy", err)
		}
		if err == nil {
			same = sameJSON(decodeIAM(aws.ToString(out.PolicyDocument)), policy)
		}
	}
	if !same {
		if err := d.change(&actions, "iam:PutRolePolicy", orgtrail.CloudWatchLogsRoleName+" "+inline, func() error {
			_, err := roles.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: role, PolicyName: aws.String(inline), PolicyDocument: aws.String(policy)})
			return err
		}); err != nil {
			return nil, err
		}
	}
	return actions, nil
}

// decodeIAM reads a policy document as IAM returns it: URL-encoded JSON.
// aggregatorRole converges the organization aggregator's role in the
// security account: its trust policy and the AWS managed policy.
func (d *deployer) aggregatorRole(ctx context.Context, roles *iam.Client) ([]workflow.Action, error) {
	var actions []workflow.Action
	name := aws.String(configsvc.AggregatorRoleName)
	trust := configsvc.AggregatorTrustPolicy(d.cfg).JSON()
	policyARN := "arn:aws:iam::aws:policy/" + configsvc.AggregatorManagedPolicy
	got, err := roles.GetRole(ctx, &iam.GetRoleInput{RoleName: name})
	exists := err == nil
	if err != nil && !notFound(err, "NoSuchEntity") {
		return nil, awsclient.Classify("iam:GetRole "+configsvc.AggregatorRoleName, err)
	}
	switch {
	case !exists:
		if err := d.change(&actions, "iam:CreateRole", configsvc.AggregatorRoleName, func() error {
			_, err := roles.CreateRole(ctx, &iam.CreateRoleInput{RoleName: name, AssumeRolePolicyDocument: aws.String(trust)})
			return err
		}); err != nil {
			return nil, err
		}
	case !sameJSON(decodeIAM(aws.ToString(got.Role.AssumeRolePolicyDocument)), trust):
		if err := d.change(&actions, "iam:UpdateAssumeRolePolicy", configsvc.AggregatorRoleName, func() error {
			_, err := roles.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: name, PolicyDocument: aws.String(trust)})
			return err
		}); err != nil {
			return nil, err
		}
	}
	attached := false
	if exists {
		pages := iam.NewListAttachedRolePoliciesPaginator(roles, &iam.ListAttachedRolePoliciesInput{RoleName: name})
		for pages.HasMorePages() && !attached {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, awsclient.Classify("iam:ListAttachedRolePolicies "+configsvc.AggregatorRoleName, err)
			}
			attached = slices.ContainsFunc(page.AttachedPolicies, func(p iamtypes.AttachedPolicy) bool { return aws.ToString(p.PolicyArn) == policyARN })
		}
	}
	if !attached {
		// moto loads AWS managed policies only on request, and then into
		// every account (seconds each), so the emulator usually has none:
		// the role is left without it and the deploy says so. The
		// aggregator never assumes the role in the emulator.
		if _, err := roles.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(policyARN)}); notFound(err, "NoSuchEntity") {
			d.warnings = append(d.warnings, fmt.Sprintf("%s is not in this IAM (the emulator has no AWS managed policies): role %s is left without it",
				configsvc.AggregatorManagedPolicy, configsvc.AggregatorRoleName))
			return actions, nil
		} else if err != nil {
			return nil, awsclient.Classify("iam:GetPolicy "+configsvc.AggregatorManagedPolicy, err)
		}
		if err := d.change(&actions, "iam:AttachRolePolicy", configsvc.AggregatorRoleName+" "+configsvc.AggregatorManagedPolicy, func() error {
			_, err := roles.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: name, PolicyArn: aws.String(policyARN)})
			return err
		}); err != nil {
			return nil, err
		}
	}
	return actions, nil
}

func decodeIAM(s string) string {
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return s
}
