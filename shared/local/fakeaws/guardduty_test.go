package fakeaws_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
)

// TestAgeDetectors: GuardDuty reaches moto through the fake unchanged, and
// GetDetector's createdAt ("GetDetector", Amazon GuardDuty API Reference)
// is dated back by AgeDetectors, and by nothing once it is 0 again.
func TestAgeDetectors(t *testing.T) {
	_, org := srv.SeedT(t)
	fake := srv.FakeAWS()
	t.Cleanup(func() { fake.AgeDetectors(0) })
	gd := guardduty.NewFromConfig(awsclient.WithRegion(srv.AccountConfigT(t, org.Security), "eu-west-1"))
	if _, err := gd.CreateDetector(ctx(t), &guardduty.CreateDetectorInput{Enable: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	ids, err := gd.ListDetectors(ctx(t), &guardduty.ListDetectorsInput{})
	if err != nil || len(ids.DetectorIds) != 1 {
		t.Fatalf("ListDetectors through the fake: %+v, %v", ids, err)
	}
	created := func() time.Time {
		t.Helper()
		out, err := gd.GetDetector(ctx(t), &guardduty.GetDetectorInput{DetectorId: aws.String(ids.DetectorIds[0])})
		if err != nil {
			t.Fatal(err)
		}
		at, err := time.Parse(time.RFC3339, aws.ToString(out.CreatedAt))
		if err != nil {
			t.Fatalf("createdAt %q: %v", aws.ToString(out.CreatedAt), err)
		}
		if out.Status != "ENABLED" {
			t.Errorf("status %q, want ENABLED: the rest of the answer is moto's", out.Status)
		}
		return at
	}
	moto := created()
	if age := time.Since(moto); age < -time.Minute || age > 10*time.Minute {
		t.Fatalf("moto's createdAt %s is not about now", moto)
	}
	fake.AgeDetectors(49 * time.Hour)
	if aged := created(); moto.Sub(aged) != 49*time.Hour {
		t.Errorf("aged createdAt %s, want %s (49 hours before moto's %s)", aged, moto.Add(-49*time.Hour), moto)
	}
	fake.AgeDetectors(0)
	if again := created(); !again.Equal(moto) {
		t.Errorf("createdAt %s after AgeDetectors(0), want moto's %s", again, moto)
	}
}
