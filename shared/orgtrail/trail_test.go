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
	// seq records every CloudTrail call, reads included, as "<account>
	// <region> <operation>", by the account and region of the client it went
	// through; ids are the trail names or ARNs the calls on the trail gave.
	seq []string
	ids []string
	// The inputs of the last CreateTrail and UpdateTrail.
	created *cloudtrail.CreateTrailInput
	updated *cloudtrail.UpdateTrailInput
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

// deps gives the step a CloudTrail client per account and region, each
// recording its calls in f.seq under its own account and region.
func (f *fakeAWS) deps() Deps {
	return Deps{
		KMS: f, S3: f, Orgs: f,
		CloudTrail:   func(account, region string) CloudTrailAPI { return fakeCT{f, account, region} },
		MemberTrails: func(account string) DescribeTrailsAPI { return memberAPI{f, account} },
	}
}

// fakeCT is the CloudTrail client of one account and region.
type fakeCT struct {
	f               *fakeAWS
	account, region string
}

func (c fakeCT) record(op, id string) {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	c.f.seq = append(c.f.seq, c.account+" "+c.region+" "+op)
	if id != "" {
		c.f.ids = append(c.f.ids, id)
	}
}

// callsIn returns the CloudTrail operations made through account's clients.
func (f *fakeAWS) callsIn(account string) []string {
	var out []string
	for _, c := range f.seq {
		parts := strings.Fields(c)
		if parts[0] == account {
			out = append(out, parts[2])
		}
	}
	return out
}

func (c fakeCT) DescribeTrails(ctx context.Context, in *cloudtrail.DescribeTrailsInput, o ...func(*cloudtrail.Options)) (*cloudtrail.DescribeTrailsOutput, error) {
	c.record("DescribeTrails", "")
	return c.f.DescribeTrails(ctx, in, o...)
}

func (c fakeCT) CreateTrail(ctx context.Context, in *cloudtrail.CreateTrailInput, o ...func(*cloudtrail.Options)) (*cloudtrail.CreateTrailOutput, error) {
	c.record("CreateTrail", "")
	c.f.created = in
	return c.f.CreateTrail(ctx, in, o...)
}

func (c fakeCT) UpdateTrail(ctx context.Context, in *cloudtrail.UpdateTrailInput, o ...func(*cloudtrail.Options)) (*cloudtrail.UpdateTrailOutput, error) {
	c.record("UpdateTrail", aws.ToString(in.Name))
	c.f.updated = in
	return c.f.UpdateTrail(ctx, in, o...)
}

func (c fakeCT) GetTrailStatus(ctx context.Context, in *cloudtrail.GetTrailStatusInput, o ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error) {
	c.record("GetTrailStatus", aws.ToString(in.Name))
	return c.f.GetTrailStatus(ctx, in, o...)
}

func (c fakeCT) StartLogging(ctx context.Context, in *cloudtrail.StartLoggingInput, o ...func(*cloudtrail.Options)) (*cloudtrail.StartLoggingOutput, error) {
	c.record("StartLogging", aws.ToString(in.Name))
	return c.f.StartLogging(ctx, in, o...)
}

func (c fakeCT) GetEventSelectors(ctx context.Context, in *cloudtrail.GetEventSelectorsInput, o ...func(*cloudtrail.Options)) (*cloudtrail.GetEventSelectorsOutput, error) {
	c.record("GetEventSelectors", aws.ToString(in.TrailName))
	return c.f.GetEventSelectors(ctx, in, o...)
}

func (c fakeCT) PutEventSelectors(ctx context.Context, in *cloudtrail.PutEventSelectorsInput, o ...func(*cloudtrail.Options)) (*cloudtrail.PutEventSelectorsOutput, error) {
	c.record("PutEventSelectors", aws.ToString(in.TrailName))
	return c.f.PutEventSelectors(ctx, in, o...)
}

func (c fakeCT) GetInsightSelectors(ctx context.Context, in *cloudtrail.GetInsightSelectorsInput, o ...func(*cloudtrail.Options)) (*cloudtrail.GetInsightSelectorsOutput, error) {
	c.record("GetInsightSelectors", aws.ToString(in.TrailName))
	return c.f.GetInsightSelectors(ctx, in, o...)
}

func (c fakeCT) PutInsightSelectors(ctx context.Context, in *cloudtrail.PutInsightSelectorsInput, o ...func(*cloudtrail.Options)) (*cloudtrail.PutInsightSelectorsOutput, error) {
	c.record("PutInsightSelectors", aws.ToString(in.TrailName))
	return c.f.PutInsightSelectors(ctx, in, o...)
}

func (c fakeCT) RegisterOrganizationDelegatedAdmin(ctx context.Context, in *cloudtrail.RegisterOrganizationDelegatedAdminInput, o ...func(*cloudtrail.Options)) (*cloudtrail.RegisterOrganizationDelegatedAdminOutput, error) {
	c.record("RegisterOrganizationDelegatedAdmin", "")
	return c.f.RegisterOrganizationDelegatedAdmin(ctx, in, o...)
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
	return &kms.DescribeKeyOutput{KeyMetadata: &kmstypes.KeyMetadata{KeyId: aws.String("1234abcd"), Arn: aws.String(fKeyARN), Enabled: true, KeyState: kmstypes.KeyStateEnabled}}, f.injected("DescribeKey")
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

// Both rollbacks act through the security account, in every region they
// read, when the trail is managed from there.
func TestFakeManagedFromSecurityRollbacks(t *testing.T) {
	f := newFake()
	cfg := config(t, fSecurityManaged)
	cfg.Regions.Names = []string{"eu-west-1", "us-east-1"}
	if _, err := fakeRun(t, f, cfg, workflow.ModeApply); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	f.calls, f.seq, f.ids = nil, nil, nil
	res, err := RollbackCloudWatchLogs(ctx, f.deps(), cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	if e, a := []string{"UpdateTrail"}, f.calls; !reflect.DeepEqual(e, a) {
		t.Errorf("CloudWatch Logs rollback calls: expect %v, got %v", e, a)
	}
	if f.trail.CloudWatchLogsLogGroupArn != nil || f.trail.CloudWatchLogsRoleArn != nil {
		t.Errorf("CloudWatch Logs delivery still set: %+v", f.trail)
	}
	if o := outcomeOf(t, res, "eu-west-1", CallUpdateTrail); o.Account != fSecurity {
		t.Errorf("rollback outcome in %s, want %s", o.Account, fSecurity)
	}
	if !slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.Contains(w, workflow.SecurityStackName) }) {
		t.Errorf("the warning does not name the security stack: %v", res.Warnings)
	}

	f.calls = nil
	res, err = RollbackEncryption(ctx, f.deps(), cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	if e, a := []string{"UpdateTrail", "PutBucketEncryption"}, f.calls; !reflect.DeepEqual(e, a) {
		t.Errorf("calls: expect %v, got %v", e, a)
	}
	if f.trail.KmsKeyId != nil || f.sse != s3types.ServerSideEncryptionAes256 {
		t.Errorf("encryption not rolled back: key %v, bucket %s", aws.ToString(f.trail.KmsKeyId), f.sse)
	}
	for _, o := range res.Outcomes {
		if o.Status == workflow.StatusFailed {
			t.Errorf("failed outcome: %+v", o)
		}
	}
	if !slices.Contains(f.seq, fSecurity+" us-east-1 DescribeTrails") {
		t.Errorf("the trail was not verified from the security account in us-east-1: %v", f.seq)
	}
	if a := f.callsIn(fMgmt); len(a) != 0 {
		t.Errorf("the rollbacks called CloudTrail in the management account: %v", a)
	}
	for _, id := range f.ids {
		if id != fTrailARN {
			t.Errorf("a rollback call names the trail %s, want %s", id, fTrailARN)
		}
	}
}
