package fakeaws_test

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/orgbaseline/orgbaseline/shared/local/motorig"
)

var (
	aggregatorARN = regexp.MustCompile(`^arn:aws:securityhub:([a-z0-9-]+):(\d{12}):finding-aggregator/[0-9a-f-]{36}$`)
	policyARN     = regexp.MustCompile(`^arn:aws:securityhub:([a-z0-9-]+):(\d{12}):configuration-policy/([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})$`)
)

func orgConfig(t *testing.T, api *securityhub.Client) (*securityhub.DescribeOrganizationConfigurationOutput, error) {
	t.Helper()
	return api.DescribeOrganizationConfiguration(ctx(t), &securityhub.DescribeOrganizationConfigurationInput{})
}

// configState is an organization configuration as TYPE STATUS.
func configState(t *testing.T, api *securityhub.Client) string {
	t.Helper()
	out, err := orgConfig(t, api)
	if err != nil {
		t.Fatalf("DescribeOrganizationConfiguration: %v", err)
	}
	return string(out.OrganizationConfiguration.ConfigurationType) + " " + string(out.OrganizationConfiguration.Status)
}

// updateConfig is UpdateOrganizationConfiguration to the configuration type
// typ ("" for none) with the standards ("" for none).
func updateConfig(t *testing.T, api *securityhub.Client, autoEnable bool, standards shtypes.AutoEnableStandards, typ shtypes.OrganizationConfigurationConfigurationType) error {
	t.Helper()
	in := &securityhub.UpdateOrganizationConfigurationInput{AutoEnable: aws.Bool(autoEnable), AutoEnableStandards: standards}
	if typ != "" {
		in.OrganizationConfiguration = &shtypes.OrganizationConfiguration{ConfigurationType: typ}
	}
	_, err := api.UpdateOrganizationConfiguration(ctx(t), in)
	return err
}

func goCentral(t *testing.T, api *securityhub.Client) error {
	t.Helper()
	return updateConfig(t, api, false, shtypes.AutoEnableStandardsNone, shtypes.OrganizationConfigurationConfigurationTypeCentral)
}

func createAggregator(t *testing.T, api *securityhub.Client, mode string, regions ...string) (*securityhub.CreateFindingAggregatorOutput, error) {
	t.Helper()
	return api.CreateFindingAggregator(ctx(t), &securityhub.CreateFindingAggregatorInput{RegionLinkingMode: aws.String(mode), Regions: regions})
}

func mustCreateAggregator(t *testing.T, api *securityhub.Client, mode string, regions ...string) string {
	t.Helper()
	out, err := createAggregator(t, api, mode, regions...)
	if err != nil {
		t.Fatalf("CreateFindingAggregator: %v", err)
	}
	return aws.ToString(out.FindingAggregatorArn)
}

// securityHubPolicy enables Security Hub with the standards and every
// control but the disabled ones.
func securityHubPolicy(standards []string, disabled ...string) shtypes.Policy {
	return &shtypes.PolicyMemberSecurityHub{Value: shtypes.SecurityHubPolicy{
		ServiceEnabled:             aws.Bool(true),
		EnabledStandardIdentifiers: standards,
		SecurityControlsConfiguration: &shtypes.SecurityControlsConfiguration{
			DisabledSecurityControlIdentifiers: append([]string{}, disabled...),
		},
	}}
}

func createPolicy(t *testing.T, api *securityhub.Client, name string, p shtypes.Policy) (*securityhub.CreateConfigurationPolicyOutput, error) {
	t.Helper()
	return api.CreateConfigurationPolicy(ctx(t), &securityhub.CreateConfigurationPolicyInput{Name: aws.String(name), ConfigurationPolicy: p})
}

func mustCreatePolicy(t *testing.T, api *securityhub.Client, name string) string {
	t.Helper()
	out, err := createPolicy(t, api, name, securityHubPolicy([]string{fsbpIn("us-east-1")}))
	if err != nil {
		t.Fatalf("CreateConfigurationPolicy %s: %v", name, err)
	}
	return aws.ToString(out.Id)
}

func associate(t *testing.T, api *securityhub.Client, policy string, target shtypes.Target) (*securityhub.StartConfigurationPolicyAssociationOutput, error) {
	t.Helper()
	return api.StartConfigurationPolicyAssociation(ctx(t), &securityhub.StartConfigurationPolicyAssociationInput{
		ConfigurationPolicyIdentifier: aws.String(policy), Target: target,
	})
}

func mustAssociate(t *testing.T, api *securityhub.Client, policy string, target shtypes.Target) {
	t.Helper()
	if _, err := associate(t, api, policy, target); err != nil {
		t.Fatalf("StartConfigurationPolicyAssociation %s: %v", policy, err)
	}
}

func getAssociation(t *testing.T, api *securityhub.Client, target shtypes.Target) (*securityhub.GetConfigurationPolicyAssociationOutput, error) {
	t.Helper()
	return api.GetConfigurationPolicyAssociation(ctx(t), &securityhub.GetConfigurationPolicyAssociationInput{Target: target})
}

// association is a target's association as POLICY TYPE STATUS.
func association(t *testing.T, api *securityhub.Client, target shtypes.Target) string {
	t.Helper()
	out, err := getAssociation(t, api, target)
	if err != nil {
		t.Fatalf("GetConfigurationPolicyAssociation: %v", err)
	}
	return aws.ToString(out.ConfigurationPolicyId) + " " + string(out.AssociationType) + " " + string(out.AssociationStatus)
}

func rootTarget(id string) shtypes.Target    { return &shtypes.TargetMemberRootId{Value: id} }
func ouTarget(id string) shtypes.Target      { return &shtypes.TargetMemberOrganizationalUnitId{Value: id} }
func accountTarget(id string) shtypes.Target { return &shtypes.TargetMemberAccountId{Value: id} }

// centralOrganization designates security as the Security Hub administrator
// account, gives it a finding aggregator in us-east-1 that links eu-west-1,
// and turns central configuration on; it returns security's client in
// us-east-1.
func centralOrganization(t *testing.T) (aws.Config, motorig.Org, *securityhub.Client) {
	t.Helper()
	cfg, org := srv.SeedT(t)
	mustEnableHubAdmin(t, hubIn(cfg, ""), org.Security)
	security := hubIn(srv.AccountConfigT(t, org.Security), "")
	mustCreateAggregator(t, security, "SPECIFIED_REGIONS", "eu-west-1")
	if err := goCentral(t, security); err != nil {
		t.Fatalf("UpdateOrganizationConfiguration to CENTRAL: %v", err)
	}
	for range 2 {
		configState(t, security)
	}
	if got := configState(t, security); got != "CENTRAL ENABLED" {
		t.Fatalf("organization configuration %s, want CENTRAL ENABLED", got)
	}
	return cfg, org, security
}

// TestSecurityHubCentralConfiguration runs the flow AWS recommends for
// organizations, step by step.
func TestSecurityHubCentralConfiguration(t *testing.T) {
	cfg, org := srv.SeedT(t)
	mgmt := hubIn(cfg, "")
	mustEnableHub(t, mgmt, true)
	mustEnableHubAdmin(t, mgmt, org.Security)
	security := hubIn(srv.AccountConfigT(t, org.Security), "")

	out, err := orgConfig(t, security)
	if err != nil {
		t.Fatal(err)
	}
	if oc := out.OrganizationConfiguration; oc.ConfigurationType != "LOCAL" || oc.Status != "ENABLED" ||
		aws.ToBool(out.AutoEnable) || out.AutoEnableStandards != shtypes.AutoEnableStandardsDefault || aws.ToBool(out.MemberAccountLimitReached) {
		t.Errorf("organization configuration at first: %s %s, AutoEnable %v %s, limit reached %v", oc.ConfigurationType, oc.Status,
			aws.ToBool(out.AutoEnable), out.AutoEnableStandards, aws.ToBool(out.MemberAccountLimitReached))
	}

	// The home Region.
	agg, err := createAggregator(t, security, "SPECIFIED_REGIONS", "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	if m := aggregatorARN.FindStringSubmatch(aws.ToString(agg.FindingAggregatorArn)); m == nil || m[1] != "us-east-1" || m[2] != org.Security ||
		aws.ToString(agg.FindingAggregationRegion) != "us-east-1" || aws.ToString(agg.RegionLinkingMode) != "SPECIFIED_REGIONS" || !slices.Equal(agg.Regions, []string{"eu-west-1"}) {
		t.Errorf("CreateFindingAggregator: %s in %s, %s %v", aws.ToString(agg.FindingAggregatorArn), aws.ToString(agg.FindingAggregationRegion),
			aws.ToString(agg.RegionLinkingMode), agg.Regions)
	}

	// Central configuration, PENDING for one read.
	if err := goCentral(t, security); err != nil {
		t.Fatal(err)
	}
	if got := configState(t, security); got != "CENTRAL PENDING" {
		t.Errorf("first read after the switch: %s, want CENTRAL PENDING", got)
	}
	out, err = orgConfig(t, security)
	if err != nil {
		t.Fatal(err)
	}
	if oc := out.OrganizationConfiguration; oc.ConfigurationType != "CENTRAL" || oc.Status != "ENABLED" ||
		aws.ToBool(out.AutoEnable) || out.AutoEnableStandards != shtypes.AutoEnableStandardsNone {
		t.Errorf("second read: %s %s, AutoEnable %v %s; want CENTRAL ENABLED, false NONE", oc.ConfigurationType, oc.Status, aws.ToBool(out.AutoEnable), out.AutoEnableStandards)
	}
	// The linked Region follows, with the same administrator.
	securityWest := hubIn(srv.AccountConfigT(t, org.Security), "eu-west-1")
	if got := configState(t, securityWest); got != "CENTRAL ENABLED" {
		t.Errorf("in the linked Region eu-west-1: %s, want CENTRAL ENABLED", got)
	}
	if got, _ := hubAdmins(t, hubIn(cfg, "eu-west-1")); !slices.Equal(got, []string{org.Security + " ENABLED"}) {
		t.Errorf("administrators in the linked Region: %v", got)
	}
	// A Region that SPECIFIED_REGIONS does not name is not linked.
	_, err = orgConfig(t, hubIn(srv.AccountConfigT(t, org.Security), "ap-southeast-2"))
	wantCode(t, "Describe in ap-southeast-2, not linked", err, "InvalidAccessException", http.StatusUnauthorized)
	if got, _ := hubAdmins(t, hubIn(cfg, "ap-southeast-2")); len(got) != 0 {
		t.Errorf("administrators in ap-southeast-2: %v, want none", got)
	}

	// A configuration policy.
	params := map[string]shtypes.ParameterConfiguration{
		"daysToExpiration": {ValueType: shtypes.ParameterValueTypeCustom, Value: &shtypes.ParameterValueMemberInteger{Value: 15}},
	}
	policy := securityHubPolicy([]string{fsbpIn("us-east-1"), cisV120}, "IAM.1", "EC2.10").(*shtypes.PolicyMemberSecurityHub)
	policy.Value.SecurityControlsConfiguration.SecurityControlCustomParameters = []shtypes.SecurityControlCustomParameter{
		{SecurityControlId: aws.String("ACM.1"), Parameters: params},
	}
	before := time.Now().Add(-time.Second)
	created, err := security.CreateConfigurationPolicy(ctx(t), &securityhub.CreateConfigurationPolicyInput{
		Name: aws.String("orgbaseline-default"), Description: aws.String("FSBP and CIS 1.2.0"), ConfigurationPolicy: policy,
	})
	if err != nil {
		t.Fatal(err)
	}
	m := policyARN.FindStringSubmatch(aws.ToString(created.Arn))
	if m == nil || m[1] != "us-east-1" || m[2] != org.Security || m[3] != aws.ToString(created.Id) ||
		aws.ToString(created.Name) != "orgbaseline-default" || aws.ToString(created.Description) != "FSBP and CIS 1.2.0" ||
		created.CreatedAt == nil || created.CreatedAt.Before(before) || !created.UpdatedAt.Equal(*created.CreatedAt) {
		t.Errorf("CreateConfigurationPolicy: arn %s id %s name %s created %v updated %v", aws.ToString(created.Arn), aws.ToString(created.Id),
			aws.ToString(created.Name), created.CreatedAt, created.UpdatedAt)
	}
	for _, id := range []string{aws.ToString(created.Id), aws.ToString(created.Arn)} {
		got, err := security.GetConfigurationPolicy(ctx(t), &securityhub.GetConfigurationPolicyInput{Identifier: aws.String(id)})
		if err != nil {
			t.Fatalf("GetConfigurationPolicy %s: %v", id, err)
		}
		p, ok := got.ConfigurationPolicy.(*shtypes.PolicyMemberSecurityHub)
		if !ok || aws.ToString(got.Arn) != aws.ToString(created.Arn) || !aws.ToBool(p.Value.ServiceEnabled) ||
			!slices.Equal(p.Value.EnabledStandardIdentifiers, []string{fsbpIn("us-east-1"), cisV120}) ||
			!slices.Equal(p.Value.SecurityControlsConfiguration.DisabledSecurityControlIdentifiers, []string{"IAM.1", "EC2.10"}) ||
			p.Value.SecurityControlsConfiguration.EnabledSecurityControlIdentifiers != nil {
			t.Errorf("GetConfigurationPolicy %s: %+v", id, got)
			continue
		}
		cp := p.Value.SecurityControlsConfiguration.SecurityControlCustomParameters
		if len(cp) != 1 || aws.ToString(cp[0].SecurityControlId) != "ACM.1" {
			t.Errorf("custom parameters %+v", cp)
		} else if v, ok := cp[0].Parameters["daysToExpiration"].Value.(*shtypes.ParameterValueMemberInteger); !ok || v.Value != 15 ||
			cp[0].Parameters["daysToExpiration"].ValueType != shtypes.ParameterValueTypeCustom {
			t.Errorf("daysToExpiration %+v", cp[0].Parameters["daysToExpiration"])
		}
	}
	list, err := security.ListConfigurationPolicies(ctx(t), &securityhub.ListConfigurationPoliciesInput{})
	if err != nil || len(list.ConfigurationPolicySummaries) != 1 || aws.ToString(list.ConfigurationPolicySummaries[0].Id) != aws.ToString(created.Id) ||
		!aws.ToBool(list.ConfigurationPolicySummaries[0].ServiceEnabled) {
		t.Errorf("ListConfigurationPolicies: %+v, %v", list, err)
	}

	// Associated with the root: PENDING, then SUCCESS after one read; the
	// accounts inherit it.
	started, err := associate(t, security, aws.ToString(created.Arn), rootTarget(org.RootID))
	if err != nil {
		t.Fatal(err)
	}
	if started.AssociationStatus != "PENDING" || started.AssociationType != "APPLIED" || aws.ToString(started.ConfigurationPolicyId) != aws.ToString(created.Id) ||
		aws.ToString(started.TargetId) != org.RootID || started.TargetType != shtypes.TargetTypeRoot || started.UpdatedAt == nil {
		t.Errorf("StartConfigurationPolicyAssociation: %+v", started)
	}
	id := aws.ToString(created.Id)
	if got := association(t, security, rootTarget(org.RootID)); got != id+" APPLIED PENDING" {
		t.Errorf("first read of the root's association: %s", got)
	}
	if got := association(t, security, rootTarget(org.RootID)); got != id+" APPLIED SUCCESS" {
		t.Errorf("second read of the root's association: %s", got)
	}
	if got := association(t, security, accountTarget(org.Workloads[0])); got != id+" INHERITED SUCCESS" {
		t.Errorf("workload-a's association: %s", got)
	}
}

func TestSecurityHubCentralConfigurationRefusals(t *testing.T) {
	cfg, org := srv.SeedT(t)
	mgmt := hubIn(cfg, "")
	mustEnableHubAdmin(t, mgmt, org.Security)
	mustEnableHubAdmin(t, hubIn(cfg, "eu-west-1"), org.Security)
	securityCfg := srv.AccountConfigT(t, org.Security)
	security, securityWest := hubIn(securityCfg, ""), hubIn(securityCfg, "eu-west-1")
	logArchive := hubIn(srv.AccountConfigT(t, org.LogArchive), "")
	mustEnableHub(t, logArchive, true)

	// Only the administrator reads and updates the organization
	// configuration.
	for name, api := range map[string]*securityhub.Client{"log-archive": logArchive, "the management account": mgmt} {
		_, err := orgConfig(t, api)
		wantCode(t, "Describe from "+name, err, "InvalidAccessException", http.StatusUnauthorized)
		wantCode(t, "Update from "+name, updateConfig(t, api, true, "", ""), "InvalidAccessException", http.StatusUnauthorized)
	}
	_, err := orgConfig(t, hubIn(securityCfg, "ap-southeast-2"))
	wantCode(t, "Describe where security is not the administrator", err, "InvalidAccessException", http.StatusUnauthorized)

	// Local configuration: AutoEnable and AutoEnableStandards as given.
	if err := updateConfig(t, security, true, shtypes.AutoEnableStandardsNone, ""); err != nil {
		t.Fatal(err)
	}
	if out, err := orgConfig(t, security); err != nil || !aws.ToBool(out.AutoEnable) || out.AutoEnableStandards != shtypes.AutoEnableStandardsNone {
		t.Errorf("after the local update: %+v, %v", out, err)
	}
	wantCode(t, "Update with AutoEnableStandards ALL", updateConfig(t, security, true, "ALL", ""), "InvalidInputException", http.StatusBadRequest)

	// Central configuration needs a finding aggregator, the home Region,
	// AutoEnable false and AutoEnableStandards NONE.
	wantCode(t, "CENTRAL without a finding aggregator", goCentral(t, security), "InvalidInputException", http.StatusBadRequest)
	mustCreateAggregator(t, security, "NO_REGIONS")
	wantCode(t, "Update to ConfigurationType HYBRID", updateConfig(t, security, false, shtypes.AutoEnableStandardsNone, "HYBRID"), "InvalidInputException", http.StatusBadRequest)
	err = goCentral(t, securityWest)
	wantCode(t, "CENTRAL from eu-west-1", err, "InvalidInputException", http.StatusBadRequest)
	if err != nil && !strings.Contains(err.Error(), "us-east-1") {
		t.Errorf("the error does not name the home Region us-east-1: %v", err)
	}
	wantCode(t, "CENTRAL with AutoEnable", updateConfig(t, security, true, shtypes.AutoEnableStandardsNone, "CENTRAL"), "InvalidInputException", http.StatusBadRequest)
	wantCode(t, "CENTRAL with the default standards", updateConfig(t, security, false, shtypes.AutoEnableStandardsDefault, "CENTRAL"), "InvalidInputException", http.StatusBadRequest)
	if got := configState(t, security); got != "LOCAL ENABLED" {
		t.Errorf("after the refusals: %s, want LOCAL ENABLED", got)
	}

	// Configuration policies need central configuration ENABLED, in the home
	// Region, and the administrator.
	_, err = createPolicy(t, security, "early", securityHubPolicy(nil))
	wantCode(t, "CreateConfigurationPolicy under local configuration", err, "AccessDeniedException", http.StatusForbidden)
	if err := goCentral(t, security); err != nil {
		t.Fatal(err)
	}
	_, err = createPolicy(t, security, "early", securityHubPolicy(nil))
	wantCode(t, "CreateConfigurationPolicy while PENDING", err, "AccessDeniedException", http.StatusForbidden)
	configState(t, security)
	if got := configState(t, security); got != "CENTRAL ENABLED" {
		t.Fatalf("after two reads: %s, want CENTRAL ENABLED", got)
	}
	// Central configuration again changes nothing; AutoEnable cannot be
	// turned on under it.
	if err := goCentral(t, security); err != nil || configState(t, security) != "CENTRAL ENABLED" {
		t.Errorf("CENTRAL again: %v", err)
	}
	wantCode(t, "AutoEnable under central configuration", updateConfig(t, security, true, "", ""), "InvalidInputException", http.StatusBadRequest)
	// eu-west-1 is not linked (NO_REGIONS): its configuration stays local.
	if got := configState(t, securityWest); got != "LOCAL ENABLED" {
		t.Errorf("in eu-west-1, not linked: %s", got)
	}
	_, err = createPolicy(t, securityWest, "west", securityHubPolicy(nil))
	wantCode(t, "CreateConfigurationPolicy outside the home Region", err, "AccessDeniedException", http.StatusForbidden)
	_, err = createPolicy(t, logArchive, "mine", securityHubPolicy(nil))
	wantCode(t, "CreateConfigurationPolicy from log-archive", err, "InvalidAccessException", http.StatusUnauthorized)
	_, err = logArchive.ListConfigurationPolicies(ctx(t), &securityhub.ListConfigurationPoliciesInput{})
	wantCode(t, "ListConfigurationPolicies from log-archive", err, "InvalidAccessException", http.StatusUnauthorized)

	// Names are unique and of the documented characters; policies are
	// checked.
	mustCreatePolicy(t, security, "orgbaseline/default-1.0")
	_, err = createPolicy(t, security, "orgbaseline/default-1.0", securityHubPolicy(nil))
	wantCode(t, "a second policy of the same name", err, "ResourceConflictException", http.StatusConflict)
	_, err = createPolicy(t, security, "has space", securityHubPolicy(nil))
	wantCode(t, "a name with a space", err, "InvalidInputException", http.StatusBadRequest)
	_, err = createPolicy(t, security, "west-standard", securityHubPolicy([]string{fsbpIn("eu-west-1")}))
	wantCode(t, "a standard of another Region", err, "InvalidInputException", http.StatusBadRequest)
	both := securityHubPolicy(nil, "IAM.1").(*shtypes.PolicyMemberSecurityHub)
	both.Value.SecurityControlsConfiguration.EnabledSecurityControlIdentifiers = []string{"S3.1"}
	_, err = createPolicy(t, security, "both", both)
	wantCode(t, "enabled and disabled controls", err, "InvalidInputException", http.StatusBadRequest)

	// Updates: the given members replace the policy's; a new name must be
	// free.
	second := mustCreatePolicy(t, security, "second")
	upd, err := security.UpdateConfigurationPolicy(ctx(t), &securityhub.UpdateConfigurationPolicyInput{
		Identifier: aws.String(second), Name: aws.String("renamed"), Description: aws.String("now with NIST"),
		UpdatedReason: aws.String("NIST 800-53"), ConfigurationPolicy: securityHubPolicy([]string{"arn:aws:securityhub:us-east-1::" + nist53}),
	})
	if err != nil {
		t.Fatal(err)
	}
	p := upd.ConfigurationPolicy.(*shtypes.PolicyMemberSecurityHub)
	if aws.ToString(upd.Name) != "renamed" || aws.ToString(upd.Description) != "now with NIST" ||
		!slices.Equal(p.Value.EnabledStandardIdentifiers, []string{"arn:aws:securityhub:us-east-1::" + nist53}) || upd.UpdatedAt.Before(*upd.CreatedAt) {
		t.Errorf("UpdateConfigurationPolicy: %+v", upd)
	}
	_, err = security.UpdateConfigurationPolicy(ctx(t), &securityhub.UpdateConfigurationPolicyInput{Identifier: aws.String(second), Name: aws.String("orgbaseline/default-1.0")})
	wantCode(t, "renaming to a taken name", err, "ResourceConflictException", http.StatusConflict)
	_, err = security.UpdateConfigurationPolicy(ctx(t), &securityhub.UpdateConfigurationPolicyInput{Identifier: aws.String(second), UpdatedReason: aws.String(" ")})
	wantCode(t, "a blank UpdatedReason", err, "InvalidInputException", http.StatusBadRequest)
	missing := "00000000-0000-4000-8000-000000000000"
	_, err = security.GetConfigurationPolicy(ctx(t), &securityhub.GetConfigurationPolicyInput{Identifier: aws.String(missing)})
	wantCode(t, "GetConfigurationPolicy of a missing policy", err, "ResourceNotFoundException", http.StatusNotFound)
	_, err = security.UpdateConfigurationPolicy(ctx(t), &securityhub.UpdateConfigurationPolicyInput{Identifier: aws.String(missing), Name: aws.String("x")})
	wantCode(t, "UpdateConfigurationPolicy of a missing policy", err, "ResourceNotFoundException", http.StatusNotFound)
	_, err = security.GetConfigurationPolicy(ctx(t), &securityhub.GetConfigurationPolicyInput{Identifier: aws.String("policy-1")})
	wantCode(t, "GetConfigurationPolicy of a malformed identifier", err, "InvalidInputException", http.StatusBadRequest)

	// Paging, by name.
	var names []string
	pages := 0
	pg := securityhub.NewListConfigurationPoliciesPaginator(security, &securityhub.ListConfigurationPoliciesInput{MaxResults: aws.Int32(1)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if pages++; pages > 5 {
			t.Fatalf("ListConfigurationPolicies by 1: more than 5 pages (%v)", names)
		}
		for _, s := range page.ConfigurationPolicySummaries {
			names = append(names, aws.ToString(s.Name))
		}
	}
	if !slices.Equal(names, []string{"orgbaseline/default-1.0", "renamed"}) || pages != 2 {
		t.Errorf("ListConfigurationPolicies by 1: %v in %d pages", names, pages)
	}
	_, err = security.ListConfigurationPolicies(ctx(t), &securityhub.ListConfigurationPoliciesInput{MaxResults: aws.Int32(101)})
	wantCode(t, "ListConfigurationPolicies with MaxResults 101", err, "InvalidInputException", http.StatusBadRequest)

	// Back to local configuration only without policies.
	err = updateConfig(t, security, false, "", shtypes.OrganizationConfigurationConfigurationTypeLocal)
	wantCode(t, "LOCAL with policies", err, "ResourceConflictException", http.StatusConflict)
	if got := configState(t, security); got != "CENTRAL ENABLED" {
		t.Errorf("after the refused switch to LOCAL: %s", got)
	}
}

func TestSecurityHubCentralConfigurationManagementAdmin(t *testing.T) {
	cfg, _ := srv.SeedT(t)
	mgmt := hubIn(cfg, "")
	mustEnableHubAdmin(t, mgmt, motorig.ManagementAccountID)
	mustCreateAggregator(t, mgmt, "ALL_REGIONS")
	err := goCentral(t, mgmt)
	wantCode(t, "CENTRAL with the management account as administrator", err, "InvalidInputException", http.StatusBadRequest)
	if got := configState(t, mgmt); got != "LOCAL ENABLED" {
		t.Errorf("after the refusal: %s", got)
	}
}

func TestSecurityHubCentralConfigurationSettings(t *testing.T) {
	cfg, org := srv.SeedT(t)
	fake := srv.FakeAWS()
	t.Cleanup(func() { fake.SetSecurityHubPendingReads(1); fake.FailCentralConfiguration("") })
	mustEnableHubAdmin(t, hubIn(cfg, ""), org.Security)
	security := hubIn(srv.AccountConfigT(t, org.Security), "")
	mustCreateAggregator(t, security, "ALL_REGIONS_EXCEPT_SPECIFIED", "ap-south-1")

	fake.FailCentralConfiguration("The delegated administrator lacks the AWSServiceRoleForSecurityHub role")
	fake.SetSecurityHubPendingReads(3)
	if err := goCentral(t, security); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if got := configState(t, security); got != "CENTRAL PENDING" {
			t.Errorf("read %d: %s, want CENTRAL PENDING", i, got)
		}
	}
	out, err := orgConfig(t, security)
	if err != nil || out.OrganizationConfiguration.Status != "FAILED" || !strings.Contains(aws.ToString(out.OrganizationConfiguration.StatusMessage), "AWSServiceRoleForSecurityHub") {
		t.Errorf("read 4: %+v, %v; want FAILED with the message", out.OrganizationConfiguration, err)
	}
	_, err = createPolicy(t, security, "failed", securityHubPolicy(nil))
	wantCode(t, "CreateConfigurationPolicy after FAILED", err, "AccessDeniedException", http.StatusForbidden)

	// Tried again, it succeeds; with no pending read, at once.
	fake.FailCentralConfiguration("")
	fake.SetSecurityHubPendingReads(0)
	if err := goCentral(t, security); err != nil {
		t.Fatal(err)
	}
	if got := configState(t, security); got != "CENTRAL ENABLED" {
		t.Errorf("the second switch: %s, want CENTRAL ENABLED at once", got)
	}
	// ALL_REGIONS_EXCEPT_SPECIFIED links every Region but the listed ones.
	securityCfg := srv.AccountConfigT(t, org.Security)
	if got := configState(t, hubIn(securityCfg, "eu-central-1")); got != "CENTRAL ENABLED" {
		t.Errorf("in the linked eu-central-1: %s", got)
	}
	_, err = orgConfig(t, hubIn(securityCfg, "ap-south-1"))
	wantCode(t, "Describe in the excluded ap-south-1", err, "InvalidAccessException", http.StatusUnauthorized)
	id := mustCreatePolicy(t, security, "at-once")
	mustAssociate(t, security, id, rootTarget(org.RootID))
	if got := association(t, security, rootTarget(org.RootID)); got != id+" APPLIED SUCCESS" {
		t.Errorf("association with no pending read: %s", got)
	}
}

func TestSecurityHubFindingAggregator(t *testing.T) {
	cfg, org := srv.SeedT(t)
	mustEnableHubAdmin(t, hubIn(cfg, ""), org.Security)
	securityCfg := srv.AccountConfigT(t, org.Security)
	security, securityWest := hubIn(securityCfg, ""), hubIn(securityCfg, "eu-west-1")

	for _, tc := range []struct {
		mode    string
		regions []string
	}{
		{"NO_REGIONS", []string{"eu-west-1"}},
		{"ALL_REGIONS", []string{"eu-west-1"}},
		{"SPECIFIED_REGIONS", nil},
		{"ALL_REGIONS_EXCEPT_SPECIFIED", nil},
		{"SPECIFIED_REGIONS", []string{"the-moon"}},
		{"SOME_REGIONS", nil},
	} {
		_, err := createAggregator(t, security, tc.mode, tc.regions...)
		wantCode(t, fmt.Sprintf("CreateFindingAggregator %s %v", tc.mode, tc.regions), err, "InvalidInputException", http.StatusBadRequest)
	}
	_, err := createAggregator(t, securityWest, "NO_REGIONS")
	wantCode(t, "CreateFindingAggregator without Security Hub in the Region", err, "InvalidAccessException", http.StatusUnauthorized)

	arn := mustCreateAggregator(t, security, "SPECIFIED_REGIONS", "eu-west-1", "eu-central-1")
	// One per account.
	err = func() error { _, err := createAggregator(t, security, "ALL_REGIONS"); return err }()
	wantCode(t, "a second finding aggregator", err, "InvalidInputException", http.StatusBadRequest)
	mustEnableHub(t, securityWest, false)
	_, err = createAggregator(t, securityWest, "ALL_REGIONS")
	wantCode(t, "a second finding aggregator in eu-west-1", err, "InvalidInputException", http.StatusBadRequest)

	// Listed and read from any Region with Security Hub.
	for _, api := range []*securityhub.Client{security, securityWest} {
		list, err := api.ListFindingAggregators(ctx(t), &securityhub.ListFindingAggregatorsInput{MaxResults: aws.Int32(1)})
		if err != nil || len(list.FindingAggregators) != 1 || aws.ToString(list.FindingAggregators[0].FindingAggregatorArn) != arn || list.NextToken != nil {
			t.Errorf("ListFindingAggregators: %+v, %v", list, err)
		}
		got, err := api.GetFindingAggregator(ctx(t), &securityhub.GetFindingAggregatorInput{FindingAggregatorArn: aws.String(arn)})
		if err != nil || aws.ToString(got.FindingAggregationRegion) != "us-east-1" || !slices.Equal(got.Regions, []string{"eu-west-1", "eu-central-1"}) {
			t.Errorf("GetFindingAggregator: %+v, %v", got, err)
		}
	}
	_, err = security.ListFindingAggregators(ctx(t), &securityhub.ListFindingAggregatorsInput{MaxResults: aws.Int32(101)})
	wantCode(t, "ListFindingAggregators with MaxResults 101", err, "InvalidInputException", http.StatusBadRequest)
	other := "arn:aws:securityhub:us-east-1:" + org.Security + ":finding-aggregator/00000000-0000-4000-8000-000000000000"
	_, err = security.GetFindingAggregator(ctx(t), &securityhub.GetFindingAggregatorInput{FindingAggregatorArn: aws.String(other)})
	wantCode(t, "GetFindingAggregator of another aggregator", err, "ResourceNotFoundException", http.StatusNotFound)
	_, err = security.GetFindingAggregator(ctx(t), &securityhub.GetFindingAggregatorInput{FindingAggregatorArn: aws.String("aggregator")})
	wantCode(t, "GetFindingAggregator of a malformed ARN", err, "InvalidInputException", http.StatusBadRequest)
	_, err = hubIn(cfg, "").ListFindingAggregators(ctx(t), &securityhub.ListFindingAggregatorsInput{})
	wantCode(t, "ListFindingAggregators without Security Hub", err, "InvalidAccessException", http.StatusUnauthorized)

	// Updated from the home Region only, which it keeps.
	update := func(api *securityhub.Client, mode string, regions ...string) (*securityhub.UpdateFindingAggregatorOutput, error) {
		return api.UpdateFindingAggregator(ctx(t), &securityhub.UpdateFindingAggregatorInput{
			FindingAggregatorArn: aws.String(arn), RegionLinkingMode: aws.String(mode), Regions: regions,
		})
	}
	_, err = update(securityWest, "NO_REGIONS")
	wantCode(t, "UpdateFindingAggregator from eu-west-1", err, "InvalidInputException", http.StatusBadRequest)
	_, err = update(security, "NO_REGIONS", "eu-west-1")
	wantCode(t, "UpdateFindingAggregator NO_REGIONS with Regions", err, "InvalidInputException", http.StatusBadRequest)
	upd, err := update(security, "ALL_REGIONS")
	if err != nil || aws.ToString(upd.RegionLinkingMode) != "ALL_REGIONS" || len(upd.Regions) != 0 || aws.ToString(upd.FindingAggregationRegion) != "us-east-1" {
		t.Errorf("UpdateFindingAggregator: %+v, %v", upd, err)
	}

	// A member account cannot have one.
	if _, err := security.CreateMembers(ctx(t), &securityhub.CreateMembersInput{AccountDetails: details(org.LogArchive)}); err != nil {
		t.Fatal(err)
	}
	_, err = createAggregator(t, hubIn(srv.AccountConfigT(t, org.LogArchive), ""), "ALL_REGIONS")
	wantCode(t, "CreateFindingAggregator from a member account", err, "InvalidInputException", http.StatusBadRequest)
}

func TestSecurityHubPolicyAssociations(t *testing.T) {
	cfg, org, security := centralOrganization(t)
	orgs := organizations.NewFromConfig(cfg)
	ou, err := orgs.CreateOrganizationalUnit(ctx(t), &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(org.RootID), Name: aws.String("workloads")})
	if err != nil {
		t.Fatal(err)
	}
	ouID := aws.ToString(ou.OrganizationalUnit.Id)
	for _, id := range org.Workloads[:2] {
		if _, err := orgs.MoveAccount(ctx(t), &organizations.MoveAccountInput{
			AccountId: aws.String(id), SourceParentId: aws.String(org.RootID), DestinationParentId: aws.String(ouID),
		}); err != nil {
			t.Fatal(err)
		}
	}
	a := mustCreatePolicy(t, security, "for-the-root")
	b := mustCreatePolicy(t, security, "for-workloads")
	got, err := security.GetConfigurationPolicy(ctx(t), &securityhub.GetConfigurationPolicyInput{Identifier: aws.String(b)})
	if err != nil {
		t.Fatal(err)
	}
	bARN := aws.ToString(got.Arn)

	// Before any association, every target is self-managed.
	if got := association(t, security, accountTarget(org.Workloads[0])); got != "SELF_MANAGED_SECURITY_HUB INHERITED SUCCESS" {
		t.Errorf("before any association: %s", got)
	}

	mustAssociate(t, security, a, rootTarget(org.RootID))
	mustAssociate(t, security, bARN, ouTarget(ouID))
	mustAssociate(t, security, "SELF_MANAGED_SECURITY_HUB", accountTarget(org.Workloads[1]))
	// An inherited association shows its source's status as it stands.
	for _, tc := range []struct {
		target shtypes.Target
		first  string
	}{
		{rootTarget(org.RootID), a + " APPLIED PENDING"},
		{ouTarget(ouID), b + " APPLIED PENDING"},
		{accountTarget(org.Workloads[1]), "SELF_MANAGED_SECURITY_HUB APPLIED PENDING"},
		{accountTarget(org.Workloads[0]), b + " INHERITED PENDING"},
		{accountTarget(org.Workloads[2]), a + " INHERITED PENDING"},
		{accountTarget(org.Management), a + " INHERITED PENDING"},
		{rootTarget(org.RootID), a + " APPLIED SUCCESS"},
		{accountTarget(org.Workloads[2]), a + " INHERITED SUCCESS"},
	} {
		if got := association(t, security, tc.target); got != tc.first {
			t.Errorf("%+v: %s, want %s", tc.target, got, tc.first)
		}
	}
	if got := association(t, security, accountTarget(org.Workloads[1])); got != "SELF_MANAGED_SECURITY_HUB APPLIED SUCCESS" {
		t.Errorf("workload-b's second read: %s", got)
	}

	// Unknown targets and policies.
	for name, target := range map[string]shtypes.Target{
		"an outsider":    accountTarget(outsider),
		"a missing OU":   ouTarget("ou-" + strings.TrimPrefix(org.RootID, "r-") + "-zzzzzzzz"),
		"a missing root": rootTarget("r-zzzz"),
		"another root":   rootTarget(org.RootID + "0"),
	} {
		_, err := associate(t, security, a, target)
		wantCode(t, "StartConfigurationPolicyAssociation with "+name, err, "ResourceNotFoundException", http.StatusNotFound)
		_, err = getAssociation(t, security, target)
		wantCode(t, "GetConfigurationPolicyAssociation of "+name, err, "ResourceNotFoundException", http.StatusNotFound)
	}
	_, err = associate(t, security, a, ouTarget("ou-x"))
	wantCode(t, "a malformed OU ID", err, "InvalidInputException", http.StatusBadRequest)
	_, err = associate(t, security, "00000000-0000-4000-8000-000000000000", accountTarget(org.LogArchive))
	wantCode(t, "a missing policy", err, "ResourceNotFoundException", http.StatusNotFound)
	_, err = associate(t, hubIn(srv.AccountConfigT(t, org.LogArchive), ""), a, accountTarget(org.LogArchive))
	wantCode(t, "an association by log-archive", err, "InvalidAccessException", http.StatusUnauthorized)

	// Every target, by ID, filtered and paged.
	listed := func(filters *shtypes.AssociationFilters, size int32) ([]string, int) {
		t.Helper()
		in := &securityhub.ListConfigurationPolicyAssociationsInput{Filters: filters}
		if size > 0 {
			in.MaxResults = aws.Int32(size)
		}
		var all []string
		pages := 0
		p := securityhub.NewListConfigurationPolicyAssociationsPaginator(security, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx(t))
			if err != nil {
				t.Fatalf("ListConfigurationPolicyAssociations: %v", err)
			}
			pages++
			for _, s := range page.ConfigurationPolicyAssociationSummaries {
				all = append(all, aws.ToString(s.TargetId)+" "+aws.ToString(s.ConfigurationPolicyId)+" "+string(s.AssociationType)+" "+string(s.AssociationStatus))
			}
		}
		return all, pages
	}
	all, pages := listed(nil, 3)
	if len(all) != 2+len(org.Accounts) || pages != 3 {
		t.Errorf("ListConfigurationPolicyAssociations by 3: %v in %d pages, want the root, the OU and %d accounts in 3", all, pages, len(org.Accounts))
	}
	want := []string{org.Workloads[0] + " " + b + " INHERITED SUCCESS", ouID + " " + b + " APPLIED SUCCESS"}
	slices.Sort(want)
	if got, _ := listed(&shtypes.AssociationFilters{ConfigurationPolicyId: aws.String(bARN)}, 0); !slices.Equal(got, want) {
		t.Errorf("filtered by %s: %v, want %v", bARN, got, want)
	}
	if got, _ := listed(&shtypes.AssociationFilters{AssociationType: shtypes.AssociationTypeApplied}, 0); len(got) != 3 {
		t.Errorf("filtered by APPLIED: %v, want the root, the OU and workload-b", got)
	}
	if got, _ := listed(&shtypes.AssociationFilters{ConfigurationPolicyId: aws.String("SELF_MANAGED_SECURITY_HUB")}, 0); !slices.Equal(got, []string{org.Workloads[1] + " SELF_MANAGED_SECURITY_HUB APPLIED SUCCESS"}) {
		t.Errorf("filtered by SELF_MANAGED_SECURITY_HUB: %v", got)
	}
	_, err = security.ListConfigurationPolicyAssociations(ctx(t), &securityhub.ListConfigurationPolicyAssociationsInput{MaxResults: aws.Int32(0)})
	wantCode(t, "ListConfigurationPolicyAssociations with MaxResults 0", err, "InvalidInputException", http.StatusBadRequest)

	// A new association replaces the target's.
	mustAssociate(t, security, "SELF_MANAGED_SECURITY_HUB", rootTarget(org.RootID))
	if got := association(t, security, accountTarget(org.Workloads[2])); got != "SELF_MANAGED_SECURITY_HUB INHERITED PENDING" {
		t.Errorf("workload-c after the root's new association: %s", got)
	}
	// Listing reads the root's association once more: PENDING, with the
	// accounts that inherit it (not workload-a and workload-b).
	pending, _ := listed(&shtypes.AssociationFilters{AssociationStatus: shtypes.ConfigurationPolicyAssociationStatusPending}, 0)
	if len(pending) != 5 || !slices.Contains(pending, org.RootID+" SELF_MANAGED_SECURITY_HUB APPLIED PENDING") ||
		slices.ContainsFunc(pending, func(s string) bool {
			return strings.HasPrefix(s, org.Workloads[0]) || strings.HasPrefix(s, org.Workloads[1])
		}) {
		t.Errorf("filtered by PENDING: %v, want the root, the management, security, log-archive and workload-c accounts", pending)
	}
	if got := association(t, security, rootTarget(org.RootID)); got != "SELF_MANAGED_SECURITY_HUB APPLIED SUCCESS" {
		t.Errorf("the root's read after the listing: %s", got)
	}
	if got := association(t, security, accountTarget(org.Workloads[2])); got != "SELF_MANAGED_SECURITY_HUB INHERITED SUCCESS" {
		t.Errorf("workload-c then: %s", got)
	}
}

// TestSecurityHubAdministratorRemovedThroughOrganizations: deregistering
// Security Hub's delegated administrator in Organizations removes it in
// every Region and stops central configuration, with its policies and
// associations; the management account, where it is the administrator,
// stays.
func TestSecurityHubAdministratorRemovedThroughOrganizations(t *testing.T) {
	cfg, org, security := centralOrganization(t)
	mustEnableHubAdmin(t, hubIn(cfg, "ap-southeast-2"), org.Security)
	mustEnableHubAdmin(t, hubIn(cfg, "ap-northeast-1"), org.Management)
	id := mustCreatePolicy(t, security, "baseline")
	mustAssociate(t, security, id, rootTarget(org.RootID))
	for _, region := range []string{"us-east-1", "eu-west-1", "ap-southeast-2"} {
		if got, err := hubAdmins(t, hubIn(cfg, region)); err != nil || !slices.Equal(got, []string{org.Security + " ENABLED"}) {
			t.Fatalf("administrators in %s before: %v, %v", region, got, err)
		}
	}

	if _, err := organizations.NewFromConfig(cfg).DeregisterDelegatedAdministrator(ctx(t), &organizations.DeregisterDelegatedAdministratorInput{
		AccountId: aws.String(org.Security), ServicePrincipal: aws.String("securityhub.amazonaws.com"),
	}); err != nil {
		t.Fatal(err)
	}
	// Removed in every Region, the linked one included.
	for _, region := range []string{"us-east-1", "eu-west-1", "ap-southeast-2"} {
		if got, err := hubAdmins(t, hubIn(cfg, region)); err != nil || len(got) != 0 {
			t.Errorf("administrators in %s after the deregistration: %v, %v; want none", region, got, err)
		}
	}
	if got, err := hubAdmins(t, hubIn(cfg, "ap-northeast-1")); err != nil || !slices.Equal(got, []string{org.Management + " ENABLED"}) {
		t.Errorf("administrators in ap-northeast-1: %v, %v; want the management account", got, err)
	}
	_, err := orgConfig(t, security)
	wantCode(t, "DescribeOrganizationConfiguration by the former administrator", err, "InvalidAccessException", http.StatusUnauthorized)
	// Security Hub and the finding aggregator stay in the former
	// administrator; trusted access stays in Organizations.
	if _, err := security.DescribeHub(ctx(t), &securityhub.DescribeHubInput{}); err != nil {
		t.Errorf("DescribeHub in the former administrator: %v", err)
	}
	if aggs, err := security.ListFindingAggregators(ctx(t), &securityhub.ListFindingAggregatorsInput{}); err != nil || len(aggs.FindingAggregators) != 1 {
		t.Errorf("the former administrator's finding aggregators: %+v, %v; want one", aggs, err)
	}
	if trusted, delegated := hubInOrganizations(t, cfg); !trusted || len(delegated) != 0 {
		t.Errorf("Organizations: trusted access %v, delegated administrators %v; want true, none", trusted, delegated)
	}

	// Designated again, it finds no central configuration and no policy.
	mustEnableHubAdmin(t, hubIn(cfg, ""), org.Security)
	if got := configState(t, security); strings.HasPrefix(got, "CENTRAL") {
		t.Errorf("organization configuration after designating again: %s, want LOCAL", got)
	}
	if err := goCentral(t, security); err != nil {
		t.Fatalf("UpdateOrganizationConfiguration to CENTRAL again: %v", err)
	}
	for range 2 {
		configState(t, security)
	}
	list, err := security.ListConfigurationPolicies(ctx(t), &securityhub.ListConfigurationPoliciesInput{})
	if err != nil || len(list.ConfigurationPolicySummaries) != 0 {
		t.Errorf("configuration policies after designating again: %+v, %v; want none", list, err)
	}
	// Without associations, every target is self-managed.
	assoc, err := security.ListConfigurationPolicyAssociations(ctx(t), &securityhub.ListConfigurationPolicyAssociationsInput{})
	if err != nil || len(assoc.ConfigurationPolicyAssociationSummaries) == 0 {
		t.Fatalf("associations after designating again: %+v, %v", assoc, err)
	}
	for _, a := range assoc.ConfigurationPolicyAssociationSummaries {
		if p, typ := aws.ToString(a.ConfigurationPolicyId), a.AssociationType; p != "SELF_MANAGED_SECURITY_HUB" || typ != shtypes.AssociationTypeInherited {
			t.Errorf("%s %s after designating again: %s %s, want SELF_MANAGED_SECURITY_HUB INHERITED", a.TargetType, aws.ToString(a.TargetId), p, typ)
		}
	}
}
