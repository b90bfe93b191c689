package main

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/orgbaseline/orgbaseline/shared/local/sdkcount"
	"github.com/orgbaseline/orgbaseline/shared/registry"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
)

// The calls the steps make, compared with what they are granted
// (step.Grants): every call must be granted where it is made, and every
// grant of a call (not Dependent) made in the runs, or listed in
// notExercised with the reason the runs do not make it.

// iamPrefix is the IAM service prefix of an SDK service ID.
var iamPrefix = map[string]string{
	"Organizations": "organizations", "CloudTrail": "cloudtrail", "Config Service": "config",
	"AccessAnalyzer": "access-analyzer", "Health": "health", "Detective": "detective", "SecurityHub": "securityhub",
	"GuardDuty": "guardduty", "IAM": "iam", "KMS": "kms", "S3": "s3", "STS": "sts", "Account": "account",
}

// s3Actions are S3 operations whose IAM action has another name ("Actions,
// resources, and condition keys for Amazon S3").
var s3Actions = map[string]string{
	"HeadBucket": "ListBucket", "GetBucketEncryption": "GetEncryptionConfiguration",
	"PutBucketEncryption": "PutEncryptionConfiguration",
}

// actionNames are operations whose IAM action has another name, by
// service prefix.
var actionNames = map[string]map[string]string{
	"s3": s3Actions,
	// "Actions, resources, and condition keys for Amazon Detective".
	"detective": {"ListOrganizationAdminAccounts": "ListOrganizationAdminAccount"},
}

// action is the IAM action of a call, "" for one that needs no grant of the
// step's own: sts:GetCallerIdentity (always allowed) and sts:AssumeRole
// (the execution role, granted by the step's reach).
func action(c sdkcount.Call) (string, error) {
	prefix, ok := iamPrefix[c.Service]
	if !ok {
		return "", fmt.Errorf("no IAM prefix known for service %q (operation %s)", c.Service, c.Operation)
	}
	op := c.Operation
	if name := actionNames[prefix][op]; name != "" {
		op = name
	}
	if prefix == "sts" && (op == "GetCallerIdentity" || op == "AssumeRole") {
		return "", nil
	}
	return prefix + ":" + op, nil
}

// where names the session a call was made in.
func where(c settings.Config, account string) string {
	switch account {
	case "":
		return "its Lambda role"
	case c.Accounts.Security:
		return "the security account's session"
	case c.Accounts.LogArchive:
		return "the log-archive account's session"
	}
	return "a member account's session"
}

// grantsIn are the grants of step s for calls made in account ("" for the
// Lambda's own).
func grantsIn(g step.Grants, c settings.Config, account string) []step.Grant {
	if account == "" {
		return g.Lambda
	}
	return g.In(c, account)
}

// lacksGuardDutyOrg: the emulator lacks GuardDuty's organization
// configuration and members, whose parts the fakes of shared/guardduty
// cover.
const lacksGuardDutyOrg = "the emulator lacks GuardDuty's organization configuration and members (the fakes cover them)"

// notExercised are the grants of calls the small emulated runs do not make,
// by "step action", with the reason.
var notExercised = map[string]string{
	"org-targets account:ListRegions":                                  "called only with regions: discover",
	"org-trail cloudtrail:UpdateTrail":                                 "called only when an existing trail differs from the configuration",
	"guardduty-org guardduty:UpdateDetector":                           "called only when a detector's settings differ",
	"guardduty-org guardduty:UpdateOrganizationConfiguration":          lacksGuardDutyOrg,
	"guardduty-org guardduty:CreateMembers":                            lacksGuardDutyOrg,
	"guardduty-org guardduty:GetMemberDetectors":                       lacksGuardDutyOrg,
	"guardduty-org guardduty:UpdateMemberDetectors":                    lacksGuardDutyOrg,
	"guardduty-org organizations:DescribeAccount":                      lacksGuardDutyOrg,
	"guardduty-org organizations:ListAccounts":                         lacksGuardDutyOrg,
	"config-rules config:PutOrganizationConfigRule":                    "the emulator lacks organization rules: the step stops at their listing",
	"config-rules config:DescribeOrganizationConfigRuleStatuses":       "the emulator lacks organization rules",
	"config-rules config:GetOrganizationConfigRuleDetailedStatus":      "the emulator lacks organization rules",
	"config-rules config:PutOrganizationConformancePack":               "the runs' configuration has no conformance pack",
	"config-rules config:DescribeOrganizationConformancePackStatuses":  "the runs' configuration has no conformance pack",
	"config-rules config:GetOrganizationConformancePackDetailedStatus": "the runs' configuration has no conformance pack",
	"config-rules config:DescribeOrganizationConformancePacks":         "the runs' configuration has no conformance pack",
	"securityhub-central securityhub:UpdateFindingAggregator":          "called only when the aggregator's regions differ from the run's",
	"securityhub-central securityhub:UpdateConfigurationPolicy":        "called only when the policy differs from the configuration",
	"securityhub-local securityhub:DescribeOrganizationConfiguration":  securityHubCentral,
	"securityhub-local securityhub:UpdateOrganizationConfiguration":    securityHubCentral,
	"securityhub-local securityhub:ListMembers":                        securityHubCentral,
	"securityhub-local securityhub:CreateMembers":                      securityHubCentral,
	"securityhub-standards securityhub:DescribeHub":                    securityHubCentral,
	"securityhub-standards securityhub:GetEnabledStandards":            securityHubCentral,
	"securityhub-standards securityhub:BatchEnableStandards":           securityHubCentral,
	"detective-admin detective:ListOrganizationAdminAccount":           detectiveOff,
	"detective-admin detective:EnableOrganizationAdminAccount":         detectiveOff,
	"detective-admin guardduty:ListDetectors":                          detectiveOff,
	"detective-admin guardduty:GetDetector":                            detectiveOff,
	"detective-org detective:ListGraphs":                               detectiveOff,
	"detective-org detective:DescribeOrganizationConfiguration":        detectiveOff,
	"detective-org detective:UpdateOrganizationConfiguration":          detectiveOff,
	"detective-org detective:ListMembers":                              detectiveOff,
	"detective-org detective:CreateMembers":                            detectiveOff,
	"detective-org organizations:DescribeAccount":                      detectiveOff,
	"detective-org organizations:ListAccounts":                         detectiveOff,
	// Invitation mode's calls: granted only with services.detective.mode:
	// invitation, which the runs' configuration does not set either.
	"detective-admin detective:ListGraphs":        detectiveInvitationOff,
	"detective-admin detective:CreateGraph":       detectiveInvitationOff,
	"detective-accept detective:ListInvitations":  detectiveInvitationOff,
	"detective-accept detective:AcceptInvitation": detectiveInvitationOff,
}

// securityHubCentral is why the runs make no call of Security Hub's local
// configuration steps: the runs measure the example configuration, whose
// Security Hub uses central configuration (the default), and the two steps
// then only report their skip (and are granted nothing). The steps' unit
// tests make these calls against fakes, and the fake's tests against the
// emulated Security Hub.
const securityHubCentral = "Security Hub's configuration is central in the runs' configuration: the local configuration steps only report their skip"

// detectiveOff is why the runs make no Detective call: the runs measure
// the example configuration, where Detective is off (it needs GuardDuty on
// for 48 hours); and even on, no emulated GuardDuty detector is 48 hours
// old, so Detective is never eligible locally. The steps' unit tests make
// these calls against fakes; make demo switches Detective on and shows the
// eligibility skip.
const detectiveOff = "Detective is off in the runs' configuration, and never eligible locally (no emulated GuardDuty detector is 48 hours old)"

// detectiveInvitationOff is why the runs make none of invitation mode's
// calls: besides detectiveOff, the runs' configuration leaves
// services.detective.mode at organization, where these are not granted
// (detective-accept then only reports that there is nothing to accept).
// The steps' unit tests make them against fakes, and shared/detective's
// local test against the local fake of Detective.
const detectiveInvitationOff = "Detective is off in the runs' configuration and its mode is organization: invitation mode's calls are neither granted nor made (unit tests and the local fake cover them)"

// grantProblems compares calls with the steps' grants under c, both ways.
func grantProblems(c settings.Config, calls []sdkcount.Call) []string {
	var problems []string
	made := map[string]bool{} // "step action"
	for _, call := range calls {
		s, err := registry.Lookup(call.Step)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		act, err := action(call)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if act == "" {
			continue
		}
		made[call.Step+" "+act] = true
		g, _ := s.Grants(c)
		if !slices.Contains(step.Actions(grantsIn(g, c, call.Account)), act) {
			problems = append(problems, fmt.Sprintf("step %s calls %s in %s, which is not granted it there", call.Step, act, where(c, call.Account)))
		}
	}
	for _, s := range registry.All {
		g, _ := s.Grants(c)
		for _, gs := range [][]step.Grant{g.Lambda, g.Security, g.LogArchive, g.Members} {
			for _, gr := range gs {
				if gr.Dependent {
					continue
				}
				for _, act := range gr.Actions {
					key := s.Spec.Name + " " + act
					if !made[key] && notExercised[key] == "" {
						problems = append(problems, fmt.Sprintf("step %s is granted %s, which the runs never call (and which is not Dependent nor listed as not exercised)", s.Spec.Name, act))
					}
				}
			}
		}
	}
	for key, why := range notExercised {
		if made[key] {
			problems = append(problems, fmt.Sprintf("%s is listed as not exercised (%s), but the runs call it: remove it from the list", key, why))
		}
	}
	sort.Strings(problems)
	return slices.Compact(problems)
}

// describeCalls lists the distinct "step action (where)" of calls.
func describeCalls(c settings.Config, calls []sdkcount.Call) string {
	seen := map[string]bool{}
	var out []string
	for _, call := range calls {
		act, _ := action(call)
		k := fmt.Sprintf("%s %s (%s)", call.Step, act, where(c, call.Account))
		if act != "" && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}
