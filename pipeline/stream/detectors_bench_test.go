package stream_test

import (
	"context"
	"testing"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/internal/benchclock"
	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/pipeline/stream/streamtest"
	"github.com/aigcwatch/aigcwatch/record"
)

// BenchmarkDetectorsMixed splits BenchmarkJudgeMixed's detecting by detector: each
// detector of the default chain alone on the realistic mix's records, decoded
// beforehand. The parts of a judging cost, one at a time, with less noise than the
// whole.
// go test -run '^$' -bench DetectorsMixed -cpu 1 -count 6 ./pipeline/stream
func BenchmarkDetectorsMixed(b *testing.B) {
	raw := streamtest.MixedRecords(b, "bench", 4096, 100, 370)
	recs := make([]record.Record, len(raw))
	for i, r := range raw {
		if err := record.Decode(r.Value, record.Limits{}, &recs[i]); err != nil {
			b.Fatal(err)
		}
	}
	chain, err := pipeline.DefaultConfig.BuildDetectors()
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range chain.(detectors.Chain) {
		b.Run(d.Name(), func(b *testing.B) {
			var res detectors.Result
			ctx := context.Background()
			found := 0
			clk := benchclock.Start()
			i := 0
			for b.Loop() {
				res.Reset()
				if err := d.Detect(ctx, &recs[i%len(recs)], &res); err != nil {
					b.Fatal(err)
				}
				found += len(res.Findings)
				i++
			}
			clk.Report(b, "records/cpu-s")
			b.ReportMetric(float64(found)/float64(i), "findings/record")
		})
	}
}
