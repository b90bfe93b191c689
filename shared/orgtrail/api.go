package orgtrail

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
)

// DescribeTrailsAPI is the CloudTrail call that reads trails. The preflight
// check and the rollback's verification need nothing else.
type DescribeTrailsAPI interface {
	DescribeTrails(ctx context.Context, in *cloudtrail.DescribeTrailsInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.DescribeTrailsOutput, error)
}

// TrailsAPI is the part of the CloudTrail client that reads, creates and
// updates the trail itself.
type TrailsAPI interface {
	DescribeTrailsAPI
	CreateTrail(ctx context.Context, in *cloudtrail.CreateTrailInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.CreateTrailOutput, error)
	UpdateTrail(ctx context.Context, in *cloudtrail.UpdateTrailInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.UpdateTrailOutput, error)
}

// EventSelectorsAPI reads and puts the trail's event selectors.
type EventSelectorsAPI interface {
	GetEventSelectors(ctx context.Context, in *cloudtrail.GetEventSelectorsInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.GetEventSelectorsOutput, error)
	PutEventSelectors(ctx context.Context, in *cloudtrail.PutEventSelectorsInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.PutEventSelectorsOutput, error)
}

// InsightSelectorsAPI reads and puts the trail's Insights selectors.
type InsightSelectorsAPI interface {
	GetInsightSelectors(ctx context.Context, in *cloudtrail.GetInsightSelectorsInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.GetInsightSelectorsOutput, error)
	PutInsightSelectors(ctx context.Context, in *cloudtrail.PutInsightSelectorsInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.PutInsightSelectorsOutput, error)
}

// LoggingAPI reads whether the trail logs and starts its logging.
type LoggingAPI interface {
	GetTrailStatus(ctx context.Context, in *cloudtrail.GetTrailStatusInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error)
	StartLogging(ctx context.Context, in *cloudtrail.StartLoggingInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.StartLoggingOutput, error)
}

// DelegatedAdminAPI registers CloudTrail's delegated administrator, from
// the management account.
type DelegatedAdminAPI interface {
	RegisterOrganizationDelegatedAdmin(ctx context.Context, in *cloudtrail.RegisterOrganizationDelegatedAdminInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.RegisterOrganizationDelegatedAdminOutput, error)
}

// trailSettingsAPI reads and sets what the trail records and whether it
// logs: its selectors and its status.
type trailSettingsAPI interface {
	EventSelectorsAPI
	InsightSelectorsAPI
	LoggingAPI
}

// convergeAPI is what converging the trail takes: the trail and its
// settings, in the managing account.
type convergeAPI interface {
	TrailsAPI
	trailSettingsAPI
}

// CloudTrailAPI is the part of the CloudTrail client the step uses: the
// trail's calls in the managing account (ManagingAccount), the registration
// of the delegated administrator in the management account.
type CloudTrailAPI interface {
	convergeAPI
	DelegatedAdminAPI
}

// KMSAPI is the KMS call the step makes in the security account.
type KMSAPI = awsclient.DescribeKeyAPI

// BucketEncryptionAPI reads and sets the trail bucket's default
// encryption.
type BucketEncryptionAPI interface {
	GetBucketEncryption(ctx context.Context, in *s3.GetBucketEncryptionInput, optFns ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error)
	PutBucketEncryption(ctx context.Context, in *s3.PutBucketEncryptionInput, optFns ...func(*s3.Options)) (*s3.PutBucketEncryptionOutput, error)
}

// S3API is the part of the S3 client the step uses on the trail bucket, in
// the log-archive account.
type S3API interface {
	s3.HeadBucketAPIClient
	BucketEncryptionAPI
}

// OrganizationsAPI is the part of the Organizations client the step uses,
// in the management account. The step does not list the organization's
// accounts: the state machine passes the run's accounts.
type OrganizationsAPI interface {
	organizations.ListDelegatedAdministratorsAPIClient
}

var (
	_ TrailsAPI           = (*cloudtrail.Client)(nil)
	_ EventSelectorsAPI   = (*cloudtrail.Client)(nil)
	_ InsightSelectorsAPI = (*cloudtrail.Client)(nil)
	_ LoggingAPI          = (*cloudtrail.Client)(nil)
	_ DelegatedAdminAPI   = (*cloudtrail.Client)(nil)
	_ CloudTrailAPI       = (*cloudtrail.Client)(nil)
	_ KMSAPI              = (*kms.Client)(nil)
	_ BucketEncryptionAPI = (*s3.Client)(nil)
	_ S3API               = (*s3.Client)(nil)
	_ OrganizationsAPI    = (*organizations.Client)(nil)
)

// Deps are the clients of the step and of the rollbacks, each in the account
// and region its resource lives in.
type Deps struct {
	// CloudTrail acts in account, in region: with the management account's
	// own configuration for the management account, with the execution role
	// elsewhere. The step and the rollbacks pick the account: the managing
	// account (ManagingAccount) for every call on the organization trail,
	// the management account to register the delegated administrator.
	CloudTrail func(account, region string) CloudTrailAPI
	// MemberTrails reads trails in account (execution role), home region.
	MemberTrails func(account string) DescribeTrailsAPI
	// KMS acts in the security account, home region.
	KMS KMSAPI
	// S3 acts in the log-archive account, home region.
	S3 S3API
	// Orgs acts in the management account.
	Orgs OrganizationsAPI
}

// NewDeps builds the clients from the management account's configuration
// (base) and the cross-account configurations of accounts. The Lambda and the
// CLI's rollback commands build them the same way.
func NewDeps(base aws.Config, accounts *awsclient.Accounts, cfg settings.Config) Deps {
	home := cfg.HomeRegion
	// One CloudTrail client per account and region for the life of the Deps.
	var mu sync.Mutex
	clients := map[[2]string]CloudTrailAPI{}
	return Deps{
		CloudTrail: func(account, region string) CloudTrailAPI {
			mu.Lock()
			defer mu.Unlock()
			key := [2]string{account, region}
			if c, ok := clients[key]; ok {
				return c
			}
			c := base
			if account != cfg.Accounts.Management {
				c = accounts.Config(account)
			}
			clients[key] = cloudtrail.NewFromConfig(awsclient.WithRegion(c, region))
			return clients[key]
		},
		MemberTrails: func(account string) DescribeTrailsAPI {
			return cloudtrail.NewFromConfig(awsclient.WithRegion(accounts.Config(account), home))
		},
		KMS:  kms.NewFromConfig(awsclient.WithRegion(accounts.Config(cfg.Accounts.Security), home)),
		S3:   s3.NewFromConfig(awsclient.WithRegion(accounts.Config(cfg.Accounts.LogArchive), home)),
		Orgs: organizations.NewFromConfig(awsclient.WithRegion(base, awsclient.OrganizationsRegion)),
	}
}
