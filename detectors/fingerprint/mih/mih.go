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
// Work per query at d = 31: 272 bucket probes and 272·N/65536 sibling checks (41,500 at
// N = 10 million, 83 KB of sibling slots read), of which about 110 pass on a random bank
// and have their full hash read. A search is batched to keep many memory reads in flight
// (see Search); the sibling check runs on 64 slots per instruction sequence with AVX-512,
// 32 with AVX2, four per 64-bit word elsewhere (see scan.go). Why not
// other chunkings: with m chunks the pigeonhole needs Σ(r_i+1) ≥ 32, i.e. 8 bits per
// unit of radius; 16-bit slots at radius 1 meet that with the fewest probes × candidates
// (wider chunks need radius 2 or 3 and thousands of probes; narrower ones have buckets of
// N/4096 and more).
//
// Memory: 32 bytes per hash for the hashes plus 16 × 6 bytes of postings, 128 bytes per
// hash in all (1.28 GB for 10 million), plus 4 MB of bucket offsets. The big arrays are
// advised for transparent huge pages (Linux), which removes most TLB misses from the
// random reads.
//
// The index is immutable after New and safe for concurrent searches. It does not know
// about banks or labels; ids are positions in the slice given to New.
package mih

import (
	"math/bits"
	"runtime"
	"sync"
	"unsafe"

	"github.com/aigcwatch/aigcwatch/detectors/fingerprint/pdq"
	"github.com/aigcwatch/aigcwatch/internal/hugepage"
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
	kernel kernelID        // the sibling filter: kernel, or another in tests
}

// Match is one search result: the position of the hash in the slice given to New and its
// distance from the query.
type Match struct {
	ID       int
	Distance int
}

// MakeHashes returns a zeroed slice of n hashes to fill and pass to New. Where the
// operating system allows (Linux transparent huge pages in "madvise" or "always" mode) it
// is backed by 2 MiB pages, which makes the random reads of full hashes during a search
// cheaper (fewer TLB misses); otherwise it is an ordinary slice.
func MakeHashes(n int) []pdq.Hash { return hugepage.Make[pdq.Hash](n) }

// New builds an index over hashes. It retains hashes: the caller must not modify the
// slice afterwards. Building uses up to GOMAXPROCS goroutines. It panics if there are
// more than 2³²-1 hashes.
func New(hashes []pdq.Hash) *Index {
	if uint64(len(hashes)) >= 1<<32 {
		panic("mih: too many hashes")
	}
	ix := &Index{hashes: hashes, kernel: kernel}
	// One allocation per kind for all slots, so that even a small index is large enough
	// for huge pages (see makeHuge).
	n := len(hashes)
	offAll := hugepage.Make[uint32](slots * (buckets + 1))
	idsAll := hugepage.Make[uint32](slots * n)
	m := n + scanPad // padded: the filter reads whole blocks (see scanPad)
	sibAll := hugepage.Make[uint16](slots * m)
	for s := 0; s < slots; s++ {
		ix.off[s] = offAll[s*(buckets+1) : (s+1)*(buckets+1) : (s+1)*(buckets+1)]
		ix.ids[s] = idsAll[s*n : (s+1)*n : (s+1)*n]
		ix.sib[s] = sibAll[s*m : (s+1)*m : (s+1)*m]
	}
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
	off, ids, sib := ix.off[s], ix.ids[s], ix.sib[s]
	for i := range ix.hashes {
		off[int(ix.hashes[i].Slot16(s))+1]++
	}
	for b := 1; b <= buckets; b++ {
		off[b] += off[b-1]
	}
	next := make([]uint32, buckets)
	copy(next, off[:buckets])
	for i := range ix.hashes {
		h := &ix.hashes[i]
		v := h.Slot16(s)
		p := next[v]
		next[v]++
		ids[p] = uint32(i)
		sib[p] = h.Slot16(sibSlot)
	}
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
//
// The work is done in batches so that the CPU has many independent memory accesses in
// flight instead of one cache miss after another: (1) the bucket bounds of up to
// probeBatch probes are read from the offset tables, (2) the buckets are filtered (see
// scan.go) while the buckets a few probes ahead are prefetched, and the positions that
// pass the superchunk bound are queued, (3) the queued positions' ids and then their
// hashes are prefetched and read, and only then is the full distance computed.
func (ix *Index) Search(q pdq.Hash, maxDist int, fn func(id, dist int) bool) {
	if maxDist < 0 || len(ix.hashes) == 0 {
		return
	}
	if maxDist > pdq.Bits {
		maxDist = pdq.Bits
	}
	sr := searcher{ix: ix, q: q, maxDist: maxDist, fn: fn}
	sr.rp, sr.rs = radii(maxDist)
	for s := range sr.qs {
		sr.qs[s] = q.Slot16(s)
	}
	sr.run()
}

// prefetchBounds prefetches the bucket bounds that run will read for slot s (the first
// 64 at most): while run reads one slot's bounds, the next slot's are on their way
// (10M bank, interleaved: 31.8 → 29.0 µs CPU random, 36.3 → 34.8 clustered).
func (sr *searcher) prefetchBounds(s int) {
	if s >= slots || sr.rs[s] < 0 {
		return
	}
	off, qa := sr.ix.off[s], sr.qs[s]
	for _, m := range masks[:min(masksUpTo[min(sr.rs[s], 16)], 64)] {
		prefetch1(unsafe.Pointer(&off[qa^m]))
	}
}

const (
	probeBatch = 512 // probes per batch; a search at distance 31 makes 272
	candBatch  = 256 // candidates whose full hash is read together
)

type probe struct {
	lo, hi uint32
	s      uint8 // slot
	lim    uint8 // largest sibling distance that keeps the superchunk within its radius
}

type cand struct {
	pos uint32 // position in the slot's table; replaced by the id in flushCands
	s   uint8
}

// searcher holds one search's state; it lives on the caller's stack.
type searcher struct {
	ix      *Index
	q       pdq.Hash
	maxDist int
	fn      func(id, dist int) bool
	rp      [superchunks]int
	rs      [slots]int
	qs      [slots]uint16
	stopped bool

	np    int
	probe [probeBatch]probe
	nc    int
	cand  [candBatch]cand
	dist  [candBatch]int32
}

func (sr *searcher) run() {
	sr.prefetchBounds(0)
	for s := 0; s < slots && !sr.stopped; s++ {
		r := sr.rs[s]
		if r < 0 {
			continue
		}
		sr.prefetchBounds(s + 1)
		R := sr.rp[s/2]
		qa := sr.qs[s]
		off := sr.ix.off[s]
		w := 0 // popcount of the current mask
		for mi, m := range masks[:masksUpTo[min(r, 16)]] {
			for mi >= masksUpTo[w] {
				w++
			}
			v := uint32(qa ^ m)
			lo, hi := off[v], off[v+1]
			if lo == hi {
				continue
			}
			sr.probe[sr.np] = probe{lo: lo, hi: hi, s: uint8(s), lim: uint8(R - w)}
			sr.np++
			if sr.np == probeBatch {
				sr.flushProbes()
				if sr.stopped {
					return
				}
			}
		}
	}
	sr.flushProbes()
	sr.flushCands()
}

// prefetchAhead is how many probes ahead of the one being filtered flushProbes
// prefetches buckets. Measured on a 10M bank (mean CPU µs per search, random/clustered,
// AVX-512 filter, variants interleaved in one process): no prefetch 43/47, 4 ahead
// 31/36, 8 ahead 31/35, 16 ahead 31/37; in an earlier run 64 ahead and all 272 before
// filtering were slower (41, 45 random). Prefetching each candidate's id as it is queued
// was slower too (+2 µs random, +6 µs clustered): those prefetches compete with the
// buckets'. At 1M it makes little difference (14–16 µs).
const prefetchAhead = 8

// flushProbes scans the queued buckets.
func (sr *searcher) flushProbes() {
	probes := sr.probe[:sr.np]
	sr.np = 0
	ix := sr.ix
	// Prefetch the buckets a few probes ahead of the filter, so that their cache lines
	// arrive while the filter works on earlier ones (where there is no prefetch
	// instruction, see scan_other.go, the hardware prefetcher is all there is).
	pf := func(i int) {
		p := &probes[i]
		prefetch(unsafe.Pointer(&ix.sib[p.s][p.lo]), uintptr(p.hi-p.lo)*2)
	}
	for i := range min(prefetchAhead, len(probes)) {
		pf(i)
	}
	kern := ix.kernel
	for i := range probes {
		if i+prefetchAhead < len(probes) {
			pf(i + prefetchAhead)
		}
		p := probes[i]
		s := int(p.s)
		q := sr.qs[s^1]
		sib := ix.sib[s]
		_ = sib[p.hi+scanPad-1] // the kernel may read this far
		base := unsafe.Pointer(unsafe.SliceData(sib))
		for pos := p.lo; pos < p.hi; {
			at, mask := scan(kern, base, pos, p.hi, q, p.lim)
			if mask == 0 {
				break
			}
			pos = at + uint32(bits.Len64(mask))
			for mask != 0 {
				k := uint32(bits.TrailingZeros64(mask))
				mask &= mask - 1
				sr.cand[sr.nc] = cand{pos: at + k, s: p.s}
				sr.nc++
				if sr.nc == candBatch {
					sr.flushCands()
					if sr.stopped {
						return
					}
				}
			}
		}
	}
}

// flushCands reads the queued candidates' ids, then their hashes, then reports the
// matches.
func (sr *searcher) flushCands() {
	if sr.stopped {
		return
	}
	cands := sr.cand[:sr.nc]
	sr.nc = 0
	ix := sr.ix
	// Prefetch every candidate's id, then, as each id is read, its hash: a prefetch does
	// not hold up retirement, so all of a batch's misses are in flight together instead of
	// a reorder window's worth of loads (10M bank, interleaved in one process: 32.4 → 28.7
	// and 37.5 → 33.3 µs CPU random, 42.7 → 37.7 and 39.7 → 35.0 clustered).
	for i := range cands {
		c := &cands[i]
		prefetch1(unsafe.Pointer(&ix.ids[c.s][c.pos]))
	}
	for i := range cands {
		c := &cands[i]
		c.pos = ix.ids[c.s][c.pos]
		prefetch1(unsafe.Pointer(&ix.hashes[c.pos]))
	}
	dist := sr.dist[:len(cands)]
	for i := range cands {
		dist[i] = int32(sr.q.Distance(ix.hashes[cands[i].pos]))
	}
	for i := range cands {
		d := int(dist[i])
		if d > sr.maxDist {
			continue
		}
		c := cands[i]
		if !firstProbe(&sr.qs, &ix.hashes[c.pos], int(c.s), &sr.rp, &sr.rs) {
			continue
		}
		if !sr.fn(int(c.pos), d) {
			sr.stopped = true
			return
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
