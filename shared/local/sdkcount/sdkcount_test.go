package sdkcount

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/smithy-go/middleware"
)

func TestMutating(t *testing.T) {
	for op, want := range map[string]bool{
		"DescribeTrails": false, "GetBucketEncryption": false, "ListAccounts": false, "HeadBucket": false,
		"BatchGetResourceConfig": false, "AssumeRole": false,
		"CreateTrail": true, "PutBucketEncryption": true, "EnableAWSServiceAccess": true, "StartLogging": true,
		"RegisterDelegatedAdministrator": true, "UpdateDetector": true,
	} {
		if got := Mutating(op); got != want {
			t.Errorf("Mutating(%s): expect %v, got %v", op, want, got)
		}
	}
}

// organizationsAt returns an Organizations client that records its calls
// into rec and sends them to an HTTP server answering with an empty page;
// the server records the request bodies.
func organizationsAt(t *testing.T, rec func(Call)) (*organizations.Client, *[]map[string]any) {
	t.Helper()
	var mu sync.Mutex
	var bodies []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		json.Unmarshal(b, &body)
		mu.Lock()
		bodies = append(bodies, body)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Write([]byte(`{"Accounts":[]}`))
	}))
	t.Cleanup(srv.Close)
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		APIOptions:  []func(*middleware.Stack) error{Option("org-targets", rec)},
	}
	return organizations.NewFromConfig(cfg, func(o *organizations.Options) { o.BaseEndpoint = aws.String(srv.URL) }), &bodies
}

func TestOptionRecordsCallsAndAsksForAWSPageSize(t *testing.T) {
	var calls []Call
	api, bodies := organizationsAt(t, func(c Call) { calls = append(calls, c) })
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})

	if _, err := api.ListAccounts(ctx, &organizations.ListAccountsInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.ListAccounts(ctx, &organizations.ListAccountsInput{MaxResults: aws.Int32(5)}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.EnableAWSServiceAccess(context.Background(), &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String("config.amazonaws.com")}); err != nil {
		t.Fatal(err)
	}
	want := []Call{
		{Step: "org-targets", Invocation: "req-1", Service: "Organizations", Operation: "ListAccounts", Region: "us-east-1"},
		{Step: "org-targets", Invocation: "req-1", Service: "Organizations", Operation: "ListAccounts", Region: "us-east-1"},
		{Step: "org-targets", Service: "Organizations", Operation: "EnableAWSServiceAccess", Region: "us-east-1", Mutating: true},
	}
	if !reflect.DeepEqual(calls, want) {
		t.Errorf("calls:\nexpect %+v\ngot    %+v", want, calls)
	}
	// No page size becomes AWS's; a smaller one is kept.
	if e, a := []any{float64(AWSPageSize), float64(5)}, []any{(*bodies)[0]["MaxResults"], (*bodies)[1]["MaxResults"]}; !reflect.DeepEqual(e, a) {
		t.Errorf("MaxResults sent: expect %v, got %v", e, a)
	}
}

func TestReadDir(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "org-targets-1.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	log := &fileLog{f: f}
	c := Call{Step: "org-targets", Invocation: "req-1", Service: "STS", Operation: "GetCallerIdentity", Region: "eu-west-1"}
	log.record(c)
	log.record(c)
	f.Close()
	calls, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if e, a := []Call{c, c}, calls; !reflect.DeepEqual(e, a) {
		t.Errorf("expect %+v, got %+v", e, a)
	}
}

// A session's calls carry its account (InAccount before Option), the base
// configuration's none.
func TestInAccountMarksASessionsCalls(t *testing.T) {
	var calls []Call
	api, _ := organizationsAt(t, func(c Call) { calls = append(calls, c) })
	opts := api.Options()
	opts.APIOptions = append(opts.APIOptions, InAccount("222222222222"))
	session := organizations.New(opts)
	if _, err := session.ListAccounts(context.Background(), &organizations.ListAccountsInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.ListAccounts(context.Background(), &organizations.ListAccountsInput{}); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 || calls[0].Account != "222222222222" || calls[1].Account != "" {
		t.Errorf("accounts recorded: %+v", calls)
	}
}
