package configsvc

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cfgtypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// Accounts of fakeConfig.
const (
	mgmtID     = "111111111111"
	securityID = "222222222222"
	logID      = "333333333333"
)

func fakeConfig(t testing.TB, extra string) settings.Config {
	t.Helper()
	c, err := settings.Load("t.yaml", strings.NewReader(`
accounts: {management: "`+mgmtID+`", security: "`+securityID+`", logArchive: "`+logID+`"}
organizationId: o-abcdef1234
homeRegion: us-east-1
regions: [us-east-1, eu-west-1]
`+extra))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fakeConfigService is AWS Config of the security account in one region,
// behind AggregatorAPI and RulesAPI. It answers as Config does: a Describe
// by name refuses the whole call when a name is missing, and the lists are
// paginated (one item per page, two for members' statuses).
type fakeConfigService struct {
	aggregators map[string]cfgtypes.ConfigurationAggregator
	rules       map[string]cfgtypes.OrganizationConfigRule
	packs       map[string]cfgtypes.OrganizationConformancePack
	// ruleStatus and packStatus are the organization-wide statuses.
	ruleStatus map[string]status
	packStatus map[string]status
	// settle is the status a put leaves: "" for CREATE_SUCCESSFUL or
	// UPDATE_SUCCESSFUL.
	settle string
	// ruleMembers and packMembers are the members' statuses, by name.
	ruleMembers map[string][]status
	packMembers map[string][]status
	// errs holds the errors of each operation's next calls, in order (nil
	// for a call that succeeds).
	errs map[string][]error

	calls    []string
	mutating []string
	putAggs  []*configservice.PutConfigurationAggregatorInput
	putRules []*configservice.PutOrganizationConfigRuleInput
	putPacks []*configservice.PutOrganizationConformancePackInput
	// packNames are the names of each DescribeOrganizationConformancePacks
	// call.
	packNames [][]string
}

func newFake() *fakeConfigService {
	return &fakeConfigService{
		aggregators: map[string]cfgtypes.ConfigurationAggregator{},
		rules:       map[string]cfgtypes.OrganizationConfigRule{},
		packs:       map[string]cfgtypes.OrganizationConformancePack{},
		ruleStatus:  map[string]status{},
		packStatus:  map[string]status{},
		ruleMembers: map[string][]status{},
		packMembers: map[string][]status{},
		errs:        map[string][]error{},
	}
}

func (f *fakeConfigService) call(op string) error {
	f.calls = append(f.calls, op)
	if strings.HasPrefix(op, "Put") {
		f.mutating = append(f.mutating, op)
	}
	q := f.errs[op]
	if len(q) == 0 {
		return nil
	}
	f.errs[op] = q[1:]
	return q[0]
}

// page returns the items of one page of keys (sorted), n per page, from
// the token, and the next token.
func page(keys []string, token *string, n int) ([]string, *string) {
	slices.Sort(keys)
	i := 0
	if token != nil {
		i, _ = strconv.Atoi(*token)
	}
	end := min(i+n, len(keys))
	var next *string
	if end < len(keys) {
		next = aws.String(strconv.Itoa(end))
	}
	return keys[i:end], next
}

// named returns names, or every key of m when names is empty, refusing
// with noSuch when one is missing.
func named[V any](m map[string]V, names []string, noSuch error) ([]string, error) {
	if len(names) == 0 {
		var all []string
		for k := range m {
			all = append(all, k)
		}
		return all, nil
	}
	for _, n := range names {
		if _, ok := m[n]; !ok {
			return nil, noSuch
		}
	}
	return slices.Clone(names), nil
}

func (f *fakeConfigService) DescribeConfigurationAggregators(ctx context.Context, in *configservice.DescribeConfigurationAggregatorsInput, _ ...func(*configservice.Options)) (*configservice.DescribeConfigurationAggregatorsOutput, error) {
	if err := f.call("DescribeConfigurationAggregators"); err != nil {
		return nil, err
	}
	names, err := named(f.aggregators, in.ConfigurationAggregatorNames, &cfgtypes.NoSuchConfigurationAggregatorException{Message: aws.String("no such aggregator")})
	if err != nil {
		return nil, err
	}
	keys, next := page(names, in.NextToken, 1)
	out := &configservice.DescribeConfigurationAggregatorsOutput{NextToken: next}
	for _, k := range keys {
		out.ConfigurationAggregators = append(out.ConfigurationAggregators, f.aggregators[k])
	}
	return out, nil
}

func (f *fakeConfigService) PutConfigurationAggregator(ctx context.Context, in *configservice.PutConfigurationAggregatorInput, _ ...func(*configservice.Options)) (*configservice.PutConfigurationAggregatorOutput, error) {
	f.putAggs = append(f.putAggs, in)
	if err := f.call("PutConfigurationAggregator"); err != nil {
		return nil, err
	}
	a := cfgtypes.ConfigurationAggregator{
		ConfigurationAggregatorName: in.ConfigurationAggregatorName, OrganizationAggregationSource: in.OrganizationAggregationSource,
		AccountAggregationSources: in.AccountAggregationSources, AggregatorFilters: in.AggregatorFilters,
	}
	f.aggregators[aws.ToString(in.ConfigurationAggregatorName)] = a
	return &configservice.PutConfigurationAggregatorOutput{ConfigurationAggregator: &a}, nil
}

func (f *fakeConfigService) DescribeOrganizationConfigRules(ctx context.Context, in *configservice.DescribeOrganizationConfigRulesInput, _ ...func(*configservice.Options)) (*configservice.DescribeOrganizationConfigRulesOutput, error) {
	if err := f.call("DescribeOrganizationConfigRules"); err != nil {
		return nil, err
	}
	names, err := named(f.rules, in.OrganizationConfigRuleNames, &cfgtypes.NoSuchOrganizationConfigRuleException{Message: aws.String("no such rule")})
	if err != nil {
		return nil, err
	}
	keys, next := page(names, in.NextToken, 1)
	out := &configservice.DescribeOrganizationConfigRulesOutput{NextToken: next}
	for _, k := range keys {
		out.OrganizationConfigRules = append(out.OrganizationConfigRules, f.rules[k])
	}
	return out, nil
}

// settled is the status a put leaves.
func (f *fakeConfigService) settled(existed bool) string {
	switch {
	case f.settle != "":
		return f.settle
	case existed:
		return "UPDATE_SUCCESSFUL"
	}
	return "CREATE_SUCCESSFUL"
}

func (f *fakeConfigService) PutOrganizationConfigRule(ctx context.Context, in *configservice.PutOrganizationConfigRuleInput, _ ...func(*configservice.Options)) (*configservice.PutOrganizationConfigRuleOutput, error) {
	f.putRules = append(f.putRules, in)
	if err := f.call("PutOrganizationConfigRule"); err != nil {
		return nil, err
	}
	name := aws.ToString(in.OrganizationConfigRuleName)
	_, existed := f.rules[name]
	f.rules[name] = cfgtypes.OrganizationConfigRule{
		OrganizationConfigRuleName: in.OrganizationConfigRuleName, OrganizationManagedRuleMetadata: in.OrganizationManagedRuleMetadata,
		ExcludedAccounts: in.ExcludedAccounts,
	}
	f.ruleStatus[name] = status{status: f.settled(existed)}
	return &configservice.PutOrganizationConfigRuleOutput{OrganizationConfigRuleArn: aws.String("arn:rule/" + name)}, nil
}

func (f *fakeConfigService) DescribeOrganizationConfigRuleStatuses(ctx context.Context, in *configservice.DescribeOrganizationConfigRuleStatusesInput, _ ...func(*configservice.Options)) (*configservice.DescribeOrganizationConfigRuleStatusesOutput, error) {
	if err := f.call("DescribeOrganizationConfigRuleStatuses"); err != nil {
		return nil, err
	}
	names, err := named(f.rules, in.OrganizationConfigRuleNames, &cfgtypes.NoSuchOrganizationConfigRuleException{Message: aws.String("no such rule")})
	if err != nil {
		return nil, err
	}
	keys, next := page(names, in.NextToken, 1)
	out := &configservice.DescribeOrganizationConfigRuleStatusesOutput{NextToken: next}
	for _, k := range keys {
		s, ok := f.ruleStatus[k]
		if !ok {
			continue
		}
		out.OrganizationConfigRuleStatuses = append(out.OrganizationConfigRuleStatuses, cfgtypes.OrganizationConfigRuleStatus{
			OrganizationConfigRuleName: aws.String(k), OrganizationRuleStatus: cfgtypes.OrganizationRuleStatus(s.status),
			ErrorCode: optional(s.code), ErrorMessage: optional(s.message),
		})
	}
	return out, nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func (f *fakeConfigService) GetOrganizationConfigRuleDetailedStatus(ctx context.Context, in *configservice.GetOrganizationConfigRuleDetailedStatusInput, _ ...func(*configservice.Options)) (*configservice.GetOrganizationConfigRuleDetailedStatusOutput, error) {
	if err := f.call("GetOrganizationConfigRuleDetailedStatus"); err != nil {
		return nil, err
	}
	name := aws.ToString(in.OrganizationConfigRuleName)
	if _, ok := f.rules[name]; !ok {
		return nil, &cfgtypes.NoSuchOrganizationConfigRuleException{Message: aws.String("no such rule")}
	}
	members := f.ruleMembers[name]
	var ids []string
	for i := range members {
		ids = append(ids, fmt.Sprintf("%04d", i))
	}
	keys, next := page(ids, in.NextToken, 2)
	out := &configservice.GetOrganizationConfigRuleDetailedStatusOutput{NextToken: next}
	for _, k := range keys {
		i, _ := strconv.Atoi(k)
		m := members[i]
		out.OrganizationConfigRuleDetailedStatus = append(out.OrganizationConfigRuleDetailedStatus, cfgtypes.MemberAccountStatus{
			AccountId: aws.String(m.account), ConfigRuleName: aws.String(name), MemberAccountRuleStatus: cfgtypes.MemberAccountRuleStatus(m.status),
			ErrorCode: optional(m.code), ErrorMessage: optional(m.message),
		})
	}
	return out, nil
}

func (f *fakeConfigService) DescribeOrganizationConformancePacks(ctx context.Context, in *configservice.DescribeOrganizationConformancePacksInput, _ ...func(*configservice.Options)) (*configservice.DescribeOrganizationConformancePacksOutput, error) {
	f.packNames = append(f.packNames, slices.Clone(in.OrganizationConformancePackNames))
	if err := f.call("DescribeOrganizationConformancePacks"); err != nil {
		return nil, err
	}
	if len(in.OrganizationConformancePackNames) == 0 {
		// As the emulator: the step must name the packs.
		return nil, fmt.Errorf("DescribeOrganizationConformancePacks without names")
	}
	names, err := named(f.packs, in.OrganizationConformancePackNames, &cfgtypes.NoSuchOrganizationConformancePackException{Message: aws.String("One or more organization conformance packs with specified names are not present.")})
	if err != nil {
		return nil, err
	}
	keys, next := page(names, in.NextToken, 1)
	out := &configservice.DescribeOrganizationConformancePacksOutput{NextToken: next}
	for _, k := range keys {
		out.OrganizationConformancePacks = append(out.OrganizationConformancePacks, f.packs[k])
	}
	return out, nil
}

func (f *fakeConfigService) PutOrganizationConformancePack(ctx context.Context, in *configservice.PutOrganizationConformancePackInput, _ ...func(*configservice.Options)) (*configservice.PutOrganizationConformancePackOutput, error) {
	f.putPacks = append(f.putPacks, in)
	if err := f.call("PutOrganizationConformancePack"); err != nil {
		return nil, err
	}
	if (in.TemplateBody == nil) == (in.TemplateS3Uri == nil) {
		return nil, &cfgtypes.ValidationException{Message: aws.String("give TemplateBody or TemplateS3Uri")}
	}
	name := aws.ToString(in.OrganizationConformancePackName)
	_, existed := f.packs[name]
	f.packs[name] = cfgtypes.OrganizationConformancePack{
		OrganizationConformancePackName: in.OrganizationConformancePackName, DeliveryS3Bucket: in.DeliveryS3Bucket,
		ConformancePackInputParameters: in.ConformancePackInputParameters, ExcludedAccounts: in.ExcludedAccounts,
	}
	f.packStatus[name] = status{status: f.settled(existed)}
	return &configservice.PutOrganizationConformancePackOutput{OrganizationConformancePackArn: aws.String("arn:pack/" + name)}, nil
}

func (f *fakeConfigService) DescribeOrganizationConformancePackStatuses(ctx context.Context, in *configservice.DescribeOrganizationConformancePackStatusesInput, _ ...func(*configservice.Options)) (*configservice.DescribeOrganizationConformancePackStatusesOutput, error) {
	if err := f.call("DescribeOrganizationConformancePackStatuses"); err != nil {
		return nil, err
	}
	names, err := named(f.packs, in.OrganizationConformancePackNames, &cfgtypes.NoSuchOrganizationConformancePackException{Message: aws.String("no such pack")})
	if err != nil {
		return nil, err
	}
	keys, next := page(names, in.NextToken, 1)
	out := &configservice.DescribeOrganizationConformancePackStatusesOutput{NextToken: next}
	for _, k := range keys {
		s, ok := f.packStatus[k]
		if !ok {
			continue
		}
		out.OrganizationConformancePackStatuses = append(out.OrganizationConformancePackStatuses, cfgtypes.OrganizationConformancePackStatus{
			OrganizationConformancePackName: aws.String(k), Status: cfgtypes.OrganizationResourceStatus(s.status),
			ErrorCode: optional(s.code), ErrorMessage: optional(s.message),
		})
	}
	return out, nil
}

func (f *fakeConfigService) GetOrganizationConformancePackDetailedStatus(ctx context.Context, in *configservice.GetOrganizationConformancePackDetailedStatusInput, _ ...func(*configservice.Options)) (*configservice.GetOrganizationConformancePackDetailedStatusOutput, error) {
	if err := f.call("GetOrganizationConformancePackDetailedStatus"); err != nil {
		return nil, err
	}
	name := aws.ToString(in.OrganizationConformancePackName)
	if _, ok := f.packs[name]; !ok {
		return nil, &cfgtypes.NoSuchOrganizationConformancePackException{Message: aws.String("no such pack")}
	}
	out := &configservice.GetOrganizationConformancePackDetailedStatusOutput{}
	for _, m := range f.packMembers[name] {
		out.OrganizationConformancePackDetailedStatuses = append(out.OrganizationConformancePackDetailedStatuses, cfgtypes.OrganizationConformancePackDetailedStatus{
			AccountId: aws.String(m.account), ConformancePackName: aws.String(name), Status: cfgtypes.OrganizationResourceDetailedStatus(m.status),
			ErrorCode: optional(m.code), ErrorMessage: optional(m.message),
		})
	}
	return out, nil
}

var (
	_ AggregatorAPI = (*fakeConfigService)(nil)
	_ RulesAPI      = (*fakeConfigService)(nil)
)

func statuses(res workflow.StepResult) []workflow.Status {
	var s []workflow.Status
	for _, o := range res.Outcomes {
		s = append(s, o.Status)
	}
	return s
}

// errName is the name the state machine sees for err.
func errName(err error) string {
	if err == nil {
		return ""
	}
	return reflect.TypeOf(err).Elem().Name()
}

// fakeRecorderConfig is AWS Config in one account and region behind ConfigAPI. It
// refuses what Config refuses: a second recorder or channel, a channel
// without a recorder, starting without a channel.
type fakeRecorderConfig struct {
	recorders []cfgtypes.ConfigurationRecorder
	channels  []cfgtypes.DeliveryChannel
	recording map[string]bool
	// errs holds the errors of each operation's next calls, in order (nil
	// for a call that succeeds).
	errs map[string][]error

	calls       []string
	mutating    []string
	putRecorder []*configservice.PutConfigurationRecorderInput
	putChannel  []*configservice.PutDeliveryChannelInput
}

func (f *fakeRecorderConfig) next(op string) error {
	f.calls = append(f.calls, op)
	q := f.errs[op]
	if len(q) == 0 {
		return nil
	}
	f.errs[op] = q[1:]
	return q[0]
}

func (f *fakeRecorderConfig) DescribeConfigurationRecorders(ctx context.Context, in *configservice.DescribeConfigurationRecordersInput, _ ...func(*configservice.Options)) (*configservice.DescribeConfigurationRecordersOutput, error) {
	if err := f.next("DescribeConfigurationRecorders"); err != nil {
		return nil, err
	}
	return &configservice.DescribeConfigurationRecordersOutput{ConfigurationRecorders: slices.Clone(f.recorders)}, nil
}

func (f *fakeRecorderConfig) DescribeConfigurationRecorderStatus(ctx context.Context, in *configservice.DescribeConfigurationRecorderStatusInput, _ ...func(*configservice.Options)) (*configservice.DescribeConfigurationRecorderStatusOutput, error) {
	if err := f.next("DescribeConfigurationRecorderStatus"); err != nil {
		return nil, err
	}
	out := &configservice.DescribeConfigurationRecorderStatusOutput{}
	for _, n := range in.ConfigurationRecorderNames {
		if f.recorder(n) < 0 {
			return nil, &cfgtypes.NoSuchConfigurationRecorderException{Message: aws.String(n)}
		}
		out.ConfigurationRecordersStatus = append(out.ConfigurationRecordersStatus, cfgtypes.ConfigurationRecorderStatus{Name: aws.String(n), Recording: f.recording[n]})
	}
	return out, nil
}

func (f *fakeRecorderConfig) DescribeDeliveryChannels(ctx context.Context, in *configservice.DescribeDeliveryChannelsInput, _ ...func(*configservice.Options)) (*configservice.DescribeDeliveryChannelsOutput, error) {
	if err := f.next("DescribeDeliveryChannels"); err != nil {
		return nil, err
	}
	return &configservice.DescribeDeliveryChannelsOutput{DeliveryChannels: slices.Clone(f.channels)}, nil
}

func (f *fakeRecorderConfig) recorder(name string) int {
	return slices.IndexFunc(f.recorders, func(r cfgtypes.ConfigurationRecorder) bool { return aws.ToString(r.Name) == name })
}

func (f *fakeRecorderConfig) PutConfigurationRecorder(ctx context.Context, in *configservice.PutConfigurationRecorderInput, _ ...func(*configservice.Options)) (*configservice.PutConfigurationRecorderOutput, error) {
	f.mutating = append(f.mutating, "PutConfigurationRecorder")
	f.putRecorder = append(f.putRecorder, in)
	if err := f.next("PutConfigurationRecorder"); err != nil {
		return nil, err
	}
	name := aws.ToString(in.ConfigurationRecorder.Name)
	i := f.recorder(name)
	switch {
	case i >= 0:
		f.recorders[i] = *in.ConfigurationRecorder
	case len(f.recorders) > 0:
		return nil, &cfgtypes.MaxNumberOfConfigurationRecordersExceededException{Message: aws.String("one recorder per region")}
	default:
		f.recorders = append(f.recorders, *in.ConfigurationRecorder)
	}
	return &configservice.PutConfigurationRecorderOutput{}, nil
}

func (f *fakeRecorderConfig) PutDeliveryChannel(ctx context.Context, in *configservice.PutDeliveryChannelInput, _ ...func(*configservice.Options)) (*configservice.PutDeliveryChannelOutput, error) {
	f.mutating = append(f.mutating, "PutDeliveryChannel")
	f.putChannel = append(f.putChannel, in)
	if err := f.next("PutDeliveryChannel"); err != nil {
		return nil, err
	}
	if len(f.recorders) == 0 {
		return nil, &cfgtypes.NoAvailableConfigurationRecorderException{}
	}
	name := aws.ToString(in.DeliveryChannel.Name)
	i := slices.IndexFunc(f.channels, func(c cfgtypes.DeliveryChannel) bool { return aws.ToString(c.Name) == name })
	switch {
	case i >= 0:
		f.channels[i] = *in.DeliveryChannel
	case len(f.channels) > 0:
		return nil, &cfgtypes.MaxNumberOfDeliveryChannelsExceededException{}
	default:
		f.channels = append(f.channels, *in.DeliveryChannel)
	}
	return &configservice.PutDeliveryChannelOutput{}, nil
}

func (f *fakeRecorderConfig) StartConfigurationRecorder(ctx context.Context, in *configservice.StartConfigurationRecorderInput, _ ...func(*configservice.Options)) (*configservice.StartConfigurationRecorderOutput, error) {
	name := aws.ToString(in.ConfigurationRecorderName)
	f.mutating = append(f.mutating, "StartConfigurationRecorder "+name)
	if err := f.next("StartConfigurationRecorder"); err != nil {
		return nil, err
	}
	if f.recorder(name) < 0 {
		return nil, &cfgtypes.NoSuchConfigurationRecorderException{Message: aws.String(name)}
	}
	if len(f.channels) == 0 {
		return nil, &cfgtypes.NoAvailableDeliveryChannelException{}
	}
	if f.recording == nil {
		f.recording = map[string]bool{}
	}
	f.recording[name] = true
	return &configservice.StartConfigurationRecorderOutput{}, nil
}

// fakeIAM is IAM in one account: the service-linked role exists or not.
type fakeIAM struct {
	exists bool
	// createErr is CreateServiceLinkedRole's answer, when set; the role is
	// not made then.
	createErr error
	getErr    error
	gets      int
	creates   []*iam.CreateServiceLinkedRoleInput
}

func (f *fakeIAM) GetRole(ctx context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	f.gets++
	if f.getErr != nil {
		return nil, f.getErr
	}
	if aws.ToString(in.RoleName) != "AWSServiceRoleForConfig" || !f.exists {
		return nil, &iamtypes.NoSuchEntityException{Message: aws.String("The role with name " + aws.ToString(in.RoleName) + " cannot be found.")}
	}
	return &iam.GetRoleOutput{Role: &iamtypes.Role{RoleName: in.RoleName, Arn: aws.String(slrARN)}}, nil
}

func (f *fakeIAM) CreateServiceLinkedRole(ctx context.Context, in *iam.CreateServiceLinkedRoleInput, _ ...func(*iam.Options)) (*iam.CreateServiceLinkedRoleOutput, error) {
	f.creates = append(f.creates, in)
	if f.createErr != nil {
		return nil, f.createErr
	}
	if aws.ToString(in.AWSServiceName) != "config.amazonaws.com" {
		return nil, fmt.Errorf("role for %s", aws.ToString(in.AWSServiceName))
	}
	if f.exists {
		return nil, &iamtypes.InvalidInputException{Message: aws.String("Service role name AWSServiceRoleForConfig has been taken in this account, please try a different suffix.")}
	}
	f.exists = true
	return &iam.CreateServiceLinkedRoleOutput{Role: &iamtypes.Role{Arn: aws.String(slrARN)}}, nil
}

// fakeKMS is KMS in the security account's home region.
type fakeKMS struct {
	errs []error
	// state is the key's state; Enabled when empty.
	state kmstypes.KeyState
	calls []string
}

func (f *fakeKMS) DescribeKey(ctx context.Context, in *kms.DescribeKeyInput, _ ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
	f.calls = append(f.calls, aws.ToString(in.KeyId))
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		if err != nil {
			return nil, err
		}
	}
	if aws.ToString(in.KeyId) != "arn:aws:kms:us-east-1:222222222222:alias/orgbaseline-config" {
		return nil, &kmstypes.NotFoundException{Message: aws.String("no such alias " + aws.ToString(in.KeyId))}
	}
	state := f.state
	if state == "" {
		state = kmstypes.KeyStateEnabled
	}
	return &kms.DescribeKeyOutput{KeyMetadata: &kmstypes.KeyMetadata{Arn: aws.String(keyARN), Enabled: state == kmstypes.KeyStateEnabled, KeyState: state}}, nil
}

// fakes are one account and region: Config, IAM, and the security
// account's KMS.
type fakes struct {
	cfg *fakeRecorderConfig
	iam *fakeIAM
	kms *fakeKMS
}

// empty is an account and region where Config was never set up.
func empty() *fakes {
	return &fakes{cfg: &fakeRecorderConfig{errs: map[string][]error{}, recording: map[string]bool{}}, iam: &fakeIAM{}, kms: &fakeKMS{}}
}

func (f *fakes) handler(t testing.TB, cfg settings.Config, account, region string) *Handler {
	return &Handler{
		Settings: cfg,
		Log:      quiet,
		In: func(a, r string) (ConfigAPI, IAMAPI) {
			if a != account || r != region {
				t.Errorf("clients asked for %s/%s, want %s/%s", a, r, account, region)
			}
			return f.cfg, f.iam
		},
		KeyARN: (&awsclient.KeyResolver{KMS: f.kms, Key: DeliveryKey(cfg)}).ARN,
	}
}
