package orgtrail

import (
	"context"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/org/teardown"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// disableDeps are Disable's clients on the emulator, from the management
// account, which manages the trail here; they record their calls in m.rec.
func (m *motoOrg) disableDeps() DisableDeps {
	ct := cloudtrail.NewFromConfig(awsclient.WithRegion(m.mgmt, m.cfg.HomeRegion))
	return DisableDeps{Trail: ct, Admin: ct, Orgs: organizations.NewFromConfig(awsclient.WithRegion(m.mgmt, awsclient.OrganizationsRegion))}
}

func TestMotoDisableDeletesTheTrailAndKeepsTheBucketAndKey(t *testing.T) {
	m := newMotoOrg(t, "")
	ctx := context.Background()
	m.run(t, workflow.ModeApply)
	orgs := organizations.NewFromConfig(awsclient.WithRegion(m.mgmt, awsclient.OrganizationsRegion))
	if _, err := orgs.EnableAWSServiceAccess(ctx, &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String(cloudTrailPrincipal)}); err != nil {
		t.Fatal(err)
	}

	m.rec.Reset()
	res := Disable(ctx, m.disableDeps(), m.cfg, teardown.Options{Plan: true, Regions: m.cfg.Regions.Names})
	if got := m.rec.Mutating(); len(got) != 0 {
		t.Errorf("plan made mutating calls %v", got)
	}
	if o := res.Outcomes[0]; o.Status != workflow.StatusPlanned || o.Actions[0].Call != CallDeleteTrail {
		t.Errorf("plan row %+v", o)
	}
	m.trail(t, "us-east-1")

	m.rec.Reset()
	res = Disable(ctx, m.disableDeps(), m.cfg, teardown.Options{Regions: m.cfg.Regions.Names})
	if e, a := []string{"CloudTrail:DeleteTrail", "Organizations:DisableAWSServiceAccess"}, m.rec.Mutating(); !reflect.DeepEqual(e, a) {
		t.Errorf("mutating calls:\nexpect %v\ngot    %v", e, a)
	}
	for _, o := range res.Outcomes {
		if o.Status == workflow.StatusFailed {
			t.Errorf("failed row %+v", o)
		}
	}
	out, err := cloudtrail.NewFromConfig(m.mgmt).DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.TrailList) != 0 {
		t.Errorf("trails left: %+v", out.TrailList)
	}
	la := s3.NewFromConfig(awsclient.WithRegion(srv.AccountConfigT(t, m.cfg.Accounts.LogArchive), m.cfg.HomeRegion))
	if _, err := la.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(BucketName(m.cfg))}); err != nil {
		t.Errorf("the trail bucket is gone: %v", err)
	}
	sec := kms.NewFromConfig(awsclient.WithRegion(srv.AccountConfigT(t, m.cfg.Accounts.Security), m.cfg.HomeRegion))
	if _, err := sec.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(KeyAlias)}); err != nil {
		t.Errorf("the trail key is gone: %v", err)
	}

	m.rec.Reset()
	res = Disable(ctx, m.disableDeps(), m.cfg, teardown.Options{Regions: m.cfg.Regions.Names})
	if got := m.rec.Mutating(); len(got) != 0 {
		t.Errorf("second run made mutating calls %v", got)
	}
	for _, o := range res.Outcomes {
		if o.Status != workflow.StatusUnchanged {
			t.Errorf("second run row %+v", o)
		}
	}
}
