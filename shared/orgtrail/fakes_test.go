package orgtrail

import (
	"context"
	"errors"
	"log/slog"
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

	trail *cttypes.Trail
	// others are the management account's other trails (AWS Control
	// Tower's), listed when no trail is named.
	others   []cttypes.Trail
	advanced []cttypes.AdvancedEventSelector
	insights []cttypes.InsightSelector
	logging  bool
	admins   []string
	noAlias  bool
	noBucket bool
	sse      s3types.ServerSideEncryption
	sseKey   string
	// lastEncryption is the configuration of the last PutBucketEncryption.
	lastEncryption *s3types.ServerSideEncryptionConfiguration
	accounts       []orgtypes.Account
	members        map[string][]cttypes.Trail // account -> its own trails
	memberErr      map[string]error
	read           []string // accounts whose trails were read

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
	if len(in.TrailNameList) == 0 {
		out.TrailList = append(out.TrailList, f.others...)
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
	f.lastEncryption = in.ServerSideEncryptionConfiguration
	d := in.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault
	f.sse, f.sseKey = d.SSEAlgorithm, aws.ToString(d.KMSMasterKeyID)
	return &s3.PutBucketEncryptionOutput{}, nil
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

// fakeRun runs the step on f with the run's accounts as the state machine
// passes them: f's ACTIVE accounts.
func fakeRun(t *testing.T, f *fakeAWS, cfg settings.Config, mode workflow.Mode) (workflow.StepResult, error) {
	t.Helper()
	return runItem(context.Background(), f.deps(), cfg, workflow.Item{Input: workflow.Input{Mode: mode}, Accounts: f.activeIDs()}, quiet)
}

// runItem runs the step with item, as the state machine calls it.
func runItem(ctx context.Context, d Deps, cfg settings.Config, item workflow.Item, log *slog.Logger) (workflow.StepResult, error) {
	return Run(ctx, d, cfg, item, log)
}

// activeIDs returns f's ACTIVE accounts, in f's order.
func (f *fakeAWS) activeIDs() []string {
	var ids []string
	for _, a := range f.accounts {
		if a.State == orgtypes.AccountStateActive {
			ids = append(ids, aws.ToString(a.Id))
		}
	}
	return ids
}
