package events

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// ServiceCloudWatch is CloudWatch's service principal, which publishes an
// alarm's notifications.
const ServiceCloudWatch = "cloudwatch.amazonaws.com"

// The key policy statements NewKey adds, by Sid.
const (
	SidLogs       = "CloudWatchLogsOfThisAccount"
	SidEvents     = "EventBridgePublishesToEncryptedTopics"
	SidCloudWatch = "CloudWatchAlarmsPublishToEncryptedTopics"
)

// KeyProps configures the key of a stack's topics.
type KeyProps struct {
	Description string
	// Publishers are the service principals that publish to the topics
	// the key encrypts (ServiceEvents, ServiceCloudWatch).
	Publishers []string
	// Logs: the key also encrypts log groups of this account and region
	// (an event Lambda's).
	Logs bool
}

// NewKey creates a customer managed key, rotated yearly, for a stack's
// topics (and, with Logs, its event Lambda's log group and environment).
// The CDK's default key policy lets the account's IAM policies grant its
// use (the root statement); the statements added here are the services'.
func NewKey(scope constructs.Construct, id string, props *KeyProps) awskms.Key {
	stack := awscdk.Stack_Of(scope)
	key := awskms.NewKey(scope, jsii.String(id), &awskms.KeyProps{
		Description:       jsii.String(props.Description),
		EnableKeyRotation: jsii.Bool(true),
	})
	for _, service := range props.Publishers {
		sid := SidEvents
		if service == ServiceCloudWatch {
			sid = SidCloudWatch
		}
		// "Enable compatibility between event sources from AWS services
		// and encrypted topics" (Amazon SNS Developer Guide, "Managing
		// Amazon SNS encryption keys and costs"): the service principal
		// gets kms:GenerateDataKey* and kms:Decrypt on the key, which it
		// uses only through the topics' own policies. The page's statement
		// has no condition, and none is added: a condition the request to
		// KMS does not carry would refuse every publication, silently. Who
		// may publish is decided by each topic's policy, with
		// aws:SourceArn.
		key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String(sid),
			Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String(service), nil)},
			Actions:    jsii.Strings("kms:GenerateDataKey*", "kms:Decrypt"),
			Resources:  jsii.Strings("*"),
		}), nil)
	}
	if props.Logs {
		// "Encrypt log data in CloudWatch Logs using AWS Key Management
		// Service" (CloudWatch Logs User Guide): the regional service
		// principal, for log groups of this account and region only
		// (kms:EncryptionContext:aws:logs:arn), as the baseline's key.
		key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String(SidLogs),
			Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("logs."+*stack.Region()+".amazonaws.com"), nil)},
			Actions:    jsii.Strings("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"),
			Resources:  jsii.Strings("*"),
			Conditions: &map[string]any{
				"ArnLike": map[string]any{
					"kms:EncryptionContext:aws:logs:arn": stack.FormatArn(&awscdk.ArnComponents{
						Service:      jsii.String("logs"),
						Resource:     jsii.String("log-group"),
						ResourceName: jsii.String("*"),
						ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
					}),
				},
			},
		}), nil)
	}
	return key
}

// TopicProps configures a topic.
type TopicProps struct {
	DisplayName string
	// Key encrypts the topic.
	Key awskms.IKey
	// Emails are subscribed to the topic (each confirms by e-mail).
	Emails []string
	// Alarms: CloudWatch alarms of this account and region publish to
	// the topic.
	Alarms bool
}

// NewTopic creates the topic id, encrypted with props.Key, whose policy
// refuses publications without TLS, and the e-mail subscriptions
// id+"Email<n>". With Alarms, the policy lets CloudWatch publish for the
// alarms of this account and region.
func NewTopic(scope constructs.Construct, id string, props *TopicProps) awssns.Topic {
	stack := awscdk.Stack_Of(scope)
	topic := awssns.NewTopic(scope, jsii.String(id), &awssns.TopicProps{
		DisplayName: jsii.String(props.DisplayName),
		MasterKey:   props.Key,
		EnforceSSL:  jsii.Bool(true),
	})
	for i, e := range props.Emails {
		awssns.NewSubscription(scope, jsii.String(fmt.Sprintf("%sEmail%d", id, i+1)), &awssns.SubscriptionProps{
			Topic:    topic,
			Protocol: awssns.SubscriptionProtocol_EMAIL,
			Endpoint: jsii.String(e),
		})
	}
	if props.Alarms {
		// The topic's policy replaces SNS's default one, so CloudWatch
		// needs its own statement ("Why didn't I receive an SNS
		// notification for my CloudWatch alarm trigger?", AWS re:Post
		// Knowledge Center: cloudwatch.amazonaws.com, sns:Publish, with
		// aws:SourceArn for the alarms), for this account's alarms of this
		// region only.
		topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("CloudWatchAlarmsOfThisAccount"),
			Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String(ServiceCloudWatch), nil)},
			Actions:    jsii.Strings("sns:Publish"),
			Resources:  jsii.Strings(*topic.TopicArn()),
			Conditions: &map[string]any{
				"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()},
				"ArnLike": map[string]any{"aws:SourceArn": stack.FormatArn(&awscdk.ArnComponents{
					Service:      jsii.String("cloudwatch"),
					Resource:     jsii.String("alarm"),
					ResourceName: jsii.String("*"),
					ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
				})},
			},
		}))
	}
	return topic
}

// AllowRule lets rule publish to topic: EventBridge's statement in the
// topic's policy, for the rule's ARN only ("Using resource-based policies
// for Amazon EventBridge", Amazon SNS permissions).
func AllowRule(topic awssns.ITopic, sid string, rule Rule) {
	topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String(sid),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String(ServiceEvents), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  jsii.Strings(*topic.TopicArn()),
		Conditions: &map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": rule.Arn()}},
	}))
}
