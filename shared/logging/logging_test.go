package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

func TestRecordCarriesKeys(t *testing.T) {
	var buf bytes.Buffer
	l := Where(New(&buf, "org-prerequisites"), "111111111111", "eu-west-1", "")
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	l.InfoContext(ctx, "enabled trusted access", KeyService, "config")

	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("not one JSON record: %v: %s", err, buf.String())
	}
	want := map[string]string{
		KeyStep: "org-prerequisites", KeyRequestID: "req-1", KeyAccount: "111111111111",
		KeyRegion: "eu-west-1", KeyService: "config", "msg": "enabled trusted access",
	}
	for k, v := range want {
		if e, a := v, rec[k]; e != a {
			t.Errorf("%s: expect %q, got %v", k, e, a)
		}
	}
}

func TestNoRequestIDOutsideLambda(t *testing.T) {
	var buf bytes.Buffer
	New(&buf, "cli").Info("hello")
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if _, ok := rec[KeyRequestID]; ok {
		t.Errorf("unexpected request_id in %v", rec)
	}
}
