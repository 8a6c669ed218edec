package enforce

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestPutEntryContinuesExactly moves every provider's state through Entry and Put (what
// a changelog carries) halfway through a stream whose records come out of time order
// (two input partitions interleaved): the moved state continues exactly like the state
// that saw everything, and, without a replay guard, the older records after the move
// still count.
func TestPutEntryContinuesExactly(t *testing.T) {
	var stream []Observation
	for i := range 60 {
		h := float64(i) * 0.4
		if i%2 == 1 {
			h -= 3 // the other partition lags three hours behind
		}
		rs := high
		if i%5 == 0 {
			rs = unl
		}
		stream = append(stream, obs("p1", at(h), rs), obs("p2", at(h+0.1)))
		if i%7 == 0 {
			stream = append(stream, obs("p2", at(h), crit))
		}
	}
	whole := newTestState(t)
	for _, o := range stream {
		whole.ApplyObservation(o)
	}
	first := newTestState(t)
	half := len(stream) / 2
	for _, o := range stream[:half] {
		first.ApplyObservation(o)
	}
	moved := newTestState(t)
	for _, k := range []Key{{"p1", "XX"}, {"p2", "XX"}} {
		es, ok := first.Entry(k)
		if !ok {
			t.Fatalf("%v not tracked", k)
		}
		// Through JSON, as on the changelog.
		js, _ := json.Marshal(es)
		var back EntryState
		if err := json.Unmarshal(js, &back); err != nil {
			t.Fatal(err)
		}
		if err := moved.Put(back); err != nil {
			t.Fatal(err)
		}
	}
	replayedBefore := moved.Stats().Replayed
	for _, o := range stream[half:] {
		moved.ApplyObservation(o)
	}
	if moved.Stats().Replayed != replayedBefore {
		t.Errorf("records were taken for replays after Put: %d", moved.Stats().Replayed)
	}
	if got, want := moved.Export(), whole.Export(); !reflect.DeepEqual(got, want) {
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		t.Fatalf("moved state differs from the whole one:\n got %s\nwant %s", gj, wj)
	}
	if lv, _ := whole.LevelOf("p1", "XX"); lv == 0 {
		t.Fatal("the stream should escalate p1 (the test would prove little)")
	}
	moved.Forget(Key{"p1", "XX"})
	if _, ok := moved.Entry(Key{"p1", "XX"}); ok || moved.Len() != 1 {
		t.Errorf("Forget left p1 (%d tracked)", moved.Len())
	}
}

// TestSweepKeysOnlyThoseKeys de-escalates only the providers named.
func TestSweepKeysOnlyThoseKeys(t *testing.T) {
	s := newTestState(t)
	for _, p := range []string{"a", "b"} {
		s.ApplyObservation(obs(p, at(0), crit))
	}
	if la, _ := s.LevelOf("a", "XX"); la != 1 {
		t.Fatalf("a at %d, want 1", la)
	}
	ch := s.SweepKeys(at(0).Add(48*time.Hour), []Key{{"a", "XX"}, {"nobody", "XX"}})
	if len(ch) != 1 || ch[0].Provider != "a" || ch[0].Direction != Deescalate {
		t.Fatalf("changes %+v", ch)
	}
	if lb, _ := s.LevelOf("b", "XX"); lb != 1 {
		t.Errorf("b swept too: level %d", lb)
	}
}

// TestObservationLadderByName applies an observation without its ruleset on the ladder
// it names.
func TestObservationLadderByName(t *testing.T) {
	s := newTestState(t)
	o := obs("p", at(0), crit)
	o.Jurisdiction = "ZZ" // the default ladder's, by jurisdiction
	o.Ladder = "test"
	s.ApplyObservation(o)
	if v := s.Provider("p"); len(v) != 1 || v[0].Ladder != "test" {
		t.Fatalf("views %+v", v)
	}
	if got := s.LadderFor(&Observation{Jurisdiction: "XX"}); got != "test" {
		t.Errorf("LadderFor XX = %q", got)
	}
}
