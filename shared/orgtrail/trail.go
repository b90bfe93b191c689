package orgtrail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

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

// Fields of the trail that UpdateTrail converges, named as in its input.
const (
	FieldS3BucketName               = "S3BucketName"
	FieldIsOrganizationTrail        = "IsOrganizationTrail"
	FieldIsMultiRegionTrail         = "IsMultiRegionTrail"
	FieldIncludeGlobalServiceEvents = "IncludeGlobalServiceEvents"
	FieldEnableLogFileValidation    = "EnableLogFileValidation"
	FieldKmsKeyID                   = "KmsKeyId"
	FieldCloudWatchLogsLogGroupArn  = "CloudWatchLogsLogGroupArn"
	FieldCloudWatchLogsRoleArn      = "CloudWatchLogsRoleArn"
)

const (
	sseKMS                   = s3types.ServerSideEncryptionAwsKms
	encryptionConfigNotFound = "ServerSideEncryptionConfigurationNotFoundError"
	securityStackHint        = "deploy the security account's stack " + workflow.SecurityStackName + " first (`cdk deploy --all`)"
	logArchiveStackHint      = "deploy the log-archive account's stack " + workflow.LogArchiveStackName + " first (`cdk deploy --all`)"
	lakeWarning              = "copying this trail's events into a CloudTrail Lake event data store must be set up from the management account; the CloudTrail delegated administrator cannot do it"
)

// trailPlan is what the step found and will do to the trail.
type trailPlan struct {
	create       bool
	update       []string // the fields that differ
	selectors    bool     // put the advanced event selectors
	insights     bool     // put the Insights selectors
	startLogging bool
}

func (tp trailPlan) actions(name string) []workflow.Action {
	var out []workflow.Action
	if tp.create {
		out = append(out, workflow.Action{Call: CallCreateTrail, Target: name})
	}
	if len(tp.update) > 0 {
		out = append(out, workflow.Action{Call: CallUpdateTrail, Target: name + ": " + strings.Join(tp.update, ", ")})
	}
	if tp.selectors {
		out = append(out, workflow.Action{Call: CallPutEventSelectors, Target: name})
	}
	if tp.insights {
		out = append(out, workflow.Action{Call: CallPutInsightSelectors, Target: name})
	}
	if tp.startLogging {
		out = append(out, workflow.Action{Call: CallStartLogging, Target: name})
	}
	return out
}

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
//     what the organization trail implies.
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
// A re-run on a converged organization makes no mutating call.
func Run(ctx context.Context, d Deps, cfg settings.Config, in workflow.Input, log *slog.Logger) (workflow.StepResult, error) {
	res := workflow.StepResult{Step: Spec.Name, Mode: in.Mode, Outcomes: []workflow.Outcome{}}
	home := cfg.HomeRegion
	name := cfg.Services.CloudTrail.TrailName
	trailOut := workflow.Outcome{Account: ManagingAccount(cfg), Region: home, Service: settings.ServiceCloudTrail}
	switch {
	case !cfg.Enabled(settings.ServiceCloudTrail):
		trailOut.Status, trailOut.Reason = workflow.StatusSkipped, "cloudtrail is disabled in the configuration"
		res.Add(trailOut)
		return res, nil
	case !in.WantsService(settings.ServiceCloudTrail):
		trailOut.Status, trailOut.Reason = workflow.StatusSkipped, "cloudtrail is not in the services filter"
		res.Add(trailOut)
		return res, nil
	}

	// Read everything. With kmsEncryption off the desired key is none.
	keyARN := ""
	if cfg.Services.CloudTrail.Encrypted() {
		var err error
		if keyARN, err = awsclient.KeyARN(ctx, d.KMS, TrailKey(cfg)); err != nil {
			return res, err
		}
	}
	bucket := BucketName(cfg)
	encrypt, err := bucketNeedsEncryption(ctx, d.S3, bucket, keyARN)
	if err != nil {
		return res, err
	}
	var conflicts []workflow.Conflict
	register := false
	// adminReady: the managing account may make the trail's calls now.
	adminReady := !cfg.Services.CloudTrail.ManagedFromSecurity()
	if cfg.Services.CloudTrail.DelegatedAdmin {
		admins, err := delegatedAdmins(ctx, d.Orgs)
		if err != nil {
			return res, err
		}
		others := slices.DeleteFunc(slices.Clone(admins), func(a string) bool { return a == cfg.Accounts.Security })
		switch {
		case slices.Contains(admins, cfg.Accounts.Security) && len(others) > 0:
			res.Warnings = append(res.Warnings, fmt.Sprintf("cloudtrail: %s also has delegated administrator(s) %s besides the security account", cloudtrailPrincipal, strings.Join(others, ", ")))
		case len(others) > 0:
			conflicts = append(conflicts, adminConflict(strings.Join(others, ", "), cfg.Accounts.Security))
		case len(admins) == 0:
			register = true
		}
		if slices.Contains(admins, cfg.Accounts.Security) {
			adminReady = true
		}
	}
	ct := trailAPI(d, cfg, home)
	var tp trailPlan
	if adminReady {
		var c *workflow.Conflict
		if tp, c, err = planTrail(ctx, ct, cfg, keyARN); err != nil {
			return res, err
		}
		if c != nil {
			conflicts = append(conflicts, *c)
		}
	} else {
		// The security account cannot read the trail yet; the management
		// account, which owns it, can: a trail homed in another region is
		// a conflict found before any change.
		c, err := homeRegionCheck(ctx, d.CloudTrail(cfg.Accounts.Management, home), cfg)
		if err != nil {
			return res, err
		}
		if c != nil {
			conflicts = append(conflicts, *c)
		}
	}
	res.Warnings = append(res.Warnings, preflight(ctx, d, cfg, log)...)
	if len(conflicts) > 0 {
		return res, conflictError(ctx, log, conflicts)
	}

	// Act where the state differs.
	apply := in.Mode == workflow.ModeApply
	bucketOut := workflow.Outcome{Account: cfg.Accounts.LogArchive, Region: home, Service: settings.ServiceCloudTrail}
	if encrypt {
		if apply {
			if err := putEncryption(ctx, d.S3, bucket, keyARN); err != nil {
				return res, err
			}
			log.InfoContext(ctx, "set the trail bucket's default encryption", "bucket", bucket, "key", keyARN)
		}
		bucketOut.Actions = append(bucketOut.Actions, workflow.Action{Call: CallPutBucketEncryption, Target: bucket + ": " + encryptionText(keyARN)})
	}
	res.Add(bucketOut)

	if cfg.Services.CloudTrail.DelegatedAdmin {
		adminOut := workflow.Outcome{Account: cfg.Accounts.Management, Region: workflow.RegionGlobal, Service: settings.ServiceCloudTrail}
		if register {
			if apply {
				if err := registerAdmin(ctx, d, cfg, cfg.Accounts.Security); err != nil {
					return res, err
				}
				log.InfoContext(ctx, "registered the CloudTrail delegated administrator", "account", cfg.Accounts.Security)
			}
			adminOut.Actions = append(adminOut.Actions, workflow.Action{Call: CallRegisterAdmin, Target: cfg.Accounts.Security})
		}
		res.Add(adminOut)
	}

	if !adminReady {
		// Managed from the security account, which the step has just
		// registered (apply) or would register (plan).
		if apply {
			var c *workflow.Conflict
			if tp, c, err = planTrail(ctx, ct, cfg, keyARN); err != nil {
				return res, err
			}
			if c != nil {
				return res, conflictError(ctx, log, []workflow.Conflict{*c})
			}
		} else {
			tp = planNew(cfg)
			res.Warnings = append(res.Warnings, fmt.Sprintf("the trail %s is managed from the security account %s, which can read it only once it is the CloudTrail delegated administrator: its actions are shown as for a new trail; the apply registers the account first, then reads the trail and changes only what differs", name, cfg.Accounts.Security))
		}
	}

	if apply {
		done, err := applyTrail(ctx, ct, cfg, keyARN, tp, true)
		if err != nil {
			return res, err
		}
		trailOut.Actions = done
		if len(done) > 0 {
			log.InfoContext(ctx, "converged the organization trail", "trail", name, "managedFrom", ManagingAccount(cfg), "actions", len(done))
		}
	} else {
		trailOut.Actions = tp.actions(name)
	}
	res.Add(trailOut)
	return res, nil
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

// homeRegionCheck reads the trail through api and returns the conflict of a
// trail homed in another region, or nil when there is none or no trail.
func homeRegionCheck(ctx context.Context, api DescribeTrailsAPI, cfg settings.Config) (*workflow.Conflict, error) {
	existing, err := readTrail(ctx, api, cfg)
	if err != nil || existing == nil {
		return nil, err
	}
	if hr := aws.ToString(existing.HomeRegion); hr != "" && hr != cfg.HomeRegion {
		c := homeRegionConflict(cfg, hr)
		return &c, nil
	}
	return nil, nil
}

// planTrail reads the trail and returns what converging it takes, or the
// conflict of a trail homed in another region.
func planTrail(ctx context.Context, api CloudTrailAPI, cfg settings.Config, keyARN string) (trailPlan, *workflow.Conflict, error) {
	existing, err := readTrail(ctx, api, cfg)
	if err != nil {
		return trailPlan{}, nil, err
	}
	if existing == nil {
		return planNew(cfg), nil, nil
	}
	if hr := aws.ToString(existing.HomeRegion); hr != "" && hr != cfg.HomeRegion {
		c := homeRegionConflict(cfg, hr)
		return trailPlan{}, &c, nil
	}
	tp, err := planExisting(ctx, api, cfg, keyARN, existing)
	return tp, nil, err
}

func conflictError(ctx context.Context, log *slog.Logger, conflicts []workflow.Conflict) error {
	for _, c := range conflicts {
		log.WarnContext(ctx, "conflict", "service", c.Service, "resource", c.Resource, "found", c.Found, "wanted", c.Wanted)
	}
	return &workflow.ConflictError{Conflicts: conflicts}
}

// bucketNeedsEncryption checks that the trail bucket exists and reports
// whether its default encryption is other than SSE-KMS with keyARN (SSE-S3
// when keyARN is empty).
func bucketNeedsEncryption(ctx context.Context, api S3API, bucket, keyARN string) (bool, error) {
	if err := headBucket(ctx, api, bucket); err != nil {
		return false, err
	}
	algo, key, err := bucketEncryption(ctx, api, bucket)
	if err != nil {
		return false, err
	}
	if keyARN == "" {
		return algo != s3types.ServerSideEncryptionAes256, nil
	}
	return algo != sseKMS || key != keyARN, nil
}

// encryptionText describes the default encryption putEncryption sets.
func encryptionText(keyARN string) string {
	if keyARN == "" {
		return "AES256"
	}
	return "aws:kms " + keyARN
}

func headBucket(ctx context.Context, api S3API, bucket string) error {
	_, err := api.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	var nf *s3types.NotFound
	var nsb *s3types.NoSuchBucket
	if errors.As(err, &nf) || errors.As(err, &nsb) || awsclient.ErrorCode(err) == "NoSuchBucket" || awsclient.ErrorCode(err) == "NotFound" {
		return &workflow.TerminalError{Op: "read the trail bucket " + bucket, Err: fmt.Errorf("the bucket does not exist: %s: %w", logArchiveStackHint, err)}
	}
	return awsclient.Classify("read the trail bucket "+bucket, err)
}

// bucketEncryption returns the algorithm and key of the bucket's default
// encryption ("" when it has none).
func bucketEncryption(ctx context.Context, api S3API, bucket string) (s3types.ServerSideEncryption, string, error) {
	out, err := api.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(bucket)})
	if awsclient.ErrorCode(err) == encryptionConfigNotFound {
		return "", "", nil
	}
	if err != nil {
		return "", "", awsclient.Classify("read the default encryption of "+bucket, err)
	}
	if out.ServerSideEncryptionConfiguration == nil {
		return "", "", nil
	}
	for _, r := range out.ServerSideEncryptionConfiguration.Rules {
		if d := r.ApplyServerSideEncryptionByDefault; d != nil {
			return d.SSEAlgorithm, aws.ToString(d.KMSMasterKeyID), nil
		}
	}
	return "", "", nil
}

// putEncryption sets the bucket's default encryption: SSE-KMS with keyARN,
// or SSE-S3 when keyARN is empty.
func putEncryption(ctx context.Context, api S3API, bucket, keyARN string) error {
	rule := s3types.ServerSideEncryptionRule{ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAes256}}
	if keyARN != "" {
		rule = s3types.ServerSideEncryptionRule{
			ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: sseKMS, KMSMasterKeyID: aws.String(keyARN)},
			BucketKeyEnabled:                   aws.Bool(true),
		}
	}
	_, err := api.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{
		Bucket:                            aws.String(bucket),
		ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{rule}},
	})
	return awsclient.Classify("set the default encryption of "+bucket, err)
}

func delegatedAdmins(ctx context.Context, api OrganizationsAPI) ([]string, error) {
	var ids []string
	pages := organizations.NewListDelegatedAdministratorsPaginator(api, &organizations.ListDelegatedAdministratorsInput{ServicePrincipal: aws.String(cloudtrailPrincipal)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, awsclient.Classify("list delegated administrators for "+cloudtrailPrincipal, err)
		}
		for _, a := range page.DelegatedAdministrators {
			ids = append(ids, aws.ToString(a.Id))
		}
	}
	return ids, nil
}

func adminConflict(found, wanted string) workflow.Conflict {
	return workflow.Conflict{
		Service: settings.ServiceCloudTrail, Resource: "delegated administrator for " + cloudtrailPrincipal,
		Found: found, Wanted: wanted,
		Hint: "orgbaseline never replaces a delegated administrator; deregister it yourself or set accounts.security to it",
	}
}

// registerAdmin registers account as CloudTrail delegated administrator,
// from the management account. AccountRegisteredException is success only
// when a fresh read shows that very account registered.
func registerAdmin(ctx context.Context, d Deps, cfg settings.Config, account string) error {
	_, err := d.CloudTrail(cfg.Accounts.Management, cfg.HomeRegion).RegisterOrganizationDelegatedAdmin(ctx, &cloudtrail.RegisterOrganizationDelegatedAdminInput{MemberAccountId: aws.String(account)})
	var already *cttypes.AccountRegisteredException
	if errors.As(err, &already) {
		admins, lerr := delegatedAdmins(ctx, d.Orgs)
		if lerr != nil {
			return lerr
		}
		if slices.Contains(admins, account) {
			return nil
		}
		found := strings.Join(admins, ", ")
		if found == "" {
			found = "none"
		}
		return &workflow.ConflictError{Conflicts: []workflow.Conflict{adminConflict(found, account)}}
	}
	return awsclient.Classify("register "+account+" as CloudTrail delegated administrator", err)
}

func homeRegionConflict(cfg settings.Config, found string) workflow.Conflict {
	return workflow.Conflict{
		Service: settings.ServiceCloudTrail, Resource: "home region of trail " + cfg.Services.CloudTrail.TrailName,
		Found: found, Wanted: cfg.HomeRegion,
		Hint: "a trail can only be updated from its home region and orgbaseline does not recreate it; set homeRegion to " + found + ", or delete the trail yourself",
	}
}

// readTrail returns the trail named in cfg, or nil. It reads the home
// region's own trails first and, when the trail is not there, every trail
// the region shows, shadow trails included, so that a trail of that name
// homed in another region is found.
func readTrail(ctx context.Context, api DescribeTrailsAPI, cfg settings.Config) (*cttypes.Trail, error) {
	for _, shadow := range []bool{false, true} {
		t, err := describeTrail(ctx, api, cfg, shadow)
		if err != nil || t != nil {
			return t, err
		}
	}
	return nil, nil
}

func describeTrail(ctx context.Context, api DescribeTrailsAPI, cfg settings.Config, shadow bool) (*cttypes.Trail, error) {
	name := cfg.Services.CloudTrail.TrailName
	in := &cloudtrail.DescribeTrailsInput{TrailNameList: []string{trailID(cfg)}, IncludeShadowTrails: aws.Bool(shadow)}
	if shadow {
		// A name matches only trails homed in this region; a trail homed
		// elsewhere is found among all the trails this region shows.
		in.TrailNameList = nil
	}
	out, err := api.DescribeTrails(ctx, in)
	if err != nil {
		return nil, awsclient.Classify("describe trail "+name, err)
	}
	return pickTrail(out.TrailList, cfg), nil
}

// pickTrail returns the management account's trail named in cfg from list.
// The name is matched here rather than trusted to the request's filter. The
// ARN's account is the management account's also when the list comes from
// the security account: the management account owns the organization trails
// a delegated administrator manages.
func pickTrail(list []cttypes.Trail, cfg settings.Config) *cttypes.Trail {
	name := cfg.Services.CloudTrail.TrailName
	for i, t := range list {
		arn := aws.ToString(t.TrailARN)
		if aws.ToString(t.Name) == name && (arn == "" || strings.Contains(arn, ":"+cfg.Accounts.Management+":trail/")) {
			return &list[i]
		}
	}
	return nil
}

// desiredCWL returns the CloudWatch Logs log group and role ARNs the trail
// should have ("" when cloudWatchLogs is off).
func desiredCWL(cfg settings.Config) (group, role string) {
	if cfg.Services.CloudTrail.CloudWatchLogs.Enabled {
		return LogGroupARN(cfg), CloudWatchLogsRoleARN(cfg)
	}
	return "", ""
}

// trailDiff lists the fields of t that differ from the configuration. An
// empty and an absent value are the same.
func trailDiff(t *cttypes.Trail, cfg settings.Config, keyARN string) []string {
	group, role := desiredCWL(cfg)
	var diff []string
	check := func(field string, ok bool) {
		if !ok {
			diff = append(diff, field)
		}
	}
	check(FieldS3BucketName, aws.ToString(t.S3BucketName) == BucketName(cfg))
	check(FieldIsOrganizationTrail, aws.ToBool(t.IsOrganizationTrail))
	check(FieldIsMultiRegionTrail, aws.ToBool(t.IsMultiRegionTrail))
	check(FieldIncludeGlobalServiceEvents, aws.ToBool(t.IncludeGlobalServiceEvents))
	check(FieldEnableLogFileValidation, aws.ToBool(t.LogFileValidationEnabled))
	check(FieldKmsKeyID, aws.ToString(t.KmsKeyId) == keyARN)
	check(FieldCloudWatchLogsLogGroupArn, aws.ToString(t.CloudWatchLogsLogGroupArn) == group)
	check(FieldCloudWatchLogsRoleArn, aws.ToString(t.CloudWatchLogsRoleArn) == role)
	return diff
}

// planNew is the plan for a trail that does not exist yet: a new trail has
// the default event selectors, no Insights and does not log.
func planNew(cfg settings.Config) trailPlan {
	return trailPlan{create: true, selectors: true, insights: cfg.Services.CloudTrail.Insights, startLogging: true}
}

// planExisting reads the trail's selectors and status and compares them,
// and its fields, with the configuration.
func planExisting(ctx context.Context, api CloudTrailAPI, cfg settings.Config, keyARN string, t *cttypes.Trail) (trailPlan, error) {
	name := cfg.Services.CloudTrail.TrailName
	id := trailID(cfg)
	tp := trailPlan{update: trailDiff(t, cfg, keyARN)}

	sel, err := api.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String(id)})
	if err != nil {
		return tp, awsclient.Classify("read the event selectors of "+name, err)
	}
	tp.selectors = len(sel.EventSelectors) > 0 || !sameSelectors(sel.AdvancedEventSelectors, DesiredEventSelectors(cfg))

	ins, err := insightTypes(ctx, api, id)
	if err != nil {
		return tp, err
	}
	tp.insights = !slices.Equal(ins, desiredInsightTypes(cfg))

	st, err := api.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(id)})
	if err != nil {
		return tp, awsclient.Classify("read the status of "+name, err)
	}
	tp.startLogging = !aws.ToBool(st.IsLogging)
	return tp, nil
}

// DesiredEventSelectors returns the trail's advanced event selectors under
// cfg: management events always, S3 object and Lambda invoke data events
// when switched on.
func DesiredEventSelectors(cfg settings.Config) []cttypes.AdvancedEventSelector {
	field := func(f string, v ...string) cttypes.AdvancedFieldSelector {
		return cttypes.AdvancedFieldSelector{Field: aws.String(f), Equals: v}
	}
	out := []cttypes.AdvancedEventSelector{{
		Name: aws.String("Management events"), FieldSelectors: []cttypes.AdvancedFieldSelector{field("eventCategory", "Management")},
	}}
	de := cfg.Services.CloudTrail.DataEvents
	if de.S3 {
		out = append(out, cttypes.AdvancedEventSelector{
			Name:           aws.String("S3 object data events"),
			FieldSelectors: []cttypes.AdvancedFieldSelector{field("eventCategory", "Data"), field("resources.type", "AWS::S3::Object")},
		})
	}
	if de.Lambda {
		out = append(out, cttypes.AdvancedEventSelector{
			Name:           aws.String("Lambda data events"),
			FieldSelectors: []cttypes.AdvancedFieldSelector{field("eventCategory", "Data"), field("resources.type", "AWS::Lambda::Function")},
		})
	}
	return out
}

// sameSelectors compares two sets of advanced event selectors by what they
// select: names and the order of selectors, fields and values do not matter.
func sameSelectors(a, b []cttypes.AdvancedEventSelector) bool {
	return slices.Equal(selectorKeys(a), selectorKeys(b))
}

func selectorKeys(sels []cttypes.AdvancedEventSelector) []string {
	keys := make([]string, 0, len(sels))
	for _, s := range sels {
		fields := make([]string, 0, len(s.FieldSelectors))
		for _, f := range s.FieldSelectors {
			parts := []string{aws.ToString(f.Field)}
			for _, op := range []struct {
				name string
				vals []string
			}{{"=", f.Equals}, {"!=", f.NotEquals}, {"^", f.StartsWith}, {"!^", f.NotStartsWith}, {"$", f.EndsWith}, {"!$", f.NotEndsWith}} {
				if len(op.vals) > 0 {
					v := slices.Sorted(slices.Values(op.vals))
					parts = append(parts, op.name+strings.Join(v, "|"))
				}
			}
			fields = append(fields, strings.Join(parts, " "))
		}
		slices.Sort(fields)
		keys = append(keys, strings.Join(fields, "; "))
	}
	slices.Sort(keys)
	return keys
}

// insightTypes returns the trail's Insights types, sorted.
// InsightNotEnabledException means none.
func insightTypes(ctx context.Context, api CloudTrailAPI, name string) ([]string, error) {
	out, err := api.GetInsightSelectors(ctx, &cloudtrail.GetInsightSelectorsInput{TrailName: aws.String(name)})
	var ne *cttypes.InsightNotEnabledException
	if errors.As(err, &ne) {
		return nil, nil
	}
	if err != nil {
		return nil, awsclient.Classify("read the Insights selectors of "+name, err)
	}
	var types []string
	for _, s := range out.InsightSelectors {
		if !slices.Contains(types, string(s.InsightType)) {
			types = append(types, string(s.InsightType))
		}
	}
	slices.Sort(types)
	return types, nil
}

func desiredInsightTypes(cfg settings.Config) []string {
	if !cfg.Services.CloudTrail.Insights {
		return nil
	}
	return []string{string(cttypes.InsightTypeApiCallRateInsight), string(cttypes.InsightTypeApiErrorRateInsight)}
}

func desiredInsightSelectors(cfg settings.Config) []cttypes.InsightSelector {
	out := []cttypes.InsightSelector{}
	for _, t := range desiredInsightTypes(cfg) {
		out = append(out, cttypes.InsightSelector{InsightType: cttypes.InsightType(t)})
	}
	return out
}

// applyTrail carries out tp and returns the actions taken. When CreateTrail
// finds the trail exists (another run made it since the read), the trail is
// read again and converged instead, once.
func applyTrail(ctx context.Context, api CloudTrailAPI, cfg settings.Config, keyARN string, tp trailPlan, retryExisting bool) ([]workflow.Action, error) {
	name := cfg.Services.CloudTrail.TrailName
	id := trailID(cfg)
	group, role := desiredCWL(cfg)
	if tp.create {
		in := &cloudtrail.CreateTrailInput{
			Name:                       aws.String(name),
			S3BucketName:               aws.String(BucketName(cfg)),
			IsOrganizationTrail:        aws.Bool(true),
			IsMultiRegionTrail:         aws.Bool(true),
			IncludeGlobalServiceEvents: aws.Bool(true),
			EnableLogFileValidation:    aws.Bool(true),
		}
		if keyARN != "" {
			in.KmsKeyId = aws.String(keyARN)
		}
		if group != "" {
			in.CloudWatchLogsLogGroupArn, in.CloudWatchLogsRoleArn = aws.String(group), aws.String(role)
		}
		_, err := api.CreateTrail(ctx, in)
		var exists *cttypes.TrailAlreadyExistsException
		if errors.As(err, &exists) && retryExisting {
			t, rerr := readTrail(ctx, api, cfg)
			if rerr != nil {
				return nil, rerr
			}
			if t == nil {
				return nil, &workflow.TerminalError{Op: "create trail " + name, Err: fmt.Errorf("CloudTrail reports the trail exists, but it is not found in %s: %w", cfg.HomeRegion, err)}
			}
			if hr := aws.ToString(t.HomeRegion); hr != "" && hr != cfg.HomeRegion {
				return nil, &workflow.ConflictError{Conflicts: []workflow.Conflict{homeRegionConflict(cfg, hr)}}
			}
			next, perr := planExisting(ctx, api, cfg, keyARN, t)
			if perr != nil {
				return nil, perr
			}
			return applyTrail(ctx, api, cfg, keyARN, next, false)
		}
		if err != nil {
			return nil, awsclient.Classify("create trail "+name, err)
		}
	}
	if len(tp.update) > 0 {
		_, err := api.UpdateTrail(ctx, &cloudtrail.UpdateTrailInput{
			Name:                       aws.String(id),
			S3BucketName:               aws.String(BucketName(cfg)),
			IsOrganizationTrail:        aws.Bool(true),
			IsMultiRegionTrail:         aws.Bool(true),
			IncludeGlobalServiceEvents: aws.Bool(true),
			EnableLogFileValidation:    aws.Bool(true),
			KmsKeyId:                   aws.String(keyARN),
			CloudWatchLogsLogGroupArn:  aws.String(group),
			CloudWatchLogsRoleArn:      aws.String(role),
		})
		if err != nil {
			return nil, awsclient.Classify("update trail "+name, err)
		}
	}
	if tp.selectors {
		_, err := api.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: aws.String(id), AdvancedEventSelectors: DesiredEventSelectors(cfg)})
		if err != nil {
			return nil, awsclient.Classify("put the event selectors of "+name, err)
		}
	}
	if tp.insights {
		_, err := api.PutInsightSelectors(ctx, &cloudtrail.PutInsightSelectorsInput{TrailName: aws.String(id), InsightSelectors: desiredInsightSelectors(cfg)})
		if err != nil {
			return nil, awsclient.Classify("put the Insights selectors of "+name, err)
		}
	}
	if tp.startLogging {
		if _, err := api.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String(id)}); err != nil {
			return nil, awsclient.Classify("start logging on "+name, err)
		}
	}
	return tp.actions(name), nil
}
