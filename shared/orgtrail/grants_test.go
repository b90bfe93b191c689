package orgtrail

import (
	"slices"
	"testing"

	"github.com/orgbaseline/orgbaseline/shared/step"
)

// grantOf returns the grant of gs that has action, and whether there is one.
func grantOf(gs []step.Grant, action string) (step.Grant, bool) {
	for _, g := range gs {
		if slices.Contains(g.Actions, action) {
			return g, true
		}
	}
	return step.Grant{}, false
}

// The org-trail step is granted what CloudTrail documents for the caller
// that creates an organization trail ("Prepare for creating a trail for
// your organization": its service-linked role, trusted access, the
// organization read) and registers its delegated administrator ("Required
// permissions to assign a delegated administrator"), with every call on the
// trail scoped to the trail's ARN and Organizations' writes to CloudTrail's
// principal ("Actions, resources, and condition keys for AWS CloudTrail"
// and "... for AWS Organizations").
func TestGrantsAreWhatCloudTrailDocumentsScoped(t *testing.T) {
	c := config(t, "services: {cloudtrail: {delegatedAdmin: true, insights: true, cloudWatchLogs: {enabled: true}}}")
	g := Grants(c)
	for _, a := range []string{
		"iam:CreateServiceLinkedRole", "iam:GetRole", "organizations:EnableAWSServiceAccess",
		"organizations:ListAWSServiceAccessForOrganization", "organizations:ListAccounts", "organizations:DescribeOrganization",
		"cloudtrail:RegisterOrganizationDelegatedAdmin", "organizations:RegisterDelegatedAdministrator",
		"cloudtrail:CreateTrail", "cloudtrail:PutInsightSelectors", "iam:PassRole",
	} {
		if _, ok := grantOf(g.Lambda, a); !ok {
			t.Errorf("the org-trail step is not granted %s", a)
		}
	}
	onTrail, _ := grantOf(g.Lambda, "cloudtrail:CreateTrail")
	if !slices.Equal(onTrail.Resources, []string{"arn:aws:cloudtrail:eu-west-1:111111111111:trail/orgbaseline-organization-trail"}) {
		t.Errorf("CreateTrail on %v, want the trail alone", onTrail.Resources)
	}
	reg, _ := grantOf(g.Lambda, "organizations:RegisterDelegatedAdministrator")
	if !slices.Equal(reg.Resources, []string{"arn:aws:organizations::111111111111:account/o-abcdef1234/222222222222"}) ||
		reg.Condition["StringEquals"]["organizations:ServicePrincipal"] == nil {
		t.Errorf("RegisterDelegatedAdministrator: %+v", reg)
	}
	enable, _ := grantOf(g.Lambda, "organizations:EnableAWSServiceAccess")
	if sp := enable.Condition["StringEquals"]["organizations:ServicePrincipal"]; !slices.Equal(sp.([]string), []string{"cloudtrail.amazonaws.com"}) {
		t.Errorf("EnableAWSServiceAccess for %v", sp)
	}
	if p := step.GrantProblems(g, c); len(p) > 0 {
		t.Errorf("problems: %v", p)
	}
}

// Grants follow the configuration: no PutInsightSelectors without
// Insights, no iam:PassRole without CloudWatch Logs, no delegated
// administrator's actions without delegatedAdmin; managed from the
// security account, the trail's calls are the security account's session's
// and the management account keeps the reads and the registration.
func TestGrantsFollowTheConfiguration(t *testing.T) {
	off := Grants(config(t, ""))
	for _, a := range []string{"cloudtrail:PutInsightSelectors", "iam:PassRole", "cloudtrail:RegisterOrganizationDelegatedAdmin", "organizations:RegisterDelegatedAdministrator", "organizations:ListDelegatedAdministrators"} {
		if _, ok := grantOf(off.Lambda, a); ok {
			t.Errorf("%s granted with the option off", a)
		}
	}
	sec := Grants(config(t, "services: {cloudtrail: {delegatedAdmin: true, manageFrom: security, cloudWatchLogs: {enabled: true}}}"))
	if _, ok := grantOf(sec.Lambda, "cloudtrail:CreateTrail"); ok {
		t.Error("managed from the security account, the management account may still create the trail")
	}
	if _, ok := grantOf(sec.Security, "cloudtrail:CreateTrail"); !ok {
		t.Error("managed from the security account, its session may not create the trail")
	}
	pass, _ := grantOf(sec.Security, "iam:PassRole")
	if !slices.Equal(pass.Resources, []string{"arn:aws:iam::222222222222:role/orgbaseline-cloudtrail-to-logs"}) {
		t.Errorf("the security session passes %v", pass.Resources)
	}
	if _, ok := grantOf(sec.Lambda, "cloudtrail:RegisterOrganizationDelegatedAdmin"); !ok {
		t.Error("the management account may not register the delegated administrator")
	}
	if got := step.Actions(off.Members); !slices.Equal(got, []string{"cloudtrail:DescribeTrails"}) {
		t.Errorf("member sessions may %v, want DescribeTrails alone", got)
	}
}
