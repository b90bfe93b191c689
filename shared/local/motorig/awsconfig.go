package motorig

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	"github.com/aws/aws-sdk-go-v2/service/detective"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	"github.com/aws/aws-sdk-go-v2/service/health"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Credentials the rig uses. moto accepts any; unknown keys are the
// management account.
const (
	AccessKeyID     = "testing"
	SecretAccessKey = "testing"
)

// ManagementAccountID is the account moto gives requests signed with an
// unknown access key, and so the organization's management account.
const ManagementAccountID = "123456789012"

// ExecutionRole is the role that CreateAccount makes in every new account.
const ExecutionRole = "OrganizationAccountAccessRole"

// Env returns the environment variables a child process (the CLI) needs to
// reach the server as the management account, and no real AWS account:
// endpoint, static credentials, region, no shared config or credentials
// files and no instance metadata. Variables that would select other
// credentials are set empty, which the SDK treats as unset. The services
// that moto lacks get their own endpoint, the fake's
// (AWS_ENDPOINT_URL_HEALTH, AWS_ENDPOINT_URL_ACCESSANALYZER,
// AWS_ENDPOINT_URL_DETECTIVE, AWS_ENDPOINT_URL_SECURITYHUB), and so does
// GuardDuty, which the fake passes to moto (fakeaws.AgeDetectors). Append the
// result to a base environment (exec.Cmd keeps the last value of a
// variable), or use Environ.
func (s *Server) Env() []string {
	env := []string{
		"AWS_ENDPOINT_URL=" + s.endpoint,
		"AWS_ACCESS_KEY_ID=" + AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + SecretAccessKey,
		"AWS_SESSION_TOKEN=",
		"AWS_REGION=" + s.region,
		"AWS_DEFAULT_REGION=" + s.region,
		"AWS_PROFILE=",
		"AWS_DEFAULT_PROFILE=",
		"AWS_CONFIG_FILE=" + os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_ROLE_ARN=",
		"AWS_WEB_IDENTITY_TOKEN_FILE=",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI=",
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=false",
	}
	return append(env, s.fakeEnv()...)
}

// fakeEnv points the services that moto lacks at the fake: the SDK takes a
// service's own variable, AWS_ENDPOINT_URL_<service ID>, over
// AWS_ENDPOINT_URL.
func (s *Server) fakeEnv() []string {
	return []string{
		"AWS_ENDPOINT_URL_HEALTH=" + s.fake.URL(),
		"AWS_ENDPOINT_URL_ACCESSANALYZER=" + s.fake.URL(),
		"AWS_ENDPOINT_URL_DETECTIVE=" + s.fake.URL(),
		"AWS_ENDPOINT_URL_SECURITYHUB=" + s.fake.URL(),
		// GuardDuty is moto's, through the fake (fakeaws.AgeDetectors).
		"AWS_ENDPOINT_URL_GUARDDUTY=" + s.fake.URL(),
	}
}

// Environ returns this process's environment with every AWS_* variable
// removed (service-specific endpoints such as AWS_ENDPOINT_URL_STS
// included), followed by Env: the environment for an exec.Cmd.
func (s *Server) Environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return append(env, s.Env()...)
}

// AWSConfig returns an aws.Config for the management account, pointed at the
// server: static credentials, the server's region, none of the user's
// shared config or credentials files (AWS_PROFILE is ignored), no instance
// metadata, and few attempts per call without client-side retry
// quota (see WithMaxAttempts).
//
// Clients of the services moto lacks (AWS Health, IAM Access Analyzer, Amazon
// Detective, AWS Security Hub, which moto has in part) reach the fake
// instead: the config's ServiceOptions set their BaseEndpoint and wrap their
// HTTP client in copyBody, which keeps the SDK from sending a request to the
// fake twice. No client depends on this
// process's endpoint variables (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<service>,
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS); options given to a client's
// NewFromConfig still override both the config's endpoint and the fake's.
func (s *Server) AWSConfig(ctx context.Context) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(s.region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, "")),
		config.WithBaseEndpoint(s.endpoint),
		// An explicit profile overrides AWS_PROFILE and must exist, so
		// name the empty default profile of the rig's own config file.
		config.WithSharedConfigProfile(config.DefaultSharedConfigProfile),
		config.WithSharedConfigFiles([]string{s.sharedConfig}),
		config.WithSharedCredentialsFiles([]string{}),
		config.WithEC2IMDSClientEnableState(imds.ClientDisabled),
		config.WithRetryer(s.retryer),
		config.WithServiceOptions(s.fakeEndpoint),
	)
	if err != nil {
		return aws.Config{}, fmt.Errorf("motorig: aws config: %w", err)
	}
	// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true makes LoadDefaultConfig drop
	// even WithBaseEndpoint.
	cfg.BaseEndpoint = aws.String(s.endpoint)
	return cfg, nil
}

// fakeEndpoint points the clients of the services moto lacks at the fake,
// through the client's own HTTP client wrapped in copyBody.
func (s *Server) fakeEndpoint(_ string, options any) {
	switch o := options.(type) {
	case *health.Options:
		o.BaseEndpoint, o.HTTPClient = aws.String(s.fake.URL()), copyBody{o.HTTPClient}
	case *accessanalyzer.Options:
		o.BaseEndpoint, o.HTTPClient = aws.String(s.fake.URL()), copyBody{o.HTTPClient}
	case *detective.Options:
		o.BaseEndpoint, o.HTTPClient = aws.String(s.fake.URL()), copyBody{o.HTTPClient}
	case *securityhub.Options:
		o.BaseEndpoint, o.HTTPClient = aws.String(s.fake.URL()), copyBody{o.HTTPClient}
	case *guardduty.Options:
		o.BaseEndpoint, o.HTTPClient = aws.String(s.fake.URL()), copyBody{o.HTTPClient}
	}
}

func (s *Server) retryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = s.maxAttempts
		o.RateLimiter = ratelimit.None
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) {
			return 50 * time.Millisecond, nil
		})
	})
}

// AccountConfig returns an aws.Config that acts in accountID, with the
// credentials of sts:AssumeRole into its OrganizationAccountAccessRole,
// assumed from the management account: the way orgbaseline reaches member
// accounts.
func (s *Server) AccountConfig(ctx context.Context, accountID string) (aws.Config, error) {
	cfg, err := s.AWSConfig(ctx)
	if err != nil {
		return aws.Config{}, err
	}
	arn := fmt.Sprintf("arn:aws:iam::%s:role/%s", accountID, ExecutionRole)
	out, err := sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String(arn),
		RoleSessionName: aws.String("motorig"),
	})
	if err != nil {
		return aws.Config{}, fmt.Errorf("motorig: assume %s: %w", arn, err)
	}
	c := out.Credentials
	cfg.Credentials = aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(
		aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)))
	return cfg, nil
}
