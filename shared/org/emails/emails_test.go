package emails

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	otypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// fakeOrgs holds accounts by ID (absent: gone), listed PerPage a page, and
// counts its calls.
type fakeOrgs struct {
	accounts  []otypes.Account
	describes int
	pages     int
}

func (f *fakeOrgs) DescribeAccount(ctx context.Context, in *organizations.DescribeAccountInput, _ ...func(*organizations.Options)) (*organizations.DescribeAccountOutput, error) {
	f.describes++
	for _, a := range f.accounts {
		if aws.ToString(a.Id) == aws.ToString(in.AccountId) {
			return &organizations.DescribeAccountOutput{Account: &a}, nil
		}
	}
	return nil, &otypes.AccountNotFoundException{Message: aws.String("no such account")}
}

func (f *fakeOrgs) ListAccounts(ctx context.Context, in *organizations.ListAccountsInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error) {
	f.pages++
	if n := aws.ToInt32(in.MaxResults); n < 1 || n > PerPage {
		return nil, &otypes.InvalidInputException{Message: aws.String("MaxResults out of range")}
	}
	start := 0
	if in.NextToken != nil {
		start = len(*in.NextToken)
	}
	end := min(start+PerPage, len(f.accounts))
	out := &organizations.ListAccountsOutput{Accounts: f.accounts[start:end]}
	if end < len(f.accounts) {
		out.NextToken = aws.String(strings.Repeat("x", end))
	}
	return out, nil
}

func org(n int, suspended ...string) *fakeOrgs {
	f := &fakeOrgs{}
	for i := range n {
		id := "1000000000" + string(rune('0'+i/10)) + string(rune('0'+i%10))
		state := otypes.AccountStateActive
		if slices.Contains(suspended, id) {
			state = otypes.AccountStateSuspended
		}
		f.accounts = append(f.accounts, otypes.Account{Id: aws.String(id), Email: aws.String(id + "@example.com"), State: state})
	}
	return f
}

func TestFewAccountsAreDescribedOneByOne(t *testing.T) {
	f := org(45, "100000000003")
	r := NewReader(f, 45)
	todo := []string{"100000000001", "100000000003", "999999999999"}
	if err := r.Prepare(context.Background(), todo); err != nil {
		t.Fatal(err)
	}
	got, err := r.Read(context.Background(), todo)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != (Account{"100000000001", "100000000001@example.com"}) {
		t.Errorf("read %v", got)
	}
	want := []Skip{{"100000000003", "the account is SUSPENDED"}, {"999999999999", Gone}}
	if !slices.Equal(r.Skipped(), want) {
		t.Errorf("skipped %v, want %v", r.Skipped(), want)
	}
	// 3 accounts to read cost 3 DescribeAccount, fewer than the 3 pages of
	// a 45-account organization; a second read costs nothing.
	if _, err := r.Read(context.Background(), todo); err != nil || f.describes != 3 || f.pages != 0 {
		t.Errorf("calls: %d DescribeAccount, %d pages (%v)", f.describes, f.pages, err)
	}
}

func TestManyAccountsAreListed(t *testing.T) {
	f := org(45, "100000000044")
	r := NewReader(f, 45)
	var todo []string
	for _, a := range f.accounts {
		todo = append(todo, aws.ToString(a.Id))
	}
	todo = append(todo, "999999999999")
	if err := r.Prepare(context.Background(), todo); err != nil {
		t.Fatal(err)
	}
	got, err := r.Read(context.Background(), todo)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 44 || f.pages != 3 || f.describes != 0 {
		t.Errorf("%d read, %d pages, %d DescribeAccount: want 44 read from 3 pages and no DescribeAccount", len(got), f.pages, f.describes)
	}
	want := []Skip{{"100000000044", "the account is SUSPENDED"}, {"999999999999", Gone}}
	if !slices.Equal(r.Skipped(), want) {
		t.Errorf("skipped %v, want %v", r.Skipped(), want)
	}
}
