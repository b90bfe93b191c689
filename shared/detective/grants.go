package detective

import (
	"fmt"

	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
)

// detectorsOf is the ARN of every GuardDuty detector of account.
func detectorsOf(account string) string {
	return fmt.Sprintf("arn:aws:guardduty:*:%s:detector/*", account)
}

// AdminGrants are the detective-admin step's permissions under c
// ("Actions, resources, and condition keys for Amazon Detective": the
// organization administrator calls have no resource type): the Lambda's
// own, and what EnableOrganizationAdminAccount does in Organizations and
// IAM for its caller (the AWS managed policy
// AmazonDetectiveOrganizationsAccess: trusted access and the delegated
// administrator for Detective, the organization read, Detective's
// service-linked role), each for Detective's principal only; in the
// security account's session, its GuardDuty detector read, for Detective's
// 48 hours.
//
// In invitation mode ("Actions, resources, and condition keys for Amazon
// Detective"): the Lambda only reads the organization administrators (for
// the conflict with organization mode); in the security account's session,
// detective:ListGraphs and detective:CreateGraph, neither of which has a
// resource type (CreateGraph makes the graph; its dependent
// detective:TagResource is needed only with tags, which the step does not
// give), and the same GuardDuty read.
func AdminGrants(c settings.Config) step.Grants {
	// "Actions, resources, and condition keys for Amazon GuardDuty":
	// ListDetectors has no resource type, GetDetector's is the detector.
	detectors := []step.Grant{
		{Actions: []string{"guardduty:ListDetectors"}, Why: "guardduty:ListDetectors has no resource type"},
		{Actions: []string{"guardduty:GetDetector"}, Resources: []string{detectorsOf(c.Accounts.Security)}, Why: "GuardDuty makes a detector's ID; one per region of the security account"},
	}
	if c.Services.Detective.Invitation() {
		return step.Grants{
			Lambda: []step.Grant{{
				Sid: "ReadDetectiveAdministrators", Actions: []string{"detective:ListOrganizationAdminAccount"},
				Why: "detective:ListOrganizationAdminAccount has no resource type",
			}},
			Security: append([]step.Grant{{
				Actions: []string{"detective:ListGraphs", "detective:CreateGraph"},
				Why:     "detective:ListGraphs and detective:CreateGraph have no resource type",
			}}, detectors...),
		}
	}
	return step.Grants{
		Lambda: []step.Grant{
			{
				// The API ListOrganizationAdminAccounts is authorized by the
				// action detective:ListOrganizationAdminAccount (singular:
				// "Actions, resources, and condition keys for Amazon
				// Detective"; the AWS managed policy
				// AmazonDetectiveOrganizationsAccess grants it so).
				Sid:     "DelegateDetective",
				Actions: []string{"detective:ListOrganizationAdminAccount", "detective:EnableOrganizationAdminAccount"},
				Why:     "detective:ListOrganizationAdminAccount and EnableOrganizationAdminAccount have no resource type",
			},
			{
				Dependent: true, Sid: "DetectiveReadsOrganization",
				Actions: []string{"organizations:DescribeOrganization", "organizations:ListAccounts", "organizations:ListDelegatedAdministrators"},
				Why:     "DescribeOrganization, ListAccounts and ListDelegatedAdministrators have no resource type",
			},
			{
				Dependent: true, Sid: "TrustedAccessForDetective", Actions: []string{"organizations:EnableAWSServiceAccess"},
				Condition: step.ServicePrincipalIs(Principal),
				Why:       "EnableAWSServiceAccess has no resource type; the condition names Detective's principal",
			},
			{
				Dependent: true, Sid: "RegisterSecurityAccountForDetective", Actions: []string{"organizations:RegisterDelegatedAdministrator"},
				Resources: []string{step.OrgAccountARN(c, c.Accounts.Security)},
				Condition: step.ServicePrincipalIs(Principal),
				Why:       step.OrgIDWhy,
			},
			{
				// "Actions, resources, and condition keys for AWS Identity and
				// Access Management": iam:AWSServiceName narrows
				// CreateServiceLinkedRole to one service.
				Dependent: true, Sid: "DetectiveServiceLinkedRole", Actions: []string{"iam:CreateServiceLinkedRole"},
				Resources: []string{step.ServiceLinkedRoleARN(c.Accounts.Management, Principal, "AWSServiceRoleForDetective")},
				Condition: map[string]map[string]any{"StringEquals": {"iam:AWSServiceName": Principal}},
				Why:       "Detective's service-linked role has a fixed name",
			},
		},
		Security: detectors,
	}
}

// OrgGrants are the detective-org step's permissions under c: from the
// management account, the accounts it adds as members (their e-mail
// addresses); in the security account's session, its behavior graphs
// (Graph, arn:aws:detective:<region>:<account>:graph:<id>) and the
// listing of them, which has no resource type. In invitation mode the graph
// has no organization configuration to read or update.
func OrgGrants(c settings.Config) step.Grants {
	graphs := graphsOf(c.Accounts.Security)
	onGraph := []string{"detective:DescribeOrganizationConfiguration", "detective:UpdateOrganizationConfiguration", "detective:ListMembers", "detective:CreateMembers"}
	if c.Services.Detective.Invitation() {
		onGraph = []string{"detective:ListMembers", "detective:CreateMembers"}
	}
	return step.Grants{
		Lambda: []step.Grant{
			{
				Sid: "ReadMemberAccounts", Actions: []string{"organizations:DescribeAccount"}, Resources: []string{step.OrgAccountARN(c, "*")},
				Why: "the accounts to add as members are found at run time; the ARN names this organization",
			},
			{Sid: "ListMemberAccounts", Actions: []string{"organizations:ListAccounts"}, Why: "organizations:ListAccounts has no resource type"},
		},
		Security: []step.Grant{
			{Actions: []string{"detective:ListGraphs"}, Why: "detective:ListGraphs has no resource type"},
			{Actions: onGraph, Resources: []string{graphs}, Why: graphWhy},
		},
	}
}

// graphsOf is the ARN of every behavior graph of account (resource type
// Graph, arn:aws:detective:<region>:<account>:graph:<id>).
func graphsOf(account string) string {
	return fmt.Sprintf("arn:aws:detective:*:%s:graph:*", account)
}

// graphWhy is the reason of a graph ARN's wildcards.
const graphWhy = "Detective makes a graph's ID; one per region of the security account"

// AcceptGrants are the detective-accept step's permissions under c, in
// invitation mode only ("Actions, resources, and condition keys for Amazon
// Detective": ListInvitations has no resource type; AcceptInvitation acts
// on a Graph, here the security account's graphs alone; "Required IAM
// policy for a member account", Amazon Detective Administration Guide,
// grants them so): in the
// management account with the Lambda's own role, in every other account
// through the execution role.
func AcceptGrants(c settings.Config) step.Grants {
	if !c.Services.Detective.Invitation() {
		return step.Grants{}
	}
	grants := func(sids bool) []step.Grant {
		g := []step.Grant{
			{Sid: "ListDetectiveInvitations", Actions: []string{"detective:ListInvitations"}, Why: "detective:ListInvitations has no resource type"},
			{Sid: "AcceptSecurityAccountInvitation", Actions: []string{"detective:AcceptInvitation"}, Resources: []string{graphsOf(c.Accounts.Security)}, Why: graphWhy},
		}
		if !sids {
			for i := range g {
				g[i].Sid = ""
			}
		}
		return g
	}
	return step.Grants{Lambda: grants(true), Members: grants(false)}
}
