package main

// line is y = a + b x.
type line struct{ a, b float64 }

// fit returns the least-squares line through the points (xs[i], ys[i]):
// the mean for one point, or when every x is the same.
func fit(xs, ys []float64) line {
	n := float64(len(xs))
	if n == 0 {
		return line{}
	}
	var sx, sy, sxx, sxy float64
	for i := range xs {
		sx += xs[i]
		sy += ys[i]
		sxx += xs[i] * xs[i]
		sxy += xs[i] * ys[i]
	}
	d := n*sxx - sx*sx
	if d == 0 {
		return line{a: sy / n}
	}
	b := (n*sxy - sx*sy) / d
	return line{a: (sy - b*sx) / n, b: b}
}

// at is the line at x, never below zero (every figure fitted is a count or
// a size).
func (l line) at(x float64) float64 { return max(0, l.a+l.b*x) }
