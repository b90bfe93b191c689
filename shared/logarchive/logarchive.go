// Package logarchive holds what the log-archive account's buckets share:
// the access-log bucket that receives every other bucket's server access
// logs (its name, retention and policy) and the lifecycle rules all of them
// use. Each service's own bucket (its name, policy and access-log prefix)
// is in the service's package; Sources is the one list of the buckets that
// log here.
package logarchive

import (
	"fmt"

	"github.com/orgbaseline/orgbaseline/shared/configsvc"
	"github.com/orgbaseline/orgbaseline/shared/guardduty"
	"github.com/orgbaseline/orgbaseline/shared/orgtrail"
	"github.com/orgbaseline/orgbaseline/shared/policydoc"
	"github.com/orgbaseline/orgbaseline/shared/settings"
)

// The lifecycle of every log-archive bucket (the trail, Config and findings
// buckets and the access-log bucket), in the templates and in the local
// deploy alike. The buckets are
// versioned, so expiring a current object only makes it noncurrent behind a
// delete marker: RetentionRuleID expires current objects after the
// configured retention and removes a noncurrent version the retention after
// it became noncurrent (a log file overwritten or deleted early is kept the
// whole retention: logIntegrity), and DeleteMarkerRuleID removes the delete
// markers left without versions. S3 takes ExpiredObjectDeleteMarker only in
// a rule without an expiration in days, hence two rules.
const (
	// RetentionRuleID names the rule that expires current objects after
	// the retention, noncurrent versions the retention after they became
	// noncurrent, and aborts incomplete multipart uploads after
	// AbortIncompleteUploadDays.
	RetentionRuleID = "orgbaseline-retention"
	// DeleteMarkerRuleID names the rule that removes expired object delete
	// markers.
	DeleteMarkerRuleID = "orgbaseline-delete-markers"
	// AbortIncompleteUploadDays is when multipart uploads that were never
	// completed are aborted.
	AbortIncompleteUploadDays = 7
)

// Source is a log-archive bucket whose server access logs go to the
// access-log bucket.
type Source struct {
	// Sid names the statement of the access-log bucket's policy that
	// admits its logs.
	Sid string
	// Bucket is the source bucket's name.
	Bucket string
	// Prefix is where its logs go in the access-log bucket.
	Prefix string
}

// Sources lists the buckets of the configuration that log to the
// access-log bucket: the trail bucket (cloudtrail on), the Config delivery
// bucket (config on) and the GuardDuty findings bucket (findings exported).
func Sources(c settings.Config) []Source {
	var s []Source
	if c.Enabled(settings.ServiceCloudTrail) {
		s = append(s, Source{Sid: "S3ServerAccessLogs", Bucket: orgtrail.BucketName(c), Prefix: orgtrail.AccessLogPrefix})
	}
	if c.Enabled(settings.ServiceConfig) {
		s = append(s, Source{Sid: "S3ServerAccessLogsConfigBucket", Bucket: configsvc.BucketName(c), Prefix: configsvc.AccessLogPrefix})
	}
	if guardduty.FindingsExported(c) {
		s = append(s, Source{Sid: "S3ServerAccessLogsGuardDutyBucket", Bucket: guardduty.BucketName(c), Prefix: guardduty.AccessLogPrefix})
	}
	return s
}

// HasAccessLogBucket reports whether the log-archive account has the
// access-log bucket: whenever one of the buckets that log to it exists.
func HasAccessLogBucket(c settings.Config) bool { return len(Sources(c)) > 0 }

// AccessLogRetentionDays is how long the access-log bucket keeps logs: the
// trail's retention, or without the trail, Config's.
func AccessLogRetentionDays(c settings.Config) int {
	if c.Enabled(settings.ServiceCloudTrail) {
		return c.Services.CloudTrail.RetentionDays
	}
	return c.Services.Config.RetentionDays
}

// AccessLogBucketName is the bucket that receives the other log-archive
// buckets' server access logs.
func AccessLogBucketName(c settings.Config) string {
	return fmt.Sprintf("orgbaseline-access-logs-%s-%s", c.Accounts.LogArchive, c.HomeRegion)
}

// AccessLogBucketPolicy is the access-log bucket's policy: S3's logging
// service may write the server access logs of each of Sources, each under
// its own prefix, from the log-archive account only; requests without TLS
// are refused.
func AccessLogBucketPolicy(c settings.Config) policydoc.Document {
	bucket := AccessLogBucketName(c)
	d := policydoc.New()
	for _, s := range Sources(c) {
		d.Statement = append(d.Statement, policydoc.Statement{
			Sid: s.Sid, Effect: "Allow", Principal: policydoc.Service("logging.s3.amazonaws.com"), Action: "s3:PutObject",
			Resource: policydoc.BucketARN(bucket) + "/" + s.Prefix + "*",
			Condition: map[string]map[string]any{
				"ArnLike":      {"aws:SourceArn": policydoc.BucketARN(s.Bucket)},
				"StringEquals": {"aws:SourceAccount": c.Accounts.LogArchive},
			},
		})
	}
	d.Statement = append(d.Statement, policydoc.DenyInsecureTransport(bucket),
		policydoc.DenyLogTampering("DenyLogTampering", bucket, policydoc.LogTamperingActions, c.LogAdmins()))
	return d
}
