package targets

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/account"
	accounttypes "github.com/aws/aws-sdk-go-v2/service/account/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// fakeRegions pages through regions two at a time and checks the filter.
type fakeRegions struct {
	t       *testing.T
	regions []accounttypes.Region
}

func (f fakeRegions) ListRegions(ctx context.Context, in *account.ListRegionsInput, _ ...func(*account.Options)) (*account.ListRegionsOutput, error) {
	want := []accounttypes.RegionOptStatus{accounttypes.RegionOptStatusEnabled, accounttypes.RegionOptStatusEnabledByDefault}
	if !reflect.DeepEqual(want, in.RegionOptStatusContains) {
		f.t.Errorf("ListRegions filter: expect %v, got %v", want, in.RegionOptStatusContains)
	}
	start := 0
	if in.NextToken != nil {
		start = len(*in.NextToken)
	}
	end := min(start+2, len(f.regions))
	out := &account.ListRegionsOutput{Regions: f.regions[start:end]}
	if end < len(f.regions) {
		out.NextToken = aws.String(strings.Repeat("x", end))
	}
	return out, nil
}

type fakeAccounts struct {
	accounts []orgtypes.Account
	// calls counts the calls, by operation.
	calls map[string]int
}

func (f fakeAccounts) DescribeAccount(ctx context.Context, in *organizations.DescribeAccountInput, _ ...func(*organizations.Options)) (*organizations.DescribeAccountOutput, error) {
	if f.calls != nil {
		f.calls["DescribeAccount"]++
	}
	for _, a := range f.accounts {
		if aws.ToString(a.Id) == aws.ToString(in.AccountId) {
			return &organizations.DescribeAccountOutput{Account: &a}, nil
		}
	}
	return nil, &orgtypes.AccountNotFoundException{Message: aws.String("You specified an account that doesn't exist.")}
}

func (f fakeAccounts) ListAccounts(ctx context.Context, in *organizations.ListAccountsInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error) {
	if f.calls != nil {
		f.calls["ListAccounts"]++
	}
	start := 0
	if in.NextToken != nil {
		start = len(*in.NextToken)
	}
	end := min(start+2, len(f.accounts))
	out := &organizations.ListAccountsOutput{Accounts: f.accounts[start:end]}
	if end < len(f.accounts) {
		out.NextToken = aws.String(strings.Repeat("x", end))
	}
	return out, nil
}

// fakeSTS answers per region: nil, or the error in errs.
type fakeSTS struct {
	region string
	errs   map[string]error
	mu     *sync.Mutex
	seen   *[]string
}

func (f fakeSTS) GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, _ ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	f.mu.Lock()
	*f.seen = append(*f.seen, f.region)
	f.mu.Unlock()
	return &sts.GetCallerIdentityOutput{}, f.errs[f.region]
}

func account_(id string, state orgtypes.AccountState) orgtypes.Account {
	return orgtypes.Account{Id: aws.String(id), State: state}
}

func deps(t *testing.T, stsErrs map[string]error, seen *[]string) Deps {
	var mu sync.Mutex
	return Deps{
		Regions: fakeRegions{t: t, regions: []accounttypes.Region{
			{RegionName: aws.String("us-east-1")}, {RegionName: aws.String("eu-west-1")}, {RegionName: aws.String("ap-southeast-4")},
			{RegionName: aws.String("xx-future-1")},
		}},
		Accounts: fakeAccounts{accounts: []orgtypes.Account{
			account_("555555555555", orgtypes.AccountStateActive),
			account_("444444444444", orgtypes.AccountStateSuspended),
			account_("111111111111", orgtypes.AccountStateActive),
			account_("666666666666", orgtypes.AccountStatePendingClosure),
			{Id: aws.String("777777777777"), Status: orgtypes.AccountStatusActive}, // State not set: Status is read
		}},
		STSIn: func(region string) CallerIdentityAPI {
			return fakeSTS{region: region, errs: stsErrs, mu: &mu, seen: seen}
		},
	}
}

func config(t *testing.T, regions string) settings.Config {
	t.Helper()
	c, err := settings.Load("t.yaml", strings.NewReader(`
accounts: {management: "111111111111", security: "222222222222", logArchive: "333333333333"}
organizationId: o-abcdef1234
homeRegion: eu-west-1
regions: `+regions+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func skipped(res Result) map[string]string {
	m := map[string]string{}
	for _, o := range res.Outcomes {
		if o.Status != workflow.StatusSkipped {
			continue
		}
		m[o.Account+"/"+o.Region] = o.Reason
	}
	return m
}

func TestRegionsAndAccounts(t *testing.T) {
	notOptedIn := &smithy.GenericAPIError{Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid"}
	var seen []string
	res, err := Run(context.Background(), deps(t, map[string]error{"ap-southeast-4": notOptedIn}, &seen),
		config(t, "[us-east-1, eu-west-1, ap-southeast-4]"), workflow.Input{Mode: workflow.ModeApply}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if e, a := []string{"eu-west-1", "us-east-1"}, res.Regions; !reflect.DeepEqual(e, a) {
		t.Errorf("regions (home first): expect %v, got %v", e, a)
	}
	if e, a := "eu-west-1", res.HomeRegion; e != a {
		t.Errorf("home: expect %s, got %s", e, a)
	}
	if e, a := []string{"us-east-1"}, res.OtherRegions; !reflect.DeepEqual(e, a) {
		t.Errorf("other regions: expect %v, got %v", e, a)
	}
	if e, a := []string{"111111111111", "555555555555", "777777777777"}, res.Accounts; !reflect.DeepEqual(e, a) {
		t.Errorf("accounts (management first): expect %v, got %v", e, a)
	}
	want := map[string]string{
		"111111111111/ap-southeast-4": "region not enabled (opted out) for the management account",
		"444444444444/global":         "account is SUSPENDED",
		"666666666666/global":         "account is PENDING_CLOSURE",
	}
	if a := skipped(res); !reflect.DeepEqual(want, a) {
		t.Errorf("skipped:\nexpect %v\ngot    %v", want, a)
	}
	if len(seen) != 3 {
		t.Errorf("expect one STS check per region, got %v", seen)
	}
	if res.Changed {
		t.Error("resolving targets changes nothing")
	}
}

func TestDiscoverAndFilters(t *testing.T) {
	var seen []string
	res, err := Run(context.Background(), deps(t, nil, &seen), config(t, "discover"),
		workflow.Input{Mode: workflow.ModePlan, Regions: []string{"ap-southeast-4", "eu-west-1", "sa-east-1"}, Accounts: []string{"555555555555", "999999999999", "444444444444"}}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	// Discovered: ap-southeast-4, eu-west-1, us-east-1 (sorted); the filter keeps two.
	if e, a := []string{"eu-west-1", "ap-southeast-4"}, res.Regions; !reflect.DeepEqual(e, a) {
		t.Errorf("regions: expect %v, got %v", e, a)
	}
	if e, a := []string{"555555555555"}, res.Accounts; !reflect.DeepEqual(e, a) {
		t.Errorf("accounts: expect %v, got %v", e, a)
	}
	want := map[string]string{
		"111111111111/xx-future-1": "enabled in the account, but not a region orgbaseline knows (the aws partition's list in shared/settings)",
		"111111111111/sa-east-1":   "not a region of the run: not in the configuration's regions, or not enabled in the account",
		"999999999999/global":      "not an account of the organization",
		"444444444444/global":      "account is SUSPENDED",
	}
	if a := skipped(res); !reflect.DeepEqual(want, a) {
		t.Errorf("skipped:\nexpect %v\ngot    %v", want, a)
	}
}

func TestHomeRegionFilteredOut(t *testing.T) {
	var seen []string
	res, err := Run(context.Background(), deps(t, nil, &seen), config(t, "[us-east-1, eu-west-1]"),
		workflow.Input{Mode: workflow.ModeApply, Regions: []string{"us-east-1"}}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if res.HomeRegion != "" || !reflect.DeepEqual([]string{"us-east-1"}, res.Regions) || !reflect.DeepEqual([]string{"us-east-1"}, res.OtherRegions) {
		t.Errorf("home filtered out: %+v", res)
	}
}

func TestRegionCheckErrors(t *testing.T) {
	var seen []string
	throttled := &smithy.GenericAPIError{Code: "Throttling", Message: "slow down"}
	_, err := Run(context.Background(), deps(t, map[string]error{"us-east-1": throttled}, &seen), config(t, "[us-east-1, eu-west-1]"), workflow.Input{Mode: workflow.ModeApply}, quiet)
	var re *workflow.RetryableError
	if !errors.As(err, &re) {
		t.Errorf("a throttled region check is retryable, got %T %v", err, err)
	}
	denied := &smithy.GenericAPIError{Code: "AccessDenied", Message: "no"}
	_, err = Run(context.Background(), deps(t, map[string]error{"eu-west-1": denied}, &seen), config(t, "[us-east-1, eu-west-1]"), workflow.Input{Mode: workflow.ModeApply}, quiet)
	var te *workflow.TerminalError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "check region eu-west-1") {
		t.Errorf("access denied is terminal and names the region, got %T %v", err, err)
	}
}

// A run that might outlast the state machine's timeout is refused before any
// change, saying how to run it in parts; one that fits runs.
func TestRunLengthIsCheckedAgainstTheTimeout(t *testing.T) {
	cfg := config(t, "[us-east-1, eu-west-1]")
	in := workflow.Input{Mode: workflow.ModeApply}
	d := deps(t, nil, new([]string))
	// 3 ACTIVE accounts, one at a time, each invocation at most
	// InvocationBound: fits when the timeout allows 3 rounds.
	d.Paces = []workflow.Pace{{Step: "each", Shape: workflow.ShapeEachAccount, MaxConcurrency: 1}}
	if _, err := Run(context.Background(), d, cfg, in, quiet); err != nil {
		t.Fatalf("a short run refused: %v", err)
	}
	// A step that may take the timeout less two invocations, then three
	// accounts one at a time: one invocation too many.
	slow := int(workflow.ExecutionTimeout/workflow.InvocationBound) - 2
	d.Paces = []workflow.Pace{{Step: "slow", Poll: &workflow.Poll{MaxPolls: slow}}, {Step: "each", Shape: workflow.ShapeEachAccount, MaxConcurrency: 1}}
	_, err := Run(context.Background(), d, cfg, in, quiet)
	if err == nil || reflect.TypeOf(err).Elem().Name() != workflow.ErrNameTerminal || !strings.Contains(err.Error(), "3 accounts x 2 regions may take up to") || !strings.Contains(err.Error(), "--accounts") {
		t.Fatalf("want a TerminalError saying how to run in parts, got %T %v", err, err)
	}
	d.Paces, d.PacesErr = nil, nil
	res, err := Run(context.Background(), d, cfg, in, quiet)
	if err != nil || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], workflow.EnvRunPaces) {
		t.Errorf("without paces: %v %v", res.Warnings, err)
	}
}

// --accounts with a well-formed ID that is not in the organization: its
// skipped row, and an empty account list for the Maps, not null.
func TestAccountNotInTheOrganization(t *testing.T) {
	res, err := Run(context.Background(), deps(t, nil, new([]string)), config(t, "[eu-west-1]"),
		workflow.Input{Mode: workflow.ModeApply, Accounts: []string{"000000000000"}}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if got := skipped(res)["000000000000/global"]; got != "not an account of the organization" {
		t.Errorf("skipped: %v", skipped(res))
	}
	b, _ := json.Marshal(res)
	if !strings.Contains(string(b), `"accounts":[]`) {
		t.Errorf("accounts in the result: %s", b)
	}
}

// A run narrowed to a few accounts reads them one by one and does not list
// the organization: an onboarding costs the same whatever its size. The
// answers are those of a listing.
func TestNarrowedRunReadsItsAccountsOnly(t *testing.T) {
	d := deps(t, nil, new([]string))
	calls := map[string]int{}
	fa := d.Accounts.(fakeAccounts)
	fa.calls = calls
	d.Accounts = fa
	in := workflow.Input{Mode: workflow.ModeApply, Accounts: []string{"555555555555", "444444444444", "000000000000"}}
	res, err := Run(context.Background(), d, config(t, "[eu-west-1]"), in, quiet)
	if err != nil {
		t.Fatal(err)
	}
	if calls["ListAccounts"] != 0 || calls["DescribeAccount"] != 3 {
		t.Errorf("calls: %v, want 3 DescribeAccount and no listing", calls)
	}
	if !reflect.DeepEqual(res.Accounts, []string{"555555555555"}) {
		t.Errorf("accounts: %v", res.Accounts)
	}
	want := map[string]string{"444444444444/global": "account is SUSPENDED", "000000000000/global": "not an account of the organization"}
	if got := skipped(res); !reflect.DeepEqual(got, want) {
		t.Errorf("skipped: %v", got)
	}
}
