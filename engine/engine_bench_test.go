package engine_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/engine"
	"github.com/aigcwatch/aigcwatch/internal/benchclock"
	"github.com/aigcwatch/aigcwatch/record"
)

// sampleText is about 450 bytes of ordinary generated text (mixed Chinese and English),
// the kind of caption or reply inline moderation sees most; every 10th record carries a
// fraud phrase so that rules fire and incidents are built.
func sampleText(i int) string {
	base := "这款折叠婴儿车单手就能收起，周末带孩子去公园非常方便，推起来也很稳。" +
		"The stroller folds with one hand and fits in a small trunk; the canopy blocks the afternoon sun. " +
		"我们用了三个月，轮子没有出现松动，清洗也简单。"
	if i%10 == 0 {
		base += "兼职刷单返利，日赚五百。"
	}
	return base + strings.Repeat("好", (500-len(base))/3)
}

func sampleRecord(i int) []byte {
	return fmt.Appendf(nil, `{"id":"bench-%d","time":"2026-11-20T10:00:00Z","jurisdiction":"CN","provider":"p","role":"platform","modality":"text","text":%q}`, i, sampleText(i))
}

// reportQuantiles adds p50/p99/p99.9 of the per-call times as benchmark metrics.
func reportQuantiles(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	q := func(p float64) float64 { return float64(d[min(len(d)-1, int(p*float64(len(d))))].Nanoseconds()) / 1e3 }
	b.ReportMetric(q(0.50), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
	b.ReportMetric(q(0.999), "p99.9-µs")
}

// BenchmarkCheckJSON is the in-process cost of one ~500-byte text record: decode and
// judge with the embedded packs and lexicon. Target (issue 12): p99 ≤ 50 µs.
func BenchmarkCheckJSON(b *testing.B) {
	e, err := engine.New(context.Background(), engine.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	recs := make([][]byte, 100)
	for i := range recs {
		recs[i] = sampleRecord(i)
	}
	ctx := context.Background()
	times := make([]time.Duration, 0, 1<<18) // the first 262,144 calls
	b.SetBytes(int64(len(recs[1])))
	b.ReportAllocs()
	b.ResetTimer()
	clk := benchclock.Start()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		if _, err := e.CheckJSON(ctx, recs[i%len(recs)]); err != nil {
			b.Fatal(err)
		}
		if len(times) < cap(times) {
			times = append(times, time.Since(start))
		}
	}
	b.StopTimer()
	clk.ReportBytes(b, int64(len(recs[1])))
	reportQuantiles(b, times)
}

// BenchmarkCheck is the same for a record built in Go (no JSON decoding).
func BenchmarkCheck(b *testing.B) {
	e, err := engine.New(context.Background(), engine.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	recs := make([]record.Record, 100)
	for i := range recs {
		recs[i] = record.Record{ID: fmt.Sprintf("bench-%d", i), Time: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC),
			Jurisdiction: "CN", Provider: "p", Role: "platform", Modality: "text", Text: sampleText(i)}
	}
	ctx := context.Background()
	times := make([]time.Duration, 0, 1<<18) // the first 262,144 calls
	b.ReportAllocs()
	b.ResetTimer()
	clk := benchclock.Start()
	for i := 0; b.Loop(); i++ {
		r := recs[i%len(recs)]
		start := time.Now()
		if _, err := e.Check(ctx, &r); err != nil {
			b.Fatal(err)
		}
		if len(times) < cap(times) {
			times = append(times, time.Since(start))
		}
	}
	b.StopTimer()
	clk.Report(b, "records/cpu-s")
	reportQuantiles(b, times)
}

// BenchmarkCheckJSONParallel: GOMAXPROCS goroutines share one Engine (its worker pool).
func BenchmarkCheckJSONParallel(b *testing.B) {
	e, err := engine.New(context.Background(), engine.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	recs := make([][]byte, 100)
	for i := range recs {
		recs[i] = sampleRecord(i)
	}
	b.SetBytes(int64(len(recs[1])))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for i := 0; pb.Next(); i++ {
			if _, err := e.CheckJSON(ctx, recs[i%len(recs)]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
