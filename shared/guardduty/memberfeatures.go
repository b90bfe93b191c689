package guardduty

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// memberFeaturesPart begins the reasons of the member detectors' part.
const memberFeaturesPart = "member detectors' features"

// MemberDetectorsAPI reads and updates the protection plans of the
// members' detectors.
type MemberDetectorsAPI interface {
	GetMemberDetectors(ctx context.Context, in *guardduty.GetMemberDetectorsInput, optFns ...func(*guardduty.Options)) (*guardduty.GetMemberDetectorsOutput, error)
	UpdateMemberDetectors(ctx context.Context, in *guardduty.UpdateMemberDetectorsInput, optFns ...func(*guardduty.Options)) (*guardduty.UpdateMemberDetectorsOutput, error)
}

// memberFeatures gives the detectors of members (account IDs, in order) of
// detector id the protection plans of r.features. Nothing is done in plan
// mode before the detector exists (id ""): it has no members yet.
func (r *orgRun) memberFeatures(ctx context.Context, api MemberDetectorsAPI, id string, members []string) error {
	if id == "" {
		return nil
	}
	if len(members) == 0 {
		r.add(workflow.StatusUnchanged, memberFeaturesPart+": there are no members")
		return nil
	}
	differ, diffs, err := r.readMembers(ctx, api, id, members)
	if skip, ok := r.unavailable(err); ok {
		r.add(workflow.StatusSkipped, skip)
		return nil
	}
	if err != nil {
		return awsclient.Classify("read GuardDuty's member detectors in "+r.region, err)
	}
	if len(differ) == 0 {
		reason := fmt.Sprintf("%s: all %d members match the configuration", memberFeaturesPart, len(members))
		if len(diffs.unread) > 0 {
			reason = fmt.Sprintf("%s: the %d members read match the configuration, %d were not read", memberFeaturesPart, len(members)-len(diffs.unread), len(diffs.unread))
		}
		r.add(workflow.StatusUnchanged, reason)
		return nil
	}
	reason := fmt.Sprintf("%s: %d of %d members differ: %s", memberFeaturesPart, len(differ), len(members), diffs.summary())
	if r.plan() {
		var acts []workflow.Action
		for batch := range slices.Chunk(differ, MembersPerCall) {
			acts = append(acts, workflow.Action{Call: CallUpdateMemberDetectors, Target: accountsTarget(batch)})
		}
		r.add("", reason, acts...)
		return nil
	}
	return r.updateMembers(ctx, api, id, differ, reason)
}

// memberUpdate is the progress of the UpdateMemberDetectors calls of one
// run.
type memberUpdate struct {
	// unprocessed holds GuardDuty's reason for each account it did not
	// update.
	unprocessed map[string]string
	// acts are the calls made, each naming the accounts it updated.
	acts []workflow.Action
	// dropped is set once features the region does not offer were left
	// out: that is done once in the run.
	dropped bool
}

// updateMembers gives the detectors of the members of differ the
// protection plans of r.features: UpdateMemberDetectors in calls of at
// most MembersPerCall, the accounts GuardDuty leaves unprocessed tried once
// more. It adds the outcome of the calls made, with reason, a skipped one
// when the endpoint does not offer UpdateMemberDetectors, else a failed one
// naming the accounts left unprocessed.
func (r *orgRun) updateMembers(ctx context.Context, api MemberDetectorsAPI, id string, differ []string, reason string) error {
	u := &memberUpdate{unprocessed: map[string]string{}}
	skip, err := r.updateMemberDetectors(ctx, api, id, u, differ)
	if err == nil && skip == "" && len(u.unprocessed) > 0 {
		var again []string
		for _, a := range differ {
			if _, ok := u.unprocessed[a]; ok {
				again = append(again, a)
			}
		}
		r.log.InfoContext(ctx, "trying the unprocessed member detectors again", "accounts", len(again))
		skip, err = r.updateMemberDetectors(ctx, api, id, u, again)
	}
	if err != nil {
		return err
	}
	if len(u.acts) > 0 {
		r.log.InfoContext(ctx, "updated GuardDuty's member detectors", "calls", len(u.acts))
		r.add("", reason, u.acts...)
	}
	if skip != "" {
		r.add(workflow.StatusSkipped, skip)
		return nil
	}
	if len(u.unprocessed) > 0 {
		var parts []string
		for _, a := range differ {
			if why, ok := u.unprocessed[a]; ok {
				parts = append(parts, fmt.Sprintf("%s (%s)", a, why))
			}
		}
		r.log.Warn("GuardDuty did not update some member detectors", "accounts", parts)
		r.add(workflow.StatusFailed, fmt.Sprintf("%s: UpdateMemberDetectors did not update %d account(s): %s", memberFeaturesPart, len(parts), capped(parts, "; ")))
	}
	return nil
}

// updateMemberDetectors calls UpdateMemberDetectors for accounts, at most
// MembersPerCall a call, and records the outcome of each call in u. skip is
// the reason when the endpoint does not offer UpdateMemberDetectors.
func (r *orgRun) updateMemberDetectors(ctx context.Context, api MemberDetectorsAPI, id string, u *memberUpdate, accounts []string) (skip string, err error) {
	for batch := range slices.Chunk(accounts, MembersPerCall) {
		out, skip, err := r.updateMemberBatch(ctx, api, id, u, batch)
		if skip != "" || err != nil {
			return skip, err
		}
		u.record(batch, out.UnprocessedAccounts)
	}
	return "", nil
}

// updateMemberBatch makes one UpdateMemberDetectors call with r.features.
// The first time in the run that GuardDuty refuses features the region
// does not offer, it leaves them out of r.features and calls again.
func (r *orgRun) updateMemberBatch(ctx context.Context, api MemberDetectorsAPI, id string, u *memberUpdate, batch []string) (out *guardduty.UpdateMemberDetectorsOutput, skip string, err error) {
	for {
		out, err = api.UpdateMemberDetectors(ctx, &guardduty.UpdateMemberDetectorsInput{
			DetectorId: aws.String(id), AccountIds: batch, Features: memberFeatureInput(r.features),
		})
		if err == nil {
			return out, "", nil
		}
		if skip, ok := r.unavailable(err); ok {
			return nil, skip, nil
		}
		if !u.dropped {
			if kept, ok := r.fallback("UpdateMemberDetectors", r.features, err); ok {
				r.features, u.dropped = kept, true
				continue
			}
		}
		return nil, "", awsclient.Classify("update GuardDuty's member detectors in "+r.region, err)
	}
}

// record notes the accounts of batch that one UpdateMemberDetectors call
// updated, and GuardDuty's reason for those it left unprocessed.
func (u *memberUpdate) record(batch []string, unprocessed []gdtypes.UnprocessedAccount) {
	left := map[string]bool{}
	for _, a := range unprocessed {
		left[aws.ToString(a.AccountId)] = true
		u.unprocessed[aws.ToString(a.AccountId)] = aws.ToString(a.Result)
	}
	var done []string
	for _, a := range batch {
		if !left[a] {
			done = append(done, a)
			delete(u.unprocessed, a)
		}
	}
	if len(done) > 0 {
		u.acts = append(u.acts, workflow.Action{Call: CallUpdateMemberDetectors, Target: accountsTarget(done)})
	}
}

// memberDiffs are the differences of the members' detectors.
type memberDiffs struct {
	// order lists the differences as first met; count says how many
	// members have each.
	order []string
	count map[string]int
	// unread holds GuardDuty's reason for each member it did not read.
	unread map[string]string
}

// summary names each difference and how many members have it.
func (d memberDiffs) summary() string {
	parts := make([]string, len(d.order))
	for i, s := range d.order {
		parts[i] = fmt.Sprintf("%s (%d)", s, d.count[s])
	}
	return strings.Join(parts, "; ")
}

// readMembers reads the detectors of members and returns, in order, those
// whose features differ from r.features. Members GuardDuty does not read
// are left out, with a warning.
func (r *orgRun) readMembers(ctx context.Context, api MemberDetectorsAPI, id string, members []string) (differ []string, diffs memberDiffs, err error) {
	diffs = memberDiffs{count: map[string]int{}, unread: map[string]string{}}
	current := map[string]map[string]featureState{}
	for batch := range slices.Chunk(members, MembersPerCall) {
		out, err := api.GetMemberDetectors(ctx, &guardduty.GetMemberDetectorsInput{DetectorId: aws.String(id), AccountIds: batch})
		if err != nil {
			return nil, diffs, err
		}
		for _, m := range out.MemberDataSourceConfigurations {
			fs := map[string]featureState{}
			for _, f := range m.Features {
				st := featureState{status: f.Status, agents: map[string]gdtypes.FeatureStatus{}}
				for _, a := range f.AdditionalConfiguration {
					st.agents[string(a.Name)] = a.Status
				}
				fs[string(f.Name)] = st
			}
			current[aws.ToString(m.AccountId)] = fs
		}
		for _, u := range out.UnprocessedAccounts {
			diffs.unread[aws.ToString(u.AccountId)] = aws.ToString(u.Result)
		}
	}
	var unread []string
	for _, a := range members {
		fs, ok := current[a]
		if !ok {
			why, given := diffs.unread[a]
			if !given {
				why = "not returned"
				diffs.unread[a] = why
			}
			unread = append(unread, fmt.Sprintf("%s (%s)", a, why))
			continue
		}
		diff := featureDiff(fs, r.features)
		if len(diff) == 0 {
			continue
		}
		differ = append(differ, a)
		for _, s := range diff {
			if diffs.count[s] == 0 {
				diffs.order = append(diffs.order, s)
			}
			diffs.count[s]++
		}
	}
	if len(unread) > 0 {
		r.log.Warn("GuardDuty did not read some member detectors", "accounts", unread)
		r.res.Warnings = append(r.res.Warnings, fmt.Sprintf("guardduty in %s: GetMemberDetectors did not read %d member(s), left as they are: %s",
			r.region, len(unread), capped(unread, "; ")))
	}
	return differ, diffs, nil
}

func memberFeatureInput(fs []feature) []gdtypes.MemberFeaturesConfiguration {
	out := make([]gdtypes.MemberFeaturesConfiguration, 0, len(fs))
	for _, f := range fs {
		c := gdtypes.MemberFeaturesConfiguration{Name: gdtypes.OrgFeature(f.name), Status: status(f.on)}
		if f.on {
			for _, a := range f.agents {
				c.AdditionalConfiguration = append(c.AdditionalConfiguration, gdtypes.MemberAdditionalConfiguration{
					Name: gdtypes.OrgFeatureAdditionalConfiguration(a), Status: gdtypes.FeatureStatusEnabled,
				})
			}
		}
		out = append(out, c)
	}
	return out
}

// accountsTarget names the accounts of an UpdateMemberDetectors call as
// membersTarget does.
func accountsTarget(accounts []string) string {
	if len(accounts) <= maxTargetIDs {
		return strings.Join(accounts, ",")
	}
	return fmt.Sprintf("%s and %d more (%d accounts)", strings.Join(accounts[:maxTargetIDs], ","), len(accounts)-maxTargetIDs, len(accounts))
}

// capped joins the first maxTargetIDs items and says how many more there
// are.
func capped(items []string, sep string) string {
	if len(items) <= maxTargetIDs {
		return strings.Join(items, sep)
	}
	return fmt.Sprintf("%s%sand %d more", strings.Join(items[:maxTargetIDs], sep), sep, len(items)-maxTargetIDs)
}
