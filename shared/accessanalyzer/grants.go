package accessanalyzer

import (
	"fmt"

	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
)

// The grants follow "Actions, resources, and condition keys for AWS IAM
// Access Analyzer" (Service Authorization Reference): ListAnalyzers has no
// resource type; CreateAnalyzer and UpdateAnalyzer act on an analyzer,
// arn:aws:access-analyzer:<region>:<account>:analyzer/<name>, so they are
// granted on orgbaseline's analyzer names only. CreateAnalyzer creates the
// service-linked role AWSServiceRoleForAccessAnalyzer when it is missing
// ("Using service-linked roles for AWS Identity and Access Management
// Access Analyzer"); the AWS managed policy IAMAccessAnalyzerFullAccess
// grants iam:CreateServiceLinkedRole for it with iam:AWSServiceName, as here.

// analyzerARN is the ARN of the analyzer name of account, in any region.
func analyzerARN(account, name string) string {
	return fmt.Sprintf("arn:aws:access-analyzer:*:%s:analyzer/%s", account, name)
}

// analyzerGrants are the grants to converge the analyzers named in account;
// update says whether UpdateAnalyzer is among them; sids whether the grants
// carry Sids (the Lambda's own policy).
func analyzerGrants(account string, names []string, update, sids bool) []step.Grant {
	arns := make([]string, len(names))
	for i, n := range names {
		arns[i] = analyzerARN(account, n)
	}
	g := []step.Grant{
		{Sid: "ListAnalyzers", Actions: []string{"access-analyzer:ListAnalyzers"}, Why: "access-analyzer:ListAnalyzers has no resource type"},
		{Sid: "CreateAnalyzers", Actions: []string{"access-analyzer:CreateAnalyzer"}, Resources: arns, Why: "in every region of the run"},
		{
			Dependent: true, Sid: "AccessAnalyzerServiceLinkedRole", Actions: []string{"iam:CreateServiceLinkedRole"},
			Resources: []string{step.ServiceLinkedRoleARN(account, Principal, ServiceLinkedRole)},
			Condition: map[string]map[string]any{"StringEquals": {"iam:AWSServiceName": Principal}},
			Why:       "the service-linked role of each account the step works in",
		},
	}
	if update {
		g = append(g, step.Grant{Sid: "UpdateUnusedAccessAnalyzer", Actions: []string{"access-analyzer:UpdateAnalyzer"}, Resources: []string{analyzerARN(account, UnusedAccessAnalyzer)}, Why: "in every region of the run"})
	}
	if !sids {
		for i := range g {
			g[i].Sid = ""
		}
	}
	return g
}

// OrgGrants are the accessanalyzer-org step's permissions under c: in the
// security account's session, its organization analyzers.
func OrgGrants(c settings.Config) step.Grants {
	names := []string{OrganizationAnalyzer}
	unused := c.Services.AccessAnalyzer.UnusedAccess.Enabled
	if unused {
		names = append(names, UnusedAccessAnalyzer)
	}
	return step.Grants{Security: analyzerGrants(c.Accounts.Security, names, unused, false)}
}

// AccountsGrants are the accessanalyzer-accounts step's permissions under
// c: the ACCOUNT analyzer, in the management account with the Lambda's own
// role and in every other account through the execution role. None without
// accountAnalyzers.
func AccountsGrants(c settings.Config) step.Grants {
	if !c.Services.AccessAnalyzer.WantsAccountAnalyzers() {
		return step.Grants{}
	}
	return step.Grants{
		Lambda:  analyzerGrants(c.Accounts.Management, []string{AccountAnalyzer}, false, true),
		Members: analyzerGrants("*", []string{AccountAnalyzer}, false, false),
	}
}
