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
// detector id the protection plans of r.features ("GetMemberDetectors",
// "UpdateMemberDetectors", GuardDuty API Reference). Nothing is done in plan
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
		r.add("", reason, workflow.Action{Call: CallUpdateMemberDetectors, Target: countAccounts(len(differ))})
		return nil
	}
	return r.updateMembers(ctx, api, id, differ, diffs, reason)
}

// memberUpdate is the progress of the UpdateMemberDetectors calls of one
// run.
type memberUpdate struct {
	// features are r.features less those the region turns out not to
	// offer for members (refused); present are the features the members'
	// detectors list, current each member's, as read.
	features []feature
	present  present
	current  map[string]map[string]featureState
	// updated holds the accounts whose detectors were updated.
	updated map[string]bool
	// unprocessed holds GuardDuty's reason for each account it did not
	// update.
	unprocessed map[string]string
}

// updateMembers gives the detectors of the members of differ the
// protection plans of r.features: UpdateMemberDetectors in calls of at
// most MembersPerCall, the accounts GuardDuty leaves unprocessed tried once
// more. It adds the part's outcome, with reason and one action counting the
// accounts updated (failed when none was and some were left unprocessed),
// a skipped one when the endpoint does not offer UpdateMemberDetectors, and
// an outcome for each account updated or left unprocessed (addRows).
func (r *orgRun) updateMembers(ctx context.Context, api MemberDetectorsAPI, id string, differ []string, diffs memberDiffs, reason string) error {
	u := &memberUpdate{features: r.features, present: diffs.present, current: diffs.current, updated: map[string]bool{}, unprocessed: map[string]string{}}
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
	var rows []accountRow
	for _, a := range differ {
		if why, ok := u.unprocessed[a]; ok {
			rows = append(rows, accountRow{account: a, status: workflow.StatusFailed, reason: "UpdateMemberDetectors did not update it: " + why})
		} else if u.updated[a] {
			rows = append(rows, accountRow{account: a, status: workflow.StatusChanged, reason: "updated"})
		}
	}
	note := fmt.Sprintf("; %d updated, %d not updated", len(u.updated), len(u.unprocessed)) + r.addRows(memberFeaturesPart, rows)
	switch {
	case len(u.updated) > 0:
		r.log.InfoContext(ctx, "updated GuardDuty's member detectors", "accounts", len(u.updated))
		r.add("", reason+note, workflow.Action{Call: CallUpdateMemberDetectors, Target: countAccounts(len(u.updated))})
	case len(u.unprocessed) > 0:
		r.add(workflow.StatusFailed, reason+note)
	}
	if skip != "" {
		r.add(workflow.StatusSkipped, skip)
	}
	return nil
}

// updateMemberDetectors calls UpdateMemberDetectors for accounts, at most
// MembersPerCall a call, and records the outcome of each call in u. skip is
// the reason when the endpoint does not offer UpdateMemberDetectors.
func (r *orgRun) updateMemberDetectors(ctx context.Context, api MemberDetectorsAPI, id string, u *memberUpdate, accounts []string) (skip string, err error) {
	for batch := range slices.Chunk(accounts, MembersPerCall) {
		sent, out, skip, err := r.updateMemberBatch(ctx, api, id, u, batch)
		if skip != "" || err != nil {
			return skip, err
		}
		u.record(sent, out.UnprocessedAccounts)
	}
	return "", nil
}

// updateMemberBatch makes one UpdateMemberDetectors call for the members of
// batch that differ from u's features, with the features of u a call
// sends: those the configuration enables, and the disabled ones the
// members' detectors list (sendable). It returns the accounts sent. When
// GuardDuty refuses features the region does not offer for members, it
// leaves them out of u (refused) and calls again, for the members that
// still differ.
func (r *orgRun) updateMemberBatch(ctx context.Context, api MemberDetectorsAPI, id string, u *memberUpdate, batch []string) (sent []string, out *guardduty.UpdateMemberDetectorsOutput, skip string, err error) {
	for {
		if batch = u.differing(batch); len(batch) == 0 {
			return nil, &guardduty.UpdateMemberDetectorsOutput{}, "", nil
		}
		out, err = api.UpdateMemberDetectors(ctx, &guardduty.UpdateMemberDetectorsInput{
			DetectorId: aws.String(id), AccountIds: batch, Features: memberFeatureInput(sendable(u.features, u.present)),
		})
		if err == nil {
			return batch, out, "", nil
		}
		if skip, ok := r.unavailable(err); ok {
			return nil, nil, skip, nil
		}
		if !r.refused("UpdateMemberDetectors", err, &u.features, u.present) {
			return nil, nil, "", awsclient.Classify("update GuardDuty's member detectors in "+r.region, err)
		}
	}
}

// differing returns the accounts whose detectors, as read, differ from u's
// features.
func (u *memberUpdate) differing(accounts []string) []string {
	var out []string
	for _, a := range accounts {
		if len(featureDiff(u.current[a], u.features)) > 0 {
			out = append(out, a)
		}
	}
	return out
}

// record notes the accounts of batch that one UpdateMemberDetectors call
// updated, and GuardDuty's reason for those it left unprocessed.
func (u *memberUpdate) record(batch []string, unprocessed []gdtypes.UnprocessedAccount) {
	left := map[string]bool{}
	for _, a := range unprocessed {
		left[aws.ToString(a.AccountId)] = true
		u.unprocessed[aws.ToString(a.AccountId)] = aws.ToString(a.Result)
	}
	for _, a := range batch {
		if !left[a] {
			u.updated[a] = true
			delete(u.unprocessed, a)
		}
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
	// present are the features the members' detectors list, current each
	// member's.
	present present
	current map[string]map[string]featureState
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
	diffs = memberDiffs{count: map[string]int{}, unread: map[string]string{}, present: present{}, current: map[string]map[string]featureState{}}
	current := diffs.current
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
			diffs.present.add(fs)
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
