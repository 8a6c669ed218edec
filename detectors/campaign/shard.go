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
//     bands (BandKeys), once per owner with the mask of the bands that owner holds. The
//     owner's Detector finds, through those bands only, the followed content the text
//     agrees with most (Assign), or starts following it, and names the content by its
//     fingerprint. A text that shares a band with a piece of content always reaches the
//     owner of that band, where the content is indexed by that band.
//  2. Counting, keyed by fingerprint: every assignment goes to the owner of the
//     fingerprint, whose Tally counts distinct accounts per fingerprint and window and
//     reports the crossing once. Adding an account twice counts it once, so a text
//     assigned to the same content by several band owners is one account.
//
// With one shard holding every band (AllBands), Assign followed by Tally.Count decides as
// Observe does.

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

// Assign returns the fingerprint of the oldest followed content, older than o, that o
// agrees with (at least Config.Similarity), looked up through the bands in mask; when
// there is none, o's text becomes followed content, indexed by those bands, and its own
// fingerprint is returned with created true. Content is ordered by the time of the record
// that started it, then by fingerprint: every partition orders it the same way, whatever
// order the observations reach it in, so that content which two partitions started at
// once from near copies is settled the same way in both (the older wins). Assign counts no
// account (Tally does).
func (d *Detector) Assign(o *Observation, mask uint32) (fp uint64, created bool) {
	bands := BandKeys(&o.Sig)
	self := Fingerprint(&o.Sig)
	d.mu.Lock()
	defer d.mu.Unlock()
	slot := -1
	for b, k := range bands {
		if mask&(1<<b) == 0 {
			continue
		}
		for _, s := range d.postings[k] {
			c := &d.tracked[s]
			if !c.live || !older(c.born, c.fp, o.At, self) || slot >= 0 && !older(c.born, c.fp, d.tracked[slot].born, d.tracked[slot].fp) {
				continue
			}
			if c.sig.Equal(&o.Sig) >= d.minEqual {
				slot = int(s)
			}
		}
	}
	if slot >= 0 {
		return d.tracked[slot].fp, false
	}
	for b, k := range bands { // the same text again (or a hash collision): it is that content
		if mask&(1<<b) == 0 {
			continue
		}
		for _, s := range d.postings[k] {
			if c := &d.tracked[s]; c.live && c.fp == self {
				return self, false
			}
		}
		break
	}
	return d.add(&o.Sig, &bands, mask, o.At).fp, true
}

// older orders content by the time of its first record, then by fingerprint.
func older(at1 time.Time, fp1 uint64, at2 time.Time, fp2 uint64) bool {
	if !at1.Equal(at2) {
		return at1.Before(at2)
	}
	return fp1 < fp2
}

// Tally counts distinct accounts per fingerprint within the window: the counting half of
// a sharded campaign topic. Memory is bounded like the Detector's: at most MaxTracked
// fingerprints (the one counted first is dropped first), each with the same counter
// (exact up to 64 accounts, then a HyperLogLog). Not safe for concurrent use.
//
// A fingerprint reports a campaign only once it is known to be content in its own right:
// the text it is the fingerprint of was sent to Of partitions and became content in every
// one of them (it matched no older content anywhere). Content that a text started in one
// partition while it joined older content in another is a partial copy of that older
// content, counts nothing towards a campaign and never reports: so one campaign is
// reported under one fingerprint, not once per partition that saw it first.
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
}

// NewTally returns a Tally for cfg.
func NewTally(cfg Config) *Tally {
	return &Tally{cfg: cfg.withDefaults(), slots: map[uint64]int32{}}
}

// Len is how many fingerprints are counted.
func (t *Tally) Len() int { return len(t.slots) }

// Add counts a's account for a's fingerprint, and reports the campaign when the
// fingerprint is content in its own right (see Tally) and has the configured number of
// accounts within the window (once per window). A window starts at the first account
// counted for the fingerprint and lasts Config.Window; an account seen after it starts the
// next window. Accounts seen before the window's start (they arrive out of time order from
// different partitions) are counted in it. The same assignment twice changes nothing.
func (t *Tally) Add(a *Assignment) (Campaign, bool) {
	var e *tallied
	if s, ok := t.slots[a.FP]; ok {
		e = &t.ring[s]
		if a.At.Sub(e.start) > t.cfg.Window {
			e.start, e.reported = a.At, false
			e.accounts.reset()
		}
	} else {
		var s int
		if len(t.ring) < t.cfg.MaxTracked {
			t.ring = append(t.ring, tallied{})
			s = len(t.ring) - 1
		} else {
			s = t.next
			t.next = (t.next + 1) % t.cfg.MaxTracked
			delete(t.slots, t.ring[s].fp)
		}
		t.slots[a.FP] = int32(s)
		e = &t.ring[s]
		*e = tallied{fp: a.FP, start: a.At}
	}
	e.accounts.add(a.Who)
	if a.Created && !slices.Contains(e.creators, int32(a.Part)) {
		e.creators = append(e.creators, int32(a.Part))
		e.of = a.Of
	}
	if e.reported || e.of == 0 || len(e.creators) < e.of {
		return Campaign{}, false
	}
	if n, est := e.accounts.count(); n >= t.cfg.Accounts {
		e.reported = true
		return Campaign{ID: FingerprintID(a.FP), Accounts: n, Estimate: est, Start: e.start, Window: t.cfg.Window}, true
	}
	return Campaign{}, false
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
