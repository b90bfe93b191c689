package orgtrail

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"

	"github.com/orgbaseline/orgbaseline/shared/org/teardown"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// The actions of disable.
const (
	CallDeleteTrail     = "cloudtrail:DeleteTrail"
	CallDeregisterAdmin = "cloudtrail:DeregisterOrganizationDelegatedAdmin"
)

// DisableTrailAPI reads and deletes the organization trail, from the
// managing account (ManagingAccount), in the home region.
type DisableTrailAPI interface {
	DescribeTrailsAPI
	DeleteTrail(ctx context.Context, in *cloudtrail.DeleteTrailInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.DeleteTrailOutput, error)
}

// DeregisterAdminAPI removes CloudTrail's delegated administrator, from
// the management account.
type DeregisterAdminAPI interface {
	// DescribeTrailsAPI lists the organization trails left before
	// trusted access is turned off.
	DescribeTrailsAPI
	DeregisterOrganizationDelegatedAdmin(ctx context.Context, in *cloudtrail.DeregisterOrganizationDelegatedAdminInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.DeregisterOrganizationDelegatedAdminOutput, error)
}

var (
	_ DisableTrailAPI    = (*cloudtrail.Client)(nil)
	_ DeregisterAdminAPI = (*cloudtrail.Client)(nil)
)

// DisableDeps are the clients of Disable.
type DisableDeps struct {
	// Trail acts in the managing account, in the home region.
	Trail DisableTrailAPI
	// Admin acts in the management account, in the home region.
	Admin DeregisterAdminAPI
	// Orgs acts in the management account.
	Orgs teardown.OrgAPI
}

// Disable undoes the organization trail, keeping what holds its evidence:
//
//  1. cloudtrail:DescribeTrails in the home region, from the managing
//     account; the trail named services.cloudtrail.trailName, when it is
//     there, is deleted (cloudtrail:DeleteTrail, "DeleteTrail", AWS
//     CloudTrail API Reference: the trail stops logging, and the log files
//     it delivered stay in the bucket). A trail of that name homed in
//     another region is a failed row, and nothing else is done;
//  2. organizations:ListDelegatedAdministrators for cloudtrail.amazonaws.com:
//     the security account is removed with
//     cloudtrail:DeregisterOrganizationDelegatedAdmin ("Remove a
//     CloudTrail delegated administrator", AWS CloudTrail User Guide);
//     another account is a conflict, never removed;
//  3. trusted access for cloudtrail.amazonaws.com is turned off, unless
//     another organization trail is left (cloudtrail:DescribeTrails in the
//     home region, from the management account, shadow trails included):
//     "If you disable trusted access using AWS Organizations while you're
//     using AWS CloudTrail for organization trails, the trails stop
//     functioning for member accounts" ("AWS CloudTrail and AWS
//     Organizations", AWS Organizations User Guide). Organization event
//     data stores of CloudTrail Lake are not looked for.
//
// The trail bucket in the log-archive account with every log file in it,
// and the KMS key in the security account, are kept; the CloudWatch Logs
// log group and its role belong to the stacks.
func Disable(ctx context.Context, d DisableDeps, cfg settings.Config, opts teardown.Options) workflow.StepResult {
	res := teardown.NewResult(settings.ServiceCloudTrail, opts.Plan)
	mgmt, security := cfg.Accounts.Management, cfg.Accounts.Security
	name := cfg.Services.CloudTrail.TrailName
	out := workflow.Outcome{Account: ManagingAccount(cfg), Region: cfg.HomeRegion, Service: settings.ServiceCloudTrail}
	t, err := trailInHomeRegion(ctx, d.Trail, cfg)
	var conflict *workflow.ConflictError
	switch {
	case errors.As(err, &conflict):
		c := conflict.Conflicts[0]
		out.Status = workflow.StatusFailed
		out.Reason = fmt.Sprintf("trail %s is homed in %s, not the home region %s: orgbaseline leaves it; %s", name, c.Found, c.Wanted, c.Hint)
	case err != nil:
		teardown.Fail(&out, "read trail "+name, err)
	case t == nil:
		out.Reason = "no trail " + name
	default:
		// "DeleteTrail", AWS CloudTrail API Reference: from the trail's home
		// region; an organization trail from the management account or the
		// delegated administrator.
		err := teardown.Act(&out, opts.Plan, workflow.Action{Call: CallDeleteTrail, Target: name}, func() error {
			_, err := d.Trail.DeleteTrail(ctx, &cloudtrail.DeleteTrailInput{Name: aws.String(trailID(cfg))})
			return err
		})
		if err != nil {
			teardown.Fail(&out, "delete trail "+name, err)
		}
	}
	res.Add(out)

	principals := []string{cloudTrailPrincipal}
	if out.Status == workflow.StatusFailed {
		teardown.SkipOrgWide(&res, settings.ServiceCloudTrail, mgmt, principals, "the trail is not deleted")
	} else {
		admin, ok := teardown.DeregisterWith(ctx, d.Orgs, settings.ServiceCloudTrail, cloudTrailPrincipal, mgmt, security, opts.Plan, CallDeregisterAdmin, func() error {
			_, err := d.Admin.DeregisterOrganizationDelegatedAdmin(ctx, &cloudtrail.DeregisterOrganizationDelegatedAdminInput{DelegatedAdminAccountId: aws.String(security)})
			return err
		})
		res.Add(admin)
		var others []string
		var lerr error
		if ok {
			others, lerr = otherOrganizationTrails(ctx, d.Admin, name)
		}
		switch {
		case !ok:
			res.Add(workflow.Outcome{Account: mgmt, Region: workflow.RegionGlobal, Service: settings.ServiceCloudTrail, Status: workflow.StatusSkipped,
				Reason: "trusted access for " + cloudTrailPrincipal + " is left on: the delegated administrator above is not removed"})
		case lerr != nil:
			o := workflow.Outcome{Account: mgmt, Region: workflow.RegionGlobal, Service: settings.ServiceCloudTrail}
			teardown.Fail(&o, "list the organization trails left", lerr)
			res.Add(o)
		case len(others) > 0:
			res.Add(workflow.Outcome{Account: mgmt, Region: workflow.RegionGlobal, Service: settings.ServiceCloudTrail, Status: workflow.StatusSkipped,
				Reason: "trusted access for " + cloudTrailPrincipal + " is left on: the organization trails " + strings.Join(others, ", ") + " need it (without it they stop logging the member accounts)"})
		default:
			res.Add(teardown.DisableAccess(ctx, d.Orgs, settings.ServiceCloudTrail, cloudTrailPrincipal, mgmt, opts.Plan))
		}
	}
	res.Warnings = append(res.Warnings,
		"the trail bucket "+BucketName(cfg)+" in the log-archive account and every log file in it are kept, and so is the key "+KeyAlias+" in the security account: log files encrypted with it need it to be read",
		fmt.Sprintf("the log group %s and the role %s, if cloudWatchLogs was on, belong to the stack %s and stay until it is redeployed without them", LogGroupName, CloudWatchLogsRoleName, logDeliveryStack(cfg)))
	return res
}

// otherOrganizationTrails returns the names of the organization trails
// other than name that the management account's home region shows, shadow
// trails included (one DescribeTrails call).
func otherOrganizationTrails(ctx context.Context, api DescribeTrailsAPI, name string) ([]string, error) {
	out, err := api.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(true)})
	if err != nil {
		return nil, err
	}
	var others []string
	for _, t := range out.TrailList {
		if n := aws.ToString(t.Name); aws.ToBool(t.IsOrganizationTrail) && n != name && !slices.Contains(others, n) {
			others = append(others, n)
		}
	}
	return others, nil
}
