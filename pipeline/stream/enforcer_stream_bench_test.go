package stream_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/enforce"
	"github.com/aigcwatch/aigcwatch/internal/benchclock"
	"github.com/aigcwatch/aigcwatch/internal/kafkatest"
	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/pipeline/stream"
	"github.com/aigcwatch/aigcwatch/pipeline/stream/streamtest"
)

// BenchmarkStreamEnforcement moves b.N preloaded records of 1,000 providers (the
// realistic mix: 1 % fraud scripts) through the real broker with enforcement off and on
// (observations repartitioned by provider, owners writing stamped incidents and the
// changelog). rec/s runs from the first fetched record to the last observation applied
// (on) or the last record acknowledged (off).
// go test -run '^$' -bench StreamEnforcement -benchtime 100000x -count 3 ./pipeline/stream
func BenchmarkStreamEnforcement(b *testing.B) {
	for _, mode := range []string{"off", "on"} {
		b.Run("enforcement="+mode, func(b *testing.B) {
			addr := kafkatest.Broker(b)
			recs := streamtest.MixedRecords(b, "benf", b.N, 100, 370)
			for i := range recs { // 1,000 providers
				var m map[string]any
				if err := json.Unmarshal(recs[i].Value, &m); err != nil {
					b.Fatal(err)
				}
				m["provider"] = fmt.Sprintf("p-%04d", i%1000)
				recs[i].Value, _ = json.Marshal(m)
			}
			c, in := benchTopics(b, addr)
			c.Enforcement = mode == "on"
			c.EnforcementTopic, c.EnforcementChangelogTopic = kafkatest.Name(b, "bench-enf"), kafkatest.Name(b, "bench-enf-chg")
			streamtest.Produce(b, addr, in, recs)
			p, err := pipeline.Build(c.Pipeline)
			if err != nil {
				b.Fatal(err)
			}
			r, err := stream.New(c, p, benchLogger())
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var enf *stream.Enforcer
			enfDone := make(chan error, 1)
			if c.Enforcement {
				kafkatest.DeleteAtCleanup(b, addr, c.EnforcementTopic)
				kafkatest.DeleteAtCleanup(b, addr, c.EnforcementChangelogTopic)
				pols, err := c.Pipeline.Policies()
				if err != nil {
					b.Fatal(err)
				}
				st := enforce.NewState(pols, enforce.Options{})
				quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})) // new topics: "not leader" warnings at first
				if enf, err = stream.NewEnforcer(c, st, quiet); err != nil {
					b.Fatal(err)
				}
				if err := enf.EnsureTopics(ctx); err != nil {
					b.Fatal(err)
				}
				r.SetEnforcement(st)
				go func() { enfDone <- enf.Run(ctx) }()
			}
			b.ReportAllocs()
			run := startBench(b, r)
			for r.Stats().Fetched == 0 {
				time.Sleep(time.Millisecond)
			}
			t0 := time.Now()
			cpu0 := benchclock.ProcessCPU()
			b.ResetTimer()
			for r.Stats().Acked < int64(len(recs)) || enf != nil && enf.Stats().Applied < int64(len(recs)) {
				time.Sleep(time.Millisecond)
			}
			el := time.Since(t0)
			b.StopTimer()
			b.ReportMetric(float64(benchclock.ProcessCPU()-cpu0)/1e3/float64(len(recs)), "client-cpu-us/rec")
			b.ReportMetric(float64(len(recs))/el.Seconds(), "rec/s")
			run.stop()
			if err := <-run.done; err != nil {
				b.Fatal(err)
			}
			if enf != nil {
				cancel()
				if err := <-enfDone; err != nil {
					b.Fatal(err)
				}
				b.Logf("enforcement: %v", enf.Stats())
			}
		})
	}
}
