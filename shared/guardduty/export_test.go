package guardduty

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// The findings bucket and key of fakeConfig: in the log-archive account
// 333333333333 and the security account 222222222222, home region
// us-east-1 (the items are in eu-west-1).
const (
	testBucketARN = "arn:aws:s3:::orgbaseline-guardduty-333333333333-us-east-1"
	testAliasARN  = "arn:aws:kms:us-east-1:222222222222:alias/orgbaseline-guardduty-findings"
	testKeyARN    = "arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	otherKeyARN   = "arn:aws:kms:us-east-1:222222222222:key/ffffffff-12ab-34cd-56ef-1234567890ab"
)

// exportOn is the configuration of fakeConfig that exports the findings.
const exportOn = `services: {guardduty: {exportFindings: true}}`

// fakeDest is a publishing destination of fakeGD's detector.
type fakeDest struct {
	id           string
	typ          gdtypes.DestinationType
	status       gdtypes.PublishingStatus
	bucket, key  string
	failingSince int64
}

// matching is an S3 destination that publishes to the findings bucket
// with the findings key.
func matching() *fakeDest {
	return &fakeDest{id: "dest1", typ: gdtypes.DestinationTypeS3, status: gdtypes.PublishingStatusPublishing, bucket: testBucketARN, key: testKeyARN}
}

func (f *fakeGD) ListPublishingDestinations(ctx context.Context, in *guardduty.ListPublishingDestinationsInput, _ ...func(*guardduty.Options)) (*guardduty.ListPublishingDestinationsOutput, error) {
	f.destReads = append(f.destReads, "ListPublishingDestinations")
	if err := f.next("ListPublishingDestinations"); err != nil {
		return nil, err
	}
	if !slices.Contains(f.detectorIDs, aws.ToString(in.DetectorId)) {
		return nil, &gdtypes.BadRequestException{Message: aws.String("no such detector " + aws.ToString(in.DetectorId))}
	}
	out := &guardduty.ListPublishingDestinationsOutput{}
	for _, d := range f.destinations {
		out.Destinations = append(out.Destinations, gdtypes.Destination{DestinationId: aws.String(d.id), DestinationType: d.typ, Status: d.status})
	}
	return out, nil
}

func (f *fakeGD) dest(detector, id *string) (*fakeDest, error) {
	if !slices.Contains(f.detectorIDs, aws.ToString(detector)) {
		return nil, &gdtypes.BadRequestException{Message: aws.String("no such detector " + aws.ToString(detector))}
	}
	for _, d := range f.destinations {
		if d.id == aws.ToString(id) {
			return d, nil
		}
	}
	return nil, &gdtypes.BadRequestException{Message: aws.String("no such destination " + aws.ToString(id))}
}

func (f *fakeGD) DescribePublishingDestination(ctx context.Context, in *guardduty.DescribePublishingDestinationInput, _ ...func(*guardduty.Options)) (*guardduty.DescribePublishingDestinationOutput, error) {
	f.destReads = append(f.destReads, "DescribePublishingDestination")
	if err := f.next("DescribePublishingDestination"); err != nil {
		return nil, err
	}
	d, err := f.dest(in.DetectorId, in.DestinationId)
	if err != nil {
		return nil, err
	}
	out := &guardduty.DescribePublishingDestinationOutput{
		DestinationId: aws.String(d.id), DestinationType: d.typ, Status: d.status,
		DestinationProperties: &gdtypes.DestinationProperties{DestinationArn: aws.String(d.bucket), KmsKeyArn: aws.String(d.key)},
	}
	if d.failingSince != 0 {
		out.PublishingFailureStartTimestamp = aws.Int64(d.failingSince)
	}
	return out, nil
}

func (f *fakeGD) CreatePublishingDestination(ctx context.Context, in *guardduty.CreatePublishingDestinationInput, _ ...func(*guardduty.Options)) (*guardduty.CreatePublishingDestinationOutput, error) {
	f.mutating = append(f.mutating, "CreatePublishingDestination")
	f.createDest = append(f.createDest, in)
	if err := f.next("CreatePublishingDestination"); err != nil {
		return nil, err
	}
	if !slices.Contains(f.detectorIDs, aws.ToString(in.DetectorId)) {
		return nil, &gdtypes.BadRequestException{Message: aws.String("no such detector")}
	}
	p := in.DestinationProperties
	f.destinations = append(f.destinations, &fakeDest{
		id: "dest-new", typ: in.DestinationType, status: gdtypes.PublishingStatusPendingVerification,
		bucket: aws.ToString(p.DestinationArn), key: aws.ToString(p.KmsKeyArn),
	})
	return &guardduty.CreatePublishingDestinationOutput{DestinationId: aws.String("dest-new")}, nil
}

func (f *fakeGD) UpdatePublishingDestination(ctx context.Context, in *guardduty.UpdatePublishingDestinationInput, _ ...func(*guardduty.Options)) (*guardduty.UpdatePublishingDestinationOutput, error) {
	f.mutating = append(f.mutating, "UpdatePublishingDestination")
	f.updateDest = append(f.updateDest, in)
	if err := f.next("UpdatePublishingDestination"); err != nil {
		return nil, err
	}
	d, err := f.dest(in.DetectorId, in.DestinationId)
	if err != nil {
		return nil, err
	}
	d.bucket, d.key = aws.ToString(in.DestinationProperties.DestinationArn), aws.ToString(in.DestinationProperties.KmsKeyArn)
	d.status, d.failingSince = gdtypes.PublishingStatusPendingVerification, 0
	return &guardduty.UpdatePublishingDestinationOutput{}, nil
}

// fakeKMS is KMS in the security account's home region: the findings key
// under its alias, unless missing.
type fakeKMS struct {
	missing  bool
	disabled bool
	// errs are the errors of the next calls, in order.
	errs  []error
	calls []string
}

func (k *fakeKMS) DescribeKey(ctx context.Context, in *kms.DescribeKeyInput, _ ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
	k.calls = append(k.calls, aws.ToString(in.KeyId))
	if len(k.errs) > 0 {
		err := k.errs[0]
		k.errs = k.errs[1:]
		return nil, err
	}
	if k.missing || aws.ToString(in.KeyId) != testAliasARN {
		return nil, &kmstypes.NotFoundException{Message: aws.String("Alias " + aws.ToString(in.KeyId) + " is not found.")}
	}
	md := &kmstypes.KeyMetadata{Arn: aws.String(testKeyARN), KeyId: aws.String("1234abcd-12ab-34cd-56ef-1234567890ab"), Enabled: true, KeyState: kmstypes.KeyStateEnabled}
	if k.disabled {
		md.Enabled, md.KeyState = false, kmstypes.KeyStateDisabled
	}
	return &kms.DescribeKeyOutput{KeyMetadata: md}, nil
}

// exportHandler is the guardduty-org handler with gd in eu-west-1 and the
// findings key resolved through k, once for the handler's life.
func exportHandler(t *testing.T, extra string, gd OrgClient, k *fakeKMS) *OrgHandler {
	t.Helper()
	cfg := fakeConfig(t, extra)
	return &OrgHandler{Settings: cfg, Log: quiet, Accounts: orgOf(0), In: func(region string) OrgClient {
		if region != "eu-west-1" {
			t.Errorf("client asked for region %q", region)
		}
		return gd
	}, FindingsKeyARN: (&awsclient.KeyResolver{KMS: k, Key: Key(cfg)}).ARN}
}

func handle(h *OrgHandler, mode workflow.Mode) (workflow.StepResult, error) {
	return h.Handle(context.Background(), workflow.Item{Input: workflow.Input{Mode: mode}, Region: "eu-west-1", Accounts: h.Accounts.(*fakeOrgs).active()})
}

// mustHandle runs h and checks that every outcome is the security
// account's in the region.
func mustHandle(t *testing.T, h *OrgHandler, mode workflow.Mode) workflow.StepResult {
	t.Helper()
	res, err := handle(h, mode)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range res.Outcomes {
		if o.Account != "222222222222" || o.Region != "eu-west-1" || o.Service != "guardduty" {
			t.Errorf("outcome not under the security account, the region and guardduty: %+v", o)
		}
	}
	return res
}

// last is the last outcome: the findings export's.
func last(t *testing.T, res workflow.StepResult) workflow.Outcome {
	t.Helper()
	if len(res.Outcomes) == 0 {
		t.Fatal("no outcomes")
	}
	return res.Outcomes[len(res.Outcomes)-1]
}

func TestFakeExportCreatesDestination(t *testing.T) {
	gd, k := newFakeGD(baseMembers...), &fakeKMS{}
	h := exportHandler(t, exportOn, gd, k)
	res := mustHandle(t, h, workflow.ModeApply)
	if e, a := []string{"CreatePublishingDestination"}, gd.mutating; !reflect.DeepEqual(e, a) {
		t.Fatalf("mutating calls: expect %v, got %v", e, a)
	}
	want := &guardduty.CreatePublishingDestinationInput{
		DetectorId: aws.String("det1"), DestinationType: gdtypes.DestinationTypeS3,
		DestinationProperties: &gdtypes.DestinationProperties{DestinationArn: aws.String(testBucketARN), KmsKeyArn: aws.String(testKeyARN)},
	}
	if got := gd.createDest[0]; !reflect.DeepEqual(want, got) {
		t.Errorf("CreatePublishingDestination input:\nexpect %+v\ngot    %+v", want, got)
	}
	// The key is read by its alias in the home region, not the item's.
	if e, a := []string{testAliasARN}, k.calls; !reflect.DeepEqual(e, a) {
		t.Errorf("DescribeKey calls: expect %v, got %v", e, a)
	}
	if e, a := []workflow.Status{workflow.StatusUnchanged, workflow.StatusUnchanged, workflow.StatusUnchanged, workflow.StatusUnchanged, workflow.StatusChanged}, statuses(res); !reflect.DeepEqual(e, a) || !res.Changed {
		t.Fatalf("statuses %v changed=%v, want %v: %+v", a, res.Changed, e, res.Outcomes)
	}
	o := last(t, res)
	if !reflect.DeepEqual([]workflow.Action{{Call: CallCreatePublishingDestination, Target: testBucketARN}}, o.Actions) ||
		!strings.HasPrefix(o.Reason, "findings export: detector det1 has no S3 publishing destination") || !strings.Contains(o.Reason, testKeyARN) {
		t.Errorf("export outcome: %+v", o)
	}

	// Again, in the same container: the destination matches, and the key's
	// ARN is not read again.
	res = mustHandle(t, h, workflow.ModeApply)
	if len(gd.mutating) != 1 || res.Changed {
		t.Errorf("re-run: mutating calls %v, changed %v", gd.mutating, res.Changed)
	}
	if o := last(t, res); o.Status != workflow.StatusUnchanged || o.Reason != "findings export: destination dest-new of detector det1 matches the configuration (PENDING_VERIFICATION)" {
		t.Errorf("re-run outcome: %+v", o)
	}
	if len(k.calls) != 1 {
		t.Errorf("DescribeKey calls: %v", k.calls)
	}
}

func TestFakeExportUnchanged(t *testing.T) {
	gd, k := newFakeGD(baseMembers...), &fakeKMS{}
	// Another type of destination is not the S3 one.
	gd.destinations = []*fakeDest{{id: "other", typ: "SQS", status: gdtypes.PublishingStatusPublishing}, matching()}
	res := mustHandle(t, exportHandler(t, exportOn, gd, k), workflow.ModeApply)
	if len(gd.mutating) != 0 || res.Changed {
		t.Errorf("mutating calls %v, changed %v", gd.mutating, res.Changed)
	}
	if e, a := []string{"ListPublishingDestinations", "DescribePublishingDestination"}, gd.destReads; !reflect.DeepEqual(e, a) {
		t.Errorf("reads: expect %v, got %v", e, a)
	}
	if o := last(t, res); o.Status != workflow.StatusUnchanged || o.Reason != "findings export: destination dest1 of detector det1 matches the configuration (PUBLISHING)" {
		t.Errorf("export outcome: %+v", o)
	}
}

func TestFakeExportUpdatesDestination(t *testing.T) {
	tests := []struct {
		name     string
		dest     *fakeDest
		wantDiff []string
	}{
		{name: "another key", dest: &fakeDest{id: "dest1", typ: "S3", status: "PUBLISHING", bucket: testBucketARN, key: otherKeyARN},
			wantDiff: []string{"KmsKeyArn " + otherKeyARN + ", want " + testKeyARN}},
		{name: "another bucket, no key", dest: &fakeDest{id: "dest1", typ: "S3", status: "PUBLISHING", bucket: "arn:aws:s3:::elsewhere/findings/"},
			wantDiff: []string{"DestinationArn arn:aws:s3:::elsewhere/findings/, want " + testBucketARN, "KmsKeyArn unset, want " + testKeyARN}},
		{name: "failing and different", dest: &fakeDest{id: "dest1", typ: "S3", status: gdtypes.PublishingStatusUnableToPublishFixDestinationProperty, bucket: testBucketARN, key: otherKeyARN, failingSince: 1700000000000},
			wantDiff: []string{"(UNABLE_TO_PUBLISH_FIX_DESTINATION_PROPERTY)", "KmsKeyArn " + otherKeyARN}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gd, k := newFakeGD(baseMembers...), &fakeKMS{}
			gd.destinations = []*fakeDest{tt.dest}
			h := exportHandler(t, exportOn, gd, k)

			plan := mustHandle(t, h, workflow.ModePlan)
			act := []workflow.Action{{Call: CallUpdatePublishingDestination, Target: testBucketARN}}
			if o := last(t, plan); len(gd.mutating) != 0 || o.Status != workflow.StatusPlanned || !reflect.DeepEqual(act, o.Actions) {
				t.Fatalf("plan: calls %v, outcome %+v", gd.mutating, o)
			}

			res := mustHandle(t, h, workflow.ModeApply)
			if e, a := []string{"UpdatePublishingDestination"}, gd.mutating; !reflect.DeepEqual(e, a) {
				t.Fatalf("mutating calls: expect %v, got %v", e, a)
			}
			want := &guardduty.UpdatePublishingDestinationInput{
				DetectorId: aws.String("det1"), DestinationId: aws.String("dest1"),
				DestinationProperties: &gdtypes.DestinationProperties{DestinationArn: aws.String(testBucketARN), KmsKeyArn: aws.String(testKeyARN)},
			}
			if got := gd.updateDest[0]; !reflect.DeepEqual(want, got) {
				t.Errorf("UpdatePublishingDestination input:\nexpect %+v\ngot    %+v", want, got)
			}
			o := last(t, res)
			if o.Status != workflow.StatusChanged || !reflect.DeepEqual(act, o.Actions) || !strings.HasPrefix(o.Reason, "findings export: destination dest1 of detector det1") {
				t.Errorf("export outcome: %+v", o)
			}
			for _, d := range tt.wantDiff {
				if !strings.Contains(o.Reason, d) {
					t.Errorf("reason does not say %q: %s", d, o.Reason)
				}
			}

			// Again: it matches now.
			res = mustHandle(t, h, workflow.ModeApply)
			if o := last(t, res); len(gd.mutating) != 1 || o.Status != workflow.StatusUnchanged {
				t.Errorf("re-run: calls %v, outcome %+v", gd.mutating, o)
			}
		})
	}
}

func TestFakeExportPlan(t *testing.T) {
	create := []workflow.Action{{Call: CallCreatePublishingDestination, Target: testBucketARN}}
	t.Run("no destination", func(t *testing.T) {
		gd, k := newFakeGD(baseMembers...), &fakeKMS{}
		res := mustHandle(t, exportHandler(t, exportOn, gd, k), workflow.ModePlan)
		o := last(t, res)
		if len(gd.mutating) != 0 || o.Status != workflow.StatusPlanned || !reflect.DeepEqual(create, o.Actions) {
			t.Errorf("calls %v, outcome %+v", gd.mutating, o)
		}
		if len(gd.destReads) != 1 || len(k.calls) != 1 {
			t.Errorf("reads %v, DescribeKey %v", gd.destReads, k.calls)
		}
		if s := (workflow.Action{Call: CallCreatePublishingDestination, Target: testBucketARN}).String(); s != "guardduty:CreatePublishingDestination "+testBucketARN {
			t.Errorf("action: %s", s)
		}
	})
	t.Run("no detector", func(t *testing.T) {
		gd, k := newFakeGD(), &fakeKMS{}
		gd.detectorIDs = nil
		res := mustHandle(t, exportHandler(t, exportOn, gd, k), workflow.ModePlan)
		o := last(t, res)
		if len(gd.mutating) != 0 || len(gd.destReads) != 0 || o.Status != workflow.StatusPlanned || !reflect.DeepEqual(create, o.Actions) ||
			!strings.Contains(o.Reason, "the detector does not exist yet") {
			t.Errorf("calls %v, reads %v, outcome %+v", gd.mutating, gd.destReads, o)
		}
		// The key is checked all the same.
		if len(k.calls) != 1 {
			t.Errorf("DescribeKey calls: %v", k.calls)
		}
	})
}

func TestFakeExportKeyAliasMissing(t *testing.T) {
	for _, mode := range []workflow.Mode{workflow.ModeApply, workflow.ModePlan} {
		t.Run(string(mode), func(t *testing.T) {
			gd, k := newFakeGD(baseMembers...), &fakeKMS{missing: true}
			h := exportHandler(t, exportOn, gd, k)
			_, err := handle(h, mode)
			var te *workflow.TerminalError
			if !errors.As(err, &te) || reflect.TypeOf(err).Elem().Name() != workflow.ErrNameTerminal {
				t.Fatalf("expect a TerminalError at the top level, got %T %v", err, err)
			}
			for _, s := range []string{testAliasARN, workflow.SecurityStackName, "exportFindings", "cdk deploy"} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error does not say %q: %v", s, err)
				}
			}
			if len(gd.mutating) != 0 {
				t.Errorf("mutating calls: %v", gd.mutating)
			}

			// The error is not kept: once the stack is deployed, the next
			// invocation finds the key.
			k.missing = false
			res := mustHandle(t, h, mode)
			if o := last(t, res); !reflect.DeepEqual([]workflow.Action{{Call: CallCreatePublishingDestination, Target: testBucketARN}}, o.Actions) {
				t.Errorf("after the deploy: %+v", o)
			}
		})
	}
}

func TestFakeExportOffMakesNoCall(t *testing.T) {
	gd, k := newFakeGD(baseMembers...), &fakeKMS{}
	// A destination elsewhere stays.
	gd.destinations = []*fakeDest{{id: "dest1", typ: "S3", status: "PUBLISHING", bucket: "arn:aws:s3:::elsewhere", key: otherKeyARN}}
	for _, extra := range []string{"", `services: {guardduty: {exportFindings: false}}`} {
		res := mustHandle(t, exportHandler(t, extra, gd, k), workflow.ModeApply)
		if len(gd.mutating) != 0 || len(gd.destReads) != 0 || len(k.calls) != 0 {
			t.Errorf("%q: mutating %v, reads %v, DescribeKey %v", extra, gd.mutating, gd.destReads, k.calls)
		}
		if len(res.Outcomes) != 4 {
			t.Errorf("%q: outcomes %+v", extra, res.Outcomes)
		}
	}
}

func TestFakeExportUnavailable(t *testing.T) {
	tests := []struct {
		op       string
		dest     *fakeDest
		wantKey  bool
		wantCall []string
	}{
		{op: "ListPublishingDestinations"},
		{op: "DescribePublishingDestination", dest: &fakeDest{id: "dest1", typ: "S3", status: "PUBLISHING", bucket: testBucketARN, key: otherKeyARN}},
		{op: "CreatePublishingDestination", wantKey: true, wantCall: []string{"CreatePublishingDestination"}},
		{op: "UpdatePublishingDestination", dest: &fakeDest{id: "dest1", typ: "S3", status: "PUBLISHING", bucket: testBucketARN, key: otherKeyARN}, wantKey: true, wantCall: []string{"UpdatePublishingDestination"}},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			gd, k := newFakeGD(baseMembers...), &fakeKMS{}
			if tt.dest != nil {
				gd.destinations = []*fakeDest{tt.dest}
			}
			gd.errs[tt.op] = []error{sdkErr(tt.op, 404, htmlBody)}
			res := mustHandle(t, exportHandler(t, exportOn, gd, k), workflow.ModeApply)
			if !reflect.DeepEqual(tt.wantCall, gd.mutating) {
				t.Errorf("mutating calls: expect %v, got %v", tt.wantCall, gd.mutating)
			}
			if e, a := tt.wantKey, len(k.calls) > 0; e != a {
				t.Errorf("key read %v, want %v", a, e)
			}
			// The other parts went on; the export's is skipped.
			if e, a := []workflow.Status{workflow.StatusUnchanged, workflow.StatusUnchanged, workflow.StatusUnchanged, workflow.StatusUnchanged, workflow.StatusSkipped}, statuses(res); !reflect.DeepEqual(e, a) || res.Changed {
				t.Fatalf("statuses %v changed=%v, want %v", a, res.Changed, e)
			}
			if e, a := tt.op+" is not available at this endpoint", last(t, res).Reason; e != a {
				t.Errorf("reason: expect %q, got %q", e, a)
			}
		})
	}
}

func TestFakeExportFailingStatus(t *testing.T) {
	tests := []struct {
		status gdtypes.PublishingStatus
		since  int64
		want   []string
	}{
		{status: gdtypes.PublishingStatusUnableToPublishFixDestinationProperty, since: 1700000000000,
			want: []string{"is UNABLE_TO_PUBLISH_FIX_DESTINATION_PROPERTY since 2023-11-14T22:13:20Z", workflow.LogArchiveStackName, workflow.SecurityStackName}},
		{status: "PUBLISHING_FAILED", want: []string{"is PUBLISHING_FAILED:", workflow.LogArchiveStackName}},
		{status: gdtypes.PublishingStatusStopped, want: []string{"is STOPPED:", "stopped publishing"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.status), func(t *testing.T) {
			gd, k := newFakeGD(baseMembers...), &fakeKMS{}
			d := matching()
			d.status, d.failingSince = tt.status, tt.since
			gd.destinations = []*fakeDest{d}
			h := exportHandler(t, exportOn, gd, k)
			for range 2 {
				res := mustHandle(t, h, workflow.ModeApply)
				// Nothing to change: reported, not called again and again.
				if len(gd.mutating) != 0 || res.Changed {
					t.Fatalf("mutating calls %v, changed %v", gd.mutating, res.Changed)
				}
				o := last(t, res)
				if o.Status != workflow.StatusFailed || len(o.Actions) != 0 || !strings.HasPrefix(o.Reason, "findings export: destination dest1 of detector det1 matches the configuration but") {
					t.Fatalf("export outcome: %+v", o)
				}
				for _, s := range tt.want {
					if !strings.Contains(o.Reason, s) {
						t.Errorf("reason does not say %q: %s", s, o.Reason)
					}
				}
			}
		})
	}
}

func TestFakeExportRefused(t *testing.T) {
	badRequest := func(op, msg string) error {
		return sdkErr(op, 400, &gdtypes.BadRequestException{Message: aws.String(msg)})
	}
	tests := []struct {
		name     string
		dest     *fakeDest
		op       string
		err      error
		wantErr  string
		wantHint bool
	}{
		{name: "bucket policy on create", op: "CreatePublishingDestination",
			err:     badRequest("CreatePublishingDestination", "The request failed because the GuardDuty service principal does not have permission to PutObject to the destination bucket."),
			wantErr: workflow.ErrNameTerminal, wantHint: true},
		{name: "key policy on update", dest: &fakeDest{id: "dest1", typ: "S3", status: "PUBLISHING", bucket: testBucketARN, key: otherKeyARN}, op: "UpdatePublishingDestination",
			err:     badRequest("UpdatePublishingDestination", "The request failed because the KMS key policy does not allow GuardDuty to use the key."),
			wantErr: workflow.ErrNameTerminal, wantHint: true},
		{name: "another bad request", op: "CreatePublishingDestination",
			err:     badRequest("CreatePublishingDestination", "The request is rejected because an invalid or out-of-range value is specified as an input parameter."),
			wantErr: workflow.ErrNameTerminal},
		{name: "throttled", op: "CreatePublishingDestination", err: &smithy.GenericAPIError{Code: "TooManyRequestsException"}, wantErr: workflow.ErrNameRetryable},
		{name: "throttled read", op: "ListPublishingDestinations", err: &smithy.GenericAPIError{Code: "TooManyRequestsException"}, wantErr: workflow.ErrNameRetryable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gd, k := newFakeGD(baseMembers...), &fakeKMS{}
			if tt.dest != nil {
				gd.destinations = []*fakeDest{tt.dest}
			}
			gd.errs[tt.op] = []error{tt.err}
			_, err := handle(exportHandler(t, exportOn, gd, k), workflow.ModeApply)
			if err == nil || reflect.TypeOf(err).Elem().Name() != tt.wantErr {
				t.Fatalf("expect %s, got %T %v", tt.wantErr, err, err)
			}
			if e, a := tt.wantHint, strings.Contains(err.Error(), workflow.LogArchiveStackName) && strings.Contains(err.Error(), workflow.SecurityStackName); e != a {
				t.Errorf("hint %v, want %v: %v", a, e, err)
			}
		})
	}
}

func TestFakeExportWithoutDetectorOrMembers(t *testing.T) {
	t.Run("detector unavailable", func(t *testing.T) {
		gd, k := newFakeGD(), &fakeKMS{}
		gd.errs["ListDetectors"] = []error{sdkErr("ListDetectors", 404, htmlBody)}
		res := mustHandle(t, exportHandler(t, exportOn, gd, k), workflow.ModeApply)
		if len(res.Outcomes) != 5 || len(gd.destReads) != 0 || len(k.calls) != 0 {
			t.Fatalf("outcomes %+v, reads %v, DescribeKey %v", res.Outcomes, gd.destReads, k.calls)
		}
		if o := last(t, res); o.Status != workflow.StatusSkipped || o.Reason != "findings export: no detector: ListDetectors is not available at this endpoint" {
			t.Errorf("export outcome: %+v", o)
		}
	})
	t.Run("no member list", func(t *testing.T) {
		// The members part is skipped; the export goes on.
		gd, k := newFakeGD(baseMembers...), &fakeKMS{}
		gd.errs["ListMembers"] = []error{sdkErr("ListMembers", 404, htmlBody)}
		res := mustHandle(t, exportHandler(t, exportOn, gd, k), workflow.ModeApply)
		if e, a := []workflow.Status{workflow.StatusUnchanged, workflow.StatusUnchanged, workflow.StatusSkipped, workflow.StatusSkipped, workflow.StatusChanged}, statuses(res); !reflect.DeepEqual(e, a) {
			t.Fatalf("statuses: expect %v, got %v: %+v", e, a, res.Outcomes)
		}
		if e, a := []string{"CreatePublishingDestination"}, gd.mutating; !reflect.DeepEqual(e, a) {
			t.Errorf("mutating calls: expect %v, got %v", e, a)
		}
	})
}

func TestNewOrgHandlerReadsKeyInHomeRegion(t *testing.T) {
	cfg := fakeConfig(t, exportOn)
	accounts := awsclient.NewAccounts(aws.Config{Region: "eu-west-1"}, "111111111111", "orgbaseline-execution", "test")
	r := newKeyResolver(cfg, accounts)
	c, ok := r.KMS.(*kms.Client)
	if !ok {
		t.Fatalf("KMS is %T", r.KMS)
	}
	if r.Key != Key(cfg) {
		t.Errorf("key %+v", r.Key)
	}
	if e, a := "us-east-1", c.Options().Region; e != a {
		t.Errorf("KMS region: expect %s, got %s", e, a)
	}
	// In the security account: through the execution role, not the
	// Lambda's own credentials.
	if c.Options().Credentials == nil || fmt.Sprintf("%T", c.Options().Credentials) != "*aws.CredentialsCache" {
		t.Errorf("credentials: %T", c.Options().Credentials)
	}
	if h := NewOrgHandler(cfg, aws.Config{Region: "eu-west-1"}, accounts, quiet); h.FindingsKeyARN == nil {
		t.Error("NewOrgHandler does not wire the findings key")
	}
}
