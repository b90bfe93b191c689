package coverage

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"time"
)

//go:embed coverage.html.tmpl
var pageText string

var page = template.Must(template.New("coverage").Funcs(template.FuncMap{"symbol": symbol}).Parse(pageText))

// symbol is the mark inside a cell of the heat map, so that it reads
// without colour too.
func symbol(s State) string {
	switch s {
	case On:
		return "✓"
	case Partial:
		return "◐"
	case Off:
		return "✗"
	case Error:
		return "!"
	case Skipped:
		return "–"
	case Excluded:
		return "⊘"
	case Folded:
		return "…"
	}
	return ""
}

type pageRow struct {
	Account Account
	Cells   []Cell
}

type legendEntry struct {
	State State
	Count int
}

type pageData struct {
	Matrix
	Generated string
	// RegionCount is the columns of a service: its regions, or one when
	// Folded.
	RegionCount int
	// Folded: the page has one cell per account and service, its regions
	// folded (foldRegions), since the matrix has more than MaxPageCells.
	Folded bool
	OUs    []string
	Rows   []pageRow
	Legend []legendEntry
}

// MaxPageCells is the most account x region x service cells the page shows
// one by one (at about 200 bytes each, a page of a few MB); a larger
// matrix is shown with each account's regions folded per service, which
// stays near 5 MB at 5,000 accounts and 7 services. CSV and JSON keep
// every cell.
const MaxPageCells = 25000

// WriteHTML writes the matrix as one self-contained page (no file or
// address beside it): a heat map of account x service x region, the
// organization-wide cells above it, filters by service, region, OU (with
// the OUs under it) and state, kept in the address's fragment.
func (m Matrix) WriteHTML(w io.Writer, generated time.Time) error {
	d := pageData{Matrix: m, Generated: generated.UTC().Format("2006-01-02 15:04 UTC"), RegionCount: len(m.Regions), Folded: len(m.Cells) > MaxPageCells}
	if d.Folded {
		d.RegionCount = 1
	}
	ous := map[string]bool{}
	for _, a := range m.Accounts {
		parts := strings.Split(a.OU, "/")
		for i := range parts {
			ous[strings.Join(parts[:i+1], "/")] = true
		}
	}
	for ou := range ous {
		d.OUs = append(d.OUs, ou)
	}
	sort.Strings(d.OUs)
	idx := map[string]int{}
	for i, a := range m.Accounts {
		idx[a.ID] = i
		d.Rows = append(d.Rows, pageRow{Account: a})
	}
	// The page's columns go service by service, then region by region.
	order := map[string]int{}
	for i, s := range m.Services {
		order["s"+s] = i
	}
	for i, r := range m.Regions {
		order["r"+r] = i
	}
	for _, c := range m.Cells {
		i := idx[c.Account]
		d.Rows[i].Cells = append(d.Rows[i].Cells, c)
	}
	for i := range d.Rows {
		if d.Folded {
			d.Rows[i].Cells = foldedCells(d.Rows[i].Cells, m.Services)
			continue
		}
		cells := d.Rows[i].Cells
		sort.SliceStable(cells, func(a, b int) bool {
			if cells[a].Service != cells[b].Service {
				return order["s"+cells[a].Service] < order["s"+cells[b].Service]
			}
			return order["r"+cells[a].Region] < order["r"+cells[b].Region]
		})
	}
	counts := m.Counts()
	if d.Folded {
		counts = map[State]int{}
		for _, r := range d.Rows {
			for _, c := range r.Cells {
				counts[c.State]++
			}
		}
	}
	for _, s := range States {
		if n := counts[s]; n > 0 {
			d.Legend = append(d.Legend, legendEntry{s, n})
		}
	}
	return page.Execute(w, d)
}

// foldedCells folds an account's cells to one per service, in services'
// order, each saying how many of its regions are in which state.
func foldedCells(cells []Cell, services []string) []Cell {
	by := map[string][]Cell{}
	for _, c := range cells {
		by[c.Service] = append(by[c.Service], c)
	}
	out := make([]Cell, 0, len(services))
	for _, s := range services {
		cs := by[s]
		if len(cs) == 0 {
			continue
		}
		state, counts, checked := foldRegions(cs)
		var parts []string
		for _, st := range States {
			if n := counts[st]; n > 0 {
				parts = append(parts, fmt.Sprintf("%s in %d of %d regions", st, n, checked))
			}
		}
		out = append(out, Cell{Account: cs[0].Account, Service: s, State: state, Reason: strings.Join(parts, ", ")})
	}
	return out
}
