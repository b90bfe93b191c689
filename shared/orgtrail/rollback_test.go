package orgtrail

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// Both rollbacks act through the security account, in every region they
// read, when the trail is managed from there.
func TestFakeManagedFromSecurityRollbacks(t *testing.T) {
	f := newFake()
	cfg := config(t, fSecurityManaged)
	cfg.Regions.Names = []string{"eu-west-1", "us-east-1"}
	if _, err := fakeRun(t, f, cfg, workflow.ModeApply); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	f.calls, f.seq, f.ids = nil, nil, nil
	res, err := RollbackCloudWatchLogs(ctx, f.deps(), cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	if e, a := []string{"UpdateTrail"}, f.calls; !reflect.DeepEqual(e, a) {
		t.Errorf("CloudWatch Logs rollback calls: expect %v, got %v", e, a)
	}
	if f.trail.CloudWatchLogsLogGroupArn != nil || f.trail.CloudWatchLogsRoleArn != nil {
		t.Errorf("CloudWatch Logs delivery still set: %+v", f.trail)
	}
	if o := outcomeOf(t, res, "eu-west-1", CallUpdateTrail); o.Account != fSecurity {
		t.Errorf("rollback outcome in %s, want %s", o.Account, fSecurity)
	}
	if !slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.Contains(w, workflow.SecurityStackName) }) {
		t.Errorf("the warning does not name the security stack: %v", res.Warnings)
	}

	f.calls = nil
	res, err = RollbackEncryption(ctx, f.deps(), cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	if e, a := []string{"UpdateTrail", "PutBucketEncryption"}, f.calls; !reflect.DeepEqual(e, a) {
		t.Errorf("calls: expect %v, got %v", e, a)
	}
	if f.trail.KmsKeyId != nil || f.sse != s3types.ServerSideEncryptionAes256 {
		t.Errorf("encryption not rolled back: key %v, bucket %s", aws.ToString(f.trail.KmsKeyId), f.sse)
	}
	for _, o := range res.Outcomes {
		if o.Status == workflow.StatusFailed {
			t.Errorf("failed outcome: %+v", o)
		}
	}
	if !slices.Contains(f.seq, fSecurity+" us-east-1 DescribeTrails") {
		t.Errorf("the trail was not verified from the security account in us-east-1: %v", f.seq)
	}
	if a := f.callsIn(fMgmt); len(a) != 0 {
		t.Errorf("the rollbacks called CloudTrail in the management account: %v", a)
	}
	for _, id := range f.ids {
		if id != fTrailARN {
			t.Errorf("a rollback call names the trail %s, want %s", id, fTrailARN)
		}
	}
}
