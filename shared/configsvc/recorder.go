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
	cfgtypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
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

// RecorderAPI reads and puts the configuration recorders of one account
// and region.
type RecorderAPI interface {
	DescribeConfigurationRecorders(ctx context.Context, in *configservice.DescribeConfigurationRecordersInput, optFns ...func(*configservice.Options)) (*configservice.DescribeConfigurationRecordersOutput, error)
	PutConfigurationRecorder(ctx context.Context, in *configservice.PutConfigurationRecorderInput, optFns ...func(*configservice.Options)) (*configservice.PutConfigurationRecorderOutput, error)
}

// RecordingAPI reads whether a recorder records and starts it.
type RecordingAPI interface {
	DescribeConfigurationRecorderStatus(ctx context.Context, in *configservice.DescribeConfigurationRecorderStatusInput, optFns ...func(*configservice.Options)) (*configservice.DescribeConfigurationRecorderStatusOutput, error)
	StartConfigurationRecorder(ctx context.Context, in *configservice.StartConfigurationRecorderInput, optFns ...func(*configservice.Options)) (*configservice.StartConfigurationRecorderOutput, error)
}

// DeliveryChannelAPI reads and puts the delivery channels of one account
// and region.
type DeliveryChannelAPI interface {
	DescribeDeliveryChannels(ctx context.Context, in *configservice.DescribeDeliveryChannelsInput, optFns ...func(*configservice.Options)) (*configservice.DescribeDeliveryChannelsOutput, error)
	PutDeliveryChannel(ctx context.Context, in *configservice.PutDeliveryChannelInput, optFns ...func(*configservice.Options)) (*configservice.PutDeliveryChannelOutput, error)
}

// ConfigAPI is the part of the AWS Config client the config-recorders step
// uses, in one account and region.
type ConfigAPI interface {
	RecorderAPI
	RecordingAPI
	DeliveryChannelAPI
}

// IAMAPI is the part of the IAM client the config-recorders step uses, in
// one account: the service-linked role.
type IAMAPI interface {
	GetRole(ctx context.Context, in *iam.GetRoleInput, optFns ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	CreateServiceLinkedRole(ctx context.Context, in *iam.CreateServiceLinkedRoleInput, optFns ...func(*iam.Options)) (*iam.CreateServiceLinkedRoleOutput, error)
}

var (
	_ RecorderAPI        = (*configservice.Client)(nil)
	_ RecordingAPI       = (*configservice.Client)(nil)
	_ DeliveryChannelAPI = (*configservice.Client)(nil)
	_ ConfigAPI          = (*configservice.Client)(nil)
	_ IAMAPI             = (*iam.Client)(nil)
)

// Deps are the clients of one invocation.
type Deps struct {
	// Config returns AWS Config in the item's account, in a region.
	Config func(region string) ConfigAPI
	// IAM acts in the item's account.
	IAM IAMAPI
	// KeyARN returns the delivery key's ARN; it is called only when the
	// deliveries are encrypted. Its error is a named workflow error.
	KeyARN func(ctx context.Context) (string, error)
}

// Converge is the config-recorders step for the item's account, in every
// region of item.Regions (an item that names one Region alone is that
// region).
//
// In the account (the Lambda's own role in the management account, the
// execution role elsewhere), in order:
//
//  1. In every region, RecordersSpec.RegionConcurrency at a time:
//     config:DescribeConfigurationRecorders, DescribeDeliveryChannels and,
//     for an existing recorder, DescribeConfigurationRecorderStatus.
//  2. Once for the account, when a region needs it (IAM is global):
//     iam:GetRole AWSServiceRoleForConfig, the role the recorder records
//     with; and with services.config.kmsEncryption (the default)
//     kms:DescribeKey on the delivery key's alias in the security account's
//     home region, once per container (an awsclient.KeyResolver).
//  3. iam:CreateServiceLinkedRole when the role is missing, by the first
//     region that needs it, before the other regions act. IAM's answer that
//     the name "has been taken" means it exists now, which is success.
//  4. In every region: config:PutConfigurationRecorder when the recorder is
//     missing or its settings differ: the role above, all supported
//     resource types, global resource types (IAM) in the home region only,
//     the configured recording frequency. An existing recorder keeps its
//     name: an account has one recorder per region.
//  5. config:PutDeliveryChannel when the channel is missing or differs: the
//     log-archive account's Config bucket, no key prefix, the security
//     account's key when encrypted, the configured snapshot frequency. An
//     existing channel keeps its name and its SNS topic.
//  6. config:StartConfigurationRecorder when the recorder is not recording.
//
// Everything is read before anything is changed. Control Tower's recorder
// and channel (names that begin with ControlTowerPrefix) keep their
// settings, with a warning: Control Tower owns them and would put them back.
// Its recorder is still started, and given a channel when it has none. In
// plan mode nothing is changed and the actions are reported; a re-run on a
// converged account makes no mutating call.
//
// One region's trouble is that region's row: an endpoint without one of the
// operations (awsclient.UnavailableOperation), a region without Config and
// an opt-in region the account has not enabled are skipped; an error that
// retrying does not fix (AccessDenied, a missing bucket) is the region's
// failed row, and the other regions go on. Only what retrying may fix
// (throttling, a role or a channel not visible yet) is returned as the
// step's error, a named workflow error, for the state machine to call the
// account again: its converged regions then cost reads only.
func Converge(ctx context.Context, d Deps, cfg settings.Config, item workflow.Item, log *slog.Logger) (workflow.StepResult, error) {
	res := workflow.StepResult{Step: RecordersSpec.Name, Mode: item.Input.Mode, Outcomes: []workflow.Outcome{}}
	regions := item.Regions
	if len(regions) == 0 && item.Region != "" {
		regions = []string{item.Region}
	}
	if reason := skippedItem(cfg, item, regions); reason != "" {
		for _, region := range orDash(regions) {
			res.Add(workflow.Outcome{Account: orDash([]string{item.Account})[0], Region: region, Service: settings.ServiceConfig, Status: workflow.StatusSkipped, Reason: reason})
		}
		return res, nil
	}
	a := &account{d: d, cfg: cfg, id: item.Account, plan: item.Input.Mode == workflow.ModePlan, log: log}
	for _, region := range regions {
		a.regions = append(a.regions, a.newRegion(region))
	}
	if err := a.converge(ctx); err != nil {
		return res, err
	}
	for _, r := range a.regions {
		res.Warnings = append(res.Warnings, r.res.Warnings...)
		taken := len(r.out.Actions) > 0 && !a.plan
		res.Add(r.out)
		// A part skipped after others were changed is still a change.
		res.Changed = res.Changed || taken
	}
	return res, nil
}

// skippedItem returns why the item has nothing to do, "" when it has: no
// account or no region, Config switched off, or left out by the services
// filter.
func skippedItem(cfg settings.Config, item workflow.Item, regions []string) string {
	switch {
	case item.Account == "" || len(regions) == 0:
		return "the item names no account or no region"
	case !cfg.Enabled(settings.ServiceConfig):
		return "config is disabled in the configuration"
	case !item.Input.WantsService(settings.ServiceConfig):
		return "config is not in the services filter"
	}
	return ""
}

// orDash returns list, or ["-"] when it is empty or its one value is "".
func orDash(list []string) []string {
	if len(list) == 0 || (len(list) == 1 && list[0] == "") {
		return []string{"-"}
	}
	return list
}

// run is one invocation of the step.
type run struct {
	d       Deps
	cfg     settings.Config
	account string
	region  string
	plan    bool
	// config is AWS Config in the account and region.
	config ConfigAPI
	// res holds the region's warnings; out is its row.
	res *workflow.StepResult
	out workflow.Outcome
	// st is what was read; done says the row is final (skipped or failed)
	// and the region takes no further part.
	st   state
	done bool
	log  *slog.Logger
}

// state is what the step read in the account and region.
type state struct {
	// recorder is the customer managed recorder, nil when there is none.
	recorder *cfgtypes.ConfigurationRecorder
	// recording is whether the recorder records.
	recording bool
	// channel is the delivery channel, nil when there is none.
	channel *cfgtypes.DeliveryChannel
	// roleMissing is whether the service-linked role is to be created;
	// false too when the recorder is Control Tower's and the role is not
	// read.
	roleMissing bool
	// keyARN is the delivery key's ARN, "" without encryption.
	keyARN string
}

// read reads the recorder, the channel and the recording status of the
// region into r.st; a region that does not offer a call, and trouble that
// retrying does not fix, settle the region's row (settle).
func (r *run) read(ctx context.Context) error {
	var skip string
	var err error
	if r.st.recorder, skip, err = r.readRecorder(ctx, r.config); skip != "" || err != nil {
		return r.settle(skip, err)
	}
	if r.st.channel, skip, err = r.readChannel(ctx, r.config); skip != "" || err != nil {
		return r.settle(skip, err)
	}
	if r.st.recorder != nil {
		if r.st.recording, skip, err = r.readRecording(ctx, r.config, aws.ToString(r.st.recorder.Name)); skip != "" || err != nil {
			return r.settle(skip, err)
		}
	}
	return nil
}

// act compares what was read with the configuration and, in apply mode,
// makes the change; roleCreated says the service-linked role was created
// earlier in this invocation.
func (r *run) act(ctx context.Context, roleCreated bool) error {
	c := r.compare(r.st)
	if r.plan {
		r.out.Actions, r.out.Reason = c.actions(), c.reason()
		return nil
	}
	skip, err := r.apply(ctx, &c, &r.out, roleCreated)
	r.out.Reason = c.reason()
	if err != nil || skip != "" {
		return r.settle(skip, err)
	}
	return nil
}

// settle ends the region with its row, keeping the actions already taken:
// skipped with skip; skipped when the account's credentials are refused in
// an opt-in region (the account has not enabled it); failed with an error
// retrying does not fix. An error retrying may fix is returned, for the
// state machine to call the account again.
func (r *run) settle(skip string, err error) error {
	switch {
	case err == nil && skip == "":
		return nil
	case err == nil:
		r.out.Status, r.out.Reason = workflow.StatusSkipped, join(skip, r.out.Reason)
	default:
		earlier := r.out.Reason
		if serr := step.SettleRegion(&r.out, "AWS Config", err); serr != nil {
			return serr
		}
		if r.out.Status == workflow.StatusFailed {
			r.out.Reason = join(r.out.Reason, earlier)
			r.log.Warn("region failed", "error", err.Error())
		}
	}
	r.done = true
	return nil
}

func join(first, then string) string {
	if then == "" {
		return first
	}
	return first + "; " + then
}

// readRecorder returns the customer managed recorder, nil when there is
// none; more than one is a warning, and the first is used.
func (r *run) readRecorder(ctx context.Context, api RecorderAPI) (*cfgtypes.ConfigurationRecorder, string, error) {
	recs, err := api.DescribeConfigurationRecorders(ctx, &configservice.DescribeConfigurationRecordersInput{})
	if skip, ok := r.configUnavailable(err); ok {
		return nil, skip, nil
	}
	if err != nil {
		return nil, "", awsclient.Classify("describe the Config recorders in "+r.where(), err)
	}
	var recorder *cfgtypes.ConfigurationRecorder
	var others []string
	for i, c := range recs.ConfigurationRecorders {
		// Service-linked recorders belong to other services and do not
		// count against the one customer managed recorder.
		if aws.ToString(c.ServicePrincipal) != "" {
			continue
		}
		if recorder == nil {
			recorder = &recs.ConfigurationRecorders[i]
			continue
		}
		others = append(others, aws.ToString(c.Name))
	}
	if len(others) > 0 {
		r.warn(fmt.Sprintf("Config lists more than one recorder; %s is used, %s left alone", aws.ToString(recorder.Name), strings.Join(others, ", ")))
	}
	return recorder, "", nil
}

// readChannel returns the delivery channel, nil when there is none.
func (r *run) readChannel(ctx context.Context, api DeliveryChannelAPI) (*cfgtypes.DeliveryChannel, string, error) {
	chs, err := api.DescribeDeliveryChannels(ctx, &configservice.DescribeDeliveryChannelsInput{})
	if skip, ok := r.configUnavailable(err); ok {
		return nil, skip, nil
	}
	if err != nil {
		return nil, "", awsclient.Classify("describe the Config delivery channels in "+r.where(), err)
	}
	if len(chs.DeliveryChannels) > 0 {
		return &chs.DeliveryChannels[0], "", nil
	}
	return nil, "", nil
}

// readRecording reports whether the recorder called name records.
func (r *run) readRecording(ctx context.Context, api RecordingAPI, name string) (bool, string, error) {
	status, err := api.DescribeConfigurationRecorderStatus(ctx, &configservice.DescribeConfigurationRecorderStatusInput{ConfigurationRecorderNames: []string{name}})
	if skip, ok := r.configUnavailable(err); ok {
		return false, skip, nil
	}
	if err != nil {
		return false, "", awsclient.Classify("describe the status of Config recorder "+name+" in "+r.where(), err)
	}
	recording := false
	for _, s := range status.ConfigurationRecordersStatus {
		if aws.ToString(s.Name) == name {
			recording = s.Recording
		}
	}
	return recording, "", nil
}

// roleMissing reports whether the service-linked role is missing.
func (r *run) roleMissing(ctx context.Context, api IAMAPI) (bool, string, error) {
	_, err := api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(ServiceLinkedRoleName)})
	var nse *iamtypes.NoSuchEntityException
	switch {
	case errors.As(err, &nse):
		return true, "", nil
	case err != nil:
		if skip, ok := r.unavailable(err); ok {
			return false, skip, nil
		}
		return false, "", awsclient.Classify("read the role "+ServiceLinkedRoleName+" in "+r.account, err)
	}
	return false, "", nil
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
