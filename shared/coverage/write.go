package coverage

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteJSON writes the whole matrix as indented JSON.
func (m Matrix) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(m)
}

// WriteCSV writes one line per cell, the organization-wide cells first:
// account, name, OU, region, service, state, reason.
func (m Matrix) WriteCSV(w io.Writer) error {
	names := m.accountIndex()
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"account", "name", "ou", "region", "service", "state", "reason"}); err != nil {
		return err
	}
	for _, cells := range [][]Cell{m.Organization, m.Cells} {
		for _, c := range cells {
			a := names[c.Account]
			if err := cw.Write([]string{c.Account, a.Name, a.OU, c.Region, c.Service, string(c.State), c.Reason}); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

func (m Matrix) accountIndex() map[string]Account {
	idx := map[string]Account{}
	for _, a := range m.Accounts {
		idx[a.ID] = a
	}
	return idx
}

// WriteTable writes one line per account and a column per service, each
// cell its regions folded: "on" when on in every region the service checks,
// "off 0/17", "on 12/17" and so on otherwise; "·" where the service has no
// check of its own. The organization-wide cells come first, a legend and
// the counts last.
func (m Matrix) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "ACCOUNT\tNAME\tOU\t%s\n", strings.ToUpper(strings.Join(m.Services, "\t")))
	orgBy := map[string]Cell{}
	for _, c := range m.Organization {
		orgBy[c.Service] = c
	}
	var org []string
	for _, s := range m.Services {
		if c, ok := orgBy[s]; ok {
			org = append(org, string(c.State))
		} else {
			org = append(org, "·")
		}
	}
	fmt.Fprintf(tw, "(organization)\t\t\t%s\n", strings.Join(org, "\t"))
	by := map[[2]string][]Cell{}
	for _, c := range m.Cells {
		k := [2]string{c.Account, c.Service}
		by[k] = append(by[k], c)
	}
	for _, a := range m.Accounts {
		var cols []string
		for _, s := range m.Services {
			cols = append(cols, regionsText(by[[2]string{a.ID, s}]))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.ID, a.Name, a.OU, strings.Join(cols, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d accounts x %d regions (%s) x %d services.", len(m.Accounts), len(m.Regions), strings.Join(m.Regions, ", "), len(m.Services))
	counts := m.Counts()
	var parts []string
	for _, s := range States {
		if n := counts[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s))
		}
	}
	fmt.Fprintf(w, " Cells: %s.\n", strings.Join(parts, ", "))
	fmt.Fprintln(w, "on: as configured; off: would change; partial: part would change; skipped/excluded: left out, with the reason;")
	fmt.Fprintln(w, "·: no check of its own (set organization-wide, see the organization line). --output csv|json|html give every cell with its reason.")
	for _, warn := range m.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	return nil
}

// regionsText folds an account's cells of one service across regions.
func regionsText(cells []Cell) string {
	state, counts, checked := foldRegions(cells)
	switch {
	case checked == 0:
		return "·"
	case counts[state] == checked:
		return string(state)
	}
	text := fmt.Sprintf("on %d/%d", counts[On], checked)
	if counts[Error] > 0 {
		text += " !"
	}
	return text
}

// foldRegions folds an account's cells of one service across regions into
// one state: the state they share, or else error when one is an error,
// partial when some are on (or partial) and some are not, off when none is
// on, skipped when all are left out. It returns the counts of each state
// and how many cells the service checks (None apart).
func foldRegions(cells []Cell) (State, map[State]int, int) {
	counts := map[State]int{}
	checked := 0
	for _, c := range cells {
		if c.State != None {
			counts[c.State]++
			checked++
		}
	}
	switch {
	case checked == 0:
		return None, counts, 0
	case counts[Error] > 0:
		return Error, counts, checked
	}
	for _, s := range States {
		if counts[s] == checked {
			return s, counts, checked
		}
	}
	switch {
	case counts[On]+counts[Partial] > 0 && counts[Off] > 0, counts[Partial] > 0:
		return Partial, counts, checked
	case counts[Off] > 0:
		return Off, counts, checked
	case counts[On] > 0:
		return On, counts, checked
	}
	return Skipped, counts, checked
}
