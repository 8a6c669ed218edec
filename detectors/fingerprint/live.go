package fingerprint

import (
	"errors"
	"fmt"
	"math/bits"

	"github.com/aigcwatch/aigcwatch/detectors/fingerprint/pdq"
)

// tailMax bounds the live additions that are searched one by one. Matcher.Add appends
// to this tail in O(1) per entry; when it would grow past tailMax, every live addition is
// folded into an indexed overlay Set (one build, O(n)), so n additions cost O(n²/tailMax)
// entry builds in all (≈ 2.5 M for 100,000 additions) and a lookup scans at most tailMax
// entries of its kind (≈ 5 µs for 2,048 PDQ hashes).
const tailMax = 2048

// tail holds the newest live additions, searched by scanning. A tail in a Set is a
// snapshot: its slices are prefixes of the Matcher's buffers, which later additions only
// extend past their length (or copy when full), so a Set never sees an entry change.
type tail struct {
	entries []Entry
	bank    []uint8 // bank index of each entry
	pdq     []int32 // indexes into entries, by kind
	text    []int32
	media   []int32
	sim     []int32
	minhash []int32
}

func (t *tail) add(e Entry, bi uint8) {
	i := int32(len(t.entries))
	t.entries = append(t.entries, e)
	t.bank = append(t.bank, bi)
	switch e.Kind {
	case KindPDQ:
		t.pdq = append(t.pdq, i)
	case KindText:
		t.text = append(t.text, i)
	case KindSHA256:
		t.media = append(t.media, i)
	case KindSimHash:
		t.sim = append(t.sim, i)
	case KindMinHash:
		t.minhash = append(t.minhash, i)
	}
}

// snapshot returns a copy whose slices cannot be appended to in place.
func (t *tail) snapshot() *tail {
	return &tail{entries: clip(t.entries), bank: clip(t.bank), pdq: clip(t.pdq), text: clip(t.text),
		media: clip(t.media), sim: clip(t.sim), minhash: clip(t.minhash)}
}

func clip[T any](s []T) []T { return s[:len(s):len(s)] }

// match builds the Match of tail entry i at distance d.
func (t *tail) match(s *Set, i int32, d int) Match {
	e := &t.entries[i]
	bk := &s.banks[t.bank[i]]
	return Match{Bank: bk.name, Meaning: bk.meaning, Severity: bk.severity, Category: bk.category,
		Label: e.Label, EntryCat: e.Category, Source: e.Source, Distance: d}
}

func (t *tail) matchPDQ(s *Set, h pdq.Hash, fn func(Match) bool) {
	for _, i := range t.pdq {
		if d := h.Distance(t.entries[i].PDQ); d <= s.banks[t.bank[i]].pdqMax && !fn(t.match(s, i, d)) {
			return
		}
	}
}

func (t *tail) matchKey(s *Set, ids []int32, k uint64, fn func(Match) bool) {
	for _, i := range ids {
		if t.entries[i].Key == k && !fn(t.match(s, i, 0)) {
			return
		}
	}
}

func (t *tail) matchSim(s *Set, h uint64, fn func(Match) bool) {
	for _, i := range t.sim {
		if d := bits.OnesCount64(h ^ t.entries[i].Key); d <= s.banks[t.bank[i]].simMax && !fn(t.match(s, i, d)) {
			return
		}
	}
}

// ErrNoSet is returned by Matcher.Add before any Set was loaded.
var ErrNoSet = errors.New("fingerprint: no bank set loaded")

// Add adds entries to the current Set without reloading (live additions: the banks topic,
// auto-banking). The entries are validated against the current Set's banks; on error
// nothing is added. They are kept and re-applied after each successful Reload. The Set is
// swapped atomically: lookups see all of one call's entries or none.
//
// Cost: O(1) per entry, except that every tailMax additions all live additions are
// folded into an indexed overlay (O(n), ≈ 0.1 s CPU at 100,000 PDQ entries, taken by
// the caller that crosses the bound). At MaxLiveAdditions it returns ErrTooManyAdditions
// and adds nothing: the entries kept so far go on matching.
func (m *Matcher) Add(entries ...Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := m.cur.Load()
	if cur == nil {
		return ErrNoSet
	}
	if len(m.added)+len(entries) > MaxLiveAdditions {
		return ErrTooManyAdditions
	}
	idx := make([]uint8, len(entries))
	for i := range entries {
		bi, err := cur.validate(&entries[i])
		if err != nil {
			return fmt.Errorf("fingerprint: live addition %q: %w", truncate(entries[i].Label), err)
		}
		idx[i] = bi
	}
	if len(m.tail.entries)+len(entries) > tailMax {
		all := append(m.added, entries...)
		next, err := withAdditions(cur, all)
		if err != nil {
			return err
		}
		m.added, m.tail = all, tail{}
		m.cur.Store(next)
		return nil
	}
	for i, e := range entries {
		m.tail.add(e, idx[i])
	}
	m.added = append(m.added, entries...)
	next := *cur
	next.tail = m.tail.snapshot()
	m.cur.Store(&next)
	return nil
}

// validate checks a live addition as Builder.Add would and returns its bank index.
func (s *Set) validate(e *Entry) (uint8, error) {
	bi := -1
	for i := range s.banks {
		if s.banks[i].name == e.Bank {
			bi = i
			break
		}
	}
	switch {
	case bi < 0:
		return 0, fmt.Errorf("unknown bank %q", e.Bank)
	case e.Label == "":
		return 0, errors.New("empty label")
	case e.Kind < KindPDQ || e.Kind > KindMinHash:
		return 0, fmt.Errorf("unknown entry kind %d", e.Kind)
	case e.Kind == KindMinHash && e.MinHash == nil:
		return 0, errors.New("minhash entry without a signature")
	}
	return uint8(bi), nil
}

// Live returns the number of live additions held (at most MaxLiveAdditions).
func (m *Matcher) Live() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.added)
}
