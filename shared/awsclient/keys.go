package awsclient

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// DescribeKeyAPI is the KMS call that finds a key behind its alias.
type DescribeKeyAPI interface {
	DescribeKey(ctx context.Context, in *kms.DescribeKeyInput, optFns ...func(*kms.Options)) (*kms.DescribeKeyOutput, error)
}

var _ DescribeKeyAPI = (*kms.Client)(nil)

// Key names a key the baseline's stacks create, by its alias.
type Key struct {
	// AliasARN names the key from any account (an alias ARN; a bare alias
	// would resolve in the caller's account).
	AliasARN string
	// What names the key in errors, e.g. "the trail key".
	What string
	// Missing says what to do when the alias does not exist, e.g. which
	// stack to deploy.
	Missing string
}

// KeyARN returns the ARN of the enabled key behind k's alias, which services
// other than KMS need in full for a key of another account. A missing alias
// or a key that is not enabled is a *workflow.TerminalError; other errors
// are classified with Classify.
func KeyARN(ctx context.Context, api DescribeKeyAPI, k Key) (string, error) {
	op := "describe " + k.What + " " + k.AliasARN
	out, err := api.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(k.AliasARN)})
	var nf *kmstypes.NotFoundException
	if errors.As(err, &nf) {
		return "", &workflow.TerminalError{Op: op, Err: fmt.Errorf("the key alias does not exist: %s: %w", k.Missing, err)}
	}
	if err != nil {
		return "", Classify(op, err)
	}
	md := out.KeyMetadata
	if md == nil || aws.ToString(md.Arn) == "" {
		return "", &workflow.TerminalError{Op: op, Err: errors.New("the answer holds no key ARN")}
	}
	if !md.Enabled {
		return "", &workflow.TerminalError{Op: op, Err: fmt.Errorf("key %s is %s, not enabled: nothing can be encrypted with it", aws.ToString(md.Arn), md.KeyState)}
	}
	return aws.ToString(md.Arn), nil
}

// KeyResolver finds a key's ARN once per Lambda container: the first answer
// is kept for the invocations that follow, an error is not, so the next
// invocation asks again. It is safe for concurrent use.
type KeyResolver struct {
	KMS DescribeKeyAPI
	Key Key

	mu  sync.Mutex
	arn string
}

// ARN returns the key's ARN (KeyARN), from the first successful answer on.
func (r *KeyResolver) ARN(ctx context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.arn != "" {
		return r.arn, nil
	}
	arn, err := KeyARN(ctx, r.KMS, r.Key)
	if err != nil {
		return "", err
	}
	r.arn = arn
	return arn, nil
}
