package orgtrail

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

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

// asJSON compares through JSON, as IAM reads the documents.
func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func find(t *testing.T, d Document, sid string) Statement {
	t.Helper()
	s, ok := d.Find(sid)
	if !ok {
		t.Fatalf("no statement %s in %s", sid, d.JSON())
	}
	return s
}

const trail = "arn:aws:cloudtrail:eu-west-1:111111111111:trail/orgbaseline-organization-trail"

func TestNames(t *testing.T) {
	c := config(t, "")
	for got, want := range map[string]string{
		BucketName(c):            "orgbaseline-trail-333333333333-eu-west-1",
		TrailARN(c):              trail,
		KeyAliasARN(c):           "arn:aws:kms:eu-west-1:222222222222:alias/orgbaseline-trail",
		LogGroupARN(c):           "arn:aws:logs:eu-west-1:111111111111:log-group:/orgbaseline/cloudtrail:*",
		CloudWatchLogsRoleARN(c): "arn:aws:iam::111111111111:role/orgbaseline-cloudtrail-to-logs",
	} {
		if got != want {
			t.Errorf("expect %s, got %s", want, got)
		}
	}
	if n := len(BucketName(c)); n > 63 {
		t.Errorf("bucket names are at most 63 characters: %d", n)
	}
	if e, a := "111111111111", ManagingAccount(c); e != a {
		t.Errorf("managing account: expect %s, got %s", e, a)
	}
}

const securityManaged = "services: {cloudtrail: {delegatedAdmin: true, manageFrom: security}}"

// Managed from the security account, the log group and the role are the
// security account's; the trail, its bucket and its key stay where they are.
func TestNamesManagedFromSecurity(t *testing.T) {
	c := config(t, securityManaged)
	for got, want := range map[string]string{
		ManagingAccount(c):       "222222222222",
		TrailARN(c):              trail,
		BucketName(c):            "orgbaseline-trail-333333333333-eu-west-1",
		KeyAliasARN(c):           "arn:aws:kms:eu-west-1:222222222222:alias/orgbaseline-trail",
		LogGroupARN(c):           "arn:aws:logs:eu-west-1:222222222222:log-group:/orgbaseline/cloudtrail:*",
		CloudWatchLogsRoleARN(c): "arn:aws:iam::222222222222:role/orgbaseline-cloudtrail-to-logs",
	} {
		if got != want {
			t.Errorf("expect %s, got %s", want, got)
		}
	}
}

func TestBucketPolicy(t *testing.T) {
	d := BucketPolicy(config(t, ""))
	bucket := "arn:aws:s3:::orgbaseline-trail-333333333333-eu-west-1"
	if e, a := 5, len(d.Statement); e != a {
		t.Fatalf("expect %d statements, got %d: %s", e, a, d.JSON())
	}
	acl := find(t, d, "CloudTrailAclCheck")
	if e, a := `{"Sid":"CloudTrailAclCheck","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"`+bucket+`","Condition":{"StringEquals":{"aws:SourceArn":"`+trail+`"}}}`, asJSON(t, acl); e != a {
		t.Errorf("ACL check:\nexpect %s\ngot    %s", e, a)
	}
	// Both write paths; the management account's one is what CreateTrail checks.
	for sid, prefix := range map[string]string{"CloudTrailWriteManagementAccount": "111111111111", "CloudTrailWriteOrganization": "o-abcdef1234"} {
		w := find(t, d, sid)
		want := `{"Sid":"` + sid + `","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject","Resource":"` + bucket + `/AWSLogs/` + prefix + `/*","Condition":{"StringEquals":{"aws:SourceArn":"` + trail + `","s3:x-amz-acl":"bucket-owner-full-control"}}}`
		if a := asJSON(t, w); a != want {
			t.Errorf("%s:\nexpect %s\ngot    %s", sid, want, a)
		}
	}
	tls := find(t, d, "DenyInsecureTransport")
	if tls.Effect != "Deny" || tls.Principal != "*" || !reflect.DeepEqual(tls.Resource, []string{bucket, bucket + "/*"}) ||
		tls.Condition["Bool"]["aws:SecureTransport"] != "false" {
		t.Errorf("TLS-only: %s", asJSON(t, tls))
	}
	if _, ok := d.Find("OrganizationRead"); ok {
		t.Error("organization read is off by default")
	}
}

func TestOrganizationRead(t *testing.T) {
	c := config(t, "services: {cloudtrail: {organizationRead: true}}")
	r := find(t, BucketPolicy(c), "OrganizationRead")
	if e, a := `{"Sid":"OrganizationRead","Effect":"Allow","Principal":{"AWS":"*"},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::orgbaseline-trail-333333333333-eu-west-1","arn:aws:s3:::orgbaseline-trail-333333333333-eu-west-1/*"],"Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abcdef1234"}}}`, asJSON(t, r); e != a {
		t.Errorf("organization read:\nexpect %s\ngot    %s", e, a)
	}
	k := find(t, KeyPolicy(c), "OrganizationDecryptsLogFiles")
	if k.Condition["StringEquals"]["aws:PrincipalOrgID"] != "o-abcdef1234" || k.Condition["Null"]["kms:EncryptionContext:aws:cloudtrail:arn"] != "false" {
		t.Errorf("organization decrypt: %s", asJSON(t, k))
	}
}

func TestKeyPolicy(t *testing.T) {
	d := KeyPolicy(config(t, ""))
	want := map[string]string{
		"SecurityAccountAdministers":     `{"Sid":"SecurityAccountAdministers","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"kms:*","Resource":"*"}`,
		"CloudTrailEncryptsLogs":         `{"Sid":"CloudTrailEncryptsLogs","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"kms:GenerateDataKey*","Resource":"*","Condition":{"StringEquals":{"aws:SourceArn":"` + trail + `","kms:EncryptionContext:aws:cloudtrail:arn":"` + trail + `"}}}`,
		"CloudTrailDecryptsForBucketKey": `{"Sid":"CloudTrailDecryptsForBucketKey","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"aws:SourceArn":"` + trail + `"}}}`,
		"CloudTrailDescribesKey":         `{"Sid":"CloudTrailDescribesKey","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"kms:DescribeKey","Resource":"*","Condition":{"StringEquals":{"aws:SourceArn":"` + trail + `"}}}`,
		"LogArchiveDecryptsLogFiles":     `{"Sid":"LogArchiveDecryptsLogFiles","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::333333333333:root"},"Action":"kms:Decrypt","Resource":"*","Condition":{"Null":{"kms:EncryptionContext:aws:cloudtrail:arn":"false"}}}`,
	}
	if e, a := len(want), len(d.Statement); e != a {
		t.Fatalf("expect %d statements, got %d", e, a)
	}
	for sid, w := range want {
		if a := asJSON(t, find(t, d, sid)); a != w {
			t.Errorf("%s:\nexpect %s\ngot    %s", sid, w, a)
		}
	}
}

// In both modes the trust policy names the trail (management account) and
// the streams are the organization trail's; only the log group's account
// follows the managing account.
func TestCloudWatchLogsPolicies(t *testing.T) {
	for _, tt := range []struct{ name, extra, groupAccount string }{
		{"management", "", "111111111111"},
		{"security", securityManaged, "222222222222"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := config(t, tt.extra)
			if e, a := `{"Version":"2012-10-17","Statement":[{"Sid":"CloudTrailAssumes","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceArn":"`+trail+`"}}}]}`, CloudWatchLogsTrustPolicy(c).JSON(); e != a {
				t.Errorf("trust:\nexpect %s\ngot    %s", e, a)
			}
			s := find(t, CloudWatchLogsRolePolicy(c), "WriteTrailStreams")
			group := "arn:aws:logs:eu-west-1:" + tt.groupAccount + ":log-group:/orgbaseline/cloudtrail:log-stream:"
			if e, a := []string{group + "111111111111_CloudTrail_eu-west-1*", group + "o-abcdef1234_*"}, s.Resource; !reflect.DeepEqual(e, a) {
				t.Errorf("streams:\nexpect %v\ngot    %v", e, a)
			}
			if e, a := []string{"logs:CreateLogStream", "logs:PutLogEvents"}, s.Action; !reflect.DeepEqual(e, a) {
				t.Errorf("actions: expect %v, got %v", e, a)
			}
			if !strings.HasPrefix(LogGroupARN(c), strings.TrimSuffix(group, ":log-stream:")) {
				t.Errorf("the role's log group %s is not the trail's %s", group, LogGroupARN(c))
			}
		})
	}
}

func TestLogGroupKeyPolicy(t *testing.T) {
	c := config(t, securityManaged)
	d := LogGroupKeyPolicy(c)
	want := map[string]string{
		"SecurityAccountAdministers":          `{"Sid":"SecurityAccountAdministers","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"kms:*","Resource":"*"}`,
		"CloudWatchLogsEncryptsTrailLogGroup": `{"Sid":"CloudWatchLogsEncryptsTrailLogGroup","Effect":"Allow","Principal":{"Service":"logs.eu-west-1.amazonaws.com"},"Action":["kms:Encrypt*","kms:Decrypt*","kms:ReEncrypt*","kms:GenerateDataKey*","kms:Describe*"],"Resource":"*","Condition":{"ArnEquals":{"kms:EncryptionContext:aws:logs:arn":"arn:aws:logs:eu-west-1:222222222222:log-group:/orgbaseline/cloudtrail"}}}`,
	}
	if e, a := len(want), len(d.Statement); e != a {
		t.Fatalf("expect %d statements, got %d: %s", e, a, d.JSON())
	}
	for sid, w := range want {
		if a := asJSON(t, find(t, d, sid)); a != w {
			t.Errorf("%s:\nexpect %s\ngot    %s", sid, w, a)
		}
	}
	// The trail's key policy is the same in both modes.
	if e, a := KeyPolicy(config(t, "services: {cloudtrail: {delegatedAdmin: true}}")).JSON(), KeyPolicy(c).JSON(); e != a {
		t.Errorf("the trail key policy depends on manageFrom:\n%s\n%s", e, a)
	}
}

func TestMapRoundTrip(t *testing.T) {
	d := KeyPolicy(config(t, ""))
	b, _ := json.Marshal(d.Map())
	var back Document
	if err := json.Unmarshal(b, &back); err != nil || back.JSON() != d.JSON() {
		t.Errorf("Map changes the document:\n%s\n%s", d.JSON(), b)
	}
}

// serviceAllowed reports whether an Allow statement of d lets the service
// principal call action with the request context reqCtx (condition key ->
// value; a key absent from reqCtx is absent from the request). It reads the
// operators the trail's documents use and fails the test on any other.
func serviceAllowed(t *testing.T, d Document, service, action string, reqCtx map[string]string) bool {
	t.Helper()
	for _, s := range d.Statement {
		if s.Effect != "Allow" || !reflect.DeepEqual(s.Principal, map[string]any{"Service": service}) || !actionMatches(s.Action, action) {
			continue
		}
		if conditionsHold(t, s, reqCtx) {
			return true
		}
	}
	return false
}

func actionMatches(actions any, action string) bool {
	var list []string
	switch a := actions.(type) {
	case string:
		list = []string{a}
	case []string:
		list = a
	}
	for _, a := range list {
		if a == action || (strings.HasSuffix(a, "*") && strings.HasPrefix(action, strings.TrimSuffix(a, "*"))) {
			return true
		}
	}
	return false
}

func conditionsHold(t *testing.T, s Statement, reqCtx map[string]string) bool {
	t.Helper()
	for op, keys := range s.Condition {
		for key, want := range keys {
			got, present := reqCtx[key]
			switch op {
			case "StringEquals":
				if !present || got != want {
					return false
				}
			case "Null":
				if (want == "true") != !present {
					return false
				}
			default:
				t.Fatalf("statement %s: operator %s is not read by this test", s.Sid, op)
			}
		}
	}
	return true
}

// The trail bucket's default encryption uses an S3 Bucket Key
// (putEncryption). "Configure AWS KMS key policies for CloudTrail"
// (CloudTrail User Guide), "Required KMS key policy elements for trails" and
// "Granting decrypt permissions": with an S3 Bucket Key, kms:Decrypt is
// required to create or update a trail with SSE-KMS, and the statement
// "Allow CloudTrail to decrypt a trail" has no encryption-context
// condition. The page's aws:SourceArn best practice keeps it to this trail.
func TestKeyPolicyLetsCloudTrailDecryptForTheBucketKey(t *testing.T) {
	for _, extra := range []string{"", securityManaged, "services: {cloudtrail: {organizationRead: true}}"} {
		d := KeyPolicy(config(t, extra))
		onlyTrail := map[string]string{"aws:SourceArn": trail}
		if !serviceAllowed(t, d, cloudtrailPrincipal, "kms:Decrypt", onlyTrail) {
			t.Errorf("%q: CloudTrail may not kms:Decrypt for the trail without the CloudTrail encryption context:\n%s", extra, d.JSON())
		}
		other := map[string]string{"aws:SourceArn": "arn:aws:cloudtrail:eu-west-1:444444444444:trail/other"}
		if serviceAllowed(t, d, cloudtrailPrincipal, "kms:Decrypt", other) || serviceAllowed(t, d, cloudtrailPrincipal, "kms:Decrypt", nil) {
			t.Errorf("%q: CloudTrail may kms:Decrypt for another trail or without aws:SourceArn:\n%s", extra, d.JSON())
		}
		// Data keys stay bound to the trail's encryption context.
		if serviceAllowed(t, d, cloudtrailPrincipal, "kms:GenerateDataKey", onlyTrail) {
			t.Errorf("%q: CloudTrail may generate data keys without the CloudTrail encryption context:\n%s", extra, d.JSON())
		}
		withContext := map[string]string{"aws:SourceArn": trail, cloudTrailContext: trail}
		if !serviceAllowed(t, d, cloudtrailPrincipal, "kms:GenerateDataKey", withContext) {
			t.Errorf("%q: CloudTrail may not generate data keys for the trail:\n%s", extra, d.JSON())
		}
	}
	// The bucket the statement is for: SSE-KMS with the Bucket Key on.
	f := newFake()
	if err := putEncryption(context.Background(), f, "bucket", fKeyARN); err != nil {
		t.Fatal(err)
	}
	if f.lastEncryption == nil || !aws.ToBool(f.lastEncryption.Rules[0].BucketKeyEnabled) {
		t.Errorf("the trail bucket's SSE-KMS does not use an S3 Bucket Key: %+v", f.lastEncryption)
	}
}
