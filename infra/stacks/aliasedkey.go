package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/orgbaseline/orgbaseline/shared/policydoc"
)

// AliasedKeyProps configures an AliasedKey.
type AliasedKeyProps struct {
	// Description is the key's description.
	Description string
	// Alias is the alias name, alias/....
	Alias string
	// Policy is the key policy, put in the template as it is: the L1 key
	// adds no administrator statement of its own, as the L2 Key would.
	Policy policydoc.Document
}

// AliasedKey is a retained KMS key with rotation on and its alias.
//
// Like LogBucket, an AliasedKey is no node of the construct tree: the key
// and the alias are children of the scope it is given (ids id and
// id+"Alias"), so that their logical IDs do not depend on how the Go code
// groups them.
type AliasedKey interface {
	// Key returns the key.
	Key() awskms.CfnKey
	// Alias returns the key's alias.
	Alias() awskms.CfnAlias
	// KeyArn returns the key's ARN.
	KeyArn() *string
}

type aliasedKey struct {
	key   awskms.CfnKey
	alias awskms.CfnAlias
}

func (k *aliasedKey) Key() awskms.CfnKey     { return k.key }
func (k *aliasedKey) Alias() awskms.CfnAlias { return k.alias }
func (k *aliasedKey) KeyArn() *string        { return k.key.AttrArn() }

// NewAliasedKey creates the key id and its alias id+"Alias" in scope.
func NewAliasedKey(scope constructs.Construct, id string, props *AliasedKeyProps) AliasedKey {
	key := awskms.NewCfnKey(scope, jsii.String(id), &awskms.CfnKeyProps{
		Description:       jsii.String(props.Description),
		EnableKeyRotation: jsii.Bool(true),
		KeyPolicy:         props.Policy.Map(),
	})
	key.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN, nil)
	alias := awskms.NewCfnAlias(scope, jsii.String(id+"Alias"), &awskms.CfnAliasProps{
		AliasName:   jsii.String(props.Alias),
		TargetKeyId: key.Ref(),
	})
	return &aliasedKey{key: key, alias: alias}
}
