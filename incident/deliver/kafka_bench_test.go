package deliver_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/aigcwatch/aigcwatch/incident"
	"github.com/aigcwatch/aigcwatch/incident/deliver"
	"github.com/aigcwatch/aigcwatch/incident/route"
	"github.com/aigcwatch/aigcwatch/incident/store"
	"github.com/aigcwatch/aigcwatch/incident/webhook"
	"github.com/aigcwatch/aigcwatch/internal/kafkatest"
)

// BenchmarkKafkaDeliver is delivery from the incidents topic on the real broker: b.N
// incidents already on a 3-partition topic, read in the receiver's consumer group, grouped
// by provider and rule, deduplicated against the SQLite store, posted signed to a local
// receiver that verifies them; offsets committed after acknowledgement. One op is one
// incident; the time runs from the start of delivery to the last incident at the receiver.
func BenchmarkKafkaDeliver(b *testing.B) {
	addr := kafkatest.Broker(b)
	topic := kafkatest.CreateTopic(b, addr, "incidents", 3)
	parking := kafkatest.CreateTopic(b, addr, "parked", 1)
	w := &kafka.Writer{Addr: kafka.TCP(addr), Topic: topic, Balancer: kafka.Murmur2Balancer{}, RequiredAcks: kafka.RequireAll, BatchTimeout: 2 * time.Millisecond, BatchSize: 1000, Transport: &kafka.Transport{MetadataTTL: 100 * time.Millisecond}}
	msgs := make([]kafka.Message, b.N)
	now := time.Now().UTC().Format(time.RFC3339)
	for i := range msgs {
		prov := fmt.Sprint("p", i%10)
		msgs[i] = kafka.Message{Key: []byte(prov), Value: fmt.Appendf(nil, `{"specversion":"1.0","id":"k%d","source":"urn:aigcwatch","type":%q,"subject":%q,"time":%q,"datacontenttype":"application/json","data":{"record_id":"r","rule":{"id":"R%d","pack":"p"},"decision":"block","layer":"content","severity":"high","jurisdiction":"CN","authority":"CAC","provider":%q}}`,
			i, incident.Type, prov, now, i%7, prov)}
	}
	for try := 0; ; try++ { // the new topic's metadata can take a moment to reach the producer
		err := w.WriteMessages(b.Context(), msgs...)
		if err == nil {
			break
		}
		if try == 50 {
			b.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	w.Close()
	dir := b.TempDir()
	const secret = "whsec_YWlnY3dhdGNoLXRlc3QtdmVjdG9yLWtleS0zMmJ5dGU="
	os.WriteFile(filepath.Join(dir, "k.whsec"), []byte(secret), 0o600)
	k, _ := webhook.ParseSecret(secret)
	inbox := webhook.NewInbox(io.Discard, []webhook.Secret{k})
	quiet := slog.New(slog.DiscardHandler)
	inbox.Log = quiet
	srv := httptest.NewServer(inbox)
	defer srv.Close()
	tr, err := route.Parse(filepath.Join(dir, "r.yaml"), []byte(fmt.Sprintf("receivers: [{name: a, url: %q, secret_file: k.whsec, max_events: 500}]\nroute: {receiver: a, group_wait: 50ms, group_interval: 50ms}", srv.URL)))
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(filepath.Join(dir, "s.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	cfg := deliver.DefaultKafkaConfig
	cfg.Brokers, cfg.Topic, cfg.ParkingTopic, cfg.GroupPrefix = []string{addr}, topic, parking, kafkatest.Name(b, "deliver")
	parker := deliver.NewKafkaParker(cfg)
	defer parker.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	b.ResetTimer()
	go func() {
		defer close(done)
		deliver.RunKafka(ctx, cfg, deliver.Options{Tree: func() *route.Tree { return tr }, Dedup: st, Parker: parker, Log: quiet})
	}()
	deadline := time.Now().Add(5 * time.Minute)
	for inbox.Stats().Written < b.N+1 { // the incidents and at least one group event
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d delivered", inbox.Stats().Written, b.N)
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.StopTimer()
	cancel()
	<-done
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "incidents/s")
}
