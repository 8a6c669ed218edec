package serve

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/aigcwatch/aigcwatch/incident"
	"github.com/aigcwatch/aigcwatch/incident/store"
	"github.com/aigcwatch/aigcwatch/pipeline/stream"
)

// IncidentSink takes the incidents of a request before its verdicts are answered. An
// error means the incidents may not be stored: the request is answered 503 and the
// client retries (incident ids are deterministic, so a consumer drops the duplicates).
// It is called concurrently and must not retain evs after returning.
type IncidentSink interface {
	WriteIncidents(ctx context.Context, evs []incident.Event) error
}

// FileSink appends incidents to a file as CloudEvents JSON lines, each request's in
// one write.
type FileSink struct {
	mu     sync.Mutex
	w      io.Writer
	closer io.Closer
}

// OpenFileSink opens path for appending ("-" is stdout), creating it if needed.
func OpenFileSink(path string) (*FileSink, error) {
	if path == "-" {
		return &FileSink{w: os.Stdout}, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("serve: incidents file: %w", err)
	}
	return &FileSink{w: f, closer: f}, nil
}

// NewWriterSink returns a sink writing to w (tests, or a caller's own writer).
func NewWriterSink(w io.Writer) *FileSink { return &FileSink{w: w} }

// WriteIncidents implements IncidentSink.
func (s *FileSink) WriteIncidents(_ context.Context, evs []incident.Event) error {
	var b bytes.Buffer
	for _, ev := range evs {
		b.Write(ev.JSON)
		b.WriteByte('\n')
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("serve: incidents file: %w", err)
	}
	return nil
}

// Close closes the file.
func (s *FileSink) Close() error {
	if s.closer == nil {
		return nil
	}
	return s.closer.Close()
}

// KafkaSink produces incidents to a topic as `aigcwatch run` does: key the provider,
// header aigcwatch-id the deterministic incident id, structured-mode CloudEvents, acks
// from all in-sync replicas before WriteIncidents returns.
type KafkaSink struct {
	w     *kafka.Writer
	topic string
}

// NewKafkaSink checks that topic exists on brokers and returns a sink writing to it.
func NewKafkaSink(ctx context.Context, brokers []string, topic, clientID string, log *slog.Logger) (*KafkaSink, error) {
	cl := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second,
		Transport: &kafka.Transport{ClientID: clientID, DialTimeout: 5 * time.Second}}
	md, err := cl.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, fmt.Errorf("serve: incidents topic: brokers %s: %w", strings.Join(brokers, ","), err)
	}
	for _, t := range md.Topics {
		if t.Error != nil {
			return nil, fmt.Errorf("serve: incidents topic %s on %s: %w; create it (scripts/kafka.sh topic NAME PARTITIONS)", topic, strings.Join(brokers, ","), t.Error)
		}
	}
	if log == nil {
		log = slog.Default()
	}
	errLog := kafka.LoggerFunc(func(format string, args ...any) {
		log.Debug(strings.TrimSpace(fmt.Sprintf(format, args...)), "component", "kafka-go")
	})
	w := stream.NewWriter(brokers, clientID, stream.WriterSettings{BatchSize: 1000, BatchTimeout: time.Millisecond}, errLog)
	return &KafkaSink{w: w, topic: topic}, nil
}

// WriteIncidents implements IncidentSink.
func (s *KafkaSink) WriteIncidents(ctx context.Context, evs []incident.Event) error {
	msgs := make([]kafka.Message, len(evs))
	for i, ev := range evs {
		var key []byte
		if ev.Key != "" {
			key = []byte(ev.Key)
		}
		msgs[i] = kafka.Message{Topic: s.topic, Key: key, Value: ev.JSON, Headers: []kafka.Header{
			{Key: stream.HeaderID, Value: []byte(ev.ID)},
			{Key: stream.HeaderContentType, Value: []byte("application/cloudevents+json")},
		}}
	}
	if err := s.w.WriteMessages(ctx, msgs...); err != nil {
		return fmt.Errorf("serve: incidents topic %s: %w", s.topic, err)
	}
	return nil
}

// Close flushes and closes the producer.
func (s *KafkaSink) Close() error { return s.w.Close() }

// OutboxSink commits incidents to an incident/store outbox (SQLite) before the answer:
// concurrent requests share one transaction (group commit). The store keeps them as
// history (GET /v1/incidents) and, with routes, delivers them to the receivers
// (Store.Deliver), surviving restarts: what was answered is on disk.
type OutboxSink struct {
	G *store.GroupSink
}

// WriteIncidents implements IncidentSink.
func (s OutboxSink) WriteIncidents(ctx context.Context, evs []incident.Event) error {
	if len(evs) == 0 {
		return nil
	}
	raw := make([][]byte, len(evs))
	for i := range evs {
		raw[i] = evs[i].JSON
	}
	if err := s.G.Put(ctx, raw); err != nil {
		return fmt.Errorf("serve: incident outbox: %w", err)
	}
	return nil
}

// Close stops the group commit (the store is closed by its owner).
func (s OutboxSink) Close() error { return s.G.Close() }
