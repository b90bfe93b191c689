package orgtrail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// Action calls, as reported.
const (
	CallPutBucketEncryption = "s3:PutBucketEncryption"
	CallRegisterAdmin       = "cloudtrail:RegisterOrganizationDelegatedAdmin"
	CallCreateTrail         = "cloudtrail:CreateTrail"
	CallUpdateTrail         = "cloudtrail:UpdateTrail"
	CallPutEventSelectors   = "cloudtrail:PutEventSelectors"
	CallPutInsightSelectors = "cloudtrail:PutInsightSelectors"
	CallStartLogging        = "cloudtrail:StartLogging"
)

const (
	securityStackHint   = "deploy the security account's stack " + workflow.SecurityStackName + " first (`cdk deploy --all`)"
	logArchiveStackHint = "deploy the log-archive account's stack " + workflow.LogArchiveStackName + " first (`cdk deploy --all`)"
	lakeWarning         = "copying this trail's events into a CloudTrail Lake event data store must be set up from the management account; the CloudTrail delegated administrator cannot do it"
)

// Run creates or converges the organization trail, in the home region, with
// the log-archive bucket and the security account's key that the CDK stacks
// made. The trail's CloudTrail calls are made from the managing account
// (ManagingAccount): the management account, or with manageFrom security
// the security account as CloudTrail delegated administrator; the trail is
// the management account's either way.
//
//  1. kms:DescribeKey on the key's alias (security account): the key ARN.
//  2. s3:HeadBucket and s3:GetBucketEncryption on the trail bucket
//     (log-archive account), then s3:PutBucketEncryption to SSE-KMS with that
//     key unless it is set already. The log-archive stack cannot do this
//     itself: a CloudFormation template can only name a key of another
//     account by its ARN, which is not known when the stacks are synthesized,
//     so the trail step sets the bucket's default encryption.
//  3. With delegatedAdmin: organizations:ListDelegatedAdministrators for
//     cloudtrail.amazonaws.com, then
//     cloudtrail:RegisterOrganizationDelegatedAdmin (the security account),
//     both from the management account.
//  4. cloudtrail:DescribeTrails, then CreateTrail or UpdateTrail (only the
//     fields that differ), GetEventSelectors/PutEventSelectors,
//     GetInsightSelectors/PutInsightSelectors, GetTrailStatus/StartLogging,
//     from the managing account.
//  5. Preflight warnings: member accounts with trails of their own, and
//     what the organization trail implies. The member accounts are the
//     run's (item.Accounts, the ACTIVE accounts the org-targets step
//     resolved, which the state machine passes as the spec sets
//     TakesAccounts); they are read (DescribeTrails with the execution
//     role) only when the trail is to be created or changed, or when the
//     run names its accounts (preflightMembers).
//
// Everything is read first; a conflict (another delegated administrator, a
// trail homed in another region) returns a *workflow.ConflictError before
// any change. Managed from the security account before it is the delegated
// administrator, the security account can read the trail only once step 3
// has registered it: the management account, which owns the trail, reads
// it first in the home region (shadow trails included) so that a trail
// homed in another region is a conflict before any change; the rest of the
// trail's plan is made from the security account's read after the
// registration in apply, and in plan the trail's actions are those of a new
// trail, with a warning. In plan mode the actions are reported, not taken.
// A re-run on a converged organization makes no mutating call, and no call
// in the member accounts. A run without accounts fails with a
// *workflow.TerminalError before any call, unless the step has nothing to
// do.
func Run(ctx context.Context, d Deps, cfg settings.Config, item workflow.Item, log *slog.Logger) (workflow.StepResult, error) {
	in := item.Input
	res := workflow.StepResult{Step: Spec.Name, Mode: in.Mode, Outcomes: []workflow.Outcome{}}
	trailOut := workflow.Outcome{Account: ManagingAccount(cfg), Region: cfg.HomeRegion, Service: settings.ServiceCloudTrail}
	if reason := skipReason(cfg, in); reason != "" {
		trailOut.Status, trailOut.Reason = workflow.StatusSkipped, reason
		res.Add(trailOut)
		return res, nil
	}
	if item.Accounts == nil {
		// Absent, not empty: the state machine passes the list, [] when
		// the run covers no account (the trail is organization-wide and
		// still converges).
		return res, noAccountsError()
	}
	if w := cfg.ScopeWarning(settings.ServiceCloudTrail); w != "" {
		res.Warnings = append(res.Warnings, w)
	}
	r := &stepRun{
		d: d, cfg: cfg, ct: trailAPI(d, cfg, cfg.HomeRegion),
		apply: in.Mode == workflow.ModeApply, res: &res, log: log,
	}
	st, err := r.read(ctx)
	if err != nil {
		return res, err
	}
	if st.controlTower != "" {
		trailOut.Status, trailOut.Reason = workflow.StatusSkipped, controlTowerReason(st.controlTower)
		res.Add(trailOut)
		return res, nil
	}
	members, notChecked := preflightMembers(cfg, item.Accounts, len(in.Accounts) > 0, st.trailChanges())
	res.Warnings = append(res.Warnings, notChecked...)
	res.Warnings = append(res.Warnings, preflight(ctx, d, cfg, members, log)...)
	if len(st.conflicts) > 0 {
		return res, conflictError(ctx, log, st.conflicts)
	}
	if err := r.act(ctx, st, trailOut); err != nil {
		return res, err
	}
	return res, nil
}

// noAccountsError is the step's error when the state machine passes no
// accounts.
func noAccountsError() error {
	return &workflow.TerminalError{Op: "read the run's accounts", Err: errors.New(
		`the step's input has no accounts: the state machine passes the org-targets step's ACTIVE accounts in "accounts" to this step (TakesAccounts); ` +
			"the list is missing, so the deployed state machine predates this step's code: redeploy the management stack (cdk deploy --all)")}
}

// skipReason is why the step has nothing to do: CloudTrail switched off, or
// left out by the services filter; "" when it has work.
func skipReason(cfg settings.Config, in workflow.Input) string {
	switch {
	case !cfg.Enabled(settings.ServiceCloudTrail):
		return "cloudtrail is disabled in the configuration"
	case !in.WantsService(settings.ServiceCloudTrail):
		return "cloudtrail is not in the services filter"
	}
	return ""
}

// stepRun is one run of the step.
type stepRun struct {
	d   Deps
	cfg settings.Config
	// ct is the client of the trail's calls: the managing account's, in
	// the home region.
	ct    CloudTrailAPI
	apply bool
	res   *workflow.StepResult
	log   *slog.Logger
}

// found is what the step read before any change.
type found struct {
	// keyARN is the trail's key, "" with kmsEncryption off.
	keyARN string
	// encrypt is whether the bucket's default encryption is to be set.
	encrypt bool
	// register is whether the security account is to be registered as
	// delegated administrator.
	register bool
	// adminReady is whether the managing account may make the trail's
	// calls now.
	adminReady bool
	// plan is the trail's plan, made when adminReady.
	plan      trailPlan
	conflicts []workflow.Conflict
	// controlTower names AWS Control Tower's organization trail, found
	// where orgbaseline's would be created and not wanted beside it: the
	// step then changes nothing.
	controlTower string
}

// trailChanges reports whether the trail is to be created, updated or
// started, or may be: managed from the security account before it is the
// delegated administrator, the trail's plan is made after the
// registration.
func (st found) trailChanges() bool {
	return !st.adminReady || st.plan.create || len(st.plan.update) > 0 || st.plan.startLogging
}

// read reads everything: the key, the bucket's default encryption, the
// delegated administrators and the trail. With kmsEncryption off the
// desired key is none.
func (r *stepRun) read(ctx context.Context) (found, error) {
	var st found
	var err error
	if r.cfg.Services.CloudTrail.Encrypted() {
		if st.keyARN, err = awsclient.KeyARN(ctx, r.d.KMS, TrailKey(r.cfg)); err != nil {
			return st, err
		}
	}
	if st.encrypt, err = bucketNeedsEncryption(ctx, r.d.S3, BucketName(r.cfg), st.keyARN); err != nil {
		return st, err
	}
	st.adminReady = !r.cfg.Services.CloudTrail.ManagedFromSecurity()
	if r.cfg.Services.CloudTrail.DelegatedAdmin {
		a, err := planAdmin(ctx, r.d.Orgs, r.cfg)
		if err != nil {
			return st, err
		}
		if a.warning != "" {
			r.res.Warnings = append(r.res.Warnings, a.warning)
		}
		if a.conflict != nil {
			st.conflicts = append(st.conflicts, *a.conflict)
		}
		st.register = a.register
		st.adminReady = st.adminReady || a.registered
	}
	var c *workflow.Conflict
	if st.adminReady {
		st.plan, c, err = planTrail(ctx, r.ct, r.cfg, st.keyARN)
	} else {
		// The security account cannot read the trail yet; the management
		// account, which owns it, can: a trail homed in another region is
		// a conflict found before any change.
		c, err = homeRegionCheck(ctx, r.d.CloudTrail(r.cfg.Accounts.Management, r.cfg.HomeRegion), r.cfg)
	}
	if err != nil {
		return st, err
	}
	if c != nil {
		st.conflicts = append(st.conflicts, *c)
		return st, nil
	}
	// Before a trail is created (or where the security account cannot
	// tell yet whether it exists): AWS Control Tower's organization trail
	// already records the organization.
	if !st.adminReady || st.plan.create {
		name, err := controlTowerTrail(ctx, r.d.CloudTrail(r.cfg.Accounts.Management, r.cfg.HomeRegion))
		if err != nil {
			return st, err
		}
		switch {
		case name != "" && r.cfg.Services.CloudTrail.AlongsideControlTower:
			r.res.Warnings = append(r.res.Warnings, controlTowerWarning(name, r.cfg))
		case name != "":
			st.controlTower = name
		}
	}
	return st, nil
}

// act changes what differs, in apply mode, and adds the outcomes with the
// actions: the bucket's, the delegated administrator's and the trail's.
func (r *stepRun) act(ctx context.Context, st found, trailOut workflow.Outcome) error {
	bucketOut, err := r.encryptBucket(ctx, st)
	if err != nil {
		return err
	}
	r.res.Add(bucketOut)

	if r.cfg.Services.CloudTrail.DelegatedAdmin {
		adminOut, err := r.register(ctx, st.register)
		if err != nil {
			return err
		}
		r.res.Add(adminOut)
	}

	tp := st.plan
	if !st.adminReady {
		if tp, err = r.planAfterRegistration(ctx, st.keyARN); err != nil {
			return err
		}
	}
	if tp.insightsLeftOn {
		name := r.cfg.Services.CloudTrail.TrailName
		r.res.Warnings = append(r.res.Warnings, fmt.Sprintf("the trail %s has CloudTrail Insights while services.cloudtrail.insights is off: orgbaseline does not switch Insights off "+
			"(it may call cloudtrail:PutInsightSelectors only with Insights on); to stop them: aws cloudtrail put-insight-selectors --trail-name %s --insight-selectors '[]' --region %s", name, name, r.cfg.HomeRegion))
	}
	if trailOut.Actions, err = r.convergeTrail(ctx, st.keyARN, tp); err != nil {
		return err
	}
	r.res.Add(trailOut)
	return nil
}

// encryptBucket sets the trail bucket's default encryption when it differs
// and returns the bucket's outcome.
func (r *stepRun) encryptBucket(ctx context.Context, st found) (workflow.Outcome, error) {
	bucket := BucketName(r.cfg)
	out := workflow.Outcome{Account: r.cfg.Accounts.LogArchive, Region: r.cfg.HomeRegion, Service: settings.ServiceCloudTrail}
	if !st.encrypt {
		return out, nil
	}
	if r.apply {
		if err := putEncryption(ctx, r.d.S3, bucket, st.keyARN); err != nil {
			return out, err
		}
		r.log.InfoContext(ctx, "set the trail bucket's default encryption", "bucket", bucket, "key", st.keyARN)
	}
	out.Actions = append(out.Actions, workflow.Action{Call: CallPutBucketEncryption, Target: bucket + ": " + encryptionText(st.keyARN)})
	return out, nil
}

// register registers the security account as CloudTrail delegated
// administrator when register says so, and returns the registration's
// outcome, under the management account.
func (r *stepRun) register(ctx context.Context, register bool) (workflow.Outcome, error) {
	security := r.cfg.Accounts.Security
	out := workflow.Outcome{Account: r.cfg.Accounts.Management, Region: workflow.RegionGlobal, Service: settings.ServiceCloudTrail}
	if !register {
		return out, nil
	}
	if r.apply {
		if err := registerAdmin(ctx, r.d.CloudTrail(r.cfg.Accounts.Management, r.cfg.HomeRegion), r.d.Orgs, security); err != nil {
			return out, err
		}
		r.log.InfoContext(ctx, "registered the CloudTrail delegated administrator", "account", security)
	}
	out.Actions = append(out.Actions, workflow.Action{Call: CallRegisterAdmin, Target: security})
	return out, nil
}

// planAfterRegistration plans the trail when it is managed from the
// security account, which the step has just registered (apply) or would
// register (plan): in apply it reads the trail from the security account,
// in plan the trail's actions are those of a new trail, with a warning.
func (r *stepRun) planAfterRegistration(ctx context.Context, keyARN string) (trailPlan, error) {
	if !r.apply {
		r.res.Warnings = append(r.res.Warnings, fmt.Sprintf("the trail %s is managed from the security account %s, which can read it only once it is the CloudTrail delegated administrator: its actions are shown as for a new trail; the apply registers the account first, then reads the trail and changes only what differs", r.cfg.Services.CloudTrail.TrailName, r.cfg.Accounts.Security))
		return planNew(r.cfg), nil
	}
	tp, c, err := planTrail(ctx, r.ct, r.cfg, keyARN)
	if err != nil {
		return tp, err
	}
	if c != nil {
		return tp, conflictError(ctx, r.log, []workflow.Conflict{*c})
	}
	return tp, nil
}

// convergeTrail carries out tp in apply mode and returns the trail's
// actions: those taken, or in plan mode those tp holds.
func (r *stepRun) convergeTrail(ctx context.Context, keyARN string, tp trailPlan) ([]workflow.Action, error) {
	name := r.cfg.Services.CloudTrail.TrailName
	if !r.apply {
		return tp.actions(name), nil
	}
	done, err := applyTrail(ctx, r.ct, r.cfg, keyARN, tp, true)
	if err != nil {
		return nil, err
	}
	if len(done) > 0 {
		r.log.InfoContext(ctx, "converged the organization trail", "trail", name, "managedFrom", ManagingAccount(r.cfg), "actions", len(done))
	}
	return done, nil
}

// trailAPI is the client of the organization trail's calls in region: the
// managing account's.
func trailAPI(d Deps, cfg settings.Config, region string) CloudTrailAPI {
	return d.CloudTrail(ManagingAccount(cfg), region)
}

// trailID names the trail in the calls on an existing trail: its name from
// the management account, which owns it, and its ARN from the delegated
// administrator, whose bare names would name trails of its own account.
func trailID(cfg settings.Config) string {
	if cfg.Services.CloudTrail.ManagedFromSecurity() {
		return TrailARN(cfg)
	}
	return cfg.Services.CloudTrail.TrailName
}

func conflictError(ctx context.Context, log *slog.Logger, conflicts []workflow.Conflict) error {
	for _, c := range conflicts {
		log.WarnContext(ctx, "conflict", "service", c.Service, "resource", c.Resource, "found", c.Found, "wanted", c.Wanted)
	}
	return &workflow.ConflictError{Conflicts: conflicts}
}
