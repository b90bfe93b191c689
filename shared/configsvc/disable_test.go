package configsvc

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cfgtypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"

	"github.com/orgbaseline/orgbaseline/shared/org/teardown"
	"github.com/orgbaseline/orgbaseline/shared/org/teardown/fakeorg"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

const (
	disMgmt     = "111111111111"
	disSecurity = "222222222222"
	disMember   = "333333333333"
)

var disRegions = []string{"us-east-1", "eu-west-1"}

// disOrgConfig is AWS Config in the security account, in one region: its
// organization rules, packs and aggregators.
type disOrgConfig struct {
	region      string
	log         *fakeorg.Log
	rules       []string
	packs       []string
	aggregators []string
	// deleting are the rules and packs Config is deleting: still listed,
	// DELETE_IN_PROGRESS, until finish.
	deleting map[string]bool
	// admin says whether the account is the delegated administrator for
	// organization rules and packs: their calls are refused otherwise.
	admin func() bool
}

func (f *disOrgConfig) refused() error {
	if f.admin() {
		return nil
	}
	return &cfgtypes.OrganizationAccessDeniedException{Message: aws.String("not the delegated administrator")}
}

// finish ends the deletions in progress.
func (f *disOrgConfig) finish() {
	for name := range f.deleting {
		f.rules = disWithout(f.rules, name)
		f.packs = disWithout(f.packs, name)
	}
	f.deleting = map[string]bool{}
}

func (f *disOrgConfig) status(name string) string {
	if f.deleting[name] {
		return "DELETE_IN_PROGRESS"
	}
	return "CREATE_SUCCESSFUL"
}

func (f *disOrgConfig) DescribeOrganizationConfigRuleStatuses(_ context.Context, in *configservice.DescribeOrganizationConfigRuleStatusesInput, _ ...func(*configservice.Options)) (*configservice.DescribeOrganizationConfigRuleStatusesOutput, error) {
	out := &configservice.DescribeOrganizationConfigRuleStatusesOutput{}
	for _, n := range in.OrganizationConfigRuleNames {
		out.OrganizationConfigRuleStatuses = append(out.OrganizationConfigRuleStatuses, cfgtypes.OrganizationConfigRuleStatus{OrganizationConfigRuleName: aws.String(n), OrganizationRuleStatus: cfgtypes.OrganizationRuleStatus(f.status(n))})
	}
	return out, nil
}

func (f *disOrgConfig) DescribeOrganizationConformancePackStatuses(_ context.Context, in *configservice.DescribeOrganizationConformancePackStatusesInput, _ ...func(*configservice.Options)) (*configservice.DescribeOrganizationConformancePackStatusesOutput, error) {
	out := &configservice.DescribeOrganizationConformancePackStatusesOutput{}
	for _, n := range in.OrganizationConformancePackNames {
		out.OrganizationConformancePackStatuses = append(out.OrganizationConformancePackStatuses, cfgtypes.OrganizationConformancePackStatus{OrganizationConformancePackName: aws.String(n), Status: cfgtypes.OrganizationResourceStatus(f.status(n))})
	}
	return out, nil
}

func (f *disOrgConfig) DescribeOrganizationConformancePacks(context.Context, *configservice.DescribeOrganizationConformancePacksInput, ...func(*configservice.Options)) (*configservice.DescribeOrganizationConformancePacksOutput, error) {
	if err := f.refused(); err != nil {
		return nil, err
	}
	out := &configservice.DescribeOrganizationConformancePacksOutput{}
	for _, p := range f.packs {
		out.OrganizationConformancePacks = append(out.OrganizationConformancePacks, cfgtypes.OrganizationConformancePack{OrganizationConformancePackName: aws.String(p)})
	}
	return out, nil
}

func (f *disOrgConfig) DeleteOrganizationConformancePack(_ context.Context, in *configservice.DeleteOrganizationConformancePackInput, _ ...func(*configservice.Options)) (*configservice.DeleteOrganizationConformancePackOutput, error) {
	f.log.Add(CallDeleteOrganizationConformancePack + " " + f.region + " " + aws.ToString(in.OrganizationConformancePackName))
	f.deleting[aws.ToString(in.OrganizationConformancePackName)] = true
	return &configservice.DeleteOrganizationConformancePackOutput{}, nil
}

func (f *disOrgConfig) DescribeOrganizationConfigRules(context.Context, *configservice.DescribeOrganizationConfigRulesInput, ...func(*configservice.Options)) (*configservice.DescribeOrganizationConfigRulesOutput, error) {
	if err := f.refused(); err != nil {
		return nil, err
	}
	out := &configservice.DescribeOrganizationConfigRulesOutput{}
	for _, r := range f.rules {
		out.OrganizationConfigRules = append(out.OrganizationConfigRules, cfgtypes.OrganizationConfigRule{OrganizationConfigRuleName: aws.String(r)})
	}
	return out, nil
}

func (f *disOrgConfig) DeleteOrganizationConfigRule(_ context.Context, in *configservice.DeleteOrganizationConfigRuleInput, _ ...func(*configservice.Options)) (*configservice.DeleteOrganizationConfigRuleOutput, error) {
	f.log.Add(CallDeleteOrganizationConfigRule + " " + f.region + " " + aws.ToString(in.OrganizationConfigRuleName))
	f.deleting[aws.ToString(in.OrganizationConfigRuleName)] = true
	return &configservice.DeleteOrganizationConfigRuleOutput{}, nil
}

func (f *disOrgConfig) DescribeConfigurationAggregators(_ context.Context, in *configservice.DescribeConfigurationAggregatorsInput, _ ...func(*configservice.Options)) (*configservice.DescribeConfigurationAggregatorsOutput, error) {
	out := &configservice.DescribeConfigurationAggregatorsOutput{}
	for _, name := range in.ConfigurationAggregatorNames {
		if !disContains(f.aggregators, name) {
			return nil, &cfgtypes.NoSuchConfigurationAggregatorException{Message: aws.String("none")}
		}
		out.ConfigurationAggregators = append(out.ConfigurationAggregators, cfgtypes.ConfigurationAggregator{ConfigurationAggregatorName: aws.String(name)})
	}
	return out, nil
}

func (f *disOrgConfig) DeleteConfigurationAggregator(_ context.Context, in *configservice.DeleteConfigurationAggregatorInput, _ ...func(*configservice.Options)) (*configservice.DeleteConfigurationAggregatorOutput, error) {
	f.log.Add(CallDeleteConfigurationAggregator + " " + f.region + " " + aws.ToString(in.ConfigurationAggregatorName))
	f.aggregators = disWithout(f.aggregators, aws.ToString(in.ConfigurationAggregatorName))
	return &configservice.DeleteConfigurationAggregatorOutput{}, nil
}

// disRecorders is one account and region's recorders: name to recording.
type disRecorders struct {
	where string
	log   *fakeorg.Log
	rec   map[string]bool
}

func (f *disRecorders) DescribeConfigurationRecorderStatus(context.Context, *configservice.DescribeConfigurationRecorderStatusInput, ...func(*configservice.Options)) (*configservice.DescribeConfigurationRecorderStatusOutput, error) {
	out := &configservice.DescribeConfigurationRecorderStatusOutput{}
	for name, on := range f.rec {
		out.ConfigurationRecordersStatus = append(out.ConfigurationRecordersStatus, cfgtypes.ConfigurationRecorderStatus{Name: aws.String(name), Recording: on})
	}
	return out, nil
}

func (f *disRecorders) StopConfigurationRecorder(_ context.Context, in *configservice.StopConfigurationRecorderInput, _ ...func(*configservice.Options)) (*configservice.StopConfigurationRecorderOutput, error) {
	f.log.Add(CallStopConfigurationRecorder + " " + f.where + " " + aws.ToString(in.ConfigurationRecorderName))
	f.rec[aws.ToString(in.ConfigurationRecorderName)] = false
	return &configservice.StopConfigurationRecorderOutput{}, nil
}

func disWithout(ids []string, id string) []string {
	var out []string
	for _, s := range ids {
		if s != id {
			out = append(out, s)
		}
	}
	return out
}

func disContains(ids []string, id string) bool {
	for _, s := range ids {
		if s == id {
			return true
		}
	}
	return false
}

func disConfig() settings.Config {
	var c settings.Config
	c.Accounts.Management, c.Accounts.Security, c.Accounts.LogArchive, c.HomeRegion = disMgmt, disSecurity, "444444444444", "us-east-1"
	c.Services.Config.RecorderName = "default"
	c.Services.Config.AggregatorName = "orgbaseline"
	c.Services.Config.Rules = []settings.ConfigRule{{Name: "configured-rule", Identifier: "X"}}
	c.Services.Config.ConformancePacks = []settings.ConformancePack{{Name: "orgbaseline-pack"}}
	return c
}

func disOrg() (DisableDeps, map[string]*disOrgConfig, map[string]*disRecorders, *fakeorg.Orgs, *fakeorg.Log) {
	log := &fakeorg.Log{}
	orgs := fakeorg.New(log)
	orgs.Members = []string{disMgmt, disSecurity}
	for _, p := range []string{MultiAccountSetupPrincipal, Principal} {
		orgs.Admins[p] = []string{disSecurity}
		orgs.Access[p] = true
	}
	sec := map[string]*disOrgConfig{}
	recs := map[string]*disRecorders{}
	for _, r := range disRegions {
		sec[r] = &disOrgConfig{region: r, log: log, deleting: map[string]bool{},
			admin: func() bool { return disContains(orgs.Admins[MultiAccountSetupPrincipal], disSecurity) },
			rules: []string{"configured-rule", ManagedPrefix + "old", "someone-elses"},
			packs: []string{"orgbaseline-pack", "other-pack"}}
		for _, a := range orgs.Members {
			recs[a+"/"+r] = &disRecorders{where: a + "/" + r, log: log, rec: map[string]bool{"default": true}}
		}
	}
	sec["us-east-1"].aggregators = []string{"orgbaseline", "another"}
	return DisableDeps{
		Security: func(r string) DisableOrgAPI { return sec[r] },
		In:       func(a, r string) DisableRecorderAPI { return recs[a+"/"+r] },
		Orgs:     orgs, Accounts: orgs,
	}, sec, recs, orgs, log
}

func TestDisableConfigOrderPlanAndIdempotence(t *testing.T) {
	d, sec, _, orgs, log := disOrg()
	ctx := context.Background()
	run := func(plan bool) workflow.StepResult {
		return Disable(ctx, d, disConfig(), teardown.Options{Regions: disRegions, Plan: plan})
	}
	orgWide := func(res workflow.StepResult, status workflow.Status) int {
		n := 0
		for _, o := range res.Outcomes {
			if o.Region == workflow.RegionGlobal && o.Status == status {
				n++
			}
		}
		return n
	}

	res := run(true)
	if got := log.Calls(); len(got) != 0 {
		t.Fatalf("plan called %v", got)
	}
	var planned int
	for _, o := range res.Outcomes {
		planned += len(o.Actions)
	}
	// 2 regions x (1 pack + 2 rules), the aggregator, 2 accounts x 2
	// regions of recorders; the organization's parts wait for the
	// deletions.
	if planned != 11 || orgWide(res, workflow.StatusSkipped) != 2 {
		t.Errorf("%d planned actions (want 11), %d organization rows waiting (want 2): %+v", planned, orgWide(res, workflow.StatusSkipped), res.Outcomes)
	}

	res = run(false)
	want := []string{
		CallDeleteOrganizationConformancePack + " us-east-1 orgbaseline-pack",
		CallDeleteOrganizationConfigRule + " us-east-1 configured-rule",
		CallDeleteOrganizationConfigRule + " us-east-1 orgbaseline-old",
		CallDeleteConfigurationAggregator + " us-east-1 orgbaseline",
		CallDeleteOrganizationConformancePack + " eu-west-1 orgbaseline-pack",
		CallDeleteOrganizationConfigRule + " eu-west-1 configured-rule",
		CallDeleteOrganizationConfigRule + " eu-west-1 orgbaseline-old",
		CallStopConfigurationRecorder + " 111111111111/us-east-1 default",
		CallStopConfigurationRecorder + " 111111111111/eu-west-1 default",
		CallStopConfigurationRecorder + " 222222222222/us-east-1 default",
		CallStopConfigurationRecorder + " 222222222222/eu-west-1 default",
	}
	if got := log.Calls(); !reflect.DeepEqual(got, want) {
		t.Errorf("calls\n got %q\nwant %q", got, want)
	}
	if orgWide(res, workflow.StatusSkipped) != 2 {
		t.Errorf("the organization's parts do not wait for the deletions: %+v", res.Outcomes)
	}

	res = run(false)
	if got := log.Calls(); len(got) != 0 {
		t.Errorf("calls while the deletions are in progress: %q", got)
	}
	if !strings.Contains(res.Outcomes[0].Reason, "being deleted") {
		t.Errorf("row %+v", res.Outcomes[0])
	}

	for _, r := range sec {
		r.finish()
	}
	// The rule and pack that are not orgbaseline's need Config's delegated
	// administrator and trusted access: both stay while they exist.
	res = run(false)
	if got := log.Calls(); len(got) != 0 {
		t.Errorf("calls while another rule and pack exist: %q", got)
	}
	if orgWide(res, workflow.StatusSkipped) != 2 || !strings.Contains(res.Outcomes[len(res.Outcomes)-1].Reason, "conformance pack other-pack, rule someone-elses") {
		t.Errorf("the organization's parts are not left for the others' rule and pack: %+v", res.Outcomes)
	}
	if s := sec["us-east-1"]; !reflect.DeepEqual(s.rules, []string{"someone-elses"}) || !reflect.DeepEqual(s.packs, []string{"other-pack"}) || !reflect.DeepEqual(s.aggregators, []string{"another"}) {
		t.Errorf("what is not orgbaseline's was touched: rules %v, packs %v, aggregators %v", s.rules, s.packs, s.aggregators)
	}
	for _, r := range sec {
		r.rules, r.packs = nil, nil
	}
	run(false)
	want = []string{
		"organizations:DeregisterDelegatedAdministrator " + disSecurity + " " + MultiAccountSetupPrincipal,
		"organizations:DeregisterDelegatedAdministrator " + disSecurity + " " + Principal,
		"organizations:DisableAWSServiceAccess " + MultiAccountSetupPrincipal,
		"organizations:DisableAWSServiceAccess " + Principal,
	}
	if got := log.Calls(); !reflect.DeepEqual(got, want) {
		t.Errorf("once deleted, calls\n got %q\nwant %q", got, want)
	}
	if len(orgs.Access) != 0 {
		t.Errorf("trusted access left %v", orgs.Access)
	}

	res = run(false)
	if got := log.Calls(); len(got) != 0 {
		t.Errorf("last run called %v", got)
	}
	for _, o := range res.Outcomes {
		if o.Status != workflow.StatusUnchanged {
			t.Errorf("last run row %+v", o)
		}
	}
	if w := strings.Join(res.Warnings, "\n"); !strings.Contains(w, BucketName(disConfig())) || !strings.Contains(w, KeyAlias) {
		t.Errorf("warnings do not say the bucket and key are kept: %q", res.Warnings)
	}
}

func TestDisableConfigLeavesControlTower(t *testing.T) {
	d, sec, recs, orgs, log := disOrg()
	for _, r := range sec {
		r.rules, r.packs = nil, nil
	}
	recs[disSecurity+"/eu-west-1"].rec[ControlTowerPrefix+"BaselineConfigRecorder"] = true
	res := Disable(context.Background(), d, disConfig(), teardown.Options{Regions: disRegions})
	for _, c := range log.Calls() {
		if strings.Contains(c, ControlTowerPrefix) || strings.HasPrefix(c, "organizations:") {
			t.Errorf("call %q with Control Tower present", c)
		}
	}
	if !recs[disSecurity+"/eu-west-1"].rec[ControlTowerPrefix+"BaselineConfigRecorder"] || !orgs.Access[Principal] {
		t.Error("Control Tower's recorder or Config's trusted access was touched")
	}
	var skipped int
	for _, o := range res.Outcomes {
		if o.Region == workflow.RegionGlobal && o.Status == workflow.StatusSkipped && strings.Contains(o.Reason, "Control Tower") {
			skipped++
		}
	}
	if skipped != 2 {
		t.Errorf("%d organization rows skipped for Control Tower, want 2: %+v", skipped, res.Outcomes)
	}
}

func TestDisableConfigOtherAdministratorTouchesNothing(t *testing.T) {
	d, sec, recs, orgs, log := disOrg()
	orgs.Admins[MultiAccountSetupPrincipal] = []string{"999999999999"}
	res := Disable(context.Background(), d, disConfig(), teardown.Options{Regions: disRegions})
	if got := log.Calls(); len(got) != 0 {
		t.Errorf("calls despite another administrator: %q", got)
	}
	if len(res.Outcomes) != 1 || res.Outcomes[0].Status != workflow.StatusFailed || !strings.Contains(res.Outcomes[0].Reason, "999999999999") {
		t.Errorf("rows %+v", res.Outcomes)
	}
	if len(sec["us-east-1"].rules) != 3 || !recs[disMgmt+"/us-east-1"].rec["default"] {
		t.Error("rules or recorders were touched")
	}
}

func TestDisableConfigLeavesExcludedAccounts(t *testing.T) {
	d, sec, recs, _, log := disOrg()
	for _, r := range sec {
		r.rules, r.packs = nil, nil
	}
	why := settings.ScopeReason + " (scope.excludeAccounts)"
	res := Disable(context.Background(), d, disConfig(), teardown.Options{Regions: disRegions, Excluded: map[string]string{disSecurity: why}})
	for _, c := range log.Calls() {
		if strings.Contains(c, disSecurity+"/") {
			t.Errorf("call %q in the excluded account", c)
		}
	}
	if !recs[disSecurity+"/us-east-1"].rec["default"] || recs[disMgmt+"/us-east-1"].rec["default"] {
		t.Error("the excluded account's recorder was stopped, or the other's was not")
	}
	skipped := 0
	for _, o := range res.Outcomes {
		if o.Account == disSecurity && o.Status == workflow.StatusSkipped && strings.HasPrefix(o.Reason, why) {
			skipped++
		}
	}
	if skipped != 1 {
		t.Errorf("%d skipped rows for the excluded account, want 1: %+v", skipped, res.Outcomes)
	}
}
