package guardduty

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// DetectorsAPI finds the security account's detector in a region, or
// creates it when there is none.
type DetectorsAPI interface {
	guardduty.ListDetectorsAPIClient
	CreateDetector(ctx context.Context, in *guardduty.CreateDetectorInput, optFns ...func(*guardduty.Options)) (*guardduty.CreateDetectorOutput, error)
}

// DetectorAPI reads a detector and updates its settings.
type DetectorAPI interface {
	GetDetector(ctx context.Context, in *guardduty.GetDetectorInput, optFns ...func(*guardduty.Options)) (*guardduty.GetDetectorOutput, error)
	UpdateDetector(ctx context.Context, in *guardduty.UpdateDetectorInput, optFns ...func(*guardduty.Options)) (*guardduty.UpdateDetectorOutput, error)
}

// detector converges the administrator's detector and returns its ID: ""
// in plan mode when there is none yet. skipped is the reason the detector
// could not be read or made. The detector is found or created through
// all, and read and updated through one.
func (r *orgRun) detector(ctx context.Context, all DetectorsAPI, one DetectorAPI) (id, skipped string, err error) {
	ids, err := listDetectors(ctx, all)
	if notOffered(err) {
		r.add(workflow.StatusSkipped, "GuardDuty is not offered in "+r.region)
		r.regionOff = true
		return "", "", nil
	}
	if skip, ok := r.unavailable(err); ok {
		return "", skip, nil
	}
	if err != nil {
		return "", "", awsclient.Classify("list GuardDuty detectors in "+r.region, err)
	}
	if len(ids) > 0 {
		return r.convergeDetector(ctx, one, ids[0], false)
	}
	reason := fmt.Sprintf("no detector: create one, findings published every %s, with %s", r.freq, describeFeatures(r.features))
	if r.plan() {
		r.add("", reason, workflow.Action{Call: CallCreateDetector})
		return "", "", nil
	}
	id, err = r.createDetector(ctx, all)
	if skip, ok := r.unavailable(err); ok {
		return "", skip, nil
	}
	switch {
	case err == nil:
		r.log.InfoContext(ctx, "created the GuardDuty detector", "detector", id)
		r.add("", reason, workflow.Action{Call: CallCreateDetector, Target: id})
		return r.convergeDetector(ctx, one, id, true)
	case !alreadyExists(err):
		return "", "", awsclient.Classify("create the GuardDuty detector in "+r.region, err)
	}
	// Made meanwhile (GuardDuty makes one for a new administrator):
	// converge the one there is.
	if ids, err = listDetectors(ctx, all); err != nil {
		return "", "", awsclient.Classify("list GuardDuty detectors in "+r.region, err)
	}
	if len(ids) == 0 {
		return "", "", &workflow.NotReadyError{Op: "GuardDuty detector in " + r.region, Err: fmt.Errorf("CreateDetector says one exists, ListDetectors shows none")}
	}
	return r.convergeDetector(ctx, one, ids[0], false)
}

func listDetectors(ctx context.Context, api guardduty.ListDetectorsAPIClient) ([]string, error) {
	var ids []string
	pages := guardduty.NewListDetectorsPaginator(api, &guardduty.ListDetectorsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		ids = append(ids, page.DetectorIds...)
	}
	return ids, nil
}

// createDetector creates the detector with the features the configuration
// enables: before there is a detector, no read tells which features the
// region knows. GuardDuty enables every feature a CreateDetector call does
// not name, RUNTIME_MONITORING excepted ("CreateDetector", GuardDuty API
// Reference), so the caller reads the new detector and converges it. When
// GuardDuty refuses the call (BadRequestException) for another reason than
// an existing detector, the detector is created again naming no feature at
// all: whatever the region does not offer is then found by converging it.
func (r *orgRun) createDetector(ctx context.Context, api DetectorsAPI) (string, error) {
	in := &guardduty.CreateDetectorInput{Enable: aws.Bool(true), FindingPublishingFrequency: r.freq}
	out, err := api.CreateDetector(ctx, withFeatures(in, detectorFeatures(sendable(r.features, present{}))))
	var br *gdtypes.BadRequestException
	if err != nil && errors.As(err, &br) && !alreadyExists(err) {
		r.log.Warn("CreateDetector refused with features: creating the detector without naming any", "message", br.ErrorMessage())
		out, err = api.CreateDetector(ctx, in)
	}
	if err != nil {
		return "", err
	}
	return aws.ToString(out.DetectorId), nil
}

func withFeatures(in *guardduty.CreateDetectorInput, fs []gdtypes.DetectorFeatureConfiguration) *guardduty.CreateDetectorInput {
	c := *in
	c.Features = fs
	return &c
}

// convergeDetector reads detector id and updates it where it differs from
// the configuration ("GetDetector", "UpdateDetector", GuardDuty API
// Reference); created says the run has just created it, when a matching
// detector needs no outcome of its own. The update sends the features the
// configuration enables and the disabled ones the detector lists
// (sendable). Features the region turns out not to offer for detectors are
// left out of r.features (refused), here and in the later parts.
func (r *orgRun) convergeDetector(ctx context.Context, api DetectorAPI, id string, created bool) (string, string, error) {
	got, err := api.GetDetector(ctx, &guardduty.GetDetectorInput{DetectorId: aws.String(id)})
	if skip, ok := r.unavailable(err); ok {
		return "", skip, nil
	}
	if err != nil {
		return "", "", awsclient.Classify("read GuardDuty detector "+id+" in "+r.region, err)
	}
	p := present{}
	p.add(detectorStates(got.Features))
	prefix := "detector " + id
	if created {
		prefix += " as created"
	}
	diff := detectorDiff(got, r.freq, r.features)
	for len(diff) > 0 && !r.plan() {
		_, err := api.UpdateDetector(ctx, &guardduty.UpdateDetectorInput{
			DetectorId: aws.String(id), Enable: aws.Bool(true), FindingPublishingFrequency: r.freq, Features: detectorFeatures(sendable(r.features, p)),
		})
		if err == nil {
			r.log.InfoContext(ctx, "updated the GuardDuty detector", "detector", id, "differences", diff)
			break
		}
		if skip, ok := r.unavailable(err); ok {
			r.add(workflow.StatusSkipped, prefix+": "+skip)
			return id, "", nil
		}
		if !r.refused("UpdateDetector", err, &r.features, p) {
			return "", "", awsclient.Classify("update GuardDuty detector "+id+" in "+r.region, err)
		}
		diff = detectorDiff(got, r.freq, r.features)
	}
	switch {
	case len(diff) > 0:
		r.add("", prefix+": "+strings.Join(diff, "; "), workflow.Action{Call: CallUpdateDetector, Target: id})
	case !created:
		r.add(workflow.StatusUnchanged, prefix+" matches the configuration")
	}
	return id, "", nil
}

func detectorFeatures(fs []feature) []gdtypes.DetectorFeatureConfiguration {
	out := make([]gdtypes.DetectorFeatureConfiguration, 0, len(fs))
	for _, f := range fs {
		c := gdtypes.DetectorFeatureConfiguration{Name: gdtypes.DetectorFeature(f.name), Status: status(f.on)}
		if f.on {
			for _, a := range f.agents {
				c.AdditionalConfiguration = append(c.AdditionalConfiguration, gdtypes.DetectorAdditionalConfiguration{
					Name: gdtypes.FeatureAdditionalConfiguration(a), Status: gdtypes.FeatureStatusEnabled,
				})
			}
		}
		out = append(out, c)
	}
	return out
}

// detectorDiff lists how the detector differs from the configuration. A
// feature the detector does not list counts as disabled.
func detectorDiff(got *guardduty.GetDetectorOutput, freq gdtypes.FindingPublishingFrequency, fs []feature) []string {
	var diff []string
	if got.Status != gdtypes.DetectorStatusEnabled {
		diff = append(diff, fmt.Sprintf("status %s, want ENABLED", orNone(string(got.Status))))
	}
	if got.FindingPublishingFrequency != freq {
		diff = append(diff, fmt.Sprintf("FindingPublishingFrequency %s, want %s", orNone(string(got.FindingPublishingFrequency)), freq))
	}
	return append(diff, featureDiff(detectorStates(got.Features), fs)...)
}

// detectorStates are the features of a detector as GetDetector lists them.
func detectorStates(fs []gdtypes.DetectorFeatureConfigurationResult) map[string]featureState {
	current := map[string]featureState{}
	for _, f := range fs {
		st := featureState{status: f.Status, agents: map[string]gdtypes.FeatureStatus{}}
		for _, a := range f.AdditionalConfiguration {
			st.agents[string(a.Name)] = a.Status
		}
		current[string(f.Name)] = st
	}
	return current
}

// alreadyExists: CreateDetector's answer when the account has a detector in
// the region.
func alreadyExists(err error) bool {
	var br *gdtypes.BadRequestException
	return errors.As(err, &br) && strings.Contains(strings.ToLower(br.ErrorMessage()), "already exists")
}
