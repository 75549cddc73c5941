package main

import (
	"fmt"
	"image/color"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/vigil-oss/vigil/cmd/vigil/bench"
)

// plotCommands draws the command round trip's p50, p95 and p99 against
// the rate sent, one point per commands run, on a log scale.
func plotCommands(results []*bench.Result, path string) error {
	var runs []*bench.Result
	for _, r := range results {
		if r.Scenario == "commands" && r.Latency != nil {
			runs = append(runs, r)
		}
	}
	if len(runs) == 0 {
		return fmt.Errorf("no commands runs to plot")
	}
	rate := func(r *bench.Result) float64 { v, _ := r.Figure("send rate"); return v }
	sort.Slice(runs, func(i, j int) bool { return rate(runs[i]) < rate(runs[j]) })

	p := plot.New()
	p.Title.Text = "Command round trip against load"
	p.X.Label.Text = "commands per second sent"
	p.Y.Label.Text = "round trip (ms, log scale)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Add(plotter.NewGrid())
	var ticks []plot.Tick
	for _, r := range runs {
		ticks = append(ticks, plot.Tick{Value: rate(r), Label: fmt.Sprintf("%.0f", rate(r))})
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	series := []struct {
		name string
		q    func(*bench.Latency) float64
		c    color.RGBA
	}{
		{"p50", func(l *bench.Latency) float64 { return l.P50 }, color.RGBA{B: 200, A: 255}},
		{"p95", func(l *bench.Latency) float64 { return l.P95 }, color.RGBA{G: 150, A: 255}},
		{"p99", func(l *bench.Latency) float64 { return l.P99 }, color.RGBA{R: 200, A: 255}},
	}
	for _, s := range series {
		pts := make(plotter.XYs, len(runs))
		for i, r := range runs {
			pts[i].X, pts[i].Y = rate(r), max(s.q(r.Latency), 0.01)
		}
		line, dots, err := plotter.NewLinePoints(pts)
		if err != nil {
			return err
		}
		line.Color, dots.Color = s.c, s.c
		p.Add(line, dots)
		p.Legend.Add(s.name, line, dots)
	}
	// Whole decades on the latency axis, so that it has labelled ticks.
	lo, hi := math.Inf(1), 0.0
	for _, r := range runs {
		lo, hi = min(lo, max(r.Latency.P50, 0.01)), max(hi, r.Latency.P99)
	}
	p.Y.Min, p.Y.Max = math.Pow(10, math.Floor(math.Log10(lo))), math.Pow(10, math.Ceil(math.Log10(hi)))
	p.Legend.Top, p.Legend.Left = true, true
	return p.Save(16*vg.Centimeter, 10*vg.Centimeter, path)
}
