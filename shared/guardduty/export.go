package guardduty

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// exportPart begins the reasons of the findings export's part.
const exportPart = "findings export"

// Hints of the findings export's terminal errors and failed outcomes: what
// has to be deployed before the step.
const (
	findingsStacksHint = "deploy the log-archive account's stack " + workflow.LogArchiveStackName +
		" (the findings bucket and its policy) and the security account's stack " + workflow.SecurityStackName +
		" (the findings key and its policy) with services.guardduty.exportFindings on (`cdk deploy --all`)"
)

// publishingFailed is a status of a failing publishing destination that the
// API's list of values (gdtypes.PublishingStatus) does not name; it is
// treated as UNABLE_TO_PUBLISH_FIX_DESTINATION_PROPERTY should GuardDuty
// give it.
const publishingFailed gdtypes.PublishingStatus = "PUBLISHING_FAILED"

// notPublishing explains the statuses of a publishing destination that
// GuardDuty does not publish to.
var notPublishing = map[gdtypes.PublishingStatus]string{
	gdtypes.PublishingStatusUnableToPublishFixDestinationProperty: "GuardDuty cannot write to the bucket with the key: " + findingsStacksHint,
	publishingFailed:                "GuardDuty failed to publish to the bucket with the key: " + findingsStacksHint,
	gdtypes.PublishingStatusStopped: "GuardDuty has stopped publishing to it",
}

// newKeyResolver returns the resolver of the findings key: KMS in the
// security account through accounts, in the home region, where the key is
// whatever the region of the item.
func newKeyResolver(cfg settings.Config, accounts *awsclient.Accounts) *awsclient.KeyResolver {
	return &awsclient.KeyResolver{
		KMS: kms.NewFromConfig(awsclient.WithRegion(accounts.Config(cfg.Accounts.Security), cfg.HomeRegion)),
		Key: Key(cfg),
	}
}

// s3Destination is the detector's S3 publishing destination as GuardDuty
// describes it.
type s3Destination struct {
	id     string
	status gdtypes.PublishingStatus
	// failingSince is when GuardDuty first failed to publish to it, zero
	// when it has not.
	failingSince time.Time
	// bucket and key are its DestinationArn and KmsKeyArn.
	bucket, key string
}

// PublishingDestinationReadAPI reads the publishing destinations of the
// delegated administrator's detector.
type PublishingDestinationReadAPI interface {
	guardduty.ListPublishingDestinationsAPIClient
	DescribePublishingDestination(ctx context.Context, in *guardduty.DescribePublishingDestinationInput, optFns ...func(*guardduty.Options)) (*guardduty.DescribePublishingDestinationOutput, error)
}

// PublishingDestinationWriteAPI creates and updates a publishing
// destination of the delegated administrator's detector.
type PublishingDestinationWriteAPI interface {
	CreatePublishingDestination(ctx context.Context, in *guardduty.CreatePublishingDestinationInput, optFns ...func(*guardduty.Options)) (*guardduty.CreatePublishingDestinationOutput, error)
	UpdatePublishingDestination(ctx context.Context, in *guardduty.UpdatePublishingDestinationInput, optFns ...func(*guardduty.Options)) (*guardduty.UpdatePublishingDestinationOutput, error)
}

// exportFindings points the S3 publishing destination of detector id ("" in
// plan mode before the detector exists) at the findings bucket of the
// log-archive account, encrypted with the findings key of the security
// account (findings.go): created when the detector has none
// (guardduty:ListPublishingDestinations, CreatePublishingDestination), else
// read and updated when its bucket or key differ
// (DescribePublishingDestination, UpdatePublishingDestination). The
// destination is read through read and made or changed through write. The
// key's ARN comes from its alias (keyARN, OrgDeps.FindingsKeyARN). A
// destination that matches but that GuardDuty does not publish to makes a
// failed outcome; nothing is called for it. Without
// services.guardduty.exportFindings, nothing is read or called, and an
// existing destination stays as it is.
func (r *orgRun) exportFindings(ctx context.Context, read PublishingDestinationReadAPI, write PublishingDestinationWriteAPI, keyARN func(ctx context.Context) (string, error), id string) error {
	if !r.export {
		return nil
	}
	if id == "" {
		key, err := keyARN(ctx)
		if err != nil {
			return err
		}
		r.add("", fmt.Sprintf("%s: the detector does not exist yet; publish its findings to %s, encrypted with %s", exportPart, r.bucket, key),
			workflow.Action{Call: CallCreatePublishingDestination, Target: r.bucket})
		return nil
	}
	dest, err := readDestination(ctx, read, id)
	if skip, ok := r.unavailable(err); ok {
		r.add(workflow.StatusSkipped, skip)
		return nil
	}
	if err != nil {
		return awsclient.Classify("read the GuardDuty publishing destinations of detector "+id+" in "+r.region, err)
	}
	key, err := keyARN(ctx)
	if err != nil {
		return err
	}
	if dest == nil {
		return r.createDestination(ctx, write, id, key)
	}
	return r.convergeDestination(ctx, write, id, *dest, key)
}

// destinationProperties are the properties of a publishing destination
// that is the findings bucket, encrypted with key.
func (r *orgRun) destinationProperties(key string) *gdtypes.DestinationProperties {
	return &gdtypes.DestinationProperties{DestinationArn: aws.String(r.bucket), KmsKeyArn: aws.String(key)}
}

// createDestination gives detector id, which has no S3 publishing
// destination, one: the findings bucket, encrypted with key.
func (r *orgRun) createDestination(ctx context.Context, api PublishingDestinationWriteAPI, id, key string) error {
	create := workflow.Action{Call: CallCreatePublishingDestination, Target: r.bucket}
	reason := fmt.Sprintf("%s: detector %s has no S3 publishing destination: publish to %s, encrypted with %s", exportPart, id, r.bucket, key)
	if r.plan() {
		r.add("", reason, create)
		return nil
	}
	_, err := api.CreatePublishingDestination(ctx, &guardduty.CreatePublishingDestinationInput{
		DetectorId: aws.String(id), DestinationType: gdtypes.DestinationTypeS3, DestinationProperties: r.destinationProperties(key),
	})
	if skip, ok := r.unavailable(err); ok {
		r.add(workflow.StatusSkipped, skip)
		return nil
	}
	if err != nil {
		return destinationError("create the GuardDuty publishing destination of detector "+id+" in "+r.region, err)
	}
	r.log.InfoContext(ctx, "created the GuardDuty publishing destination", "detector", id, "bucket", r.bucket)
	r.add("", reason, create)
	return nil
}

// convergeDestination updates dest, the S3 publishing destination of
// detector id, when its bucket or key differ from the findings bucket and
// key. One that matches but that GuardDuty does not publish to makes a
// failed outcome.
func (r *orgRun) convergeDestination(ctx context.Context, api PublishingDestinationWriteAPI, id string, dest s3Destination, key string) error {
	diff := destinationDiff(dest, r.bucket, key)
	if len(diff) == 0 {
		r.destinationMatches(id, dest)
		return nil
	}
	update := workflow.Action{Call: CallUpdatePublishingDestination, Target: r.bucket}
	reason := fmt.Sprintf("%s: destination %s of detector %s (%s): %s", exportPart, dest.id, id, orNone(string(dest.status)), strings.Join(diff, "; "))
	if r.plan() {
		r.add("", reason, update)
		return nil
	}
	_, err := api.UpdatePublishingDestination(ctx, &guardduty.UpdatePublishingDestinationInput{
		DetectorId: aws.String(id), DestinationId: aws.String(dest.id), DestinationProperties: r.destinationProperties(key),
	})
	if skip, ok := r.unavailable(err); ok {
		r.add(workflow.StatusSkipped, skip)
		return nil
	}
	if err != nil {
		return destinationError("update GuardDuty publishing destination "+dest.id+" of detector "+id+" in "+r.region, err)
	}
	r.log.InfoContext(ctx, "updated the GuardDuty publishing destination", "detector", id, "destination", dest.id, "differences", diff)
	r.add("", reason, update)
	return nil
}

// destinationMatches adds the outcome of dest, a destination of detector id
// that matches the configuration: unchanged, or failed when GuardDuty does
// not publish to it.
func (r *orgRun) destinationMatches(id string, dest s3Destination) {
	why, failing := notPublishing[dest.status]
	if !failing {
		r.add(workflow.StatusUnchanged, fmt.Sprintf("%s: destination %s of detector %s matches the configuration (%s)", exportPart, dest.id, id, orNone(string(dest.status))))
		return
	}
	r.log.Warn("GuardDuty does not publish to the destination", "destination", dest.id, "status", dest.status)
	status := string(dest.status)
	if !dest.failingSince.IsZero() {
		status += " since " + dest.failingSince.Format(time.RFC3339)
	}
	r.add(workflow.StatusFailed, fmt.Sprintf("%s: destination %s of detector %s matches the configuration but is %s: %s", exportPart, dest.id, id, status, why))
}

// readDestination returns the S3 publishing destination of detector id, or
// nil when it has none. A detector has at most one destination of a type.
func readDestination(ctx context.Context, api PublishingDestinationReadAPI, id string) (*s3Destination, error) {
	var destID string
	pages := guardduty.NewListPublishingDestinationsPaginator(api, &guardduty.ListPublishingDestinationsInput{DetectorId: aws.String(id)})
	for destID == "" && pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, d := range page.Destinations {
			if d.DestinationType == gdtypes.DestinationTypeS3 {
				destID = aws.ToString(d.DestinationId)
				break
			}
		}
	}
	if destID == "" {
		return nil, nil
	}
	out, err := api.DescribePublishingDestination(ctx, &guardduty.DescribePublishingDestinationInput{
		DetectorId: aws.String(id), DestinationId: aws.String(destID),
	})
	if err != nil {
		return nil, err
	}
	dest := &s3Destination{id: destID, status: out.Status}
	if ms := aws.ToInt64(out.PublishingFailureStartTimestamp); ms > 0 {
		dest.failingSince = time.UnixMilli(ms).UTC()
	}
	if p := out.DestinationProperties; p != nil {
		dest.bucket, dest.key = aws.ToString(p.DestinationArn), aws.ToString(p.KmsKeyArn)
	}
	return dest, nil
}

// destinationDiff lists how the destination differs from the findings
// bucket and key.
func destinationDiff(d s3Destination, bucket, key string) []string {
	var diff []string
	if d.bucket != bucket {
		diff = append(diff, fmt.Sprintf("DestinationArn %s, want %s", orNone(d.bucket), bucket))
	}
	if d.key != key {
		diff = append(diff, fmt.Sprintf("KmsKeyArn %s, want %s", orNone(d.key), key))
	}
	return diff
}

// destinationError classifies an error of CreatePublishingDestination or
// UpdatePublishingDestination. GuardDuty checks that it may write to the
// bucket and use the key: its refusal (a BadRequestException about the
// bucket, the key, a permission or a policy) is a *workflow.TerminalError
// that names the stacks to deploy.
func destinationError(op string, err error) error {
	var br *gdtypes.BadRequestException
	if errors.As(err, &br) {
		low := strings.ToLower(br.ErrorMessage())
		for _, s := range []string{"permission", "policy", "bucket", "kms"} {
			if strings.Contains(low, s) {
				return &workflow.TerminalError{Op: op, Err: fmt.Errorf("GuardDuty refused the findings bucket or key: %s: %w", findingsStacksHint, err)}
			}
		}
	}
	return awsclient.Classify(op, err)
}
