package orgtrail

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

const (
	sseKMS                   = s3types.ServerSideEncryptionAwsKms
	encryptionConfigNotFound = "ServerSideEncryptionConfigurationNotFoundError"
)

// bucketNeedsEncryption checks that the trail bucket exists and reports
// whether its default encryption is other than SSE-KMS with keyARN (SSE-S3
// when keyARN is empty).
func bucketNeedsEncryption(ctx context.Context, api S3API, bucket, keyARN string) (bool, error) {
	if err := headBucket(ctx, api, bucket); err != nil {
		return false, err
	}
	algo, key, err := bucketEncryption(ctx, api, bucket)
	if err != nil {
		return false, err
	}
	if keyARN == "" {
		return algo != s3types.ServerSideEncryptionAes256, nil
	}
	return algo != sseKMS || key != keyARN, nil
}

// encryptionText describes the default encryption putEncryption sets.
func encryptionText(keyARN string) string {
	if keyARN == "" {
		return "AES256"
	}
	return "aws:kms " + keyARN
}

// headBucket checks that the trail bucket exists: a missing bucket is a
// *workflow.TerminalError naming the stack that makes it.
func headBucket(ctx context.Context, api s3.HeadBucketAPIClient, bucket string) error {
	_, err := api.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	var nf *s3types.NotFound
	var nsb *s3types.NoSuchBucket
	if errors.As(err, &nf) || errors.As(err, &nsb) || awsclient.ErrorCode(err) == "NoSuchBucket" || awsclient.ErrorCode(err) == "NotFound" {
		return &workflow.TerminalError{Op: "read the trail bucket " + bucket, Err: fmt.Errorf("the bucket does not exist: %s: %w", logArchiveStackHint, err)}
	}
	return awsclient.Classify("read the trail bucket "+bucket, err)
}

// bucketEncryption returns the algorithm and key of the bucket's default
// encryption ("" when it has none).
func bucketEncryption(ctx context.Context, api BucketEncryptionAPI, bucket string) (s3types.ServerSideEncryption, string, error) {
	out, err := api.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(bucket)})
	if awsclient.ErrorCode(err) == encryptionConfigNotFound {
		return "", "", nil
	}
	if err != nil {
		return "", "", awsclient.Classify("read the default encryption of "+bucket, err)
	}
	if out.ServerSideEncryptionConfiguration == nil {
		return "", "", nil
	}
	for _, r := range out.ServerSideEncryptionConfiguration.Rules {
		if d := r.ApplyServerSideEncryptionByDefault; d != nil {
			return d.SSEAlgorithm, aws.ToString(d.KMSMasterKeyID), nil
		}
	}
	return "", "", nil
}

// putEncryption sets the bucket's default encryption: SSE-KMS with keyARN,
// or SSE-S3 when keyARN is empty.
func putEncryption(ctx context.Context, api BucketEncryptionAPI, bucket, keyARN string) error {
	rule := s3types.ServerSideEncryptionRule{ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAes256}}
	if keyARN != "" {
		rule = s3types.ServerSideEncryptionRule{
			ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: sseKMS, KMSMasterKeyID: aws.String(keyARN)},
			BucketKeyEnabled:                   aws.Bool(true),
		}
	}
	_, err := api.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{
		Bucket:                            aws.String(bucket),
		ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{rule}},
	})
	return awsclient.Classify("set the default encryption of "+bucket, err)
}
