package guardduty

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/org/targets"
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

// MembersPerCall is the most accounts one CreateMembers, GetMemberDetectors
// or UpdateMemberDetectors call takes.
const MembersPerCall = 50

// OrgAPI is the part of the GuardDuty client the guardduty-org step uses, in
// the security account and one region.
type OrgAPI interface {
	guardduty.ListDetectorsAPIClient
	GetDetector(ctx context.Context, in *guardduty.GetDetectorInput, optFns ...func(*guardduty.Options)) (*guardduty.GetDetectorOutput, error)
	CreateDetector(ctx context.Context, in *guardduty.CreateDetectorInput, optFns ...func(*guardduty.Options)) (*guardduty.CreateDetectorOutput, error)
	UpdateDetector(ctx context.Context, in *guardduty.UpdateDetectorInput, optFns ...func(*guardduty.Options)) (*guardduty.UpdateDetectorOutput, error)
	guardduty.DescribeOrganizationConfigurationAPIClient
	UpdateOrganizationConfiguration(ctx context.Context, in *guardduty.UpdateOrganizationConfigurationInput, optFns ...func(*guardduty.Options)) (*guardduty.UpdateOrganizationConfigurationOutput, error)
	guardduty.ListMembersAPIClient
	CreateMembers(ctx context.Context, in *guardduty.CreateMembersInput, optFns ...func(*guardduty.Options)) (*guardduty.CreateMembersOutput, error)
	GetMemberDetectors(ctx context.Context, in *guardduty.GetMemberDetectorsInput, optFns ...func(*guardduty.Options)) (*guardduty.GetMemberDetectorsOutput, error)
	UpdateMemberDetectors(ctx context.Context, in *guardduty.UpdateMemberDetectorsInput, optFns ...func(*guardduty.Options)) (*guardduty.UpdateMemberDetectorsOutput, error)
	guardduty.ListPublishingDestinationsAPIClient
	DescribePublishingDestination(ctx context.Context, in *guardduty.DescribePublishingDestinationInput, optFns ...func(*guardduty.Options)) (*guardduty.DescribePublishingDestinationOutput, error)
	CreatePublishingDestination(ctx context.Context, in *guardduty.CreatePublishingDestinationInput, optFns ...func(*guardduty.Options)) (*guardduty.CreatePublishingDestinationOutput, error)
	UpdatePublishingDestination(ctx context.Context, in *guardduty.UpdatePublishingDestinationInput, optFns ...func(*guardduty.Options)) (*guardduty.UpdatePublishingDestinationOutput, error)
}

var _ OrgAPI = (*guardduty.Client)(nil)

// OrgDeps are the clients of the guardduty-org step for one region.
type OrgDeps struct {
	// GuardDuty acts in the security account, in the item's region.
	GuardDuty OrgAPI
	// Accounts lists the organization's accounts, from the management
	// account.
	Accounts organizations.ListAccountsAPIClient
	// FindingsKeyARN returns the findings key's ARN (awsclient.KeyResolver.ARN); it is
	// called only when the findings are exported. Its error is a named
	// workflow error.
	FindingsKeyARN func(ctx context.Context) (string, error)
}

// Runtime monitoring's additional configurations, enabled with it.
var runtimeMonitoringAgents = []string{
	string(gdtypes.FeatureAdditionalConfigurationEksAddonManagement),
	string(gdtypes.FeatureAdditionalConfigurationEcsFargateAgentManagement),
	string(gdtypes.FeatureAdditionalConfigurationEc2AgentManagement),
}

// feature is one protection plan as the configuration wants it.
type feature struct {
	name string
	on   bool
	// agents are additional configurations, wanted on with the feature.
	agents []string
}

// wantedFeatures returns the protection plans of the configuration, in a
// fixed order, each on or off.
func wantedFeatures(f settings.GuardDutyFeatures) []feature {
	fs := []feature{
		{name: string(gdtypes.DetectorFeatureS3DataEvents), on: f.S3DataEvents == nil || *f.S3DataEvents},
		{name: string(gdtypes.DetectorFeatureEksAuditLogs), on: f.EKSAuditLogs},
		{name: string(gdtypes.DetectorFeatureEbsMalwareProtection), on: f.EBSMalwareProtection},
		{name: string(gdtypes.DetectorFeatureRdsLoginEvents), on: f.RDSLoginEvents},
		{name: string(gdtypes.DetectorFeatureLambdaNetworkLogs), on: f.LambdaNetworkLogs},
		{name: string(gdtypes.DetectorFeatureRuntimeMonitoring), on: f.RuntimeMonitoring},
	}
	if f.RuntimeMonitoring {
		fs[len(fs)-1].agents = slices.Clone(runtimeMonitoringAgents)
	}
	return fs
}

// knownNames are the feature and additional-configuration names the step
// sends.
var knownNames = func() map[string]bool {
	m := map[string]bool{}
	for _, f := range wantedFeatures(settings.GuardDutyFeatures{RuntimeMonitoring: true}) {
		m[f.name] = true
		for _, a := range f.agents {
			m[a] = true
		}
	}
	return m
}()

// names lists the features and their agents ("FEATURE/AGENT").
func names(fs []feature) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.name)
		for _, a := range f.agents {
			out = append(out, f.name+"/"+a)
		}
	}
	return out
}

// without returns fs without the features and agents named in drop.
func without(fs []feature, drop map[string]bool) []feature {
	var out []feature
	for _, f := range fs {
		if drop[f.name] {
			continue
		}
		g := feature{name: f.name, on: f.on}
		for _, a := range f.agents {
			if !drop[a] {
				g.agents = append(g.agents, a)
			}
		}
		out = append(out, g)
	}
	return out
}

// onlyS3 keeps S3 data events alone: what every GuardDuty region offers.
func onlyS3(fs []feature) []feature {
	var out []feature
	for _, f := range fs {
		if f.name == string(gdtypes.DetectorFeatureS3DataEvents) {
			out = append(out, f)
		}
	}
	return out
}

// unavailableFeatures reports whether err is GuardDuty refusing features
// that the region does not offer, and the known names its message gives.
func unavailableFeatures(err error) (named map[string]bool, message string, ok bool) {
	var br *gdtypes.BadRequestException
	if !errors.As(err, &br) {
		return nil, "", false
	}
	message = br.ErrorMessage()
	low := strings.ToLower(message)
	said := false
	for _, s := range []string{"not available", "unavailable", "not supported", "unsupported", "not offered"} {
		said = said || strings.Contains(low, s)
	}
	if !said {
		return nil, "", false
	}
	named = map[string]bool{}
	for _, tok := range strings.FieldsFunc(message, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_')
	}) {
		if knownNames[tok] {
			named[tok] = true
		}
	}
	if len(named) == 0 && !strings.Contains(low, "region") && !strings.Contains(low, "feature") {
		return nil, "", false
	}
	return named, message, true
}

// orgRun is one invocation of the guardduty-org step.
type orgRun struct {
	d        OrgDeps
	in       workflow.Input
	region   string
	security string
	freq     gdtypes.FindingPublishingFrequency
	// features are the wanted protection plans, less those the region
	// turned out not to offer.
	features []feature
	res      *workflow.StepResult
	log      *slog.Logger
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
//     when missing (guardduty:ListDetectors, CreateDetector), else read and
//     updated when its publishing frequency or protection plans differ
//     (GetDetector, UpdateDetector);
//  2. makes the organization configuration auto-enable all accounts, with
//     each protection plan auto-enabled for all (ALL) or none (NONE)
//     (DescribeOrganizationConfiguration, UpdateOrganizationConfiguration);
//  3. adds the organization's ACTIVE accounts that are not members yet
//     (organizations:ListAccounts from the management account,
//     guardduty:ListMembers, CreateMembers in calls of at most
//     MembersPerCall; the accounts GuardDuty leaves unprocessed are tried
//     once more, and what is left is reported as failed);
//  4. gives the members' detectors the configured protection plans: the
//     members of those ACTIVE accounts, already there or just added, are
//     read (guardduty:GetMemberDetectors) and those whose features or
//     runtime monitoring's additional configurations differ are updated
//     (UpdateMemberDetectors), both in calls of at most MembersPerCall;
//     unprocessed accounts are tried once more, and what is left is
//     reported as failed. In plan mode before the detector exists there
//     are no members, and this part has no outcome;
//  5. with services.guardduty.exportFindings, points the detector's S3
//     publishing destination at the log-archive account's findings bucket,
//     encrypted with the security account's findings key (findingsdest):
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
// the security account, the region and "guardduty"; the members' actions
// name the accounts of each CreateMembers or UpdateMemberDetectors call;
// the publishing destination's action names the findings bucket.
// Features a region does not offer (BadRequestException) are left out,
// here and in the later parts, and the call is retried once, with a
// warning. An operation the endpoint does not offer makes its part skipped,
// and the other parts go on.
func ConfigureOrg(ctx context.Context, d OrgDeps, cfg settings.Config, item workflow.Item, log *slog.Logger) (workflow.StepResult, error) {
	in := item.Input
	res := workflow.StepResult{Step: OrgSpec.Name, Mode: in.Mode, Outcomes: []workflow.Outcome{}}
	out := workflow.Outcome{Account: cfg.Accounts.Security, Region: item.Region, Service: settings.ServiceGuardDuty}
	if skipped(cfg, item, &out, "no region given") {
		res.Add(out)
		return res, nil
	}
	r := &orgRun{
		d: d, in: in, region: item.Region, security: cfg.Accounts.Security,
		freq:     gdtypes.FindingPublishingFrequency(cfg.Services.GuardDuty.FindingPublishingFrequency),
		features: wantedFeatures(cfg.Services.GuardDuty.Features),
		res:      &res, log: log,
		export: cfg.Services.GuardDuty.ExportFindings, bucket: BucketARN(cfg),
	}
	if err := r.run(ctx); err != nil {
		return res, err
	}
	return res, nil
}

func (r *orgRun) add(status workflow.Status, reason string, actions ...workflow.Action) {
	r.res.Add(workflow.Outcome{Account: r.security, Region: r.region, Service: settings.ServiceGuardDuty, Status: status, Reason: reason, Actions: actions})
}

func (r *orgRun) plan() bool { return r.in.Mode == workflow.ModePlan }

func (r *orgRun) run(ctx context.Context) error {
	id, skipped, err := r.detector(ctx)
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
	if err := r.orgConfig(ctx, id); err != nil {
		return err
	}
	members, unknown, err := r.members(ctx, id)
	switch {
	case err != nil:
		return err
	case unknown != "":
		r.add(workflow.StatusSkipped, memberFeaturesPart+": no member list: "+unknown)
	default:
		if err := r.memberFeatures(ctx, id, members); err != nil {
			return err
		}
	}
	return r.exportFindings(ctx, id)
}

// detector converges the administrator's detector and returns its ID: ""
// in plan mode when there is none yet. skipped is the reason the detector
// could not be read or made.
func (r *orgRun) detector(ctx context.Context) (id, skipped string, err error) {
	ids, err := r.listDetectors(ctx)
	if notOffered(err) {
		r.add(workflow.StatusSkipped, "GuardDuty is not offered in "+r.region)
		r.regionOff = true
		return "", "", nil
	}
	if skip, ok := r.unavailable(err); ok {
		return "", skip, nil
	}
	if err != nil {
		return "", "", awsclient.Classify("list GuardDuty detectors in "+r.region, err)
	}
	if len(ids) == 0 {
		act := workflow.Action{Call: CallCreateDetector}
		reason := func() string {
			return fmt.Sprintf("no detector: create one, findings published every %s, with %s", r.freq, describeFeatures(r.features))
		}
		if r.plan() {
			r.add("", reason(), act)
			return "", "", nil
		}
		id, err := r.createDetector(ctx)
		if err == nil {
			r.log.InfoContext(ctx, "created the GuardDuty detector", "detector", id)
			r.add("", reason(), workflow.Action{Call: CallCreateDetector, Target: id})
			return id, "", nil
		}
		if skip, ok := r.unavailable(err); ok {
			return "", skip, nil
		}
		if !alreadyExists(err) {
			return "", "", awsclient.Classify("create the GuardDuty detector in "+r.region, err)
		}
		// Made meanwhile (GuardDuty makes one for a new administrator):
		// converge the one there is.
		if ids, err = r.listDetectors(ctx); err != nil {
			return "", "", awsclient.Classify("list GuardDuty detectors in "+r.region, err)
		}
		if len(ids) == 0 {
			return "", "", &workflow.NotReadyError{Op: "GuardDuty detector in " + r.region, Err: fmt.Errorf("CreateDetector says one exists, ListDetectors shows none")}
		}
	}
	return r.convergeDetector(ctx, ids[0])
}

func (r *orgRun) listDetectors(ctx context.Context) ([]string, error) {
	var ids []string
	pages := guardduty.NewListDetectorsPaginator(r.d.GuardDuty, &guardduty.ListDetectorsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		ids = append(ids, page.DetectorIds...)
	}
	return ids, nil
}

func (r *orgRun) createDetector(ctx context.Context) (string, error) {
	fs := r.features
	for retried := false; ; retried = true {
		out, err := r.d.GuardDuty.CreateDetector(ctx, &guardduty.CreateDetectorInput{
			Enable: aws.Bool(true), FindingPublishingFrequency: r.freq, Features: detectorFeatures(fs),
		})
		if err == nil {
			r.features = fs
			return aws.ToString(out.DetectorId), nil
		}
		if retried {
			return "", err
		}
		kept, ok := r.fallback("CreateDetector", fs, err)
		if !ok {
			return "", err
		}
		fs = kept
	}
}

func (r *orgRun) convergeDetector(ctx context.Context, id string) (string, string, error) {
	got, err := r.d.GuardDuty.GetDetector(ctx, &guardduty.GetDetectorInput{DetectorId: aws.String(id)})
	if skip, ok := r.unavailable(err); ok {
		return "", skip, nil
	}
	if err != nil {
		return "", "", awsclient.Classify("read GuardDuty detector "+id+" in "+r.region, err)
	}
	diff := detectorDiff(got, r.freq, r.features)
	if len(diff) == 0 {
		r.add(workflow.StatusUnchanged, "detector "+id+" matches the configuration")
		return id, "", nil
	}
	act := workflow.Action{Call: CallUpdateDetector, Target: id}
	reason := "detector " + id + ": " + strings.Join(diff, "; ")
	if r.plan() {
		r.add("", reason, act)
		return id, "", nil
	}
	fs := r.features
	for retried := false; ; retried = true {
		_, err := r.d.GuardDuty.UpdateDetector(ctx, &guardduty.UpdateDetectorInput{
			DetectorId: aws.String(id), Enable: aws.Bool(true), FindingPublishingFrequency: r.freq, Features: detectorFeatures(fs),
		})
		if err == nil {
			break
		}
		if skip, ok := r.unavailable(err); ok {
			r.add(workflow.StatusSkipped, "detector "+id+": "+skip)
			return id, "", nil
		}
		if retried {
			return "", "", awsclient.Classify("update GuardDuty detector "+id+" in "+r.region, err)
		}
		kept, ok := r.fallback("UpdateDetector", fs, err)
		if !ok {
			return "", "", awsclient.Classify("update GuardDuty detector "+id+" in "+r.region, err)
		}
		fs = kept
		r.features = kept
		if diff = detectorDiff(got, r.freq, fs); len(diff) == 0 {
			r.add(workflow.StatusUnchanged, "detector "+id+" matches the configuration, less the features the region does not offer")
			return id, "", nil
		}
		reason = "detector " + id + ": " + strings.Join(diff, "; ")
	}
	r.log.InfoContext(ctx, "updated the GuardDuty detector", "detector", id, "differences", diff)
	r.add("", reason, act)
	return id, "", nil
}

func detectorFeatures(fs []feature) []gdtypes.DetectorFeatureConfiguration {
	out := make([]gdtypes.DetectorFeatureConfiguration, 0, len(fs))
	for _, f := range fs {
		c := gdtypes.DetectorFeatureConfiguration{Name: gdtypes.DetectorFeature(f.name), Status: status(f.on)}
		if f.on {
			for _, a := range f.agents {
				c.AdditionalConfiguration = append(c.AdditionalConfiguration, gdtypes.DetectorAdditionalConfiguration{
					Name: gdtypes.FeatureAdditionalConfiguration(a), Status: gdtypes.FeatureStatusEnabled,
				})
			}
		}
		out = append(out, c)
	}
	return out
}

func status(on bool) gdtypes.FeatureStatus {
	if on {
		return gdtypes.FeatureStatusEnabled
	}
	return gdtypes.FeatureStatusDisabled
}

// detectorDiff lists how the detector differs from the configuration. A
// feature the detector does not list counts as disabled.
func detectorDiff(got *guardduty.GetDetectorOutput, freq gdtypes.FindingPublishingFrequency, fs []feature) []string {
	var diff []string
	if got.Status != gdtypes.DetectorStatusEnabled {
		diff = append(diff, fmt.Sprintf("status %s, want ENABLED", orNone(string(got.Status))))
	}
	if got.FindingPublishingFrequency != freq {
		diff = append(diff, fmt.Sprintf("FindingPublishingFrequency %s, want %s", orNone(string(got.FindingPublishingFrequency)), freq))
	}
	current := map[string]featureState{}
	for _, f := range got.Features {
		st := featureState{status: f.Status, agents: map[string]gdtypes.FeatureStatus{}}
		for _, a := range f.AdditionalConfiguration {
			st.agents[string(a.Name)] = a.Status
		}
		current[string(f.Name)] = st
	}
	return append(diff, featureDiff(current, fs)...)
}

// featureState is a protection plan as a detector has it.
type featureState struct {
	status gdtypes.FeatureStatus
	// agents are the statuses of its additional configurations, by name.
	agents map[string]gdtypes.FeatureStatus
}

// featureDiff lists how the features of a detector differ from fs. A
// feature or additional configuration it does not list counts as disabled;
// features that fs does not name are not compared.
func featureDiff(current map[string]featureState, fs []feature) []string {
	var diff []string
	for _, f := range fs {
		cur, want := current[f.name], status(f.on)
		if have := orDisabled(cur.status); have != want {
			diff = append(diff, fmt.Sprintf("%s %s, want %s", f.name, have, want))
		}
		if !f.on {
			continue
		}
		for _, a := range f.agents {
			if have := orDisabled(cur.agents[a]); have != gdtypes.FeatureStatusEnabled {
				diff = append(diff, fmt.Sprintf("%s/%s %s, want ENABLED", f.name, a, have))
			}
		}
	}
	return diff
}

func orDisabled(s gdtypes.FeatureStatus) gdtypes.FeatureStatus {
	if s == "" {
		return gdtypes.FeatureStatusDisabled
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "unset"
	}
	return s
}

func describeFeatures(fs []feature) string {
	var on []string
	for _, f := range fs {
		if f.on {
			on = append(on, f.name)
		}
	}
	if len(on) == 0 {
		return "no protection plans"
	}
	return strings.Join(on, ", ")
}

// fallback handles a call that GuardDuty refused for features the region
// does not offer: it returns the features to send again (those the message
// names left out; with none named, S3 data events alone) and warns. ok is
// false when err is something else or leaving out changes nothing.
func (r *orgRun) fallback(op string, fs []feature, err error) (kept []feature, ok bool) {
	named, msg, ok := unavailableFeatures(err)
	if !ok {
		return nil, false
	}
	before := names(fs)
	kept = without(fs, named)
	if len(named) == 0 || len(names(kept)) == len(before) {
		kept = onlyS3(fs)
	}
	after := names(kept)
	var dropped []string
	for _, n := range before {
		if !slices.Contains(after, n) {
			dropped = append(dropped, n)
		}
	}
	if len(dropped) == 0 {
		return nil, false
	}
	r.res.Warnings = append(r.res.Warnings, fmt.Sprintf("guardduty in %s: left out %s, which the region does not offer (%s: %s)",
		r.region, strings.Join(dropped, ", "), op, msg))
	r.log.Warn("features not offered in the region", "call", op, "dropped", dropped, "message", msg)
	return kept, true
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

// alreadyExists: CreateDetector's answer when the account has a detector in
// the region.
func alreadyExists(err error) bool {
	var br *gdtypes.BadRequestException
	return errors.As(err, &br) && strings.Contains(strings.ToLower(br.ErrorMessage()), "already exists")
}

// orgConfig converges the organization configuration of detector id ("" in
// plan mode before the detector exists).
func (r *orgRun) orgConfig(ctx context.Context, id string) error {
	if id == "" {
		r.add("", "organization configuration: the detector does not exist yet; set AutoEnableOrganizationMembers ALL, "+describeOrgFeatures(r.features),
			workflow.Action{Call: CallUpdateOrganizationConfiguration})
		return nil
	}
	autoMembers, current, err := r.describeOrg(ctx, id)
	if skip, ok := r.unavailable(err); ok {
		r.add(workflow.StatusSkipped, skip)
		return nil
	}
	if err != nil {
		return awsclient.Classify("read GuardDuty's organization configuration in "+r.region, err)
	}
	diff := orgDiff(autoMembers, current, r.features)
	if len(diff) == 0 {
		r.add(workflow.StatusUnchanged, "organization configuration matches the configuration")
		return nil
	}
	act := workflow.Action{Call: CallUpdateOrganizationConfiguration, Target: id}
	reason := "organization configuration: " + strings.Join(diff, "; ")
	if r.plan() {
		r.add("", reason, act)
		return nil
	}
	fs := r.features
	for retried := false; ; retried = true {
		_, err := r.d.GuardDuty.UpdateOrganizationConfiguration(ctx, orgInput(id, fs))
		if err == nil {
			break
		}
		if skip, ok := r.unavailable(err); ok {
			r.add(workflow.StatusSkipped, skip)
			return nil
		}
		if retried {
			return awsclient.Classify("update GuardDuty's organization configuration in "+r.region, err)
		}
		kept, ok := r.fallback("UpdateOrganizationConfiguration", fs, err)
		if !ok {
			return awsclient.Classify("update GuardDuty's organization configuration in "+r.region, err)
		}
		fs = kept
		r.features = kept
		if diff = orgDiff(autoMembers, current, fs); len(diff) == 0 {
			r.add(workflow.StatusUnchanged, "organization configuration matches the configuration, less the features the region does not offer")
			return nil
		}
		reason = "organization configuration: " + strings.Join(diff, "; ")
	}
	r.log.InfoContext(ctx, "updated GuardDuty's organization configuration", "detector", id, "differences", diff)
	r.add("", reason, act)
	return nil
}

func (r *orgRun) describeOrg(ctx context.Context, id string) (gdtypes.AutoEnableMembers, []gdtypes.OrganizationFeatureConfigurationResult, error) {
	var (
		members  gdtypes.AutoEnableMembers
		features []gdtypes.OrganizationFeatureConfigurationResult
	)
	pages := guardduty.NewDescribeOrganizationConfigurationPaginator(r.d.GuardDuty, &guardduty.DescribeOrganizationConfigurationInput{DetectorId: aws.String(id)})
	for first := true; pages.HasMorePages(); first = false {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return "", nil, err
		}
		if first {
			members = page.AutoEnableOrganizationMembers
		}
		features = append(features, page.Features...)
	}
	return members, features, nil
}

func orgStatus(on bool) gdtypes.OrgFeatureStatus {
	if on {
		return gdtypes.OrgFeatureStatusAll
	}
	return gdtypes.OrgFeatureStatusNone
}

func orgInput(id string, fs []feature) *guardduty.UpdateOrganizationConfigurationInput {
	in := &guardduty.UpdateOrganizationConfigurationInput{
		DetectorId:                    aws.String(id),
		AutoEnableOrganizationMembers: gdtypes.AutoEnableMembersAll,
		Features:                      make([]gdtypes.OrganizationFeatureConfiguration, 0, len(fs)),
	}
	for _, f := range fs {
		c := gdtypes.OrganizationFeatureConfiguration{Name: gdtypes.OrgFeature(f.name), AutoEnable: orgStatus(f.on)}
		if f.on {
			for _, a := range f.agents {
				c.AdditionalConfiguration = append(c.AdditionalConfiguration, gdtypes.OrganizationAdditionalConfiguration{
					Name: gdtypes.OrgFeatureAdditionalConfiguration(a), AutoEnable: gdtypes.OrgFeatureStatusAll,
				})
			}
		}
		in.Features = append(in.Features, c)
	}
	return in
}

// orgDiff lists how the organization configuration differs from the
// configuration. A feature it does not list counts as NONE.
func orgDiff(members gdtypes.AutoEnableMembers, current []gdtypes.OrganizationFeatureConfigurationResult, fs []feature) []string {
	var diff []string
	if members != gdtypes.AutoEnableMembersAll {
		diff = append(diff, fmt.Sprintf("AutoEnableOrganizationMembers %s, want ALL", orNone(string(members))))
	}
	byName := map[string]gdtypes.OrganizationFeatureConfigurationResult{}
	for _, f := range current {
		byName[string(f.Name)] = f
	}
	for _, f := range fs {
		cur, want := byName[f.name], orgStatus(f.on)
		if have := orgOrNone(cur.AutoEnable); have != want {
			diff = append(diff, fmt.Sprintf("%s auto-enable %s, want %s", f.name, have, want))
		}
		if !f.on {
			continue
		}
		agents := map[string]gdtypes.OrgFeatureStatus{}
		for _, a := range cur.AdditionalConfiguration {
			agents[string(a.Name)] = a.AutoEnable
		}
		for _, a := range f.agents {
			if have := orgOrNone(agents[a]); have != gdtypes.OrgFeatureStatusAll {
				diff = append(diff, fmt.Sprintf("%s/%s auto-enable %s, want ALL", f.name, a, have))
			}
		}
	}
	return diff
}

func orgOrNone(s gdtypes.OrgFeatureStatus) gdtypes.OrgFeatureStatus {
	if s == "" {
		return gdtypes.OrgFeatureStatusNone
	}
	return s
}

func describeOrgFeatures(fs []feature) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.name + " " + string(orgStatus(f.on))
	}
	return strings.Join(parts, ", ")
}

// members adds the organization's ACTIVE accounts that are not members of
// detector id ("" in plan mode before the detector exists: none are). It
// returns those of the accounts that are members now, in ID order (in plan
// mode, those that already are), or, when the members could not be listed,
// the reason.
func (r *orgRun) members(ctx context.Context, id string) (members []string, unknown string, err error) {
	accounts, err := r.orgAccounts(ctx)
	if skip, ok := r.unavailable(err); ok {
		r.add(workflow.StatusSkipped, "members: "+skip)
		return nil, skip, nil
	}
	if err != nil {
		return nil, "", awsclient.Classify("list the organization's accounts", err)
	}
	existing := map[string]bool{}
	if id != "" {
		existing, err = r.listMembers(ctx, id)
		if skip, ok := r.unavailable(err); ok {
			r.add(workflow.StatusSkipped, skip)
			return nil, skip, nil
		}
		if err != nil {
			return nil, "", awsclient.Classify("list GuardDuty members in "+r.region, err)
		}
	}
	// added holds the accounts CreateMembers made members.
	added := map[string]bool{}
	memberList := func() []string {
		var out []string
		for _, a := range accounts {
			if acct := aws.ToString(a.AccountId); existing[acct] || added[acct] {
				out = append(out, acct)
			}
		}
		return out
	}
	var todo []gdtypes.AccountDetail
	for _, a := range accounts {
		if !existing[aws.ToString(a.AccountId)] {
			todo = append(todo, a)
		}
	}
	if len(todo) == 0 {
		r.add(workflow.StatusUnchanged, fmt.Sprintf("members: all %d ACTIVE accounts are members", len(accounts)))
		return memberList(), "", nil
	}
	if r.plan() {
		var acts []workflow.Action
		for batch := range slices.Chunk(todo, MembersPerCall) {
			acts = append(acts, workflow.Action{Call: CallCreateMembers, Target: membersTarget(batch)})
		}
		r.add("", fmt.Sprintf("members: %d of %d ACTIVE accounts are not members", len(todo), len(accounts)), acts...)
		return memberList(), "", nil
	}

	// unprocessed holds GuardDuty's reason for each account it did not add.
	unprocessed := map[string]string{}
	var acts []workflow.Action
	create := func(details []gdtypes.AccountDetail) (skip string, err error) {
		for batch := range slices.Chunk(details, MembersPerCall) {
			out, err := r.d.GuardDuty.CreateMembers(ctx, &guardduty.CreateMembersInput{DetectorId: aws.String(id), AccountDetails: batch})
			if skip, ok := r.unavailable(err); ok {
				return skip, nil
			}
			if err != nil {
				return "", awsclient.Classify("add GuardDuty members in "+r.region, err)
			}
			left := map[string]bool{}
			for _, u := range out.UnprocessedAccounts {
				left[aws.ToString(u.AccountId)] = true
				unprocessed[aws.ToString(u.AccountId)] = aws.ToString(u.Result)
			}
			var done []gdtypes.AccountDetail
			for _, a := range batch {
				if !left[aws.ToString(a.AccountId)] {
					done = append(done, a)
					added[aws.ToString(a.AccountId)] = true
					delete(unprocessed, aws.ToString(a.AccountId))
				}
			}
			if len(done) > 0 {
				acts = append(acts, workflow.Action{Call: CallCreateMembers, Target: membersTarget(done)})
			}
		}
		return "", nil
	}
	skip, err := create(todo)
	if err == nil && skip == "" && len(unprocessed) > 0 {
		var again []gdtypes.AccountDetail
		for _, a := range todo {
			if _, ok := unprocessed[aws.ToString(a.AccountId)]; ok {
				again = append(again, a)
			}
		}
		r.log.InfoContext(ctx, "trying the unprocessed accounts again", "accounts", len(again))
		skip, err = create(again)
	}
	if err != nil {
		return nil, "", err
	}
	if len(acts) > 0 {
		r.log.InfoContext(ctx, "added GuardDuty members", "calls", len(acts))
		r.add("", fmt.Sprintf("members: %d of %d ACTIVE accounts were not members", len(todo), len(accounts)), acts...)
	}
	if skip != "" {
		r.add(workflow.StatusSkipped, skip)
		return memberList(), "", nil
	}
	if len(unprocessed) > 0 {
		var parts []string
		for _, a := range todo {
			if why, ok := unprocessed[aws.ToString(a.AccountId)]; ok {
				parts = append(parts, fmt.Sprintf("%s (%s)", aws.ToString(a.AccountId), why))
			}
		}
		r.log.Warn("GuardDuty did not add some accounts as members", "accounts", parts)
		r.add(workflow.StatusFailed, fmt.Sprintf("members: CreateMembers did not add %d account(s): %s", len(parts), strings.Join(parts, "; ")))
	}
	return memberList(), "", nil
}

// memberFeaturesPart begins the reasons of the member detectors' part.
const memberFeaturesPart = "member detectors' features"

// memberFeatures gives the detectors of members (account IDs, in order) of
// detector id the protection plans of r.features. Nothing is done in plan
// mode before the detector exists (id ""): it has no members yet.
func (r *orgRun) memberFeatures(ctx context.Context, id string, members []string) error {
	if id == "" {
		return nil
	}
	if len(members) == 0 {
		r.add(workflow.StatusUnchanged, memberFeaturesPart+": there are no members")
		return nil
	}
	differ, diffs, err := r.readMembers(ctx, id, members)
	if skip, ok := r.unavailable(err); ok {
		r.add(workflow.StatusSkipped, skip)
		return nil
	}
	if err != nil {
		return awsclient.Classify("read GuardDuty's member detectors in "+r.region, err)
	}
	if len(differ) == 0 {
		reason := fmt.Sprintf("%s: all %d members match the configuration", memberFeaturesPart, len(members))
		if len(diffs.unread) > 0 {
			reason = fmt.Sprintf("%s: the %d members read match the configuration, %d were not read", memberFeaturesPart, len(members)-len(diffs.unread), len(diffs.unread))
		}
		r.add(workflow.StatusUnchanged, reason)
		return nil
	}
	reason := fmt.Sprintf("%s: %d of %d members differ: %s", memberFeaturesPart, len(differ), len(members), diffs.summary())
	if r.plan() {
		var acts []workflow.Action
		for batch := range slices.Chunk(differ, MembersPerCall) {
			acts = append(acts, workflow.Action{Call: CallUpdateMemberDetectors, Target: accountsTarget(batch)})
		}
		r.add("", reason, acts...)
		return nil
	}

	// unprocessed holds GuardDuty's reason for each account it did not
	// update.
	unprocessed := map[string]string{}
	var acts []workflow.Action
	dropped := false
	update := func(accounts []string) (skip string, err error) {
		for batch := range slices.Chunk(accounts, MembersPerCall) {
			var out *guardduty.UpdateMemberDetectorsOutput
			for {
				out, err = r.d.GuardDuty.UpdateMemberDetectors(ctx, &guardduty.UpdateMemberDetectorsInput{
					DetectorId: aws.String(id), AccountIds: batch, Features: memberFeatureInput(r.features),
				})
				if err == nil {
					break
				}
				if skip, ok := r.unavailable(err); ok {
					return skip, nil
				}
				if !dropped {
					if kept, ok := r.fallback("UpdateMemberDetectors", r.features, err); ok {
						r.features, dropped = kept, true
						continue
					}
				}
				return "", awsclient.Classify("update GuardDuty's member detectors in "+r.region, err)
			}
			left := map[string]bool{}
			for _, u := range out.UnprocessedAccounts {
				left[aws.ToString(u.AccountId)] = true
				unprocessed[aws.ToString(u.AccountId)] = aws.ToString(u.Result)
			}
			var done []string
			for _, a := range batch {
				if !left[a] {
					done = append(done, a)
					delete(unprocessed, a)
				}
			}
			if len(done) > 0 {
				acts = append(acts, workflow.Action{Call: CallUpdateMemberDetectors, Target: accountsTarget(done)})
			}
		}
		return "", nil
	}
	skip, err := update(differ)
	if err == nil && skip == "" && len(unprocessed) > 0 {
		var again []string
		for _, a := range differ {
			if _, ok := unprocessed[a]; ok {
				again = append(again, a)
			}
		}
		r.log.InfoContext(ctx, "trying the unprocessed member detectors again", "accounts", len(again))
		skip, err = update(again)
	}
	if err != nil {
		return err
	}
	if len(acts) > 0 {
		r.log.InfoContext(ctx, "updated GuardDuty's member detectors", "calls", len(acts))
		r.add("", reason, acts...)
	}
	if skip != "" {
		r.add(workflow.StatusSkipped, skip)
		return nil
	}
	if len(unprocessed) > 0 {
		var parts []string
		for _, a := range differ {
			if why, ok := unprocessed[a]; ok {
				parts = append(parts, fmt.Sprintf("%s (%s)", a, why))
			}
		}
		r.log.Warn("GuardDuty did not update some member detectors", "accounts", parts)
		r.add(workflow.StatusFailed, fmt.Sprintf("%s: UpdateMemberDetectors did not update %d account(s): %s", memberFeaturesPart, len(parts), capped(parts, "; ")))
	}
	return nil
}

// memberDiffs are the differences of the members' detectors.
type memberDiffs struct {
	// order lists the differences as first met; count says how many
	// members have each.
	order []string
	count map[string]int
	// unread holds GuardDuty's reason for each member it did not read.
	unread map[string]string
}

// summary names each difference and how many members have it.
func (d memberDiffs) summary() string {
	parts := make([]string, len(d.order))
	for i, s := range d.order {
		parts[i] = fmt.Sprintf("%s (%d)", s, d.count[s])
	}
	return strings.Join(parts, "; ")
}

// readMembers reads the detectors of members and returns, in order, those
// whose features differ from r.features. Members GuardDuty does not read
// are left out, with a warning.
func (r *orgRun) readMembers(ctx context.Context, id string, members []string) (differ []string, diffs memberDiffs, err error) {
	diffs = memberDiffs{count: map[string]int{}, unread: map[string]string{}}
	current := map[string]map[string]featureState{}
	for batch := range slices.Chunk(members, MembersPerCall) {
		out, err := r.d.GuardDuty.GetMemberDetectors(ctx, &guardduty.GetMemberDetectorsInput{DetectorId: aws.String(id), AccountIds: batch})
		if err != nil {
			return nil, diffs, err
		}
		for _, m := range out.MemberDataSourceConfigurations {
			fs := map[string]featureState{}
			for _, f := range m.Features {
				st := featureState{status: f.Status, agents: map[string]gdtypes.FeatureStatus{}}
				for _, a := range f.AdditionalConfiguration {
					st.agents[string(a.Name)] = a.Status
				}
				fs[string(f.Name)] = st
			}
			current[aws.ToString(m.AccountId)] = fs
		}
		for _, u := range out.UnprocessedAccounts {
			diffs.unread[aws.ToString(u.AccountId)] = aws.ToString(u.Result)
		}
	}
	var unread []string
	for _, a := range members {
		fs, ok := current[a]
		if !ok {
			why, given := diffs.unread[a]
			if !given {
				why = "not returned"
				diffs.unread[a] = why
			}
			unread = append(unread, fmt.Sprintf("%s (%s)", a, why))
			continue
		}
		diff := featureDiff(fs, r.features)
		if len(diff) == 0 {
			continue
		}
		differ = append(differ, a)
		for _, s := range diff {
			if diffs.count[s] == 0 {
				diffs.order = append(diffs.order, s)
			}
			diffs.count[s]++
		}
	}
	if len(unread) > 0 {
		r.log.Warn("GuardDuty did not read some member detectors", "accounts", unread)
		r.res.Warnings = append(r.res.Warnings, fmt.Sprintf("guardduty in %s: GetMemberDetectors did not read %d member(s), left as they are: %s",
			r.region, len(unread), capped(unread, "; ")))
	}
	return differ, diffs, nil
}

func memberFeatureInput(fs []feature) []gdtypes.MemberFeaturesConfiguration {
	out := make([]gdtypes.MemberFeaturesConfiguration, 0, len(fs))
	for _, f := range fs {
		c := gdtypes.MemberFeaturesConfiguration{Name: gdtypes.OrgFeature(f.name), Status: status(f.on)}
		if f.on {
			for _, a := range f.agents {
				c.AdditionalConfiguration = append(c.AdditionalConfiguration, gdtypes.MemberAdditionalConfiguration{
					Name: gdtypes.OrgFeatureAdditionalConfiguration(a), Status: gdtypes.FeatureStatusEnabled,
				})
			}
		}
		out = append(out, c)
	}
	return out
}

// maxTargetIDs caps the account IDs an action names: results of every
// region travel through the state machine, whose payloads are limited to
// 256 KB, so a large organization's members are summarized.
const maxTargetIDs = 10

// membersTarget names the accounts of a CreateMembers call: all of them, or
// the first maxTargetIDs and how many more.
func membersTarget(details []gdtypes.AccountDetail) string {
	if len(details) <= maxTargetIDs {
		return ids(details)
	}
	return fmt.Sprintf("%s and %d more (%d accounts)", ids(details[:maxTargetIDs]), len(details)-maxTargetIDs, len(details))
}

// accountsTarget names the accounts of an UpdateMemberDetectors call as
// membersTarget does.
func accountsTarget(accounts []string) string {
	if len(accounts) <= maxTargetIDs {
		return strings.Join(accounts, ",")
	}
	return fmt.Sprintf("%s and %d more (%d accounts)", strings.Join(accounts[:maxTargetIDs], ","), len(accounts)-maxTargetIDs, len(accounts))
}

// capped joins the first maxTargetIDs items and says how many more there
// are.
func capped(items []string, sep string) string {
	if len(items) <= maxTargetIDs {
		return strings.Join(items, sep)
	}
	return fmt.Sprintf("%s%sand %d more", strings.Join(items[:maxTargetIDs], sep), sep, len(items)-maxTargetIDs)
}

func ids(details []gdtypes.AccountDetail) string {
	out := make([]string, len(details))
	for i, a := range details {
		out[i] = aws.ToString(a.AccountId)
	}
	return strings.Join(out, ",")
}

// orgAccounts lists the organization's ACTIVE accounts, less the security
// account and those the accounts filter leaves out, in ID order.
func (r *orgRun) orgAccounts(ctx context.Context) ([]gdtypes.AccountDetail, error) {
	var out []gdtypes.AccountDetail
	pages := organizations.NewListAccountsPaginator(r.d.Accounts, &organizations.ListAccountsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range page.Accounts {
			id := aws.ToString(a.Id)
			if id == r.security || !r.in.WantsAccount(id) || !targets.Active(a) {
				continue
			}
			out = append(out, gdtypes.AccountDetail{AccountId: aws.String(id), Email: a.Email})
		}
	}
	slices.SortFunc(out, func(a, b gdtypes.AccountDetail) int {
		return strings.Compare(aws.ToString(a.AccountId), aws.ToString(b.AccountId))
	})
	return out, nil
}

// listMembers returns the accounts that are members of detector id, in any
// relationship status.
func (r *orgRun) listMembers(ctx context.Context, id string) (map[string]bool, error) {
	members := map[string]bool{}
	pages := guardduty.NewListMembersPaginator(r.d.GuardDuty, &guardduty.ListMembersInput{DetectorId: aws.String(id), OnlyAssociated: aws.String("false")})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range page.Members {
			members[aws.ToString(m.AccountId)] = true
		}
	}
	return members, nil
}
