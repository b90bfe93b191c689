package logarchive

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/orgbaseline/orgbaseline/shared/settings"
)

func config(t *testing.T, extra string) settings.Config {
	t.Helper()
	c, err := settings.Load("t.yaml", strings.NewReader(`
accounts: {management: "111111111111", security: "222222222222", logArchive: "333333333333"}
organizationId: o-abcdef1234
homeRegion: eu-west-1
regions: [eu-west-1]
`+extra))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAccessLogBucketName(t *testing.T) {
	n := AccessLogBucketName(config(t, ""))
	if n != "orgbaseline-access-logs-333333333333-eu-west-1" {
		t.Errorf("name: %s", n)
	}
	if len(n) > 63 {
		t.Errorf("bucket names are at most 63 characters: %d", len(n))
	}
}

func TestAccessLogBucketPolicy(t *testing.T) {
	d := AccessLogBucketPolicy(config(t, ""))
	w, ok := d.Find("S3ServerAccessLogs")
	if !ok {
		t.Fatalf("no trail statement in %s", d.JSON())
	}
	b, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	if e, a := `{"Sid":"S3ServerAccessLogs","Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::orgbaseline-access-logs-333333333333-eu-west-1/trail-bucket/*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::orgbaseline-trail-333333333333-eu-west-1"},"StringEquals":{"aws:SourceAccount":"333333333333"}}}`, string(b); e != a {
		t.Errorf("access logs:\nexpect %s\ngot    %s", e, a)
	}
	if _, ok := d.Find("DenyInsecureTransport"); !ok {
		t.Error("no TLS-only statement")
	}
}

// Each bucket that exists logs here under its own prefix; with none, there
// is no access-log bucket.
func TestSources(t *testing.T) {
	for _, tt := range []struct {
		name, extra string
		sids        []string
	}{
		{"defaults", "", []string{"S3ServerAccessLogs", "S3ServerAccessLogsConfigBucket"}},
		{"findings exported", "services: {guardduty: {exportFindings: true}}", []string{"S3ServerAccessLogs", "S3ServerAccessLogsConfigBucket", "S3ServerAccessLogsGuardDutyBucket"}},
		{"config only", "services: {cloudtrail: {enabled: false}}", []string{"S3ServerAccessLogsConfigBucket"}},
		{"none", "services: {cloudtrail: {enabled: false}, config: {enabled: false}}", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := config(t, tt.extra)
			var sids []string
			prefixes := map[string]bool{}
			for _, s := range Sources(c) {
				sids = append(sids, s.Sid)
				if prefixes[s.Prefix] || !strings.HasSuffix(s.Prefix, "/") {
					t.Errorf("prefix %q is shared or not a folder", s.Prefix)
				}
				prefixes[s.Prefix] = true
			}
			if strings.Join(sids, ",") != strings.Join(tt.sids, ",") {
				t.Errorf("sources: expect %v, got %v", tt.sids, sids)
			}
			if HasAccessLogBucket(c) != (len(tt.sids) > 0) {
				t.Errorf("HasAccessLogBucket = %v", HasAccessLogBucket(c))
			}
		})
	}
}
