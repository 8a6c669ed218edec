package engine

import (
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/incident"
	"github.com/aigcwatch/aigcwatch/record"
)

// TestRetriesForget: the guard forgets a record after retryTTL, and the oldest of more
// than retryCapacity records, and nothing else.
func TestRetriesForget(t *testing.T) {
	g := newRetries()
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if g.again(1, t0) || !g.again(1, t0.Add(time.Second)) {
		t.Fatal("a key is new once, then seen")
	}
	if g.again(1, t0.Add(retryTTL+time.Second)) {
		t.Error("seen again after retryTTL")
	}
	// The ring holds key 1 twice (applied at t0 and again after it expired): forgetting
	// the first must not forget the second.
	for k := uint64(2); k < retryCapacity; k++ {
		g.again(k, t0.Add(retryTTL+2*time.Second))
	}
	now := t0.Add(retryTTL + 3*time.Second)
	g.again(retryCapacity, now) // the ring is full: this one replaces key 1's first entry
	if !g.again(1, now) {
		t.Error("key 1, applied again after it expired, forgotten with its first entry")
	}
	g.again(retryCapacity+1, now) // replaces key 1's second entry
	if !g.again(2, now) || !g.again(retryCapacity+1, now) {
		t.Error("recent keys forgotten")
	}
	if len(g.seen) != retryCapacity { // keys 2 to retryCapacity+1
		t.Errorf("%d keys remembered, want %d", len(g.seen), retryCapacity)
	}
	if g.again(1, now) {
		t.Error("the oldest key survived a full ring")
	}
}

// TestRetryKey: every part of the record's identity changes the key, and computing it
// allocates nothing.
func TestRetryKey(t *testing.T) {
	base := func() *record.Record {
		return &record.Record{Provider: "p", Jurisdiction: "CN", ID: "r-1", Time: time.Unix(1, 0), Text: "text"}
	}
	evs := []incident.Event{{ID: "e-1"}}
	k0 := retryKey(base(), evs)
	for name, edit := range map[string]func(*record.Record){
		"provider": func(r *record.Record) { r.Provider = "q" }, "jurisdiction": func(r *record.Record) { r.Jurisdiction = "EU" },
		"id": func(r *record.Record) { r.ID = "r-2" }, "time": func(r *record.Record) { r.Time = time.Unix(2, 0) },
		"text": func(r *record.Record) { r.Text = "texts" }, "fields run together": func(r *record.Record) { r.Provider, r.Jurisdiction = "pC", "N" },
	} {
		r := base()
		edit(r)
		if retryKey(r, evs) == k0 {
			t.Errorf("%s changed, key the same", name)
		}
	}
	if retryKey(base(), nil) == k0 || retryKey(base(), []incident.Event{{ID: "e-2"}}) == k0 {
		t.Error("other incidents, key the same")
	}
	r := base()
	if n := testing.AllocsPerRun(100, func() { retryKey(r, evs) }); n != 0 {
		t.Errorf("retryKey allocates %v times", n)
	}
}
