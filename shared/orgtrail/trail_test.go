package orgtrail

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/smithy-go"

	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

func TestFakeApplyThenRerun(t *testing.T) {
	f := newFake()
	cfg := config(t, "services: {cloudtrail: {insights: true}}")
	res, err := fakeRun(t, f, cfg, workflow.ModeApply)
	if err != nil {
		t.Fatal(err)
	}
	if e, a := []string{"PutBucketEncryption", "CreateTrail", "PutEventSelectors", "PutInsightSelectors", "StartLogging"}, f.calls; !reflect.DeepEqual(e, a) {
		t.Errorf("calls:\nexpect %v\ngot    %v", e, a)
	}
	if e, a := []string{"ApiCallRateInsight", "ApiErrorRateInsight"}, insightNames(f.insights); !reflect.DeepEqual(e, a) {
		t.Errorf("insights: expect %v, got %v", e, a)
	}
	if !res.Changed {
		t.Error("first apply reports no change")
	}
	if a := f.callsIn(fSecurity); len(a) != 0 || !slices.Contains(f.callsIn(fMgmt), "CreateTrail") {
		t.Errorf("managed from the management account: CloudTrail calls %v", f.seq)
	}
	f.calls = nil
	res, err = fakeRun(t, f, cfg, workflow.ModeApply)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 0 || res.Changed {
		t.Errorf("re-run made calls %v (changed %v)", f.calls, res.Changed)
	}
}

func TestFakeMissingDependencies(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*fakeAWS)
		want  []string
	}{
		{"missing key alias", func(f *fakeAWS) { f.noAlias = true }, []string{"cdk deploy --all", workflow.SecurityStackName, KeyAlias}},
		{"missing bucket", func(f *fakeAWS) { f.noBucket = true }, []string{"cdk deploy --all", workflow.LogArchiveStackName, "orgbaseline-trail-333333333333-eu-west-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, mode := range []workflow.Mode{workflow.ModePlan, workflow.ModeApply} {
				f := newFake()
				tt.setup(f)
				_, err := fakeRun(t, f, config(t, ""), mode)
				var te *workflow.TerminalError
				if !errors.As(err, &te) {
					t.Fatalf("%s: expect *TerminalError, got %T %v", mode, err, err)
				}
				for _, w := range tt.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("%s: error does not mention %q: %v", mode, w, err)
					}
				}
				if len(f.calls) != 0 {
					t.Errorf("%s: made calls %v", mode, f.calls)
				}
			}
		})
	}
}

func TestFakeErrorClassification(t *testing.T) {
	tests := []struct {
		name string
		op   string
		err  error
		want string
	}{
		{"throttled create", "CreateTrail", &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}, workflow.ErrNameRetryable},
		{"throttled describe", "DescribeTrails", &smithy.GenericAPIError{Code: "ThrottlingException"}, workflow.ErrNameRetryable},
		{"access denied", "StartLogging", &smithy.GenericAPIError{Code: "AccessDeniedException"}, workflow.ErrNameTerminal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			f.errs[tt.op] = tt.err
			h := &Handler{Settings: config(t, ""), Deps: f.deps(), Log: quiet}
			_, err := h.Handle(context.Background(), workflow.Item{Input: workflow.Input{Mode: workflow.ModeApply}, Accounts: f.activeIDs()})
			if err == nil {
				t.Fatal("expect an error")
			}
			// aws-lambda-go reports reflect.TypeOf(err).Elem().Name().
			if e, a := tt.want, reflect.TypeOf(err).Elem().Name(); e != a {
				t.Errorf("expect top-level %s, got %s (%v)", e, a, err)
			}
		})
	}
}

func TestFakeHomeRegionMismatchIsConflict(t *testing.T) {
	for _, mode := range []workflow.Mode{workflow.ModePlan, workflow.ModeApply} {
		f := newFake()
		f.trail = &cttypes.Trail{
			Name: aws.String(settings.DefaultTrailName), HomeRegion: aws.String("us-west-2"),
			TrailARN: aws.String("arn:aws:cloudtrail:us-west-2:" + fMgmt + ":trail/" + settings.DefaultTrailName),
		}
		_, err := fakeRun(t, f, config(t, ""), mode)
		var ce *workflow.ConflictError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "us-west-2") || !strings.Contains(err.Error(), "eu-west-1") {
			t.Errorf("%s: expect a conflict naming both regions, got %v", mode, err)
		}
		if len(f.calls) != 0 {
			t.Errorf("%s: a conflict made calls: %v", mode, f.calls)
		}
	}
}

// Managed from the security account before it is the delegated
// administrator, a trail homed in another region is found from the
// management account before anything is changed, in plan and apply; managed
// from the management account, it is a conflict as before.
func TestFakeHomeRegionMismatchBeforeRegistrationIsConflict(t *testing.T) {
	for _, tc := range []struct{ name, yaml string }{
		{"security-managed", fSecurityManaged},
		{"management-managed", ""},
	} {
		for _, mode := range []workflow.Mode{workflow.ModePlan, workflow.ModeApply} {
			f := newFake()
			f.trail = &cttypes.Trail{
				Name: aws.String(settings.DefaultTrailName), HomeRegion: aws.String("us-west-2"),
				TrailARN: aws.String("arn:aws:cloudtrail:us-west-2:" + fMgmt + ":trail/" + settings.DefaultTrailName),
			}
			_, err := fakeRun(t, f, config(t, tc.yaml), mode)
			var ce *workflow.ConflictError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), "us-west-2") || !strings.Contains(err.Error(), "eu-west-1") {
				t.Errorf("%s %s: expect a conflict naming both regions, got %v", tc.name, mode, err)
			}
			if err != nil {
				if e, a := workflow.ErrNameConflict, reflect.TypeOf(err).Elem().Name(); e != a {
					t.Errorf("%s %s: expect top-level %s, got %s", tc.name, mode, e, a)
				}
			}
			if len(f.calls) != 0 {
				t.Errorf("%s %s: a conflict made calls: %v", tc.name, mode, f.calls)
			}
			for _, c := range f.seq {
				if op := strings.Fields(c)[2]; op != "DescribeTrails" {
					t.Errorf("%s %s: a conflict made the CloudTrail call %s", tc.name, mode, c)
				}
			}
			if len(f.admins) != 0 {
				t.Errorf("%s %s: a conflict registered %v", tc.name, mode, f.admins)
			}
		}
	}
}

// Another run creates the trail between the read and CreateTrail: the step
// reads it again and converges it.
func TestFakeTrailAlreadyExistsConverges(t *testing.T) {
	f := newFake()
	f.errs["CreateTrail"] = &cttypes.TrailAlreadyExistsException{Message: aws.String("exists")}
	f.onErr["CreateTrail"] = func() {
		f.trail = &cttypes.Trail{
			Name: aws.String(settings.DefaultTrailName), HomeRegion: aws.String("eu-west-1"), S3BucketName: aws.String("orgbaseline-trail-333333333333-eu-west-1"),
			TrailARN:            aws.String("arn:aws:cloudtrail:eu-west-1:" + fMgmt + ":trail/" + settings.DefaultTrailName),
			IsOrganizationTrail: aws.Bool(true), IsMultiRegionTrail: aws.Bool(true), IncludeGlobalServiceEvents: aws.Bool(true),
		}
	}
	res, err := fakeRun(t, f, config(t, ""), workflow.ModeApply)
	if err != nil {
		t.Fatal(err)
	}
	if e, a := []string{"PutBucketEncryption", "CreateTrail", "UpdateTrail", "PutEventSelectors", "StartLogging"}, f.calls; !reflect.DeepEqual(e, a) {
		t.Errorf("calls:\nexpect %v\ngot    %v", e, a)
	}
	last := res.Outcomes[len(res.Outcomes)-1]
	if len(last.Actions) == 0 || last.Actions[0].Target != settings.DefaultTrailName+": EnableLogFileValidation, KmsKeyId" {
		t.Errorf("trail actions: %v", last.Actions)
	}
	if aws.ToString(f.trail.KmsKeyId) != fKeyARN || !aws.ToBool(f.trail.LogFileValidationEnabled) {
		t.Errorf("trail not converged: %+v", f.trail)
	}
}

func TestFakeSkipped(t *testing.T) {
	tests := []struct {
		name  string
		extra string
		in    workflow.Input
		want  string
	}{
		{"disabled", "services: {cloudtrail: {enabled: false}}", workflow.Input{Mode: workflow.ModeApply}, "disabled"},
		{"filtered out", "", workflow.Input{Mode: workflow.ModeApply, Services: []string{"config"}}, "services filter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			res, err := Run(context.Background(), f.deps(), config(t, tt.extra), workflow.Item{Input: tt.in}, quiet)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Outcomes) != 1 || res.Outcomes[0].Status != workflow.StatusSkipped || !strings.Contains(res.Outcomes[0].Reason, tt.want) {
				t.Errorf("expect one skipped outcome saying %q, got %+v", tt.want, res.Outcomes)
			}
			if len(f.calls) != 0 || res.Changed {
				t.Errorf("a skipped step made calls %v", f.calls)
			}
		})
	}
}

// Managed from the security account.

const (
	fSecurityManaged = "services: {cloudtrail: {delegatedAdmin: true, manageFrom: security, insights: true, cloudWatchLogs: {enabled: true}}}"
	fTrailARN        = "arn:aws:cloudtrail:eu-west-1:" + fMgmt + ":trail/" + settings.DefaultTrailName
	fSecGroupARN     = "arn:aws:logs:eu-west-1:" + fSecurity + ":log-group:/orgbaseline/cloudtrail:*"
	fSecRoleARN      = "arn:aws:iam::" + fSecurity + ":role/orgbaseline-cloudtrail-to-logs"
)

// trailOps are the CloudTrail operations on the organization trail.
var trailOps = []string{"DescribeTrails", "CreateTrail", "UpdateTrail", "GetEventSelectors", "PutEventSelectors",
	"GetInsightSelectors", "PutInsightSelectors", "GetTrailStatus", "StartLogging"}

// outcomeOf returns the outcome in region with an action calling call.
func outcomeOf(t *testing.T, res workflow.StepResult, region, call string) workflow.Outcome {
	t.Helper()
	for _, o := range res.Outcomes {
		if o.Region == region && slices.ContainsFunc(o.Actions, func(a workflow.Action) bool { return a.Call == call }) {
			return o
		}
	}
	t.Fatalf("no outcome in %s with %s: %+v", region, call, res.Outcomes)
	return workflow.Outcome{}
}

// The first apply registers the security account from the management
// account, then creates the trail from the security account with the
// security account's log group and role; a re-run changes nothing.
func TestFakeManagedFromSecurityApplyThenRerun(t *testing.T) {
	f := newFake()
	cfg := config(t, fSecurityManaged)
	res, err := fakeRun(t, f, cfg, workflow.ModeApply)
	if err != nil {
		t.Fatal(err)
	}
	if e, a := []string{"PutBucketEncryption", "RegisterOrganizationDelegatedAdmin", "CreateTrail", "PutEventSelectors", "PutInsightSelectors", "StartLogging"}, f.calls; !reflect.DeepEqual(e, a) {
		t.Errorf("calls:\nexpect %v\ngot    %v", e, a)
	}
	if a := f.callsIn(fMgmt); len(a) == 0 || a[len(a)-1] != "RegisterOrganizationDelegatedAdmin" || slices.ContainsFunc(a[:len(a)-1], func(op string) bool { return op != "DescribeTrails" }) {
		t.Errorf("CloudTrail calls in the management account: expect reads of the trail, then RegisterOrganizationDelegatedAdmin; got %v", a)
	}
	sec := f.callsIn(fSecurity)
	for _, op := range sec {
		if !slices.Contains(trailOps, op) {
			t.Errorf("the security account called %s", op)
		}
	}
	for _, op := range []string{"DescribeTrails", "CreateTrail", "PutEventSelectors", "PutInsightSelectors", "StartLogging"} {
		if !slices.Contains(sec, op) {
			t.Errorf("no %s from the security account: %v", op, sec)
		}
	}
	if i := slices.Index(f.seq, fMgmt+" eu-west-1 RegisterOrganizationDelegatedAdmin"); i < 0 || slices.ContainsFunc(f.seq[:i], func(c string) bool { return strings.HasPrefix(c, fSecurity+" ") }) {
		t.Errorf("the delegated administrator is not registered before the security account's calls: %v", f.seq)
	}
	if f.created == nil || aws.ToString(f.created.CloudWatchLogsLogGroupArn) != fSecGroupARN || aws.ToString(f.created.CloudWatchLogsRoleArn) != fSecRoleARN {
		t.Errorf("CreateTrail: expect log group %s and role %s, got %+v", fSecGroupARN, fSecRoleARN, f.created)
	}
	if aws.ToString(f.created.Name) != settings.DefaultTrailName {
		t.Errorf("CreateTrail names %s, want the trail name", aws.ToString(f.created.Name))
	}
	for _, id := range f.ids {
		if id != fTrailARN {
			t.Errorf("a call from the security account names the trail %s, want its ARN %s", id, fTrailARN)
		}
	}
	if o := outcomeOf(t, res, "eu-west-1", CallCreateTrail); o.Account != fSecurity {
		t.Errorf("trail outcome in account %s, want %s", o.Account, fSecurity)
	}
	if o := outcomeOf(t, res, workflow.RegionGlobal, CallRegisterAdmin); o.Account != fMgmt {
		t.Errorf("registration outcome in account %s, want %s", o.Account, fMgmt)
	}

	f.calls, f.seq, f.ids = nil, nil, nil
	res, err = fakeRun(t, f, cfg, workflow.ModeApply)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 0 || res.Changed {
		t.Errorf("re-run made calls %v (changed %v)", f.calls, res.Changed)
	}
	if a := f.callsIn(fMgmt); len(a) != 0 {
		t.Errorf("re-run called CloudTrail in the management account: %v", a)
	}
	if !slices.Contains(f.callsIn(fSecurity), "DescribeTrails") {
		t.Errorf("re-run did not read the trail from the security account: %v", f.seq)
	}
}

// In plan, before the security account is the delegated administrator,
// nothing is read from it (the management account reads the trail) and the
// trail's actions are planned.
func TestFakeManagedFromSecurityPlanBeforeRegistration(t *testing.T) {
	f := newFake()
	res, err := fakeRun(t, f, config(t, fSecurityManaged), workflow.ModePlan)
	if err != nil {
		t.Fatalf("plan before registration: %v", err)
	}
	if sec := f.callsIn(fSecurity); len(f.calls) != 0 || len(sec) != 0 {
		t.Errorf("plan made calls %v, CloudTrail calls from the security account %v", f.calls, sec)
	}
	if mgmt := f.callsIn(fMgmt); slices.ContainsFunc(mgmt, func(op string) bool { return op != "DescribeTrails" }) {
		t.Errorf("plan made CloudTrail calls other than reads from the management account: %v", mgmt)
	}
	o := outcomeOf(t, res, "eu-west-1", CallCreateTrail)
	var calls []string
	for _, a := range o.Actions {
		calls = append(calls, a.Call)
	}
	if e := []string{CallCreateTrail, CallPutEventSelectors, CallPutInsightSelectors, CallStartLogging}; !reflect.DeepEqual(e, calls) || o.Account != fSecurity {
		t.Errorf("trail actions: expect %v in %s, got %v in %s", e, fSecurity, calls, o.Account)
	}
	outcomeOf(t, res, workflow.RegionGlobal, CallRegisterAdmin)
	if !slices.ContainsFunc(res.Warnings, func(w string) bool {
		return strings.Contains(w, "delegated administrator") && strings.Contains(w, fSecurity)
	}) {
		t.Errorf("no warning about the plan before registration: %v", res.Warnings)
	}
}

// A trail managed from the management account, switched to the security
// account: one UpdateTrail from the security account moves the delivery to
// the security account's log group and role.
func TestFakeSwitchToSecurityMovesLogDelivery(t *testing.T) {
	f := newFake()
	if _, err := fakeRun(t, f, config(t, "services: {cloudtrail: {delegatedAdmin: true, insights: true, cloudWatchLogs: {enabled: true}}}"), workflow.ModeApply); err != nil {
		t.Fatal(err)
	}
	if e, a := "arn:aws:logs:eu-west-1:"+fMgmt+":log-group:/orgbaseline/cloudtrail:*", aws.ToString(f.trail.CloudWatchLogsLogGroupArn); e != a {
		t.Fatalf("managed from the management account: expect log group %s, got %s", e, a)
	}
	if a := f.callsIn(fSecurity); len(a) != 0 {
		t.Errorf("managed from the management account, the security account called %v", a)
	}
	f.calls, f.seq, f.ids = nil, nil, nil
	res, err := fakeRun(t, f, config(t, fSecurityManaged), workflow.ModeApply)
	if err != nil {
		t.Fatal(err)
	}
	if e, a := []string{"UpdateTrail"}, f.calls; !reflect.DeepEqual(e, a) {
		t.Errorf("calls: expect %v, got %v", e, a)
	}
	if a := f.callsIn(fMgmt); len(a) != 0 {
		t.Errorf("CloudTrail calls in the management account: %v", a)
	}
	if f.updated == nil || aws.ToString(f.updated.Name) != fTrailARN || aws.ToString(f.updated.CloudWatchLogsLogGroupArn) != fSecGroupARN || aws.ToString(f.updated.CloudWatchLogsRoleArn) != fSecRoleARN {
		t.Errorf("UpdateTrail: expect %s with %s and %s, got %+v", fTrailARN, fSecGroupARN, fSecRoleARN, f.updated)
	}
	o := outcomeOf(t, res, "eu-west-1", CallUpdateTrail)
	if e, a := settings.DefaultTrailName+": "+FieldCloudWatchLogsLogGroupArn+", "+FieldCloudWatchLogsRoleArn, o.Actions[0].Target; e != a {
		t.Errorf("update: expect %q, got %q", e, a)
	}
}
