package stacks_test

import (
	"slices"
	"testing"
)

// Suppressions stay few. Every cdk-nag suppression and checkov skip of the
// example configuration's templates is counted by kind of resource, and
// what a resource may carry is fixed:
//
//   - a step Lambda: the three checkov skips every step function has
//     (CKV_AWS_115 reserved concurrency, CKV_AWS_116 dead-letter queue,
//     CKV_AWS_117 VPC), each with its reason in infra/baseline, and nothing
//     else;
//   - an event Lambda: the checkov skips CKV_AWS_115 and CKV_AWS_117, with
//     their reasons in infra/events (it has its dead-letter queue), and
//     nothing else;
//   - a dead-letter queue: the checkov skip CKV_AWS_27 (SSE-SQS, which the
//     check does not read) and, for a rule's, cdk-nag's AwsSolutions-SQS3
//     (a dead-letter queue needs none of its own), and nothing else;
//   - an IAM policy: at most one cdk-nag AwsSolutions-IAM5, which lists
//     each wildcard with its grant's reason;
//   - everything else together: at most fixedNag cdk-nag suppressions and
//     fixedCheckov checkov skips.
//
// A new step so adds its function's three skips and at most two policies'
// IAM5 (its role's X-Ray statements, its grants' wildcards); anything more
// needs its reason, and the numbers here raised with it.
func TestSuppressionsStayFew(t *testing.T) {
	const fixedNag, fixedCheckov = 3, 3
	lambdaSkips := []string{"CKV_AWS_115", "CKV_AWS_116", "CKV_AWS_117"}
	a := build(t)
	nag, checkov, functions := 0, 0, 0
	all := []template{a.mgmtJSON, a.logArchiveJSON, a.secJSON}
	for _, s := range a.forward {
		all = append(all, s.json)
	}
	for _, tp := range all {
		for id, r := range tp.resources() {
			res := r.(map[string]any)
			typ, _ := res["Type"].(string)
			md, _ := res["Metadata"].(map[string]any)
			var rules, skips []string
			if n, ok := md["cdk_nag"].(map[string]any); ok {
				list, _ := n["rules_to_suppress"].([]any)
				for _, x := range list {
					rules = append(rules, x.(map[string]any)["id"].(string))
				}
			}
			if c, ok := md["checkov"].(map[string]any); ok {
				list, _ := c["skip"].([]any)
				for _, x := range list {
					skips = append(skips, x.(map[string]any)["id"].(string))
				}
			}
			slices.Sort(skips)
			switch {
			case typ == "AWS::Lambda::Function" && eventFunction(id):
				if !slices.Equal(skips, eventFunctionSkips) || len(rules) > 0 {
					t.Errorf("event function %s: checkov skips %v (want %v), cdk-nag %v (want none)", id, skips, eventFunctionSkips, rules)
				}
			case typ == "AWS::SQS::Queue":
				if !slices.Equal(skips, []string{"CKV_AWS_27"}) || len(rules) > 1 || (len(rules) == 1 && rules[0] != "AwsSolutions-SQS3") {
					t.Errorf("dead-letter queue %s: checkov skips %v (want CKV_AWS_27), cdk-nag %v (want at most AwsSolutions-SQS3)", id, skips, rules)
				}
			case typ == "AWS::Lambda::Function":
				functions++
				if !slices.Equal(skips, lambdaSkips) || len(rules) > 0 {
					t.Errorf("function %s: checkov skips %v (want %v), cdk-nag %v (want none)", id, skips, lambdaSkips, rules)
				}
			case typ == "AWS::IAM::Policy":
				if len(rules) > 1 || (len(rules) == 1 && rules[0] != "AwsSolutions-IAM5") || len(skips) > 0 {
					t.Errorf("policy %s: cdk-nag %v (want at most AwsSolutions-IAM5), checkov %v (want none)", id, rules, skips)
				}
			default:
				nag += len(rules)
				checkov += len(skips)
			}
		}
	}
	if functions == 0 {
		t.Fatal("no function in the templates")
	}
	if nag > fixedNag || checkov > fixedCheckov {
		t.Errorf("outside functions and policies: %d cdk-nag suppressions (at most %d) and %d checkov skips (at most %d)", nag, fixedNag, checkov, fixedCheckov)
	}
	t.Logf("%d functions; elsewhere %d cdk-nag suppressions, %d checkov skips", functions, nag, checkov)
}
