package stacks_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
)

// arnLike reports whether arn matches pattern as IAM's ArnLike does: * any
// characters, ? one.
func arnLike(pattern, arn string) bool {
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	return regexp.MustCompile(re).MatchString(arn)
}

// deniedBy reports whether the bucket policy's deny statements refuse
// action to principal (the ArnNotLike aws:PrincipalArn exceptions).
func deniedBy(t *testing.T, policy map[string]any, principal, action string) bool {
	t.Helper()
	doc, _ := policy["PolicyDocument"].(map[string]any)
	sts, _ := doc["Statement"].([]any)
	for _, s := range sts {
		st, _ := s.(map[string]any)
		if st["Effect"] != "Deny" || !containsAction(st["Action"], action) {
			continue
		}
		cond, _ := st["Condition"].(map[string]any)
		notLike, ok := cond["ArnNotLike"].(map[string]any)
		if !ok {
			continue
		}
		exempt := false
		for _, p := range asList(notLike["aws:PrincipalArn"]) {
			if arnLike(p, principal) {
				exempt = true
			}
		}
		if !exempt {
			return true
		}
	}
	return false
}

func containsAction(v any, action string) bool {
	for _, a := range asList(v) {
		if a == action {
			return true
		}
	}
	return false
}

func asList(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// The log buckets' deny ("logIntegrity") refuses deleting log files and
// weakening the protections to every principal of the log-archive account,
// an administrator role included, but not to the role that deploys the
// stack: the CloudFormation execution role of the stack's synthesizer, as
// the CDK bootstrap names it. A deny that locked it out would make the next
// `cdk deploy` fail.
func TestLogBucketsDenyAllButTheDeployment(t *testing.T) {
	a := build(t)
	synth, ok := a.logArchive.Synthesizer().(awscdk.DefaultStackSynthesizer)
	if !ok {
		t.Fatalf("the log-archive stack's synthesizer is a %T", a.logArchive.Synthesizer())
	}
	account, region := a.cfg.Accounts.LogArchive, a.cfg.HomeRegion
	deployer := strings.NewReplacer("${AWS::Partition}", "aws", "${AWS::AccountId}", account, "${AWS::Region}", region).
		Replace(*synth.CloudFormationExecutionRoleArn())
	admin := "arn:aws:iam::" + account + ":role/" + a.cfg.ExecutionRoleName
	policies := a.logArchiveJSON.ofType("AWS::S3::BucketPolicy")
	if len(policies) < 3 {
		t.Fatalf("%d bucket policies in the log-archive stack", len(policies))
	}
	for _, id := range policies {
		p := props(a.logArchiveJSON.resource(t, id))
		for _, action := range []string{"s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutLifecycleConfiguration", "s3:PutBucketPolicy", "s3:PutBucketObjectLockConfiguration"} {
			if deniedBy(t, p, deployer, action) {
				t.Errorf("%s: the deployment (%s) is denied %s", id, deployer, action)
			}
		}
		for _, action := range []string{"s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutLifecycleConfiguration", "s3:BypassGovernanceRetention"} {
			if !deniedBy(t, p, admin, action) {
				t.Errorf("%s: %s may %s", id, admin, action)
			}
		}
	}
}
