package localdeploy

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/configsvc"
	"github.com/orgbaseline/orgbaseline/shared/guardduty"
	"github.com/orgbaseline/orgbaseline/shared/orgtrail"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// keySpec is one key as the security stack declares it.
type keySpec struct {
	alias, description string
	policy             orgtrail.Document
}

// trailKey, findingsKey and configKey are the security stack's keys.
func (d *deployer) trailKey() keySpec {
	return keySpec{alias: orgtrail.KeyAlias, description: orgtrail.TrailKeyDescription, policy: orgtrail.KeyPolicy(d.cfg)}
}

func (d *deployer) findingsKey() keySpec {
	return keySpec{alias: guardduty.KeyAlias, description: guardduty.KeyDescription, policy: guardduty.KeyPolicy(d.cfg)}
}

func (d *deployer) configKey() keySpec {
	return keySpec{alias: configsvc.KeyAlias, description: configsvc.KeyDescription, policy: configsvc.KeyPolicy(d.cfg)}
}

// key converges one of the security stack's keys and its alias in the
// security account.
//
// The key is made in steps (CreateKey, CreateAlias, EnableKeyRotation) and a
// run can stop between them, so each step is found again by a later run: the
// key by its alias or, before the alias exists, by its tag KeyAliasTag; the
// rotation and the policy by reading them.
func (d *deployer) key(ctx context.Context, api keyAPI, k keySpec) ([]workflow.Action, error) {
	var actions []workflow.Action
	policy := k.policy.JSON()
	keyID, err := d.aliasedKey(ctx, api, k, policy, &actions)
	if err != nil {
		return nil, err
	}
	if keyID == nil {
		// Planning, with no key yet: a new key gets the policy it is
		// created with, and its rotation is still off.
		actions = append(actions, workflow.Action{Call: "kms:EnableKeyRotation", Target: k.alias})
		return actions, nil
	}
	if err := d.keyPolicy(ctx, api, keyID, k.alias, policy, &actions); err != nil {
		return nil, err
	}
	if err := d.keyRotation(ctx, api, keyID, k.alias, &actions); err != nil {
		return nil, err
	}
	return actions, nil
}

// aliasedKey returns the ID of k's key, found by its alias. A key without
// the alias, found by its tag or else created with policy, is given the
// alias. The ID is nil when planning and there is no key yet.
func (d *deployer) aliasedKey(ctx context.Context, api keyAliasAPI, k keySpec, policy string, actions *[]workflow.Action) (*string, error) {
	alias := aws.String(k.alias)
	out, err := api.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: alias})
	var nf *kmstypes.NotFoundException
	switch {
	case errors.As(err, &nf):
	case err != nil:
		return nil, awsclient.Classify("kms:DescribeKey "+k.alias, err)
	case out.KeyMetadata == nil || out.KeyMetadata.KeyId == nil:
		return nil, &workflow.TerminalError{Op: "kms:DescribeKey " + k.alias, Err: errors.New("no key metadata in the answer")}
	default:
		return out.KeyMetadata.KeyId, nil
	}
	keyID, err := taggedKey(ctx, api, k.alias)
	if err != nil {
		return nil, err
	}
	if keyID == nil {
		if keyID, err = d.createKey(ctx, api, k, policy, actions); err != nil {
			return nil, err
		}
	}
	if err := d.change(actions, "kms:CreateAlias", k.alias, func() error {
		_, err := api.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: alias, TargetKeyId: keyID})
		return err
	}); err != nil {
		return nil, err
	}
	return keyID, nil
}

// createKey creates k's key with policy, tagged KeyAliasTag, and returns its
// ID (nil when planning).
func (d *deployer) createKey(ctx context.Context, api keyCreateAPI, k keySpec, policy string, actions *[]workflow.Action) (*string, error) {
	var keyID *string
	err := d.change(actions, "kms:CreateKey", k.alias, func() error {
		out, err := api.CreateKey(ctx, &kms.CreateKeyInput{
			Policy:      aws.String(policy),
			Description: aws.String(k.description),
			Tags:        []kmstypes.Tag{{TagKey: aws.String(KeyAliasTag), TagValue: aws.String(k.alias)}},
		})
		if err != nil {
			return err
		}
		if out.KeyMetadata == nil || out.KeyMetadata.KeyId == nil {
			return errors.New("CreateKey returned no key ID")
		}
		keyID = out.KeyMetadata.KeyId
		return nil
	})
	return keyID, err
}

// keyPolicy puts policy on the key keyID unless it has it.
func (d *deployer) keyPolicy(ctx context.Context, api keyPolicyAPI, keyID *string, alias, policy string, actions *[]workflow.Action) error {
	p, err := api.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: keyID, PolicyName: aws.String("default")})
	if err != nil {
		return awsclient.Classify("kms:GetKeyPolicy", err)
	}
	if sameJSON(aws.ToString(p.Policy), policy) {
		return nil
	}
	return d.change(actions, "kms:PutKeyPolicy", alias, func() error {
		_, err := api.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: keyID, PolicyName: aws.String("default"), Policy: aws.String(policy)})
		return err
	})
}

// keyRotation enables the rotation of the key keyID unless it is on.
func (d *deployer) keyRotation(ctx context.Context, api keyRotationAPI, keyID *string, alias string, actions *[]workflow.Action) error {
	rot, err := api.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: keyID})
	if err != nil {
		return awsclient.Classify("kms:GetKeyRotationStatus", err)
	}
	if rot.KeyRotationEnabled {
		return nil
	}
	return d.change(actions, "kms:EnableKeyRotation", alias, func() error {
		_, err := api.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: keyID})
		return err
	})
}

// taggedKey returns the ID of a key of the account tagged KeyAliasTag with
// alias, that is a key a former run created but did not alias, or nil. Keys
// pending deletion are left alone.
func taggedKey(ctx context.Context, api keyFindAPI, alias string) (*string, error) {
	keys := kms.NewListKeysPaginator(api, &kms.ListKeysInput{})
	for keys.HasMorePages() {
		page, err := keys.NextPage(ctx)
		if err != nil {
			return nil, awsclient.Classify("kms:ListKeys", err)
		}
		for _, k := range page.Keys {
			tagged, err := hasAliasTag(ctx, api, k.KeyId, alias)
			if err != nil {
				return nil, err
			}
			if !tagged {
				continue
			}
			out, err := api.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: k.KeyId})
			if err != nil {
				return nil, awsclient.Classify("kms:DescribeKey "+aws.ToString(k.KeyId), err)
			}
			if m := out.KeyMetadata; m != nil && m.KeyState != kmstypes.KeyStatePendingDeletion && m.KeyState != kmstypes.KeyStatePendingReplicaDeletion {
				return k.KeyId, nil
			}
		}
	}
	return nil, nil
}

// hasAliasTag reports whether key carries KeyAliasTag with alias. A key
// whose tags cannot be read (another service's, or gone since the listing)
// is not the one sought.
func hasAliasTag(ctx context.Context, api kms.ListResourceTagsAPIClient, key *string, alias string) (bool, error) {
	tags := kms.NewListResourceTagsPaginator(api, &kms.ListResourceTagsInput{KeyId: key})
	for tags.HasMorePages() {
		page, err := tags.NextPage(ctx)
		if notFound(err, "NotFoundException", "AccessDeniedException") {
			return false, nil
		}
		if err != nil {
			return false, awsclient.Classify("kms:ListResourceTags "+aws.ToString(key), err)
		}
		for _, t := range page.Tags {
			if aws.ToString(t.TagKey) == KeyAliasTag && aws.ToString(t.TagValue) == alias {
				return true, nil
			}
		}
	}
	return false, nil
}
