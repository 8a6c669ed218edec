package stream_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/enforce"
	"github.com/aigcwatch/aigcwatch/internal/kafkatest"
	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/pipeline/stream"
	"github.com/aigcwatch/aigcwatch/pipeline/stream/streamtest"
)

// enforcerRecords are n records of 30 providers in time order, keyed by provider, a
// third of the providers sending fraud scripts often enough to climb.
func enforcerRecords(t *testing.T, n int) []streamtest.Record {
	t.Helper()
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	out := make([]streamtest.Record, n)
	for i := range out {
		p := i % 30
		text := "今天天气不错，我们去公园散步吧。"
		if p%3 == 0 && (i/30)%4 == 0 {
			text = "加我微信，刷单返利，日赚500"
		}
		v, err := json.Marshal(map[string]any{"id": fmt.Sprintf("ef-%05d", i), "time": t0.Add(time.Duration(i) * time.Minute).Format(time.RFC3339),
			"provider": fmt.Sprintf("prov-%02d", p), "jurisdiction": "CN", "role": "provider", "modality": "text",
			"labels": map[string]any{"interface": true}, "text": text})
		if err != nil {
			t.Fatal(err)
		}
		out[i] = streamtest.Record{ID: fmt.Sprintf("prov-%02d", p), Value: v}
	}
	return out
}

func newState(t *testing.T, c *stream.Config) *enforce.State {
	t.Helper()
	pols, err := c.Pipeline.Policies()
	if err != nil {
		t.Fatal(err)
	}
	return enforce.NewState(pols, enforce.Options{})
}

// enforcementConfig is tp's config with enforcement on, through topics of its own that
// are deleted after the test.
func enforcementConfig(t *testing.T, addr string, tp topics) stream.Config {
	t.Helper()
	c := tp.config(t)
	c.Enforcement = true
	c.EnforcementTopic, c.EnforcementChangelogTopic = kafkatest.Name(t, "enf"), kafkatest.Name(t, "enf-chg")
	kafkatest.DeleteAtCleanup(t, addr, c.EnforcementTopic)
	kafkatest.DeleteAtCleanup(t, addr, c.EnforcementChangelogTopic)
	return c
}

// referenceState is what one State says after applying recs judged in order, and the
// time of the last record.
func referenceState(t *testing.T, c *stream.Config, recs []streamtest.Record) (*enforce.State, time.Time) {
	t.Helper()
	p, err := pipeline.Build(c.Pipeline)
	if err != nil {
		t.Fatal(err)
	}
	want := newState(t, c)
	w := p.NewWorker()
	var last time.Time
	for _, r := range recs {
		j, err := w.Judge(context.Background(), r.Value)
		if err != nil || j.Reject != nil {
			t.Fatal(err, j.Reject)
		}
		want.ApplyObservation(enforce.Observe(j.Record, j.Verdict, j.Incidents))
		last = j.Record.Time
	}
	return want, last
}

// startObserving starts a Runner whose judged records are observed for enforcement.
func startObserving(t *testing.T, c stream.Config, st *enforce.State) {
	t.Helper()
	startWith(t, c, func(r *stream.Runner) { r.SetEnforcement(st) })
}

type runningEnforcer struct {
	e    *stream.Enforcer
	st   *enforce.State
	stop context.CancelFunc
	done chan error
}

func startEnforcer(t *testing.T, c stream.Config, st *enforce.State) *runningEnforcer {
	t.Helper()
	e, err := stream.NewEnforcer(c, st, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := e.EnsureTopics(ctx); err != nil {
		t.Fatal(err)
	}
	re := &runningEnforcer{e: e, st: st, stop: cancel, done: make(chan error, 1)}
	go func() { re.done <- e.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-re.done; err != nil {
			t.Errorf("Enforcer.Run: %v", err)
		}
	})
	return re
}

// TestEnforcerRebalanceKeepsCounts runs a Runner and an Enforcer in-process (under the
// race detector in `make test`), adds a second Enforcer mid-stream (a rebalance: the
// first forgets the partitions it gives up, the second rebuilds them from the
// changelog), and checks the changelog against the same records applied in order to one
// State: same levels, points and totals for every provider.
func TestEnforcerRebalanceKeepsCounts(t *testing.T) {
	t.Parallel()
	addr := kafkatest.Broker(t)
	recs := enforcerRecords(t, 3000)
	tp := newTopics(t, addr, 3)
	c := enforcementConfig(t, addr, tp)
	_, _, group := c.EnforcementNames()

	// What one State applying the records in order says.
	want, _ := referenceState(t, &c, recs)

	a := startEnforcer(t, c, newState(t, &c))
	startObserving(t, c, a.st)
	streamtest.Produce(t, addr, tp.in, recs[:1500])
	if err := streamtest.Until(time.Minute, func() bool { return a.e.Stats().Applied >= 1000 }); err != nil {
		t.Fatalf("the enforcer applied %d observations", a.e.Stats().Applied)
	}
	b := startEnforcer(t, c, newState(t, &c))
	if err := streamtest.Until(time.Minute, func() bool { return b.e.Stats().Partitions > 0 && a.e.Stats().Partitions > 0 }); err != nil {
		t.Fatalf("no rebalance: a owns %d partitions, b %d", a.e.Stats().Partitions, b.e.Stats().Partitions)
	}
	streamtest.Produce(t, addr, tp.in, recs[1500:])
	streamtest.WaitLag(t, addr, tp.in, c.Group, 3, 0, 2*time.Minute)
	streamtest.WaitLag(t, addr, c.EnforcementTopic, group, 3, 0, 2*time.Minute)
	if a.st.Len()+b.st.Len() != want.Len() {
		t.Errorf("a holds %d providers and b %d: together they should hold %d once each", a.st.Len(), b.st.Len(), want.Len())
	}
	got := map[enforce.Key]enforce.EntryState{}
	for _, m := range streamtest.ReadAll(t, addr, c.EnforcementChangelogTopic, 3) {
		var v struct{ Entry enforce.EntryState }
		if err := json.Unmarshal(m.Value, &v); err != nil {
			t.Fatal(err)
		}
		got[enforce.Key{Provider: v.Entry.Provider, Jurisdiction: v.Entry.Jurisdiction}] = v.Entry
	}
	escalated := 0
	for _, w := range want.Export() {
		g, ok := got[enforce.Key{Provider: w.Provider, Jurisdiction: w.Jurisdiction}]
		if !ok || g.Level != w.Level || g.Totals != w.Totals || g.Seq != w.Seq || sum(g.Points) != sum(w.Points) {
			t.Errorf("%s: changelog level %d seq %d points %d %+v, in order %d %d %d %+v", w.Provider, g.Level, g.Seq, sum(g.Points), g.Totals, w.Level, w.Seq, sum(w.Points), w.Totals)
		}
		if w.Level > 0 {
			escalated++
		}
	}
	if escalated == 0 || len(got) != want.Len() {
		t.Fatalf("%d providers on the changelog, %d escalated: want %d providers, some escalated", len(got), escalated, want.Len())
	}
	t.Logf("a: %v; b: %v", a.e.Stats(), b.e.Stats())
}

func sum(p []int64) (s int64) {
	for _, v := range p {
		s += v
	}
	return s
}

// TestEnforcerSweepsSilentProviders: a provider escalated at the start of the stream and
// silent afterwards is de-escalated by its owner's sweep once the partition's stream time
// passes its compliant period (CN: 14 days), with the same change (id, time) as a State
// swept at that time; the changelog and the incidents topic have it.
func TestEnforcerSweepsSilentProviders(t *testing.T) {
	t.Parallel()
	addr := kafkatest.Broker(t)
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var recs []streamtest.Record
	add := func(i int, provider, text string, at time.Time) {
		v, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("sw-%05d", i), "time": at.Format(time.RFC3339), "provider": provider,
			"jurisdiction": "CN", "role": "provider", "modality": "text", "labels": map[string]any{"interface": true}, "text": text})
		recs = append(recs, streamtest.Record{ID: provider, Value: v})
	}
	for i := range 8 { // escalates within the first hour, then never sends again
		add(i, "silent", "加我微信，刷单返利，日赚500", t0.Add(time.Duration(i)*time.Minute))
	}
	for i := range 2000 { // 16 days of clean records from 20 others
		add(100+i, fmt.Sprintf("clean-%02d", i%20), "今天天气不错，我们去公园散步吧。", t0.Add(time.Hour+time.Duration(i)*16*24*time.Hour/2000))
	}
	tp := newTopics(t, addr, 3)
	c := enforcementConfig(t, addr, tp)
	c.EnforcementSweep = 100 * time.Millisecond
	_, _, group := c.EnforcementNames()

	want, last := referenceState(t, &c, recs)
	if lv, _ := want.LevelOf("silent", "CN"); lv != 1 {
		t.Fatalf("the silent provider is at %d before the sweep, want 1", lv)
	}
	swept := want.SweepKeys(last, []enforce.Key{{Provider: "silent", Jurisdiction: "CN"}})
	if len(swept) != 1 || swept[0].Direction != enforce.Deescalate {
		t.Fatalf("the reference sweep: %+v", swept)
	}

	a := startEnforcer(t, c, newState(t, &c))
	startObserving(t, c, a.st)
	streamtest.Produce(t, addr, tp.in, recs)
	streamtest.WaitLag(t, addr, c.EnforcementTopic, group, 3, 0, 2*time.Minute)
	if err := streamtest.Until(30*time.Second, func() bool { lv, _ := a.st.LevelOf("silent", "CN"); return lv == 0 && a.e.Stats().Changes >= 2 }); err != nil {
		lv, _ := a.st.LevelOf("silent", "CN")
		t.Fatalf("the silent provider is still at %d", lv)
	}
	time.Sleep(2 * c.CommitInterval) // the changelog follows at the commit interval
	got := map[string]enforce.EntryState{}
	for _, m := range streamtest.ReadAll(t, addr, c.EnforcementChangelogTopic, 3) {
		var v struct{ Entry enforce.EntryState }
		if err := json.Unmarshal(m.Value, &v); err != nil {
			t.Fatal(err)
		}
		got[v.Entry.Provider] = v.Entry
	}
	for _, w := range want.Export() {
		g := got[w.Provider]
		if g.Level != w.Level || g.Seq != w.Seq || g.Totals != w.Totals || len(g.History) != len(w.History) {
			t.Errorf("%s: changelog level %d seq %d %+v, reference %d %d %+v", w.Provider, g.Level, g.Seq, g.Totals, w.Level, w.Seq, w.Totals)
		}
	}
	found := false
	for _, m := range streamtest.ReadAll(t, addr, tp.incidents, 3) {
		var ev struct{ ID, Type, Direction string }
		if json.Unmarshal(m.Value, &ev) == nil && ev.Type == enforce.LevelChangedType && ev.ID == swept[0].ID {
			found = true
		}
	}
	if !found {
		t.Errorf("the de-escalation %s is not on the incidents topic", swept[0].ID)
	}
}
