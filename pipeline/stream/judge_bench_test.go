package stream_test

import (
	"context"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/internal/benchclock"
	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/pipeline/stream/streamtest"
	"github.com/aigcwatch/aigcwatch/rules"
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
	judgeLoop(b, p.NewWorker(), recs, nil)
}

// BenchmarkJudgeMixed is the judging part of BenchmarkStreamModes' realistic mix without
// the broker (streamtest.MixedRecords: 99 % allowed provider texts, 1 % fraud scripts):
// "verdicts=all" encodes every verdict, "verdicts=flagged" only those that are not allowed
// (Worker.SkipAllowedJSON, as the stream's compact and flagged modes do).
// go test -run '^$' -bench JudgeMixed -cpu 1 -count 6 ./pipeline/stream
func BenchmarkJudgeMixed(b *testing.B) {
	recs := streamtest.MixedRecords(b, "bench", 4096, 100, 370)
	p, err := pipeline.Build(pipeline.DefaultConfig)
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []string{"all", "flagged"} {
		b.Run("verdicts="+mode, func(b *testing.B) {
			w := p.NewWorker()
			w.SkipAllowedJSON = mode == "flagged"
			judgeLoop(b, w, recs, func(j pipeline.Judgement) {
				if (j.VerdictJSON == nil) != (mode == "flagged" && j.Verdict.Decision == rules.Allow) {
					b.Fatalf("verdict %s encoded: %v", j.Verdict.Decision, j.VerdictJSON != nil)
				}
			})
		})
	}
}

// judgeLoop judges recs one by one with w, cycling, at a fixed message time as a
// partition does, and reports records per CPU-second; check (if not nil) sees each
// judgement.
func judgeLoop(b *testing.B, w *pipeline.Worker, recs []streamtest.Record, check func(pipeline.Judgement)) {
	at := time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)
	size := 0
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
		if check != nil {
			check(j)
		}
		i++
	}
	clk.Report(b, "records/cpu-s")
}
