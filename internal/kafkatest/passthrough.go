package kafkatest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/compress"
)

// The pass-through is the reference the pipeline's throughput is compared with, in the same run
// and with the same kafka-go settings: a consumer group reading records with FetchMessage,
// writing each to an output topic with acks=all, and committing input offsets only after the
// outputs are acknowledged, in order. It does everything the pipeline does except judging.

// PassThroughConfig holds the kafka-go settings of a consumer→producer path.
type PassThroughConfig struct {
	// Batching between fetch and write: up to MaxBatch fetched records per WriteMessages call,
	// Inflight calls at once; input offsets are committed per call, in fetch order.
	MaxBatch int
	Inflight int

	// kafka.Writer
	BatchSize    int
	BatchBytes   int64 // at most the broker's message.max.bytes (1 MiB): beyond, Message Size Too Large
	BatchTimeout time.Duration
	Compression  compress.Compression // JSON: "none", "snappy", "lz4", "zstd", "gzip"

	// kafka.ReaderConfig
	MinBytes      int
	MaxBytes      int
	MaxWait       time.Duration
	QueueCapacity int
}

// DefaultPassThroughConfig returns the best settings found for ~500-byte records on the 2-core
// machine, broker included; docs/benchmarks/kafka-passthrough.md has the sweep behind them.
func DefaultPassThroughConfig() PassThroughConfig {
	return PassThroughConfig{
		MaxBatch:      10000,
		Inflight:      4,
		BatchSize:     1000,
		BatchBytes:    1 << 20,
		BatchTimeout:  5 * time.Millisecond,
		Compression:   0, // none
		MinBytes:      1,
		MaxBytes:      4 << 20,
		MaxWait:       50 * time.Millisecond,
		QueueCapacity: 1000,
	}
}

// ReaderConfig returns a consumer-group reader configuration with these settings, starting from
// the earliest offset when the group has committed nothing.
func (c PassThroughConfig) ReaderConfig(addr, topic, group string) kafka.ReaderConfig {
	return kafka.ReaderConfig{
		Brokers:       []string{addr},
		GroupID:       group,
		Topic:         topic,
		StartOffset:   kafka.FirstOffset,
		MinBytes:      c.MinBytes,
		MaxBytes:      c.MaxBytes,
		MaxWait:       c.MaxWait,
		QueueCapacity: c.QueueCapacity,
	}
}

// NewWriter returns an acks=all writer with these settings and a Transport of its own: the shared
// kafka.DefaultTransport serves metadata from a cache refreshed every few seconds, and
// WriteMessages fails at once with Unknown Topic Or Partition for a topic created since. Close
// the writer, then call CloseIdleConnections on its Transport.
func (c PassThroughConfig) NewWriter(addr, topic string) *kafka.Writer {
	return &kafka.Writer{
		Addr:         kafka.TCP(addr),
		Topic:        topic,
		Balancer:     &kafka.Hash{},
		RequiredAcks: kafka.RequireAll,
		BatchSize:    c.BatchSize,
		BatchBytes:   c.BatchBytes,
		BatchTimeout: c.BatchTimeout,
		Compression:  c.Compression,
		MaxAttempts:  10,
		Transport:    &kafka.Transport{},
	}
}

// PassThroughResult is the timing of one pass-through run.
type PassThroughResult struct {
	Records   int
	Join      time.Duration // from the start to the first fetched record (group join, first fetch)
	Sustained time.Duration // from the first fetched record to the last commit
}

// RecordsPerSecond is the sustained rate: records over Sustained.
func (r PassThroughResult) RecordsPerSecond() float64 {
	return float64(r.Records) / r.Sustained.Seconds()
}

// PassThrough consumes topic in in consumer group group, writes every record (key and value) to
// out with acks=all, and commits input offsets after the writes are acknowledged, until n records
// are committed. It returns the first error of a fetch, write or commit.
func PassThrough(ctx context.Context, addr, in, out, group string, n int, cfg PassThroughConfig) (PassThroughResult, error) {
	start := time.Now()
	r := kafka.NewReader(cfg.ReaderConfig(addr, in, group))
	defer r.Close()
	w := cfg.NewWriter(addr, out)
	defer w.Transport.(*kafka.Transport).CloseIdleConnections()
	defer w.Close()

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait() // after cancel: every goroutine below ends on ctx
	defer cancel()

	type job struct {
		msgs []kafka.Message
		done chan error
	}
	fetched := make(chan kafka.Message, cfg.MaxBatch)
	jobs := make(chan *job, cfg.Inflight)
	fetchErr := make(chan error, 1)
	var first atomic.Int64

	// Fetch: one goroutine, as FetchMessage returns one record at a time.
	wg.Go(func() {
		defer close(fetched)
		for {
			m, err := r.FetchMessage(ctx)
			if err != nil {
				fetchErr <- err
				return
			}
			first.CompareAndSwap(0, time.Now().UnixNano())
			select {
			case fetched <- m:
			case <-ctx.Done():
				return
			}
		}
	})

	// Batch and write: what has been fetched, up to MaxBatch, goes to one WriteMessages call; at
	// most Inflight calls wait in the commit queue, in fetch order.
	wg.Go(func() {
		defer close(jobs)
		for m := range fetched {
			batch := []kafka.Message{m}
		fill:
			for len(batch) < cfg.MaxBatch {
				select {
				case m, ok := <-fetched:
					if !ok {
						break fill
					}
					batch = append(batch, m)
				default:
					break fill
				}
			}
			j := &job{msgs: batch, done: make(chan error, 1)}
			select {
			case jobs <- j:
			case <-ctx.Done():
				return
			}
			wg.Go(func() {
				outs := make([]kafka.Message, len(j.msgs))
				for i, m := range j.msgs {
					outs[i] = kafka.Message{Key: m.Key, Value: m.Value}
				}
				j.done <- w.WriteMessages(ctx, outs...)
			})
		}
	})

	// Commit, in order, after each write is acknowledged.
	done := 0
	for j := range jobs {
		if err := <-j.done; err != nil {
			return PassThroughResult{}, fmt.Errorf("kafkatest: pass-through write after %d records: %w", done, err)
		}
		if err := r.CommitMessages(ctx, j.msgs...); err != nil {
			return PassThroughResult{}, fmt.Errorf("kafkatest: pass-through commit after %d records: %w", done, err)
		}
		done += len(j.msgs)
		if done >= n {
			f := time.Unix(0, first.Load())
			return PassThroughResult{Records: done, Join: f.Sub(start), Sustained: time.Since(f)}, nil
		}
	}
	select {
	case err := <-fetchErr:
		return PassThroughResult{}, fmt.Errorf("kafkatest: pass-through fetch after %d records: %w", done, err)
	default:
		return PassThroughResult{}, errors.New("kafkatest: pass-through stopped early")
	}
}

// Preload writes n records to topic with acks=all, cycling through payloads, keyed r-000000000,
// r-000000001, …, as fast as it can.
func Preload(tb testing.TB, addr, topic string, n int, payloads [][]byte) {
	tb.Helper()
	cfg := DefaultPassThroughConfig()
	w := cfg.NewWriter(addr, topic)
	defer w.Transport.(*kafka.Transport).CloseIdleConnections()
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	const chunk = 20000
	msgs := make([]kafka.Message, 0, chunk)
	for i := 0; i < n; i += chunk {
		msgs = msgs[:0]
		for j := i; j < min(i+chunk, n); j++ {
			msgs = append(msgs, kafka.Message{Key: fmt.Appendf(nil, "r-%09d", j), Value: payloads[j%len(payloads)]})
		}
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			tb.Fatalf("kafkatest: preloading %s: %s", topic, shorten(err))
		}
	}
}

// TopicSize sums the end offsets of topic's partitions: the records it has received (as long as
// retention deleted nothing).
func TopicSize(tb testing.TB, addr, topic string, partitions int) int64 {
	tb.Helper()
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	cl := &kafka.Client{Addr: kafka.TCP(addr), Transport: tr}
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for p := range partitions {
		req.Topics[topic] = append(req.Topics[topic], kafka.LastOffsetOf(p))
	}
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	var n int64
	err := retry(ctx, func() error {
		n = 0
		res, err := cl.ListOffsets(ctx, req)
		if err != nil {
			return err
		}
		for _, p := range res.Topics[topic] {
			if p.Error != nil {
				return p.Error
			}
			n += p.LastOffset
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("kafkatest: end offsets of %s: %v", topic, err)
	}
	return n
}

// SampleRecords returns count content records (v1 JSON: id, time, provider, service, modality,
// text) of about size bytes each, their texts cut from the HC3 Plus Chinese answers in
// ../shared/data/corpus (AI-generated and human), so that sizes and compressibility are those of
// real content. It skips the test when the corpus is absent.
func SampleRecords(tb testing.TB, size, count int) [][]byte {
	tb.Helper()
	script, err := findScript()
	if err != nil {
		tb.Skip(err)
	}
	path := filepath.Join(filepath.Dir(filepath.Dir(script)), "..", "shared", "data", "corpus", "hc3plus_zh_val_qa.jsonl")
	f, err := os.Open(path)
	if err != nil {
		tb.Skipf("kafkatest: sample corpus absent: %v", err)
	}
	defer f.Close()
	var text strings.Builder
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line struct{ Text string }
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			tb.Fatalf("kafkatest: %s: %v", path, err)
		}
		text.WriteString(line.Text)
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("kafkatest: %s: %v", path, err)
	}
	corpus := text.String()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([][]byte, count)
	pos := 0
	for i := range out {
		rec := struct {
			ID       string `json:"id"`
			Time     string `json:"time"`
			Provider string `json:"provider"`
			Service  string `json:"service"`
			Modality string `json:"modality"`
			Text     string `json:"text"`
		}{
			ID:       fmt.Sprintf("r-%09d", i),
			Time:     base.Add(time.Duration(i) * time.Millisecond).Format(time.RFC3339Nano),
			Provider: fmt.Sprintf("provider-%02d", i%20),
			Service:  "chat",
			Modality: "text",
		}
		empty, _ := json.Marshal(rec)
		budget := size - len(empty) // bytes of text; characters that JSON would escape are skipped
		var b strings.Builder
		for {
			if pos >= len(corpus) {
				pos = 0
			}
			r, w := utf8.DecodeRuneInString(corpus[pos:])
			if b.Len()+w > budget {
				break
			}
			pos += w
			if r >= 0x20 && !strings.ContainsRune("\"\\<>&\u2028\u2029", r) && r != utf8.RuneError {
				b.WriteRune(r)
			}
		}
		rec.Text = b.String()
		out[i], _ = json.Marshal(rec)
	}
	return out
}

// shorten cuts an error message: kafka.WriteErrors repeats one error per message.
func shorten(err error) string {
	s := err.Error()
	if len(s) > 400 {
		s = s[:400] + "..."
	}
	return s
}
