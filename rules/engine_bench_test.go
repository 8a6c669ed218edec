package rules

import (
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/internal/benchclock"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/record"
)

// BenchmarkEvaluate measures the engine alone (no detectors, no encoding) with the
// embedded packs: a clean record per jurisdiction (no findings: only always-on rules are
// candidates) and a record with one lexicon finding.
func BenchmarkEvaluate(b *testing.B) {
	e, _ := embedded(b)
	yes := true
	at := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		r    record.Record
		f    []detectors.Finding
	}{
		{"clean/CN-text", record.Record{ID: "b", Time: at, Jurisdiction: "CN", Role: "platform", Modality: "text", DeclaredAI: &yes}, nil},
		{"clean/EU-image-provider", record.Record{ID: "b", Time: at, Jurisdiction: "EU", Role: "provider", Modality: "image", Watermark: &record.Watermark{Detected: true}}, nil},
		{"clean/US-CA-video", record.Record{ID: "b", Time: at, Jurisdiction: "US-CA", Modality: "video"}, nil},
		{"finding/CN-fraud", record.Record{ID: "b", Time: at, Jurisdiction: "CN", Modality: "text"},
			[]detectors.Finding{{Detector: "lexicon", Category: "fraud", Severity: detectors.High}}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var s Scratch
			var v Verdict
			res := &detectors.Result{Findings: c.f}
			b.ReportAllocs()
			clk := benchclock.Start()
			for b.Loop() {
				e.Evaluate(&s, &c.r, res, &v)
			}
			clk.Report(b, "")
		})
	}
}
