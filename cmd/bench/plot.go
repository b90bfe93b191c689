package main

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// writePlot draws calls per account x region over the organization's size:
// the measured runs as lines, the modelled ones as open markers, on a
// logarithmic axis of accounts.
func writePlot(path string, m measurement, mod *model) error {
	p := plot.New()
	p.Title.Text = "AWS calls per account x region, by organization size"
	p.X.Label.Text = "accounts in the organization (log scale)"
	p.Y.Label.Text = "calls / (account x region)"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(8), vg.Points(-4)
	p.Add(plotter.NewGrid())
	top := 0.0
	colors := []color.Color{color.RGBA{R: 31, G: 119, B: 180, A: 255}, color.RGBA{R: 255, G: 127, B: 14, A: 255}, color.RGBA{R: 44, G: 160, B: 44, A: 255}}
	for i, kind := range runKinds {
		var measured, modelled plotter.XYs
		for _, r := range m.runs {
			if r.kind == kind {
				measured = append(measured, plotter.XY{X: float64(r.orgAccounts), Y: r.callsPerAccountRegion()})
			}
		}
		for _, sc := range modelScales {
			e := mod.run(kind).estimate(mod, sc)
			modelled = append(modelled, plotter.XY{X: float64(sc.accounts), Y: e.calls / (e.covered * float64(sc.regions))})
		}
		for _, xy := range append(measured, modelled...) {
			top = max(top, xy.Y)
		}
		line, points, err := plotter.NewLinePoints(measured)
		if err != nil {
			return err
		}
		line.Color, points.Color, points.Shape = colors[i], colors[i], draw.CircleGlyph{}
		model, err := plotter.NewScatter(modelled)
		if err != nil {
			return err
		}
		model.Color, model.Shape, model.Radius = colors[i], draw.RingGlyph{}, vg.Points(4)
		p.Add(line, points, model)
		p.Legend.Add(fmt.Sprintf("%s, measured (%d regions)", kind, m.runs[0].regions), line, points)
		p.Legend.Add(fmt.Sprintf("%s, modelled (%d regions)", kind, modelScales[0].regions), model)
	}
	// Room above the lines for the legend.
	p.Y.Min, p.Y.Max = 0, top*1.6
	return p.Save(8*vg.Inch, 5*vg.Inch, path)
}
