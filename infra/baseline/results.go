package baseline

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/orgbaseline/orgbaseline/infra/lintskip"
)

// ResultsPrefix begins the keys under which a Distributed Map writes its
// results: ResultsPrefix + the step's name. The CLI reads them from there
// (report.ResultWriterDetails).
const ResultsPrefix = "results/"

// ResultsRetentionDays is how long the results bucket keeps a run's results.
const ResultsRetentionDays = 30

// newResultsBucket creates the bucket the Distributed Maps write their
// results to: private, TLS only, SSE-S3, versioned, each object kept
// ResultsRetentionDays days. The state machine writes, the operator's CLI
// reads.
func newResultsBucket(scope constructs.Construct) awss3.IBucket {
	b := awss3.NewBucket(scope, jsii.String("Results"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		Versioned:         jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Expiration:                          awscdk.Duration_Days(jsii.Number(ResultsRetentionDays)),
			NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(1)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
		}},
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN,
	})
	const why = "The bucket holds the state machine's own step results for " +
		"the operator's report, kept 30 days; only the state machine writes to it, and reads are the operator's " +
		"CLI. Its accesses are API calls of this account, in CloudTrail; server access logs would need a bucket of " +
		"their own in the management account for no further insight."
	cdknag.NagSuppressions_AddResourceSuppressions(b, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-S1"), Reason: jsii.String(why),
	}}, nil)
	lintskip.Checkov(b.Node().DefaultChild().(awscdk.CfnResource), lintskip.Check{ID: "CKV_AWS_18", Comment: why})
	return b
}
