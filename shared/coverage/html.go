package coverage

import (
	_ "embed"
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
	Generated   string
	RegionCount int
	OUs         []string
	Rows        []pageRow
	Legend      []legendEntry
}

// WriteHTML writes the matrix as one self-contained page (no file or
// address beside it): a heat map of account x service x region, the
// organization-wide cells above it, filters by service, region, OU (with
// the OUs under it) and state, kept in the address's fragment.
func (m Matrix) WriteHTML(w io.Writer, generated time.Time) error {
	d := pageData{Matrix: m, Generated: generated.UTC().Format("2006-01-02 15:04 UTC"), RegionCount: len(m.Regions)}
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
		cells := d.Rows[i].Cells
		sort.SliceStable(cells, func(a, b int) bool {
			if cells[a].Service != cells[b].Service {
				return order["s"+cells[a].Service] < order["s"+cells[b].Service]
			}
			return order["r"+cells[a].Region] < order["r"+cells[b].Region]
		})
	}
	counts := m.Counts()
	for _, s := range States {
		if n := counts[s]; n > 0 {
			d.Legend = append(d.Legend, legendEntry{s, n})
		}
	}
	return page.Execute(w, d)
}
