// Package lintskip records, in the CloudFormation metadata of one resource,
// the template-linter findings that do not apply to it, where the linters
// read them:
//
//	Metadata:
//	  checkov:
//	    skip:
//	      - id: CKV_AWS_116
//	        comment: why the check does not apply
//	  cfn-lint:
//	    config:
//	      ignore_checks: [W3005]
//
// A skip recorded this way covers that resource only, and checkov's reason
// travels with the template.
package lintskip

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Metadata keys the linters read.
const (
	checkovKey = "checkov"
	cfnLintKey = "cfn-lint"
)

var (
	checkovID = regexp.MustCompile(`^CKV2?_[A-Z]+_[0-9]+$`)
	cfnLintID = regexp.MustCompile(`^[EWI][0-9]{4}$`)
)

// Check is one skipped checkov check and the reason it does not apply.
type Check struct {
	ID      string
	Comment string
}

// Checkov records checks as skipped on the CloudFormation resource of c: c
// itself if it is a CfnResource, else its default child. Skips recorded
// earlier are kept. It panics if a check has a malformed ID or no comment,
// or if c has no CloudFormation resource.
func Checkov(c constructs.IConstruct, checks ...Check) {
	res := resourceOf(c)
	var skips []any
	if old, ok := res.GetMetadata(jsii.String(checkovKey)).(map[string]any); ok {
		if list, ok := old["skip"].([]any); ok {
			skips = list
		}
	}
	for _, ch := range checks {
		if !checkovID.MatchString(ch.ID) || strings.TrimSpace(ch.Comment) == "" {
			panic(fmt.Sprintf("lintskip: checkov skip %q on %s needs a check ID and a reason", ch.ID, *c.Node().Path()))
		}
		skips = append(skips, map[string]any{"id": ch.ID, "comment": ch.Comment})
	}
	res.AddMetadata(jsii.String(checkovKey), map[string]any{"skip": skips})
}

// CfnLint records cfn-lint rules as ignored on the CloudFormation resource
// of c, as Checkov does. cfn-lint's metadata has no place for a reason, so
// callers give it in a comment next to the call.
func CfnLint(c constructs.IConstruct, rules ...string) {
	res := resourceOf(c)
	var ignored []any
	if old, ok := res.GetMetadata(jsii.String(cfnLintKey)).(map[string]any); ok {
		if cfg, ok := old["config"].(map[string]any); ok {
			if list, ok := cfg["ignore_checks"].([]any); ok {
				ignored = list
			}
		}
	}
	for _, r := range rules {
		if !cfnLintID.MatchString(r) {
			panic(fmt.Sprintf("lintskip: %q on %s is not a cfn-lint rule ID", r, *c.Node().Path()))
		}
		ignored = append(ignored, r)
	}
	res.AddMetadata(jsii.String(cfnLintKey), map[string]any{"config": map[string]any{"ignore_checks": ignored}})
}

func resourceOf(c constructs.IConstruct) awscdk.CfnResource {
	if r, ok := c.(awscdk.CfnResource); ok {
		return r
	}
	if r, ok := c.Node().DefaultChild().(awscdk.CfnResource); ok {
		return r
	}
	panic(fmt.Sprintf("lintskip: %s has no CloudFormation resource to record skips on", *c.Node().Path()))
}
