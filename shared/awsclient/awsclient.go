// Package awsclient is the one place AWS SDK configuration is made: the
// default credential chain, one retry policy, and cross-account access through
// the configured execution role, cached per account for the run.
//
// Nothing here knows about the emulator: AWS_ENDPOINT_URL, AWS_PROFILE and the
// rest of the standard SDK environment work unchanged, which is how the tests
// and the demo reach the moto server.
package awsclient

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
)

// MaxAttempts is the number of attempts per API call. Organization-wide runs
// meet throttling (Organizations in particular is close to serial), so the
// standard retryer's 3 attempts are raised, as the AWS reference
// implementations do. AWS_MAX_ATTEMPTS overrides it (EnvMaxAttempts); a step
// also stops retrying before its Lambda's deadline (see package step), and
// the state machine does the long back-off.
const MaxAttempts = 10

// EnvMaxAttempts is the SDK's standard variable for the attempts per call
// ("Retry behavior", AWS SDKs and Tools Reference Guide). The SDK reads it
// only for its own retryer, so Load applies it to this one.
const EnvMaxAttempts = "AWS_MAX_ATTEMPTS"

// retryableCodes are "try again shortly" errors that are not throttling.
var retryableCodes = map[string]struct{}{
	"ConcurrentModificationException": {}, // Organizations, another change in flight
	"TooManyRequestsException":        {}, // Organizations, "another request is already in progress"
}

// NewRetryer returns the retry policy: the SDK's standard retryer (token
// bucket, exponential back-off with jitter, throttling-aware) with more
// attempts, a 20 s back-off cap and the extra retryable codes. A new retryer
// is returned on each call, so clients do not share one token bucket.
func NewRetryer() aws.Retryer { return NewRetryerWith(MaxAttempts) }

// NewRetryerWith is NewRetryer with maxAttempts attempts per call.
func NewRetryerWith(maxAttempts int) aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = maxAttempts
		o.MaxBackoff = 20 * time.Second
		o.Retryables = append(o.Retryables, retry.RetryableErrorCode{Codes: retryableCodes})
	})
}

// Load returns the base configuration: the standard credential chain and
// region resolution, with the retry policy set (AWS_MAX_ATTEMPTS, when set,
// its attempts per call).
func Load(ctx context.Context, optFns ...func(*config.LoadOptions) error) (aws.Config, error) {
	attempts, err := maxAttempts()
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	retryer := func() aws.Retryer { return NewRetryerWith(attempts) }
	opts := append([]func(*config.LoadOptions) error{config.WithRetryer(retryer)}, optFns...)
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	return cfg, nil
}

// maxAttempts returns AWS_MAX_ATTEMPTS, or MaxAttempts when it is unset.
func maxAttempts() (int, error) {
	v, ok := os.LookupEnv(EnvMaxAttempts)
	if !ok || v == "" {
		return MaxAttempts, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s is %q: want a whole number of attempts, at least 1", EnvMaxAttempts, v)
	}
	return n, nil
}

// OrganizationsRegion is where the Organizations API is called: its endpoint
// for the aws partition is in us-east-1, whatever the home region.
const OrganizationsRegion = "us-east-1"

// WithRegion returns a copy of cfg for another region.
func WithRegion(cfg aws.Config, region string) aws.Config {
	c := cfg.Copy()
	c.Region = region
	return c
}

// AssumeRoleAPI is the STS call cross-account access needs.
type AssumeRoleAPI interface {
	AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

var _ AssumeRoleAPI = (*sts.Client)(nil)

// Accounts hands out configurations for other accounts of the organization,
// assuming the execution role in each. Credentials are cached per account for
// the life of the Accounts value (one Lambda container or one CLI run) and
// refreshed by the SDK's credentials cache before they expire.
type Accounts struct {
	base     aws.Config
	self     string
	roleName string
	sts      AssumeRoleAPI
	session  string
	opts     accountsOptions

	mu    sync.Mutex
	cache map[string]aws.CredentialsProvider
}

// AccountsOption sets an option of NewAccounts.
type AccountsOption func(*accountsOptions)

type accountsOptions struct {
	policy  func(account string) string
	options func(account string) []func(*middleware.Stack) error
}

// WithSessionPolicy passes policy(account), a JSON policy document, as the
// session policy of every AssumeRole into account: the session may then do
// only what both the role and the policy allow ("Session policies", IAM
// User Guide).
func WithSessionPolicy(policy func(account string) string) AccountsOption {
	return func(o *accountsOptions) { o.policy = policy }
}

// WithAPIOptionsFor adds options(account) to the API options of the
// configurations for another account (a session), for middleware that
// needs to know the account its clients act in. The configuration of the
// account the code runs in is the base configuration, unchanged.
func WithAPIOptionsFor(options func(account string) []func(*middleware.Stack) error) AccountsOption {
	return func(o *accountsOptions) { o.options = options }
}

// NewAccounts returns an Accounts for code running in account self with
// configuration base, assuming roleName elsewhere. sessionName names the
// sessions in CloudTrail (e.g. "orgbaseline-org-prerequisites").
func NewAccounts(base aws.Config, self, roleName, sessionName string, opts ...AccountsOption) *Accounts {
	a := &Accounts{
		base: base, self: self, roleName: roleName, session: sessionName,
		sts:   sts.NewFromConfig(base),
		cache: map[string]aws.CredentialsProvider{},
	}
	for _, o := range opts {
		o(&a.opts)
	}
	return a
}

// RoleARN returns the execution role's ARN in account.
func (a *Accounts) RoleARN(account string) string {
	return fmt.Sprintf("arn:aws:iam::%s:role/%s", account, a.roleName)
}

// Config returns a configuration acting in account (the base configuration
// for the account the code runs in).
func (a *Accounts) Config(account string) aws.Config {
	if account == a.self {
		return a.base
	}
	c := a.base.Copy()
	if a.opts.options != nil {
		c.APIOptions = append(c.APIOptions, a.opts.options(account)...)
	}
	a.mu.Lock()
	p, ok := a.cache[account]
	if !ok {
		p = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(a.sts, a.RoleARN(account), func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = a.session
			if a.opts.policy != nil {
				o.Policy = aws.String(a.opts.policy(account))
			}
		}))
		a.cache[account] = p
	}
	a.mu.Unlock()
	c.Credentials = p
	return c
}
