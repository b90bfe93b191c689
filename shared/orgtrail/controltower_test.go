package orgtrail

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// controlTowerTrailOf is AWS Control Tower's organization trail, homed in
// another region: the management account's home region shows its shadow.
func controlTowerTrailOf() cttypes.Trail {
	return cttypes.Trail{Name: aws.String("aws-controltower-BaselineCloudTrail"), HomeRegion: aws.String("us-east-1"),
		IsOrganizationTrail: aws.Bool(true), IsMultiRegionTrail: aws.Bool(true),
		TrailARN: aws.String("arn:aws:cloudtrail:us-east-1:" + fMgmt + ":trail/aws-controltower-BaselineCloudTrail")}
}

func TestControlTowerTrailIsNotDuplicated(t *testing.T) {
	for _, mode := range []workflow.Mode{workflow.ModePlan, workflow.ModeApply} {
		f := newFake()
		f.others = []cttypes.Trail{controlTowerTrailOf()}
		res, err := fakeRun(t, f, config(t, ""), mode)
		if err != nil {
			t.Fatal(err)
		}
		if len(f.calls) != 0 || res.Changed {
			t.Errorf("%s: calls %v beside Control Tower's trail", mode, f.calls)
		}
		if len(res.Outcomes) != 1 || res.Outcomes[0].Status != workflow.StatusSkipped ||
			!strings.Contains(res.Outcomes[0].Reason, "aws-controltower-BaselineCloudTrail") || !strings.Contains(res.Outcomes[0].Reason, "alongsideControlTower") {
			t.Errorf("%s: outcomes %+v", mode, res.Outcomes)
		}
	}
}

func TestControlTowerTrailAlongsideWhenAsked(t *testing.T) {
	f := newFake()
	f.others = []cttypes.Trail{controlTowerTrailOf()}
	cfg := config(t, "services: {cloudtrail: {alongsideControlTower: true}}")
	if !cfg.Services.CloudTrail.AlongsideControlTower {
		t.Fatal("the option is not read")
	}
	res, err := fakeRun(t, f, cfg, workflow.ModeApply)
	if err != nil {
		t.Fatal(err)
	}
	if f.trail == nil || !strings.Contains(strings.Join(res.Warnings, "\n"), "second copy of management events is charged") {
		t.Errorf("trail %v, warnings %v", f.trail, res.Warnings)
	}
}

func TestControlTowerAccountTrailOrOtherNamesAreNotItsOrganizationTrail(t *testing.T) {
	f := newFake()
	ct := controlTowerTrailOf()
	ct.IsOrganizationTrail = aws.Bool(false) // a pre-3.0 account trail
	other := cttypes.Trail{Name: aws.String("security-team-trail"), IsOrganizationTrail: aws.Bool(true), HomeRegion: aws.String("eu-west-1")}
	f.others = []cttypes.Trail{ct, other}
	if _, err := fakeRun(t, f, config(t, ""), workflow.ModeApply); err != nil {
		t.Fatal(err)
	}
	if f.trail == nil || aws.ToString(f.trail.Name) != settings.DefaultTrailName {
		t.Errorf("the trail was not created: %v (calls %v)", f.trail, f.calls)
	}
}
