package coverage

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgbaseline/orgbaseline/shared/report"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

const (
	mgmt = "111111111111"
	sec  = "222222222222"
	prod = "333333333333"
	dev  = "444444444444"
)

var sampleAccounts = []Account{
	{ID: mgmt, Name: "management", OU: "Root", OUID: "r-1"},
	{ID: sec, Name: "security", OU: "Root/Security", OUID: "ou-sec"},
	{ID: prod, Name: "prod", OU: "Root/Workloads/Prod", OUID: "ou-prod"},
	{ID: dev, Name: "dev", OU: "Root/Workloads/Dev", OUID: "ou-dev"},
}

func samplePlan() report.Report {
	o := func(account, region, service string, status workflow.Status, reason string, actions ...workflow.Action) workflow.Outcome {
		return workflow.Outcome{Account: account, Region: region, Service: service, Status: status, Reason: reason, Actions: actions}
	}
	return report.FromResults(workflow.ModePlan,
		workflow.StepResult{Step: "org-targets", Outcomes: []workflow.Outcome{
			o(dev, "-", "targets", workflow.StatusSkipped, "account is SUSPENDED"),
		}},
		workflow.StepResult{Step: "org-prerequisites", Outcomes: []workflow.Outcome{
			o(mgmt, workflow.RegionGlobal, "config", workflow.StatusUnchanged, ""),
			o(mgmt, workflow.RegionGlobal, "guardduty", workflow.StatusPlanned, "", workflow.Action{Call: "organizations:EnableAWSServiceAccess", Target: "guardduty.amazonaws.com"}),
		}},
		workflow.StepResult{Step: "config-recorders", Outcomes: []workflow.Outcome{
			o(mgmt, "us-east-1", "config", workflow.StatusUnchanged, ""),
			o(mgmt, "eu-west-1", "config", workflow.StatusUnchanged, ""),
			o(sec, "us-east-1", "config", workflow.StatusUnchanged, ""),
			o(sec, "eu-west-1", "config", workflow.StatusPlanned, "recorder default is stopped", workflow.Action{Call: "config:StartConfigurationRecorder", Target: "default"}),
			o(prod, "us-east-1", "config", workflow.StatusFailed, "AccessDenied: the execution role cannot be assumed"),
			o(prod, "eu-west-1", "config", workflow.StatusSkipped, "excluded by scope (OU ou-prod)"),
		}},
		workflow.StepResult{Step: "config-rules", Outcomes: []workflow.Outcome{
			o(sec, "us-east-1", "config", workflow.StatusPlanned, "conformance pack missing", workflow.Action{Call: "config:PutOrganizationConformancePack", Target: "pack"}),
		}},
		workflow.StepResult{Step: "guardduty-members", Outcomes: []workflow.Outcome{
			o(workflow.SummaryAccount, "us-east-1", "guardduty", workflow.StatusUnchanged, "3 more rows"),
		}},
	)
}

func cellOf(t *testing.T, m Matrix, account, region, service string) Cell {
	t.Helper()
	for _, c := range m.Cells {
		if c.Account == account && c.Region == region && c.Service == service {
			return c
		}
	}
	t.Fatalf("no cell %s %s %s", account, region, service)
	return Cell{}
}

func TestBuildFoldsEachCellsRows(t *testing.T) {
	m := Build(samplePlan(), sampleAccounts, []string{"config", "guardduty"}, []string{"us-east-1", "eu-west-1"})
	if len(m.Cells) != 4*2*2 {
		t.Fatalf("%d cells, want 16", len(m.Cells))
	}
	for _, tt := range []struct {
		account, region, service string
		state                    State
		reason                   string
	}{
		{mgmt, "us-east-1", "config", On, ""},
		{sec, "eu-west-1", "config", Off, "recorder default is stopped"},
		// Found as configured by one step, would change by another.
		{sec, "us-east-1", "config", Partial, "conformance pack missing"},
		{prod, "us-east-1", "config", Error, "AccessDenied"},
		{prod, "eu-west-1", "config", Excluded, "excluded by scope (OU ou-prod)"},
		// The suspended account has no config row: the targets' skip is
		// not a service's cell.
		{dev, "us-east-1", "config", None, ""},
		{prod, "us-east-1", "guardduty", Folded, "unchanged"},
		{prod, "eu-west-1", "guardduty", None, ""},
	} {
		c := cellOf(t, m, tt.account, tt.region, tt.service)
		if c.State != tt.state || !strings.Contains(c.Reason, tt.reason) {
			t.Errorf("%s %s %s: expect %s (%q), got %s (%q)", tt.account, tt.region, tt.service, tt.state, tt.reason, c.State, c.Reason)
		}
	}
	want := map[string]State{"config": On, "guardduty": Off}
	if len(m.Organization) != 2 {
		t.Fatalf("organization cells %+v", m.Organization)
	}
	for _, c := range m.Organization {
		if c.State != want[c.Service] {
			t.Errorf("organization %s: expect %s, got %s", c.Service, want[c.Service], c.State)
		}
	}
	if !strings.Contains(m.Organization[1].Reason, "would call organizations:EnableAWSServiceAccess") {
		t.Errorf("an off cell says what would change: %q", m.Organization[1].Reason)
	}
	if !m.Problems() {
		t.Error("off, partial and error cells are problems")
	}
}

func TestBuildExcludedAccountsAreExcludedEverywhere(t *testing.T) {
	rep := report.FromResults(workflow.ModePlan,
		workflow.StepResult{Step: "org-targets", Outcomes: []workflow.Outcome{
			{Account: dev, Region: "-", Service: "targets", Status: workflow.StatusSkipped, Reason: settings.ScopeReason + ": in OU ou-dev (scope.excludeOUs)"},
		}},
		workflow.StepResult{Step: "guardduty-org", Outcomes: []workflow.Outcome{
			{Account: mgmt, Region: "us-east-1", Service: "guardduty", Status: workflow.StatusUnchanged},
			{Account: dev, Region: "us-east-1", Service: "guardduty", Status: workflow.StatusSkipped, Reason: settings.ScopeReason + ", but a member already: left as it is"},
		}},
	)
	m := Build(rep, sampleAccounts, []string{"config", "guardduty"}, []string{"us-east-1", "eu-west-1"})
	for _, c := range m.Cells {
		if (c.Account == dev) != (c.State == Excluded) {
			t.Errorf("%s %s %s: %s (%s)", c.Account, c.Region, c.Service, c.State, c.Reason)
		}
		if c.Account == dev && !strings.Contains(c.Reason, "ou-dev") {
			t.Errorf("an excluded cell gives the scope's reason: %q", c.Reason)
		}
	}
	if m.Problems() {
		t.Error("excluded cells are not problems")
	}
}

func TestBuildAllOnHasNoProblems(t *testing.T) {
	rep := report.FromResults(workflow.ModePlan, workflow.StepResult{Step: "x", Outcomes: []workflow.Outcome{
		{Account: mgmt, Region: "us-east-1", Service: "config", Status: workflow.StatusUnchanged},
		{Account: mgmt, Region: "eu-west-1", Service: "config", Status: workflow.StatusSkipped, Reason: "region not enabled"},
	}})
	m := Build(rep, sampleAccounts[:1], nil, nil)
	if m.Problems() {
		t.Errorf("nothing is off: %+v", m.Cells)
	}
	if c := cellOf(t, m, mgmt, "eu-west-1", "config"); c.State != Skipped || c.Reason != "region not enabled" {
		t.Errorf("skipped cell %+v", c)
	}
	m.Execution = "FAILED"
	if !m.Problems() {
		t.Error("a failed run is a problem")
	}
}

func TestWriters(t *testing.T) {
	m := Build(samplePlan(), sampleAccounts, []string{"config", "guardduty"}, []string{"us-east-1", "eu-west-1"})
	var table bytes.Buffer
	if err := m.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	flat := strings.Join(strings.Fields(table.String()), " ")
	for _, want := range []string{
		"ACCOUNT NAME OU CONFIG GUARDDUTY",
		"(organization) on off",
		"111111111111 management Root on folded",
		"444444444444 dev Root/Workloads/Dev · folded",
		"222222222222 security Root/Security on 0/2 folded",
		"333333333333 prod Root/Workloads/Prod on 0/2 ! folded",
		"4 accounts x 2 regions (us-east-1, eu-west-1) x 2 services.",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	var c bytes.Buffer
	if err := m.WriteCSV(&c); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(&c).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 1+2+16 || strings.Join(records[0], ",") != "account,name,ou,region,service,state,reason" {
		t.Fatalf("csv: %d records, header %v", len(records), records[0])
	}
	found := false
	for _, r := range records {
		if r[0] == prod && r[2] == "Root/Workloads/Prod" && r[3] == "us-east-1" && r[4] == "config" && r[5] == "error" && strings.Contains(r[6], "AccessDenied") {
			found = true
		}
	}
	if !found {
		t.Errorf("csv lacks the error cell: %v", records)
	}
	var j bytes.Buffer
	if err := m.WriteJSON(&j); err != nil {
		t.Fatal(err)
	}
	var back Matrix
	if err := json.Unmarshal(j.Bytes(), &back); err != nil || len(back.Cells) != 16 || back.Accounts[2].OU != "Root/Workloads/Prod" {
		t.Errorf("json round trip: %v, %d cells", err, len(back.Cells))
	}
	var h bytes.Buffer
	if err := m.WriteHTML(&h, time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	page := h.String()
	for _, want := range []string{
		`<option>Root/Workloads</option>`, `<option>Root/Workloads/Prod</option>`,
		`data-service="config" data-region="us-east-1" data-state="error"`,
		"2026-11-30 12:00 UTC",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "<link") || strings.Contains(page, "src=") {
		t.Error("the page must hold everything itself")
	}
}

// fakeTree is an organization: OUs and accounts by parent, served a page
// at a time.
type fakeTree struct {
	ous      map[string][]orgtypes.OrganizationalUnit
	accounts map[string][]orgtypes.Account
	calls    int
}

func onePage[T any](items []T, token *string) ([]T, *string) {
	start := 0
	if token != nil {
		start = len(aws.ToString(token))
	}
	end := min(start+1, len(items))
	if end < len(items) {
		return items[start:end], aws.String(strings.Repeat("x", end))
	}
	return items[start:end], nil
}

func (f *fakeTree) ListRoots(context.Context, *organizations.ListRootsInput, ...func(*organizations.Options)) (*organizations.ListRootsOutput, error) {
	f.calls++
	return &organizations.ListRootsOutput{Roots: []orgtypes.Root{{Id: aws.String("r-1")}}}, nil
}

func (f *fakeTree) ListOrganizationalUnitsForParent(_ context.Context, in *organizations.ListOrganizationalUnitsForParentInput, _ ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error) {
	f.calls++
	items, next := onePage(f.ous[aws.ToString(in.ParentId)], in.NextToken)
	return &organizations.ListOrganizationalUnitsForParentOutput{OrganizationalUnits: items, NextToken: next}, nil
}

func (f *fakeTree) ListAccountsForParent(_ context.Context, in *organizations.ListAccountsForParentInput, _ ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error) {
	f.calls++
	items, next := onePage(f.accounts[aws.ToString(in.ParentId)], in.NextToken)
	return &organizations.ListAccountsForParentOutput{Accounts: items, NextToken: next}, nil
}

func TestReadTreeWalksNestedOUsAndPages(t *testing.T) {
	ou := func(id, name string) orgtypes.OrganizationalUnit {
		return orgtypes.OrganizationalUnit{Id: aws.String(id), Name: aws.String(name)}
	}
	acct := func(id, name string) orgtypes.Account {
		return orgtypes.Account{Id: aws.String(id), Name: aws.String(name), Status: orgtypes.AccountStatusActive}
	}
	f := &fakeTree{
		ous: map[string][]orgtypes.OrganizationalUnit{
			"r-1":     {ou("ou-sec", "Security"), ou("ou-work", "Workloads")},
			"ou-work": {ou("ou-prod", "Prod"), ou("ou-dev", "Dev")},
		},
		accounts: map[string][]orgtypes.Account{
			"r-1":     {acct(mgmt, "management")},
			"ou-sec":  {acct(sec, "security")},
			"ou-prod": {acct(prod, "prod"), acct("555555555555", "prod-2")},
			"ou-dev":  {acct(dev, "dev")},
		},
	}
	got, err := ReadTree(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{mgmt: "Root", sec: "Root/Security", prod: "Root/Workloads/Prod", "555555555555": "Root/Workloads/Prod", dev: "Root/Workloads/Dev"}
	if len(got) != len(want) {
		t.Fatalf("accounts %+v", got)
	}
	for _, a := range got {
		if want[a.ID] != a.OU {
			t.Errorf("%s: expect OU %s, got %s", a.ID, want[a.ID], a.OU)
		}
	}
	if got[0].OU != "Root" || got[len(got)-1].OU != "Root/Workloads/Prod" {
		t.Errorf("accounts are ordered by OU: %+v", got)
	}
}

func TestFoldRegions(t *testing.T) {
	cells := func(states ...State) []Cell {
		var out []Cell
		for _, s := range states {
			out = append(out, Cell{State: s})
		}
		return out
	}
	for _, tt := range []struct {
		in   []Cell
		want State
	}{
		{cells(On, On, None), On},
		{cells(On, Off), Partial},
		{cells(Off, Off, Skipped), Off},
		{cells(On, Error), Error},
		{cells(On, Skipped), On},
		{cells(Skipped, Excluded), Skipped},
		{cells(None, None), None},
	} {
		if got, _, _ := foldRegions(tt.in); got != tt.want {
			t.Errorf("%v: expect %s, got %s", tt.in, tt.want, got)
		}
	}
}

// TestPageOfALargeOrganizationFoldsRegions: at 5,000 accounts x 17
// regions x 7 services (595,000 cells) the page shows one cell per account
// and service and stays within a few MB.
func TestPageOfALargeOrganizationFoldsRegions(t *testing.T) {
	services := []string{"cloudtrail", "config", "guardduty", "securityhub", "accessanalyzer", "detective", "health"}
	var regions []string
	for i := 0; i < 17; i++ {
		regions = append(regions, fmt.Sprintf("xx-region-%d", i))
	}
	m := Matrix{Execution: "SUCCEEDED", Regions: regions, Services: services}
	for a := 0; a < 5000; a++ {
		id := fmt.Sprintf("%012d", a+1)
		m.Accounts = append(m.Accounts, Account{ID: id, Name: "account-" + id, OU: "Root/Workloads"})
		for i, r := range regions {
			for _, s := range services {
				st := On
				if a == 7 && s == "config" && i < 5 {
					st = Off
				}
				m.Cells = append(m.Cells, Cell{Account: id, Region: r, Service: s, State: st})
			}
		}
	}
	var buf bytes.Buffer
	if err := m.WriteHTML(&buf, time.Now()); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if n := buf.Len(); n > 6<<20 {
		t.Errorf("the page is %d bytes", n)
	}
	if got := strings.Count(page, `<td class="c `); got != 5000*len(services) {
		t.Errorf("%d cells on the page, want one per account and service", got)
	}
	if !strings.Contains(page, `title="config: partial — on in 12 of 17 regions, off in 5 of 17 regions"`) {
		t.Errorf("the folded cell of account 8 does not count its regions")
	}
	if !strings.Contains(page, "regions are folded") {
		t.Error("the page does not say its regions are folded")
	}
	t.Logf("page: %d bytes for %d cells", buf.Len(), len(m.Cells))
}
