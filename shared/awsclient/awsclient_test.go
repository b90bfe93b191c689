package awsclient

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

func serverError(status int) error {
	return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
		Err:      errors.New("server said no"),
	}}
}

func TestClassify(t *testing.T) {
	conflict := &workflow.ConflictError{}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"throttling", &smithy.GenericAPIError{Code: "ThrottlingException"}, workflow.ErrNameRetryable},
		{"organizations busy", &types.TooManyRequestsException{Message: aws.String("in progress")}, workflow.ErrNameRetryable},
		{"concurrent modification", &types.ConcurrentModificationException{}, workflow.ErrNameRetryable},
		{"5xx", serverError(503), workflow.ErrNameRetryable},
		{"deadline", context.DeadlineExceeded, workflow.ErrNameRetryable},
		{"access denied", &types.AccessDeniedException{}, workflow.ErrNameTerminal},
		{"4xx", serverError(400), workflow.ErrNameTerminal},
		{"plain error", errors.New("boom"), workflow.ErrNameTerminal},
		{"named passes through", conflict, workflow.ErrNameConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Classify("do a thing", tt.err)
			if e, a := tt.want, reflect.TypeOf(got).Elem().Name(); e != a {
				t.Errorf("expect %s, got %s (%v)", e, a, got)
			}
			if !errors.Is(got, tt.err) && got != tt.err {
				t.Errorf("the cause is lost: %v", got)
			}
		})
	}
	if Classify("x", nil) != nil {
		t.Error("nil must stay nil")
	}
	if got := Classify("enable trusted access", errors.New("boom")).Error(); got != "enable trusted access: boom" {
		t.Errorf("message: %q", got)
	}
}

func TestRetryer(t *testing.T) {
	r := NewRetryer()
	if e, a := MaxAttempts, r.MaxAttempts(); e != a {
		t.Errorf("attempts: expect %d, got %d", e, a)
	}
	for _, err := range []error{
		&types.ConcurrentModificationException{},
		&smithy.GenericAPIError{Code: "TooManyRequestsException"},
		&smithy.GenericAPIError{Code: "ThrottlingException"},
	} {
		if !r.IsErrorRetryable(err) {
			t.Errorf("%T %v should be retryable", err, err)
		}
	}
	if r.IsErrorRetryable(&types.AccessDeniedException{}) {
		t.Error("access denied must not be retried")
	}
	if NewRetryer() == r {
		t.Error("each client needs its own retryer")
	}
}

// fakeSTS counts AssumeRole calls and hands out credentials.
type fakeSTS struct {
	calls []string
	// policies are the session policies passed, by role.
	policies map[string]string
}

func (f *fakeSTS) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	f.calls = append(f.calls, aws.ToString(in.RoleArn)+" "+aws.ToString(in.RoleSessionName))
	if in.Policy != nil {
		if f.policies == nil {
			f.policies = map[string]string{}
		}
		f.policies[aws.ToString(in.RoleArn)] = aws.ToString(in.Policy)
	}
	return &sts.AssumeRoleOutput{Credentials: &ststypes.Credentials{
		AccessKeyId: aws.String("AKID-" + aws.ToString(in.RoleArn)), SecretAccessKey: aws.String("s"),
		SessionToken: aws.String("t"), Expiration: aws.Time(timeFarAway),
	}}, nil
}

func TestAccountsAssumeOncePerAccount(t *testing.T) {
	base := aws.Config{Region: "eu-west-1", Credentials: aws.AnonymousCredentials{}}
	f := &fakeSTS{}
	a := NewAccounts(base, "111111111111", "OrganizationAccountAccessRole", "orgbaseline-test")
	a.sts = f

	if got := a.Config("111111111111"); got.Credentials != base.Credentials {
		t.Error("the account the code runs in must use the base credentials")
	}
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		c := a.Config("222222222222")
		creds, err := c.Credentials.Retrieve(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if e, a := "AKID-arn:aws:iam::222222222222:role/OrganizationAccountAccessRole", creds.AccessKeyID; e != a {
			t.Errorf("credentials: expect %s, got %s", e, a)
		}
		if c.Region != "eu-west-1" {
			t.Errorf("region: %s", c.Region)
		}
	}
	if _, err := a.Config("333333333333").Credentials.Retrieve(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"arn:aws:iam::222222222222:role/OrganizationAccountAccessRole orgbaseline-test",
		"arn:aws:iam::333333333333:role/OrganizationAccountAccessRole orgbaseline-test",
	}
	if !reflect.DeepEqual(want, f.calls) {
		t.Errorf("AssumeRole calls:\nexpect %v\ngot    %v", want, f.calls)
	}
}

// Every AssumeRole carries the session policy of its account ("Session
// policies", IAM User Guide), and per-account API options reach the
// sessions' clients; the base account's configuration stays the base.
func TestAccountsSessionPolicyAndOptionsPerAccount(t *testing.T) {
	base := aws.Config{Region: "eu-west-1", Credentials: aws.AnonymousCredentials{}}
	f := &fakeSTS{}
	var tagged []string
	a := NewAccounts(base, "111111111111", "Exec", "orgbaseline-test",
		WithSessionPolicy(func(account string) string { return `{"for":"` + account + `"}` }),
		WithAPIOptionsFor(func(account string) []func(*middleware.Stack) error {
			tagged = append(tagged, account)
			return []func(*middleware.Stack) error{func(*middleware.Stack) error { return nil }}
		}))
	a.sts = f
	for _, acct := range []string{"222222222222", "333333333333"} {
		if _, err := a.Config(acct).Credentials.Retrieve(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]string{
		"arn:aws:iam::222222222222:role/Exec": `{"for":"222222222222"}`,
		"arn:aws:iam::333333333333:role/Exec": `{"for":"333333333333"}`,
	}
	if !reflect.DeepEqual(f.policies, want) {
		t.Errorf("session policies: %v", f.policies)
	}
	if c := a.Config("111111111111"); len(c.APIOptions) != 0 || len(base.APIOptions) != 0 {
		t.Errorf("base account options: %d, base changed: %d", len(c.APIOptions), len(base.APIOptions))
	}
	if c := a.Config("222222222222"); len(c.APIOptions) != 1 {
		t.Errorf("session options: %d", len(c.APIOptions))
	}
	if !reflect.DeepEqual(tagged, []string{"222222222222", "333333333333", "222222222222"}) {
		t.Errorf("options asked for %v", tagged)
	}
}

func TestWithRegionCopies(t *testing.T) {
	base := aws.Config{Region: "us-east-1"}
	c := WithRegion(base, "eu-west-1")
	if c.Region != "eu-west-1" || base.Region != "us-east-1" {
		t.Errorf("WithRegion changed the base or missed the copy: %s %s", base.Region, c.Region)
	}
}

// timeFarAway is an expiry that never comes during a test.
var timeFarAway = time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC)

// AWS_MAX_ATTEMPTS sets the attempts per call of every client made from the
// loaded configuration, as the SDKs document it ("Retry behavior"); a bad
// value is an error, not a silent default.
func TestLoadHonoursMaxAttempts(t *testing.T) {
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv(EnvMaxAttempts, "2")
	cfg, err := Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := sts.NewFromConfig(cfg).Options().Retryer.MaxAttempts(); got != 2 {
		t.Errorf("a client's attempts: %d, want 2", got)
	}
	t.Setenv(EnvMaxAttempts, "")
	if cfg, err = Load(context.Background()); err != nil || cfg.Retryer().MaxAttempts() != MaxAttempts {
		t.Errorf("unset: %v", err)
	}
	for _, bad := range []string{"0", "-3", "ten"} {
		t.Setenv(EnvMaxAttempts, bad)
		if _, err := Load(context.Background()); err == nil || !strings.Contains(err.Error(), EnvMaxAttempts) {
			t.Errorf("%s=%q: %v", EnvMaxAttempts, bad, err)
		}
	}
}
