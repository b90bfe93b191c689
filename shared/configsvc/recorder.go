// Package configrecorder is the config-recorders step: AWS Config's
// recorder and delivery channel in one account and region per invocation.
// The state machine fans out over the run's accounts, and for each over its
// regions; every iteration gets a workflow.Item naming the account and the
// region.
//
// In the account (the Lambda's own role in the management account, the
// execution role elsewhere), in order:
//
//  1. config:DescribeConfigurationRecorders, DescribeDeliveryChannels and,
//     for an existing recorder, DescribeConfigurationRecorderStatus.
//  2. iam:GetRole AWSServiceRoleForConfig: the role the recorder records
//     with. IAM is global, so every region of the account checks it.
//  3. With services.config.kmsEncryption (the default): kms:DescribeKey on
//     the delivery key's alias in the security account's home region, once
//     per container (an awsclient.KeyResolver).
//  4. iam:CreateServiceLinkedRole when the role is missing. Another region
//     of the same account may create it at the same moment; IAM's answer
//     that the name "has been taken" means it exists now, which is success.
//  5. config:PutConfigurationRecorder when the recorder is missing or its
//     settings differ: the role above, all supported resource types, global
//     resource types (IAM) in the home region only, the configured
//     recording frequency. An existing recorder keeps its name: an account
//     has one recorder per region.
//  6. config:PutDeliveryChannel when the channel is missing or differs: the
//     log-archive account's Config bucket, no key prefix, the security
//     account's key when encrypted, the configured snapshot frequency. An
//     existing channel keeps its name and its SNS topic.
//  7. config:StartConfigurationRecorder when the recorder is not recording.
//
// Everything is read before anything is changed. Control Tower's recorder
// and channel (names that begin with ControlTowerPrefix) keep their
// settings, with a warning: Control Tower owns them and would put them back.
// Its recorder is still started, and given a channel when it has none. In
// plan mode nothing is changed and the actions are reported; a re-run on a
// converged account and region makes no mutating call.
//
// An endpoint without one of the operations (awsclient.UnavailableOperation)
// and a region without Config are skipped, not failed.
package configsvc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cstypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// The actions of the config-recorders step.
const (
	CallCreateServiceLinkedRole    = "iam:CreateServiceLinkedRole"
	CallPutConfigurationRecorder   = "config:PutConfigurationRecorder"
	CallPutDeliveryChannel         = "config:PutDeliveryChannel"
	CallStartConfigurationRecorder = "config:StartConfigurationRecorder"
)

// ControlTowerPrefix begins the names of the recorder and delivery channel
// that AWS Control Tower manages (aws-controltower-BaselineConfigRecorder,
// aws-controltower-BaselineConfigDeliveryChannel).
const ControlTowerPrefix = "aws-controltower-"

// Hints of the terminal errors: what has to be deployed before the step.
const (
	logArchiveStackHint = "deploy the log-archive account's stack " + workflow.LogArchiveStackName + " first (`cdk deploy --all`)"
)

// ConfigAPI is the part of the AWS Config client the step uses, in one
// account and region.
type ConfigAPI interface {
	DescribeConfigurationRecorders(ctx context.Context, in *configservice.DescribeConfigurationRecordersInput, optFns ...func(*configservice.Options)) (*configservice.DescribeConfigurationRecordersOutput, error)
	DescribeConfigurationRecorderStatus(ctx context.Context, in *configservice.DescribeConfigurationRecorderStatusInput, optFns ...func(*configservice.Options)) (*configservice.DescribeConfigurationRecorderStatusOutput, error)
	DescribeDeliveryChannels(ctx context.Context, in *configservice.DescribeDeliveryChannelsInput, optFns ...func(*configservice.Options)) (*configservice.DescribeDeliveryChannelsOutput, error)
	PutConfigurationRecorder(ctx context.Context, in *configservice.PutConfigurationRecorderInput, optFns ...func(*configservice.Options)) (*configservice.PutConfigurationRecorderOutput, error)
	PutDeliveryChannel(ctx context.Context, in *configservice.PutDeliveryChannelInput, optFns ...func(*configservice.Options)) (*configservice.PutDeliveryChannelOutput, error)
	StartConfigurationRecorder(ctx context.Context, in *configservice.StartConfigurationRecorderInput, optFns ...func(*configservice.Options)) (*configservice.StartConfigurationRecorderOutput, error)
}

// IAMAPI is the part of the IAM client the step uses, in one account.
type IAMAPI interface {
	GetRole(ctx context.Context, in *iam.GetRoleInput, optFns ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	CreateServiceLinkedRole(ctx context.Context, in *iam.CreateServiceLinkedRoleInput, optFns ...func(*iam.Options)) (*iam.CreateServiceLinkedRoleOutput, error)
}

var (
	_ ConfigAPI = (*configservice.Client)(nil)
	_ IAMAPI    = (*iam.Client)(nil)
)

// Deps are the clients of one invocation.
type Deps struct {
	// Config acts in the item's account and region.
	Config ConfigAPI
	// IAM acts in the item's account.
	IAM IAMAPI
	// KeyARN returns the delivery key's ARN; it is called only when the
	// deliveries are encrypted. Its error is a named workflow error.
	KeyARN func(ctx context.Context) (string, error)
}

// Converge is the config-recorders step for the item's account and region
// (see the package documentation). Its error, if any, is a named workflow
// error; nothing is changed after a read fails.
func Converge(ctx context.Context, d Deps, cfg settings.Config, item workflow.Item, log *slog.Logger) (workflow.StepResult, error) {
	in := item.Input
	res := workflow.StepResult{Step: RecordersSpec.Name, Mode: in.Mode, Outcomes: []workflow.Outcome{}}
	out := workflow.Outcome{Account: item.Account, Region: item.Region, Service: settings.ServiceConfig}
	if skippedItem(cfg, item, &out) {
		res.Add(out)
		return res, nil
	}
	r := &run{d: d, cfg: cfg, account: item.Account, region: item.Region, plan: in.Mode == workflow.ModePlan, res: &res, log: log}
	if err := r.converge(ctx, &out); err != nil {
		return res, err
	}
	taken := len(out.Actions) > 0 && !r.plan
	res.Add(out)
	// A part skipped after others were changed is still a change.
	res.Changed = res.Changed || taken
	return res, nil
}

// skippedItem fills out as skipped, and reports true, when the iteration has
// nothing to do: no account or region, Config switched off, or left out by
// the services filter.
func skippedItem(cfg settings.Config, item workflow.Item, out *workflow.Outcome) bool {
	switch {
	case item.Account == "" || item.Region == "":
		if out.Account == "" {
			out.Account = "-"
		}
		if out.Region == "" {
			out.Region = "-"
		}
		out.Reason = "the item names no account or no region"
	case !cfg.Enabled(settings.ServiceConfig):
		out.Reason = "config is disabled in the configuration"
	case !item.Input.WantsService(settings.ServiceConfig):
		out.Reason = "config is not in the services filter"
	default:
		return false
	}
	out.Status = workflow.StatusSkipped
	return true
}

// run is one invocation of the step.
type run struct {
	d       Deps
	cfg     settings.Config
	account string
	region  string
	plan    bool
	res     *workflow.StepResult
	log     *slog.Logger
}

// state is what the step read in the account and region.
type state struct {
	// recorder is the customer managed recorder, nil when there is none.
	recorder *cstypes.ConfigurationRecorder
	// recording is whether the recorder records.
	recording bool
	// channel is the delivery channel, nil when there is none.
	channel *cstypes.DeliveryChannel
	// roleMissing is whether the service-linked role is to be created;
	// false too when the recorder is Control Tower's and the role is not
	// read.
	roleMissing bool
	// keyARN is the delivery key's ARN, "" without encryption.
	keyARN string
}

// converge reads, compares and acts, filling out with the actions and the
// reason. A part the endpoint does not offer ends the run with out
// skipped, keeping the actions already taken.
func (r *run) converge(ctx context.Context, out *workflow.Outcome) error {
	st, skip, err := r.read(ctx)
	if err != nil {
		return err
	}
	if skip != "" {
		out.Status, out.Reason = workflow.StatusSkipped, skip
		return nil
	}
	c := r.compare(st)
	if r.plan {
		out.Actions, out.Reason = c.actions(), c.reason()
		return nil
	}
	skip, err = r.apply(ctx, &c, out)
	out.Reason = c.reason()
	if err != nil {
		return err
	}
	if skip != "" {
		out.Status = workflow.StatusSkipped
		out.Reason = skip + "; " + out.Reason
	}
	return nil
}

// read reads the recorder, the channel, the recording status, the
// service-linked role and the key. skip is the reason when the region or
// the endpoint does not offer a call.
func (r *run) read(ctx context.Context) (st state, skip string, err error) {
	recs, err := r.d.Config.DescribeConfigurationRecorders(ctx, &configservice.DescribeConfigurationRecordersInput{})
	if skip, ok := r.configUnavailable(err); ok {
		return st, skip, nil
	}
	if err != nil {
		return st, "", awsclient.Classify("describe the Config recorders in "+r.where(), err)
	}
	var others []string
	for i, c := range recs.ConfigurationRecorders {
		// Service-linked recorders belong to other services and do not
		// count against the one customer managed recorder.
		if aws.ToString(c.ServicePrincipal) != "" {
			continue
		}
		if st.recorder == nil {
			st.recorder = &recs.ConfigurationRecorders[i]
			continue
		}
		others = append(others, aws.ToString(c.Name))
	}
	if len(others) > 0 {
		r.warn(fmt.Sprintf("Config lists more than one recorder; %s is used, %s left alone", aws.ToString(st.recorder.Name), strings.Join(others, ", ")))
	}

	chs, err := r.d.Config.DescribeDeliveryChannels(ctx, &configservice.DescribeDeliveryChannelsInput{})
	if skip, ok := r.configUnavailable(err); ok {
		return st, skip, nil
	}
	if err != nil {
		return st, "", awsclient.Classify("describe the Config delivery channels in "+r.where(), err)
	}
	if len(chs.DeliveryChannels) > 0 {
		st.channel = &chs.DeliveryChannels[0]
	}

	if st.recorder != nil {
		name := aws.ToString(st.recorder.Name)
		status, err := r.d.Config.DescribeConfigurationRecorderStatus(ctx, &configservice.DescribeConfigurationRecorderStatusInput{ConfigurationRecorderNames: []string{name}})
		if skip, ok := r.configUnavailable(err); ok {
			return st, skip, nil
		}
		if err != nil {
			return st, "", awsclient.Classify("describe the status of Config recorder "+name+" in "+r.where(), err)
		}
		for _, s := range status.ConfigurationRecordersStatus {
			if aws.ToString(s.Name) == name {
				st.recording = s.Recording
			}
		}
	}

	if st.recorder == nil || !controlTower(st.recorder.Name) {
		_, err := r.d.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(ServiceLinkedRoleName)})
		var nse *iamtypes.NoSuchEntityException
		switch {
		case errors.As(err, &nse):
			st.roleMissing = true
		case err != nil:
			if skip, ok := r.unavailable(err); ok {
				return st, skip, nil
			}
			return st, "", awsclient.Classify("read the role "+ServiceLinkedRoleName+" in "+r.account, err)
		}
	}

	if r.cfg.Services.Config.Encrypted() && (st.channel == nil || !controlTower(st.channel.Name)) {
		if st.keyARN, err = r.d.KeyARN(ctx); err != nil {
			return st, "", err
		}
	}
	return st, "", nil
}

// change is what the step has to do.
type change struct {
	createRole bool
	// roleNote describes the service-linked role, for the outcome's
	// reason; "" when it exists.
	roleNote string
	// recorder is the recorder to put, nil when it matches or is Control
	// Tower's.
	recorder *cstypes.ConfigurationRecorder
	// channel is the channel to put, nil when it matches or is Control
	// Tower's.
	channel *cstypes.DeliveryChannel
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
func (r *run) wantRecorder(name string) cstypes.ConfigurationRecorder {
	return cstypes.ConfigurationRecorder{
		Name:    aws.String(name),
		RoleARN: aws.String(ServiceLinkedRoleARN(r.account)),
		RecordingGroup: &cstypes.RecordingGroup{
			AllSupported:               true,
			IncludeGlobalResourceTypes: r.region == r.cfg.HomeRegion,
		},
		RecordingMode: &cstypes.RecordingMode{RecordingFrequency: cstypes.RecordingFrequency(r.cfg.Services.Config.RecordingFrequency)},
	}
}

// wantChannel is the channel the configuration wants, named name. An
// existing channel's SNS topic is kept: the configuration says nothing of
// it.
func (r *run) wantChannel(name string, st state) cstypes.DeliveryChannel {
	ch := cstypes.DeliveryChannel{
		Name:         aws.String(name),
		S3BucketName: aws.String(BucketName(r.cfg)),
		ConfigSnapshotDeliveryProperties: &cstypes.ConfigSnapshotDeliveryProperties{
			DeliveryFrequency: cstypes.MaximumExecutionFrequency(r.cfg.Services.Config.SnapshotFrequency),
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
func recorderDiff(got, want cstypes.ConfigurationRecorder) []string {
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
	freq, overrides := cstypes.RecordingFrequencyContinuous, 0
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
func allSupported(g cstypes.RecordingGroup) bool {
	if !g.AllSupported || len(g.ResourceTypes) > 0 {
		return false
	}
	if e := g.ExclusionByResourceTypes; e != nil && len(e.ResourceTypes) > 0 {
		return false
	}
	if s := g.RecordingStrategy; s != nil && s.UseOnly != "" && s.UseOnly != cstypes.RecordingStrategyTypeAllSupportedResourceTypes {
		return false
	}
	return true
}

// channelDiff lists how got differs from want.
func channelDiff(got, want cstypes.DeliveryChannel) []string {
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
	var g cstypes.MaximumExecutionFrequency
	if p := got.ConfigSnapshotDeliveryProperties; p != nil {
		g = p.DeliveryFrequency
	}
	if w := want.ConfigSnapshotDeliveryProperties.DeliveryFrequency; g != w {
		diff = append(diff, fmt.Sprintf("snapshot frequency %s, want %s", orUnset(string(g)), w))
	}
	return diff
}

// apply makes the change, appending each call made to out.Actions. skip is
// the reason when the endpoint does not offer a call.
func (r *run) apply(ctx context.Context, c *change, out *workflow.Outcome) (skip string, err error) {
	done := func(call, target string) {
		out.Actions = append(out.Actions, workflow.Action{Call: call, Target: target})
	}
	roleCreated := false
	if c.createRole {
		_, err := r.d.IAM.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String(Principal)})
		switch {
		case roleTaken(err):
			// Another region of the account made it first.
			c.roleNote = "service-linked role " + ServiceLinkedRoleName + " was created meanwhile by another region of the account"
			r.log.InfoContext(ctx, "the service-linked role exists already", "role", ServiceLinkedRoleName, "answer", err.Error())
		case err != nil:
			if skip, ok := r.unavailable(err); ok {
				return skip, nil
			}
			return "", awsclient.Classify("create the role "+ServiceLinkedRoleName+" in "+r.account, err)
		default:
			roleCreated = true
			r.log.InfoContext(ctx, "created the service-linked role", "role", ServiceLinkedRoleName)
			done(CallCreateServiceLinkedRole, Principal)
		}
	}

	if c.recorder != nil {
		name := aws.ToString(c.recorder.Name)
		_, err := r.d.Config.PutConfigurationRecorder(ctx, &configservice.PutConfigurationRecorderInput{ConfigurationRecorder: c.recorder})
		if skip, ok := r.configUnavailable(err); ok {
			return skip, nil
		}
		if err != nil {
			return "", r.recorderError(name, roleCreated, err)
		}
		r.log.InfoContext(ctx, "put the Config recorder", "recorder", name)
		done(CallPutConfigurationRecorder, name)
	}

	if c.channel != nil {
		name := aws.ToString(c.channel.Name)
		_, err := r.d.Config.PutDeliveryChannel(ctx, &configservice.PutDeliveryChannelInput{DeliveryChannel: c.channel})
		if skip, ok := r.configUnavailable(err); ok {
			return skip, nil
		}
		if err != nil {
			return "", r.channelError(name, aws.ToString(c.channel.S3BucketName), err)
		}
		r.log.InfoContext(ctx, "put the Config delivery channel", "channel", name)
		done(CallPutDeliveryChannel, name)
	}

	if c.start != "" {
		_, err := r.d.Config.StartConfigurationRecorder(ctx, &configservice.StartConfigurationRecorderInput{ConfigurationRecorderName: aws.String(c.start)})
		if skip, ok := r.configUnavailable(err); ok {
			return skip, nil
		}
		var noChannel *cstypes.NoAvailableDeliveryChannelException
		if errors.As(err, &noChannel) {
			return "", &workflow.RetryableError{Op: "start Config recorder " + c.start + " in " + r.where(), Err: err}
		}
		if err != nil {
			return "", awsclient.Classify("start Config recorder "+c.start+" in "+r.where(), err)
		}
		r.log.InfoContext(ctx, "started the Config recorder", "recorder", c.start)
		done(CallStartConfigurationRecorder, c.start)
	}
	return "", nil
}

// recorderError names PutConfigurationRecorder's error. A second recorder
// refused means one appeared since the read: the next attempt reuses it. A
// role refused right after it was created is IAM's propagation delay.
func (r *run) recorderError(name string, roleCreated bool, err error) error {
	op := "put Config recorder " + name + " in " + r.where()
	var (
		tooMany *cstypes.MaxNumberOfConfigurationRecordersExceededException
		badRole *cstypes.InvalidRoleException
	)
	switch {
	case errors.As(err, &tooMany):
		return &workflow.RetryableError{Op: op, Err: fmt.Errorf("another recorder appeared since it was read; the next attempt uses it: %w", err)}
	case roleCreated && errors.As(err, &badRole):
		return &workflow.NotReadyError{Op: op, Err: fmt.Errorf("the service-linked role was just created and is not usable yet: %w", err)}
	}
	return awsclient.Classify(op, err)
}

// channelError names PutDeliveryChannel's error. A bucket policy or key
// policy not in effect yet, and a recorder not visible yet, pass with time;
// a missing bucket does not.
func (r *run) channelError(name, bucket string, err error) error {
	op := "put Config delivery channel " + name + " in " + r.where()
	var (
		policy     *cstypes.InsufficientDeliveryPolicyException
		noRecorder *cstypes.NoAvailableConfigurationRecorderException
		noChannel  *cstypes.NoAvailableDeliveryChannelException
		noBucket   *cstypes.NoSuchBucketException
	)
	switch {
	case errors.As(err, &policy), errors.As(err, &noRecorder), errors.As(err, &noChannel):
		return &workflow.RetryableError{Op: op, Err: err}
	case errors.As(err, &noBucket):
		return &workflow.TerminalError{Op: op, Err: fmt.Errorf("the delivery bucket %s does not exist in the log-archive account %s: %s: %w", bucket, r.cfg.Accounts.LogArchive, logArchiveStackHint, err)}
	}
	return awsclient.Classify(op, err)
}

// roleTaken reports whether CreateServiceLinkedRole's error says the role
// exists: InvalidInput "... has been taken in this account ...", as AWS
// answers. EntityAlreadyExists, which AWS does not document for this call
// but the emulator answers, means the same.
func roleTaken(err error) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.ErrorCode() {
	case "InvalidInput":
		return strings.Contains(strings.ToLower(apiErr.ErrorMessage()), "has been taken")
	case "EntityAlreadyExists":
		// Not modeled for this operation: the SDK gives it as a generic
		// API error.
		return true
	}
	return false
}

// configUnavailable reports whether err, from a Config call, says the
// region has no Config endpoint (a name that does not resolve) or the
// endpoint lacks the operation, and the outcome's reason.
func (r *run) configUnavailable(err error) (string, bool) {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		r.log.Warn("no AWS Config endpoint in the region", "host", dnsErr.Name)
		return "AWS Config is not offered in " + r.region, true
	}
	return r.unavailable(err)
}

// unavailable reports whether err says the endpoint lacks the operation,
// and the outcome's reason.
func (r *run) unavailable(err error) (string, bool) {
	op, ok := awsclient.UnavailableOperation(err)
	if !ok {
		return "", false
	}
	r.log.Warn("operation not available at the endpoint", "operation", op)
	return awsclient.UnavailableReason(op), true
}

func (r *run) warn(msg string) {
	r.res.Warnings = append(r.res.Warnings, fmt.Sprintf("config in %s: %s", r.where(), msg))
}

// where names the account and region, as in "111111111111/eu-west-1".
func (r *run) where() string { return r.account + "/" + r.region }

// controlTower reports whether name is one Control Tower manages.
func controlTower(name *string) bool {
	return strings.HasPrefix(aws.ToString(name), ControlTowerPrefix)
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
