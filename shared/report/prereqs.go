package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/orgbaseline/orgbaseline/shared/configsvc"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// namedAccounts is how many accounts a warning names in a region before it
// counts the rest.
const namedAccounts = 10

// recorderWarnings warns where Security Hub runs without AWS Config
// recording: "To receive control findings in Security Hub CSPM, you must
// enable AWS Config for your account. You must also turn on resource
// recording for the types of resources that enabled controls evaluate"
// ("Enabling and configuring AWS Config for Security Hub CSPM", Security
// Hub CSPM User Guide). The run's own config-recorders rows are the
// recorders' state: read, and put right, in every account and region of
// the run. Where Security Hub has a row that is not skipped and the run has
// no recorder rows at all (config off in the configuration, or not among
// --services) the warning says the recorders were not checked; where a
// recorder row failed or was skipped, it names the region and the
// accounts. Summary rows (a step's folded rows) count as their Count.
func recorderWarnings(rows []Row) []string {
	hubRegions := map[string]bool{}
	recorders := 0
	gaps := map[string][]string{} // region -> accounts
	more := map[string]int{}      // region -> accounts a summary row stands for
	for _, r := range rows {
		switch {
		case r.Service == settings.ServiceSecurityHub && r.Status != string(workflow.StatusSkipped) && r.Status != string(workflow.StatusFailed) && isRegion(r.Region):
			hubRegions[r.Region] = true
		case r.Step == configsvc.RecordersSpec.Name:
			recorders++
			if r.Status != string(workflow.StatusFailed) && r.Status != string(workflow.StatusSkipped) || !isRegion(r.Region) {
				continue
			}
			if r.Account == workflow.SummaryAccount || r.Count > 1 {
				more[r.Region] += max(r.Count, 1)
				continue
			}
			gaps[r.Region] = append(gaps[r.Region], r.Account+" ("+r.Status+")")
		}
	}
	if len(hubRegions) == 0 {
		return nil
	}
	regions := slices.Sorted(func(yield func(string) bool) {
		for r := range hubRegions {
			if !yield(r) {
				return
			}
		}
	})
	if recorders == 0 {
		return []string{fmt.Sprintf("securityhub: this run did not check AWS Config's recorders (config is off in the configuration, or not among --services), and Security Hub CSPM generates control findings only where AWS Config records the resources its controls evaluate: make sure every account records in %s", strings.Join(regions, ", "))}
	}
	var warns []string
	for _, region := range regions {
		accounts, n := gaps[region], more[region]
		if len(accounts) == 0 && n == 0 {
			continue
		}
		slices.Sort(accounts)
		named := accounts
		if len(named) > namedAccounts {
			n += len(named) - namedAccounts
			named = named[:namedAccounts]
		}
		list := strings.Join(named, ", ")
		switch {
		case n > 0 && list == "":
			list = fmt.Sprintf("%d accounts", n)
		case n > 0:
			list += fmt.Sprintf(" and %d more", n)
		}
		warns = append(warns, fmt.Sprintf("securityhub: AWS Config is not confirmed recording in %s for %s (see their config rows): Security Hub CSPM has no control findings there for the controls that need AWS Config's recording", region, list))
	}
	return warns
}

// isRegion reports whether a row's region names one ("-" and "global" do
// not).
func isRegion(region string) bool { return region != "" && region != "-" && region != "global" }
