package awsclient

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

const (
	testAlias  = "arn:aws:kms:us-east-1:222222222222:alias/orgbaseline-test"
	testKeyARN = "arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"
)

// fakeKMS holds one key behind testAlias, in state (Enabled when empty),
// and answers errs first.
type fakeKMS struct {
	errs  []error
	state kmstypes.KeyState
	calls []string
}

func (f *fakeKMS) DescribeKey(_ context.Context, in *kms.DescribeKeyInput, _ ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
	f.calls = append(f.calls, aws.ToString(in.KeyId))
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		return nil, err
	}
	if aws.ToString(in.KeyId) != testAlias {
		return nil, &kmstypes.NotFoundException{Message: aws.String("Alias " + aws.ToString(in.KeyId) + " is not found.")}
	}
	state := f.state
	if state == "" {
		state = kmstypes.KeyStateEnabled
	}
	return &kms.DescribeKeyOutput{KeyMetadata: &kmstypes.KeyMetadata{Arn: aws.String(testKeyARN), Enabled: state == kmstypes.KeyStateEnabled, KeyState: state}}, nil
}

func errName(err error) string {
	if err == nil {
		return ""
	}
	return reflect.TypeOf(err).Elem().Name()
}

func TestKeyARN(t *testing.T) {
	key := Key{AliasARN: testAlias, What: "the test key", Missing: "deploy the test stack"}
	for _, tt := range []struct {
		name     string
		kms      *fakeKMS
		key      Key
		want     string
		wantErr  string
		wantText string
	}{
		{name: "found", kms: &fakeKMS{}, key: key, want: testKeyARN},
		{name: "alias missing", kms: &fakeKMS{}, key: Key{AliasARN: testAlias + "-gone", What: "the test key", Missing: "deploy the test stack"},
			wantErr: workflow.ErrNameTerminal, wantText: "the key alias does not exist: deploy the test stack"},
		{name: "disabled", kms: &fakeKMS{state: kmstypes.KeyStateDisabled}, key: key, wantErr: workflow.ErrNameTerminal, wantText: "is Disabled, not enabled"},
		{name: "pending deletion", kms: &fakeKMS{state: kmstypes.KeyStatePendingDeletion}, key: key, wantErr: workflow.ErrNameTerminal, wantText: "PendingDeletion"},
		{name: "throttled", kms: &fakeKMS{errs: []error{&smithy.GenericAPIError{Code: "ThrottlingException"}}}, key: key, wantErr: workflow.ErrNameRetryable},
		{name: "access denied", kms: &fakeKMS{errs: []error{&smithy.GenericAPIError{Code: "AccessDeniedException"}}}, key: key, wantErr: workflow.ErrNameTerminal},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := KeyARN(context.Background(), tt.kms, tt.key)
			if got != tt.want || errName(err) != tt.wantErr {
				t.Fatalf("got %q, %s (%v); want %q, %s", got, errName(err), err, tt.want, tt.wantErr)
			}
			if err != nil && (!strings.Contains(err.Error(), tt.wantText) || !strings.Contains(err.Error(), "the test key")) {
				t.Errorf("error %q does not say %q and name the key", err, tt.wantText)
			}
		})
	}
}

// The resolver keeps the first ARN found, not an error.
func TestKeyResolver(t *testing.T) {
	k := &fakeKMS{errs: []error{&smithy.GenericAPIError{Code: "ThrottlingException"}}}
	r := &KeyResolver{KMS: k, Key: Key{AliasARN: testAlias, What: "the test key"}}
	ctx := context.Background()
	if _, err := r.ARN(ctx); errName(err) != workflow.ErrNameRetryable {
		t.Fatalf("throttled: %s (%v)", errName(err), err)
	}
	for range 2 {
		if arn, err := r.ARN(ctx); err != nil || arn != testKeyARN {
			t.Fatalf("ARN: %q %v", arn, err)
		}
	}
	if e, a := []string{testAlias, testAlias}, k.calls; !reflect.DeepEqual(e, a) {
		t.Errorf("DescribeKey calls: expect %v, got %v", e, a)
	}
}
