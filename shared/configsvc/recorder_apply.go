package configsvc

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cfgtypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// apply makes the change, appending each call made to out.Actions. skip is
// the reason when the endpoint does not offer a call. roleCreated says
// another region of the account created the service-linked role in this
// invocation.
func (r *run) apply(ctx context.Context, c *change, out *workflow.Outcome, roleCreated bool) (skip string, err error) {
	done := func(call, target string) {
		out.Actions = append(out.Actions, workflow.Action{Call: call, Target: target})
	}
	if c.createRole {
		var created bool
		if created, skip, err = r.createRole(ctx, r.d.IAM, c); skip != "" || err != nil {
			return skip, err
		}
		if created {
			roleCreated = true
			done(CallCreateServiceLinkedRole, Principal)
		}
	}
	if c.recorder != nil {
		if skip, err = r.putRecorder(ctx, r.config, c.recorder, roleCreated); skip != "" || err != nil {
			return skip, err
		}
		done(CallPutConfigurationRecorder, aws.ToString(c.recorder.Name))
	}
	if c.channel != nil {
		if skip, err = r.putChannel(ctx, r.config, c.channel); skip != "" || err != nil {
			return skip, err
		}
		done(CallPutDeliveryChannel, aws.ToString(c.channel.Name))
	}
	if c.start != "" {
		if skip, err = r.startRecorder(ctx, r.config, c.start); skip != "" || err != nil {
			return skip, err
		}
		done(CallStartConfigurationRecorder, c.start)
	}
	return "", nil
}

// createRole creates the service-linked role and reports whether this call
// created it. When another region of the account made it first, c's note
// says so.
func (r *run) createRole(ctx context.Context, api IAMAPI, c *change) (created bool, skip string, err error) {
	_, err = api.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String(Principal)})
	switch {
	case roleTaken(err):
		// Made since it was read, e.g. by another run.
		c.roleNote = "service-linked role " + ServiceLinkedRoleName + " was created meanwhile"
		r.log.InfoContext(ctx, "the service-linked role exists already", "role", ServiceLinkedRoleName, "answer", err.Error())
		return false, "", nil
	case err != nil:
		if skip, ok := r.unavailable(err); ok {
			return false, skip, nil
		}
		return false, "", awsclient.Classify("create the role "+ServiceLinkedRoleName+" in "+r.account, err)
	}
	r.log.InfoContext(ctx, "created the service-linked role", "role", ServiceLinkedRoleName)
	return true, "", nil
}

// putRecorder puts recorder; roleCreated says the role it records with was
// just created.
func (r *run) putRecorder(ctx context.Context, api RecorderAPI, recorder *cfgtypes.ConfigurationRecorder, roleCreated bool) (skip string, err error) {
	name := aws.ToString(recorder.Name)
	_, err = api.PutConfigurationRecorder(ctx, &configservice.PutConfigurationRecorderInput{ConfigurationRecorder: recorder})
	if skip, ok := r.configUnavailable(err); ok {
		return skip, nil
	}
	if err != nil {
		return "", r.recorderError(name, roleCreated, err)
	}
	r.log.InfoContext(ctx, "put the Config recorder", "recorder", name)
	return "", nil
}

// putChannel puts the delivery channel.
func (r *run) putChannel(ctx context.Context, api DeliveryChannelAPI, channel *cfgtypes.DeliveryChannel) (skip string, err error) {
	name := aws.ToString(channel.Name)
	_, err = api.PutDeliveryChannel(ctx, &configservice.PutDeliveryChannelInput{DeliveryChannel: channel})
	if skip, ok := r.configUnavailable(err); ok {
		return skip, nil
	}
	if err != nil {
		return "", r.channelError(name, aws.ToString(channel.S3BucketName), err)
	}
	r.log.InfoContext(ctx, "put the Config delivery channel", "channel", name)
	return "", nil
}

// startRecorder starts the recorder called name. Config's answer that there
// is no delivery channel is a *workflow.RetryableError: a channel put just
// before may not be visible yet.
func (r *run) startRecorder(ctx context.Context, api RecordingAPI, name string) (skip string, err error) {
	_, err = api.StartConfigurationRecorder(ctx, &configservice.StartConfigurationRecorderInput{ConfigurationRecorderName: aws.String(name)})
	if skip, ok := r.configUnavailable(err); ok {
		return skip, nil
	}
	var noChannel *cfgtypes.NoAvailableDeliveryChannelException
	if errors.As(err, &noChannel) {
		return "", &workflow.RetryableError{Op: "start Config recorder " + name + " in " + r.where(), Err: err}
	}
	if err != nil {
		return "", awsclient.Classify("start Config recorder "+name+" in "+r.where(), err)
	}
	r.log.InfoContext(ctx, "started the Config recorder", "recorder", name)
	return "", nil
}

// recorderError names PutConfigurationRecorder's error. A second recorder
// refused means one appeared since the read: the next attempt reuses it. A
// role refused right after it was created is IAM's propagation delay.
func (r *run) recorderError(name string, roleCreated bool, err error) error {
	op := "put Config recorder " + name + " in " + r.where()
	var (
		tooMany *cfgtypes.MaxNumberOfConfigurationRecordersExceededException
		badRole *cfgtypes.InvalidRoleException
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
		policy     *cfgtypes.InsufficientDeliveryPolicyException
		noRecorder *cfgtypes.NoAvailableConfigurationRecorderException
		noChannel  *cfgtypes.NoAvailableDeliveryChannelException
		noBucket   *cfgtypes.NoSuchBucketException
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
