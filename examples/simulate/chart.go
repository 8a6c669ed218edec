package main

import (
	"fmt"
	"image/color"
	"os"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// palette: ten colours that stay distinct for readers with common colour-vision
// deficiencies (Okabe-Ito, plus grey, brown and violet).
var palette = []color.RGBA{
	{0, 114, 178, 255},   // blue
	{86, 180, 233, 255},  // sky blue
	{230, 159, 0, 255},   // orange
	{213, 94, 0, 255},    // vermillion
	{0, 158, 115, 255},   // bluish green
	{0, 0, 0, 255},       // black
	{204, 121, 167, 255}, // reddish purple
	{150, 150, 150, 255}, // grey
	{120, 60, 20, 255},   // brown
	{100, 40, 160, 255},  // violet
}

// dashes tell lines apart where colours do not.
var dashes = [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, nil, {vg.Points(2), vg.Points(2)}, nil, nil, {vg.Points(6), vg.Points(3)}, {vg.Points(2), vg.Points(2)}, nil, {vg.Points(6), vg.Points(3)}}

// chart draws both runs, one panel each, with a shared legend on the right.
func chart(path string, provs []provider, days int, runs ...*result) error {
	const w, h = 16 * vg.Inch, 11 * vg.Inch
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(110))
	dc := draw.New(img)
	white := color.RGBA{255, 255, 255, 255}
	dc.SetColor(white)
	dc.Fill(dc.Rectangle.Path())

	legendW := 5.6 * vg.Inch
	plots := draw.Crop(dc, 0, -legendW, 0, 0)
	tiles := draw.Tiles{Rows: len(runs), Cols: 1, PadTop: vg.Points(6), PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(6), PadY: vg.Points(14)}
	leg := plot.NewLegend()
	for i, r := range runs {
		p := plot.New()
		esc, deesc := 0, 0
		for _, c := range r.changes {
			if c.Direction == "escalate" {
				esc++
			} else {
				deesc++
			}
		}
		p.Title.Text = fmt.Sprintf("%s: %d escalations, %d de-escalation%s (CN ladder, %d simulated days)", r.name, esc, deesc, plural(deesc), days)
		p.Title.TextStyle.Font.Size = vg.Points(15)
		p.X.Label.Text = "day"
		p.X.Min, p.X.Max = 0, float64(days)
		p.Y.Min, p.Y.Max = -0.5, float64(r.ladder.Top())+0.5
		p.X.Tick.Marker = dayTicks(days)
		var yt []plot.Tick
		for _, l := range r.ladder.Levels {
			yt = append(yt, plot.Tick{Value: float64(l.Index), Label: fmt.Sprintf("%d %s", l.Index, l.Name)})
		}
		p.Y.Tick.Marker = plot.ConstantTicks(yt)
		p.Y.Tick.Label.Font.Size = vg.Points(11)
		p.Add(plotter.NewGrid())
		// The pyramid: a band per level, darker as the response gets heavier.
		for l := 1; l <= r.ladder.Top(); l++ {
			shade := uint8(255 - 9*l)
			band, _ := plotter.NewPolygon(plotter.XYs{{X: 0, Y: float64(l) - 0.5}, {X: float64(days), Y: float64(l) - 0.5}, {X: float64(days), Y: float64(l) + 0.5}, {X: 0, Y: float64(l) + 0.5}})
			band.Color = color.RGBA{255, shade, shade, 255}
			band.LineStyle.Width = 0
			p.Add(band)
		}
		for pi, pr := range provs {
			// A small offset per provider keeps lines at the same level apart.
			off := (float64(pi) - float64(len(provs)-1)/2) * 0.07
			pts := make(plotter.XYs, len(r.levels[pi]))
			for hi, l := range r.levels[pi] {
				pts[hi] = plotter.XY{X: float64(hi) / 24, Y: l + off}
			}
			line, err := plotter.NewLine(pts)
			if err != nil {
				return err
			}
			line.StepStyle = plotter.PostStep
			line.Color = palette[pi%len(palette)]
			line.Width = vg.Points(2.2)
			line.Dashes = dashes[pi%len(dashes)]
			p.Add(line)
			if i == 0 {
				leg.Add(fmt.Sprintf("%s: %s", pr.name, pr.behaviour), line)
			}
		}
		p.Draw(tiles.At(plots, 0, i))
	}
	leg.TextStyle.Font.Size = vg.Points(11)
	leg.ThumbnailWidth = vg.Points(28)
	leg.Top, leg.Left = true, true
	leg.Padding = vg.Points(6)
	lc := draw.Crop(dc, w-legendW+vg.Points(10), 0, 0, -vg.Points(40))
	leg.Draw(lc)
	// How to read it, under the legend.
	fnt := plot.DefaultFont
	fnt.Size = vg.Points(11.5)
	sty := text.Style{Color: color.Black, Font: fnt, Handler: plot.DefaultTextHandler, XAlign: draw.XLeft, YAlign: draw.YTop}
	y := h - vg.Points(40) - leg.Rectangle(lc).Size().Y - vg.Points(30)
	for _, line := range explanation(runs[0]) {
		dc.FillText(sty, vg.Point{X: w - legendW + vg.Points(14), Y: y}, line)
		y -= vg.Points(16)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	png := vgimg.PngCanvas{Canvas: img}
	if _, err := png.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// explanation is the reading guide printed next to the chart.
func explanation(r *result) []string {
	p := r.ladder
	return []string{
		"How to read it",
		"",
		"The bands are the enforcement pyramid (CN ladder): each level",
		"is the response the regulator should take against a provider.",
		"Each line is one provider's level, hour by hour.",
		"",
		"Incidents add points (high severity 5, label tampering 10).",
		"A provider climbs one level when the points counted since it",
		fmt.Sprintf("reached its level reach the next threshold (%g, %g, %g, %g, %g),", p.Levels[1].EscalateAt, p.Levels[2].EscalateAt, p.Levels[3].EscalateAt, p.Levels[4].EscalateAt, p.Levels[5].EscalateAt),
		fmt.Sprintf("within a %s-day window; never more than one level at a time,", days(p.Window)),
		fmt.Sprintf("and not within %s days of its last escalation (time to respond).", days(p.Grace)),
		fmt.Sprintf("It steps down one level after %s days without an escalating incident.", days(p.CompliantPeriod)),
		fmt.Sprintf("Self-reported incidents weigh %g of the others.", p.SelfReportFactor),
		"",
		"Risk appetite (lower panel): up to 0.5 % unlabeled records of a",
		"provider's volume over 24 h are tolerated (counted, visible, not",
		"escalating); only findings above it, with 95 % confidence, escalate.",
		"Compliant providers then stay at the base: the regulator's effort",
		"goes to the sloppy and the adversarial.",
	}
}

func days(d time.Duration) string {
	return fmt.Sprintf("%g", d.Hours()/24)
}

func dayTicks(days int) plot.ConstantTicks {
	var t []plot.Tick
	for d := 0; d <= days; d++ {
		lbl := ""
		if d%5 == 0 {
			lbl = fmt.Sprint(d)
		}
		t = append(t, plot.Tick{Value: float64(d), Label: lbl})
	}
	return t
}
