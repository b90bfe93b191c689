package configsvc

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/policydoc"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// BucketPolicyAPI reads and puts the delivery bucket's policy, in the
// log-archive account: GetBucketPolicy and PutBucketPolicy take an identity
// that belongs to the bucket owner's account (GetBucketPolicy, Amazon S3 API
// Reference), such as the execution role there.
type BucketPolicyAPI interface {
	GetBucketPolicy(ctx context.Context, in *s3.GetBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error)
	PutBucketPolicy(ctx context.Context, in *s3.PutBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error)
}

// KeyPolicyAPI reads and puts the delivery key's policy, in the security
// account's home region.
type KeyPolicyAPI interface {
	GetKeyPolicy(ctx context.Context, in *kms.GetKeyPolicyInput, optFns ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error)
	PutKeyPolicy(ctx context.Context, in *kms.PutKeyPolicyInput, optFns ...func(*kms.Options)) (*kms.PutKeyPolicyOutput, error)
}

var (
	_ BucketPolicyAPI = (*s3.Client)(nil)
	_ KeyPolicyAPI    = (*kms.Client)(nil)
)

// Calls KeepDeliveryPolicies makes, as actions name them.
const (
	CallPutBucketPolicy = "s3:PutBucketPolicy"
	CallPutKeyPolicy    = "kms:PutKeyPolicy"
)

// keyPolicyName is the only key policy name KMS takes ("default",
// GetKeyPolicy and PutKeyPolicy, AWS KMS API Reference).
const keyPolicyName = "default"

// DeliveryDeps are the clients KeepDeliveryPolicies works with.
type DeliveryDeps struct {
	// Bucket is S3 in the log-archive account.
	Bucket BucketPolicyAPI
	// Key is KMS in the security account's home region.
	Key KeyPolicyAPI
	// KeyARN returns the delivery key's ARN: GetKeyPolicy and PutKeyPolicy
	// take a key ID or key ARN, not an alias.
	KeyARN func(ctx context.Context) (string, error)
}

// KeepDeliveryPolicies makes the delivery bucket's policy BucketPolicy(c,
// accounts...) and the delivery key's policy KeyPolicy(c, accounts...), so
// that Config may deliver for every account of the run (accounts, the
// org-targets step's ACTIVE accounts) before the recorders' delivery
// channels name the bucket: PutDeliveryChannel fails with
// InsufficientDeliveryPolicyException for an account the bucket policy does
// not admit. It reads each policy (s3:GetBucketPolicy, kms:GetKeyPolicy) and
// puts it (s3:PutBucketPolicy, kms:PutKeyPolicy) only where it differs as
// JSON; in plan mode it reports the puts it would make.
//
// It is meant to run once per run, from a step that is given the run's
// accounts, ahead of the config-recorders step. The stacks deploy the same
// documents for the configuration's three accounts (DeliveryAccounts); a
// stack update that changes a policy puts that version back, and the next
// run adds the other accounts again.
//
// A bucket policy over MaxBucketPolicyBytes is a *workflow.TerminalError
// before any call. The key policy lists the accounts once too, under a
// larger limit (MaxKeyPolicyBytes): it fits whenever the bucket policy does.
//
// With addOnly (a run narrowed with --accounts, whose accounts are not the
// whole organization), the accounts the bucket's policy lists already are
// kept: the policies only grow, and the run reads nothing of the
// organization.
func KeepDeliveryPolicies(ctx context.Context, d DeliveryDeps, c settings.Config, mode workflow.Mode, accounts []string, addOnly bool) ([]workflow.Outcome, error) {
	bucket := BucketName(c)
	var have string
	var err error
	if addOnly {
		if have, err = bucketPolicy(ctx, d.Bucket, bucket); err != nil {
			return nil, err
		}
		accounts = append(slices.Clone(accounts), ListedAccounts(have)...)
	}
	bucketDoc, keyDoc := BucketPolicy(c, accounts...), KeyPolicy(c, accounts...)
	n := len(DeliveryAccounts(c, accounts...))
	if size := len(bucketDoc.JSON()); size > MaxBucketPolicyBytes {
		return nil, &workflow.TerminalError{Op: "write the Config delivery bucket's policy", Err: fmt.Errorf(
			"for %d accounts it is %d bytes, over the %d bytes S3 allows for a bucket policy", n, size, MaxBucketPolicyBytes)}
	}
	if !addOnly {
		if have, err = bucketPolicy(ctx, d.Bucket, bucket); err != nil {
			return nil, err
		}
	}
	bucketOut := workflow.Outcome{Account: c.Accounts.LogArchive, Region: c.HomeRegion, Service: settings.ServiceConfig}
	if err := keep(&bucketOut, "delivery bucket "+bucket, have, bucketDoc, n, mode, workflow.Action{Call: CallPutBucketPolicy, Target: bucket}, func() error {
		_, err := d.Bucket.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(bucketDoc.JSON())})
		return awsclient.Classify("put the policy of the Config delivery bucket "+bucket, err)
	}); err != nil {
		return nil, err
	}

	keyOut := workflow.Outcome{Account: c.Accounts.Security, Region: c.HomeRegion, Service: settings.ServiceConfig}
	keyARN, err := d.KeyARN(ctx)
	if err != nil {
		return nil, err
	}
	got, err := d.Key.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(keyARN), PolicyName: aws.String(keyPolicyName)})
	if err != nil {
		return nil, awsclient.Classify("read the policy of the Config delivery key "+keyARN, err)
	}
	if err := keep(&keyOut, "delivery key "+KeyAlias, aws.ToString(got.Policy), keyDoc, n, mode, workflow.Action{Call: CallPutKeyPolicy, Target: KeyAlias}, func() error {
		_, err := d.Key.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String(keyARN), PolicyName: aws.String(keyPolicyName), Policy: aws.String(keyDoc.JSON())})
		return awsclient.Classify("put the policy of the Config delivery key "+keyARN, err)
	}); err != nil {
		return nil, err
	}
	return []workflow.Outcome{bucketOut, keyOut}, nil
}

// ListedAccounts returns the accounts a delivery bucket policy (as
// BucketPolicy writes it) admits Config for: the aws:SourceAccount values
// of its ConfigDelivery statement; none when the policy is not one.
func ListedAccounts(policy string) []string {
	var doc struct {
		Statement []struct {
			Sid       string                    `json:"Sid"`
			Condition map[string]map[string]any `json:"Condition"`
		} `json:"Statement"`
	}
	if json.Unmarshal([]byte(policy), &doc) != nil {
		return nil
	}
	var out []string
	for _, st := range doc.Statement {
		if st.Sid != "ConfigDelivery" {
			continue
		}
		switch v := st.Condition["StringEquals"]["aws:SourceAccount"].(type) {
		case string:
			out = append(out, v)
		case []any:
			for _, a := range v {
				if s, ok := a.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// bucketPolicy returns bucket's policy, "" when it has none.
func bucketPolicy(ctx context.Context, api BucketPolicyAPI, bucket string) (string, error) {
	out, err := api.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	switch awsclient.ErrorCode(err) {
	case "":
	case "NoSuchBucketPolicy":
		return "", nil
	case "NoSuchBucket":
		return "", &workflow.TerminalError{Op: "read the policy of the Config delivery bucket " + bucket, Err: fmt.Errorf(
			"the bucket does not exist: deploy the log-archive account's stack %s first (`cdk deploy --all`): %w", workflow.LogArchiveStackName, err)}
	}
	if err != nil {
		return "", awsclient.Classify("read the policy of the Config delivery bucket "+bucket, err)
	}
	return aws.ToString(out.Policy), nil
}

// keep fills out for one policy: unchanged when have is want as JSON;
// otherwise planned, or changed once put has put want.
func keep(out *workflow.Outcome, what, have string, want policydoc.Document, accounts int, mode workflow.Mode, action workflow.Action, put func() error) error {
	if samePolicy(have, want) {
		out.Status, out.Reason = workflow.StatusUnchanged, fmt.Sprintf("the %s's policy admits AWS Config for the %d accounts", what, accounts)
		return nil
	}
	out.Reason, out.Actions = fmt.Sprintf("the %s's policy is to admit AWS Config for the %d accounts", what, accounts), []workflow.Action{action}
	if mode != workflow.ModeApply {
		out.Status = workflow.StatusPlanned
		return nil
	}
	if err := put(); err != nil {
		return err
	}
	out.Status = workflow.StatusChanged
	return nil
}

// samePolicy reports whether the policy document have is want, compared as
// parsed JSON so that spacing and key order do not matter.
func samePolicy(have string, want policydoc.Document) bool {
	var got any
	if err := json.Unmarshal([]byte(have), &got); err != nil {
		return false
	}
	var w any
	if err := json.Unmarshal([]byte(want.JSON()), &w); err != nil {
		return false
	}
	return reflect.DeepEqual(got, w)
}
