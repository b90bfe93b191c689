package configsvc

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/orgbaseline/orgbaseline/shared/policydoc"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

const (
	workloadA      = "444444444444"
	workloadB      = "555555555555"
	deliveryKeyARN = "arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"
)

// statement returns the statement sid of d.
func statement(t *testing.T, d policydoc.Document, sid string) policydoc.Statement {
	t.Helper()
	s, ok := d.Find(sid)
	if !ok {
		t.Fatalf("no statement %s in %s", sid, d.JSON())
	}
	return s
}

// jsonOf is v as IAM reads it.
func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// "Permissions for the Amazon S3 Bucket" (AWS Config Developer Guide) gives
// the bucket policy for Config's service principal with aws:SourceAccount on
// each of its three statements, and warns that as the service principal
// Config "won't work with organization ID or organization units based
// conditions". The bucket policy names the accounts, with no
// organization-based key.
func TestBucketPolicyAdmitsConfigByAccountAsPermissionsForTheS3BucketDocuments(t *testing.T) {
	c := fakeConfig(t, "")
	d := BucketPolicy(c)
	if doc := d.JSON(); strings.Contains(strings.ToLower(doc), "orgid") || strings.Contains(strings.ToLower(doc), "orgpaths") {
		t.Errorf("an organization-based condition, which Config does not document for its service principal: %s", doc)
	}
	arn := "arn:aws:s3:::orgbaseline-config-333333333333-us-east-1"
	want := fmt.Sprintf(`{"Sid":"ConfigDelivery","Effect":"Allow","Principal":{"Service":"config.amazonaws.com"},`+
		`"Action":["s3:GetBucketAcl","s3:ListBucket","s3:PutObject"],"Resource":["%s","%s/AWSLogs/*/Config/*"],`+
		`"Condition":{"StringEquals":{"aws:SourceAccount":["111111111111","222222222222","333333333333"]}}}`, arn, arn)
	if got := jsonOf(t, statement(t, d, "ConfigDelivery")); got != want {
		t.Errorf("delivery statement:\nexpect %s\ngot    %s", want, got)
	}
	// Config's delivery statement asks for the bucket-owner-full-control
	// ACL: any other PutObject by Config is refused.
	want = fmt.Sprintf(`{"Sid":"ConfigDeliveryOwnerControl","Effect":"Deny","Principal":{"Service":"config.amazonaws.com"},`+
		`"Action":"s3:PutObject","Resource":"%s/*","Condition":{"StringNotEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}`, arn)
	if got := jsonOf(t, statement(t, d, "ConfigDeliveryOwnerControl")); got != want {
		t.Errorf("ACL statement:\nexpect %s\ngot    %s", want, got)
	}
	if e, a := jsonOf(t, policydoc.DenyInsecureTransport(BucketName(c))), jsonOf(t, statement(t, d, "DenyInsecureTransport")); e != a {
		t.Errorf("TLS statement: expect %s, got %s", e, a)
	}
	// And the log integrity's two denies (logIntegrity: policydoc.DenyLogTampering).
	if len(d.Statement) != 5 {
		t.Errorf("statements beyond the five: %s", d.JSON())
	}
	policy := statement(t, d, "DenyPolicyChanges")
	if admins := policy.Condition["ArnNotLike"]["aws:PrincipalArn"].([]string); !slices.Contains(admins, "arn:aws:iam::333333333333:role/OrganizationAccountAccessRole") {
		t.Errorf("config-delivery's role may not keep the policy: %v", admins)
	}
	if slices.Contains(statement(t, d, "DenyLogTampering").Action.([]string), "s3:PutBucketPolicy") {
		t.Error("the execution role's exception for the policy is undone by the other deny")
	}
}

// "Permissions for the KMS Key" (AWS Config Developer Guide) gives the key
// policy statement for Config's service principal, kms:Decrypt and
// kms:GenerateDataKey, with aws:SourceAccount.
func TestKeyPolicyAdmitsConfigByAccountAsPermissionsForTheKMSKeyDocuments(t *testing.T) {
	c := fakeConfig(t, "")
	d := KeyPolicy(c)
	if doc := d.JSON(); strings.Contains(strings.ToLower(doc), "orgid") {
		t.Errorf("an organization-based condition, which Config does not document for its service principal: %s", doc)
	}
	want := `{"Sid":"ConfigEncryptsDeliveries","Effect":"Allow","Principal":{"Service":"config.amazonaws.com"},` +
		`"Action":["kms:Decrypt","kms:GenerateDataKey"],"Resource":"*",` +
		`"Condition":{"StringEquals":{"aws:SourceAccount":["111111111111","222222222222","333333333333"]}}}`
	if got := jsonOf(t, statement(t, d, "ConfigEncryptsDeliveries")); got != want {
		t.Errorf("Config statement:\nexpect %s\ngot    %s", want, got)
	}
	if got := statement(t, d, "SecurityAccountAdministers"); got.Principal.(map[string]any)["AWS"] != "arn:aws:iam::222222222222:root" || got.Action != "kms:*" {
		t.Errorf("administrator statement: %+v", got)
	}
}

// The run's accounts join the configuration's, sorted and each once, in
// both policies.
func TestDeliveryPoliciesListTheRunsAccounts(t *testing.T) {
	c := fakeConfig(t, "")
	want := []string{"111111111111", "222222222222", "333333333333", workloadA, workloadB}
	if got := DeliveryAccounts(c, workloadB, mgmtID, workloadA, workloadB); !reflect.DeepEqual(want, got) {
		t.Fatalf("accounts: expect %v, got %v", want, got)
	}
	for name, d := range map[string]struct {
		doc policydoc.Document
		sid string
	}{
		"bucket": {BucketPolicy(c, workloadB, workloadA), "ConfigDelivery"},
		"key":    {KeyPolicy(c, workloadB, workloadA), "ConfigEncryptsDeliveries"},
	} {
		got := statement(t, d.doc, d.sid).Condition["StringEquals"]["aws:SourceAccount"]
		if !reflect.DeepEqual(want, got) {
			t.Errorf("%s: expect %v, got %v", name, want, got)
		}
	}
}

// accountIDs returns n made-up account IDs.
func accountIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("9%011d", i)
	}
	return ids
}

// "Bucket policies are limited to 20 KB in size" ("Bucket policies and user
// policies", Amazon S3 User Guide) and "The policy size limit is 32 KiB"
// (PutKeyPolicy): 1,200 accounts fit the bucket policy, and the key policy
// fits for as many accounts as the bucket policy does.
func TestDeliveryPoliciesFitTheSizeLimitsFor1200Accounts(t *testing.T) {
	c := fakeConfig(t, "")
	if n := len(BucketPolicy(c, accountIDs(1200)...).JSON()); n > MaxBucketPolicyBytes {
		t.Errorf("bucket policy for 1,200 accounts: %d bytes, over %d", n, MaxBucketPolicyBytes)
	}
	most := 0
	for len(BucketPolicy(c, accountIDs(most+1)...).JSON()) <= MaxBucketPolicyBytes {
		most++
	}
	if n := len(KeyPolicy(c, accountIDs(most)...).JSON()); n > MaxKeyPolicyBytes {
		t.Errorf("key policy for %d accounts, the most the bucket policy holds: %d bytes, over %d", most, n, MaxKeyPolicyBytes)
	}
	t.Logf("the bucket policy holds %d accounts", most)
}

// policyS3 is S3 of the log-archive account, holding one bucket's policy.
type policyS3 struct {
	policy    string
	getErr    error
	puts      []string
	getBucket string
}

func (f *policyS3) GetBucketPolicy(_ context.Context, in *s3.GetBucketPolicyInput, _ ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error) {
	f.getBucket = aws.ToString(in.Bucket)
	if f.getErr != nil {
		return nil, f.getErr
	}
	return &s3.GetBucketPolicyOutput{Policy: aws.String(f.policy)}, nil
}

func (f *policyS3) PutBucketPolicy(_ context.Context, in *s3.PutBucketPolicyInput, _ ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error) {
	if aws.ToString(in.Bucket) != "orgbaseline-config-333333333333-us-east-1" {
		return nil, fmt.Errorf("put to bucket %s", aws.ToString(in.Bucket))
	}
	f.policy = aws.ToString(in.Policy)
	f.puts = append(f.puts, f.policy)
	return &s3.PutBucketPolicyOutput{}, nil
}

// policyKMS is KMS of the security account, holding the delivery key's
// policy. Like KMS, it takes the key's ARN and the policy name "default".
type policyKMS struct {
	policy string
	puts   []string
}

func (f *policyKMS) check(key, name *string) error {
	if aws.ToString(key) != deliveryKeyARN || aws.ToString(name) != "default" {
		return fmt.Errorf("key %s, policy %s", aws.ToString(key), aws.ToString(name))
	}
	return nil
}

func (f *policyKMS) GetKeyPolicy(_ context.Context, in *kms.GetKeyPolicyInput, _ ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error) {
	if err := f.check(in.KeyId, in.PolicyName); err != nil {
		return nil, err
	}
	return &kms.GetKeyPolicyOutput{Policy: aws.String(f.policy)}, nil
}

func (f *policyKMS) PutKeyPolicy(_ context.Context, in *kms.PutKeyPolicyInput, _ ...func(*kms.Options)) (*kms.PutKeyPolicyOutput, error) {
	if err := f.check(in.KeyId, in.PolicyName); err != nil {
		return nil, err
	}
	f.policy = aws.ToString(in.Policy)
	f.puts = append(f.puts, f.policy)
	return &kms.PutKeyPolicyOutput{}, nil
}

func deliveryDeps(b *policyS3, k *policyKMS) DeliveryDeps {
	return DeliveryDeps{Bucket: b, Key: k, KeyARN: func(context.Context) (string, error) { return deliveryKeyARN, nil }}
}

func outcomeStatuses(outs []workflow.Outcome) []workflow.Status {
	var s []workflow.Status
	for _, o := range outs {
		s = append(s, o.Status)
	}
	return s
}

// The deployed policies name the configuration's three accounts; a run
// with two more accounts plans, then puts, both policies for the five, and
// the next run finds them as wanted.
func TestKeepDeliveryPoliciesAddsTheRunsAccounts(t *testing.T) {
	c := fakeConfig(t, "")
	ctx := context.Background()
	run := []string{mgmtID, securityID, logID, workloadA, workloadB}
	b, k := &policyS3{policy: BucketPolicy(c).JSON()}, &policyKMS{policy: KeyPolicy(c).JSON()}

	outs, err := KeepDeliveryPolicies(ctx, deliveryDeps(b, k), c, workflow.ModePlan, run, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.puts)+len(k.puts) != 0 {
		t.Errorf("plan put policies: %v %v", b.puts, k.puts)
	}
	if e, a := []workflow.Status{workflow.StatusPlanned, workflow.StatusPlanned}, outcomeStatuses(outs); !reflect.DeepEqual(e, a) {
		t.Fatalf("plan: expect %v, got %+v", e, outs)
	}
	if o := outs[0]; o.Account != logID || o.Region != "us-east-1" || o.Service != "config" ||
		!reflect.DeepEqual([]workflow.Action{{Call: "s3:PutBucketPolicy", Target: "orgbaseline-config-333333333333-us-east-1"}}, o.Actions) {
		t.Errorf("bucket outcome: %+v", o)
	}
	if o := outs[1]; o.Account != securityID || !reflect.DeepEqual([]workflow.Action{{Call: "kms:PutKeyPolicy", Target: KeyAlias}}, o.Actions) {
		t.Errorf("key outcome: %+v", o)
	}

	outs, err = KeepDeliveryPolicies(ctx, deliveryDeps(b, k), c, workflow.ModeApply, run, false)
	if err != nil {
		t.Fatal(err)
	}
	if e, a := []string{BucketPolicy(c, workloadA, workloadB).JSON()}, b.puts; !reflect.DeepEqual(e, a) {
		t.Errorf("bucket policy put: expect %v, got %v", e, a)
	}
	if e, a := []string{KeyPolicy(c, workloadA, workloadB).JSON()}, k.puts; !reflect.DeepEqual(e, a) {
		t.Errorf("key policy put: expect %v, got %v", e, a)
	}
	if e, a := []workflow.Status{workflow.StatusChanged, workflow.StatusChanged}, outcomeStatuses(outs); !reflect.DeepEqual(e, a) {
		t.Errorf("apply: expect %v, got %+v", e, outs)
	}
	if e, a := "the delivery bucket orgbaseline-config-333333333333-us-east-1's policy is to admit AWS Config for the 5 accounts", outs[0].Reason; e != a {
		t.Errorf("reason: expect %q, got %q", e, a)
	}

	// As S3 returns it: the same document, laid out otherwise.
	var v any
	_ = json.Unmarshal([]byte(b.policy), &v)
	indented, _ := json.MarshalIndent(v, "", "  ")
	b.policy = string(indented)
	outs, err = KeepDeliveryPolicies(ctx, deliveryDeps(b, k), c, workflow.ModeApply, run, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.puts) != 1 || len(k.puts) != 1 {
		t.Errorf("re-run put again: %d bucket, %d key", len(b.puts), len(k.puts))
	}
	if e, a := []workflow.Status{workflow.StatusUnchanged, workflow.StatusUnchanged}, outcomeStatuses(outs); !reflect.DeepEqual(e, a) {
		t.Errorf("re-run: expect %v, got %+v", e, outs)
	}
}

func TestKeepDeliveryPoliciesBucketStates(t *testing.T) {
	c := fakeConfig(t, "")
	ctx := context.Background()
	// No policy at all: it is put.
	b, k := &policyS3{getErr: &smithy.GenericAPIError{Code: "NoSuchBucketPolicy"}}, &policyKMS{policy: KeyPolicy(c).JSON()}
	outs, err := KeepDeliveryPolicies(ctx, deliveryDeps(b, k), c, workflow.ModeApply, nil, false)
	if err != nil || len(b.puts) != 1 || b.puts[0] != BucketPolicy(c).JSON() || len(k.puts) != 0 {
		t.Errorf("no policy: %v, puts %v %v", err, b.puts, k.puts)
	}
	if e, a := []workflow.Status{workflow.StatusChanged, workflow.StatusUnchanged}, outcomeStatuses(outs); !reflect.DeepEqual(e, a) {
		t.Errorf("no policy: expect %v, got %+v", e, outs)
	}
	// No bucket: the log-archive stack is not deployed.
	b = &policyS3{getErr: &smithy.GenericAPIError{Code: "NoSuchBucket"}}
	_, err = KeepDeliveryPolicies(ctx, deliveryDeps(b, k), c, workflow.ModeApply, nil, false)
	if e, a := workflow.ErrNameTerminal, errName(err); e != a || !strings.Contains(err.Error(), "OrgBaseline-LogArchive") {
		t.Errorf("no bucket: expect %s naming the stack, got %s (%v)", e, a, err)
	}
	if b.getBucket != "orgbaseline-config-333333333333-us-east-1" {
		t.Errorf("read bucket %q", b.getBucket)
	}
}

// Past the size limits, nothing is read or put: the error says how many
// accounts and which limit.
func TestKeepDeliveryPoliciesRefusesAPolicyOverTheSizeLimit(t *testing.T) {
	c := fakeConfig(t, "")
	b, k := &policyS3{getErr: fmt.Errorf("read")}, &policyKMS{}
	ids := accountIDs(1400)
	_, err := KeepDeliveryPolicies(context.Background(), deliveryDeps(b, k), c, workflow.ModeApply, ids, false)
	if e, a := workflow.ErrNameTerminal, errName(err); e != a {
		t.Fatalf("error: expect %s, got %s (%v)", e, a, err)
	}
	if msg := err.Error(); !strings.Contains(msg, "for 1403 accounts") || !strings.Contains(msg, "20480 bytes S3 allows for a bucket policy") {
		t.Errorf("error: %v", err)
	}
	if b.getBucket != "" || len(b.puts)+len(k.puts) != 0 {
		t.Errorf("calls past the limit: read %q, puts %v %v", b.getBucket, b.puts, k.puts)
	}
}
