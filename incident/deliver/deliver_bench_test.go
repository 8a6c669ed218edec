package deliver

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/incident/route"
	"github.com/aigcwatch/aigcwatch/incident/webhook"
)

// BenchmarkWorkerHTTP is delivery without a store: b.N incidents through one Worker to a
// local receiver that verifies every signature (the Inbox of aigcwatch receive), the dedup
// set in memory. It isolates routing, grouping, signing and HTTP from the SQLite costs
// (BenchmarkDeliverOutbox in package store has them). One op is one incident.
func BenchmarkWorkerHTTP(b *testing.B) {
	for _, mode := range []string{"batched", "structured"} {
		b.Run(mode, func(b *testing.B) {
			secret, _ := webhook.ParseSecret(testSecret)
			inbox := webhook.NewInbox(io.Discard, []webhook.Secret{secret})
			inbox.Log = quiet
			srv := httptest.NewServer(inbox)
			defer srv.Close()
			groupBy := "[provider, rule]"
			if mode == "structured" {
				groupBy = `["..."]`
			}
			tr := testTree(b, fmt.Sprintf("receivers: [{name: a, url: %q, secret_file: k.whsec, max_events: 1000}]\nroute: {receiver: a, group_by: %s, group_wait: 0s, group_interval: 1ms}", srv.URL, groupBy))
			w := NewWorker("a", Options{Log: quiet, Tree: func() *route.Tree { return tr }, Dedup: &memDedup{m: map[string]bool{}}, Parker: &memParker{}})
			evs := make([][]byte, b.N)
			now := time.Now()
			for i := range evs {
				evs[i] = event(fmt.Sprint("e", i), fmt.Sprint("p", i%10), fmt.Sprint("R", i%7), now)
			}
			ctx, cancel := context.WithCancel(b.Context())
			defer cancel()
			var wg sync.WaitGroup
			wg.Add(b.N)
			b.ResetTimer()
			go w.Run(ctx)
			for _, ev := range evs {
				if err := w.Submit(ctx, &Item{Event: ev, Since: now, Ack: func(o Outcome) {
					if o != Delivered {
						b.Errorf("outcome %v", o)
					}
					wg.Done()
				}}); err != nil {
					b.Fatal(err)
				}
			}
			wg.Wait()
			b.StopTimer()
			if s := inbox.Stats(); s.Written < b.N {
				b.Fatalf("receiver wrote %d of %d", s.Written, b.N)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "incidents/s")
		})
	}
}
