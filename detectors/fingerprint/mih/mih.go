// Package mih is a multi-index-hashing index over 256-bit PDQ hashes: it finds every
// indexed hash within a Hamming distance of a query, with results identical to a brute
// force scan, while touching only a small part of the index.
//
// Scheme. The hash is cut into 8 superchunks of 32 bits, each made of two 16-bit slots
// (the reference's Hash256 words). Pigeonhole, generalised: if two hashes are within
// distance d and radii R_p are chosen with Σ(R_p+1) ≥ d+1, some superchunk p differs by at
// most R_p. Within that superchunk, with slot radii r_a+r_b ≥ R_p-1, one of its two slots
// differs by at most its r. For d = 31 every R_p is 3 and every slot radius is 1: a query
// probes 16 slots × 17 values = 272 buckets. Each bucket entry stores the id and the
// sibling slot of the same superchunk, so the superchunk bound (slot distance + sibling
// distance ≤ R_p) filters almost all random candidates before the full 256-bit hash is
// read. A match is reported only at the first (superchunk, slot) that can reach it, so
// each id is reported once without a visited set.
//
// Memory: 32 bytes per hash for the hashes plus 16 × 6 bytes of postings, 128 bytes per
// hash in all (1.28 GB for 10 million), plus 4 MB of bucket offsets.
//
// The index is immutable after New and safe for concurrent searches. It does not know
// about banks or labels; ids are positions in the slice given to New.
package mih

import (
	"math/bits"
	"runtime"
	"sync"

	"github.com/aigcwatch/aigcwatch/detectors/fingerprint/pdq"
)

const (
	slots       = 16
	superchunks = 8
	buckets     = 1 << 16
)

// masks holds every 16-bit value sorted by popcount; masksUpTo[r] is the number of
// values of popcount ≤ r, so masks[:masksUpTo[r]] is the Hamming ball of radius r.
var masks, masksUpTo = func() ([]uint16, [18]int) {
	var byWeight [17][]uint16
	for v := 0; v < buckets; v++ {
		w := bits.OnesCount16(uint16(v))
		byWeight[w] = append(byWeight[w], uint16(v))
	}
	var all []uint16
	var upTo [18]int
	for w := 0; w <= 16; w++ {
		all = append(all, byWeight[w]...)
		upTo[w] = len(all)
	}
	upTo[17] = len(all)
	return all, upTo
}()

// Index is an immutable multi-index over a slice of PDQ hashes.
type Index struct {
	hashes []pdq.Hash
	off    [slots][]uint32 // bucket b of slot s is ids[s][off[s][b]:off[s][b+1]]
	ids    [slots][]uint32
	sib    [slots][]uint16 // the other slot of the same superchunk, parallel to ids
}

// Match is one search result: the position of the hash in the slice given to New and its
// distance from the query.
type Match struct {
	ID       int
	Distance int
}

// New builds an index over hashes. It retains hashes: the caller must not modify the
// slice afterwards. Building uses up to GOMAXPROCS goroutines. It panics if there are
// more than 2³²-1 hashes.
func New(hashes []pdq.Hash) *Index {
	if uint64(len(hashes)) >= 1<<32 {
		panic("mih: too many hashes")
	}
	ix := &Index{hashes: hashes}
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for s := 0; s < slots; s++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ix.buildSlot(s)
		}()
	}
	wg.Wait()
	return ix
}

// buildSlot counting-sorts the hashes by slot s.
func (ix *Index) buildSlot(s int) {
	sibSlot := s ^ 1
	off := make([]uint32, buckets+1)
	for i := range ix.hashes {
		off[int(ix.hashes[i].Slot16(s))+1]++
	}
	for b := 1; b <= buckets; b++ {
		off[b] += off[b-1]
	}
	next := make([]uint32, buckets)
	copy(next, off[:buckets])
	ids := make([]uint32, len(ix.hashes))
	sib := make([]uint16, len(ix.hashes))
	for i := range ix.hashes {
		h := &ix.hashes[i]
		v := h.Slot16(s)
		p := next[v]
		next[v]++
		ids[p] = uint32(i)
		sib[p] = h.Slot16(sibSlot)
	}
	ix.off[s], ix.ids[s], ix.sib[s] = off, ids, sib
}

// Len returns the number of indexed hashes.
func (ix *Index) Len() int { return len(ix.hashes) }

// Hash returns the hash with the given id.
func (ix *Index) Hash(id int) pdq.Hash { return ix.hashes[id] }

// radii returns, for a search at distance d, the superchunk radii R_p (-1: not probed)
// and the slot radii (-1: not probed), indexed by slot.
func radii(d int) (rp [superchunks]int, rs [slots]int) {
	base, rem := (d+1)/superchunks, (d+1)%superchunks
	for p := 0; p < superchunks; p++ {
		R := base - 1
		if p < rem {
			R++
		}
		rp[p] = R
		if R < 0 {
			rs[2*p], rs[2*p+1] = -1, -1
			continue
		}
		ra := R / 2
		rs[2*p], rs[2*p+1] = ra, R-1-ra
	}
	return rp, rs
}

// Search calls fn for every indexed hash within distance maxDist (0..256) of q, once
// per id, in no particular order, until fn returns false. It does not allocate.
func (ix *Index) Search(q pdq.Hash, maxDist int, fn func(id, dist int) bool) {
	if maxDist < 0 || len(ix.hashes) == 0 {
		return
	}
	if maxDist > pdq.Bits {
		maxDist = pdq.Bits
	}
	rp, rs := radii(maxDist)
	var qs [slots]uint16
	for s := range qs {
		qs[s] = q.Slot16(s)
	}
	for s := 0; s < slots; s++ {
		r := rs[s]
		if r < 0 {
			continue
		}
		R := rp[s/2]
		qa, qb := qs[s], qs[s^1]
		off, ids, sib := ix.off[s], ix.ids[s], ix.sib[s]
		w := 0 // popcount of the current mask
		for mi, m := range masks[:masksUpTo[min(r, 16)]] {
			for mi >= masksUpTo[w] {
				w++
			}
			v := qa ^ m
			lo, hi := off[v], off[uint32(v)+1]
			if lo == hi {
				continue
			}
			lim := R - w
			bucket := sib[lo:hi]
			for k, sv := range bucket {
				if bits.OnesCount16(sv^qb) > lim {
					continue
				}
				id := ids[lo+uint32(k)]
				h := &ix.hashes[id]
				d := q.Distance(*h)
				if d > maxDist || !firstProbe(&qs, h, s, &rp, &rs) {
					continue
				}
				if !fn(int(id), d) {
					return
				}
			}
		}
	}
}

// firstProbe reports whether slot s is the first slot, in probe order, whose probe
// reaches h: slot t reaches h when its own distance is within rs[t] and its superchunk's
// distance is within rp.
func firstProbe(qs *[slots]uint16, h *pdq.Hash, s int, rp *[superchunks]int, rs *[slots]int) bool {
	for t := 0; t < s; t++ {
		if rs[t] < 0 {
			continue
		}
		dt := bits.OnesCount16(qs[t] ^ h.Slot16(t))
		if dt > rs[t] {
			continue
		}
		ds := bits.OnesCount16(qs[t^1] ^ h.Slot16(t^1))
		if dt+ds <= rp[t/2] {
			return false
		}
	}
	return true
}

// Find appends to dst every indexed hash within maxDist of q and returns it.
func (ix *Index) Find(q pdq.Hash, maxDist int, dst []Match) []Match {
	ix.Search(q, maxDist, func(id, d int) bool {
		dst = append(dst, Match{ID: id, Distance: d})
		return true
	})
	return dst
}

// BruteForce appends to dst every hash of hashes within maxDist of q, in id order: the
// reference the index is tested against.
func BruteForce(hashes []pdq.Hash, q pdq.Hash, maxDist int, dst []Match) []Match {
	for i := range hashes {
		if d := q.Distance(hashes[i]); d <= maxDist {
			dst = append(dst, Match{ID: i, Distance: d})
		}
	}
	return dst
}
