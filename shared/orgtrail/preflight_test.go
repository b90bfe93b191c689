package orgtrail

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"

	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// pfOrg is an organization for the preflight alone: its accounts, the
// management account first, and what reading each account's trails gives.
type pfOrg struct {
	accounts []string
	trails   map[string][]cttypes.Trail
	errs     map[string]error
	// afterRead runs after the n-th read (1-based) of a member account.
	afterRead func(n int)

	mu   sync.Mutex
	read []string
}

// members are the accounts of o but the management account.
func (o *pfOrg) members() []string { return o.accounts[1:] }

func (o *pfOrg) ListDelegatedAdministrators(context.Context, *organizations.ListDelegatedAdministratorsInput, ...func(*organizations.Options)) (*organizations.ListDelegatedAdministratorsOutput, error) {
	return &organizations.ListDelegatedAdministratorsOutput{}, nil
}

type pfMember struct {
	o       *pfOrg
	account string
}

func (m pfMember) DescribeTrails(context.Context, *cloudtrail.DescribeTrailsInput, ...func(*cloudtrail.Options)) (*cloudtrail.DescribeTrailsOutput, error) {
	m.o.mu.Lock()
	m.o.read = append(m.o.read, m.account)
	n := len(m.o.read)
	m.o.mu.Unlock()
	if m.o.afterRead != nil {
		m.o.afterRead(n)
	}
	if err := m.o.errs[m.account]; err != nil {
		return nil, err
	}
	return &cloudtrail.DescribeTrailsOutput{TrailList: m.o.trails[m.account]}, nil
}

func (o *pfOrg) deps() Deps {
	return Deps{Orgs: o, MemberTrails: func(account string) DescribeTrailsAPI { return pfMember{o, account} }}
}

func (o *pfOrg) reads() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.read)
}

var pfQuiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// pfAccount is the n-th member account's ID.
func pfAccount(n int) string { return fmt.Sprintf("5%011d", n) }

// newPFOrg returns an organization of the management account and n member
// accounts, none with trails of its own.
func newPFOrg(n int) *pfOrg {
	o := &pfOrg{accounts: []string{fMgmt}, trails: map[string][]cttypes.Trail{}, errs: map[string]error{}}
	for i := range n {
		o.accounts = append(o.accounts, pfAccount(i))
	}
	return o
}

// assumeRoleError is the error a client gets when the execution role cannot
// be assumed in account, wrapped as the SDK wraps it.
func assumeRoleError(account string) error {
	return &smithy.OperationError{ServiceID: "CloudTrail", OperationName: "DescribeTrails", Err: fmt.Errorf(
		"get identity: get credentials: failed to refresh cached credentials, %w",
		&smithy.OperationError{ServiceID: "STS", OperationName: "AssumeRole", Err: &smithy.GenericAPIError{
			Code:    "AccessDenied",
			Message: "User: arn:aws:sts::111111111111:assumed-role/orgbaseline-org-trail/x is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::" + account + ":role/OrganizationAccountAccessRole",
		}},
	)}
}

func countContaining(warnings []string, parts ...string) int {
	n := 0
	for _, w := range warnings {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(w, p)
		}
		if all {
			n++
		}
	}
	return n
}

// An organization far larger than the preflight reads gives a bounded number
// of warnings of bounded length, however many accounts have trails of their
// own or cannot be read.
func TestPreflightHugeOrganization(t *testing.T) {
	cfg := config(t, "")
	const members = 1500
	o := newPFOrg(members)
	longMessage := strings.Repeat("the service said a great deal about this ", 200)
	for i := range PreflightMaxAccounts {
		id := pfAccount(i)
		switch i % 10 {
		case 0:
			var trails []cttypes.Trail
			for j := range 15 {
				name := fmt.Sprintf("team-trail-%02d-%s", j, strings.Repeat("n", 100))
				trails = append(trails, cttypes.Trail{Name: aws.String(name), TrailARN: aws.String("arn:aws:cloudtrail:eu-west-1:" + id + ":trail/" + name)})
			}
			o.trails[id] = trails
		case 1:
			o.errs[id] = assumeRoleError(id)
		case 2:
			o.errs[id] = &smithy.OperationError{ServiceID: "CloudTrail", OperationName: "DescribeTrails",
				Err: &smithy.GenericAPIError{Code: "UnsupportedOperationException", Message: longMessage}}
		}
	}
	warnings := preflight(context.Background(), o.deps(), cfg, o.members(), pfQuiet)

	if n := o.reads(); n != PreflightMaxAccounts {
		t.Errorf("%d accounts read, want %d", n, PreflightMaxAccounts)
	}
	if len(warnings) > 30 {
		t.Errorf("%d warnings, want 30 at most", len(warnings))
	}
	payload, _ := json.Marshal(warnings)
	if len(payload) > 16<<10 {
		t.Errorf("the warnings take %d bytes, want 16 KB at most", len(payload))
	}
	for _, w := range warnings {
		if len(w) > 2<<10 {
			t.Errorf("a warning of %d bytes: %.200s…", len(w), w)
		}
		if strings.Contains(w, "operation error") || strings.Contains(w, "failed to refresh cached credentials") {
			t.Errorf("the error text is not shortened: %.300s", w)
		}
	}

	if n := countContaining(warnings, "has trail(s) of its own in eu-west-1", "team-trail-00", "team-trail-04", "and 10 more"); n != PreflightNamed {
		t.Errorf("%d warnings name an account with trails of its own, want %d: %q", n, PreflightNamed, warnings)
	}
	if countContaining(warnings, "and 90 more accounts have trails of their own") != 1 {
		t.Errorf("no count of the other accounts with trails of their own: %q", warnings)
	}
	if n := countContaining(warnings, "could not check for trails of its own", "UnsupportedOperationException: the service said", "…"); n != PreflightNamed {
		t.Errorf("%d warnings name an account that could not be read, with the error shortened, want %d: %q", n, PreflightNamed, warnings)
	}
	if countContaining(warnings, "and 90 more accounts could not be checked") != 1 {
		t.Errorf("no count of the other accounts that could not be read: %q", warnings)
	}
	assume := countContaining(warnings, "could not check 100 accounts for trails of their own", "OrganizationAccountAccessRole could not be assumed",
		"AccessDenied: User", pfAccount(1)+", "+pfAccount(11), pfAccount(91)+" and 90 more")
	if assume != 1 {
		t.Errorf("no single warning for the accounts where the role could not be assumed: %q", warnings)
	}
	if strings.Contains(strings.Join(warnings, "\n"), pfAccount(101)) {
		t.Errorf("a warning names an 11th account where the role could not be assumed: %q", warnings)
	}
	if countContaining(warnings, "only the first 1000 of 1500 member accounts") != 1 {
		t.Errorf("no warning about the accounts beyond %d: %q", PreflightMaxAccounts, warnings)
	}
	if countContaining(warnings, "not checked") != 0 {
		t.Errorf("accounts reported as not checked, with time to spare: %q", warnings)
	}
	if countContaining(warnings, "management account's own activity") != 1 || countContaining(warnings, "CloudTrail Lake") != 1 {
		t.Errorf("missing the standing warnings: %q", warnings)
	}
}

// The accounts not started when the budget is spent are reported as not
// checked, in one warning naming ten of them; those read are reported as
// usual.
func TestPreflightBudgetSpent(t *testing.T) {
	cfg := config(t, "")
	const members, before = 200, 20
	o := newPFOrg(members)
	o.trails[pfAccount(0)] = []cttypes.Trail{{Name: aws.String("team-trail"), TrailARN: aws.String("arn:aws:cloudtrail:eu-west-1:" + pfAccount(0) + ":trail/team-trail")}}
	budget, spend := context.WithCancel(context.Background())
	defer spend()
	o.afterRead = func(n int) {
		if n == before {
			spend()
		}
	}
	warnings := memberWarnings(context.Background(), budget, o.deps(), cfg, o.members(), pfQuiet)

	read := o.reads()
	if read < before || read >= members {
		t.Fatalf("%d accounts read, want from %d to fewer than %d", read, before, members)
	}
	notChecked := members - read
	want := fmt.Sprintf("%d accounts not checked for trails of their own: the preflight's time ran out; run again or check with aws cloudtrail describe-trails --no-include-shadow-trails --region eu-west-1", notChecked)
	if countContaining(warnings, want, " and "+strconv.Itoa(notChecked-PreflightNamed)+" more") != 1 {
		t.Errorf("no warning %q…: %q", want, warnings)
	}
	// The last account, never started, is among those not checked, but
	// beyond the ten named.
	if strings.Contains(strings.Join(warnings, "\n"), pfAccount(members-1)) {
		t.Errorf("a warning names more than ten accounts not checked: %q", warnings)
	}
	if countContaining(warnings, pfAccount(0), "team-trail") != 1 {
		t.Errorf("the account read before the budget was spent is not reported: %q", warnings)
	}
	if len(warnings) != 2 {
		t.Errorf("%d warnings, want 2: %q", len(warnings), warnings)
	}
}

// A step called with less time left than the preflight leaves for the
// trail's work checks no member account, and says so.
func TestPreflightDeadlineWithinTheReserve(t *testing.T) {
	cfg := config(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), PreflightReserve-time.Second)
	defer cancel()

	o := newPFOrg(3)
	warnings := preflight(ctx, o.deps(), cfg, o.members(), pfQuiet)
	if n := o.reads(); n != 0 {
		t.Errorf("%d accounts read with the budget spent", n)
	}
	if countContaining(warnings, "3 accounts not checked for trails of their own: the preflight's time ran out", pfAccount(0)+", "+pfAccount(1)+", "+pfAccount(2)) != 1 {
		t.Errorf("no warning for the accounts not checked: %q", warnings)
	}
	if countContaining(warnings, "management account's own activity") != 1 || countContaining(warnings, "CloudTrail Lake") != 1 {
		t.Errorf("missing the standing warnings: %q", warnings)
	}

}

func TestPreflightDeadline(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	if e, a := now.Add(PreflightBudget), preflightDeadline(context.Background(), now); !e.Equal(a) {
		t.Errorf("without a deadline: expect %v, got %v", e, a)
	}
	lambda := time.Now().Add(90 * time.Second)
	ctx, cancel := context.WithDeadline(context.Background(), lambda)
	defer cancel()
	if e, a := lambda.Add(-PreflightReserve), preflightDeadline(ctx, now); !e.Equal(a) {
		t.Errorf("with the Lambda's deadline: expect %v, got %v", e, a)
	}
}

func TestShortError(t *testing.T) {
	if e, a := "AccessDenied: User: arn:aws:sts::111111111111:assumed-role/orgbaseline-org-trail/x is not authorized", shortError(assumeRoleError("444444444444")); !strings.HasPrefix(a, e) {
		t.Errorf("expect %q…, got %q", e, a)
	}
	long := shortError(errors.New(strings.Repeat("é", 1000)))
	if n := len([]rune(long)); n != PreflightErrorChars || !strings.HasSuffix(long, "…") {
		t.Errorf("a long error is shortened to %d characters: %q", n, long)
	}
	if e, a := "plain", shortError(errors.New("plain")); e != a {
		t.Errorf("expect %q, got %q", e, a)
	}
}

func TestAssumeRoleFailed(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{assumeRoleError("444444444444"), true},
		{errors.New("operation error STS: AssumeRole, AccessDenied"), true},
		{&smithy.OperationError{ServiceID: "CloudTrail", OperationName: "DescribeTrails", Err: &smithy.GenericAPIError{Code: "AccessDeniedException"}}, false},
		{context.DeadlineExceeded, false},
	} {
		if got := assumeRoleFailed(tt.err); got != tt.want {
			t.Errorf("assumeRoleFailed(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestFakePreflightWarnings(t *testing.T) {
	const own, suspended, closing, locked, clean = "444444444444", "555555555555", "666666666666", "777777777777", "888888888888"
	f := newFake()
	for _, a := range []struct {
		id    string
		state orgtypes.AccountState
	}{{own, orgtypes.AccountStateActive}, {suspended, orgtypes.AccountStateSuspended}, {closing, orgtypes.AccountStatePendingClosure}, {locked, orgtypes.AccountStateActive}, {clean, orgtypes.AccountStateActive}} {
		f.accounts = append(f.accounts, orgtypes.Account{Id: aws.String(a.id), State: a.state})
	}
	f.members[own] = []cttypes.Trail{
		{Name: aws.String("team-trail"), TrailARN: aws.String("arn:aws:cloudtrail:eu-west-1:" + own + ":trail/team-trail")},
		{Name: aws.String(settings.DefaultTrailName), TrailARN: aws.String("arn:aws:cloudtrail:eu-west-1:" + fMgmt + ":trail/" + settings.DefaultTrailName)},
	}
	f.members[clean] = []cttypes.Trail{{Name: aws.String(settings.DefaultTrailName), TrailARN: aws.String("arn:aws:cloudtrail:eu-west-1:" + fMgmt + ":trail/" + settings.DefaultTrailName)}}
	f.memberErr[locked] = errors.New("operation error STS: AssumeRole, AccessDenied")
	res, err := fakeRun(t, f, config(t, ""), workflow.ModePlan)
	if err != nil {
		t.Fatalf("preflight failures must not fail the step: %v", err)
	}
	has := func(parts ...string) bool {
		return slices.ContainsFunc(res.Warnings, func(w string) bool {
			for _, p := range parts {
				if !strings.Contains(w, p) {
					return false
				}
			}
			return true
		})
	}
	if !has(own, "team-trail") {
		t.Errorf("no warning naming %s and team-trail: %v", own, res.Warnings)
	}
	if has(own, settings.DefaultTrailName) {
		t.Errorf("the organization trail is reported as the account's own: %v", res.Warnings)
	}
	if !has(locked, "could not check", "AccessDenied") {
		t.Errorf("no warning for the account that could not be read: %v", res.Warnings)
	}
	for _, id := range []string{suspended, closing, clean, fMgmt} {
		if has(id + " ") {
			t.Errorf("unexpected warning about %s: %v", id, res.Warnings)
		}
	}
	slices.Sort(f.read)
	if e, a := []string{own, locked, clean}, f.read; !reflect.DeepEqual(e, a) {
		t.Errorf("accounts read: expect %v, got %v", e, a)
	}
	if !has("management account's own activity", fMgmt) || !has("CloudTrail Lake", "management account") {
		t.Errorf("missing the standing warnings: %v", res.Warnings)
	}
}
