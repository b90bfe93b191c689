package guardduty

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// OrgConfigurationAPI reads and updates the organization configuration of
// the delegated administrator's detector.
type OrgConfigurationAPI interface {
	guardduty.DescribeOrganizationConfigurationAPIClient
	UpdateOrganizationConfiguration(ctx context.Context, in *guardduty.UpdateOrganizationConfigurationInput, optFns ...func(*guardduty.Options)) (*guardduty.UpdateOrganizationConfigurationOutput, error)
}

// orgConfig converges the organization configuration of detector id ("" in
// plan mode before the detector exists) ("DescribeOrganizationConfiguration",
// "UpdateOrganizationConfiguration", GuardDuty API Reference). The update
// sends the features the configuration enables and the disabled ones the
// organization configuration lists (sendable). An auto-enable setting the
// region does not offer is left out here (refused), with a skipped
// outcome: the detector and the members' detectors are set on their own.
func (r *orgRun) orgConfig(ctx context.Context, api OrgConfigurationAPI, id string) error {
	fs := r.features
	if id == "" {
		r.add("", "organization configuration: the detector does not exist yet; set AutoEnableOrganizationMembers "+string(r.autoMembers)+", "+describeOrgFeatures(sendable(fs, present{})),
			workflow.Action{Call: CallUpdateOrganizationConfiguration})
		return nil
	}
	autoMembers, current, err := describeOrg(ctx, api, id)
	if skip, ok := r.unavailable(err); ok {
		r.add(workflow.StatusSkipped, skip)
		return nil
	}
	if err != nil {
		return awsclient.Classify("read GuardDuty's organization configuration in "+r.region, err)
	}
	p := present{}
	for _, f := range current {
		p[string(f.Name)] = true
		for _, a := range f.AdditionalConfiguration {
			p[string(f.Name)+"/"+string(a.Name)] = true
		}
	}
	diff := orgDiff(autoMembers, r.autoMembers, current, fs)
	for len(diff) > 0 && !r.plan() {
		_, err := api.UpdateOrganizationConfiguration(ctx, orgInput(id, r.autoMembers, sendable(fs, p)))
		if err == nil {
			r.log.InfoContext(ctx, "updated GuardDuty's organization configuration", "detector", id, "differences", diff)
			break
		}
		if skip, ok := r.unavailable(err); ok {
			r.add(workflow.StatusSkipped, skip)
			return nil
		}
		if !r.refused("UpdateOrganizationConfiguration", err, &fs, p) {
			return awsclient.Classify("update GuardDuty's organization configuration in "+r.region, err)
		}
		diff = orgDiff(autoMembers, r.autoMembers, current, fs)
	}
	if len(diff) == 0 {
		r.add(workflow.StatusUnchanged, "organization configuration matches the configuration")
		return nil
	}
	r.add("", "organization configuration: "+strings.Join(diff, "; "), workflow.Action{Call: CallUpdateOrganizationConfiguration, Target: id})
	return nil
}

func describeOrg(ctx context.Context, api guardduty.DescribeOrganizationConfigurationAPIClient, id string) (gdtypes.AutoEnableMembers, []gdtypes.OrganizationFeatureConfigurationResult, error) {
	var (
		members  gdtypes.AutoEnableMembers
		features []gdtypes.OrganizationFeatureConfigurationResult
	)
	pages := guardduty.NewDescribeOrganizationConfigurationPaginator(api, &guardduty.DescribeOrganizationConfigurationInput{DetectorId: aws.String(id)})
	for first := true; pages.HasMorePages(); first = false {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return "", nil, err
		}
		if first {
			members = page.AutoEnableOrganizationMembers
		}
		features = append(features, page.Features...)
	}
	return members, features, nil
}

func orgStatus(on bool) gdtypes.OrgFeatureStatus {
	if on {
		return gdtypes.OrgFeatureStatusAll
	}
	return gdtypes.OrgFeatureStatusNone
}

// wantedAutoMembers is the AutoEnableOrganizationMembers the configuration
// wants: ALL, or NONE when its scope excludes any account. ALL "includes
// NEW accounts that join the organization and accounts that may have been
// suspended or removed from the organization in GuardDuty", and NEW
// enables every account that joins, wherever it is
// ("UpdateOrganizationConfiguration", GuardDuty API Reference): neither
// leaves an account out. With NONE the run adds the accounts of its scope
// as members itself (CreateMembers), and an account that joins is added by
// its onboarding run or the next re-converge; NONE "doesn't disable the
// corresponding option for your existing accounts".
func wantedAutoMembers(cfg settings.Config) gdtypes.AutoEnableMembers {
	if cfg.Scope.Any() {
		return gdtypes.AutoEnableMembersNone
	}
	return gdtypes.AutoEnableMembersAll
}

func orgInput(id string, members gdtypes.AutoEnableMembers, fs []feature) *guardduty.UpdateOrganizationConfigurationInput {
	in := &guardduty.UpdateOrganizationConfigurationInput{
		DetectorId:                    aws.String(id),
		AutoEnableOrganizationMembers: members,
		Features:                      make([]gdtypes.OrganizationFeatureConfiguration, 0, len(fs)),
	}
	for _, f := range fs {
		c := gdtypes.OrganizationFeatureConfiguration{Name: gdtypes.OrgFeature(f.name), AutoEnable: orgStatus(f.on)}
		if f.on {
			for _, a := range f.agents {
				c.AdditionalConfiguration = append(c.AdditionalConfiguration, gdtypes.OrganizationAdditionalConfiguration{
					Name: gdtypes.OrgFeatureAdditionalConfiguration(a), AutoEnable: gdtypes.OrgFeatureStatusAll,
				})
			}
		}
		in.Features = append(in.Features, c)
	}
	return in
}

// orgDiff lists how the organization configuration differs from the
// configuration. A feature it does not list counts as NONE.
func orgDiff(members, want gdtypes.AutoEnableMembers, current []gdtypes.OrganizationFeatureConfigurationResult, fs []feature) []string {
	var diff []string
	if members != want {
		diff = append(diff, fmt.Sprintf("AutoEnableOrganizationMembers %s, want %s", orNone(string(members)), want))
	}
	byName := map[string]gdtypes.OrganizationFeatureConfigurationResult{}
	for _, f := range current {
		byName[string(f.Name)] = f
	}
	for _, f := range fs {
		cur, want := byName[f.name], orgStatus(f.on)
		if have := orgOrNone(cur.AutoEnable); have != want {
			diff = append(diff, fmt.Sprintf("%s auto-enable %s, want %s", f.name, have, want))
		}
		if !f.on {
			continue
		}
		agents := map[string]gdtypes.OrgFeatureStatus{}
		for _, a := range cur.AdditionalConfiguration {
			agents[string(a.Name)] = a.AutoEnable
		}
		for _, a := range f.agents {
			if have := orgOrNone(agents[a]); have != gdtypes.OrgFeatureStatusAll {
				diff = append(diff, fmt.Sprintf("%s/%s auto-enable %s, want ALL", f.name, a, have))
			}
		}
	}
	return diff
}

func orgOrNone(s gdtypes.OrgFeatureStatus) gdtypes.OrgFeatureStatus {
	if s == "" {
		return gdtypes.OrgFeatureStatusNone
	}
	return s
}

func describeOrgFeatures(fs []feature) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.name + " " + string(orgStatus(f.on))
	}
	return strings.Join(parts, ", ")
}
