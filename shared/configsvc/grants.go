package configsvc

import (
	"fmt"
	"strings"

	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
)

// The steps' permissions, from "Actions, resources, and condition keys for
// AWS Config" (Service Authorization Reference): recorders, aggregators,
// organization rules and packs are named by ARN; the Describe* listings
// and PutDeliveryChannel have no resource type.

// keyGrant is DescribeKey of the delivery key (the security account's
// key with KeyAlias), which the recorders and the delivery step read.
func keyGrant(c settings.Config, actions ...string) step.Grant {
	return step.Grant{
		Actions:   append([]string{"kms:DescribeKey"}, actions...),
		Resources: []string{step.KeysIn(c.HomeRegion, c.Accounts.Security)},
		Condition: step.AliasIs(KeyAlias),
		Why:       "the key's ID is made with the security account's stack; the condition names it by its alias",
	}
}

// AggregatorGrants: in the security account's session, the aggregator and
// what PutConfigurationAggregator needs of its caller (the aggregator's
// role passed to Config; Organizations' delegated administrators read).
func AggregatorGrants(c settings.Config) step.Grants {
	sec := c.Accounts.Security
	return step.Grants{Security: []step.Grant{
		{Actions: []string{"config:DescribeConfigurationAggregators"}, Why: "config:DescribeConfigurationAggregators has no resource type"},
		{
			Actions: []string{"organizations:ListDelegatedAdministrators"}, Dependent: true,
			Why: "organizations:ListDelegatedAdministrators has no resource type",
		},
		{
			Actions:   []string{"config:PutConfigurationAggregator"},
			Resources: []string{fmt.Sprintf("arn:aws:config:%s:%s:config-aggregator/*", c.HomeRegion, sec)},
			Why:       "Config makes the aggregator's ID",
		},
		{
			Actions: []string{"iam:PassRole"}, Resources: []string{AggregatorRoleARN(c)}, Dependent: true,
			Condition: map[string]map[string]any{"StringEquals": {"iam:PassedToService": Principal}},
		},
	}}
}

// DeliveryGrants: the delivery bucket's policy in the log-archive
// account, the delivery key's policy in the security account.
func DeliveryGrants(c settings.Config) step.Grants {
	return step.Grants{
		LogArchive: []step.Grant{{
			Actions:   []string{"s3:GetBucketPolicy", "s3:PutBucketPolicy"},
			Resources: []string{step.BucketARN(BucketName(c))},
		}},
		Security: []step.Grant{keyGrant(c, "kms:GetKeyPolicy", "kms:PutKeyPolicy")},
	}
}

// recorderGrants are the recorder's calls in account ("*" for any account
// of a session) and, with sid, the Lambda's statement IDs: Config's
// recorder, delivery channel and recording; its service-linked role read,
// created and passed to Config.
func recorderGrants(account string, sids bool) []step.Grant {
	slr := ServiceLinkedRoleARN(account)
	sid := func(s string) string {
		if sids {
			return s
		}
		return ""
	}
	return []step.Grant{
		{
			Sid: sid("ConfigDeliveryChannels"), Actions: []string{"config:DescribeDeliveryChannels", "config:PutDeliveryChannel"},
			Why: "config:DescribeDeliveryChannels and PutDeliveryChannel have no resource type",
		},
		{
			Sid: sid("ConfigRecorders"),
			Actions: []string{"config:DescribeConfigurationRecorders", "config:DescribeConfigurationRecorderStatus",
				"config:PutConfigurationRecorder", "config:StartConfigurationRecorder"},
			Resources: []string{fmt.Sprintf("arn:aws:config:*:%s:configuration-recorder/*", account)},
			Why:       "a recorder keeps an existing name and Config makes its ID, in every region of the run",
		},
		{Sid: sid("ReadConfigServiceLinkedRole"), Actions: []string{"iam:GetRole"}, Resources: []string{slr}, Why: anyAccount(account)},
		{
			Sid: sid("CreateConfigServiceLinkedRole"), Actions: []string{"iam:CreateServiceLinkedRole"}, Resources: []string{slr},
			Condition: map[string]map[string]any{"StringEquals": {"iam:AWSServiceName": Principal}},
			Why:       anyAccount(account),
		},
		{
			Sid: sid("PassConfigServiceLinkedRoleToRecorder"), Actions: []string{"iam:PassRole"}, Resources: []string{slr}, Dependent: true,
			Condition: map[string]map[string]any{"StringEquals": {"iam:PassedToService": Principal}},
			Why:       anyAccount(account),
		},
	}
}

// anyAccount is the reason of an ARN of account "*": the session's account.
func anyAccount(account string) string {
	if account != "*" {
		return ""
	}
	return "in a session policy the account is the session's own"
}

// RecordersGrants: the recorder's calls in the management account (the
// Lambda's own role) and in every other account's session, and the
// delivery key's DescribeKey in the security account.
func RecordersGrants(c settings.Config) step.Grants {
	g := step.Grants{
		Lambda:  recorderGrants(c.Accounts.Management, true),
		Members: recorderGrants("*", false),
	}
	if c.Services.Config.Encrypted() {
		g.Security = []step.Grant{keyGrant(c)}
	}
	return g
}

// RulesGrants: in the security account's session, the organization rules
// and conformance packs in every region, and what their Put calls need of
// their caller: the service-linked role of Config's multi-account setup,
// trusted access for it, the delegated administrators read, and the
// templates of the packs given by templateS3Uri.
func RulesGrants(c settings.Config) step.Grants {
	sec := c.Accounts.Security
	rules := fmt.Sprintf("arn:aws:config:*:%s:organization-config-rule/*", sec)
	packs := fmt.Sprintf("arn:aws:config:*:%s:organization-conformance-pack/*", sec)
	slr := step.ServiceLinkedRoleARN(sec, MultiAccountSetupPrincipal, "AWSServiceRoleForConfigMultiAccountSetup")
	g := step.Grants{Security: []step.Grant{
		{
			Actions: []string{"config:DescribeOrganizationConfigRules", "config:DescribeOrganizationConfigRuleStatuses",
				"config:DescribeOrganizationConformancePacks", "config:DescribeOrganizationConformancePackStatuses"},
			Why: "these listings have no resource type",
		},
		{
			Actions: []string{"organizations:ListDelegatedAdministrators"}, Dependent: true,
			Why: "organizations:ListDelegatedAdministrators has no resource type",
		},
		{
			Actions:   []string{"config:PutOrganizationConfigRule", "config:GetOrganizationConfigRuleDetailedStatus"},
			Resources: []string{rules},
			Why:       "Config makes an organization rule's ID, in every region of the run",
		},
		{
			Actions:   []string{"config:PutOrganizationConformancePack", "config:GetOrganizationConformancePackDetailedStatus"},
			Resources: []string{packs},
			Why:       "Config makes an organization pack's ID, in every region of the run",
		},
		{
			Actions: []string{"iam:CreateServiceLinkedRole"}, Resources: []string{slr}, Dependent: true,
			Condition: map[string]map[string]any{"StringEquals": {"iam:AWSServiceName": MultiAccountSetupPrincipal}},
		},
		{
			Actions: []string{"organizations:EnableAWSServiceAccess"}, Condition: step.ServicePrincipalIs(MultiAccountSetupPrincipal), Dependent: true,
			Why: "EnableAWSServiceAccess has no resource type; the condition names Config's multi-account setup",
		},
	}}
	if objects := templateObjects(c); len(objects) > 0 {
		g.Security = append(g.Security, step.Grant{Actions: []string{"s3:GetObject"}, Resources: objects, Why: "a template's bucket is named per region ({region})", Dependent: true})
	}
	return g
}

// templateObjects are the ARNs of the packs' templates given by
// templateS3Uri, a bucket named per region with any region.
func templateObjects(c settings.Config) []string {
	var out []string
	for _, p := range c.Services.Config.ConformancePacks {
		if p.TemplateS3URI == "" {
			continue
		}
		path := strings.TrimPrefix(p.TemplateS3URIIn("*"), "s3://")
		out = append(out, "arn:aws:s3:::"+path)
	}
	return out
}
