package orgtrail

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

const (
	fMgmt     = "111111111111"
	fSecurity = "222222222222"
	fOther    = "999999999999"
	fKeyARN   = "arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"
)

// fakeAWS is an in-memory organization behind every interface of Deps. It
// keeps state, so a second run sees what the first one did, and records
// every mutating call.
type fakeAWS struct {
	mu sync.Mutex

	trail     *cttypes.Trail
	advanced  []cttypes.AdvancedEventSelector
	insights  []cttypes.InsightSelector
	logging   bool
	admins    []string
	noAlias   bool
	noBucket  bool
	sse       s3types.ServerSideEncryption
	sseKey    string
	accounts  []orgtypes.Account
	members   map[string][]cttypes.Trail // account -> its own trails
	memberErr map[string]error
	read      []string // accounts whose trails were read

	// errs injects an error for the named operation, once.
	errs map[string]error
	// onErr runs when an injected error for the named operation is returned.
	onErr map[string]func()
	calls []string
}

func newFake() *fakeAWS {
	return &fakeAWS{
		errs: map[string]error{}, onErr: map[string]func(){}, members: map[string][]cttypes.Trail{}, memberErr: map[string]error{},
		accounts: []orgtypes.Account{{Id: aws.String(fMgmt), State: orgtypes.AccountStateActive}},
	}
}

func (f *fakeAWS) injected(op string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err, ok := f.errs[op]; ok {
		delete(f.errs, op)
		if fn := f.onErr[op]; fn != nil {
			fn()
		}
		return err
	}
	return nil
}

func (f *fakeAWS) call(op string) error {
	f.mu.Lock()
	f.calls = append(f.calls, op)
	f.mu.Unlock()
	return f.injected(op)
}

func (f *fakeAWS) deps() Deps {
	return Deps{
		CloudTrail: f, KMS: f, S3: f, Orgs: f,
		TrailsIn:     func(string) DescribeTrailsAPI { return f },
		MemberTrails: func(account string) DescribeTrailsAPI { return memberAPI{f, account} },
	}
}

func (f *fakeAWS) DescribeTrails(ctx context.Context, in *cloudtrail.DescribeTrailsInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.DescribeTrailsOutput, error) {
	if err := f.injected("DescribeTrails"); err != nil {
		return nil, err
	}
	out := &cloudtrail.DescribeTrailsOutput{}
	// Without shadow trails, only trails homed in this region (eu-west-1) show.
	if f.trail != nil && (aws.ToBool(in.IncludeShadowTrails) || aws.ToString(f.trail.HomeRegion) == "eu-west-1") {
		out.TrailList = []cttypes.Trail{*f.trail}
	}
	return out, nil
}

func (f *fakeAWS) CreateTrail(ctx context.Context, in *cloudtrail.CreateTrailInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.CreateTrailOutput, error) {
	if err := f.call("CreateTrail"); err != nil {
		return nil, err
	}
	if f.trail != nil {
		return nil, &cttypes.TrailAlreadyExistsException{Message: aws.String("exists")}
	}
	f.trail = &cttypes.Trail{
		Name: in.Name, S3BucketName: in.S3BucketName, HomeRegion: aws.String("eu-west-1"),
		TrailARN:            aws.String("arn:aws:cloudtrail:eu-west-1:" + fMgmt + ":trail/" + aws.ToString(in.Name)),
		IsOrganizationTrail: in.IsOrganizationTrail, IsMultiRegionTrail: in.IsMultiRegionTrail,
		IncludeGlobalServiceEvents: in.IncludeGlobalServiceEvents, LogFileValidationEnabled: in.EnableLogFileValidation,
		KmsKeyId: in.KmsKeyId, CloudWatchLogsLogGroupArn: in.CloudWatchLogsLogGroupArn, CloudWatchLogsRoleArn: in.CloudWatchLogsRoleArn,
	}
	f.advanced, f.insights, f.logging = nil, nil, false
	return &cloudtrail.CreateTrailOutput{}, nil
}

func (f *fakeAWS) UpdateTrail(ctx context.Context, in *cloudtrail.UpdateTrailInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.UpdateTrailOutput, error) {
	if err := f.call("UpdateTrail"); err != nil {
		return nil, err
	}
	t := f.trail
	set := func(dst **string, v *string) {
		if v != nil {
			if *v == "" {
				*dst = nil // AWS omits a removed value
			} else {
				*dst = v
			}
		}
	}
	setb := func(dst **bool, v *bool) {
		if v != nil {
			*dst = v
		}
	}
	set(&t.S3BucketName, in.S3BucketName)
	set(&t.KmsKeyId, in.KmsKeyId)
	set(&t.CloudWatchLogsLogGroupArn, in.CloudWatchLogsLogGroupArn)
	set(&t.CloudWatchLogsRoleArn, in.CloudWatchLogsRoleArn)
	setb(&t.IsOrganizationTrail, in.IsOrganizationTrail)
	setb(&t.IsMultiRegionTrail, in.IsMultiRegionTrail)
	setb(&t.IncludeGlobalServiceEvents, in.IncludeGlobalServiceEvents)
	setb(&t.LogFileValidationEnabled, in.EnableLogFileValidation)
	return &cloudtrail.UpdateTrailOutput{}, nil
}

func (f *fakeAWS) GetTrailStatus(ctx context.Context, in *cloudtrail.GetTrailStatusInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error) {
	return &cloudtrail.GetTrailStatusOutput{IsLogging: aws.Bool(f.logging)}, f.injected("GetTrailStatus")
}

func (f *fakeAWS) StartLogging(ctx context.Context, in *cloudtrail.StartLoggingInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.StartLoggingOutput, error) {
	if err := f.call("StartLogging"); err != nil {
		return nil, err
	}
	f.logging = true
	return &cloudtrail.StartLoggingOutput{}, nil
}

// GetEventSelectors answers as AWS does for a new trail: one basic selector
// for all management events until advanced selectors are put.
func (f *fakeAWS) GetEventSelectors(ctx context.Context, in *cloudtrail.GetEventSelectorsInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.GetEventSelectorsOutput, error) {
	if f.advanced == nil {
		return &cloudtrail.GetEventSelectorsOutput{EventSelectors: []cttypes.EventSelector{{IncludeManagementEvents: aws.Bool(true), ReadWriteType: cttypes.ReadWriteTypeAll}}}, nil
	}
	return &cloudtrail.GetEventSelectorsOutput{AdvancedEventSelectors: f.advanced}, nil
}

func (f *fakeAWS) PutEventSelectors(ctx context.Context, in *cloudtrail.PutEventSelectorsInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.PutEventSelectorsOutput, error) {
	if err := f.call("PutEventSelectors"); err != nil {
		return nil, err
	}
	f.advanced = in.AdvancedEventSelectors
	return &cloudtrail.PutEventSelectorsOutput{}, nil
}

// GetInsightSelectors answers InsightNotEnabledException when the trail has
// no Insights, as AWS does.
func (f *fakeAWS) GetInsightSelectors(ctx context.Context, in *cloudtrail.GetInsightSelectorsInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.GetInsightSelectorsOutput, error) {
	if len(f.insights) == 0 {
		return nil, &cttypes.InsightNotEnabledException{Message: aws.String("not enabled")}
	}
	return &cloudtrail.GetInsightSelectorsOutput{InsightSelectors: f.insights}, nil
}

func (f *fakeAWS) PutInsightSelectors(ctx context.Context, in *cloudtrail.PutInsightSelectorsInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.PutInsightSelectorsOutput, error) {
	if err := f.call("PutInsightSelectors"); err != nil {
		return nil, err
	}
	if in.InsightSelectors == nil {
		return nil, errors.New("InsightSelectors is required")
	}
	f.insights = in.InsightSelectors
	return &cloudtrail.PutInsightSelectorsOutput{}, nil
}

func (f *fakeAWS) RegisterOrganizationDelegatedAdmin(ctx context.Context, in *cloudtrail.RegisterOrganizationDelegatedAdminInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.RegisterOrganizationDelegatedAdminOutput, error) {
	if err := f.call("RegisterOrganizationDelegatedAdmin"); err != nil {
		return nil, err
	}
	if len(f.admins) > 0 {
		return nil, &cttypes.AccountRegisteredException{Message: aws.String("registered")}
	}
	f.admins = append(f.admins, aws.ToString(in.MemberAccountId))
	return &cloudtrail.RegisterOrganizationDelegatedAdminOutput{}, nil
}

func (f *fakeAWS) DescribeKey(ctx context.Context, in *kms.DescribeKeyInput, _ ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
	if f.noAlias {
		return nil, &kmstypes.NotFoundException{Message: aws.String("Alias " + aws.ToString(in.KeyId) + " is not found.")}
	}
	return &kms.DescribeKeyOutput{KeyMetadata: &kmstypes.KeyMetadata{KeyId: aws.String("1234abcd"), Arn: aws.String(fKeyARN)}}, f.injected("DescribeKey")
}

func (f *fakeAWS) HeadBucket(ctx context.Context, in *s3.HeadBucketInput, _ ...func(*s3.Options)) (*s3.HeadBucketOutput, error) {
	if f.noBucket {
		return nil, &s3types.NotFound{}
	}
	return &s3.HeadBucketOutput{}, nil
}

func (f *fakeAWS) GetBucketEncryption(ctx context.Context, in *s3.GetBucketEncryptionInput, _ ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error) {
	if f.sse == "" {
		return nil, &smithy.GenericAPIError{Code: "ServerSideEncryptionConfigurationNotFoundError"}
	}
	return &s3.GetBucketEncryptionOutput{ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{{
		ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: f.sse, KMSMasterKeyID: aws.String(f.sseKey)},
	}}}}, nil
}

func (f *fakeAWS) PutBucketEncryption(ctx context.Context, in *s3.PutBucketEncryptionInput, _ ...func(*s3.Options)) (*s3.PutBucketEncryptionOutput, error) {
	if err := f.call("PutBucketEncryption"); err != nil {
		return nil, err
	}
	d := in.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault
	f.sse, f.sseKey = d.SSEAlgorithm, aws.ToString(d.KMSMasterKeyID)
	return &s3.PutBucketEncryptionOutput{}, nil
}

func (f *fakeAWS) ListAccounts(ctx context.Context, in *organizations.ListAccountsInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error) {
	// One account per page, to exercise the paginator.
	i := 0
	if in.NextToken != nil {
		i = len(*in.NextToken)
	}
	out := &organizations.ListAccountsOutput{}
	if i < len(f.accounts) {
		out.Accounts = f.accounts[i : i+1]
	}
	if i+1 < len(f.accounts) {
		out.NextToken = aws.String(strings.Repeat("x", i+1))
	}
	return out, nil
}

func (f *fakeAWS) ListDelegatedAdministrators(ctx context.Context, in *organizations.ListDelegatedAdministratorsInput, _ ...func(*organizations.Options)) (*organizations.ListDelegatedAdministratorsOutput, error) {
	if aws.ToString(in.ServicePrincipal) != "cloudtrail.amazonaws.com" {
		return nil, errors.New("unexpected principal " + aws.ToString(in.ServicePrincipal))
	}
	out := &organizations.ListDelegatedAdministratorsOutput{}
	for _, id := range f.admins {
		out.DelegatedAdministrators = append(out.DelegatedAdministrators, orgtypes.DelegatedAdministrator{Id: aws.String(id)})
	}
	return out, nil
}

// memberAPI reads the trails of one member account.
type memberAPI struct {
	f       *fakeAWS
	account string
}

func (m memberAPI) DescribeTrails(ctx context.Context, in *cloudtrail.DescribeTrailsInput, _ ...func(*cloudtrail.Options)) (*cloudtrail.DescribeTrailsOutput, error) {
	m.f.mu.Lock()
	defer m.f.mu.Unlock()
	m.f.read = append(m.f.read, m.account)
	if err := m.f.memberErr[m.account]; err != nil {
		return nil, err
	}
	return &cloudtrail.DescribeTrailsOutput{TrailList: m.f.members[m.account]}, nil
}

func fakeRun(t *testing.T, f *fakeAWS, cfg settings.Config, mode workflow.Mode) (workflow.StepResult, error) {
	t.Helper()
	return Run(context.Background(), f.deps(), cfg, workflow.Input{Mode: mode}, quiet)
}

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
	f.calls = nil
	res, err = fakeRun(t, f, cfg, workflow.ModeApply)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 0 || res.Changed {
		t.Errorf("re-run made calls %v (changed %v)", f.calls, res.Changed)
	}
}

func insightNames(sel []cttypes.InsightSelector) []string {
	var out []string
	for _, s := range sel {
		out = append(out, string(s.InsightType))
	}
	return out
}

// moto's PutInsightSelectors appends to the trail's selectors instead of
// replacing them, so switching Insights off is tested here.
func TestFakeSelectorsAndInsightsConverge(t *testing.T) {
	f := newFake()
	if _, err := fakeRun(t, f, config(t, "services: {cloudtrail: {insights: true, dataEvents: {s3: true}}}"), workflow.ModeApply); err != nil {
		t.Fatal(err)
	}
	f.calls = nil
	cfg := config(t, "services: {cloudtrail: {insights: false, dataEvents: {lambda: true}}}")
	res, err := fakeRun(t, f, cfg, workflow.ModeApply)
	if err != nil {
		t.Fatal(err)
	}
	if e, a := []string{"PutEventSelectors", "PutInsightSelectors"}, f.calls; !reflect.DeepEqual(e, a) {
		t.Errorf("calls: expect %v, got %v", e, a)
	}
	if len(f.insights) != 0 {
		t.Errorf("insights not switched off: %v", insightNames(f.insights))
	}
	if e, a := []string{"eventCategory =Data; resources.type =AWS::Lambda::Function", "eventCategory =Management"}, selectorKeys(f.advanced); !reflect.DeepEqual(e, a) {
		t.Errorf("selectors: expect %v, got %v", e, a)
	}
	if res.Outcomes[len(res.Outcomes)-1].Status != workflow.StatusChanged {
		t.Errorf("trail outcome: %+v", res.Outcomes)
	}
	f.calls = nil
	if _, err := fakeRun(t, f, cfg, workflow.ModeApply); err != nil || len(f.calls) != 0 {
		t.Errorf("re-run: calls %v, err %v", f.calls, err)
	}
}

func TestFakeDelegatedAdmin(t *testing.T) {
	tests := []struct {
		name      string
		admins    []string
		race      bool // another run registers the security account between read and call
		wantCalls []string
		conflict  bool
	}{
		{"none registered", nil, false, []string{"RegisterOrganizationDelegatedAdmin"}, false},
		{"security account registered", []string{fSecurity}, false, nil, false},
		{"already registered by a concurrent run", nil, true, []string{"RegisterOrganizationDelegatedAdmin"}, false},
		{"another account registered", []string{fOther}, false, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			f.admins = tt.admins
			f.sse, f.sseKey = sseKMS, fKeyARN
			cfg := config(t, "services: {cloudtrail: {delegatedAdmin: true}}")
			if tt.race {
				f.errs["RegisterOrganizationDelegatedAdmin"] = &cttypes.AccountRegisteredException{Message: aws.String("registered")}
				f.onErr["RegisterOrganizationDelegatedAdmin"] = func() { f.admins = []string{fSecurity} }
			}
			res, err := fakeRun(t, f, cfg, workflow.ModeApply)
			var ce *workflow.ConflictError
			if tt.conflict {
				if !errors.As(err, &ce) || !strings.Contains(err.Error(), fOther) || !strings.Contains(err.Error(), fSecurity) {
					t.Fatalf("expect a conflict naming %s and %s, got %v", fOther, fSecurity, err)
				}
				if len(f.calls) != 0 {
					t.Errorf("a conflict made calls: %v", f.calls)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var reg []string
			for _, c := range f.calls {
				if c == "RegisterOrganizationDelegatedAdmin" {
					reg = append(reg, c)
				}
			}
			if e, a := tt.wantCalls, reg; !reflect.DeepEqual(e, a) {
				t.Errorf("register calls: expect %v, got %v", e, a)
			}
			if e, a := []string{fSecurity}, f.admins; !reflect.DeepEqual(e, a) {
				t.Errorf("admins: expect %v, got %v", e, a)
			}
			found := false
			for _, o := range res.Outcomes {
				if o.Region == workflow.RegionGlobal {
					found = true
					if e, a := len(tt.wantCalls) > 0, len(o.Actions) > 0; e != a {
						t.Errorf("admin outcome actions: %v", o.Actions)
					}
				}
			}
			if !found {
				t.Error("no outcome for the delegated administrator")
			}
		})
	}
}

func TestFakeAlreadyRegisteredWithAnotherAccountIsConflict(t *testing.T) {
	f := newFake()
	f.errs["RegisterOrganizationDelegatedAdmin"] = &cttypes.AccountRegisteredException{Message: aws.String("registered")}
	f.onErr["RegisterOrganizationDelegatedAdmin"] = func() { f.admins = []string{fOther} }
	_, err := fakeRun(t, f, config(t, "services: {cloudtrail: {delegatedAdmin: true}}"), workflow.ModeApply)
	var ce *workflow.ConflictError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), fOther) {
		t.Errorf("expect a conflict naming %s, got %v", fOther, err)
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
			_, err := h.Handle(context.Background(), workflow.Input{Mode: workflow.ModeApply})
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

func TestFakePreflightWarnings(t *testing.T) {
	const own, suspended, closing, locked, clean = "444444444444", "555555555555", "666666666666", "777777777777", "888888888888"
	f := newFake()
	for _, a := range []struct {
		id    string
		state orgtypes.AccountState
	}{{own, orgtypes.AccountStateActive}, {suspended, orgtypes.AccountStateSuspended}, {closing, orgtypes.AccountStatePendingClosure}, {locked, orgtypes.AccountStateActive}, {clean, orgtypes.AccountStateActive}} {
		f.accounts = append(f.accounts, orgtypes.Account{Id: aws.String(a.id), State: a.state})
	}
	f.members[own] = []cttypes.Trail{
		{Name: aws.String("team-trail"), TrailARN: aws.String("arn:aws:cloudtrail:eu-west-1:" + own + ":trail/team-trail")},
		{Name: aws.String(settings.DefaultTrailName), TrailARN: aws.String("arn:aws:cloudtrail:eu-west-1:" + fMgmt + ":trail/" + settings.DefaultTrailName)},
	}
	f.members[clean] = []cttypes.Trail{{Name: aws.String(settings.DefaultTrailName), TrailARN: aws.String("arn:aws:cloudtrail:eu-west-1:" + fMgmt + ":trail/" + settings.DefaultTrailName)}}
	f.memberErr[locked] = errors.New("operation error STS: AssumeRole, AccessDenied")
	res, err := fakeRun(t, f, config(t, ""), workflow.ModePlan)
	if err != nil {
		t.Fatalf("preflight failures must not fail the step: %v", err)
	}
	has := func(parts ...string) bool {
		return slices.ContainsFunc(res.Warnings, func(w string) bool {
			for _, p := range parts {
				if !strings.Contains(w, p) {
					return false
				}
			}
			return true
		})
	}
	if !has(own, "team-trail") {
		t.Errorf("no warning naming %s and team-trail: %v", own, res.Warnings)
	}
	if has(own, settings.DefaultTrailName) {
		t.Errorf("the organization trail is reported as the account's own: %v", res.Warnings)
	}
	if !has(locked, "could not check", "AccessDenied") {
		t.Errorf("no warning for the account that could not be read: %v", res.Warnings)
	}
	for _, id := range []string{suspended, closing, clean, fMgmt} {
		if has(id + " ") {
			t.Errorf("unexpected warning about %s: %v", id, res.Warnings)
		}
	}
	slices.Sort(f.read)
	if e, a := []string{own, locked, clean}, f.read; !reflect.DeepEqual(e, a) {
		t.Errorf("accounts read: expect %v, got %v", e, a)
	}
	if !has("management account's own activity", fMgmt) || !has("CloudTrail Lake", "management account") {
		t.Errorf("missing the standing warnings: %v", res.Warnings)
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
			res, err := Run(context.Background(), f.deps(), config(t, tt.extra), tt.in, quiet)
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
