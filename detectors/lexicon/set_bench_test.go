package lexicon

import (
	"context"
	"testing"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/detectors/lexicon/norm"
	"github.com/aigcwatch/aigcwatch/internal/benchclock"
	"github.com/aigcwatch/aigcwatch/record"
)

func compileTerms(tb testing.TB, terms []string, o norm.Options) *Set {
	tb.Helper()
	lx := &Lexicon{Normalize: o}
	for _, t := range terms {
		lx.Entries = append(lx.Entries, Entry{Term: t, Category: "c"})
	}
	set, err := Compile(lx)
	if err != nil {
		tb.Fatal(err)
	}
	return set
}

// BenchmarkNormalized runs the three scan benchmarks through Set.Scan, raw and with
// full normalisation (norm.Full()).
func BenchmarkNormalized(b *testing.B) {
	zh, en, sparse := benchCorpora(b)
	cases := []struct {
		name  string
		terms []string
		text  string
	}{
		{"sparse-zh", sparse, zh},
		{"dense-zh", jiebaTerms(b, 100_000), zh},
		{"english", ldnoobw(b, "en"), en},
	}
	for _, c := range cases {
		for _, steps := range []string{"none", "full"} {
			b.Run(c.name+"/norm="+steps, func(b *testing.B) {
				o, _ := norm.ParseSteps(steps)
				set := compileTerms(b, c.terms, o)
				var sc Scratch
				b.SetBytes(int64(len(c.text)))
				b.ReportAllocs()
				n := 0
				clk := benchclock.Start()
				for b.Loop() {
					n = len(set.Scan(c.text, "", &sc))
				}
				clk.ReportBytes(b, int64(len(c.text)))
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "matches/s")
			})
		}
	}
}

// BenchmarkMessage1KiB scans 1 KiB records one Detect call each (the pipeline's
// shape), 100k sparse jieba terms plus LDNOOBW zh, full normalisation.
func BenchmarkMessage1KiB(b *testing.B) {
	zh, _, sparse := benchCorpora(b)
	set := compileTerms(b, append(append([]string{}, sparse...), ldnoobw(b, "zh")...), norm.Full())
	d := New(set)
	var recs []*record.Record
	for i := 0; i+1024 <= len(zh) && len(recs) < 1000; i += 1024 {
		// Cut at rune boundaries.
		s, e := i, i+1024
		for s > 0 && zh[s]&0xC0 == 0x80 {
			s--
		}
		for e > s && e < len(zh) && zh[e]&0xC0 == 0x80 {
			e--
		}
		recs = append(recs, &record.Record{Text: zh[s:e]})
	}
	var res detectors.Result
	ctx := context.Background()
	b.SetBytes(1024)
	b.ReportAllocs()
	i := 0
	clk := benchclock.Start()
	for b.Loop() {
		res.Reset()
		if err := d.Detect(ctx, recs[i%len(recs)], &res); err != nil {
			b.Fatal(err)
		}
		i++
	}
	clk.ReportBytes(b, 1024)
}
