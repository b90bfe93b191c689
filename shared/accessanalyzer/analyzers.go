// Package accessanalyzer sets up IAM Access Analyzer across the
// organization. The security account is its delegated administrator (the
// org-prerequisites step enables trusted access for
// access-analyzer.amazonaws.com and registers it through Organizations, as
// "Add a delegated administrator for IAM Access Analyzer" documents for the
// API). Two steps:
//
//   - accessanalyzer-org, per region, in the security account: an
//     ORGANIZATION analyzer (external access to the organization's
//     resources) and, with unusedAccess, an ORGANIZATION_UNUSED_ACCESS
//     analyzer with the configured age;
//   - accessanalyzer-accounts, per account with its regions in-process: an
//     ACCOUNT analyzer in every account and region (with accountAnalyzers,
//     the default), which also shows access shared between the
//     organization's own accounts.
//
// Per analyzer, one read: access-analyzer:ListAnalyzers of its type. An
// analyzer of that type that is ACTIVE or CREATING is used as it is,
// whatever its name (an account other than the management and delegated
// administrator accounts may have one ACCOUNT analyzer per region, "Create
// an IAM Access Analyzer external access analyzer"); without one,
// access-analyzer:CreateAnalyzer with orgbaseline's name. An unused-access
// analyzer of orgbaseline's whose age differs is updated
// (access-analyzer:UpdateAnalyzer); another's is left with a warning. A
// ConflictException or ServiceQuotaExceededException on create (another run
// made one meanwhile) is success only when a fresh read shows an analyzer
// in use. An analyzer DISABLED or FAILED (its status reason says why, e.g.
// AWS_SERVICE_ACCESS_DISABLED) is that row's failure. A re-run on a
// converged organization makes no mutating call.
package accessanalyzer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// Names of the analyzers orgbaseline creates.
const (
	OrganizationAnalyzer = "orgbaseline-organization"
	UnusedAccessAnalyzer = "orgbaseline-unused-access"
	AccountAnalyzer      = "orgbaseline-account"
)

// Principal is IAM Access Analyzer's service principal; ServiceLinkedRole
// the role CreateAnalyzer creates ("Using service-linked roles for AWS
// Identity and Access Management Access Analyzer").
const (
	Principal         = "access-analyzer.amazonaws.com"
	ServiceLinkedRole = "AWSServiceRoleForAccessAnalyzer"
)

// Calls the steps report.
const (
	CallCreate = "access-analyzer:CreateAnalyzer"
	CallUpdate = "access-analyzer:UpdateAnalyzer"
)

// API is the part of the IAM Access Analyzer client the steps use, in one
// account and region.
// Each method is the operation of its name in the IAM Access Analyzer API
// Reference; a ConflictException or ServiceQuotaExceededException on
// CreateAnalyzer is what its Errors section lists for an analyzer of that
// name or type that exists already.
type API interface {
	accessanalyzer.ListAnalyzersAPIClient
	CreateAnalyzer(ctx context.Context, in *accessanalyzer.CreateAnalyzerInput, optFns ...func(*accessanalyzer.Options)) (*accessanalyzer.CreateAnalyzerOutput, error)
	UpdateAnalyzer(ctx context.Context, in *accessanalyzer.UpdateAnalyzerInput, optFns ...func(*accessanalyzer.Options)) (*accessanalyzer.UpdateAnalyzerOutput, error)
}

var _ API = (*accessanalyzer.Client)(nil)

// want is an analyzer the configuration asks for.
type want struct {
	kind types.Type
	name string
	// age is the unused-access age in days; 0 for the other types.
	age int32
	// excluded are the accounts an unused-access analyzer leaves out (the
	// scope's), in ID order: its analysis rule's account IDs.
	excluded []string
}

// result is what converging one analyzer did or would do.
type result struct {
	action *workflow.Action
	// warning is set when an analyzer of another's differs and is kept.
	warning string
}

// errNotInUse is an analyzer that exists but is not in use, so the row
// fails: retrying does not fix it.
type errNotInUse struct {
	name, status, reason string
}

func (e *errNotInUse) Error() string {
	msg := fmt.Sprintf("analyzer %s is %s", e.name, e.status)
	if e.reason != "" {
		msg += " (" + e.reason + ")"
	}
	return msg
}

// converge makes sure an analyzer as w is in use in the client's account and
// region, acting only in apply mode.
func converge(ctx context.Context, api API, w want, apply bool) (result, error) {
	found, err := list(ctx, api, w.kind)
	if err != nil {
		return result{}, err
	}
	if a, err := pick(found, w); err != nil || a != nil {
		if err != nil {
			return result{}, err
		}
		return reconcile(ctx, api, *a, w, apply)
	}
	res := result{action: &workflow.Action{Call: CallCreate, Target: w.name + " (" + string(w.kind) + ")"}}
	if !apply {
		return res, nil
	}
	in := &accessanalyzer.CreateAnalyzerInput{AnalyzerName: aws.String(w.name), Type: w.kind}
	if w.age > 0 {
		in.Configuration = unusedAccess(w.age, w.excluded, nil)
	}
	_, err = api.CreateAnalyzer(ctx, in)
	var conflict *types.ConflictException
	var quota *types.ServiceQuotaExceededException
	if errors.As(err, &conflict) || errors.As(err, &quota) {
		// Another run may have made one since the read.
		again, lerr := list(ctx, api, w.kind)
		if lerr != nil {
			return result{}, lerr
		}
		if a, perr := pick(again, w); perr == nil && a != nil {
			return reconcile(ctx, api, *a, w, apply)
		}
		// No room: an analyzer not in use holds the one place an account
		// has for its type (an ACCOUNT analyzer, outside the management
		// and delegated administrator accounts).
		if errors.As(err, &quota) && len(again) > 0 {
			return result{}, notInUse(again[0])
		}
	}
	if err != nil {
		return result{}, awsclient.Classify("create the "+string(w.kind)+" analyzer "+w.name, err)
	}
	return res, nil
}

// reconcile compares analyzer a, in use, with w: only an unused-access
// analyzer's age and excluded accounts can differ. The accounts are
// compared as a set with those its analysis rule excludes by ID; its
// rule's other criteria (by tags) are kept as they are.
func reconcile(ctx context.Context, api API, a types.AnalyzerSummary, w want, apply bool) (result, error) {
	if w.age == 0 {
		return result{}, nil
	}
	gotExcluded, others := exclusions(a)
	var why, what []string
	if age(a) != w.age {
		why = append(why, fmt.Sprintf("reports access unused for %d days, not the configured %d", age(a), w.age))
		what = append(what, fmt.Sprintf("unused access %d days", w.age))
	}
	if !slices.Equal(gotExcluded, w.excluded) {
		why = append(why, fmt.Sprintf("excludes %d accounts, not the %d the scope excludes", len(gotExcluded), len(w.excluded)))
		what = append(what, fmt.Sprintf("%d accounts %s", len(w.excluded), settings.ScopeReason))
	}
	if len(why) == 0 {
		return result{}, nil
	}
	name := aws.ToString(a.Name)
	if name != w.name {
		return result{warning: fmt.Sprintf("the %s analyzer %s %s; it is not orgbaseline's and is left as it is", w.kind, name, strings.Join(why, ", and "))}, nil
	}
	res := result{action: &workflow.Action{Call: CallUpdate, Target: name + " " + strings.Join(what, ", ")}}
	if apply {
		if _, err := api.UpdateAnalyzer(ctx, &accessanalyzer.UpdateAnalyzerInput{AnalyzerName: a.Name, Configuration: unusedAccess(w.age, w.excluded, others)}); err != nil {
			return result{}, awsclient.Classify("update the analyzer "+name, err)
		}
	}
	return res, nil
}

// pick returns the analyzer of w's type to use: orgbaseline's when it is in
// use, else the first in use, nil when none is. orgbaseline's own analyzer
// not in use is an *errNotInUse: its name is taken. Another's not in use
// blocks nothing by itself; where it takes the one place an account has
// (CreateAnalyzer's ServiceQuotaExceededException), converge reports it.
func pick(found []types.AnalyzerSummary, w want) (*types.AnalyzerSummary, error) {
	inUse := func(a types.AnalyzerSummary) bool {
		return a.Status == types.AnalyzerStatusActive || a.Status == types.AnalyzerStatusCreating
	}
	if i := slices.IndexFunc(found, func(a types.AnalyzerSummary) bool { return aws.ToString(a.Name) == w.name && inUse(a) }); i >= 0 {
		return &found[i], nil
	}
	if i := slices.IndexFunc(found, inUse); i >= 0 {
		return &found[i], nil
	}
	for _, a := range found {
		if aws.ToString(a.Name) == w.name {
			return nil, notInUse(a)
		}
	}
	return nil, nil
}

func notInUse(a types.AnalyzerSummary) *errNotInUse {
	e := &errNotInUse{name: aws.ToString(a.Name), status: string(a.Status)}
	if a.StatusReason != nil {
		e.reason = string(a.StatusReason.Code)
	}
	return e
}

// list returns the analyzers of kind in the client's account and region.
// Errors are returned as the SDK gives them, for the caller to settle.
func list(ctx context.Context, api accessanalyzer.ListAnalyzersAPIClient, kind types.Type) ([]types.AnalyzerSummary, error) {
	var out []types.AnalyzerSummary
	pages := accessanalyzer.NewListAnalyzersPaginator(api, &accessanalyzer.ListAnalyzersInput{Type: kind})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Analyzers...)
	}
	return out, nil
}

// age returns an unused-access analyzer's age in days, 0 when it has none.
func age(a types.AnalyzerSummary) int32 {
	if u, ok := a.Configuration.(*types.AnalyzerConfigurationMemberUnusedAccess); ok {
		return aws.ToInt32(u.Value.UnusedAccessAge)
	}
	return 0
}

// MaxExcludedAccounts is the most account IDs an analysis rule takes
// ("AnalysisRuleCriteria", IAM Access Analyzer API Reference: the list
// cannot include more than 2,000 account IDs).
const MaxExcludedAccounts = 2000

// unusedAccess is an unused-access analyzer's configuration: days, and an
// analysis rule that excludes the accounts of excluded by ID ("AnalysisRule",
// "AnalysisRuleCriteria", IAM Access Analyzer API Reference: account IDs
// only for organization-level analyzers, never the analyzer owner's), with
// the rule's other criteria (others) kept. No rule without either.
func unusedAccess(days int32, excluded []string, others []types.AnalysisRuleCriteria) types.AnalyzerConfiguration {
	c := types.UnusedAccessConfiguration{UnusedAccessAge: aws.Int32(days)}
	rule := slices.Clone(others)
	if len(excluded) > 0 {
		rule = append(rule, types.AnalysisRuleCriteria{AccountIds: slices.Clone(excluded)})
	}
	if len(rule) > 0 {
		c.AnalysisRule = &types.AnalysisRule{Exclusions: rule}
	}
	return &types.AnalyzerConfigurationMemberUnusedAccess{Value: c}
}

// exclusions returns the accounts an unused-access analyzer's analysis
// rule excludes by ID alone, in ID order, and the rule's other criteria,
// kept as they are: those by tags, and those naming accounts and tags,
// which exclude only the resources with the tags in those accounts
// ("AnalysisRuleCriteria", IAM Access Analyzer API Reference).
func exclusions(a types.AnalyzerSummary) (accounts []string, others []types.AnalysisRuleCriteria) {
	u, ok := a.Configuration.(*types.AnalyzerConfigurationMemberUnusedAccess)
	if !ok || u.Value.AnalysisRule == nil {
		return []string{}, nil
	}
	var ids []string
	for _, c := range u.Value.AnalysisRule.Exclusions {
		if len(c.AccountIds) == 0 || len(c.ResourceTags) > 0 {
			others = append(others, c)
			continue
		}
		ids = append(ids, c.AccountIds...)
	}
	return sortedSet(ids), others
}

// sortedSet returns the distinct strings of s in order, never nil.
func sortedSet(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}
