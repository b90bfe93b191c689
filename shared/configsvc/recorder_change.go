package configsvc

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfgtypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// change is what the step has to do.
type change struct {
	createRole bool
	// roleNote describes the service-linked role, for the outcome's
	// reason; "" when it exists.
	roleNote string
	// recorder is the recorder to put, nil when it matches or is Control
	// Tower's.
	recorder *cfgtypes.ConfigurationRecorder
	// channel is the channel to put, nil when it matches or is Control
	// Tower's.
	channel *cfgtypes.DeliveryChannel
	// start names the recorder to start, "" when it records.
	start string
	// notes describe the recorder's and the channel's differences, for the
	// outcome's reason.
	notes []string
}

// reason describes the change.
func (c change) reason() string {
	if c.roleNote == "" {
		return strings.Join(c.notes, "; ")
	}
	return strings.Join(append([]string{c.roleNote}, c.notes...), "; ")
}

// actions lists the calls of c, in the order they are made.
func (c change) actions() []workflow.Action {
	var acts []workflow.Action
	if c.createRole {
		acts = append(acts, workflow.Action{Call: CallCreateServiceLinkedRole, Target: Principal})
	}
	if c.recorder != nil {
		acts = append(acts, workflow.Action{Call: CallPutConfigurationRecorder, Target: aws.ToString(c.recorder.Name)})
	}
	if c.channel != nil {
		acts = append(acts, workflow.Action{Call: CallPutDeliveryChannel, Target: aws.ToString(c.channel.Name)})
	}
	if c.start != "" {
		acts = append(acts, workflow.Action{Call: CallStartConfigurationRecorder, Target: c.start})
	}
	return acts
}

// compare works out the change from what was read.
func (r *run) compare(st state) change {
	var c change
	note := func(format string, a ...any) { c.notes = append(c.notes, fmt.Sprintf(format, a...)) }
	opts := r.cfg.Services.Config

	recName := opts.RecorderName
	if st.recorder != nil {
		recName = aws.ToString(st.recorder.Name)
	}
	switch {
	case st.recorder != nil && controlTower(st.recorder.Name):
		note("recorder %s is managed by Control Tower: its settings are left to Control Tower", recName)
		r.warn(fmt.Sprintf("recorder %s is managed by Control Tower; orgbaseline leaves its settings to Control Tower and only makes sure it records and has a delivery channel", recName))
	default:
		if st.roleMissing {
			c.createRole = true
			c.roleNote = "service-linked role " + ServiceLinkedRoleName + " is missing"
		}
		want := r.wantRecorder(recName)
		if st.recorder == nil {
			c.recorder = &want
			note("recorder %s is missing", recName)
		} else if diff := recorderDiff(*st.recorder, want); len(diff) > 0 {
			c.recorder = &want
			note("recorder %s: %s", recName, strings.Join(diff, ", "))
		}
	}

	chName := opts.DeliveryChannelName
	if st.channel != nil {
		chName = aws.ToString(st.channel.Name)
	}
	switch {
	case st.channel != nil && controlTower(st.channel.Name):
		note("delivery channel %s is managed by Control Tower: left as it is", chName)
		r.warn(fmt.Sprintf("delivery channel %s is managed by Control Tower; orgbaseline leaves it as it is", chName))
	default:
		want := r.wantChannel(chName, st)
		if st.channel == nil {
			c.channel = &want
			note("delivery channel %s is missing", chName)
		} else if diff := channelDiff(*st.channel, want); len(diff) > 0 {
			c.channel = &want
			note("delivery channel %s: %s", chName, strings.Join(diff, ", "))
		}
	}

	switch {
	case st.recorder == nil:
		c.start = recName
	case !st.recording:
		c.start = recName
		note("recorder %s is not recording", recName)
	}
	if len(c.notes) == 0 && !c.createRole {
		note("recorder %s and delivery channel %s match the configuration; recording", recName, chName)
	}
	return c
}

// wantRecorder is the recorder the configuration wants, named name.
func (r *run) wantRecorder(name string) cfgtypes.ConfigurationRecorder {
	return cfgtypes.ConfigurationRecorder{
		Name:    aws.String(name),
		RoleARN: aws.String(ServiceLinkedRoleARN(r.account)),
		RecordingGroup: &cfgtypes.RecordingGroup{
			AllSupported:               true,
			IncludeGlobalResourceTypes: r.region == r.cfg.HomeRegion,
		},
		RecordingMode: &cfgtypes.RecordingMode{RecordingFrequency: cfgtypes.RecordingFrequency(r.cfg.Services.Config.RecordingFrequency)},
	}
}

// wantChannel is the channel the configuration wants, named name. An
// existing channel's SNS topic is kept: the configuration says nothing of
// it.
func (r *run) wantChannel(name string, st state) cfgtypes.DeliveryChannel {
	ch := cfgtypes.DeliveryChannel{
		Name:         aws.String(name),
		S3BucketName: aws.String(BucketName(r.cfg)),
		ConfigSnapshotDeliveryProperties: &cfgtypes.ConfigSnapshotDeliveryProperties{
			DeliveryFrequency: cfgtypes.MaximumExecutionFrequency(r.cfg.Services.Config.SnapshotFrequency),
		},
	}
	if st.keyARN != "" {
		ch.S3KmsKeyArn = aws.String(st.keyARN)
	}
	if st.channel != nil {
		ch.SnsTopicARN = st.channel.SnsTopicARN
	}
	return ch
}

// recorderDiff lists how got differs from want. A recorder without a
// recording mode records continuously, Config's default.
func recorderDiff(got, want cfgtypes.ConfigurationRecorder) []string {
	var diff []string
	if g, w := aws.ToString(got.RoleARN), aws.ToString(want.RoleARN); g != w {
		diff = append(diff, fmt.Sprintf("role %s, want %s", orUnset(g), w))
	}
	g, w := got.RecordingGroup, want.RecordingGroup
	switch {
	case g == nil:
		diff = append(diff, "no recording group, want all supported resource types")
	default:
		if !allSupported(*g) {
			diff = append(diff, "records selected resource types, want all supported")
		}
		if g.IncludeGlobalResourceTypes != w.IncludeGlobalResourceTypes {
			diff = append(diff, fmt.Sprintf("global resource types %s, want %s", onOff(g.IncludeGlobalResourceTypes), onOff(w.IncludeGlobalResourceTypes)))
		}
	}
	freq, overrides := cfgtypes.RecordingFrequencyContinuous, 0
	if m := got.RecordingMode; m != nil {
		if m.RecordingFrequency != "" {
			freq = m.RecordingFrequency
		}
		overrides = len(m.RecordingModeOverrides)
	}
	if wf := want.RecordingMode.RecordingFrequency; freq != wf {
		diff = append(diff, fmt.Sprintf("recording frequency %s, want %s", freq, wf))
	}
	if overrides > 0 {
		diff = append(diff, fmt.Sprintf("%d recording frequency override(s), want none", overrides))
	}
	return diff
}

// allSupported reports whether g records every supported resource type.
func allSupported(g cfgtypes.RecordingGroup) bool {
	if !g.AllSupported || len(g.ResourceTypes) > 0 {
		return false
	}
	if e := g.ExclusionByResourceTypes; e != nil && len(e.ResourceTypes) > 0 {
		return false
	}
	if s := g.RecordingStrategy; s != nil && s.UseOnly != "" && s.UseOnly != cfgtypes.RecordingStrategyTypeAllSupportedResourceTypes {
		return false
	}
	return true
}

// channelDiff lists how got differs from want.
func channelDiff(got, want cfgtypes.DeliveryChannel) []string {
	var diff []string
	if g, w := aws.ToString(got.S3BucketName), aws.ToString(want.S3BucketName); g != w {
		diff = append(diff, fmt.Sprintf("bucket %s, want %s", orUnset(g), w))
	}
	if g := aws.ToString(got.S3KeyPrefix); g != "" {
		diff = append(diff, fmt.Sprintf("key prefix %s, want none", g))
	}
	if g, w := aws.ToString(got.S3KmsKeyArn), aws.ToString(want.S3KmsKeyArn); g != w {
		diff = append(diff, fmt.Sprintf("KMS key %s, want %s", orUnset(g), orUnset(w)))
	}
	var g cfgtypes.MaximumExecutionFrequency
	if p := got.ConfigSnapshotDeliveryProperties; p != nil {
		g = p.DeliveryFrequency
	}
	if w := want.ConfigSnapshotDeliveryProperties.DeliveryFrequency; g != w {
		diff = append(diff, fmt.Sprintf("snapshot frequency %s, want %s", orUnset(string(g)), w))
	}
	return diff
}

func orUnset(s string) string {
	if s == "" {
		return "unset"
	}
	return s
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
