package configsvc

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cfgtypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// EnvTaskRoot is the Lambda runtime's variable naming the folder the
// function's package is unpacked in.
const EnvTaskRoot = "LAMBDA_TASK_ROOT"

// readPacks reads the configured packs and plans each.
func (r *rulesRun) readPacks(ctx context.Context) error {
	packs := r.cfg.Services.Config.ConformancePacks
	if len(packs) == 0 {
		return nil
	}
	names := make([]string, len(packs))
	for i, p := range packs {
		names[i] = p.Name
	}
	existing, err := r.describePacks(ctx, names)
	if op, ok := awsclient.UnavailableOperation(err); ok {
		r.skip[packKind] = awsclient.UnavailableReason(op)
		return nil
	}
	if err != nil {
		return classify("read the organization conformance packs in "+r.region, MultiAccountSetupPrincipal, err)
	}
	for _, want := range packs {
		d := &deployment{kind: packKind, name: want.Name, follow: r.apply()}
		got, ok := existing[want.Name]
		if ok {
			diff := packDiff(got, want)
			if len(diff) == 0 {
				d.reason = fmt.Sprintf("conformance pack %s matches the configuration", want.Name)
				r.parts[packKind] = append(r.parts[packKind], d)
				continue
			}
			d.reason = fmt.Sprintf("conformance pack %s: %s", want.Name, strings.Join(diff, "; "))
		} else {
			d.reason = fmt.Sprintf("conformance pack %s: missing: create it from %s", want.Name, templateSource(want, r.region))
		}
		if d.putPack, err = packInput(want, r.region); err != nil {
			return err
		}
		d.actions = []workflow.Action{{Call: CallPutOrganizationConformancePack, Target: want.Name}}
		r.parts[packKind] = append(r.parts[packKind], d)
	}
	return nil
}

// describePacks returns those of the packs called names that exist, by
// name. Config refuses the whole call when one of the names is missing
// (NoSuchOrganizationConformancePackException), so names are read
// NamesPerCall at a time, and one at a time after such a refusal. (Called
// without names the call lists every pack; the emulator fails that, and a
// large organization's packs need not all be read.)
func (r *rulesRun) describePacks(ctx context.Context, names []string) (map[string]cfgtypes.OrganizationConformancePack, error) {
	found := map[string]cfgtypes.OrganizationConformancePack{}
	read := func(names []string) error {
		pages := configservice.NewDescribeOrganizationConformancePacksPaginator(r.api, &configservice.DescribeOrganizationConformancePacksInput{
			OrganizationConformancePackNames: names,
		})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, p := range page.OrganizationConformancePacks {
				found[aws.ToString(p.OrganizationConformancePackName)] = p
			}
		}
		return nil
	}
	for chunk := range slices.Chunk(names, NamesPerCall) {
		err := read(chunk)
		if !noSuchPack(err) {
			if err != nil {
				return nil, err
			}
			continue
		}
		for _, name := range chunk {
			if err := read([]string{name}); err != nil && !noSuchPack(err) {
				return nil, err
			}
		}
	}
	return found, nil
}

func noSuchPack(err error) bool {
	return awsclient.ErrorCode(err) == "NoSuchOrganizationConformancePackException"
}

// packDiff says how an organization pack differs from want. Its template
// is not compared: Config does not return it.
func packDiff(got cfgtypes.OrganizationConformancePack, want settings.ConformancePack) []string {
	var diff []string
	if have := aws.ToString(got.DeliveryS3Bucket); have != want.DeliveryBucket {
		diff = append(diff, fmt.Sprintf("delivery bucket %s, want %s", orEmpty(have, "none"), orEmpty(want.DeliveryBucket, "none")))
	}
	have := map[string]string{}
	for _, p := range got.ConformancePackInputParameters {
		have[aws.ToString(p.ParameterName)] = aws.ToString(p.ParameterValue)
	}
	if !maps.Equal(have, want.InputParameters) && (len(have) > 0 || len(want.InputParameters) > 0) {
		diff = append(diff, fmt.Sprintf("input parameters %s, want %s", parameterList(have), parameterList(want.InputParameters)))
	}
	if !sameSet(got.ExcludedAccounts, want.ExcludedAccounts) {
		diff = append(diff, excludedDiff(got.ExcludedAccounts, want.ExcludedAccounts))
	}
	return diff
}

// parameterList names parameters in a reason: k=v, by key.
func parameterList(m map[string]string) string {
	if len(m) == 0 {
		return "none"
	}
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ",")
}

// templateSource names where a pack's template comes from in region.
func templateSource(p settings.ConformancePack, region string) string {
	if p.TemplateS3URI != "" {
		return p.TemplateS3URIIn(region)
	}
	return "template file " + filepath.Base(p.TemplateFile)
}

// packInput is the PutOrganizationConformancePack call that makes p as
// configured in region. Empty parameters and exclusions are sent empty,
// which clears those of an existing pack. A template in S3 is the copy in
// region's bucket (settings.ConformancePack.TemplateS3URIIn): Config reads a
// pack's template from a bucket in the pack's region, and settings refuses a
// templateS3Uri that names one bucket for several regions.
func packInput(p settings.ConformancePack, region string) (*configservice.PutOrganizationConformancePackInput, error) {
	in := &configservice.PutOrganizationConformancePackInput{
		OrganizationConformancePackName: aws.String(p.Name),
		ConformancePackInputParameters:  []cfgtypes.ConformancePackInputParameter{},
		ExcludedAccounts:                sortedSet(p.ExcludedAccounts),
	}
	if p.DeliveryBucket != "" {
		in.DeliveryS3Bucket = aws.String(p.DeliveryBucket)
	}
	for _, k := range slices.Sorted(maps.Keys(p.InputParameters)) {
		in.ConformancePackInputParameters = append(in.ConformancePackInputParameters, cfgtypes.ConformancePackInputParameter{
			ParameterName: aws.String(k), ParameterValue: aws.String(p.InputParameters[k]),
		})
	}
	if p.TemplateS3URI != "" {
		in.TemplateS3Uri = aws.String(p.TemplateS3URIIn(region))
		return in, nil
	}
	body, err := templateBody(p)
	if err != nil {
		return nil, &workflow.TerminalError{Op: "read the template of conformance pack " + p.Name, Err: err}
	}
	in.TemplateBody = aws.String(body)
	return in, nil
}

// templatePath is where a pack's template file is: in a Lambda, the copy
// the CDK app bundles in the function's package
// ($LAMBDA_TASK_ROOT/settings.PackTemplateFile); elsewhere (the CLI), the
// templateFile of the configuration, which settings.LoadFile made absolute.
func templatePath(p settings.ConformancePack) string {
	if root := os.Getenv(EnvTaskRoot); root != "" {
		return filepath.Join(root, settings.PackTemplateFile(p.Name))
	}
	return p.TemplateFile
}

// templateBody reads a pack's template file (templatePath), which must not
// be larger than Config takes as a TemplateBody.
func templateBody(p settings.ConformancePack) (string, error) {
	path := templatePath(p)
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	if len(b) > settings.MaxTemplateBodyBytes {
		return "", fmt.Errorf("%s is %d bytes: a template body may have at most %d; upload it to S3 and give templateS3Uri", path, len(b), settings.MaxTemplateBodyBytes)
	}
	return string(b), nil
}
