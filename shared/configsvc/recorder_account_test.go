package configsvc

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfgtypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/aws/smithy-go"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/local/awstest"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// accountFakes are one account: AWS Config per region, and the account's
// IAM and the security account's KMS once.
type accountFakes struct {
	regions []string
	cfg     map[string]*fakeRecorderConfig
	iam     *fakeIAM
	kms     *fakeKMS
}

func newAccountFakes(regions ...string) *accountFakes {
	f := &accountFakes{regions: regions, cfg: map[string]*fakeRecorderConfig{}, iam: &fakeIAM{}, kms: &fakeKMS{}}
	for _, r := range regions {
		f.cfg[r] = empty().cfg
	}
	return f
}

func (f *accountFakes) run(t *testing.T, mode workflow.Mode) (workflow.StepResult, error) {
	t.Helper()
	cfg := fakeConfig(t, "")
	h := &Handler{
		Settings: cfg, Log: quiet,
		In: func(a, r string) (ConfigAPI, IAMAPI) {
			if a != member || f.cfg[r] == nil {
				t.Errorf("clients asked for %s/%s", a, r)
			}
			return f.cfg[r], f.iam
		},
		KeyARN: (&awsclient.KeyResolver{KMS: f.kms, Key: DeliveryKey(cfg)}).ARN,
	}
	return h.Handle(context.Background(), workflow.Item{Input: workflow.Input{Mode: mode}, Account: member, Regions: f.regions})
}

func (f *accountFakes) mutating() []string {
	var out []string
	for _, r := range f.regions {
		for _, m := range f.cfg[r].mutating {
			out = append(out, r+":"+m)
		}
	}
	return out
}

func regionStatuses(res workflow.StepResult) map[string]string {
	out := map[string]string{}
	for _, o := range res.Outcomes {
		out[o.Region] = string(o.Status)
	}
	return out
}

// IAM is global: the account's role is read and created once, and the key
// read once, whatever the number of regions; the role's creation is
// reported in the first region, before which no region puts its recorder.
func TestAccountWideWorkOncePerAccount(t *testing.T) {
	f := newAccountFakes("us-east-1", "eu-west-1", "ap-southeast-2")
	res, err := f.run(t, workflow.ModeApply)
	if err != nil {
		t.Fatal(err)
	}
	if f.iam.gets != 1 || len(f.iam.creates) != 1 || len(f.kms.calls) != 1 {
		t.Errorf("GetRole %d, CreateServiceLinkedRole %d, DescribeKey %d: want 1 each", f.iam.gets, len(f.iam.creates), len(f.kms.calls))
	}
	if want := map[string]string{"us-east-1": "changed", "eu-west-1": "changed", "ap-southeast-2": "changed"}; !reflect.DeepEqual(regionStatuses(res), want) {
		t.Errorf("rows: %v", regionStatuses(res))
	}
	if got := res.Outcomes[0].Actions; len(got) != 4 || got[0].Call != CallCreateServiceLinkedRole {
		t.Errorf("first region's actions: %v", got)
	}
	for _, o := range res.Outcomes[1:] {
		if len(o.Actions) != 3 || o.Actions[0].Call != CallPutConfigurationRecorder {
			t.Errorf("%s actions: %v", o.Region, o.Actions)
		}
	}
	// The home region records the global resource types, the others not.
	for _, r := range f.regions {
		put := f.cfg[r].putRecorder[0].ConfigurationRecorder.RecordingGroup.IncludeGlobalResourceTypes
		if put != (r == "us-east-1") {
			t.Errorf("%s: global resource types %v", r, put)
		}
	}
	// A re-run reads the role once more and changes nothing.
	for _, r := range f.regions {
		f.cfg[r].mutating = nil
	}
	res, err = f.run(t, workflow.ModeApply)
	if err != nil || res.Changed || len(f.mutating()) != 0 || f.iam.gets != 2 || len(f.iam.creates) != 1 {
		t.Errorf("re-run: changed %v, mutating %v, GetRole %d, creates %d, err %v", res.Changed, f.mutating(), f.iam.gets, len(f.iam.creates), err)
	}
}

// "Enable or disable AWS Regions in your account": an opt-in region the
// account has not enabled refuses its credentials; that region is the
// account's skipped row, and the others are applied.
func TestOptInRegionNotEnabledInTheAccountIsSkipped(t *testing.T) {
	f := newAccountFakes("eu-west-1", "af-south-1")
	f.cfg["af-south-1"].errs["DescribeConfigurationRecorders"] = []error{awstest.ResponseErr("Config Service", "DescribeConfigurationRecorders", 400,
		&smithy.GenericAPIError{Code: "UnrecognizedClientException", Message: "The security token included in the request is invalid."})}
	res, err := f.run(t, workflow.ModeApply)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"eu-west-1": "changed", "af-south-1": "skipped"}; !reflect.DeepEqual(regionStatuses(res), want) {
		t.Errorf("rows: %v", regionStatuses(res))
	}
	if o := res.Outcomes[1]; !strings.Contains(o.Reason, "opt-in region af-south-1 is not enabled in account "+member) {
		t.Errorf("reason: %q", o.Reason)
	}
	if len(f.cfg["af-south-1"].mutating) != 0 {
		t.Errorf("calls in the skipped region: %v", f.cfg["af-south-1"].mutating)
	}
}

// A region of the defaults refusing the credentials is not an opt-in
// matter: it fails that region's row.
func TestCredentialsRefusedInADefaultRegionFailTheRegion(t *testing.T) {
	f := newAccountFakes("eu-west-1", "us-west-2")
	f.cfg["us-west-2"].errs["DescribeConfigurationRecorders"] = []error{&smithy.GenericAPIError{Code: "UnrecognizedClientException", Message: "The security token included in the request is invalid."}}
	res, err := f.run(t, workflow.ModeApply)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"eu-west-1": "changed", "us-west-2": "failed"}; !reflect.DeepEqual(regionStatuses(res), want) {
		t.Errorf("rows: %v", regionStatuses(res))
	}
}

// One region's AccessDenied is that region's failed row; the other regions
// are applied and the invocation succeeds, so the account does not fail
// the Distributed Map.
func TestOneRegionDeniedIsThatRegionsRow(t *testing.T) {
	f := newAccountFakes("us-east-1", "eu-west-1", "eu-north-1")
	f.cfg["eu-west-1"].errs["PutConfigurationRecorder"] = []error{&smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform config:PutConfigurationRecorder"}}
	res, err := f.run(t, workflow.ModeApply)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"us-east-1": "changed", "eu-west-1": "failed", "eu-north-1": "changed"}; !reflect.DeepEqual(regionStatuses(res), want) {
		t.Errorf("rows: %v", regionStatuses(res))
	}
	if o := res.Outcomes[1]; !strings.Contains(o.Reason, "AccessDeniedException") {
		t.Errorf("reason: %q", o.Reason)
	}
}

// The role's read refused is every region's failed row, and nothing is put.
func TestRoleReadDeniedFailsEveryRegion(t *testing.T) {
	f := newAccountFakes("us-east-1", "eu-west-1")
	f.iam.getErr = &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform iam:GetRole"}
	res, err := f.run(t, workflow.ModeApply)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"us-east-1": "failed", "eu-west-1": "failed"}; !reflect.DeepEqual(regionStatuses(res), want) {
		t.Errorf("rows: %v", regionStatuses(res))
	}
	if m := f.mutating(); len(m) != 0 {
		t.Errorf("mutating calls: %v", m)
	}
}

// Throttling in one region is retried by the state machine: the account's
// invocation returns a RetryableError, and a second call converges.
func TestThrottledRegionRetriesTheAccount(t *testing.T) {
	f := newAccountFakes("us-east-1", "eu-west-1")
	f.cfg["eu-west-1"].errs["PutDeliveryChannel"] = []error{&cfgtypes.InsufficientDeliveryPolicyException{Message: aws.String("Insufficient delivery policy to s3 bucket")}}
	_, err := f.run(t, workflow.ModeApply)
	if err == nil || reflect.TypeOf(err).Elem().Name() != workflow.ErrNameRetryable {
		t.Fatalf("want RetryableError, got %T %v", err, err)
	}
	res, err := f.run(t, workflow.ModeApply)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"us-east-1": "unchanged", "eu-west-1": "changed"}; !reflect.DeepEqual(regionStatuses(res), want) {
		t.Errorf("rows after the retry: %v", regionStatuses(res))
	}
}

// Plan lists the role's creation once, in the first region.
func TestPlanListsTheRoleOnce(t *testing.T) {
	f := newAccountFakes("us-east-1", "eu-west-1")
	res, err := f.run(t, workflow.ModePlan)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, o := range res.Outcomes {
		for _, a := range o.Actions {
			if a.Call == CallCreateServiceLinkedRole {
				n++
			}
		}
	}
	if n != 1 || len(f.iam.creates) != 0 || len(f.mutating()) != 0 {
		t.Errorf("role actions %d, creates %d, mutating %v", n, len(f.iam.creates), f.mutating())
	}
}

// "Recording AWS Resources with AWS Config": the IAM global resource types
// are not recorded in regions AWS Config supports since after February
// 2022; a home region among them is warned of once per run.
func TestHomeRegionWithoutIAMRecordingIsWarned(t *testing.T) {
	if w := globalIAMWarning("eu-central-2"); !strings.Contains(w, "home region eu-central-2") {
		t.Errorf("warning for eu-central-2: %q", w)
	}
	if w := globalIAMWarning("us-east-1"); w != "" {
		t.Errorf("warning for us-east-1: %q", w)
	}
}
