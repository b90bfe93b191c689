// Package awstest builds errors shaped as the AWS SDK returns them, for fakes
// in tests: an API error after an HTTP response, and the body an endpoint
// without the operation sends.
package awstest

import (
	"errors"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// ResponseErr is err as the SDK returns it from operation op of service
// after an HTTP response with status: an OperationError around an
// awshttp.ResponseError.
func ResponseErr(service, op string, status int, err error) error {
	return &smithy.OperationError{ServiceID: service, OperationName: op, Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: err},
		RequestID:     "req-1",
	}}
}

// HTMLBody is what the deserializer makes of a response body that is not
// JSON, such as an HTML "404 Not Found" page.
var HTMLBody error = &smithy.DeserializationError{Err: errors.New("failed to decode response body, invalid character '<' looking for beginning of value")}

// UnknownOperation is the error an endpoint gives for an operation it does
// not have.
func UnknownOperation(service, op string) error {
	return ResponseErr(service, op, 400, &smithy.GenericAPIError{Code: "UnknownOperationException", Message: "The operation is not supported."})
}
