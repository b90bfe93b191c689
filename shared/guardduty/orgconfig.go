package guardduty

import (
	"context"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// The actions of the guardduty-org step.
const (
	CallCreateDetector                  = "guardduty:CreateDetector"
	CallUpdateDetector                  = "guardduty:UpdateDetector"
	CallUpdateOrganizationConfiguration = "guardduty:UpdateOrganizationConfiguration"
	CallCreateMembers                   = "guardduty:CreateMembers"
	CallUpdateMemberDetectors           = "guardduty:UpdateMemberDetectors"
	CallCreatePublishingDestination     = "guardduty:CreatePublishingDestination"
	CallUpdatePublishingDestination     = "guardduty:UpdatePublishingDestination"
)

// OrgClient is the GuardDuty client of the guardduty-org step, in the
// security account and one region: every part's interface in one. Each part
// takes only the interfaces it calls.
type OrgClient interface {
	DetectorsAPI
	DetectorAPI
	OrgConfigurationAPI
	MembersAPI
	MemberDetectorsAPI
	PublishingDestinationReadAPI
	PublishingDestinationWriteAPI
}

var _ OrgClient = (*guardduty.Client)(nil)

// OrgDeps are the clients of the guardduty-org step for one region.
type OrgDeps struct {
	// GuardDuty acts in the security account, in the item's region.
	GuardDuty OrgClient
	// Accounts reads the e-mail addresses of the accounts to add as
	// members, from the management account.
	Accounts AccountAPI
	// FindingsKeyARN returns the findings key's ARN (awsclient.KeyResolver.ARN); it is
	// called only when the findings are exported. Its error is a named
	// workflow error.
	FindingsKeyARN func(ctx context.Context) (string, error)
}

// orgRun is one invocation of the guardduty-org step.
type orgRun struct {
	in       workflow.Input
	region   string
	security string
	freq     gdtypes.FindingPublishingFrequency
	// features are the wanted protection plans, less those the region
	// turned out not to offer for detectors (refused).
	features []feature
	// accounts are the accounts to make members (runAccounts).
	accounts []string
	// excluded are the accounts the scope excludes (item.Excluded): never
	// made members, and reported when they are members already.
	excluded []string
	// autoMembers is the organization configuration's wanted
	// AutoEnableOrganizationMembers (wantedAutoMembers).
	autoMembers gdtypes.AutoEnableMembers
	res         *workflow.StepResult
	log         *slog.Logger
	// rows are the per-account outcomes (addRows), added after the parts'.
	rows []workflow.Outcome
	// regionOff is set when the region has no GuardDuty endpoint.
	regionOff bool
	// export says whether the findings are exported, to bucket (the
	// findings bucket's ARN).
	export bool
	bucket string
}

// ConfigureOrg is the guardduty-org step for one region. In the security
// account, GuardDuty's delegated administrator, it
//
//  1. makes the administrator's detector match the configuration: created
//     when missing (guardduty:ListDetectors, CreateDetector), then read and
//     updated when its publishing frequency or protection plans differ
//     (GetDetector, UpdateDetector);
//  2. makes the organization configuration auto-enable all accounts (or,
//     when the configuration's scope excludes any, none:
//     wantedAutoMembers), with each protection plan auto-enabled for all
//     (ALL) or none (NONE) (DescribeOrganizationConfiguration,
//     UpdateOrganizationConfiguration);
//  3. adds the run's accounts that are not members yet: the ACTIVE accounts
//     the state machine passes in item.Accounts (runAccounts; the step
//     fails without them), whose members are listed (guardduty:ListMembers)
//     and those not Enabled added with CreateMembers, in calls of at most
//     MembersPerCall, after reading the e-mail address of each of them
//     (organizations:DescribeAccount from the management account, one call
//     an account to add: a run with nothing to add makes no Organizations
//     call). The accounts GuardDuty leaves unprocessed are tried once more;
//     an account that has not enabled the region, an opt-in region, is
//     skipped there, any other left is failed, each in its own outcome;
//  4. gives the members' detectors the configured protection plans: the
//     members of those accounts, already there or just added, are read
//     (guardduty:GetMemberDetectors) and those whose features or runtime
//     monitoring's additional configurations differ are updated
//     (UpdateMemberDetectors), both in calls of at most MembersPerCall;
//     unprocessed accounts are tried once more, and what is left is
//     failed. In plan mode before the detector exists there are no
//     members, and this part has no outcome;
//  5. with services.guardduty.exportFindings, points the detector's S3
//     publishing destination at the log-archive account's findings bucket,
//     encrypted with the security account's findings key (findings.go):
//     the key's ARN is read from its alias in the home region
//     (kms:DescribeKey, once per container), the destination created when
//     the detector has none (guardduty:ListPublishingDestinations,
//     CreatePublishingDestination), else read and updated when its bucket
//     or key differ (DescribePublishingDestination,
//     UpdatePublishingDestination). A matching destination that GuardDuty
//     does not publish to is reported as failed. Without the setting this
//     part makes no call and has no outcome.
//
// It reads everything and calls only where the state differs; in plan mode
// it reports the calls it would make. Each part has its own outcome under
// the security account, the region and "guardduty", with one action per
// kind of call (the members' actions count the accounts); accounts that
// changed, were skipped or failed have their own outcomes after them, at
// most maxAccountRows a part (rows.go), so the result does not grow with
// the organization. The protection plans each call sends are those the
// configuration enables and the disabled ones already present on what it
// changes, as read first (sendable), so a feature the region does not know
// is never sent to switch it off; an enabled one the region does not offer
// there is found when GuardDuty refuses it, and is left out with a skipped
// outcome (refused): one the detector refuses in the later parts too. An
// operation the endpoint does not offer makes its
// part skipped, and the other parts go on.
func ConfigureOrg(ctx context.Context, d OrgDeps, cfg settings.Config, item workflow.Item, log *slog.Logger) (workflow.StepResult, error) {
	in := item.Input
	res := workflow.StepResult{Step: OrgSpec.Name, Mode: in.Mode, Outcomes: []workflow.Outcome{}}
	out := workflow.Outcome{Account: cfg.Accounts.Security, Region: item.Region, Service: settings.ServiceGuardDuty}
	if skipped(cfg, item, &out, "no region given") {
		res.Add(out)
		return res, nil
	}
	accounts, err := runAccounts(item, cfg.Accounts.Security)
	if err != nil {
		return res, err
	}
	r := &orgRun{
		in: in, region: item.Region, security: cfg.Accounts.Security,
		freq:     gdtypes.FindingPublishingFrequency(cfg.Services.GuardDuty.FindingPublishingFrequency),
		features: wantedFeatures(cfg.Services.GuardDuty.Features), accounts: accounts,
		excluded: item.Excluded, autoMembers: wantedAutoMembers(cfg),
		res: &res, log: log,
		export: cfg.Services.GuardDuty.ExportFindings, bucket: BucketARN(cfg),
	}
	if err := r.run(ctx, d); err != nil {
		return res, err
	}
	for _, o := range r.rows {
		res.Add(o)
	}
	return res, nil
}

func (r *orgRun) add(status workflow.Status, reason string, actions ...workflow.Action) {
	r.res.Add(workflow.Outcome{Account: r.security, Region: r.region, Service: settings.ServiceGuardDuty, Status: status, Reason: reason, Actions: actions})
}

func (r *orgRun) plan() bool { return r.in.Mode == workflow.ModePlan }

// run converges each part in turn with the clients of d, each part given
// only the interfaces it calls.
func (r *orgRun) run(ctx context.Context, d OrgDeps) error {
	id, skipped, err := r.detector(ctx, d.GuardDuty, d.GuardDuty)
	switch {
	case err != nil:
		return err
	case r.regionOff:
		return nil
	case skipped != "":
		r.add(workflow.StatusSkipped, skipped)
		r.add(workflow.StatusSkipped, "organization configuration: no detector: "+skipped)
		r.add(workflow.StatusSkipped, "members: no detector: "+skipped)
		r.add(workflow.StatusSkipped, memberFeaturesPart+": no detector: "+skipped)
		if r.export {
			r.add(workflow.StatusSkipped, exportPart+": no detector: "+skipped)
		}
		return nil
	}
	if err := r.orgConfig(ctx, d.GuardDuty, id); err != nil {
		return err
	}
	members, unknown, err := r.members(ctx, d.Accounts, d.GuardDuty, id)
	switch {
	case err != nil:
		return err
	case unknown != "":
		r.add(workflow.StatusSkipped, memberFeaturesPart+": no member list: "+unknown)
	default:
		if err := r.memberFeatures(ctx, d.GuardDuty, id, members); err != nil {
			return err
		}
	}
	return r.exportFindings(ctx, d.GuardDuty, d.GuardDuty, d.FindingsKeyARN, id)
}

// unavailable turns an operation the endpoint does not offer into the
// reason of a skipped part.
func (r *orgRun) unavailable(err error) (string, bool) {
	op, ok := awsclient.UnavailableOperation(err)
	if !ok {
		return "", false
	}
	r.log.Warn("operation not available at the endpoint", "operation", op)
	return awsclient.UnavailableReason(op), true
}

func orNone(s string) string {
	if s == "" {
		return "unset"
	}
	return s
}
