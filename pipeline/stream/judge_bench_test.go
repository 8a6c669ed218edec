package stream_test

import (
	"context"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/internal/benchclock"
	"github.com/aigcwatch/aigcwatch/pipeline"
)

// BenchmarkJudgeRecords is the judging part of BenchmarkStream without the broker: the
// same ~500-byte HC3 records (cycling through 4,096 of them), judged one by one by one
// Worker at a fixed message time, as a partition does. It tells how much of the
// stream's CPU per record is judging.
// go test -run '^$' -bench JudgeRecords -cpu 1 -count 6 ./pipeline/stream
func BenchmarkJudgeRecords(b *testing.B) {
	recs := benchRecords(b, 4096)
	p, err := pipeline.Build(pipeline.DefaultConfig)
	if err != nil {
		b.Fatal(err)
	}
	w := p.NewWorker()
	at := time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)
	var size int
	for _, r := range recs {
		size += len(r.Value)
	}
	b.SetBytes(int64(size / len(recs)))
	b.ReportAllocs()
	clk := benchclock.Start()
	i := 0
	for b.Loop() {
		j, err := w.JudgeAt(context.Background(), recs[i%len(recs)].Value, at)
		if err != nil || j.Reject != nil {
			b.Fatalf("%v %v", err, j.Reject)
		}
		i++
	}
	clk.Report(b, "records/cpu-s")
}
