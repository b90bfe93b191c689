package motorig

import (
	"bytes"
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"go.yaml.in/yaml/v3"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
)

// PackTemplateBucket is the emulator bucket, in the security account and
// region, that AddConformancePack uploads templates to: AWS Config reads a
// pack's template from a bucket of the pack's region.
func PackTemplateBucket(c settings.Config, region string) string {
	return fmt.Sprintf("orgbaseline-templates-%s-%s", c.Accounts.Security, region)
}

// AddConformancePack uploads templateFile to PackTemplateBucket in each
// configured region and adds a conformance pack called name with that
// templateS3Uri (the bucket named with {region}) to the configuration file
// at path. moto takes a pack's template from S3 only
// (PutOrganizationConformancePack with a TemplateBody fails in moto 5.2), so
// the demo and the end-to-end test give the repository's example template
// this way. mgmt is the management account's configuration.
func AddConformancePack(ctx context.Context, mgmt aws.Config, path, name, templateFile string) (string, error) {
	cfg, err := settings.LoadFile(path)
	if err != nil {
		return "", err
	}
	body, err := os.ReadFile(templateFile)
	if err != nil {
		return "", fmt.Errorf("motorig: %w", err)
	}
	acc := awsclient.NewAccounts(mgmt, cfg.Accounts.Management, cfg.ExecutionRoleName, "motorig")
	key := name + ".yaml"
	regions := cfg.Regions.Names
	if len(regions) == 0 {
		regions = []string{cfg.HomeRegion}
	}
	for _, region := range regions {
		if err := uploadTemplate(ctx, s3.NewFromConfig(awsclient.WithRegion(acc.Config(cfg.Accounts.Security), region)), PackTemplateBucket(cfg, region), region, key, body); err != nil {
			return "", err
		}
	}
	uri := "s3://" + PackTemplateBucket(cfg, settings.RegionPlaceholder) + "/" + key

	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("motorig: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return "", fmt.Errorf("motorig: %s is not a YAML document: %v", path, err)
	}
	packs, err := lookup(doc.Content[0], "services", "config", "conformancePacks")
	if err != nil {
		return "", fmt.Errorf("motorig: %s: %w", path, err)
	}
	str := func(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }
	packs.Kind, packs.Tag, packs.Style = yaml.SequenceNode, "!!seq", 0
	packs.Content = append(packs.Content, &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{
		str("name"), str(name), str("templateS3Uri"), str(uri),
	}})
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return "", err
	}
	if err := enc.Close(); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("motorig: %w", err)
	}
	if _, err := settings.LoadFile(path); err != nil {
		return "", fmt.Errorf("motorig: the configuration with the pack does not load: %w", err)
	}
	return uri, nil
}

// RecorderState is AWS Config in one account and region, as the emulator
// holds it.
type RecorderState struct {
	Account, Region string
	// Recorder is the recorder's name, "" without one.
	Recorder    string
	Recording   bool
	GlobalTypes bool
	// Bucket and Key are the delivery channel's bucket and key ARN.
	Bucket, Key string
}

// ReadRecorders reads the recorder, its status and the delivery channel of
// every account and region, through the execution role (mgmt's own
// credentials in the management account).
func ReadRecorders(ctx context.Context, mgmt aws.Config, cfg settings.Config, accounts, regions []string) ([]RecorderState, error) {
	acc := awsclient.NewAccounts(mgmt, cfg.Accounts.Management, cfg.ExecutionRoleName, "motorig")
	var out []RecorderState
	for _, a := range accounts {
		for _, r := range regions {
			api := configservice.NewFromConfig(awsclient.WithRegion(acc.Config(a), r))
			st := RecorderState{Account: a, Region: r}
			recs, err := api.DescribeConfigurationRecorders(ctx, &configservice.DescribeConfigurationRecordersInput{})
			if err != nil {
				return nil, fmt.Errorf("motorig: recorders of %s in %s: %w", a, r, err)
			}
			if len(recs.ConfigurationRecorders) > 0 {
				rec := recs.ConfigurationRecorders[0]
				st.Recorder = aws.ToString(rec.Name)
				st.GlobalTypes = rec.RecordingGroup != nil && rec.RecordingGroup.IncludeGlobalResourceTypes
				status, err := api.DescribeConfigurationRecorderStatus(ctx, &configservice.DescribeConfigurationRecorderStatusInput{})
				if err != nil {
					return nil, fmt.Errorf("motorig: recorder status of %s in %s: %w", a, r, err)
				}
				for _, s := range status.ConfigurationRecordersStatus {
					st.Recording = st.Recording || s.Recording
				}
			}
			chans, err := api.DescribeDeliveryChannels(ctx, &configservice.DescribeDeliveryChannelsInput{})
			if err != nil {
				return nil, fmt.Errorf("motorig: delivery channels of %s in %s: %w", a, r, err)
			}
			if len(chans.DeliveryChannels) > 0 {
				st.Bucket, st.Key = aws.ToString(chans.DeliveryChannels[0].S3BucketName), aws.ToString(chans.DeliveryChannels[0].S3KmsKeyArn)
			}
			out = append(out, st)
		}
	}
	return out, nil
}

// uploadTemplate puts body at key in bucket, which it creates in region.
func uploadTemplate(ctx context.Context, api *s3.Client, bucket, region, key string, body []byte) error {
	in := &s3.CreateBucketInput{Bucket: aws.String(bucket)}
	if region != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(region)}
	}
	if _, err := api.CreateBucket(ctx, in); err != nil && awsclient.ErrorCode(err) != "BucketAlreadyOwnedByYou" {
		return fmt.Errorf("motorig: create bucket %s: %w", bucket, err)
	}
	if _, err := api.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
		return fmt.Errorf("motorig: upload %s: %w", key, err)
	}
	return nil
}
