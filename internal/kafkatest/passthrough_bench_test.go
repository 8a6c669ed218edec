package kafkatest

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// -passthrough.set overrides fields of DefaultPassThroughConfig for a sweep, as JSON, e.g.
// go test -run '^$' -bench PassThrough -benchtime 100000x ./internal/kafkatest -args -passthrough.set '{"BatchSize":500,"Compression":"lz4"}'
var passThroughSet = flag.String("passthrough.set", "", "JSON object overriding DefaultPassThroughConfig fields")

// BenchmarkPassThrough moves b.N ~500-byte records through the real broker: 6-partition input
// topic preloaded (not timed), consumer group → acks=all writer → commit after ack. Run it with a
// fixed count: go test -run '^$' -bench PassThrough -benchtime 100000x -count 6 ./internal/kafkatest
// rec/s is the sustained rate (first fetched record to last commit); join_ms the group join and
// first fetch before that.
func BenchmarkPassThrough(b *testing.B) {
	cfg := DefaultPassThroughConfig()
	if *passThroughSet != "" {
		dec := json.NewDecoder(strings.NewReader(*passThroughSet))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			b.Fatalf("-passthrough.set: %v", err)
		}
	}
	addr := Broker(b)
	payloads := SampleRecords(b, 500, 20000)
	const partitions = 6
	b.ReportAllocs()
	b.SetBytes(int64(len(payloads[0])))

	b.StopTimer()
	in := CreateTopic(b, addr, "pt-in", partitions)
	out := CreateTopic(b, addr, "pt-out", partitions)
	Preload(b, addr, in, b.N, payloads)
	b.StartTimer()

	res, err := PassThrough(context.Background(), addr, in, out, Name(b, "pt"), b.N, cfg)
	b.StopTimer()
	if err != nil {
		b.Fatal(shorten(err))
	}
	if got := TopicSize(b, addr, out, partitions); got != int64(b.N) {
		b.Fatalf("output topic holds %d records, want %d", got, b.N)
	}
	b.ReportMetric(res.RecordsPerSecond(), "rec/s")
	b.ReportMetric(float64(res.Join.Milliseconds()), "join_ms")
}

// TestPassThroughExactlyOnceWithoutFailures checks the reference itself: every input record
// reaches the output once, with its key, and the group has nothing left to commit.
func TestPassThroughExactlyOnceWithoutFailures(t *testing.T) {
	t.Parallel()
	addr := Broker(t)
	payloads := SampleRecords(t, 500, 100)
	for i, p := range payloads {
		if len(p) < 480 || len(p) > 500 {
			t.Fatalf("sample record %d is %d bytes, want 480-500", i, len(p))
		}
		var rec map[string]any
		if err := json.Unmarshal(p, &rec); err != nil || rec["id"] == "" || rec["text"] == "" {
			t.Fatalf("sample record %d is not a content record: %v %s", i, err, p)
		}
	}
	in := CreateTopic(t, addr, "pt-in", 3)
	out := CreateTopic(t, addr, "pt-out", 3)
	const n = 3000
	Preload(t, addr, in, n, payloads)
	group := Name(t, "pt")
	res, err := PassThrough(context.Background(), addr, in, out, group, n, DefaultPassThroughConfig())
	if err != nil {
		t.Fatal(err)
	}
	if res.Records != n || res.RecordsPerSecond() <= 0 {
		t.Fatalf("result %+v, want %d records at a positive rate", res, n)
	}
	if got := TopicSize(t, addr, out, 3); got != n {
		t.Fatalf("output holds %d records, want %d", got, n)
	}
	if lag := committedLag(t, addr, in, group, 3); lag != 0 {
		t.Errorf("group lag %d after the pass-through, want 0", lag)
	}
	// Every key arrives once, with its value.
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, GroupID: Name(t, "check"), Topic: out,
		StartOffset: kafka.FirstOffset, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	seen := map[string]bool{}
	for range n {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			t.Fatalf("reading the output after %d records: %v", len(seen), err)
		}
		i, err := strconv.Atoi(strings.TrimPrefix(string(m.Key), "r-"))
		if err != nil || !bytes.Equal(m.Value, payloads[i%len(payloads)]) {
			t.Fatalf("output record with key %q does not carry its input value", m.Key)
		}
		seen[string(m.Key)] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct keys in the output, want %d", len(seen), n)
	}
}
