package pipeline_test

import (
	"context"
	"sort"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aigcwatch/aigcwatch/internal/benchclock"
	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/pipeline/metrics"
)

// BenchmarkJudgeRecords is BenchmarkJudge with metrics off and on (pipeline/metrics, the
// observer every way in installs), for the A/B of docs/BENCHMARKS.md: the cost of metrics
// per record, in CPU time and allocations. "on-time-all" times every detector call instead
// of 1 in 16 (metrics.Options.DetectorSample).
//
//	go test -run '^$' -bench 'JudgeRecords' -count 10 ./pipeline | benchstat -col /metrics -
func BenchmarkJudgeRecords(b *testing.B) {
	names := make([]string, 0, len(pipeline.BenchRecords))
	for name := range pipeline.BenchRecords {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, mode := range []string{"off", "on", "on-time-all"} {
		p, err := pipeline.Build(pipeline.DefaultConfig)
		if err != nil {
			b.Fatal(err)
		}
		if mode != "off" {
			opt := metrics.Options{}
			if mode == "on-time-all" {
				opt.DetectorSample = 1
			}
			m, err := metrics.New(prometheus.NewRegistry(), opt)
			if err != nil {
				b.Fatal(err)
			}
			p.SetObserver(m.Observer())
			m.SetRuleset(p.Engine())
		}
		for _, name := range names {
			raw := pipeline.BenchRecords[name]
			b.Run("record="+name+"/metrics="+mode, func(b *testing.B) {
				w := p.NewWorker()
				for range 20 { // warm up: slabs; the provider takes its label slot
					if j, err := w.Judge(context.Background(), raw); err != nil || j.Reject != nil {
						b.Fatalf("%v %v", err, j.Reject)
					}
				}
				b.SetBytes(int64(len(raw)))
				b.ReportAllocs()
				clk := benchclock.Start()
				for b.Loop() {
					if _, err := w.Judge(context.Background(), raw); err != nil {
						b.Fatal(err)
					}
				}
				clk.Report(b, "records/cpu-s")
			})
		}
	}
}
