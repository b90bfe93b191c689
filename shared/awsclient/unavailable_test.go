package awsclient

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"

	"github.com/orgbaseline/orgbaseline/shared/local/awstest"

	"github.com/aws/aws-sdk-go-v2/aws"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func sdkErr(op string, status int, err error) error {
	return awstest.ResponseErr("GuardDuty", op, status, err)
}

var htmlBody = awstest.HTMLBody

func TestUnavailableOperation(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		wantOp string // "" when the endpoint offers the operation
	}{
		{"404 with an HTML body", sdkErr("CreateMembers", 404, htmlBody), "CreateMembers"},
		{"404 with a body without a code", sdkErr("ListMembers", 404, &smithy.GenericAPIError{Code: "UnknownError", Message: "UnknownError"}), "ListMembers"},
		{"404 from smithy's own response error", &smithy.OperationError{OperationName: "DescribeOrganizationConfiguration", Err: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 404}}, Err: htmlBody}}, "DescribeOrganizationConfiguration"},
		{"404 wrapped further", fmt.Errorf("step: %w", sdkErr("UpdateOrganizationConfiguration", 404, htmlBody)), "UpdateOrganizationConfiguration"},
		{"UnknownOperationException", sdkErr("CreateMembers", 400, &smithy.GenericAPIError{Code: "UnknownOperationException", Message: "Unknown operation"}), "CreateMembers"},
		{"404 without an operation name", &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 404}}, Err: htmlBody}, "the operation"},
		{"404 with a modeled code", sdkErr("GetDetector", 404, &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "no such detector"}), ""},
		{"404 with a modeled exception", sdkErr("GetDetector", 404, &gdtypes.BadRequestException{Message: aws.String("The request is rejected because the input detectorId is not owned by the current account.")}), ""},
		{"500 with an HTML body", sdkErr("CreateMembers", 500, htmlBody), ""},
		{"400 without a code", sdkErr("CreateMembers", 400, htmlBody), ""},
		{"403 access denied", sdkErr("CreateMembers", 403, &smithy.GenericAPIError{Code: "AccessDeniedException"}), ""},
		{"no such host", &net.DNSError{Err: "no such host", Name: "guardduty.xx-east-9.amazonaws.com", IsNotFound: true}, ""},
		{"plain error", errors.New("boom"), ""},
		{"nil", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op, ok := UnavailableOperation(tt.err)
			if offered := !ok; offered != (tt.wantOp == "") {
				t.Fatalf("offered = %v, want %v (%v)", offered, tt.wantOp == "", tt.err)
			}
			if op != tt.wantOp {
				t.Errorf("operation %q, want %q", op, tt.wantOp)
			}
		})
	}
	if e, a := "CreateMembers is not available at this endpoint", UnavailableReason("CreateMembers"); e != a {
		t.Errorf("reason %q, want %q", a, e)
	}
}
