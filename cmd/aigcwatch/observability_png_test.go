package main

import (
	"context"
	"fmt"
	"image/color"
	"os"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/aigcwatch/aigcwatch/internal/promtest"
)

// overviewPanels are the main panels of the supervisor overview, by their title in
// deploy/grafana/dashboards/overview.json: the picture runs the dashboard's own queries.
var overviewPanels = []struct {
	title, ylabel string
	legend        []string // labels naming a series
	scale         float64
	percent       bool
}{
	{"Decisions over time", "records / s", []string{"decision"}, 1, false},
	{"Unlabeled AIGC share by jurisdiction", "share of records judged", []string{"jurisdiction"}, 100, true},
	{"Incidents by layer and severity", "incidents / min", []string{"layer", "severity"}, 1, false},
	{"Deepfake and known-content matches", "matches / min", []string{"category"}, 1, false},
}

// percentTicks labels the default ticks with a percent sign.
type percentTicks struct{}

func (percentTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'f', -1, 64) + " %"
		}
	}
	return ts
}

// renderOverview draws the overview's main panels from Prometheus's data over [start, end]
// into a PNG at out; exprs holds the dashboard's query of each panel by title, its variables
// substituted.
func renderOverview(ctx context.Context, prom *promtest.Server, exprs map[string]string, start, end time.Time, records int, out string) error {
	const cols, rows = 2, 2
	plots := make([][]*plot.Plot, rows)
	for i, pn := range overviewPanels {
		expr, ok := exprs[pn.title]
		if !ok {
			return fmt.Errorf("the overview dashboard has no panel %q", pn.title)
		}
		series, err := prom.QueryRange(ctx, expr, start, end, 2*time.Second)
		if err != nil {
			return fmt.Errorf("%s: %w", pn.title, err)
		}
		if len(series) == 0 {
			return fmt.Errorf("%s: no data", pn.title)
		}
		p := plot.New()
		p.Title.Text = pn.title
		p.Title.TextStyle.Font.Size = vg.Points(15)
		p.X.Label.Text = "time (UTC)"
		p.Y.Label.Text = pn.ylabel
		p.X.Tick.Marker = plot.TimeTicks{Format: "15:04:05", Time: func(t float64) time.Time { return time.Unix(int64(t), 0).UTC() }}
		p.Y.Min = 0
		if pn.percent {
			p.Y.Tick.Marker = percentTicks{}
		}
		p.Add(plotter.NewGrid())
		p.Legend.Top = true
		p.Legend.Left = true
		p.Legend.TextStyle.Font.Size = vg.Points(10)
		p.Legend.Padding = vg.Points(2)
		byName := map[string][]float64{}
		times := map[string][]float64{}
		for _, s := range series {
			var parts []string
			for _, l := range pn.legend {
				parts = append(parts, s.Metric[l])
			}
			name := strings.Join(parts, " / ")
			for j, v := range s.Values {
				if v != v { // NaN: no records in the window
					continue
				}
				byName[name] = append(byName[name], v*pn.scale)
				times[name] = append(times[name], float64(s.Times[j].Unix()))
			}
		}
		ymax := 0.0
		for k, name := range sortedKeys(byName) {
			xys := make(plotter.XYs, len(byName[name]))
			for j := range xys {
				xys[j].X, xys[j].Y = times[name][j], byName[name][j]
				ymax = max(ymax, xys[j].Y)
			}
			l, err := plotter.NewLine(xys)
			if err != nil {
				return err
			}
			l.Color = plotutil.Color(k)
			l.Width = vg.Points(1.8)
			l.Dashes = plotutil.Dashes(k % 3) // series that coincide stay visible
			if k%3 != 0 {
				l.Width = vg.Points(2.4)
			}
			p.Add(l)
			p.Legend.Add(name, l)
		}
		p.Y.Max = ymax * 1.45 // room for the legend above the lines
		plots[i/cols] = append(plots[i/cols], p)
	}
	const width, height = 1600, 960
	img := vgimg.NewWith(vgimg.UseWH(vg.Points(width), vg.Points(height)), vgimg.UseDPI(72))
	dc := draw.New(img)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(30), PadY: vg.Points(30), PadTop: vg.Points(60),
		PadBottom: vg.Points(15), PadLeft: vg.Points(15), PadRight: vg.Points(25)}
	canvases := plot.Align(plots, tiles, dc)
	for j := range plots {
		for i := range plots[j] {
			plots[j][i].Draw(canvases[j][i])
		}
	}
	title := draw.TextStyle{Color: color.Black, Font: font.From(plot.DefaultFont, vg.Points(20)), Handler: plot.DefaultTextHandler, XAlign: draw.XCenter}
	dc.FillText(title, vg.Point{X: width / 2, Y: height - 35},
		fmt.Sprintf("aigcwatch supervisor overview: the sample stream (%d records in waves) judged by aigcwatch run, as Prometheus scraped it", records))
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
