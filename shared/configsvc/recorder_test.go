package configsvc

import (
	"context"
	"net"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfgtypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"

	"github.com/orgbaseline/orgbaseline/shared/local/awstest"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// The accounts of testSettings, a member account, and what the step wants
// for the member.
const (
	member  = "444444444444"
	keyARN  = "arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	bucket  = "orgbaseline-config-333333333333-us-east-1"
	slrARN  = "arn:aws:iam::444444444444:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
	ctName  = "aws-controltower-BaselineConfigRecorder"
	ctRole  = "arn:aws:iam::444444444444:role/aws-controltower-ConfigRecorderRole"
	snsARN  = "arn:aws:sns:eu-west-1:444444444444:config-topic"
	defName = settings.DefaultRecorderName
)

// wantRecorder is the recorder the default configuration wants for the
// member in region, named name.
func wantRecorder(name, region string) cfgtypes.ConfigurationRecorder {
	return cfgtypes.ConfigurationRecorder{
		Name: aws.String(name), RoleARN: aws.String(slrARN),
		RecordingGroup: &cfgtypes.RecordingGroup{AllSupported: true, IncludeGlobalResourceTypes: region == "us-east-1"},
		RecordingMode:  &cfgtypes.RecordingMode{RecordingFrequency: cfgtypes.RecordingFrequencyContinuous},
	}
}

// wantChannel is the channel the default configuration wants.
func wantChannel(name string) cfgtypes.DeliveryChannel {
	return cfgtypes.DeliveryChannel{
		Name: aws.String(name), S3BucketName: aws.String(bucket), S3KmsKeyArn: aws.String(keyARN),
		ConfigSnapshotDeliveryProperties: &cfgtypes.ConfigSnapshotDeliveryProperties{DeliveryFrequency: cfgtypes.MaximumExecutionFrequencyTwentyFourHours},
	}
}

// converged is an account and region as the default configuration wants
// it, the recorder as AWS reports it (with its recording strategy).
func convergedRecorder(region string) *fakes {
	f := empty()
	r := wantRecorder(defName, region)
	r.RecordingGroup.RecordingStrategy = &cfgtypes.RecordingStrategy{UseOnly: cfgtypes.RecordingStrategyTypeAllSupportedResourceTypes}
	r.RecordingGroup.ExclusionByResourceTypes = &cfgtypes.ExclusionByResourceTypes{}
	f.cfg.recorders = []cfgtypes.ConfigurationRecorder{r}
	f.cfg.channels = []cfgtypes.DeliveryChannel{wantChannel(defName)}
	f.cfg.recording[defName] = true
	f.iam.exists = true
	return f
}

func act(call, target string) workflow.Action { return workflow.Action{Call: call, Target: target} }

// fromNothing are the actions that set up Config from nothing.
var fromNothing = []workflow.Action{
	act(CallCreateServiceLinkedRole, "config.amazonaws.com"),
	act(CallPutConfigurationRecorder, defName),
	act(CallPutDeliveryChannel, defName),
	act(CallStartConfigurationRecorder, defName),
}

func TestFakePaths(t *testing.T) {
	throttled := awstest.ResponseErr("Config Service", "DescribeConfigurationRecorders", 400, &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"})
	tests := []struct {
		name    string
		extra   string
		account string // member when empty
		region  string // eu-west-1 when empty
		mode    workflow.Mode
		fakes   func() *fakes
		// wantErr is the type name of the error the state machine sees;
		// wantMsg a part of its message.
		wantErr, wantMsg string
		wantStatus       workflow.Status
		wantReason       string
		wantActions      []workflow.Action
		// wantMutating are the mutating Config calls, in order.
		wantMutating []string
		wantWarnings int
		check        func(t *testing.T, f *fakes, res workflow.StepResult)
	}{{
		name: "create from nothing", fakes: empty,
		wantStatus: workflow.StatusChanged, wantReason: "service-linked role AWSServiceRoleForConfig is missing; recorder default is missing; delivery channel default is missing",
		wantActions:  fromNothing,
		wantMutating: []string{"PutConfigurationRecorder", "PutDeliveryChannel", "StartConfigurationRecorder default"},
		check: func(t *testing.T, f *fakes, res workflow.StepResult) {
			if e, a := []*iam.CreateServiceLinkedRoleInput{{AWSServiceName: aws.String("config.amazonaws.com")}}, f.iam.creates; !reflect.DeepEqual(e, a) {
				t.Errorf("CreateServiceLinkedRole: expect %+v, got %+v", e, a)
			}
			if e, a := wantRecorder(defName, "eu-west-1"), *f.cfg.putRecorder[0].ConfigurationRecorder; !reflect.DeepEqual(e, a) {
				t.Errorf("recorder:\nexpect %+v\ngot    %+v", e, a)
			}
			if e, a := wantChannel(defName), *f.cfg.putChannel[0].DeliveryChannel; !reflect.DeepEqual(e, a) {
				t.Errorf("channel:\nexpect %+v\ngot    %+v", e, a)
			}
			if !f.cfg.recording[defName] || !res.Changed {
				t.Errorf("recording %v, changed %v", f.cfg.recording, res.Changed)
			}
		},
	}, {
		name: "already converged makes no change", fakes: func() *fakes { return convergedRecorder("eu-west-1") },
		wantStatus: workflow.StatusUnchanged, wantReason: "recorder default and delivery channel default match the configuration; recording",
		check: func(t *testing.T, f *fakes, res workflow.StepResult) {
			if res.Changed || len(f.iam.creates) > 0 {
				t.Errorf("changed %v, roles created %d", res.Changed, len(f.iam.creates))
			}
		},
	}, {
		name: "a recorder with another name is reused",
		fakes: func() *fakes {
			f := convergedRecorder("eu-west-1")
			f.cfg.recorders[0].Name = aws.String("my-recorder")
			f.cfg.recorders[0].RoleARN = aws.String("arn:aws:iam::444444444444:role/my-config-role")
			f.cfg.recorders[0].RecordingMode = &cfgtypes.RecordingMode{RecordingFrequency: cfgtypes.RecordingFrequencyDaily}
			f.cfg.recording = map[string]bool{}
			return f
		},
		wantStatus:   workflow.StatusChanged,
		wantReason:   "recorder my-recorder: role arn:aws:iam::444444444444:role/my-config-role, want " + slrARN + ", recording frequency DAILY, want CONTINUOUS; recorder my-recorder is not recording",
		wantActions:  []workflow.Action{act(CallPutConfigurationRecorder, "my-recorder"), act(CallStartConfigurationRecorder, "my-recorder")},
		wantMutating: []string{"PutConfigurationRecorder", "StartConfigurationRecorder my-recorder"},
		check: func(t *testing.T, f *fakes, res workflow.StepResult) {
			if e, a := wantRecorder("my-recorder", "eu-west-1"), f.cfg.recorders[0]; len(f.cfg.recorders) != 1 || !reflect.DeepEqual(e, a) {
				t.Errorf("recorders: expect [%+v], got %+v", e, f.cfg.recorders)
			}
		},
	}, {
		name: "a Control Tower recorder keeps its settings but gets a channel and is started",
		fakes: func() *fakes {
			f := empty()
			f.cfg.recorders = []cfgtypes.ConfigurationRecorder{{
				Name: aws.String(ctName), RoleARN: aws.String(ctRole),
				RecordingGroup: &cfgtypes.RecordingGroup{ResourceTypes: []cfgtypes.ResourceType{cfgtypes.ResourceTypeBucket}},
			}}
			return f
		},
		wantStatus:   workflow.StatusChanged,
		wantReason:   "recorder " + ctName + " is managed by Control Tower: its settings are left to Control Tower; delivery channel default is missing; recorder " + ctName + " is not recording",
		wantActions:  []workflow.Action{act(CallPutDeliveryChannel, defName), act(CallStartConfigurationRecorder, ctName)},
		wantMutating: []string{"PutDeliveryChannel", "StartConfigurationRecorder " + ctName},
		wantWarnings: 1,
		check: func(t *testing.T, f *fakes, res workflow.StepResult) {
			if f.iam.gets != 0 || len(f.iam.creates) != 0 {
				t.Errorf("the service-linked role was read (%d) or made (%d) for Control Tower's recorder", f.iam.gets, len(f.iam.creates))
			}
			if aws.ToString(f.cfg.recorders[0].RoleARN) != ctRole {
				t.Errorf("recorder changed: %+v", f.cfg.recorders[0])
			}
			if w := res.Warnings[0]; !strings.Contains(w, "444444444444/eu-west-1") || !strings.Contains(w, "managed by Control Tower") {
				t.Errorf("warning: %s", w)
			}
		},
	}, {
		name: "a Control Tower channel is left as it is",
		fakes: func() *fakes {
			f := empty()
			f.cfg.recorders = []cfgtypes.ConfigurationRecorder{{Name: aws.String(ctName), RoleARN: aws.String(ctRole)}}
			f.cfg.channels = []cfgtypes.DeliveryChannel{{Name: aws.String("aws-controltower-BaselineConfigDeliveryChannel"), S3BucketName: aws.String("aws-controltower-logs")}}
			f.cfg.recording[ctName] = true
			return f
		},
		wantStatus: workflow.StatusUnchanged, wantReason: "delivery channel aws-controltower-BaselineConfigDeliveryChannel is managed by Control Tower: left as it is",
		wantWarnings: 2,
		check: func(t *testing.T, f *fakes, res workflow.StepResult) {
			if len(f.kms.calls) != 0 {
				t.Errorf("the key was read for Control Tower's channel: %v", f.kms.calls)
			}
		},
	}, {
		name: "global resource types are recorded in the home region", region: "us-east-1", fakes: empty,
		wantStatus: workflow.StatusChanged, wantActions: fromNothing,
		wantMutating: []string{"PutConfigurationRecorder", "PutDeliveryChannel", "StartConfigurationRecorder default"},
		check: func(t *testing.T, f *fakes, res workflow.StepResult) {
			if g := f.cfg.putRecorder[0].ConfigurationRecorder.RecordingGroup; !g.IncludeGlobalResourceTypes || !g.AllSupported {
				t.Errorf("home region recording group: %+v", g)
			}
		},
	}, {
		name: "a recorder of another region's settings is corrected in the home region", region: "us-east-1",
		fakes:      func() *fakes { return convergedRecorder("eu-west-1") },
		wantStatus: workflow.StatusChanged, wantReason: "recorder default: global resource types off, want on",
		wantActions: []workflow.Action{act(CallPutConfigurationRecorder, defName)}, wantMutating: []string{"PutConfigurationRecorder"},
	}, {
		name:       "global resource types are not recorded elsewhere",
		fakes:      func() *fakes { return convergedRecorder("us-east-1") },
		wantStatus: workflow.StatusChanged, wantReason: "recorder default: global resource types on, want off",
		wantActions: []workflow.Action{act(CallPutConfigurationRecorder, defName)}, wantMutating: []string{"PutConfigurationRecorder"},
		check: func(t *testing.T, f *fakes, res workflow.StepResult) {
			if g := f.cfg.recorders[0].RecordingGroup; g.IncludeGlobalResourceTypes {
				t.Errorf("eu-west-1 recording group: %+v", g)
			}
		},
	}, {
		name: "plan makes no change and lists the actions", mode: workflow.ModePlan, fakes: empty,
		wantStatus: workflow.StatusPlanned, wantActions: fromNothing,
		check: func(t *testing.T, f *fakes, res workflow.StepResult) {
			if len(f.iam.creates) != 0 || len(f.cfg.recorders) != 0 || res.Changed {
				t.Errorf("plan changed something: roles %d, recorders %+v, changed %v", len(f.iam.creates), f.cfg.recorders, res.Changed)
			}
			if len(f.kms.calls) != 1 {
				t.Errorf("plan did not read the key: %v", f.kms.calls)
			}
		},
	}, {
		name: "plan lists only what differs", mode: workflow.ModePlan,
		fakes: func() *fakes {
			f := convergedRecorder("eu-west-1")
			f.cfg.channels[0].ConfigSnapshotDeliveryProperties = nil
			f.cfg.recording[defName] = false
			return f
		},
		wantStatus: workflow.StatusPlanned, wantReason: "delivery channel default: snapshot frequency unset, want TwentyFour_Hours; recorder default is not recording",
		wantActions: []workflow.Action{act(CallPutDeliveryChannel, defName), act(CallStartConfigurationRecorder, defName)},
	}, {
		name: "a role made meanwhile by another region is success",
		fakes: func() *fakes {
			f := empty()
			f.iam.createErr = &iamtypes.InvalidInputException{Message: aws.String("Service role name AWSServiceRoleForConfig has been taken in this account, please try a different suffix.")}
			return f
		},
		wantStatus:   workflow.StatusChanged,
		wantReason:   "service-linked role AWSServiceRoleForConfig was created meanwhile; recorder default is missing",
		wantActions:  fromNothing[1:],
		wantMutating: []string{"PutConfigurationRecorder", "PutDeliveryChannel", "StartConfigurationRecorder default"},
	}, {
		name: "another invalid input creating the role is the region's failed row",
		fakes: func() *fakes {
			f := empty()
			f.iam.createErr = &iamtypes.InvalidInputException{Message: aws.String("Invalid service name")}
			return f
		},
		wantStatus: workflow.StatusFailed, wantReason: "create the role AWSServiceRoleForConfig",
	}, {
		name: "a missing key alias says to deploy the security stack",
		fakes: func() *fakes {
			f := empty()
			f.kms.errs = []error{&kmstypes.NotFoundException{Message: aws.String("Alias arn:aws:kms:us-east-1:222222222222:alias/orgbaseline-config is not found.")}}
			return f
		},
		wantErr: workflow.ErrNameTerminal, wantMsg: "deploy the security account's stack OrgBaseline-Security first (`cdk deploy --all`)",
		check: func(t *testing.T, f *fakes, res workflow.StepResult) {
			if len(f.iam.creates) != 0 {
				t.Errorf("the role was made before the key was found")
			}
		},
	}, {
		name: "a key pending deletion fails",
		fakes: func() *fakes {
			f := empty()
			f.kms.state = kmstypes.KeyStatePendingDeletion
			return f
		},
		wantErr: workflow.ErrNameTerminal, wantMsg: "not enabled",
	}, {
		name: "without encryption the key is not read", extra: "services: {config: {kmsEncryption: false, snapshotFrequency: Six_Hours, recordingFrequency: DAILY}}",
		fakes:      empty,
		wantStatus: workflow.StatusChanged, wantActions: fromNothing,
		wantMutating: []string{"PutConfigurationRecorder", "PutDeliveryChannel", "StartConfigurationRecorder default"},
		check: func(t *testing.T, f *fakes, res workflow.StepResult) {
			ch := f.cfg.putChannel[0].DeliveryChannel
			if ch.S3KmsKeyArn != nil || ch.ConfigSnapshotDeliveryProperties.DeliveryFrequency != cfgtypes.MaximumExecutionFrequencySixHours {
				t.Errorf("channel: %+v", ch)
			}
			if m := f.cfg.putRecorder[0].ConfigurationRecorder.RecordingMode; m.RecordingFrequency != cfgtypes.RecordingFrequencyDaily {
				t.Errorf("recording mode: %+v", m)
			}
			if len(f.kms.calls) != 0 {
				t.Errorf("key read: %v", f.kms.calls)
			}
		},
	}, {
		name: "a drifted channel is put back, keeping its SNS topic",
		fakes: func() *fakes {
			f := convergedRecorder("eu-west-1")
			f.cfg.channels[0].S3KeyPrefix = aws.String("old")
			f.cfg.channels[0].S3KmsKeyArn = nil
			f.cfg.channels[0].SnsTopicARN = aws.String(snsARN)
			return f
		},
		wantStatus:  workflow.StatusChanged,
		wantReason:  "delivery channel default: key prefix old, want none, KMS key unset, want " + keyARN,
		wantActions: []workflow.Action{act(CallPutDeliveryChannel, defName)}, wantMutating: []string{"PutDeliveryChannel"},
		check: func(t *testing.T, f *fakes, res workflow.StepResult) {
			want := wantChannel(defName)
			want.SnsTopicARN = aws.String(snsARN)
			if a := *f.cfg.putChannel[0].DeliveryChannel; !reflect.DeepEqual(want, a) {
				t.Errorf("channel:\nexpect %+v\ngot    %+v", want, a)
			}
		},
	}, {
		name: "selected resource types are widened to all",
		fakes: func() *fakes {
			f := convergedRecorder("eu-west-1")
			f.cfg.recorders[0].RecordingGroup = &cfgtypes.RecordingGroup{
				ExclusionByResourceTypes: &cfgtypes.ExclusionByResourceTypes{ResourceTypes: []cfgtypes.ResourceType{cfgtypes.ResourceTypeBucket}},
				RecordingStrategy:        &cfgtypes.RecordingStrategy{UseOnly: cfgtypes.RecordingStrategyTypeExclusionByResourceTypes},
			}
			return f
		},
		wantStatus: workflow.StatusChanged, wantReason: "recorder default: records selected resource types, want all supported",
		wantActions: []workflow.Action{act(CallPutConfigurationRecorder, defName)}, wantMutating: []string{"PutConfigurationRecorder"},
	}, {
		name: "throttling is retryable",
		fakes: func() *fakes {
			f := empty()
			f.cfg.errs["DescribeConfigurationRecorders"] = []error{throttled}
			return f
		},
		wantErr: workflow.ErrNameRetryable, wantMsg: "describe the Config recorders in 444444444444/eu-west-1",
	}, {
		name: "a delivery policy not in effect yet is retryable",
		fakes: func() *fakes {
			f := empty()
			f.cfg.errs["PutDeliveryChannel"] = []error{&cfgtypes.InsufficientDeliveryPolicyException{Message: aws.String("Insufficient delivery policy to s3 bucket")}}
			return f
		},
		wantErr: workflow.ErrNameRetryable, wantMsg: "put Config delivery channel default",
		wantMutating: []string{"PutConfigurationRecorder", "PutDeliveryChannel"},
	}, {
		name: "a missing bucket fails the region and says to deploy the log-archive stack",
		fakes: func() *fakes {
			f := empty()
			f.cfg.errs["PutDeliveryChannel"] = []error{&cfgtypes.NoSuchBucketException{Message: aws.String("Cannot find a S3 bucket")}}
			return f
		},
		wantStatus: workflow.StatusFailed, wantReason: "the delivery bucket " + bucket + " does not exist in the log-archive account 333333333333: deploy the log-archive account's stack OrgBaseline-LogArchive first",
		wantActions:  fromNothing[:2],
		wantMutating: []string{"PutConfigurationRecorder", "PutDeliveryChannel"},
	}, {
		name: "a recorder that appeared since the read is retryable",
		fakes: func() *fakes {
			f := empty()
			f.cfg.errs["PutConfigurationRecorder"] = []error{&cfgtypes.MaxNumberOfConfigurationRecordersExceededException{}}
			return f
		},
		wantErr: workflow.ErrNameRetryable, wantMsg: "another recorder appeared", wantMutating: []string{"PutConfigurationRecorder"},
	}, {
		name: "a role not usable right after it was made is not ready",
		fakes: func() *fakes {
			f := empty()
			f.cfg.errs["PutConfigurationRecorder"] = []error{&cfgtypes.InvalidRoleException{Message: aws.String("The role is not assumable")}}
			return f
		},
		wantErr: workflow.ErrNameNotReady, wantMutating: []string{"PutConfigurationRecorder"},
	}, {
		name: "starting without a channel is retryable",
		fakes: func() *fakes {
			f := convergedRecorder("eu-west-1")
			f.cfg.recording[defName] = false
			f.cfg.errs["StartConfigurationRecorder"] = []error{&cfgtypes.NoAvailableDeliveryChannelException{}}
			return f
		},
		wantErr: workflow.ErrNameRetryable, wantMutating: []string{"StartConfigurationRecorder default"},
	}, {
		name: "an endpoint without the operation is skipped",
		fakes: func() *fakes {
			f := empty()
			f.cfg.errs["DescribeConfigurationRecorders"] = []error{awstest.UnknownOperation("Config Service", "DescribeConfigurationRecorders")}
			return f
		},
		wantStatus: workflow.StatusSkipped, wantReason: "DescribeConfigurationRecorders is not available at this endpoint",
	}, {
		name: "an operation missing after changes is skipped, the changes reported",
		fakes: func() *fakes {
			f := empty()
			f.cfg.errs["StartConfigurationRecorder"] = []error{awstest.ResponseErr("Config Service", "StartConfigurationRecorder", 404, awstest.HTMLBody)}
			return f
		},
		wantStatus: workflow.StatusSkipped, wantReason: "StartConfigurationRecorder is not available at this endpoint; service-linked role",
		wantActions:  fromNothing[:3],
		wantMutating: []string{"PutConfigurationRecorder", "PutDeliveryChannel", "StartConfigurationRecorder default"},
		check: func(t *testing.T, f *fakes, res workflow.StepResult) {
			if !res.Changed {
				t.Error("changes made but the result is not changed")
			}
		},
	}, {
		name: "a region without Config is skipped",
		fakes: func() *fakes {
			f := empty()
			f.cfg.errs["DescribeConfigurationRecorders"] = []error{&smithy.OperationError{ServiceID: "Config Service", OperationName: "DescribeConfigurationRecorders",
				Err: &net.DNSError{Err: "no such host", Name: "config.xx-east-9.amazonaws.com", IsNotFound: true}}}
			return f
		},
		wantStatus: workflow.StatusSkipped, wantReason: "AWS Config is not offered in eu-west-1",
	}, {
		name: "config disabled is skipped", extra: "services: {config: {enabled: false}}", fakes: empty,
		wantStatus: workflow.StatusSkipped, wantReason: "config is disabled in the configuration",
		check: noCalls,
	}, {
		name: "config filtered out is skipped", mode: "filtered", fakes: empty,
		wantStatus: workflow.StatusSkipped, wantReason: "config is not in the services filter",
		check: noCalls,
	}, {
		name: "the management account is handled like the others", account: "111111111111", fakes: empty,
		wantStatus: workflow.StatusChanged, wantActions: fromNothing,
		wantMutating: []string{"PutConfigurationRecorder", "PutDeliveryChannel", "StartConfigurationRecorder default"},
		check: func(t *testing.T, f *fakes, res workflow.StepResult) {
			if a := aws.ToString(f.cfg.putRecorder[0].ConfigurationRecorder.RoleARN); a != "arn:aws:iam::111111111111:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig" {
				t.Errorf("role: %s", a)
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			account, region, mode := tt.account, tt.region, tt.mode
			if account == "" {
				account = member
			}
			if region == "" {
				region = "eu-west-1"
			}
			in := workflow.Input{Mode: mode}
			switch mode {
			case "":
				in.Mode = workflow.ModeApply
			case "filtered":
				in = workflow.Input{Mode: workflow.ModeApply, Services: []string{settings.ServiceGuardDuty}}
			}
			f := tt.fakes()
			h := f.handler(t, fakeConfig(t, tt.extra), account, region)
			res, err := h.Handle(context.Background(), workflow.Item{Input: in, Account: account, Region: region})
			if e, a := tt.wantMutating, f.cfg.mutating; !slices.Equal(e, a) {
				t.Errorf("mutating Config calls: expect %v, got %v", e, a)
			}
			if tt.wantErr != "" {
				if err == nil || reflect.TypeOf(err).Elem().Name() != tt.wantErr || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("expect %s with %q, got %T %v", tt.wantErr, tt.wantMsg, err, err)
				}
				if tt.check != nil {
					tt.check(t, f, res)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Outcomes) != 1 {
				t.Fatalf("outcomes: %+v", res.Outcomes)
			}
			o := res.Outcomes[0]
			if o.Account != account || o.Region != region || o.Service != "config" || res.Step != "config-recorders" {
				t.Errorf("outcome not under %s/%s/config of the step: %+v", account, region, o)
			}
			if o.Status != tt.wantStatus || !strings.Contains(o.Reason, tt.wantReason) {
				t.Errorf("outcome: expect %s with reason containing %q, got %s %q", tt.wantStatus, tt.wantReason, o.Status, o.Reason)
			}
			if e, a := tt.wantActions, o.Actions; !slices.Equal(e, a) {
				t.Errorf("actions:\nexpect %v\ngot    %v", e, a)
			}
			if e, a := tt.wantWarnings, len(res.Warnings); e != a {
				t.Errorf("warnings: expect %d, got %d: %v", e, a, res.Warnings)
			}
			if tt.check != nil {
				tt.check(t, f, res)
			}
		})
	}
}

func noCalls(t *testing.T, f *fakes, _ workflow.StepResult) {
	t.Helper()
	if len(f.cfg.calls) != 0 || f.iam.gets != 0 || len(f.kms.calls) != 0 {
		t.Errorf("calls made: config %v, GetRole %d, DescribeKey %v", f.cfg.calls, f.iam.gets, f.kms.calls)
	}
}

// TestApplyThenRerun applies to an empty account and region, then runs
// again: the second run makes no mutating call and reports no change, and
// the key is read once for the container.
func TestApplyThenRerun(t *testing.T) {
	f := empty()
	h := f.handler(t, fakeConfig(t, ""), member, "eu-west-1")
	item := workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}, Account: member, Region: "eu-west-1"}
	if res, err := h.Handle(context.Background(), item); err != nil || res.Outcomes[0].Status != workflow.StatusChanged {
		t.Fatalf("first run: %+v %v", res, err)
	}
	f.cfg.mutating, f.iam.creates = nil, nil
	res, err := h.Handle(context.Background(), item)
	if err != nil {
		t.Fatal(err)
	}
	if o := res.Outcomes[0]; o.Status != workflow.StatusUnchanged || len(o.Actions) != 0 || res.Changed {
		t.Errorf("re-run: %+v", res)
	}
	if len(f.cfg.mutating) != 0 || len(f.iam.creates) != 0 {
		t.Errorf("re-run made calls: %v, roles %d", f.cfg.mutating, len(f.iam.creates))
	}
	if len(f.kms.calls) != 1 {
		t.Errorf("DescribeKey calls: expect 1, got %v", f.kms.calls)
	}
	// Plan on the converged state reports nothing to do.
	item.Input.Mode = workflow.ModePlan
	if res, err := h.Handle(context.Background(), item); err != nil || res.Outcomes[0].Status != workflow.StatusUnchanged {
		t.Errorf("plan after apply: %+v %v", res, err)
	}
}

// TestHandleRefusesBadInput checks that the input is validated before any
// call.
func TestHandleRefusesBadInput(t *testing.T) {
	f := empty()
	h := f.handler(t, fakeConfig(t, ""), member, "eu-west-1")
	_, err := h.Handle(context.Background(), workflow.Item{Input: workflow.Input{Mode: "destroy"}, Account: member, Region: "eu-west-1"})
	if e, a := workflow.ErrNameTerminal, reflect.TypeOf(err).Elem().Name(); e != a {
		t.Errorf("expect %s, got %s (%v)", e, a, err)
	}
	noCalls(t, f, workflow.StepResult{})
}

// BenchmarkConvergedAccountRegion measures one invocation of the step on an
// account and region already as configured: the reads and the comparison,
// against fakes (the key's ARN already known), with no mutating call. The
// Distributed Map makes one such invocation per account and region.
func BenchmarkConvergedAccountRegion(b *testing.B) {
	f := convergedRecorder("eu-west-1")
	h := f.handler(b, fakeConfig(b, ""), member, "eu-west-1")
	item := workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}, Account: member, Region: "eu-west-1"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := h.Handle(ctx, item)
		if err != nil || res.Changed {
			b.Fatalf("%+v %v", res, err)
		}
	}
	if len(f.cfg.mutating) != 0 {
		b.Fatalf("mutating calls %v", f.cfg.mutating)
	}
}
