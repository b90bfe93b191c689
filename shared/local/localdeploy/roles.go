package localdeploy

import (
	"context"
	"fmt"
	"net/url"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/configsvc"
	"github.com/orgbaseline/orgbaseline/shared/orgtrail"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// deliveryRolePolicyName names the delivery role's inline policy.
const deliveryRolePolicyName = "WriteTrailStreams"

// logDeliveryIn reports whether account's stack holds the log group and the
// role: with cloudWatchLogs on, the managing account's.
func (d *deployer) logDeliveryIn(account string) bool {
	return d.cfg.Services.CloudTrail.CloudWatchLogs.Enabled && orgtrail.ManagingAccount(d.cfg) == account
}

// cloudWatchLogs converges one account's log group and delivery role:
// present when want (cloudWatchLogs on, in the managing account); otherwise
// the role is removed, as a deploy would, and a log group kept (the stack
// retains it).
func (d *deployer) cloudWatchLogs(ctx context.Context, logs logGroupAPI, roles deliveryRoleAPI, want bool) ([]workflow.Action, error) {
	var actions []workflow.Action
	got, err := existingRole(ctx, roles, orgtrail.CloudWatchLogsRoleName)
	if err != nil {
		return nil, awsclient.Classify("iam:GetRole", err)
	}
	if !want {
		if got != nil {
			if err := d.deleteDeliveryRole(ctx, roles, &actions); err != nil {
				return nil, err
			}
		}
		return actions, nil
	}
	if err := d.logGroup(ctx, logs, &actions); err != nil {
		return nil, err
	}
	trust := orgtrail.CloudWatchLogsTrustPolicy(d.cfg).JSON()
	if err := d.trustPolicy(ctx, roles, orgtrail.CloudWatchLogsRoleName, got, trust, &actions); err != nil {
		return nil, err
	}
	if err := d.deliveryRolePolicy(ctx, roles, got != nil, &actions); err != nil {
		return nil, err
	}
	return actions, nil
}

// logGroup creates the trail's log group unless it exists and sets its
// retention unless it has it.
func (d *deployer) logGroup(ctx context.Context, logs logGroupAPI, actions *[]workflow.Action) error {
	groups, err := logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(orgtrail.LogGroupName)})
	if err != nil {
		return awsclient.Classify("logs:DescribeLogGroups", err)
	}
	var retention int32
	found := false
	for _, g := range groups.LogGroups {
		if aws.ToString(g.LogGroupName) == orgtrail.LogGroupName {
			found, retention = true, aws.ToInt32(g.RetentionInDays)
		}
	}
	if !found {
		if err := d.change(actions, "logs:CreateLogGroup", orgtrail.LogGroupName, func() error {
			_, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(orgtrail.LogGroupName)})
			return err
		}); err != nil {
			return err
		}
	}
	want := int32(d.cfg.Services.CloudTrail.CloudWatchLogs.RetentionDays)
	if retention == want {
		return nil
	}
	return d.change(actions, "logs:PutRetentionPolicy", fmt.Sprintf("%s %d days", orgtrail.LogGroupName, want), func() error {
		_, err := logs.PutRetentionPolicy(ctx, &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String(orgtrail.LogGroupName), RetentionInDays: aws.Int32(want)})
		return err
	})
}

// deleteDeliveryRole deletes the delivery role and its inline policy.
func (d *deployer) deleteDeliveryRole(ctx context.Context, roles roleDeleteAPI, actions *[]workflow.Action) error {
	role := aws.String(orgtrail.CloudWatchLogsRoleName)
	return d.change(actions, "iam:DeleteRole", orgtrail.CloudWatchLogsRoleName, func() error {
		if _, err := roles.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: role, PolicyName: aws.String(deliveryRolePolicyName)}); err != nil && !notFound(err, "NoSuchEntity") {
			return err
		}
		_, err := roles.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: role})
		return err
	})
}

// deliveryRolePolicy puts the delivery role's inline policy unless the
// role exists and has it.
func (d *deployer) deliveryRolePolicy(ctx context.Context, roles rolePolicyAPI, roleExists bool, actions *[]workflow.Action) error {
	role := aws.String(orgtrail.CloudWatchLogsRoleName)
	policy := orgtrail.CloudWatchLogsRolePolicy(d.cfg).JSON()
	if roleExists {
		out, err := roles.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: role, PolicyName: aws.String(deliveryRolePolicyName)})
		if err != nil && !notFound(err, "NoSuchEntity") {
			return awsclient.Classify("iam:GetRolePolicy", err)
		}
		if err == nil && sameJSON(decodeIAM(aws.ToString(out.PolicyDocument)), policy) {
			return nil
		}
	}
	return d.change(actions, "iam:PutRolePolicy", orgtrail.CloudWatchLogsRoleName+" "+deliveryRolePolicyName, func() error {
		_, err := roles.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: role, PolicyName: aws.String(deliveryRolePolicyName), PolicyDocument: aws.String(policy)})
		return err
	})
}

// aggregatorRole converges the organization aggregator's role in the
// security account: its trust policy and the AWS managed policy.
func (d *deployer) aggregatorRole(ctx context.Context, roles aggregatorRoleAPI) ([]workflow.Action, error) {
	var actions []workflow.Action
	got, err := existingRole(ctx, roles, configsvc.AggregatorRoleName)
	if err != nil {
		return nil, awsclient.Classify("iam:GetRole "+configsvc.AggregatorRoleName, err)
	}
	trust := configsvc.AggregatorTrustPolicy(d.cfg).JSON()
	if err := d.trustPolicy(ctx, roles, configsvc.AggregatorRoleName, got, trust, &actions); err != nil {
		return nil, err
	}
	if err := d.aggregatorManagedPolicy(ctx, roles, got != nil, &actions); err != nil {
		return nil, err
	}
	return actions, nil
}

// aggregatorManagedPolicy attaches the AWS managed policy to the
// aggregator's role unless the role exists and has it.
func (d *deployer) aggregatorManagedPolicy(ctx context.Context, roles attachedPolicyAPI, roleExists bool, actions *[]workflow.Action) error {
	policyARN := "arn:aws:iam::aws:policy/" + configsvc.AggregatorManagedPolicy
	if roleExists {
		attached, err := hasAttachedPolicy(ctx, roles, configsvc.AggregatorRoleName, policyARN)
		if err != nil || attached {
			return err
		}
	}
	// moto loads AWS managed policies only on request, and then into every
	// account (seconds each), so the emulator usually has none: the role is
	// left without it and the deploy says so. The aggregator never assumes
	// the role in the emulator.
	if _, err := roles.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(policyARN)}); notFound(err, "NoSuchEntity") {
		d.warnings = append(d.warnings, fmt.Sprintf("%s is not in this IAM (the emulator has no AWS managed policies): role %s is left without it",
			configsvc.AggregatorManagedPolicy, configsvc.AggregatorRoleName))
		return nil
	} else if err != nil {
		return awsclient.Classify("iam:GetPolicy "+configsvc.AggregatorManagedPolicy, err)
	}
	return d.change(actions, "iam:AttachRolePolicy", configsvc.AggregatorRoleName+" "+configsvc.AggregatorManagedPolicy, func() error {
		_, err := roles.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(configsvc.AggregatorRoleName), PolicyArn: aws.String(policyARN)})
		return err
	})
}

// hasAttachedPolicy reports whether the managed policy policyARN is
// attached to role.
func hasAttachedPolicy(ctx context.Context, api iam.ListAttachedRolePoliciesAPIClient, role, policyARN string) (bool, error) {
	pages := iam.NewListAttachedRolePoliciesPaginator(api, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(role)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return false, awsclient.Classify("iam:ListAttachedRolePolicies "+role, err)
		}
		if slices.ContainsFunc(page.AttachedPolicies, func(p iamtypes.AttachedPolicy) bool { return aws.ToString(p.PolicyArn) == policyARN }) {
			return true, nil
		}
	}
	return false, nil
}

// existingRole reads the role name, or returns nil if there is none.
func existingRole(ctx context.Context, roles roleAPI, name string) (*iam.GetRoleOutput, error) {
	out, err := roles.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if notFound(err, "NoSuchEntity") {
		return nil, nil
	}
	return out, err
}

// trustPolicy creates the role name with the trust policy trust when got,
// the role as read, is nil, and otherwise updates its trust policy unless
// it is trust already.
func (d *deployer) trustPolicy(ctx context.Context, roles roleAPI, name string, got *iam.GetRoleOutput, trust string, actions *[]workflow.Action) error {
	switch {
	case got == nil:
		return d.change(actions, "iam:CreateRole", name, func() error {
			_, err := roles.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
			return err
		})
	case got.Role == nil || !sameJSON(decodeIAM(aws.ToString(got.Role.AssumeRolePolicyDocument)), trust):
		return d.change(actions, "iam:UpdateAssumeRolePolicy", name, func() error {
			_, err := roles.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(name), PolicyDocument: aws.String(trust)})
			return err
		})
	}
	return nil
}

// decodeIAM reads a policy document as IAM returns it: URL-encoded JSON.
func decodeIAM(s string) string {
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return s
}
