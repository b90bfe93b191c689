package configsvc

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cfgtypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"
	"github.com/aws/smithy-go"

	"github.com/orgbaseline/orgbaseline/shared/local/awstest"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

const wantRole = "arn:aws:iam::" + securityID + ":role/orgbaseline-config-aggregator"

func runAggregator(t *testing.T, extra string, f *fakeConfigService, in workflow.Input) (workflow.StepResult, error) {
	t.Helper()
	h := &AggregatorHandler{Settings: fakeConfig(t, extra), Config: f, Log: quiet}
	res, err := h.Handle(context.Background(), in)
	for _, o := range res.Outcomes {
		if o.Account != securityID || o.Region != "us-east-1" || o.Service != "config" {
			t.Errorf("outcome not under the security account, the home region and config: %+v", o)
		}
	}
	return res, err
}

func orgAggregator(name, role string) cfgtypes.ConfigurationAggregator {
	return cfgtypes.ConfigurationAggregator{
		ConfigurationAggregatorName:   aws.String(name),
		OrganizationAggregationSource: &cfgtypes.OrganizationAggregationSource{RoleArn: aws.String(role), AllAwsRegions: true},
	}
}

func TestAggregatorCreated(t *testing.T) {
	f := newFake()
	res, err := runAggregator(t, "", f, workflow.Input{Mode: workflow.ModeApply})
	if err != nil {
		t.Fatal(err)
	}
	if e, a := []string{"PutConfigurationAggregator"}, f.mutating; !reflect.DeepEqual(e, a) {
		t.Fatalf("mutating calls: expect %v, got %v", e, a)
	}
	in := f.putAggs[0]
	src := in.OrganizationAggregationSource
	if aws.ToString(in.ConfigurationAggregatorName) != "orgbaseline-organization" || src == nil ||
		aws.ToString(src.RoleArn) != wantRole || !src.AllAwsRegions || len(src.AwsRegions) != 0 || len(in.AccountAggregationSources) != 0 {
		t.Errorf("PutConfigurationAggregator input: %+v %+v", in, src)
	}
	o := res.Outcomes[0]
	if len(res.Outcomes) != 1 || o.Status != workflow.StatusChanged || !res.Changed ||
		!reflect.DeepEqual(o.Actions, []workflow.Action{{Call: CallPutConfigurationAggregator, Target: "orgbaseline-organization"}}) {
		t.Errorf("outcomes: %+v", res.Outcomes)
	}
}

func TestAggregatorUnchanged(t *testing.T) {
	f := newFake()
	f.aggregators["other"] = orgAggregator("other", "arn:aws:iam::222222222222:role/other")
	f.aggregators["mine"] = orgAggregator("mine", wantRole)
	res, err := runAggregator(t, "services: {config: {aggregatorName: mine}}", f, workflow.Input{Mode: workflow.ModeApply})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.mutating) != 0 {
		t.Errorf("mutating calls: %v", f.mutating)
	}
	if e, a := []workflow.Status{workflow.StatusUnchanged}, statuses(res); !reflect.DeepEqual(e, a) || res.Changed {
		t.Errorf("statuses: expect %v, got %v", e, a)
	}
	if e, a := "aggregator mine matches the configuration", res.Outcomes[0].Reason; e != a {
		t.Errorf("reason: expect %q, got %q", e, a)
	}
}

func TestAggregatorDifferentRoleIsUpdated(t *testing.T) {
	f := newFake()
	got := orgAggregator("orgbaseline-organization", "arn:aws:iam::222222222222:role/old")
	got.OrganizationAggregationSource.AllAwsRegions = false
	got.OrganizationAggregationSource.AwsRegions = []string{"us-east-1"}
	got.AggregatorFilters = &cfgtypes.AggregatorFilters{ResourceType: &cfgtypes.AggregatorFilterResourceType{Value: []string{"AWS::S3::Bucket"}}}
	f.aggregators["orgbaseline-organization"] = got
	res, err := runAggregator(t, "", f, workflow.Input{Mode: workflow.ModeApply})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.putAggs) != 1 {
		t.Fatalf("mutating calls: %v", f.mutating)
	}
	in := f.putAggs[0]
	if aws.ToString(in.OrganizationAggregationSource.RoleArn) != wantRole || !in.OrganizationAggregationSource.AllAwsRegions {
		t.Errorf("put source: %+v", in.OrganizationAggregationSource)
	}
	if !reflect.DeepEqual(in.AggregatorFilters, got.AggregatorFilters) {
		t.Errorf("the aggregator's filters were not kept: %+v", in.AggregatorFilters)
	}
	o := res.Outcomes[0]
	if o.Status != workflow.StatusChanged || !strings.Contains(o.Reason, "role arn:aws:iam::222222222222:role/old, want "+wantRole) ||
		!strings.Contains(o.Reason, "regions us-east-1, want all regions") {
		t.Errorf("outcome: %+v", o)
	}
	// Converged: the next run makes no call.
	f.mutating = nil
	if res, err = runAggregator(t, "", f, workflow.Input{Mode: workflow.ModeApply}); err != nil || len(f.mutating) != 0 || res.Outcomes[0].Status != workflow.StatusUnchanged {
		t.Errorf("re-run: %v, calls %v, %+v", err, f.mutating, res.Outcomes)
	}
}

func TestAggregatorAccountSourcesAreReplaced(t *testing.T) {
	f := newFake()
	f.aggregators["orgbaseline-organization"] = cfgtypes.ConfigurationAggregator{
		ConfigurationAggregatorName: aws.String("orgbaseline-organization"),
		AccountAggregationSources:   []cfgtypes.AccountAggregationSource{{AccountIds: []string{"444444444444"}, AllAwsRegions: true}},
	}
	res, err := runAggregator(t, "", f, workflow.Input{Mode: workflow.ModeApply})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.putAggs) != 1 || len(f.putAggs[0].AccountAggregationSources) != 0 {
		t.Fatalf("puts: %+v", f.putAggs)
	}
	if r := res.Outcomes[0].Reason; !strings.Contains(r, "aggregates 1 account source(s), want the organization") || !strings.Contains(r, "no organization source") {
		t.Errorf("reason: %q", r)
	}
}

func TestAggregatorPlan(t *testing.T) {
	f := newFake()
	res, err := runAggregator(t, "", f, workflow.Input{Mode: workflow.ModePlan})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.mutating) != 0 {
		t.Errorf("plan made calls: %v", f.mutating)
	}
	o := res.Outcomes[0]
	if o.Status != workflow.StatusPlanned || res.Changed || o.Actions[0] != (workflow.Action{Call: CallPutConfigurationAggregator, Target: "orgbaseline-organization"}) ||
		!strings.Contains(o.Reason, "no aggregator orgbaseline-organization: create it over the organization, all regions, with role "+wantRole) {
		t.Errorf("plan outcome: %+v", o)
	}
}

func TestAggregatorSkipped(t *testing.T) {
	for _, tt := range []struct {
		name, extra string
		services    []string
		reason      string
	}{
		{"disabled", "services: {config: {enabled: false}}", nil, "config is disabled in the configuration"},
		{"filtered out", "", []string{"guardduty"}, "config is not in the services filter"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			res, err := runAggregator(t, tt.extra, f, workflow.Input{Mode: workflow.ModeApply, Services: tt.services})
			if err != nil {
				t.Fatal(err)
			}
			if len(f.calls) != 0 {
				t.Errorf("calls: %v", f.calls)
			}
			if o := res.Outcomes[0]; len(res.Outcomes) != 1 || o.Status != workflow.StatusSkipped || o.Reason != tt.reason {
				t.Errorf("outcomes: %+v", res.Outcomes)
			}
		})
	}
}

func TestAggregatorErrors(t *testing.T) {
	denied := &cfgtypes.OrganizationAccessDeniedException{Message: aws.String("This action can only be performed if you are a registered delegated administrator for AWS Config with permissions to call ListDelegatedAdministrators API.")}
	for _, tt := range []struct {
		name    string
		op      string
		err     error
		want    string
		message []string // parts of the error's message
	}{
		{"not the delegated administrator", "PutConfigurationAggregator", denied, workflow.ErrNameTerminal,
			[]string{"not AWS Config's delegated administrator for config.amazonaws.com", "trusted access", "org-prerequisites"}},
		{"denied on the read", "DescribeConfigurationAggregators", denied, workflow.ErrNameTerminal, []string{"config.amazonaws.com"}},
		{"role missing", "PutConfigurationAggregator", &cfgtypes.InvalidRoleException{Message: aws.String("The role is not valid")}, workflow.ErrNameTerminal,
			[]string{wantRole, "OrgBaseline-Security"}},
		{"throttled", "PutConfigurationAggregator", &smithy.GenericAPIError{Code: "ThrottlingException"}, workflow.ErrNameRetryable, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			f.errs[tt.op] = []error{tt.err}
			_, err := runAggregator(t, "", f, workflow.Input{Mode: workflow.ModeApply})
			if e, a := tt.want, errName(err); e != a {
				t.Fatalf("error: expect %s, got %s (%v)", e, a, err)
			}
			for _, m := range tt.message {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("message %q does not say %q", err, m)
				}
			}
		})
	}
}

func TestAggregatorUnavailable(t *testing.T) {
	f := newFake()
	f.errs["PutConfigurationAggregator"] = []error{awstest.UnknownOperation("Config Service", "PutConfigurationAggregator")}
	res, err := runAggregator(t, "", f, workflow.Input{Mode: workflow.ModeApply})
	if err != nil {
		t.Fatal(err)
	}
	if o := res.Outcomes[0]; o.Status != workflow.StatusSkipped || o.Reason != "PutConfigurationAggregator is not available at this endpoint" || len(o.Actions) != 0 {
		t.Errorf("outcome: %+v", o)
	}
}
