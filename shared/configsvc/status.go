package configsvc

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// maxMemberOutcomes caps the failed outcomes of one rule's or pack's
// members: results of every region travel through the state machine, whose
// payloads are limited to 256 KB, so the rest are counted in one more
// outcome.
const maxMemberOutcomes = 10

// noStatus stands for the status of a rule or pack Config does not report
// yet.
const noStatus = "without a status"

// status is how a rule or pack, or one member's copy of it, stands.
type status struct {
	account string // a member's, for detailed statuses
	status  string
	code    string
	message string
}

func (s status) String() string {
	parts := []string{s.status}
	for _, p := range []string{s.code, s.message} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ": ")
}

func inProgress(s string) bool { return strings.HasSuffix(s, "_IN_PROGRESS") }
func failed(s string) bool     { return strings.HasSuffix(s, "_FAILED") }
func succeeded(s string) bool  { return s == "CREATE_SUCCESSFUL" || s == "UPDATE_SUCCESSFUL" }

// follow reads how the followed rules and packs are deployed to the
// members, reports their failures, and makes the result Pending while any
// is in progress, up to RulesPoll.MaxPolls calls.
func (r *rulesRun) follow(ctx context.Context) error {
	for _, k := range []kind{ruleKind, packKind} {
		var ds []*deployment
		var names []string
		for _, d := range r.parts[k] {
			if d.follow {
				ds = append(ds, d)
				names = append(names, d.name)
			}
		}
		if len(ds) == 0 {
			continue
		}
		statuses, err := r.statuses(ctx, k, names)
		if op, ok := awsclient.UnavailableOperation(err); ok {
			r.statusSkip[k] = fmt.Sprintf("deployment of the %ss to the members: %s", k, awsclient.UnavailableReason(op))
			continue
		}
		if err != nil {
			return classify(fmt.Sprintf("read the organization %ss' status in %s", k, r.region), MultiAccountSetupPrincipal, err)
		}
		for _, d := range ds {
			st, ok := statuses[d.name]
			switch {
			case !ok:
				d.inProgress = noStatus
			case inProgress(st.status):
				d.inProgress = st.status
			case succeeded(st.status):
				d.reason += fmt.Sprintf("; deployed to the members (%s)", st.status)
			case failed(st.status):
				if err := r.memberFailures(ctx, d, st); err != nil {
					return err
				}
			default:
				d.failures = append(d.failures, r.failure(r.security, fmt.Sprintf("%s %s: %s", k, d.name, st)))
			}
		}
	}

	var pending []*deployment
	for _, k := range []kind{ruleKind, packKind} {
		for _, d := range r.parts[k] {
			if d.inProgress != "" {
				pending = append(pending, d)
			}
		}
	}
	if len(pending) == 0 {
		return nil
	}
	checks, most := r.polls+1, RulesPoll.MaxPolls
	if checks < most {
		r.res.Pending, r.res.Polls = true, checks
		for _, d := range pending {
			d.reason += fmt.Sprintf("; deploying to the members (%s), check %d of %d", d.inProgress, checks, most)
		}
		r.log.InfoContext(ctx, "deployment to the members in progress", "pending", len(pending), "checks", checks)
		return nil
	}
	for _, d := range pending {
		d.failures = append(d.failures, r.failure(r.security, fmt.Sprintf("%s %s: still %s after %d checks", d.kind, d.name, d.inProgress, checks)))
	}
	return nil
}

func (r *rulesRun) failure(account, reason string) workflow.Outcome {
	return workflow.Outcome{Account: account, Region: r.region, Service: settings.ServiceConfig, Status: workflow.StatusFailed, Reason: reason}
}

// statuses reads the status of the rules or packs called names, by name.
// Config refuses the whole call when one of the names is missing, so names
// are read NamesPerCall at a time, and one at a time after such a refusal;
// a missing one has no status.
func (r *rulesRun) statuses(ctx context.Context, k kind, names []string) (map[string]status, error) {
	found := map[string]status{}
	read := r.ruleStatuses
	noSuch := "NoSuchOrganizationConfigRuleException"
	if k == packKind {
		read, noSuch = r.packStatuses, "NoSuchOrganizationConformancePackException"
	}
	for chunk := range slices.Chunk(names, NamesPerCall) {
		err := read(ctx, chunk, found)
		if awsclient.ErrorCode(err) != noSuch {
			if err != nil {
				return nil, err
			}
			continue
		}
		for _, name := range chunk {
			if err := read(ctx, []string{name}, found); err != nil && awsclient.ErrorCode(err) != noSuch {
				return nil, err
			}
		}
	}
	return found, nil
}

func (r *rulesRun) ruleStatuses(ctx context.Context, names []string, found map[string]status) error {
	pages := configservice.NewDescribeOrganizationConfigRuleStatusesPaginator(r.api, &configservice.DescribeOrganizationConfigRuleStatusesInput{
		OrganizationConfigRuleNames: names,
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, s := range page.OrganizationConfigRuleStatuses {
			found[aws.ToString(s.OrganizationConfigRuleName)] = status{
				status: string(s.OrganizationRuleStatus), code: aws.ToString(s.ErrorCode), message: aws.ToString(s.ErrorMessage),
			}
		}
	}
	return nil
}

func (r *rulesRun) packStatuses(ctx context.Context, names []string, found map[string]status) error {
	pages := configservice.NewDescribeOrganizationConformancePackStatusesPaginator(r.api, &configservice.DescribeOrganizationConformancePackStatusesInput{
		OrganizationConformancePackNames: names,
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, s := range page.OrganizationConformancePackStatuses {
			found[aws.ToString(s.OrganizationConformancePackName)] = status{
				status: string(s.Status), code: aws.ToString(s.ErrorCode), message: aws.ToString(s.ErrorMessage),
			}
		}
	}
	return nil
}

// memberFailures reports the members in which d, whose status st is
// failed, failed: one outcome per member account, at most
// maxMemberOutcomes. Without member details the failure is reported under
// the security account, with the organization-wide error.
func (r *rulesRun) memberFailures(ctx context.Context, d *deployment, st status) error {
	members, err := r.memberStatuses(ctx, d)
	if op, ok := awsclient.UnavailableOperation(err); ok {
		d.failures = append(d.failures, r.failure(r.security, fmt.Sprintf("%s %s: %s (which members failed is not known: %s)", d.kind, d.name, st, awsclient.UnavailableReason(op))))
		return nil
	}
	if err != nil {
		return classify(fmt.Sprintf("read the members' status of organization %s %s in %s", d.kind, d.name, r.region), MultiAccountSetupPrincipal, err)
	}
	var bad []status
	for _, m := range members {
		if failed(m.status) {
			bad = append(bad, m)
		}
	}
	if len(bad) == 0 {
		d.failures = append(d.failures, r.failure(r.security, fmt.Sprintf("%s %s: %s", d.kind, d.name, st)))
		return nil
	}
	slices.SortStableFunc(bad, func(a, b status) int { return strings.Compare(a.account, b.account) })
	for i, m := range bad {
		if i == maxMemberOutcomes {
			d.failures = append(d.failures, r.failure(r.security, fmt.Sprintf("%s %s: %d more member accounts failed", d.kind, d.name, len(bad)-maxMemberOutcomes)))
			break
		}
		d.failures = append(d.failures, r.failure(m.account, fmt.Sprintf("%s %s: %s", d.kind, d.name, m)))
	}
	r.log.WarnContext(ctx, "deployment to members failed", "kind", d.kind.String(), "name", d.name, "accounts", len(bad))
	return nil
}

// memberStatuses reads the status of d in each member account.
func (r *rulesRun) memberStatuses(ctx context.Context, d *deployment) ([]status, error) {
	var out []status
	if d.kind == ruleKind {
		pages := configservice.NewGetOrganizationConfigRuleDetailedStatusPaginator(r.api, &configservice.GetOrganizationConfigRuleDetailedStatusInput{
			OrganizationConfigRuleName: aws.String(d.name),
		})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, err
			}
			for _, m := range page.OrganizationConfigRuleDetailedStatus {
				out = append(out, status{account: aws.ToString(m.AccountId), status: string(m.MemberAccountRuleStatus), code: aws.ToString(m.ErrorCode), message: aws.ToString(m.ErrorMessage)})
			}
		}
		return out, nil
	}
	pages := configservice.NewGetOrganizationConformancePackDetailedStatusPaginator(r.api, &configservice.GetOrganizationConformancePackDetailedStatusInput{
		OrganizationConformancePackName: aws.String(d.name),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range page.OrganizationConformancePackDetailedStatuses {
			out = append(out, status{account: aws.ToString(m.AccountId), status: string(m.Status), code: aws.ToString(m.ErrorCode), message: aws.ToString(m.ErrorMessage)})
		}
	}
	return out, nil
}
