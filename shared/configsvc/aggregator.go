package configsvc

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cfgtypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// AggregatorAPI is the part of the AWS Config client the config-aggregator
// step uses, in the security account's home region.
type AggregatorAPI interface {
	configservice.DescribeConfigurationAggregatorsAPIClient
	PutConfigurationAggregator(ctx context.Context, in *configservice.PutConfigurationAggregatorInput, optFns ...func(*configservice.Options)) (*configservice.PutConfigurationAggregatorOutput, error)
}

var _ AggregatorAPI = (*configservice.Client)(nil)

// ConfigureAggregator is the config-aggregator step: in the security
// account's home region it reads the aggregator named
// services.config.aggregatorName (config:DescribeConfigurationAggregators)
// and, when it is missing or differs, puts it
// (config:PutConfigurationAggregator) as an organization aggregator over all
// regions with the aggregator role of the security stack
// (AggregatorRoleARN). Filters an existing aggregator has are kept.
//
// It has one outcome, under the security account, the home region and
// "config". The security account must be Config's delegated administrator
// for config.amazonaws.com, and the role must exist: the step says so, as a
// *workflow.TerminalError, when Config answers that either is missing.
func ConfigureAggregator(ctx context.Context, api AggregatorAPI, cfg settings.Config, in workflow.Input, log *slog.Logger) (workflow.StepResult, error) {
	res := workflow.StepResult{Step: AggregatorSpec.Name, Mode: in.Mode, Outcomes: []workflow.Outcome{}}
	out := workflow.Outcome{Account: cfg.Accounts.Security, Region: cfg.HomeRegion, Service: settings.ServiceConfig}
	if skipped(cfg, in, &out) {
		res.Add(out)
		return res, nil
	}
	if w := globalIAMWarning(cfg.HomeRegion); w != "" {
		res.Warnings = append(res.Warnings, w)
	}
	if w := cfg.ScopeWarning(settings.ServiceConfig); w != "" {
		res.Warnings = append(res.Warnings, w)
	}
	name := cfg.Services.Config.AggregatorName
	role := AggregatorRoleARN(cfg)

	got, err := describeAggregator(ctx, api, name)
	if op, ok := awsclient.UnavailableOperation(err); ok {
		out.Status, out.Reason = workflow.StatusSkipped, awsclient.UnavailableReason(op)
		res.Add(out)
		return res, nil
	}
	if err != nil {
		return res, aggregatorError("read the configuration aggregator "+name, role, err)
	}
	var diff []string
	if got != nil {
		if diff = aggregatorDiff(*got, role); len(diff) == 0 {
			out.Reason = fmt.Sprintf("aggregator %s matches the configuration", name)
			res.Add(out)
			return res, nil
		}
		out.Reason = fmt.Sprintf("aggregator %s: %s", name, strings.Join(diff, "; "))
	} else {
		out.Reason = fmt.Sprintf("no aggregator %s: create it over the organization, all regions, with role %s", name, role)
	}
	out.Actions = []workflow.Action{{Call: CallPutConfigurationAggregator, Target: name}}
	if in.Mode == workflow.ModeApply {
		put := &configservice.PutConfigurationAggregatorInput{
			ConfigurationAggregatorName:   aws.String(name),
			OrganizationAggregationSource: &cfgtypes.OrganizationAggregationSource{RoleArn: aws.String(role), AllAwsRegions: true},
		}
		if got != nil {
			put.AggregatorFilters = got.AggregatorFilters
		}
		if _, err := api.PutConfigurationAggregator(ctx, put); err != nil {
			if op, ok := awsclient.UnavailableOperation(err); ok {
				out.Status, out.Reason, out.Actions = workflow.StatusSkipped, awsclient.UnavailableReason(op), nil
				res.Add(out)
				return res, nil
			}
			return res, aggregatorError("put the configuration aggregator "+name, role, err)
		}
		log.InfoContext(ctx, "put the configuration aggregator", "aggregator", name, "role", role)
	}
	res.Add(out)
	return res, nil
}

// describeAggregator returns the aggregator called name, or nil when there
// is none.
func describeAggregator(ctx context.Context, api configservice.DescribeConfigurationAggregatorsAPIClient, name string) (*cfgtypes.ConfigurationAggregator, error) {
	pages := configservice.NewDescribeConfigurationAggregatorsPaginator(api, &configservice.DescribeConfigurationAggregatorsInput{
		ConfigurationAggregatorNames: []string{name},
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if awsclient.ErrorCode(err) == "NoSuchConfigurationAggregatorException" {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		for _, a := range page.ConfigurationAggregators {
			if aws.ToString(a.ConfigurationAggregatorName) == name {
				return &a, nil
			}
		}
	}
	return nil, nil
}

// aggregatorDiff says how got differs from an organization aggregator over
// all regions with role.
func aggregatorDiff(got cfgtypes.ConfigurationAggregator, role string) []string {
	var diff []string
	if n := len(got.AccountAggregationSources); n > 0 {
		diff = append(diff, fmt.Sprintf("aggregates %d account source(s), want the organization", n))
	}
	src := got.OrganizationAggregationSource
	if src == nil {
		return append(diff, "no organization source, want one")
	}
	if have := aws.ToString(src.RoleArn); have != role {
		diff = append(diff, fmt.Sprintf("role %s, want %s", have, role))
	}
	if !src.AllAwsRegions {
		diff = append(diff, fmt.Sprintf("regions %s, want all regions", strings.Join(src.AwsRegions, ",")))
	}
	return diff
}

// aggregatorError is classify for the aggregator's calls, which also name
// the role: InvalidRoleException says Config cannot use it.
func aggregatorError(op, role string, err error) error {
	if awsclient.ErrorCode(err) == "InvalidRoleException" {
		return &workflow.TerminalError{Op: op, Err: fmt.Errorf("AWS Config cannot use the aggregator role %s: deploy the security account's stack (%s), which makes it, first: %w",
			role, workflow.SecurityStackName, err)}
	}
	return classify(op, Principal, err)
}

// globalIAMWarning says, once per run, that the recorders record the IAM
// global resource types (in the home region only) to no effect when AWS
// Config does not record them there; "" when it does.
func globalIAMWarning(home string) string {
	if settings.RecordsGlobalIAM(home) {
		return ""
	}
	return fmt.Sprintf("AWS Config records no IAM users, groups, roles or customer managed policies in the home region %s "+
		"(a region AWS Config supports since after February 2022), and the recorders record global resource types in the home region only: "+
		"those IAM resources go unrecorded, and rules on them evaluate nothing", home)
}
