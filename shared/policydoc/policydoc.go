// Package policydoc holds IAM policy documents as Go values, with the few
// statement shapes the baseline's buckets and keys share. The CDK stacks put
// them in the templates as they are, and the local deploy creates the same
// resources in the emulator with the same documents.
package policydoc

import (
	"encoding/json"
	"fmt"
)

// Document is an IAM policy document.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement. Principal, Action and Resource hold a string
// or a list, as IAM writes them.
type Statement struct {
	Sid       string                    `json:"Sid"`
	Effect    string                    `json:"Effect"`
	Principal any                       `json:"Principal,omitempty"`
	Action    any                       `json:"Action"`
	Resource  any                       `json:"Resource,omitempty"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

// New returns a document of the current policy language version.
func New(statements ...Statement) Document {
	return Document{Version: "2012-10-17", Statement: statements}
}

// JSON returns the document as IAM JSON.
func (d Document) JSON() string {
	b, err := json.Marshal(d)
	if err != nil {
		panic(fmt.Sprintf("policydoc: policy document does not encode: %v", err)) // plain data: cannot happen
	}
	return string(b)
}

// Map returns the document as a generic JSON value, the form the CDK takes.
func (d Document) Map() map[string]any {
	var m map[string]any
	if err := json.Unmarshal([]byte(d.JSON()), &m); err != nil {
		panic(fmt.Sprintf("policydoc: policy document does not decode: %v", err))
	}
	return m
}

// Find returns the statement with sid.
func (d Document) Find(sid string) (Statement, bool) {
	for _, s := range d.Statement {
		if s.Sid == sid {
			return s, true
		}
	}
	return Statement{}, false
}

// Service is the principal of an AWS service.
func Service(name string) map[string]any { return map[string]any{"Service": name} }

// AccountRoot is the principal of a whole account.
func AccountRoot(account string) map[string]any {
	return map[string]any{"AWS": fmt.Sprintf("arn:aws:iam::%s:root", account)}
}

// BucketARN returns the ARN of bucket name.
func BucketARN(name string) string { return "arn:aws:s3:::" + name }

// DenyInsecureTransport refuses any request to bucket not made over TLS.
func DenyInsecureTransport(bucket string) Statement {
	return Statement{
		Sid: "DenyInsecureTransport", Effect: "Deny", Principal: "*", Action: "s3:*",
		Resource:  []string{BucketARN(bucket), BucketARN(bucket) + "/*"},
		Condition: map[string]map[string]any{"Bool": {"aws:SecureTransport": "false"}},
	}
}

// LogTamperingActions are the calls that delete a log bucket's files or
// weaken its protections: deleting objects and versions, overriding
// governance-mode retention, and changing the lifecycle, versioning, Object
// Lock configuration or the policy itself ("Actions, resources, and
// condition keys for Amazon S3").
var LogTamperingActions = []string{
	"s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention",
	"s3:PutLifecycleConfiguration", "s3:PutBucketVersioning", "s3:PutBucketObjectLockConfiguration",
	"s3:PutBucketPolicy", "s3:DeleteBucketPolicy",
}

// PolicyActions are the two LogTamperingActions that replace or remove the
// bucket's policy.
var PolicyActions = []string{"s3:PutBucketPolicy", "s3:DeleteBucketPolicy"}

// DenyLogTampering refuses actions on bucket and its objects to every
// principal but admins (aws:PrincipalArn patterns): no one else deletes a
// log file or changes what protects them. S3 Lifecycle's own expirations
// and the services' deliveries are not requests this denies.
func DenyLogTampering(sid, bucket string, actions, admins []string) Statement {
	return Statement{
		Sid: sid, Effect: "Deny", Principal: "*", Action: actions,
		Resource:  []string{BucketARN(bucket), BucketARN(bucket) + "/*"},
		Condition: map[string]map[string]any{"ArnNotLike": {"aws:PrincipalArn": admins}},
	}
}
