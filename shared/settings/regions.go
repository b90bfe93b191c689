package settings

import "slices"

// knownRegions are the regions of the aws partition, copied from the
// aws-sdk-go-v2 endpoint metadata (internal/endpoints/awsrulesfn/partitions.json
// of github.com/aws/aws-sdk-go-v2 v1.47.7). orgbaseline builds ARNs for the aws
// partition only; GovCloud and China are not supported yet.
var knownRegions = []string{
	"af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2",
	"ap-northeast-3", "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2",
	"ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6",
	"ap-southeast-7", "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2",
	"eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2", "eu-west-3",
	"il-central-1", "me-central-1", "me-south-1", "mx-central-1", "sa-east-1",
	"us-east-1", "us-east-2", "us-west-1", "us-west-2",
}

// KnownRegion reports whether name is a region of the aws partition.
func KnownRegion(name string) bool { return slices.Contains(knownRegions, name) }

// KnownRegions returns a copy of the known region names.
func KnownRegions() []string { return slices.Clone(knownRegions) }

// defaultRegions are the regions enabled by default in every account: those
// launched before March 20, 2019 ("Enable or disable AWS Regions in your
// account", AWS Account Management Reference Guide). Every other region is
// an opt-in region, which each account enables for itself.
var defaultRegions = []string{
	"ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1",
	"ap-southeast-1", "ap-southeast-2", "ca-central-1", "eu-central-1",
	"eu-north-1", "eu-west-1", "eu-west-2", "eu-west-3", "sa-east-1",
	"us-east-1", "us-east-2", "us-west-1", "us-west-2",
}

// DefaultRegions returns a copy of the regions enabled by default in every
// account.
func DefaultRegions() []string { return slices.Clone(defaultRegions) }

// OptInRegion reports whether name is an opt-in region: one an account uses
// only after enabling it.
func OptInRegion(name string) bool { return !slices.Contains(defaultRegions, name) }

// noGlobalIAMRecording are the regions of knownRegions in which AWS Config
// records none of the IAM global resource types (AWS::IAM::User, Group,
// Role, Policy): the regions AWS Config supports since after February 2022
// ("AWS::Config::ConfigurationRecorder ExclusionByResourceTypes", AWS
// CloudFormation Template Reference, and "Recording AWS Resources with AWS
// Config", AWS Config Developer Guide).
var noGlobalIAMRecording = []string{
	"ap-east-2", "ap-south-2", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6",
	"ap-southeast-7", "ca-west-1", "eu-central-2", "eu-south-2", "il-central-1",
	"me-central-1", "mx-central-1",
}

// RecordsGlobalIAM reports whether AWS Config records the IAM global
// resource types in region name.
func RecordsGlobalIAM(name string) bool { return !slices.Contains(noGlobalIAMRecording, name) }
