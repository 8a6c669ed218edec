package kafkatest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/compress"
)

// The pass-through is the reference the pipeline's throughput is compared with: a consumer group
// reading ~500-byte records with FetchMessage, writing each to an output topic with acks=all, and
// committing input offsets only after the outputs are acknowledged, in order. It does everything
// the pipeline does except judging the records.

// PassThroughConfig holds the kafka-go settings of one pass-through run.
type passThroughConfig struct {
	Partitions int // of the input and output topics

	// Batching between fetch and write: up to MaxBatch fetched records per WriteMessages call,
	// Inflight calls at once; input offsets are committed per call, in fetch order.
	MaxBatch int
	Inflight int

	// kafka.Writer
	BatchSize    int
	BatchBytes   int64
	BatchTimeout time.Duration
	Compression  compress.Compression

	// kafka.ReaderConfig
	MinBytes      int
	MaxBytes      int
	MaxWait       time.Duration
	QueueCapacity int
}

// defaultPassThrough is the best setting found on the 2-core machine; see
// docs/benchmarks/kafka-passthrough.md for the sweep.
var defaultPassThrough = passThroughConfig{
	Partitions:    6,
	MaxBatch:      2000,
	Inflight:      4,
	BatchSize:     1000,
	BatchBytes:    1 << 20, // at most the broker's message.max.bytes (1 MiB + 12): Message Size Too Large beyond
	BatchTimeout:  2 * time.Millisecond,
	Compression:   0,
	MinBytes:      1,
	MaxBytes:      4 << 20,
	MaxWait:       50 * time.Millisecond,
	QueueCapacity: 1000,
}

// -passthrough.set overrides fields of defaultPassThrough for a sweep, as JSON:
// go test -run ^$ -bench PassThrough ./internal/kafkatest -args -passthrough.set '{"BatchSize":500}'
var passThroughSet = flag.String("passthrough.set", "", "JSON object overriding pass-through settings")

// BenchmarkPassThrough moves b.N records through the real broker; run it with a fixed count:
// go test -run '^$' -bench PassThrough -benchtime 200000x -count 5 ./internal/kafkatest
// rec/s is measured from the first fetched record to the last commit; the group join before that
// is reported apart as join_ms.
func BenchmarkPassThrough(b *testing.B) {
	cfg := defaultPassThrough
	if *passThroughSet != "" {
		dec := json.NewDecoder(strings.NewReader(*passThroughSet))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			b.Fatalf("-passthrough.set: %v", err)
		}
	}
	addr := Broker(b)
	payloads := benchRecords(b, 500, 20000)
	b.ReportAllocs()
	b.SetBytes(int64(len(payloads[0])))

	b.StopTimer()
	in := CreateTopic(b, addr, "pt-in", cfg.Partitions)
	out := CreateTopic(b, addr, "pt-out", cfg.Partitions)
	preload(b, addr, in, b.N, payloads)
	b.StartTimer()

	res, err := passThrough(context.Background(), addr, in, out, Name(b, "pt"), b.N, cfg)
	b.StopTimer()
	if err != nil {
		b.Fatal(shorten(err)) // kafka.WriteErrors repeats one error per message
	}
	if got := topicSize(b, addr, out, cfg.Partitions); got != int64(b.N) {
		b.Fatalf("output topic holds %d records, want %d", got, b.N)
	}
	b.ReportMetric(float64(b.N)/res.sustained.Seconds(), "rec/s")
	b.ReportMetric(float64(res.join.Milliseconds()), "join_ms")
}

type passThroughResult struct {
	join      time.Duration // start to first fetched record
	sustained time.Duration // first fetched record to last commit
}

// passThrough consumes n records of topic in in group group, writes them to out and commits, and
// returns when all n are committed.
func passThrough(ctx context.Context, addr, in, out, group string, n int, cfg passThroughConfig) (passThroughResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()

	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:       []string{addr},
		GroupID:       group,
		Topic:         in,
		StartOffset:   kafka.FirstOffset,
		MinBytes:      cfg.MinBytes,
		MaxBytes:      cfg.MaxBytes,
		MaxWait:       cfg.MaxWait,
		QueueCapacity: cfg.QueueCapacity,
	})
	defer r.Close()
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	w := &kafka.Writer{
		Addr:         kafka.TCP(addr),
		Topic:        out,
		Balancer:     &kafka.Hash{},
		RequiredAcks: kafka.RequireAll,
		BatchSize:    cfg.BatchSize,
		BatchBytes:   cfg.BatchBytes,
		BatchTimeout: cfg.BatchTimeout,
		Compression:  cfg.Compression,
		MaxAttempts:  10,
		Transport:    tr,
	}
	defer w.Close()

	type job struct {
		msgs []kafka.Message
		done chan error
	}
	fetched := make(chan kafka.Message, cfg.MaxBatch)
	jobs := make(chan *job, cfg.Inflight)
	fetchErr := make(chan error, 1)
	var first atomic.Int64

	// Fetch: one goroutine, as FetchMessage returns one record at a time.
	go func() {
		defer close(fetched)
		for {
			m, err := r.FetchMessage(ctx)
			if err != nil {
				fetchErr <- err
				return
			}
			first.CompareAndSwap(0, time.Now().UnixNano())
			fetched <- m
		}
	}()

	// Batch and write: up to Inflight WriteMessages calls at once; jobs enter the commit queue in
	// fetch order.
	go func() {
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
			go func() {
				outs := make([]kafka.Message, len(j.msgs))
				for i, m := range j.msgs {
					outs[i] = kafka.Message{Key: m.Key, Value: m.Value}
				}
				j.done <- w.WriteMessages(ctx, outs...)
			}()
		}
	}()

	// Commit, in order, after each write is acknowledged.
	done := 0
	for j := range jobs {
		if err := <-j.done; err != nil {
			return passThroughResult{}, fmt.Errorf("write after %d records: %w", done, err)
		}
		if err := r.CommitMessages(ctx, j.msgs...); err != nil {
			return passThroughResult{}, fmt.Errorf("commit after %d records: %w", done, err)
		}
		done += len(j.msgs)
		if done >= n {
			end := time.Now()
			f := time.Unix(0, first.Load())
			return passThroughResult{join: f.Sub(start), sustained: end.Sub(f)}, nil
		}
	}
	select {
	case err := <-fetchErr:
		return passThroughResult{}, fmt.Errorf("fetch after %d records: %w", done, err)
	default:
		return passThroughResult{}, errors.New("pass-through stopped early")
	}
}

// preload writes n records cycling through payloads, keyed by record number, as fast as it can.
func preload(tb testing.TB, addr, topic string, n int, payloads [][]byte) {
	tb.Helper()
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	w := &kafka.Writer{
		Addr: kafka.TCP(addr), Topic: topic, Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll,
		BatchSize: 1000, BatchBytes: 1 << 20, BatchTimeout: 5 * time.Millisecond, Transport: tr,
	}
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
			tb.Fatalf("preloading %s: %s", topic, shorten(err))
		}
	}
}

// topicSize sums the end offsets of topic's partitions: the records it holds (nothing is deleted
// in a benchmark's lifetime).
func topicSize(tb testing.TB, addr, topic string, partitions int) int64 {
	tb.Helper()
	cl := &kafka.Client{Addr: kafka.TCP(addr)}
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for p := range partitions {
		req.Topics[topic] = append(req.Topics[topic], kafka.LastOffsetOf(p))
	}
	res, err := cl.ListOffsets(context.Background(), req)
	if err != nil {
		tb.Fatal(err)
	}
	var n int64
	for _, p := range res.Topics[topic] {
		if p.Error != nil {
			tb.Fatal(p.Error)
		}
		n += p.LastOffset
	}
	return n
}

// benchRecords builds count JSON content records of about size bytes each, with Chinese texts
// from the HC3 Plus corpus in ../shared/data (AI-generated and human answers), cut and joined to
// fill the record. It skips when the corpus is absent.
func benchRecords(tb testing.TB, size, count int) [][]byte {
	tb.Helper()
	script, err := findScript()
	if err != nil {
		tb.Skip(err)
	}
	path := filepath.Join(filepath.Dir(filepath.Dir(script)), "..", "shared", "data", "corpus", "hc3plus_zh_val_qa.jsonl")
	f, err := os.Open(path)
	if err != nil {
		tb.Skipf("benchmark corpus absent: %v", err)
	}
	defer f.Close()
	var text strings.Builder
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line struct{ Text string }
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
		text.WriteString(line.Text)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	corpus := text.String()
	out := make([][]byte, count)
	pos := 0
	for i := range out {
		rec := struct {
			ID       string `json:"id"`
			Provider string `json:"provider"`
			Model    string `json:"model"`
			TS       int64  `json:"ts"`
			Text     string `json:"text"`
		}{fmt.Sprintf("r-%09d", i), fmt.Sprintf("provider-%02d", i%20), "model-a", 1767225600000 + int64(i), ""}
		empty, _ := json.Marshal(rec)
		budget := size - len(empty) // bytes of text, UTF-8 (json.Marshal keeps CJK as is)
		var b strings.Builder
		for b.Len() < budget {
			if pos >= len(corpus) {
				pos = 0
			}
			r, w := utf8.DecodeRuneInString(corpus[pos:])
			if b.Len()+w > budget {
				break
			}
			if r != '"' && r != '\\' && r >= 0x20 && r != '<' && r != '>' && r != '&' {
				b.WriteRune(r)
			}
			pos += w
		}
		rec.Text = b.String()
		out[i], _ = json.Marshal(rec)
	}
	return out
}

func shorten(err error) string {
	s := err.Error()
	if len(s) > 400 {
		s = s[:400] + "..."
	}
	return s
}
