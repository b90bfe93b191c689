package motorig

import (
	"reflect"
	"testing"
)

func TestMutatingLeavesOutReads(t *testing.T) {
	calls := []string{
		"CloudTrail:DescribeTrails", "CloudTrail:CreateTrail", "S3:HeadBucket", "S3:GetBucketEncryption",
		"S3:PutBucketEncryption", "STS:AssumeRole", "GuardDuty:ListDetectors", "GuardDuty:UpdateDetector",
	}
	if e, a := []string{"CloudTrail:CreateTrail", "S3:PutBucketEncryption", "GuardDuty:UpdateDetector"}, mutating(calls); !reflect.DeepEqual(e, a) {
		t.Errorf("expect %v, got %v", e, a)
	}
	r := &Recorder{calls: calls}
	mut, all := r.Take()
	if len(mut) != 3 || len(all) != len(calls) || len(r.Mutating()) != 0 {
		t.Errorf("Take: %v %v, then %v", mut, all, r.Mutating())
	}
}
