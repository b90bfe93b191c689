// Package coverage is the coverage matrix, account x region x service: where
// the baseline is on, off, partly on or skipped, and why. It is read from
// the organization's actual state: the rows of a plan run (every step reads
// and compares, and changes nothing) and the organization's tree, never
// from the results of past runs.
package coverage

import (
	"sort"
	"strings"

	"github.com/orgbaseline/orgbaseline/shared/org/targets"
	"github.com/orgbaseline/orgbaseline/shared/report"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// State is what a cell says.
type State string

const (
	// On: every check of the cell found the baseline as configured.
	On State = "on"
	// Partial: some checks found it as configured, others would change.
	Partial State = "partial"
	// Off: every check of the cell would change something.
	Off State = "off"
	// Error: a check of the cell failed; its state is unknown.
	Error State = "error"
	// Skipped: the cell was left out, with the reason (a region not
	// enabled, an account suspended, a service not eligible yet...).
	Skipped State = "skipped"
	// Excluded: the configuration's scope leaves the account out.
	Excluded State = "excluded"
	// Folded: a step folded the cell's row into a count (it bounds its
	// result); the count's rows all share the state in Reason.
	Folded State = "folded"
	// None: the service has no check of its own for the cell: it is set for
	// the whole organization (the organization trail, the Health view) or
	// through its delegated administrator, whose rows say so.
	None State = "none"
)

// States lists the states from best to worst, for legends and counts.
var States = []State{On, Partial, Off, Error, Skipped, Excluded, Folded, None}

// Cell is one account x region x service.
type Cell struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	Service string `json:"service"`
	State   State  `json:"state"`
	Reason  string `json:"reason,omitempty"`
}

// Matrix is the whole coverage.
type Matrix struct {
	// Execution is the plan run's status (SUCCEEDED...).
	Execution string    `json:"execution"`
	Accounts  []Account `json:"accounts"`
	Regions   []string  `json:"regions"`
	Services  []string  `json:"services"`
	// Organization holds, per service, its organization-wide rows (region
	// "global": trusted access, delegated administrator) folded into one
	// cell each, Account "organization".
	Organization []Cell `json:"organization"`
	// Cells holds every account x region x service, in account, region,
	// service order; None where the service has no check for the cell.
	Cells    []Cell   `json:"cells"`
	Warnings []string `json:"warnings,omitempty"`
}

// OrganizationAccount is the account column of an organization-wide cell.
const OrganizationAccount = "organization"

// Build makes the matrix from a plan run's report and the organization's
// accounts. services and regions give the columns' order (the run's);
// accounts or services that appear only in the report are added.
func Build(rep report.Report, accounts []Account, services, regions []string) Matrix {
	m := Matrix{Execution: rep.Execution, Accounts: append([]Account(nil), accounts...), Warnings: rep.Warnings}
	type key struct{ account, region, service string }
	rows := map[key][]report.Row{}
	folded := map[[2]string][]report.Row{}
	org := map[string][]report.Row{}
	seenService, seenRegion, seenAccount := map[string]bool{}, map[string]bool{}, map[string]bool{}
	addService := func(s string) {
		if !seenService[s] {
			seenService[s] = true
			m.Services = append(m.Services, s)
		}
	}
	addRegion := func(r string) {
		if !seenRegion[r] {
			seenRegion[r] = true
			m.Regions = append(m.Regions, r)
		}
	}
	for _, s := range services {
		addService(s)
	}
	for _, r := range regions {
		addRegion(r)
	}
	for _, a := range accounts {
		seenAccount[a.ID] = true
	}
	// The accounts the scope excludes: org-targets reports each once; every
	// cell of theirs is excluded, with that reason.
	excluded := map[string]string{}
	for _, row := range rep.Rows {
		if row.Service == targets.ServiceName && row.Status == string(workflow.StatusSkipped) && strings.HasPrefix(row.Reason, settings.ScopeReason) {
			excluded[row.Account] = row.Reason
		}
	}
	for _, row := range rep.Rows {
		if row.Service == "" || row.Service == "-" || row.Service == targets.ServiceName {
			continue
		}
		addService(row.Service)
		switch {
		case row.Region == workflow.RegionGlobal || row.Region == "-" || row.Region == "":
			org[row.Service] = append(org[row.Service], row)
		case row.Account == workflow.SummaryAccount:
			addRegion(row.Region)
			folded[[2]string{row.Region, row.Service}] = append(folded[[2]string{row.Region, row.Service}], row)
		default:
			addRegion(row.Region)
			if !seenAccount[row.Account] {
				seenAccount[row.Account] = true
				m.Accounts = append(m.Accounts, Account{ID: row.Account, OU: "(not in the organization's tree)"})
			}
			k := key{row.Account, row.Region, row.Service}
			rows[k] = append(rows[k], row)
		}
	}
	for _, s := range m.Services {
		if rs := org[s]; len(rs) > 0 {
			c := fold(rs)
			c.Account, c.Region, c.Service = OrganizationAccount, workflow.RegionGlobal, s
			m.Organization = append(m.Organization, c)
		}
	}
	for _, a := range m.Accounts {
		for _, r := range m.Regions {
			for _, s := range m.Services {
				c := Cell{State: None}
				if why, ok := excluded[a.ID]; ok {
					c = Cell{State: Excluded, Reason: why}
				} else if rs := rows[key{a.ID, r, s}]; len(rs) > 0 {
					c = fold(rs)
				} else if fs := folded[[2]string{r, s}]; len(fs) > 0 {
					c = foldedCell(fs)
				}
				c.Account, c.Region, c.Service = a.ID, r, s
				m.Cells = append(m.Cells, c)
			}
		}
	}
	return m
}

// fold makes one cell of a cell's rows: a failure makes it an error; rows
// that would change make it off, or partial beside rows found as
// configured; rows found as configured (or changed, in an apply's report)
// make it on; rows all skipped make it skipped or excluded.
func fold(rows []report.Row) Cell {
	n := map[workflow.Status]int{}
	reasons := map[workflow.Status][]string{}
	for _, r := range rows {
		s := workflow.Status(r.Status)
		n[s]++
		text := r.Reason
		if text == "" && len(r.Actions) > 0 {
			text = "would call " + report.CollapseActions(r.Actions)
		}
		if text != "" {
			reasons[s] = append(reasons[s], text)
		}
	}
	why := func(s workflow.Status) string { return strings.Join(unique(reasons[s]), "; ") }
	switch {
	case n[workflow.StatusFailed] > 0:
		return Cell{State: Error, Reason: why(workflow.StatusFailed)}
	case n[workflow.StatusPlanned] > 0 && n[workflow.StatusUnchanged]+n[workflow.StatusChanged] > 0:
		return Cell{State: Partial, Reason: why(workflow.StatusPlanned)}
	case n[workflow.StatusPlanned] > 0:
		return Cell{State: Off, Reason: why(workflow.StatusPlanned)}
	case n[workflow.StatusUnchanged]+n[workflow.StatusChanged] > 0:
		return Cell{State: On, Reason: why(workflow.StatusSkipped)}
	}
	reason := why(workflow.StatusSkipped)
	if strings.HasPrefix(reason, settings.ScopeReason) {
		return Cell{State: Excluded, Reason: reason}
	}
	return Cell{State: Skipped, Reason: reason}
}

// foldedCell is a cell whose row a step folded into counts: those counts
// say only how many rows had each status in the region.
func foldedCell(rows []report.Row) Cell {
	var parts []string
	for _, r := range rows {
		parts = append(parts, r.Status)
	}
	parts = unique(parts)
	sort.Strings(parts)
	return Cell{State: Folded, Reason: "the step folded this row into counts (" + strings.Join(parts, ", ") + "); its log lists it"}
}

func unique(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// Counts returns how many cells have each state (organization cells
// apart).
func (m Matrix) Counts() map[State]int {
	c := map[State]int{}
	for _, cell := range m.Cells {
		c[cell.State]++
	}
	return c
}

// Problems reports whether any cell is off, partial or an error.
func (m Matrix) Problems() bool {
	for _, cells := range [][]Cell{m.Organization, m.Cells} {
		for _, c := range cells {
			switch c.State {
			case Off, Partial, Error:
				return true
			}
		}
	}
	return m.Execution != "" && m.Execution != "SUCCEEDED"
}
