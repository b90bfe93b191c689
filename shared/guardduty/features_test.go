package guardduty

import (
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

func TestFakeFeatureNotInRegion(t *testing.T) {
	notHere := func(msg string) error {
		return sdkErr("UpdateOrganizationConfiguration", 400, &gdtypes.BadRequestException{Message: aws.String(msg)})
	}
	extra := `services: {guardduty: {features: {eksAuditLogs: true, rdsLoginEvents: true, lambdaNetworkLogs: true}}}`
	tests := []struct {
		name      string
		errs      []error
		wantSent  [][]string // feature names of each call
		wantWarn  []string
		wantErr   string
		wantState workflow.Status
	}{
		{
			name:      "named features are dropped",
			errs:      []error{notHere("The request failed because the following features are not available in the eu-west-1 region: RDS_LOGIN_EVENTS, LAMBDA_NETWORK_LOGS.")},
			wantSent:  [][]string{{"S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS", "LAMBDA_NETWORK_LOGS", "RUNTIME_MONITORING"}, {"S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RUNTIME_MONITORING"}},
			wantWarn:  []string{"eu-west-1", "RDS_LOGIN_EVENTS, LAMBDA_NETWORK_LOGS", "UpdateOrganizationConfiguration"},
			wantState: workflow.StatusChanged,
		},
		{
			name:      "none named keeps S3 data events",
			errs:      []error{notHere("The request is rejected because a feature is not supported in this region.")},
			wantSent:  [][]string{{"S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS", "LAMBDA_NETWORK_LOGS", "RUNTIME_MONITORING"}, {"S3_DATA_EVENTS"}},
			wantWarn:  []string{"EKS_AUDIT_LOGS, EBS_MALWARE_PROTECTION, RDS_LOGIN_EVENTS, LAMBDA_NETWORK_LOGS, RUNTIME_MONITORING"},
			wantState: workflow.StatusChanged,
		},
		{
			name:     "retried once only",
			errs:     []error{notHere("Feature RDS_LOGIN_EVENTS is not available in this region."), notHere("Feature EKS_AUDIT_LOGS is not available in this region.")},
			wantSent: [][]string{{"S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS", "LAMBDA_NETWORK_LOGS", "RUNTIME_MONITORING"}, {"S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "LAMBDA_NETWORK_LOGS", "RUNTIME_MONITORING"}},
			wantErr:  workflow.ErrNameTerminal,
		},
		{
			name:     "another bad request is not retried",
			errs:     []error{notHere("The request is rejected because an invalid or out-of-range value is specified as an input parameter.")},
			wantSent: [][]string{{"S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS", "LAMBDA_NETWORK_LOGS", "RUNTIME_MONITORING"}},
			wantErr:  workflow.ErrNameTerminal,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gd := newFakeGD(baseMembers...)
			// The detector matches: only the organization configuration differs.
			gd.detector.Features = []gdtypes.DetectorFeatureConfigurationResult{
				{Name: "S3_DATA_EVENTS", Status: "ENABLED"}, {Name: "EKS_AUDIT_LOGS", Status: "ENABLED"},
				{Name: "RDS_LOGIN_EVENTS", Status: "ENABLED"}, {Name: "LAMBDA_NETWORK_LOGS", Status: "ENABLED"},
			}
			// New accounts only: after leaving features out, the call is
			// still needed.
			gd.autoMembers = gdtypes.AutoEnableMembersNew
			gd.errs["UpdateOrganizationConfiguration"] = tt.errs
			res, err := runOrg(t, extra, gd, orgOf(0), workflow.ModeApply)
			var sent [][]string
			for _, in := range gd.updateOrg {
				var names []string
				for _, f := range in.Features {
					names = append(names, string(f.Name))
				}
				sent = append(sent, names)
			}
			if !reflect.DeepEqual(tt.wantSent, sent) {
				t.Errorf("features sent:\nexpect %v\ngot    %v", tt.wantSent, sent)
			}
			if tt.wantErr != "" {
				if err == nil || reflect.TypeOf(err).Elem().Name() != tt.wantErr {
					t.Fatalf("expect %s, got %T %v", tt.wantErr, err, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Warnings) != 1 {
				t.Fatalf("warnings: %q", res.Warnings)
			}
			for _, w := range tt.wantWarn {
				if !strings.Contains(res.Warnings[0], w) {
					t.Errorf("warning does not name %q: %s", w, res.Warnings[0])
				}
			}
			if o := res.Outcomes[1]; o.Status != tt.wantState {
				t.Errorf("organization configuration outcome: %+v", o)
			}
		})
	}
}
