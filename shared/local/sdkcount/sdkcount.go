// Package sdkcount counts the AWS calls the steps of a local run make, at
// the SDK: Option is an API option (aws.Config.APIOptions) that records
// every operation called through a client — service, operation, region,
// read or mutating, and the Lambda invocation it was made in — and asks for
// AWS's page size where the emulator's default page is larger, so that the
// counts are those a run against AWS would make. Serve runs a step process
// whose every client carries it.
package sdkcount

import (
	"context"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/smithy-go/middleware"
)

// Call is one API operation a step called. Retries of the same call by the
// SDK's retryer are not counted again.
type Call struct {
	// Step is the step whose handler made the call.
	Step string `json:"step"`
	// Invocation is the Lambda request ID of the invocation, "" outside one.
	Invocation string `json:"invocation,omitempty"`
	Service    string `json:"service"`
	Operation  string `json:"operation"`
	// Region is the region of the client, which for global services is
	// the region their endpoint is in (us-east-1 for Organizations and IAM).
	Region   string `json:"region"`
	Mutating bool   `json:"mutating"`
	// Account is the account whose session made the call (InAccount), ""
	// for the step's own account.
	Account string `json:"account,omitempty"`
}

// readPrefixes are the operation names that only read.
var readPrefixes = []string{"Describe", "Get", "List", "Head", "BatchGet", "Search", "Lookup"}

// Mutating reports whether the operation op changes something: every
// operation but reads (Describe*, Get*, List*, Head*, BatchGet*, Search*,
// Lookup*) and sts:AssumeRole, which only hands out credentials.
func Mutating(op string) bool {
	if op == "AssumeRole" {
		return false
	}
	for _, p := range readPrefixes {
		if strings.HasPrefix(op, p) {
			return false
		}
	}
	return true
}

// AWSPageSize is the largest page AWS returns for organizations:ListAccounts
// and ListAccountsForParent (their MaxResults is 1 to 20). moto returns 100
// accounts a page when asked for no page size, so a caller that leaves
// MaxResults unset makes fewer calls against it than against AWS.
const AWSPageSize = 20

// pageSize asks for at most AWS's page size on the listings whose pages the
// emulator makes larger.
func pageSize(params any) {
	cap20 := func(p **int32) {
		if *p == nil || **p > AWSPageSize {
			*p = aws.Int32(AWSPageSize)
		}
	}
	switch in := params.(type) {
	case *organizations.ListAccountsInput:
		cap20(&in.MaxResults)
	case *organizations.ListAccountsForParentInput:
		cap20(&in.MaxResults)
	}
}

// Option returns the API option that calls record with every operation
// called through the configuration it is added to, on behalf of step, and
// sets AWS's page size on listings (pageSize).
func Option(step string, record func(Call)) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("sdkcountCall",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				pageSize(in.Parameters)
				op := awsmiddleware.GetOperationName(ctx)
				c := Call{
					Step:      step,
					Service:   awsmiddleware.GetServiceID(ctx),
					Operation: op,
					Region:    awsmiddleware.GetRegion(ctx),
					Mutating:  Mutating(op),
				}
				c.Account, _ = middleware.GetStackValue(ctx, accountKey{}).(string)
				if lc, ok := lambdacontext.FromContext(ctx); ok {
					c.Invocation = lc.AwsRequestID
				}
				record(c)
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	}
}

type accountKey struct{}

// AccountOf returns the account a session's call is made in (InAccount),
// "" for the step's own account.
func AccountOf(ctx context.Context) string {
	a, _ := middleware.GetStackValue(ctx, accountKey{}).(string)
	return a
}

// InAccount returns the API option that marks the calls of a session in
// account, for Option to record: added to a session's configuration
// (awsclient.WithAPIOptionsFor), it runs before Option's middleware.
func InAccount(account string) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("sdkcountAccount",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				return next.HandleInitialize(middleware.WithStackValue(ctx, accountKey{}, account), in)
			}), middleware.Before)
	}
}
