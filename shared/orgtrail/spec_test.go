package orgtrail

import (
	"slices"
	"testing"
)

// The org-trail step grants what CloudTrail documents for the caller that
// creates an organization trail ("Prepare for creating a trail for your
// organization": permissions in IAM and Organizations to create the
// service-linked role and enable trusted access) and registers its
// delegated administrator ("Required permissions to assign a delegated
// administrator", CloudTrail User Guide).
func TestSpecGrantsWhatCloudTrailDocuments(t *testing.T) {
	for _, a := range []string{
		// Creating the organization trail.
		"iam:CreateServiceLinkedRole",
		"iam:GetRole",
		"organizations:EnableAWSServiceAccess",
		"organizations:ListAWSServiceAccessForOrganization",
		// Registering the delegated administrator.
		"cloudtrail:RegisterOrganizationDelegatedAdmin",
		"organizations:RegisterDelegatedAdministrator",
	} {
		if !slices.Contains(Spec.Actions, a) {
			t.Errorf("the org-trail step does not grant %s", a)
		}
	}
}
