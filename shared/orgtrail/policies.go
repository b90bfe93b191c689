package orgtrail

import (
	"fmt"

	"github.com/orgbaseline/orgbaseline/shared/policydoc"
	"github.com/orgbaseline/orgbaseline/shared/settings"
)

// Document and Statement are policydoc's: orgtrail's documents are plain
// policy documents.
type (
	Document  = policydoc.Document
	Statement = policydoc.Statement
)

var (
	doc                   = policydoc.New
	service               = policydoc.Service
	accountRoot           = policydoc.AccountRoot
	denyInsecureTransport = policydoc.DenyInsecureTransport
)

const cloudtrailPrincipal = "cloudtrail.amazonaws.com"

// BucketPolicy is the trail bucket's policy. CloudTrail checks the bucket's
// ACL and writes under AWSLogs/<management account>/ — CreateTrail's preflight
// check needs that path too, or fails with InsufficientS3BucketPolicyException
// — and under AWSLogs/<organization ID>/ for the member accounts. Both writes
// require the bucket-owner-full-control ACL and come only from this trail
// (aws:SourceArn). Requests without TLS are refused. With organizationRead,
// every principal of the organization may read the logs.
func BucketPolicy(c settings.Config) Document {
	bucket := BucketName(c)
	arn := BucketARN(bucket)
	trail := TrailARN(c)
	write := func(sid, prefix string) Statement {
		return Statement{
			Sid: sid, Effect: "Allow", Principal: service(cloudtrailPrincipal), Action: "s3:PutObject",
			Resource: arn + "/AWSLogs/" + prefix + "/*",
			Condition: map[string]map[string]any{"StringEquals": {
				"s3:x-amz-acl":  "bucket-owner-full-control",
				"aws:SourceArn": trail,
			}},
		}
	}
	d := doc(
		Statement{
			Sid: "CloudTrailAclCheck", Effect: "Allow", Principal: service(cloudtrailPrincipal), Action: "s3:GetBucketAcl",
			Resource:  arn,
			Condition: map[string]map[string]any{"StringEquals": {"aws:SourceArn": trail}},
		},
		write("CloudTrailWriteManagementAccount", c.Accounts.Management),
		write("CloudTrailWriteOrganization", c.OrganizationID),
		denyInsecureTransport(bucket),
		// No one but the deployment and the break-glass role deletes a log
		// file or weakens the bucket's protections (logIntegrity).
		policydoc.DenyLogTampering("DenyLogTampering", bucket, policydoc.LogTamperingActions, c.LogAdmins()),
	)
	if c.Services.CloudTrail.OrganizationRead {
		d.Statement = append(d.Statement, Statement{
			Sid: "OrganizationRead", Effect: "Allow", Principal: map[string]any{"AWS": "*"},
			Action:    []string{"s3:GetObject", "s3:ListBucket"},
			Resource:  []string{arn, arn + "/*"},
			Condition: map[string]map[string]any{"StringEquals": {"aws:PrincipalOrgID": c.OrganizationID}},
		})
	}
	return d
}

// cloudTrailContext is the encryption-context key CloudTrail sets on every
// log file it encrypts.
const cloudTrailContext = "kms:EncryptionContext:aws:cloudtrail:arn"

// KeyPolicy is the key policy of the trail's key in the security account:
// the security account administers and uses it; CloudTrail may generate
// data keys only for this trail (encryption context and aws:SourceArn),
// decrypt for this trail (aws:SourceArn) and describe the key; the
// log-archive account — and with organizationRead, the organization — may
// decrypt log files, and only log files: the CloudTrail encryption context
// must be present.
//
// CloudTrail's kms:Decrypt carries no encryption-context condition: the
// trail bucket's SSE-KMS uses an S3 Bucket Key (putEncryption), and
// "Configure AWS KMS key policies for CloudTrail" (CloudTrail User Guide,
// "Required KMS key policy elements for trails" and "Granting decrypt
// permissions") says that with an S3 Bucket Key kms:Decrypt is required to
// create or update a trail with SSE-KMS; its statement for the CloudTrail
// service principal ("Allow CloudTrail to decrypt a trail") has no
// encryption-context condition. The same page recommends aws:SourceArn on
// the key policy of a trail's key, which keeps the statement to this trail.
// The Bucket Key stays: S3 then asks KMS for a bucket-level key instead of
// a data key per log file ("Using Amazon S3 Bucket Keys", S3 User Guide).
func KeyPolicy(c settings.Config) Document {
	trail := TrailARN(c)
	d := doc(
		Statement{
			Sid: "SecurityAccountAdministers", Effect: "Allow", Principal: accountRoot(c.Accounts.Security),
			Action: "kms:*", Resource: "*",
		},
		Statement{
			Sid: "CloudTrailEncryptsLogs", Effect: "Allow", Principal: service(cloudtrailPrincipal),
			Action: "kms:GenerateDataKey*", Resource: "*",
			Condition: map[string]map[string]any{"StringEquals": {
				cloudTrailContext: trail,
				"aws:SourceArn":   trail,
			}},
		},
		Statement{
			Sid: "CloudTrailDecryptsForBucketKey", Effect: "Allow", Principal: service(cloudtrailPrincipal),
			Action: "kms:Decrypt", Resource: "*",
			Condition: map[string]map[string]any{"StringEquals": {"aws:SourceArn": trail}},
		},
		Statement{
			Sid: "CloudTrailDescribesKey", Effect: "Allow", Principal: service(cloudtrailPrincipal),
			Action: "kms:DescribeKey", Resource: "*",
			Condition: map[string]map[string]any{"StringEquals": {"aws:SourceArn": trail}},
		},
		Statement{
			Sid: "LogArchiveDecryptsLogFiles", Effect: "Allow", Principal: accountRoot(c.Accounts.LogArchive),
			Action: "kms:Decrypt", Resource: "*",
			Condition: map[string]map[string]any{"Null": {cloudTrailContext: "false"}},
		},
	)
	if c.Services.CloudTrail.OrganizationRead {
		d.Statement = append(d.Statement, Statement{
			Sid: "OrganizationDecryptsLogFiles", Effect: "Allow", Principal: map[string]any{"AWS": "*"},
			Action: "kms:Decrypt", Resource: "*",
			Condition: map[string]map[string]any{
				"StringEquals": {"aws:PrincipalOrgID": c.OrganizationID},
				"Null":         {cloudTrailContext: "false"},
			},
		})
	}
	return d
}

// CloudWatchLogsTrustPolicy lets CloudTrail assume the log-delivery role,
// for this trail only.
func CloudWatchLogsTrustPolicy(c settings.Config) Document {
	return doc(Statement{
		Sid: "CloudTrailAssumes", Effect: "Allow", Principal: service(cloudtrailPrincipal), Action: "sts:AssumeRole",
		Condition: map[string]map[string]any{"StringEquals": {"aws:SourceArn": TrailARN(c)}},
	})
}

// CloudWatchLogsRolePolicy lets the role create and write the streams an
// organization trail writes: <management account>_CloudTrail_<region>* for
// the management account's events and <organization ID>_* for the members'.
// The log group is the managing account's; the stream names are the same
// whichever account manages the trail, as the trail is the management
// account's.
func CloudWatchLogsRolePolicy(c settings.Config) Document {
	group := logGroupARN(c)
	return doc(Statement{
		Sid: "WriteTrailStreams", Effect: "Allow",
		Action: []string{"logs:CreateLogStream", "logs:PutLogEvents"},
		Resource: []string{
			fmt.Sprintf("%s:log-stream:%s_CloudTrail_%s*", group, c.Accounts.Management, c.HomeRegion),
			fmt.Sprintf("%s:log-stream:%s_*", group, c.OrganizationID),
		},
	})
}

// LogGroupKeyPolicy is the key policy of the log group's key in the security
// account, when the trail is managed from there (manageFrom security): the
// security account administers the key; CloudWatch Logs of the home region
// may use it for the trail's log group only (encryption context
// aws:logs:arn). The trail's key (KeyPolicy) is not used for the log group:
// its policy lets CloudTrail use it for log files and nothing else.
func LogGroupKeyPolicy(c settings.Config) Document {
	return doc(
		Statement{
			Sid: "SecurityAccountAdministers", Effect: "Allow", Principal: accountRoot(c.Accounts.Security),
			Action: "kms:*", Resource: "*",
		},
		Statement{
			Sid: "CloudWatchLogsEncryptsTrailLogGroup", Effect: "Allow", Principal: service("logs." + c.HomeRegion + ".amazonaws.com"),
			Action:    []string{"kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"},
			Resource:  "*",
			Condition: map[string]map[string]any{"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": logGroupARN(c)}},
		},
	)
}
