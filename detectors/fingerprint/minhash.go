package fingerprint

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/cespare/xxhash/v2"
)

// MinHash parameters. A signature is MinHashPerms 16-bit values; LSH splits it into
// MinHashBands bands of MinHashRows values, and two texts become candidates when one band
// is equal, which happens with probability 1-(1-J⁴)³² for Jaccard similarity J: 0.9998 at
// J = 0.7, 0.87 at 0.5, 0.23 at 0.3. Candidates are then kept only when the share of equal
// values (the estimate of J, standard error ≈ 0.04 at J = 0.7) reaches the bank's
// threshold. Changing any of these invalidates stored signatures (TestGoldenMinHash).
const (
	MinHashPerms = 128
	MinHashBands = 32
	MinHashRows  = MinHashPerms / MinHashBands

	// DefaultMinHashThreshold is the Jaccard similarity (estimated) from which a MinHash
	// entry matches; see docs/fingerprints.md for the measurement.
	DefaultMinHashThreshold = 0.7
)

// MinHashSig is the MinHash signature of a text: for each of MinHashPerms hash functions,
// bits 32–47 of the minimum over the text's shingles (b-bit MinHash with b = 16: the
// minimum's low and middle bits are uniform, and 16 bits make two different minima
// collide with probability 2⁻¹⁶, which biases the estimate by less than 10⁻⁴). Bank files
// store it as "minhash:" and 512 hex digits, the values in order, big-endian.
type MinHashSig [MinHashPerms]uint16

// minPerm holds the hash functions: h_i(x) = a_i·x + b_i mod 2⁶⁴ over the xxhash64 x of
// a shingle, a_i odd. One xxhash per shingle and 128 multiply-adds is ~10x cheaper than
// 128 seeded xxhash calls. The constants are xxhash64 of "aigcwatch minhash a/b <i>":
// fixed forever, as stored signatures depend on them.
var minPermA, minPermB = func() (a, b [MinHashPerms]uint64) {
	for i := range a {
		a[i] = xxhash.Sum64String(fmt.Sprintf("aigcwatch minhash a %d", i)) | 1
		b[i] = xxhash.Sum64String(fmt.Sprintf("aigcwatch minhash b %d", i))
	}
	return a, b
}()

// shinglePool holds scratch slices of shingle hashes.
var shinglePool = sync.Pool{New: func() any { s := make([]uint64, 0, 256); return &s }}

// MinHash returns the MinHash signature of the normalised text norm (see
// AppendNormalized) over the set of its character shingles of ShingleRunes runes (as
// SimHash), and the number of distinct shingles. A text shorter than one shingle is one
// shingle; an empty text gives a zero signature and 0.
func MinHash(norm []byte) (MinHashSig, int) {
	var sig MinHashSig
	if len(norm) == 0 {
		return sig, 0
	}
	sp := shinglePool.Get().(*[]uint64)
	hs := (*sp)[:0]
	var starts [ShingleRunes + 1]int
	n := 0
	for i := 0; i <= len(norm); {
		starts[n%(ShingleRunes+1)] = i
		n++
		if n > ShingleRunes {
			hs = append(hs, xxhash.Sum64(norm[starts[(n-1-ShingleRunes)%(ShingleRunes+1)]:i]))
		}
		if i == len(norm) {
			break
		}
		_, sz := utf8.DecodeRune(norm[i:])
		i += sz
	}
	if len(hs) == 0 {
		hs = append(hs, xxhash.Sum64(norm))
	}
	slices.Sort(hs)
	hs = slices.Compact(hs) // a set: repeated shingles count once
	var mins [MinHashPerms]uint64
	for i := range mins {
		mins[i] = ^uint64(0)
	}
	for _, x := range hs {
		for i := range mins {
			if v := minPermA[i]*x + minPermB[i]; v < mins[i] {
				mins[i] = v
			}
		}
	}
	for i, m := range mins {
		sig[i] = uint16(m >> 32)
	}
	n = len(hs)
	*sp = hs
	shinglePool.Put(sp)
	return sig, n
}

// MinHashOf is MinHash of the normalised form of s, for building banks.
func MinHashOf(s string) MinHashSig {
	sig, _ := MinHash(AppendNormalized(nil, s))
	return sig
}

// Equal returns how many of the signature values of a and b are equal; Equal/MinHashPerms
// estimates the Jaccard similarity of the two texts.
func (a *MinHashSig) Equal(b *MinHashSig) int {
	n := 0
	for i := range a {
		if a[i] == b[i] {
			n++
		}
	}
	return n
}

// String returns the bank-file form: "minhash:" and 512 hex digits.
func (a *MinHashSig) String() string {
	var raw [2 * MinHashPerms]byte
	for i, v := range a {
		binary.BigEndian.PutUint16(raw[2*i:], v)
	}
	return "minhash:" + hex.EncodeToString(raw[:])
}

// errMinHashHex is the parse error of a malformed signature.
var errMinHashHex = fmt.Errorf("minhash: want %d hex digits", 4*MinHashPerms)

// ParseMinHash parses the hex digits of a signature (without "minhash:").
func ParseMinHash(s string) (*MinHashSig, error) {
	if len(s) != 4*MinHashPerms {
		return nil, fmt.Errorf("%w, got %d characters", errMinHashHex, len(s))
	}
	var raw [2 * MinHashPerms]byte
	if _, err := hex.Decode(raw[:], []byte(s)); err != nil {
		return nil, fmt.Errorf("%w: %v", errMinHashHex, err)
	}
	sig := new(MinHashSig)
	for i := range sig {
		sig[i] = binary.BigEndian.Uint16(raw[2*i:])
	}
	return sig, nil
}

// bandKey is band b of sig as one 64-bit value (MinHashRows 16-bit values).
func bandKey(sig *MinHashSig, b int) uint64 {
	r := sig[b*MinHashRows : (b+1)*MinHashRows : (b+1)*MinHashRows]
	return uint64(r[0]) | uint64(r[1])<<16 | uint64(r[2])<<32 | uint64(r[3])<<48
}

// bandTag is the 32-bit tag of band b's key kept in the postings: the key mixed with the
// band number, so that equal bands of different positions differ.
func bandTag(key uint64, b int) uint32 {
	return uint32(xxmix(key^uint64(b)*0x9e3779b97f4a7c15) >> 32)
}

// xxmix is xxhash64's final avalanche.
func xxmix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xc2b2ae3d27d4eb4f
	h ^= h >> 29
	h *= 0x165667b19e3779b1
	h ^= h >> 32
	return h
}

// lshIndex finds MinHash signatures sharing a band with a query. Per band, postings
// (tag, id) are sorted by tag and found through a directory of the tags' top bits: a
// lookup reads 2 directory words and a short run of postings per band. Memory: 8 bytes per
// entry and band (256 B per entry) plus the directories, besides the 256-byte signatures.
// Immutable after newLSHIndex.
type lshIndex struct {
	sigs  []MinHashSig
	shift uint8                  // tag >> shift is the directory slot
	dir   [MinHashBands][]uint32 // slot -> first posting; len 2^bits + 1
	post  [MinHashBands][]posting
}

type posting struct{ tag, id uint32 }

func newLSHIndex(sigs []MinHashSig) *lshIndex {
	if len(sigs) == 0 {
		return nil
	}
	bits := 4
	for 1<<bits < len(sigs) && bits < 20 {
		bits++
	}
	ix := &lshIndex{sigs: sigs, shift: uint8(32 - bits)}
	for b := range MinHashBands {
		post := make([]posting, len(sigs))
		for i := range sigs {
			post[i] = posting{tag: bandTag(bandKey(&sigs[i], b), b), id: uint32(i)}
		}
		slices.SortFunc(post, func(x, y posting) int {
			if x.tag != y.tag {
				if x.tag < y.tag {
					return -1
				}
				return 1
			}
			return int(x.id) - int(y.id)
		})
		dir := make([]uint32, 1<<bits+1)
		for _, p := range post {
			dir[p.tag>>ix.shift+1]++
		}
		for s := 1; s < len(dir); s++ {
			dir[s] += dir[s-1]
		}
		ix.dir[b], ix.post[b] = dir, post
	}
	return ix
}

var candPool = sync.Pool{New: func() any { s := make([]uint32, 0, 64); return &s }}

// search calls fn for each signature sharing a band with q, once per id, with the number
// of equal values, in increasing id order.
func (ix *lshIndex) search(q *MinHashSig, fn func(id, equal int) bool) {
	if ix == nil {
		return
	}
	cp := candPool.Get().(*[]uint32)
	cand := (*cp)[:0]
	for b := range MinHashBands {
		tag := bandTag(bandKey(q, b), b)
		s := tag >> ix.shift
		for _, p := range ix.post[b][ix.dir[b][s]:ix.dir[b][s+1]] {
			if p.tag == tag {
				cand = append(cand, p.id)
			}
		}
	}
	slices.Sort(cand)
	cand = slices.Compact(cand)
	for _, id := range cand {
		if !fn(int(id), q.Equal(&ix.sigs[id])) {
			break
		}
	}
	*cp = cand
	candPool.Put(cp)
}

// minHashEqualMin is the least number of equal signature values that reaches the Jaccard
// threshold j.
func minHashEqualMin(j float64) int {
	n := int(j*MinHashPerms + 0.999999)
	return max(n, 1)
}

// errMinHashThreshold is the config error of an out-of-range threshold.
var errMinHashThreshold = errors.New("minhash_threshold out of (0, 1]")

// sharesBand reports whether a and b are equal in at least one LSH band: the condition,
// besides the threshold, for a MinHash match (the index finds exactly these).
func sharesBand(a, b *MinHashSig) bool {
	for i := range MinHashBands {
		if bandKey(a, i) == bandKey(b, i) {
			return true
		}
	}
	return false
}

// MatchMinHash calls fn, until it returns false, for each MinHash entry that shares an
// LSH band with sig and has at least its bank's threshold share of equal values.
// Match.Distance is the number of differing values, of MinHashPerms (0 = same shingle
// set as far as the signature tells).
func (s *Set) MatchMinHash(sig *MinHashSig, fn func(Match) bool) {
	stop := false
	s.minIndex.search(sig, func(id, eq int) bool {
		if eq < s.minEqMin {
			return true
		}
		g := s.groups[s.minMeta.group[id]]
		if eq >= s.banks[g.bank].minEq && !fn(s.match(&s.minMeta, id, MinHashPerms-eq)) {
			stop = true
		}
		return !stop
	})
	if s.extra != nil && !stop {
		s.extra.MatchMinHash(sig, func(m Match) bool {
			stop = !fn(m)
			return !stop
		})
	}
	if s.tail != nil && !stop {
		s.tail.matchMin(s, sig, fn)
	}
}

func (s *Set) hasMinHash() bool {
	return s.minIndex != nil || (s.extra != nil && s.extra.hasMinHash()) || (s.tail != nil && len(s.tail.minhash) > 0)
}

func (t *tail) matchMin(s *Set, sig *MinHashSig, fn func(Match) bool) {
	for _, i := range t.minhash {
		e := t.entries[i].MinHash
		if eq := sig.Equal(e); eq >= s.banks[t.bank[i]].minEq && sharesBand(sig, e) && !fn(t.match(s, i, MinHashPerms-eq)) {
			return
		}
	}
}
