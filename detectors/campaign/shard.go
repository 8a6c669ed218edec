package campaign

import (
	"slices"
	"strconv"
	"time"

	"github.com/cespare/xxhash/v2"

	"github.com/aigcwatch/aigcwatch/detectors/fingerprint"
)

// Campaign counting split in two, for a campaign topic with several partitions
// (stream.Campaigns, docs/layers.md "Several instances"):
//
//  1. Assignment, sharded by LSH band: the observation goes to the owner of each of its
//     bands (BandKeys, PartitionOf), once per owner with the mask of the bands that owner
//     holds. The owner's Detector finds, through those bands only, the followed content
//     the text agrees with that ranks first (Assign), or starts following it, and names
//     the content by its fingerprint. A text that shares a band with a piece of content
//     always reaches the owner of that band, where the content is indexed by that band.
//  2. Counting, keyed by fingerprint: every assignment goes to the owner of the
//     fingerprint, whose Tally counts distinct accounts per fingerprint and window and
//     reports the crossing once. Adding an account twice counts it once, so a text
//     assigned to the same content by several band owners is one account.
//
// Partitions see the observations in different orders, so one campaign may become
// content in several of them under different fingerprints; Merge and Transfer messages
// (also keyed by fingerprint) move the counts to the one ranking first (the smallest
// fingerprint), and only content that became content in every partition its text was
// sent to may report. TestShardedCampaign runs it in memory over 1 to 8 partitions in
// random interleavings against the single-process Observe.

// AllBands is the mask of every band: the Detector of a single process (Observe).
const AllBands = uint32(1<<fingerprint.MinHashBands - 1)

// BandKeys returns sig's LSH band keys: band b's MinHashRows values mixed with b, so that
// equal values in different bands are different keys. Stored state and partitioning
// depend on them: TestBandKeysGolden pins them.
func BandKeys(sig *fingerprint.MinHashSig) [fingerprint.MinHashBands]uint64 {
	var k [fingerprint.MinHashBands]uint64
	for b := range k {
		k[b] = bandKey(sig, b)
	}
	return k
}

// Fingerprint is the content's fingerprint: xxhash64 of its signature (big-endian).
func Fingerprint(sig *fingerprint.MinHashSig) uint64 { return xxhash.Sum64(sigBytes(sig)) }

// FingerprintID is how findings and events name a fingerprint: "minhash:" and hex digits.
func FingerprintID(fp uint64) string { return "minhash:" + strconv.FormatUint(fp, 16) }

// Assign returns the fingerprint of the followed content that o agrees with (at least
// Config.Similarity), looked up through the bands in mask, whose fingerprint is the
// smallest and smaller than o's own; when there is none, o's text becomes followed
// content, indexed by those bands, and its own fingerprint is returned with created true.
// Content is ranked by fingerprint, not by arrival, because every partition must rank it
// the same way whatever order the observations reach it in (a ranking by record time
// would not do: two partitions may each have seen a different one of two identical texts
// first). Assign counts no account (Tally does).
//
// The merges returned tell the Tally to move counts to the content that ranks first: when
// o joins content, whatever o's own text counted as content elsewhere (in a partition
// where it met no content ranking before it) moves there; when o becomes content, the
// content it agrees with here that ranks after it moves to o's. Merges always go from a
// larger fingerprint to a smaller one, so they never make a cycle.
func (d *Detector) Assign(o *Observation, mask uint32) (fp uint64, created bool, merges []Merge) {
	bands := BandKeys(&o.Sig)
	self := Fingerprint(&o.Sig)
	d.mu.Lock()
	defer d.mu.Unlock()
	slot, same := -1, false
	var younger []int32
	for b, k := range bands {
		if mask&(1<<b) == 0 {
			continue
		}
		for _, s := range d.postings[k] {
			c := &d.tracked[s]
			if !c.live {
				continue
			}
			if c.fp == self {
				same = true
				continue
			}
			isOlder := older(c.born, c.fp, o.At, self)
			if isOlder && slot >= 0 && !older(c.born, c.fp, d.tracked[slot].born, d.tracked[slot].fp) {
				continue
			}
			if !isOlder && slices.Contains(younger, s) {
				continue
			}
			if c.sig.Equal(&o.Sig) < d.minEqual {
				continue
			}
			if isOlder {
				slot = int(s)
			} else {
				younger = append(younger, s)
			}
		}
	}
	if slot >= 0 {
		x := &d.tracked[slot]
		return x.fp, false, []Merge{{From: self, Into: x.fp, IntoBorn: x.born, RecordID: o.RecordID}}
	}
	for _, s := range younger {
		merges = append(merges, Merge{From: d.tracked[s].fp, Into: self, IntoBorn: o.At, RecordID: o.RecordID})
	}
	if same { // the same text again, or a copy that came before it: it is that content
		return self, false, merges
	}
	return d.add(&o.Sig, &bands, mask, o.At).fp, true, merges
}

// older ranks content: by fingerprint only (see Assign); the times are those of the
// contents' first records, kept in messages for the logs.
func older(_ time.Time, fp1 uint64, _ time.Time, fp2 uint64) bool { return fp1 < fp2 }

// Tally counts distinct accounts per fingerprint within the window: the counting half of
// a sharded campaign topic. Memory is bounded like the Detector's: at most MaxTracked
// fingerprints (the one counted first is dropped first), each with the same counter
// (exact up to 64 accounts, then a HyperLogLog). Not safe for concurrent use.
//
// A fingerprint reports a campaign only once it is known to be content in its own right:
// the text it is the fingerprint of was sent to Of partitions and became content in every
// one of them (it met no older copy anywhere). Counts of content merged into older content
// (Merge) move there, with the accounts assigned to it later, and it never reports: so one
// campaign is reported under one fingerprint, that of the copy ranking first, not once per
// partition or per copy that came first.
type Tally struct {
	cfg   Config
	slots map[uint64]int32
	ring  []tallied
	next  int
}

type tallied struct {
	fp       uint64
	start    time.Time
	accounts counter
	creators []int32 // partitions in which the fingerprint's text became content
	of       int     // how many partitions that text was sent to (0: no creation seen yet)
	reported bool
	into     uint64    // the older content this one was merged into (0: none)
	intoBorn time.Time // its time
}

// NewTally returns a Tally for cfg.
func NewTally(cfg Config) *Tally {
	return &Tally{cfg: cfg.withDefaults(), slots: map[uint64]int32{}}
}

// Len is how many fingerprints are counted.
func (t *Tally) Len() int { return len(t.slots) }

// entry returns fp's entry, starting one (its window at at) when there is none.
func (t *Tally) entry(fp uint64, at time.Time) *tallied {
	if s, ok := t.slots[fp]; ok {
		return &t.ring[s]
	}
	var s int
	if len(t.ring) < t.cfg.MaxTracked {
		t.ring = append(t.ring, tallied{})
		s = len(t.ring) - 1
	} else {
		s = t.next
		t.next = (t.next + 1) % t.cfg.MaxTracked
		delete(t.slots, t.ring[s].fp)
	}
	t.slots[fp] = int32(s)
	e := &t.ring[s]
	*e = tallied{fp: fp, start: at}
	return e
}

// window moves e to the window of at when at is past e's window.
func (t *Tally) window(e *tallied, at time.Time) {
	if at.Sub(e.start) > t.cfg.Window {
		e.start, e.reported = at, false
		e.accounts.reset()
	}
}

// Add counts a's account for a's fingerprint, and reports the campaign when the
// fingerprint is content in its own right (see Tally) and has the configured number of
// accounts within the window (once per window). A window starts at the first account
// counted for the fingerprint and lasts Config.Window; an account seen after it starts the
// next window. Accounts seen before the window's start (they arrive out of time order from
// different partitions) are counted in it, unless they are more than a window before it.
// The same assignment twice changes nothing.
// When the fingerprint was merged into older content, the assignment is returned as fwd,
// for that content, and counts nothing here.
func (t *Tally) Add(a *Assignment) (fwd *Assignment, c Campaign, ok bool) {
	e := t.entry(a.FP, a.At)
	if a.Created && !slices.Contains(e.creators, int32(a.Part)) {
		e.creators = append(e.creators, int32(a.Part))
		e.of = a.Of
	}
	if e.into != 0 {
		f := *a
		f.FP, f.Created = e.into, false
		return &f, Campaign{}, false
	}
	if e.start.Sub(a.At) > t.cfg.Window {
		return nil, Campaign{}, false // an account of a window long past
	}
	t.window(e, a.At)
	e.accounts.add(a.Who)
	c, ok = t.check(e)
	return nil, c, ok
}

// check reports e's campaign when it is due.
func (t *Tally) check(e *tallied) (Campaign, bool) {
	if e.reported || e.into != 0 || e.of == 0 || len(e.creators) < e.of {
		return Campaign{}, false
	}
	if n, est := e.accounts.count(); n >= t.cfg.Accounts {
		e.reported = true
		return Campaign{ID: FingerprintID(e.fp), Accounts: n, Estimate: est, Start: e.start, Window: t.cfg.Window}, true
	}
	return Campaign{}, false
}

// Merge applies m to its From fingerprint: from now on it counts for m.Into (or for an
// older content it was merged into before). The returned transfer carries what it counted
// so far, for the Into fingerprint; nil when nothing changed.
func (t *Tally) Merge(m *Merge) *Transfer {
	e := t.entry(m.From, m.IntoBorn)
	if e.into != 0 && !older(m.IntoBorn, m.Into, e.intoBorn, e.into) {
		return nil
	}
	e.into, e.intoBorn = m.Into, m.IntoBorn
	return &Transfer{Into: e.into, IntoBorn: e.intoBorn, Start: e.start, Reported: e.reported, Accounts: e.accounts.clone(), RecordID: m.RecordID}
}

// Receive adds what x carries to its Into fingerprint, and reports the campaign when it
// is due (as Add does). When Into was itself merged into older content, the transfer goes
// on there (fwd).
func (t *Tally) Receive(x *Transfer) (fwd *Transfer, c Campaign, ok bool) {
	e := t.entry(x.Into, x.Start)
	if e.into != 0 {
		f := *x
		f.Into, f.IntoBorn = e.into, e.intoBorn
		return &f, Campaign{}, false
	}
	if x.Start.Sub(e.start) > t.cfg.Window {
		t.window(e, x.Start)
	} else if e.start.Sub(x.Start) > t.cfg.Window {
		return nil, Campaign{}, false // counts of a window long past
	} else if x.Start.Before(e.start) {
		e.start = x.Start // the window of the earliest copy
	}
	e.accounts.merge(&x.Accounts)
	if x.Reported {
		e.reported = true // the campaign was reported under the younger copy's fingerprint
	}
	c, ok = t.check(e)
	return nil, c, ok
}

// PartitionOf is the partition, of n, that owns key (a band key or a fingerprint): key
// modulo n. The campaign topic's producer and its consumers must agree on it.
func PartitionOf(key uint64, n int) int { return int(key % uint64(n)) }

// Shards returns, for each of n partitions, the mask of sig's bands it owns (0: none).
func Shards(bands *[fingerprint.MinHashBands]uint64, n int) []uint32 {
	m := make([]uint32, n)
	for b, k := range bands {
		m[PartitionOf(k, n)] |= 1 << b
	}
	return m
}
