package awsclient

import (
	"context"
	"errors"
	"net"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// transientCodes are API error codes a later attempt can get past, beyond
// what the SDK retryer already retried in-call.
var transientCodes = map[string]bool{
	"Throttling": true, "ThrottlingException": true, "ThrottledException": true,
	"RequestThrottledException": true, "TooManyRequestsException": true,
	"ProvisionedThroughputExceededException": true, "TransactionInProgressException": true,
	"RequestLimitExceeded": true, "BandwidthLimitExceeded": true, "LimitExceededException": true,
	"RequestThrottled": true, "SlowDown": true, "PriorRequestNotComplete": true,
	"EC2ThrottledException": true, "ConcurrentModificationException": true,
	"ServiceException": true, "InternalFailure": true, "InternalException": true,
	"InternalErrorException": true, "ServiceUnavailable": true, "ServiceUnavailableException": true,
	"RequestTimeout": true, "RequestTimeoutException": true,
}

// Classify turns an error from an AWS call into one of the named workflow
// errors, wrapped with op (what the step was doing). Errors that are already
// named pass through unchanged.
func Classify(op string, err error) error {
	if err == nil {
		return nil
	}
	if workflow.Named(err) {
		return err
	}
	if Transient(err) {
		return &workflow.RetryableError{Op: op, Err: err}
	}
	return &workflow.TerminalError{Op: op, Err: err}
}

// Transient reports whether err is worth another attempt later: throttling,
// a concurrent modification, a server-side failure, a timeout or a dropped
// connection.
func Transient(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		if transientCodes[apiErr.ErrorCode()] {
			return true
		}
	}
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) && respErr.HTTPStatusCode() >= 500 {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return true
	}
	return false
}

// ErrorCode returns the API error code in err's chain, or "".
func ErrorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// CredentialsRejected reports whether err says the endpoint did not accept
// the request's credentials at all: UnrecognizedClientException (JSON
// services), InvalidClientTokenId (query services such as STS) or
// AuthFailure. An account's credentials are rejected so in an opt-in region
// the account has not enabled ("Enable or disable AWS Regions in your
// account", AWS Account Management Reference Guide).
func CredentialsRejected(err error) bool {
	switch ErrorCode(err) {
	case "UnrecognizedClientException", "InvalidClientTokenId", "AuthFailure":
		return true
	}
	return false
}
