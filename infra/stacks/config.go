package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/orgbaseline/orgbaseline/shared/configsvc"
	"github.com/orgbaseline/orgbaseline/shared/settings"
)

// AWS Config's resources, when the config service is on: the delivery
// bucket in the log-archive account, and in the security account the
// delivery key and the role of the organization aggregator. The recorders,
// delivery channels, aggregator, rules and packs are made by the config-*
// steps. As for the trail, every document is configsvc's, put in the
// templates as it is through L1 resources.
//
// The delivery bucket's and key's policies admit Config by account
// (aws:SourceAccount, as AWS Config documents for its service principal).
// The templates name the configuration's three accounts
// (configsvc.DeliveryAccounts); configsvc.KeepDeliveryPolicies adds the
// organization's other accounts as a run resolves them. A stack update that
// changes one of these policies puts the template's version back, until the
// next run.

// Outputs of Config's stacks.
const (
	// ConfigBucketOutput is the log-archive stack output with the name of
	// the Config delivery bucket.
	ConfigBucketOutput = "ConfigBucketName"
	// ConfigKeyArnOutput is the security stack output with the ARN of the
	// Config delivery key.
	ConfigKeyArnOutput = "ConfigKeyArn"
	// AggregatorRoleArnOutput is the security stack output with the ARN of
	// the organization aggregator's role.
	AggregatorRoleArnOutput = "ConfigAggregatorRoleArn"
)

// configEnabled reports whether the stacks hold Config's resources.
func configEnabled(c settings.Config) bool { return c.Enabled(settings.ServiceConfig) }

// newConfigBucket creates, in the log-archive stack, the delivery bucket and
// its policy, logging to accessLogs, and outputs the bucket's name. Default
// encryption is SSE-S3; with kmsEncryption, each delivery channel names the
// security account's key (S3KmsKeyArn), and Config encrypts what it delivers
// with it.
func newConfigBucket(stack awscdk.Stack, c settings.Config, accessLogs LogBucket) {
	bucket := NewLogBucket(stack, "ConfigBucket", &LogBucketProps{
		BucketName:      configsvc.BucketName(c),
		Policy:          configsvc.BucketPolicy(c),
		RetentionDays:   c.Services.Config.RetentionDays,
		AccessLogs:      accessLogs,
		AccessLogPrefix: configsvc.AccessLogPrefix,
	})
	newOutput(stack, ConfigBucketOutput, "Name of AWS Config's delivery bucket", bucket.Bucket().Ref())
}

// newConfigKey creates, in the security stack, the delivery key and its
// alias, and outputs the key's ARN. The key exists whether or not
// kmsEncryption is on, so that switching it does not replace resources.
func newConfigKey(stack awscdk.Stack, c settings.Config) {
	key := NewAliasedKey(stack, "ConfigKey", &AliasedKeyProps{
		Description: configsvc.KeyDescription,
		Alias:       configsvc.KeyAlias,
		Policy:      configsvc.KeyPolicy(c),
	})
	newOutput(stack, ConfigKeyArnOutput, "ARN of AWS Config's delivery key", key.KeyArn())
}

// newAggregatorRole creates, in the security stack, the role the
// organization aggregator assumes, with the AWS managed policy for
// organization aggregators.
func newAggregatorRole(stack awscdk.Stack, c settings.Config) {
	role := awsiam.NewCfnRole(stack, jsii.String("ConfigAggregatorRole"), &awsiam.CfnRoleProps{
		RoleName:                 jsii.String(configsvc.AggregatorRoleName),
		Description:              jsii.String("orgbaseline: lets AWS Config read the organization for the organization aggregator"),
		AssumeRolePolicyDocument: configsvc.AggregatorTrustPolicy(c).Map(),
		ManagedPolicyArns: &[]any{
			awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:iam::aws:policy/"+configsvc.AggregatorManagedPolicy), nil),
		},
	})
	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM4"),
		Reason: jsii.String(configsvc.AggregatorManagedPolicy + " is the policy AWS Config documents for an " +
			"organization aggregator's role: read-only Organizations calls (Describe*, List*) that AWS keeps up to " +
			"date as Config's needs change. Only Config, for aggregators of the security account, can assume the role."),
		AppliesTo: &[]any{"Policy::arn:<AWS::Partition>:iam::aws:policy/" + configsvc.AggregatorManagedPolicy},
	}}, nil)
	newOutput(stack, AggregatorRoleArnOutput, "ARN of the Config organization aggregator's role", role.AttrArn())
}
