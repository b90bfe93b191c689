package localdeploy

import (
	"context"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go"

	"github.com/orgbaseline/orgbaseline/shared/configsvc"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// managedPolicies is an IAM that has the AWS managed policies, which moto
// does not load: it serves the calls of attachedPolicyAPI only.
type managedPolicies struct {
	attached []iamtypes.AttachedPolicy
	attachIn []*iam.AttachRolePolicyInput
}

func (f *managedPolicies) ListAttachedRolePolicies(_ context.Context, _ *iam.ListAttachedRolePoliciesInput, _ ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error) {
	return &iam.ListAttachedRolePoliciesOutput{AttachedPolicies: f.attached}, nil
}

func (f *managedPolicies) GetPolicy(_ context.Context, in *iam.GetPolicyInput, _ ...func(*iam.Options)) (*iam.GetPolicyOutput, error) {
	return &iam.GetPolicyOutput{Policy: &iamtypes.Policy{Arn: in.PolicyArn}}, nil
}

func (f *managedPolicies) AttachRolePolicy(_ context.Context, in *iam.AttachRolePolicyInput, _ ...func(*iam.Options)) (*iam.AttachRolePolicyOutput, error) {
	f.attachIn = append(f.attachIn, in)
	return &iam.AttachRolePolicyOutput{}, nil
}

// Where IAM has the managed policy, the aggregator's role gets it, once.
func TestAggregatorManagedPolicyAttached(t *testing.T) {
	arn := "arn:aws:iam::aws:policy/" + configsvc.AggregatorManagedPolicy
	f := &managedPolicies{}
	d := &deployer{apply: true, log: quiet}
	var actions []workflow.Action
	if err := d.aggregatorManagedPolicy(context.Background(), f, true, &actions); err != nil {
		t.Fatal(err)
	}
	want := []workflow.Action{{Call: "iam:AttachRolePolicy", Target: configsvc.AggregatorRoleName + " " + configsvc.AggregatorManagedPolicy}}
	if !reflect.DeepEqual(actions, want) || len(d.warnings) != 0 {
		t.Errorf("actions %+v, warnings %q; want %+v and none", actions, d.warnings, want)
	}
	if len(f.attachIn) != 1 || aws.ToString(f.attachIn[0].RoleName) != configsvc.AggregatorRoleName || aws.ToString(f.attachIn[0].PolicyArn) != arn {
		t.Errorf("AttachRolePolicy calls: %+v", f.attachIn)
	}

	f.attached = []iamtypes.AttachedPolicy{{PolicyArn: aws.String(arn)}}
	actions = nil
	if err := d.aggregatorManagedPolicy(context.Background(), f, true, &actions); err != nil || len(actions) != 0 || len(f.attachIn) != 1 {
		t.Errorf("with the policy attached: actions %+v, err %v, %d AttachRolePolicy calls", actions, err, len(f.attachIn))
	}
}

// deniedTags is a KMS that refuses to list a key's tags, as for a key of
// another service's: it serves ListResourceTags only.
type deniedTags struct{}

func (deniedTags) ListResourceTags(context.Context, *kms.ListResourceTagsInput, ...func(*kms.Options)) (*kms.ListResourceTagsOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "denied"}
}

// A key whose tags cannot be read is not the one sought, and no error.
func TestHasAliasTagDenied(t *testing.T) {
	tagged, err := hasAliasTag(context.Background(), deniedTags{}, aws.String("key"), "alias/x")
	if tagged || err != nil {
		t.Errorf("hasAliasTag = %v, %v; want false, nil", tagged, err)
	}
}
