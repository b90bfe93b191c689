package configsvc

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cfgtypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/local/motorig"
	"github.com/orgbaseline/orgbaseline/shared/local/mototest"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

var srv *mototest.Server

func TestMain(m *testing.M) { mototest.Main(m, func(s *mototest.Server) { srv = s }) }

func motoSettings(t *testing.T, org motorig.Org, extra string) settings.Config {
	t.Helper()
	c, err := settings.Load("moto.yaml", strings.NewReader(fmt.Sprintf(`
accounts: {management: %q, security: %q, logArchive: %q}
organizationId: %s
homeRegion: us-east-1
regions: [us-east-1, eu-west-1]
`, org.Management, org.Security, org.LogArchive, org.ID)+extra))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// recorded returns the management account's configuration with rec
// recording its calls, and the accounts reached through it.
func recorded(mgmt aws.Config, org motorig.Org, rec *motorig.Recorder) *awsclient.Accounts {
	mgmt.APIOptions = append(slices.Clone(mgmt.APIOptions), rec.Option)
	return awsclient.NewAccounts(mgmt, org.Management, motorig.ExecutionRole, "test")
}

func TestMotoAggregator(t *testing.T) {
	mgmt, org := srv.SeedT(t)
	cfg := motoSettings(t, org, "")
	rec := &motorig.Recorder{}
	h := NewAggregatorHandler(cfg, recorded(mgmt, org, rec), quiet)
	ctx := context.Background()
	sec := configservice.NewFromConfig(srv.AccountConfigT(t, org.Security))
	aggregators := func(api *configservice.Client) []cfgtypes.ConfigurationAggregator {
		t.Helper()
		out, err := api.DescribeConfigurationAggregators(ctx, &configservice.DescribeConfigurationAggregatorsInput{})
		if err != nil {
			t.Fatal(err)
		}
		return out.ConfigurationAggregators
	}

	res, err := h.Handle(ctx, workflow.Input{Mode: workflow.ModePlan})
	if err != nil {
		t.Fatal(err)
	}
	if e, a := []workflow.Status{workflow.StatusPlanned}, statuses(res); !reflect.DeepEqual(e, a) {
		t.Fatalf("plan: expect %v, got %v: %+v", e, a, res.Outcomes)
	}
	if mut, _ := rec.Take(); len(mut) != 0 {
		t.Errorf("plan made calls: %v", mut)
	}
	if a := aggregators(sec); len(a) != 0 {
		t.Fatalf("plan made an aggregator: %+v", a)
	}

	res, err = h.Handle(ctx, workflow.Input{Mode: workflow.ModeApply})
	if err != nil {
		t.Fatal(err)
	}
	if o := res.Outcomes[0]; o.Status != workflow.StatusChanged || o.Account != org.Security || o.Region != "us-east-1" {
		t.Fatalf("apply: %+v", o)
	}
	if mut, _ := rec.Take(); !reflect.DeepEqual([]string{"Config Service:PutConfigurationAggregator"}, mut) {
		t.Errorf("mutating calls: %v", mut)
	}
	got := aggregators(sec)
	if len(got) != 1 {
		t.Fatalf("aggregators in the security account: %+v", got)
	}
	src := got[0].OrganizationAggregationSource
	if aws.ToString(got[0].ConfigurationAggregatorName) != settings.DefaultAggregatorName || src == nil ||
		aws.ToString(src.RoleArn) != "arn:aws:iam::"+org.Security+":role/orgbaseline-config-aggregator" || !src.AllAwsRegions {
		t.Errorf("aggregator: %+v, source %+v", got[0], src)
	}
	// Made in the security account's home region only.
	if a := aggregators(configservice.NewFromConfig(mgmt)); len(a) != 0 {
		t.Errorf("aggregator in the management account: %+v", a)
	}
	if a := aggregators(configservice.NewFromConfig(awsclient.WithRegion(srv.AccountConfigT(t, org.Security), "eu-west-1"))); len(a) != 0 {
		t.Errorf("aggregator in eu-west-1: %+v", a)
	}

	// Re-run: nothing to do.
	res, err = h.Handle(ctx, workflow.Input{Mode: workflow.ModeApply})
	if err != nil {
		t.Fatal(err)
	}
	if o := res.Outcomes[0]; o.Status != workflow.StatusUnchanged || res.Changed {
		t.Errorf("re-run: %+v", o)
	}
	if mut, all := rec.Take(); len(mut) != 0 || !slices.Contains(all, "Config Service:DescribeConfigurationAggregators") {
		t.Errorf("re-run calls: mutating %v, all %v", mut, all)
	}
}

func TestMotoConformancePack(t *testing.T) {
	mgmt, org := srv.SeedT(t)
	ctx := context.Background()
	secCfg := srv.AccountConfigT(t, org.Security)
	// The template, in a bucket of the security account.
	const bucket, key = "orgbaseline-templates", "packs/ops.yaml"
	s3c := s3.NewFromConfig(secCfg)
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(template)}); err != nil {
		t.Fatal(err)
	}
	workload := org.Workloads[0]
	// No rules: the emulator has no organization config rules (the fakes
	// cover that part).
	cfg := motoSettings(t, org, fmt.Sprintf(`
services:
  config:
    rules: []
    conformancePacks:
      - name: orgbaseline-ops
        templateS3Uri: "s3://%s/%s"
        deliveryBucket: awsconfigconforms-orgbaseline-results
        inputParameters: {MaxAgeDays: "90"}
        excludedAccounts: [%q]
`, bucket, key, workload))
	rec := &motorig.Recorder{}
	h := NewRulesHandler(cfg, recorded(mgmt, org, rec), quiet)
	item := func(mode workflow.Mode) workflow.Item {
		return workflow.Item{Input: workflow.Input{Mode: mode}, Region: "us-east-1"}
	}
	sec := configservice.NewFromConfig(secCfg)

	res, err := h.Handle(ctx, item(workflow.ModePlan))
	if err != nil {
		t.Fatal(err)
	}
	if e, a := []workflow.Status{workflow.StatusPlanned}, statuses(res); !reflect.DeepEqual(e, a) {
		t.Fatalf("plan: expect %v, got %v: %+v", e, a, res.Outcomes)
	}
	if mut, _ := rec.Take(); len(mut) != 0 {
		t.Errorf("plan made calls: %v", mut)
	}

	res, err = h.Handle(ctx, item(workflow.ModeApply))
	if err != nil {
		t.Fatal(err)
	}
	want := workflow.Outcome{
		Account: org.Security, Region: "us-east-1", Service: "config", Status: workflow.StatusChanged,
		Reason:  fmt.Sprintf("conformance pack orgbaseline-ops: missing: create it from s3://%s/%s; deployed to the members (CREATE_SUCCESSFUL)", bucket, key),
		Actions: []workflow.Action{{Call: CallPutOrganizationConformancePack, Target: "orgbaseline-ops"}},
	}
	if len(res.Outcomes) != 1 || !reflect.DeepEqual(want, res.Outcomes[0]) || res.Pending {
		t.Fatalf("apply:\nexpect %+v\ngot    %+v (pending %v)", want, res.Outcomes, res.Pending)
	}
	mut, all := rec.Take()
	if !reflect.DeepEqual([]string{"Config Service:PutOrganizationConformancePack"}, mut) {
		t.Errorf("mutating calls: %v", mut)
	}
	if !slices.Contains(all, "Config Service:DescribeOrganizationConformancePackStatuses") {
		t.Errorf("status not read: %v", all)
	}
	packs, err := sec.DescribeOrganizationConformancePacks(ctx, &configservice.DescribeOrganizationConformancePacksInput{
		OrganizationConformancePackNames: []string{"orgbaseline-ops"},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := packs.OrganizationConformancePacks[0]
	if aws.ToString(p.DeliveryS3Bucket) != "awsconfigconforms-orgbaseline-results" || !reflect.DeepEqual([]string{workload}, p.ExcludedAccounts) ||
		len(p.ConformancePackInputParameters) != 1 || aws.ToString(p.ConformancePackInputParameters[0].ParameterValue) != "90" {
		t.Errorf("pack: %+v", p)
	}

	// Re-run: nothing to do.
	res, err = h.Handle(ctx, item(workflow.ModeApply))
	if err != nil {
		t.Fatal(err)
	}
	if o := res.Outcomes[0]; o.Status != workflow.StatusUnchanged || res.Changed || res.Pending {
		t.Errorf("re-run: %+v", res.Outcomes)
	}
	if mut, _ := rec.Take(); len(mut) != 0 {
		t.Errorf("re-run made calls: %v", mut)
	}

	// Drift: someone changes a parameter; one put sets it back.
	if _, err := sec.PutOrganizationConformancePack(ctx, &configservice.PutOrganizationConformancePackInput{
		OrganizationConformancePackName: aws.String("orgbaseline-ops"), TemplateS3Uri: aws.String("s3://" + bucket + "/" + key),
		ConformancePackInputParameters: []cfgtypes.ConformancePackInputParameter{{ParameterName: aws.String("MaxAgeDays"), ParameterValue: aws.String("365")}},
		ExcludedAccounts:               []string{workload}, DeliveryS3Bucket: aws.String("awsconfigconforms-orgbaseline-results"),
	}); err != nil {
		t.Fatal(err)
	}
	res, err = h.Handle(ctx, item(workflow.ModeApply))
	if err != nil {
		t.Fatal(err)
	}
	if o := res.Outcomes[0]; o.Status != workflow.StatusChanged || !strings.Contains(o.Reason, "input parameters MaxAgeDays=365, want MaxAgeDays=90") ||
		!strings.HasSuffix(o.Reason, "(UPDATE_SUCCESSFUL)") {
		t.Errorf("drift: %+v", o)
	}
	if mut, _ := rec.Take(); !reflect.DeepEqual([]string{"Config Service:PutOrganizationConformancePack"}, mut) {
		t.Errorf("drift calls: %v", mut)
	}
}
