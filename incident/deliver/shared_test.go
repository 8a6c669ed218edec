package deliver_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/incident/deliver"
	"github.com/aigcwatch/aigcwatch/incident/store"
	"github.com/aigcwatch/aigcwatch/internal/kafkatest"
)

// TestSharedDedup on the real broker: ids one process marks delivered reach another
// process's store through the delivered topic; ids of another receiver do not count.
func TestSharedDedup(t *testing.T) {
	addr := kafkatest.Broker(t)
	cfg := deliver.DefaultKafkaConfig
	cfg.Brokers, cfg.DeliveredTopic = []string{addr}, kafkatest.CreateTopic(t, addr, "delivered", 3)
	a, err := store.Open(filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := store.Open(filepath.Join(t.TempDir(), "b.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	shared := deliver.NewSharedDedup(cfg, a)
	defer shared.Close()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		deliver.ConsumeDelivered(ctx, cfg, kafkatest.Name(t, "b"), b, slog.New(slog.DiscardHandler))
	}()
	mctx, mcancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer mcancel()
	for shared.MarkDelivered(mctx, "cac", []string{"x1", "x2"}) != nil { // the new topic's metadata may lag
		if mctx.Err() != nil {
			t.Fatal("could not publish")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if seen, _ := a.Seen(t.Context(), "cac", []string{"x1"}); !seen["x1"] {
		t.Error("not marked locally")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		seen, err := b.Seen(t.Context(), "cac", []string{"x1", "x2"})
		if err != nil {
			t.Fatal(err)
		}
		if seen["x1"] && seen["x2"] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the other process never learnt the delivered ids: %v", seen)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if seen, _ := b.Seen(t.Context(), "tns", []string{"x1"}); seen["x1"] {
		t.Error("an id delivered to cac counted as delivered to tns")
	}
	cancel()
	<-done
}
