package store

import (
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/incident/deliver"
	"github.com/aigcwatch/aigcwatch/incident/route"
	"github.com/aigcwatch/aigcwatch/incident/webhook"
	"github.com/aigcwatch/aigcwatch/internal/benchclock"
)

// BenchmarkEnqueue is the cost an incident adds to judging without Kafka: its history row
// and outbox row, committed (fsync) before the verdict is returned. perCall=1 is serve's
// case (one record a request), 256 scan's (one batch of lines). One op is one incident.
func BenchmarkEnqueue(b *testing.B) {
	for _, per := range []int{1, 256} {
		b.Run(fmt.Sprintf("perCall=%d", per), func(b *testing.B) {
			dir := b.TempDir()
			os.WriteFile(filepath.Join(dir, "k.whsec"), []byte(testSecret), 0o600)
			tr, err := route.Parse(filepath.Join(dir, "r.yaml"), []byte("receivers: [{name: a, url: 'http://x/', secret_file: k.whsec}, {name: b, url: 'http://x/', secret_file: k.whsec}]\nroute: {receiver: a, routes: [{receiver: b, match: {jurisdiction: CN}, continue: true}]}"))
			if err != nil {
				b.Fatal(err)
			}
			s, err := Open(filepath.Join(dir, "s.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			evs := make([][]byte, b.N)
			now := time.Now()
			for i := range evs {
				evs[i] = event(fmt.Sprint("e", i), fmt.Sprint("p", i%10), "CN", fmt.Sprint("R", i%7), "high", now)
			}
			b.ReportAllocs()
			b.ResetTimer()
			clk := benchclock.Start()
			for i := 0; i < len(evs); i += per {
				if err := s.Enqueue(b.Context(), tr, evs[i:min(i+per, len(evs))]); err != nil {
					b.Fatal(err)
				}
			}
			clk.Report(b, "incidents/cpu-s")
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "incidents/s")
		})
	}
}

// BenchmarkDeliverOutbox drains an outbox of b.N incidents to a local receiver that
// verifies every signature (aigcwatch receive's Inbox, writing to io.Discard), through
// the dedup store: the no-Kafka delivery path end to end. One op is one incident.
func BenchmarkDeliverOutbox(b *testing.B) {
	for _, mode := range []string{"batched", "structured"} {
		b.Run(mode, func(b *testing.B) {
			dir := b.TempDir()
			os.WriteFile(filepath.Join(dir, "k.whsec"), []byte(testSecret), 0o600)
			secret, _ := webhook.ParseSecret(testSecret)
			inbox := webhook.NewInbox(io.Discard, []webhook.Secret{secret})
			inbox.Log = slog.New(slog.DiscardHandler)
			srv := httptest.NewServer(inbox)
			defer srv.Close()
			groupBy := "[provider, rule]"
			if mode == "structured" {
				groupBy = `["..."]`
			}
			tr, err := route.Parse(filepath.Join(dir, "r.yaml"), []byte(fmt.Sprintf("receivers: [{name: a, url: %q, secret_file: k.whsec, max_events: 1000}]\nroute: {receiver: a, group_by: %s, group_wait: 0s, group_interval: 1ms}", srv.URL, groupBy)))
			if err != nil {
				b.Fatal(err)
			}
			s, err := Open(filepath.Join(dir, "s.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			evs := make([][]byte, b.N)
			now := time.Now()
			for i := range evs {
				evs[i] = event(fmt.Sprint("e", i), fmt.Sprint("p", i%10), "CN", fmt.Sprint("R", i%7), "high", now)
			}
			for i := 0; i < len(evs); i += 512 {
				if err := s.Enqueue(b.Context(), tr, evs[i:min(i+512, len(evs))]); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			if err := s.Deliver(b.Context(), deliver.Options{Tree: func() *route.Tree { return tr }, Log: slog.New(slog.DiscardHandler)}, true); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if p, _ := s.Pending(b.Context()); p["a"] != 0 {
				b.Fatalf("%d left", p["a"])
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "incidents/s")
		})
	}
}

// BenchmarkSinkPutParallel is serve's case under load: 16 concurrent requests, each with
// one incident, through the group-committing Sink. One op is one incident.
func BenchmarkSinkPutParallel(b *testing.B) {
	dir := b.TempDir()
	os.WriteFile(filepath.Join(dir, "k.whsec"), []byte(testSecret), 0o600)
	tr, err := route.Parse(filepath.Join(dir, "r.yaml"), []byte("receivers: [{name: a, url: 'http://x/', secret_file: k.whsec}]\nroute: {receiver: a}"))
	if err != nil {
		b.Fatal(err)
	}
	s, err := Open(filepath.Join(dir, "s.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	sink := NewSink(s, func() *route.Tree { return tr })
	defer sink.Close()
	var n atomic.Int64
	now := time.Now()
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if err := sink.Put(b.Context(), [][]byte{event(fmt.Sprint("e", i), "p", "CN", "R", "high", now)}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "incidents/s")
}
