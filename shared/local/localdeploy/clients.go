package localdeploy

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The deploy's view of each service, in the style of the SDK's
// XxxAPIClient interfaces: each interface holds the calls of one concern,
// so that a fake implements only the calls the code under test makes. The
// interfaces that embed others are what one resource needs in all.

// bucketCreateAPI finds a bucket and creates it.
type bucketCreateAPI interface {
	HeadBucket(context.Context, *s3.HeadBucketInput, ...func(*s3.Options)) (*s3.HeadBucketOutput, error)
	CreateBucket(context.Context, *s3.CreateBucketInput, ...func(*s3.Options)) (*s3.CreateBucketOutput, error)
}

// publicAccessBlockAPI reads and puts a bucket's public access block.
type publicAccessBlockAPI interface {
	GetPublicAccessBlock(context.Context, *s3.GetPublicAccessBlockInput, ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error)
	PutPublicAccessBlock(context.Context, *s3.PutPublicAccessBlockInput, ...func(*s3.Options)) (*s3.PutPublicAccessBlockOutput, error)
}

// bucketVersioningAPI reads and puts a bucket's versioning.
type bucketVersioningAPI interface {
	GetBucketVersioning(context.Context, *s3.GetBucketVersioningInput, ...func(*s3.Options)) (*s3.GetBucketVersioningOutput, error)
	PutBucketVersioning(context.Context, *s3.PutBucketVersioningInput, ...func(*s3.Options)) (*s3.PutBucketVersioningOutput, error)
}

// ownershipControlsAPI reads and puts a bucket's object ownership.
type ownershipControlsAPI interface {
	GetBucketOwnershipControls(context.Context, *s3.GetBucketOwnershipControlsInput, ...func(*s3.Options)) (*s3.GetBucketOwnershipControlsOutput, error)
	PutBucketOwnershipControls(context.Context, *s3.PutBucketOwnershipControlsInput, ...func(*s3.Options)) (*s3.PutBucketOwnershipControlsOutput, error)
}

// bucketEncryptionAPI reads and puts a bucket's default encryption.
type bucketEncryptionAPI interface {
	GetBucketEncryption(context.Context, *s3.GetBucketEncryptionInput, ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error)
	PutBucketEncryption(context.Context, *s3.PutBucketEncryptionInput, ...func(*s3.Options)) (*s3.PutBucketEncryptionOutput, error)
}

// bucketLifecycleAPI reads and puts a bucket's lifecycle rules.
type bucketLifecycleAPI interface {
	GetBucketLifecycleConfiguration(context.Context, *s3.GetBucketLifecycleConfigurationInput, ...func(*s3.Options)) (*s3.GetBucketLifecycleConfigurationOutput, error)
	PutBucketLifecycleConfiguration(context.Context, *s3.PutBucketLifecycleConfigurationInput, ...func(*s3.Options)) (*s3.PutBucketLifecycleConfigurationOutput, error)
}

// bucketLoggingAPI reads and puts a bucket's server access logging.
type bucketLoggingAPI interface {
	GetBucketLogging(context.Context, *s3.GetBucketLoggingInput, ...func(*s3.Options)) (*s3.GetBucketLoggingOutput, error)
	PutBucketLogging(context.Context, *s3.PutBucketLoggingInput, ...func(*s3.Options)) (*s3.PutBucketLoggingOutput, error)
}

// bucketPolicyAPI reads and puts a bucket's policy.
type bucketPolicyAPI interface {
	GetBucketPolicy(context.Context, *s3.GetBucketPolicyInput, ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error)
	PutBucketPolicy(context.Context, *s3.PutBucketPolicyInput, ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error)
}

// bucketAPI is all that a bucket of the log-archive stack needs.
type bucketAPI interface {
	bucketCreateAPI
	publicAccessBlockAPI
	bucketVersioningAPI
	ownershipControlsAPI
	bucketEncryptionAPI
	bucketLifecycleAPI
	bucketLoggingAPI
	bucketPolicyAPI
}

// keyFindAPI finds a key by its alias or, with the paginators' calls, by
// its tag.
type keyFindAPI interface {
	DescribeKey(context.Context, *kms.DescribeKeyInput, ...func(*kms.Options)) (*kms.DescribeKeyOutput, error)
	kms.ListKeysAPIClient
	kms.ListResourceTagsAPIClient
}

// keyCreateAPI creates a key and its alias.
type keyCreateAPI interface {
	CreateKey(context.Context, *kms.CreateKeyInput, ...func(*kms.Options)) (*kms.CreateKeyOutput, error)
	CreateAlias(context.Context, *kms.CreateAliasInput, ...func(*kms.Options)) (*kms.CreateAliasOutput, error)
}

// keyPolicyAPI reads and puts a key's policy.
type keyPolicyAPI interface {
	GetKeyPolicy(context.Context, *kms.GetKeyPolicyInput, ...func(*kms.Options)) (*kms.GetKeyPolicyOutput, error)
	PutKeyPolicy(context.Context, *kms.PutKeyPolicyInput, ...func(*kms.Options)) (*kms.PutKeyPolicyOutput, error)
}

// keyRotationAPI reads and enables a key's rotation.
type keyRotationAPI interface {
	GetKeyRotationStatus(context.Context, *kms.GetKeyRotationStatusInput, ...func(*kms.Options)) (*kms.GetKeyRotationStatusOutput, error)
	EnableKeyRotation(context.Context, *kms.EnableKeyRotationInput, ...func(*kms.Options)) (*kms.EnableKeyRotationOutput, error)
}

// keyAliasAPI finds a key by its alias or its tag, or creates it, and
// creates its alias.
type keyAliasAPI interface {
	keyFindAPI
	keyCreateAPI
}

// keyAPI is all that a key of the security stack needs.
type keyAPI interface {
	keyAliasAPI
	keyPolicyAPI
	keyRotationAPI
}

// logGroupAPI finds, creates and sets the retention of a log group.
type logGroupAPI interface {
	DescribeLogGroups(context.Context, *cloudwatchlogs.DescribeLogGroupsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogGroupsOutput, error)
	CreateLogGroup(context.Context, *cloudwatchlogs.CreateLogGroupInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogGroupOutput, error)
	PutRetentionPolicy(context.Context, *cloudwatchlogs.PutRetentionPolicyInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutRetentionPolicyOutput, error)
}

// roleAPI reads a role and creates it or updates its trust policy.
type roleAPI interface {
	GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	CreateRole(context.Context, *iam.CreateRoleInput, ...func(*iam.Options)) (*iam.CreateRoleOutput, error)
	UpdateAssumeRolePolicy(context.Context, *iam.UpdateAssumeRolePolicyInput, ...func(*iam.Options)) (*iam.UpdateAssumeRolePolicyOutput, error)
}

// roleDeleteAPI deletes a role and its inline policy.
type roleDeleteAPI interface {
	DeleteRolePolicy(context.Context, *iam.DeleteRolePolicyInput, ...func(*iam.Options)) (*iam.DeleteRolePolicyOutput, error)
	DeleteRole(context.Context, *iam.DeleteRoleInput, ...func(*iam.Options)) (*iam.DeleteRoleOutput, error)
}

// rolePolicyAPI reads and puts a role's inline policy.
type rolePolicyAPI interface {
	GetRolePolicy(context.Context, *iam.GetRolePolicyInput, ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error)
	PutRolePolicy(context.Context, *iam.PutRolePolicyInput, ...func(*iam.Options)) (*iam.PutRolePolicyOutput, error)
}

// attachedPolicyAPI lists a role's managed policies, finds a managed
// policy and attaches it.
type attachedPolicyAPI interface {
	iam.ListAttachedRolePoliciesAPIClient
	GetPolicy(context.Context, *iam.GetPolicyInput, ...func(*iam.Options)) (*iam.GetPolicyOutput, error)
	AttachRolePolicy(context.Context, *iam.AttachRolePolicyInput, ...func(*iam.Options)) (*iam.AttachRolePolicyOutput, error)
}

// deliveryRoleAPI is all that the CloudWatch Logs delivery role needs.
type deliveryRoleAPI interface {
	roleAPI
	roleDeleteAPI
	rolePolicyAPI
}

// aggregatorRoleAPI is all that the Config aggregator's role needs.
type aggregatorRoleAPI interface {
	roleAPI
	attachedPolicyAPI
}

// securityRolesAPI serves the security account's roles: the delivery role
// and the aggregator's.
type securityRolesAPI interface {
	deliveryRoleAPI
	aggregatorRoleAPI
}

// The SDK's clients serve them all.
var (
	_ bucketAPI            = (*s3.Client)(nil)
	_ bucketCreateAPI      = (*s3.Client)(nil)
	_ publicAccessBlockAPI = (*s3.Client)(nil)
	_ bucketVersioningAPI  = (*s3.Client)(nil)
	_ ownershipControlsAPI = (*s3.Client)(nil)
	_ bucketEncryptionAPI  = (*s3.Client)(nil)
	_ bucketLifecycleAPI   = (*s3.Client)(nil)
	_ bucketLoggingAPI     = (*s3.Client)(nil)
	_ bucketPolicyAPI      = (*s3.Client)(nil)

	_ keyAPI         = (*kms.Client)(nil)
	_ keyAliasAPI    = (*kms.Client)(nil)
	_ keyFindAPI     = (*kms.Client)(nil)
	_ keyCreateAPI   = (*kms.Client)(nil)
	_ keyPolicyAPI   = (*kms.Client)(nil)
	_ keyRotationAPI = (*kms.Client)(nil)

	_ logGroupAPI = (*cloudwatchlogs.Client)(nil)

	_ securityRolesAPI  = (*iam.Client)(nil)
	_ deliveryRoleAPI   = (*iam.Client)(nil)
	_ aggregatorRoleAPI = (*iam.Client)(nil)
	_ roleAPI           = (*iam.Client)(nil)
	_ roleDeleteAPI     = (*iam.Client)(nil)
	_ rolePolicyAPI     = (*iam.Client)(nil)
	_ attachedPolicyAPI = (*iam.Client)(nil)
)
