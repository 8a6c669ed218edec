package engine

import (
	"testing"
	"time"
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
