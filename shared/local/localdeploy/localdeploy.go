// Package localdeploy stands in for `cdk deploy` on an emulated AWS: it
// creates, with SDK calls, the resources of the log-archive and security
// stacks that the steps depend on: the trail's buckets and key (and the
// CloudWatch Logs delivery role and log group of the account the trail is
// managed from: the management stack's, or with manageFrom security the
// security stack's), AWS Config's delivery bucket, delivery key and
// aggregator role, and with exportFindings GuardDuty's findings bucket and
// key.
//
// moto's CloudFormation reports such stacks as created but applies neither
// bucket policies nor public access blocks, so deploying the synthesized
// templates into it would not reproduce them. The resources are made here
// from the same Go values the CDK stacks put in their templates (packages
// orgtrail, configsvc, guardduty and logarchive: names and policy
// documents), and the CDK tests check that the templates carry exactly
// those values.
//
// Like a deploy, it reads first and changes only what differs; in plan mode
// it reports what it would do.
package localdeploy

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/guardduty"
	"github.com/orgbaseline/orgbaseline/shared/logarchive"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// StepName names the deploy in results.
const StepName = "local-deploy"

// KeyAliasTag tags each key the deploy creates with its alias (the trail's
// key with orgtrail.KeyAlias, and so on) on creation, so that a run
// interrupted between creating the key and its alias finds the key again
// instead of creating another one.
const KeyAliasTag = "orgbaseline:alias"

// Deploy converges the emulated accounts to what the stacks declare for cfg.
// accounts gives configurations for the log-archive and security accounts;
// mgmt is the management account's.
func Deploy(ctx context.Context, cfg settings.Config, mgmt aws.Config, accounts *awsclient.Accounts, mode workflow.Mode, log *slog.Logger) (workflow.StepResult, error) {
	res := workflow.StepResult{Step: StepName, Mode: mode, Outcomes: []workflow.Outcome{}}
	trail, config := cfg.Enabled(settings.ServiceCloudTrail), cfg.Enabled(settings.ServiceConfig)
	if !trail {
		res.Add(workflow.Outcome{Account: cfg.Accounts.LogArchive, Region: cfg.HomeRegion, Service: settings.ServiceCloudTrail,
			Status: workflow.StatusSkipped, Reason: "cloudtrail is switched off: the stacks declare no trail resources"})
	}
	if !config {
		res.Add(workflow.Outcome{Account: cfg.Accounts.LogArchive, Region: cfg.HomeRegion, Service: settings.ServiceConfig,
			Status: workflow.StatusSkipped, Reason: "config is switched off: the stacks declare no Config resources"})
	}
	findings := guardduty.FindingsExported(cfg)
	if !logarchive.HasAccessLogBucket(cfg) {
		return res, nil
	}
	d := &deployer{cfg: cfg, apply: mode == workflow.ModeApply, log: log, res: &res}
	c := newClients(cfg, mgmt, accounts)

	// The access-log bucket serves the trail's, Config's and the findings'
	// buckets; it is reported with the first of them.
	var accessLog []workflow.Action
	if err := d.bucket(ctx, c.logArchive, d.accessLogBucket(), &accessLog); err != nil {
		return res, err
	}
	for _, s := range []struct {
		on     bool
		deploy func(context.Context, clients, []workflow.Action) error
	}{{trail, d.trailResources}, {config, d.configResources}, {findings, d.findingsResources}} {
		if !s.on {
			continue
		}
		if err := s.deploy(ctx, c, accessLog); err != nil {
			return res, err
		}
		accessLog = nil
	}
	res.Warnings = append(res.Warnings, d.warnings...)
	return res, nil
}

// clients are the deploy's clients, all in the home region.
type clients struct {
	logArchive      bucketAPI // the log-archive account's buckets
	securityKeys    keyAPI
	securityLogs    logGroupAPI
	securityRoles   securityRolesAPI
	managementLogs  logGroupAPI
	managementRoles deliveryRoleAPI
}

func newClients(cfg settings.Config, mgmt aws.Config, accounts *awsclient.Accounts) clients {
	region := cfg.HomeRegion
	sec := awsclient.WithRegion(accounts.Config(cfg.Accounts.Security), region)
	m := awsclient.WithRegion(mgmt, region)
	return clients{
		logArchive:      s3.NewFromConfig(awsclient.WithRegion(accounts.Config(cfg.Accounts.LogArchive), region)),
		securityKeys:    kms.NewFromConfig(sec),
		securityLogs:    cloudwatchlogs.NewFromConfig(sec),
		securityRoles:   iam.NewFromConfig(sec),
		managementLogs:  cloudwatchlogs.NewFromConfig(m),
		managementRoles: iam.NewFromConfig(m),
	}
}

// trailResources deploys the trail's bucket, reported with pending (the
// access-log bucket's actions, if not reported yet), its key, and the
// CloudWatch Logs log group and delivery role.
func (d *deployer) trailResources(ctx context.Context, c clients, pending []workflow.Action) error {
	accounts := d.cfg.Accounts
	if err := d.bucket(ctx, c.logArchive, d.trailBucket(), &pending); err != nil {
		return err
	}
	d.report(accounts.LogArchive, settings.ServiceCloudTrail, pending)

	// The log group and the role are the managing account's; the other
	// account's stack holds none, so a role left there from the other
	// mode is removed, as a deploy would.
	keyActions, err := d.key(ctx, c.securityKeys, d.trailKey())
	if err != nil {
		return err
	}
	more, err := d.cloudWatchLogs(ctx, c.securityLogs, c.securityRoles, d.logDeliveryIn(accounts.Security))
	if err != nil {
		return err
	}
	d.report(accounts.Security, settings.ServiceCloudTrail, append(keyActions, more...))

	mgmtActions, err := d.cloudWatchLogs(ctx, c.managementLogs, c.managementRoles, d.logDeliveryIn(accounts.Management))
	if err != nil {
		return err
	}
	d.report(accounts.Management, settings.ServiceCloudTrail, mgmtActions)
	return nil
}

// configResources deploys AWS Config's delivery bucket, reported with
// pending, its key and the aggregator's role.
func (d *deployer) configResources(ctx context.Context, c clients, pending []workflow.Action) error {
	if err := d.bucket(ctx, c.logArchive, d.configBucket(), &pending); err != nil {
		return err
	}
	d.report(d.cfg.Accounts.LogArchive, settings.ServiceConfig, pending)
	keyActions, err := d.key(ctx, c.securityKeys, d.configKey())
	if err != nil {
		return err
	}
	roleActions, err := d.aggregatorRole(ctx, c.securityRoles)
	if err != nil {
		return err
	}
	d.report(d.cfg.Accounts.Security, settings.ServiceConfig, append(keyActions, roleActions...))
	return nil
}

// findingsResources deploys GuardDuty's findings bucket, reported with
// pending, and its key.
func (d *deployer) findingsResources(ctx context.Context, c clients, pending []workflow.Action) error {
	if err := d.bucket(ctx, c.logArchive, d.findingsBucket(), &pending); err != nil {
		return err
	}
	d.report(d.cfg.Accounts.LogArchive, settings.ServiceGuardDuty, pending)
	keyActions, err := d.key(ctx, c.securityKeys, d.findingsKey())
	if err != nil {
		return err
	}
	d.report(d.cfg.Accounts.Security, settings.ServiceGuardDuty, keyActions)
	return nil
}

// deployer converges the resources of one deploy and collects its outcomes
// and warnings.
type deployer struct {
	cfg      settings.Config
	apply    bool
	log      *slog.Logger
	res      *workflow.StepResult // receives the outcomes
	warnings []string
}

// report adds the outcome of service's resources in account.
func (d *deployer) report(account, service string, actions []workflow.Action) {
	d.res.Add(workflow.Outcome{Account: account, Region: d.cfg.HomeRegion, Service: service, Actions: actions})
}

// change records an action and, when applying, makes it.
func (d *deployer) change(actions *[]workflow.Action, call, target string, do func() error) error {
	*actions = append(*actions, workflow.Action{Call: call, Target: target})
	if !d.apply {
		return nil
	}
	if err := do(); err != nil {
		return awsclient.Classify(call+" "+target, err)
	}
	d.log.Info("local deploy", "call", call, "target", target)
	return nil
}

// notFound reports whether err is an API error with one of codes.
func notFound(err error, codes ...string) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	for _, c := range codes {
		if apiErr.ErrorCode() == c {
			return true
		}
	}
	return false
}

// sameJSON reports whether two JSON documents are equal as values.
func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
