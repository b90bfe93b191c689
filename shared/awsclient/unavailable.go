package awsclient

import (
	"errors"

	"github.com/aws/smithy-go"
)

// codeUnknownOperation is the error code of an endpoint that has no such
// operation.
const codeUnknownOperation = "UnknownOperationException"

// codeNoCode is the code the SDK's deserializers give an error response
// that carries none (no X-Amzn-ErrorType header, no code in the body).
const codeNoCode = "UnknownError"

// UnavailableOperation reports whether err says the endpoint does not offer
// the operation at all, and which operation it was. An endpoint says so
// either with an UnknownOperationException, or with an HTTP 404 for the
// operation's route that carries no modeled error code (a modeled code, such
// as a 404 ResourceNotFoundException, is an answer of the operation itself).
func UnavailableOperation(err error) (operation string, ok bool) {
	if err == nil {
		return "", false
	}
	code := ""
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code = apiErr.ErrorCode()
	}
	switch {
	case code == codeUnknownOperation:
		ok = true
	case code == "" || code == codeNoCode:
		// awshttp.ResponseError and smithyhttp.ResponseError both have it;
		// the former embeds the latter but unwraps past it.
		var resp interface{ HTTPStatusCode() int }
		ok = errors.As(err, &resp) && resp.HTTPStatusCode() == 404
	}
	if !ok {
		return "", false
	}
	operation = "the operation"
	var opErr *smithy.OperationError
	if errors.As(err, &opErr) && opErr.OperationName != "" {
		operation = opErr.OperationName
	}
	return operation, true
}

// UnavailableReason is the outcome reason for an operation the endpoint
// does not offer.
func UnavailableReason(operation string) string {
	return operation + " is not available at this endpoint"
}
