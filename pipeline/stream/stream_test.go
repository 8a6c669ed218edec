package stream_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
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
	return startWith(t, c, nil)
}

// startWith is start with set, if not nil, applied to the Runner before it runs.
func startWith(t *testing.T, c stream.Config, set func(*stream.Runner)) *running {
	t.Helper()
	p, err := pipeline.Build(c.Pipeline)
	if err != nil {
		t.Fatal(err)
	}
	r, err := stream.New(c, p, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if set != nil {
		set(r)
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

// poison is one bad input and the dead-letter reason it must get.
type poison struct {
	name, reason string
	value        []byte
}

func poisons() []poison {
	big := make([]byte, 9000)
	for i := range big {
		big[i] = 'a'
	}
	return []poison{
		{"invalid JSON", "invalid_json", []byte(`{"id": "bad-json", "text": `)},
		{"not an object", "invalid_json", []byte(`[1, 2, 3]`)},
		{"invalid UTF-8", "invalid_utf8", []byte("{\"id\": \"bad-utf8\", \"text\": \"\xff\xfe\xfd\"}")},
		{"oversize", "oversize", []byte(`{"id": "big", "text": "` + string(big) + `"}`)},
		{"wrong type id", "wrong_type", []byte(`{"id": 123, "text": "x"}`)},
		{"wrong type text", "wrong_type", []byte(`{"id": "wt", "text": 5}`)},
		{"missing id", "missing_field", []byte(`{"text": "no id"}`)},
	}
}

// TestPoisonRecordsGoToDLQ interleaves bad records with good ones: each bad one reaches the
// dead-letter topic with its reason and source in headers and its original bytes, and
// every good one, before and after, gets its verdict.
func TestPoisonRecordsGoToDLQ(t *testing.T) {
	t.Parallel()
	addr := kafkatest.Broker(t)
	good := streamtest.Records(t, "good", 700, 2000)
	ps := poisons()
	var all []streamtest.Record
	for i, r := range good {
		all = append(all, r)
		if i%100 == 50 {
			p := ps[(i/100)%len(ps)]
			all = append(all, streamtest.Record{ID: "poison-" + p.name, Value: p.value})
		}
	}
	tp := newTopics(t, addr, 1) // one partition: the stream must go on past each bad record
	c := tp.config(t)
	c.Pipeline.MaxRecordBytes = 8192
	streamtest.Produce(t, addr, tp.in, all)
	run := start(t, c)
	streamtest.WaitLag(t, addr, tp.in, c.Group, 1, 0, 2*time.Minute)
	run.shutdown(t)

	streamtest.Check(t, good, streamtest.ReadAll(t, addr, tp.verdicts, 3))
	dlq := streamtest.ReadAll(t, addr, tp.dlq, 1)
	if len(dlq) != len(ps) {
		t.Fatalf("%d dead letters, want %d", len(dlq), len(ps))
	}
	byKey := map[string]streamtest.Message{}
	for _, m := range dlq {
		byKey[m.Key] = m
	}
	for _, p := range ps {
		m, ok := byKey["poison-"+p.name]
		if !ok {
			t.Errorf("%s: no dead letter", p.name)
			continue
		}
		h := m.Headers
		if h[stream.HeaderReason] != p.reason {
			t.Errorf("%s: reason %q, want %q (error %q)", p.name, h[stream.HeaderReason], p.reason, h[stream.HeaderError])
		}
		if string(m.Value) != string(p.value) {
			t.Errorf("%s: dead letter value is not the original bytes", p.name)
		}
		if h[stream.HeaderSourceTopic] != tp.in || h[stream.HeaderSourcePartition] != "0" || h[stream.HeaderSourceOffset] == "" ||
			h[stream.HeaderError] == "" || h[stream.HeaderID] != tp.in+"/0/"+h[stream.HeaderSourceOffset] {
			t.Errorf("%s: headers %v lack the source, error or id", p.name, h)
		}
	}
	if got := run.r.Stats().Rejected; got["invalid_json"] != 2 || got["wrong_type"] != 2 || got["oversize"] != 1 || got["invalid_utf8"] != 1 {
		t.Errorf("rejected counts %v", got)
	}
}

// TestSameVerdictsAsScan runs the same records through `scan` (Processor.Scan) and the
// stream: the verdicts (without latency_us), incident ids and dead-letter reasons agree.
func TestSameVerdictsAsScan(t *testing.T) {
	t.Parallel()
	addr := kafkatest.Broker(t)
	recs := streamtest.Records(t, "same", 3000, 0)
	for _, p := range poisons()[:3] {
		recs = append(recs, streamtest.Record{ID: "poison-" + p.name, Value: p.value})
	}
	tp := newTopics(t, addr, 3)
	c := tp.config(t)
	streamtest.Produce(t, addr, tp.in, recs)
	run := start(t, c)
	streamtest.WaitLag(t, addr, tp.in, c.Group, 3, 0, 2*time.Minute)
	run.shutdown(t)

	p, err := pipeline.Build(c.Pipeline)
	if err != nil {
		t.Fatal(err)
	}
	var in, verdicts, incidents, dlq bytes.Buffer
	for _, r := range recs {
		in.Write(r.Value)
		in.WriteByte('\n')
	}
	var sum pipeline.Summary
	if err := p.Scan(context.Background(), &in, pipeline.ScanOptions{Source: "x", Verdicts: &verdicts, Incidents: &incidents, DLQ: &dlq}, &sum); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for line := range strings.Lines(verdicts.String()) {
		var v struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal([]byte(line), &v); err != nil || v.ID == "" {
			t.Fatalf("scan verdict without id: %v %.100s", err, line)
		}
		want[v.ID] = streamtest.StripLatency(t, []byte(line))
	}
	got := streamtest.ReadAll(t, addr, tp.verdicts, 3)
	if len(got) != len(want) {
		t.Errorf("stream wrote %d verdicts, scan %d", len(got), len(want))
	}
	for _, m := range got {
		if w, ok := want[m.Key]; !ok {
			t.Errorf("stream verdict for %s, which scan did not judge", m.Key)
		} else if g := streamtest.StripLatency(t, m.Value); g != w {
			t.Errorf("verdict %s differs:\nstream %.300s\nscan   %.300s", m.Key, g, w)
		}
	}
	wantInc := map[string]bool{}
	for line := range strings.Lines(incidents.String()) {
		var ev struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatal(err)
		}
		wantInc[ev.ID] = true
	}
	gotInc := streamtest.ReadAll(t, addr, tp.incidents, 3)
	if len(gotInc) != len(wantInc) {
		t.Errorf("stream wrote %d incidents, scan %d", len(gotInc), len(wantInc))
	}
	for _, m := range gotInc {
		if !wantInc[m.Headers[stream.HeaderID]] {
			t.Errorf("incident %s not produced by scan", m.Headers[stream.HeaderID])
		}
	}
	if n := len(streamtest.ReadAll(t, addr, tp.dlq, 1)); int64(n) != sum.Rejected {
		t.Errorf("stream wrote %d dead letters, scan rejected %d", n, sum.Rejected)
	}
	t.Logf("%d verdicts, %d incidents, %d dead letters agree", len(got), len(gotInc), sum.Rejected)
}

// TestKcatInAndOut has a real third-party client, kcat, produce the input and read the
// verdicts and their headers back.
func TestKcatInAndOut(t *testing.T) {
	t.Parallel()
	addr := kafkatest.Broker(t)
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		if os.Getenv(kafkatest.EnvRequire) == "1" {
			t.Fatal("kcat not found: run scripts/deps.sh")
		}
		t.Skip("kcat not found: run scripts/deps.sh")
	}
	recs := streamtest.Records(t, "kcat", 500, 1000)
	tp := newTopics(t, addr, 2)
	c := tp.config(t)
	var in bytes.Buffer
	for _, r := range recs {
		fmt.Fprintf(&in, "%s\t%s\n", r.ID, r.Value) // JSON escapes tabs and newlines
	}
	cmd := exec.Command(kcat, "-b", addr, "-t", tp.in, "-P", "-K\t", "-X", "acks=all")
	cmd.Stdin = &in
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kcat -P: %v\n%s", err, out)
	}
	run := start(t, c)
	streamtest.WaitLag(t, addr, tp.in, c.Group, 2, 0, 2*time.Minute)
	run.shutdown(t)

	out, err := exec.Command(kcat, "-b", addr, "-t", tp.verdicts, "-C", "-o", "beginning", "-e", "-q",
		"-f", "%k\t%h\t%s\n").Output()
	if err != nil {
		t.Fatalf("kcat -C: %v", err)
	}
	var got []streamtest.Message
	for line := range strings.Lines(string(out)) {
		k, rest, _ := strings.Cut(strings.TrimSuffix(line, "\n"), "\t")
		h, v, _ := strings.Cut(rest, "\t")
		if !strings.HasPrefix(h, stream.HeaderID+"="+tp.in+"/") {
			t.Errorf("verdict %s: headers %q, want %s=%s/partition/offset", k, h, stream.HeaderID, tp.in)
		}
		var verdict struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal([]byte(v), &verdict); err != nil || verdict.ID != k {
			t.Errorf("verdict read by kcat: key %q, value %.100q: %v", k, v, err)
		}
		got = append(got, streamtest.Message{Key: k})
	}
	streamtest.Check(t, recs, got)
}

// TestBrokerRestartMidStream restarts the broker while records flow in and are judged:
// the runner rides the outage out by itself and no record is missing.
func TestBrokerRestartMidStream(t *testing.T) {
	t.Parallel()
	s := kafkatest.Private(t)
	recs := streamtest.Records(t, "restart", 40_000, 1000)
	tp := newTopics(t, s.Addr, 3)
	c := tp.config(t)
	run := start(t, c)
	produced := streamtest.ProduceSteadily(t, s.Addr, tp.in, recs, 4000)
	if err := streamtest.Until(time.Minute, func() bool { return run.r.Stats().Acked >= 8000 }); err != nil {
		t.Fatalf("runner did not get going: %v", run.r.Stats())
	}
	t.Logf("restarting the broker at %v", run.r.Stats())
	s.Restart(t)
	t.Logf("broker back at %v", run.r.Stats())
	<-produced
	streamtest.WaitLag(t, s.Addr, tp.in, c.Group, 3, 0, 3*time.Minute)
	run.shutdown(t)
	st := run.r.Stats()
	t.Logf("after the restart: %v", st)
	streamtest.Check(t, recs, streamtest.ReadAll(t, s.Addr, tp.verdicts, 3))
	if st.Acked >= int64(len(recs)) && st.FetchErrors+st.WriteErrors+st.GroupErrors+st.CommitErrors == 0 && st.Generations < 2 {
		t.Errorf("the runner saw no sign of the outage: %v", st)
	}
}
