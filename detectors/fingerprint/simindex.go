package fingerprint

import "math/bits"

// simIndex finds 64-bit SimHashes within a Hamming distance of a query by multi-index
// hashing over four 16-bit chunks: with chunk radii r_i and Σ(r_i+1) ≥ d+1 some chunk is
// within its radius (pigeonhole), so only those buckets are read. Results equal brute
// force (tested). Immutable after newSimIndex.
type simIndex struct {
	keys []uint64
	off  [4][]uint32
	ids  [4][]uint32
}

func chunk16(h uint64, c int) uint16 { return uint16(h >> (16 * c)) }

func newSimIndex(keys []uint64) *simIndex {
	ix := &simIndex{keys: keys}
	for c := 0; c < 4; c++ {
		off := make([]uint32, 1<<16+1)
		for _, k := range keys {
			off[int(chunk16(k, c))+1]++
		}
		for b := 1; b < len(off); b++ {
			off[b] += off[b-1]
		}
		next := append([]uint32(nil), off[:1<<16]...)
		ids := make([]uint32, len(keys))
		for i, k := range keys {
			v := chunk16(k, c)
			ids[next[v]] = uint32(i)
			next[v]++
		}
		ix.off[c], ix.ids[c] = off, ids
	}
	return ix
}

func simRadii(d int) (r [4]int) {
	base, rem := (d+1)/4, (d+1)%4
	for c := range r {
		r[c] = base - 1
		if c < rem {
			r[c]++
		}
	}
	return r
}

// search calls fn for each key within maxDist of q, once per id.
func (ix *simIndex) search(q uint64, maxDist int, fn func(id, dist int)) {
	if ix == nil || maxDist < 0 || len(ix.keys) == 0 {
		return
	}
	maxDist = min(maxDist, 64)
	r := simRadii(maxDist)
	for c := 0; c < 4; c++ {
		if r[c] < 0 {
			continue
		}
		qc := chunk16(q, c)
		off, ids := ix.off[c], ix.ids[c]
		for _, m := range masks16[:masks16UpTo[min(r[c], 16)]] {
			v := qc ^ m
			for _, id := range ids[off[v]:off[int(v)+1]] {
				k := ix.keys[id]
				d := bits.OnesCount64(k ^ q)
				if d > maxDist {
					continue
				}
				first := true
				for e := 0; e < c; e++ {
					if r[e] >= 0 && bits.OnesCount16(chunk16(k, e)^chunk16(q, e)) <= r[e] {
						first = false
						break
					}
				}
				if first {
					fn(int(id), d)
				}
			}
		}
	}
}

// masks16 holds all 16-bit values sorted by popcount; masks16UpTo[r] counts those of
// popcount ≤ r.
var masks16, masks16UpTo = func() ([]uint16, [17]int) {
	var all []uint16
	var upTo [17]int
	for w := 0; w <= 16; w++ {
		for v := 0; v < 1<<16; v++ {
			if bits.OnesCount16(uint16(v)) == w {
				all = append(all, uint16(v))
			}
		}
		upTo[w] = len(all)
	}
	return all, upTo
}()
