package stream_test

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/internal/kafkatest"
	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/pipeline/stream"
	"github.com/aigcwatch/aigcwatch/pipeline/stream/streamtest"
)

// topics is one test's input and output topics on one broker.
type topics struct {
	addr                         string
	in, verdicts, incidents, dlq string
	partitions                   int
}

func newTopics(t *testing.T, addr string, partitions int) topics {
	t.Helper()
	return topics{
		addr: addr, partitions: partitions,
		in:        kafkatest.CreateTopic(t, addr, "in", partitions),
		verdicts:  kafkatest.CreateTopic(t, addr, "verdicts", 3),
		incidents: kafkatest.CreateTopic(t, addr, "incidents", 3),
		dlq:       kafkatest.CreateTopic(t, addr, "dlq", 1),
	}
}

func (tp topics) config(t *testing.T) stream.Config {
	c := stream.DefaultConfig
	c.Brokers = []string{tp.addr}
	c.Group = kafkatest.Name(t, "group")
	c.Topics = []string{tp.in}
	c.VerdictsTopic, c.IncidentsTopic, c.DLQTopic = tp.verdicts, tp.incidents, tp.dlq
	c.SessionTimeout = 6 * time.Second
	c.ShutdownTimeout = 20 * time.Second
	c.CommitInterval = 200 * time.Millisecond
	c.Watch = false
	return c
}

func testLogger(t *testing.T) *slog.Logger {
	lvl := slog.LevelWarn
	if os.Getenv("AIGCWATCH_TEST_LOG") != "" {
		lvl = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl})).With("test", t.Name())
}

// running is a Runner started in the background.
type running struct {
	r    *stream.Runner
	stop context.CancelFunc
	done chan error
}

func start(t *testing.T, c stream.Config) *running {
	t.Helper()
	p, err := pipeline.Build(c.Pipeline)
	if err != nil {
		t.Fatal(err)
	}
	r, err := stream.New(c, p, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	run := &running{r: r, stop: cancel, done: make(chan error, 1)}
	go func() { run.done <- r.Run(ctx) }()
	t.Cleanup(func() { run.shutdown(t) })
	return run
}

// shutdown cancels the runner and waits for Run to return (once).
func (run *running) shutdown(t *testing.T) {
	t.Helper()
	if run.done == nil {
		return
	}
	run.stop()
	select {
	case err := <-run.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Errorf("Run did not return within 60s of cancellation")
	}
	run.done = nil
}

func TestStream100kHC3Records(t *testing.T) {
	t.Parallel()
	addr := kafkatest.Broker(t)
	recs := streamtest.Records(t, "hc3", 100_000, 0)
	tp := newTopics(t, addr, 6)
	c := tp.config(t)
	begin := time.Now()
	streamtest.Produce(t, addr, tp.in, recs)
	t.Logf("produced %d records in %v", len(recs), time.Since(begin))
	begin = time.Now()
	run := start(t, c)
	streamtest.WaitLag(t, addr, tp.in, c.Group, tp.partitions, 0, 4*time.Minute)
	el := time.Since(begin)
	run.shutdown(t)
	st := run.r.Stats()
	t.Logf("processed in %v (%.0f records/s): %v", el, float64(len(recs))/el.Seconds(), st)
	verdicts := streamtest.ReadAll(t, addr, tp.verdicts, 3)
	if dups := streamtest.Check(t, recs, verdicts); dups != 0 {
		t.Errorf("%d duplicate verdicts in a run without failures, want 0", dups)
	}
	if st.Acked != int64(len(recs)) {
		t.Errorf("runner acknowledged %d records, want %d", st.Acked, len(recs))
	}
	for _, v := range verdicts[:10] {
		if v.Headers[stream.HeaderID] == "" {
			t.Errorf("verdict %s has no %s header", v.Key, stream.HeaderID)
		}
	}
}
