package mih

import (
	"math/bits"
	"unsafe"
)

// The sibling filter of a search: for each posting of a bucket, is the popcount of
// (sibling slot XOR the query's sibling slot) at most the probe's bound? About 41,500
// checks per query at distance 31 on a 10M bank, of which about 110 pass, so the filter
// is a tight loop over runs of 2-byte slots that rarely stops. It has three
// implementations with one contract (scan): AVX-512 (BITALG's 16-bit popcount, 64 slots
// per iteration) and AVX2 (nibble popcount with VPSHUFB, 32 slots) in scan_amd64.s,
// chosen at start-up by CPU feature, and a portable SWAR loop (scanGo, 4 slots per
// 64-bit word) for other CPUs and architectures and the "purego" build tag. The
// implementations are tested against each other and against a naive check
// (TestScanKernels, FuzzScan).

// scanPad is the number of sibling slots New allocates past the end of each slot's
// array: a kernel reads whole blocks of up to 64 slots from any position below hi.
const scanPad = 64

// scanFunc is the contract of every filter kernel. Given the base of a slot's sibling
// array, a range [pos, hi) of it, the query's sibling slot q and the bound lim, it returns
// the start p of the first block (pos ≤ p < hi) that holds a passing slot and that
// block's mask: bit k is set when slot p+k is below hi and popcount(sib[p+k]^q) ≤ lim.
// Every slot in [pos, p) fails, and so does every slot after the mask's highest bit up to
// the end of the block, so the caller resumes at p + bits.Len64(mask). A zero mask means
// no slot of [pos, hi) passes. The block width is the kernel's own (≤ 64); slots up to
// scanPad past hi may be read.
type scanFunc func(base unsafe.Pointer, pos, hi uint32, q uint16, lim uint8) (p uint32, mask uint64)

const (
	lanes16 = 0x8000_8000_8000_8000
	ones16  = 0x0001_0001_0001_0001
)

// swarConsts holds scanGo's constants. They are passed in memory because the compiler
// would otherwise rematerialise each 64-bit constant inside the loop (one MOVQ each per
// word).
type swarConsts struct{ m1, m2, m4, lanes uint64 }

var swar = swarConsts{0x5555_5555_5555_5555, 0x3333_3333_3333_3333, 0x0f0f_0f0f_0f0f_0f0f, lanes16}

// scanGo is the portable kernel (see scanFunc): four slots per 64-bit word.
func scanGo(base unsafe.Pointer, pos, hi uint32, q uint16, lim uint8) (uint32, uint64) {
	qb := uint64(q) * ones16
	// A lane fails when its popcount ≥ lim+1: add puts 0x80-(lim+1) in each lane's high
	// byte, so that adding the popcount sets bit 15. lim ≥ 16 passes every lane.
	if lim >= 16 {
		lim = 16
	}
	add := ((0x80 - (uint64(lim) + 1)) << 8) * ones16
	p, pass := swarWords(base, pos, hi, qb, add, &swar)
	if pass == 0 {
		return hi, 0
	}
	// Bit 15 of lane k → bit k: shift to bits 0, 16, 32, 48, then a multiplication moves
	// bit 16k to bit 48+k without the other products reaching bits 48..51.
	m := ((pass >> 15) * (1<<48 | 1<<33 | 1<<18 | 1<<3)) >> 48 & 0xf
	if n := hi - p; n < 4 {
		m &= 1<<n - 1
		if m == 0 {
			return hi, 0
		}
	}
	return p, m
}

// swarWords returns the first position p ≥ pos (pos + a multiple of 4) below hi whose
// word of four sibling slots has a lane within the bound, and that word's pass mask (bit
// 15 of lane k set when slot p+k passes; lanes at or past hi may be set too). It returns
// a zero mask when no word passes. The loop is kept in its own function, not inlined, so
// that its values stay in registers.
//
//go:noinline
func swarWords(base unsafe.Pointer, pos, hi uint32, qb, add uint64, c *swarConsts) (uint32, uint64) {
	m1, m2, m4, lanes := c.m1, c.m2, c.m4, c.lanes
	for ; pos < hi; pos += 4 {
		x := *(*uint64)(unsafe.Add(base, uintptr(pos)*2)) ^ qb
		x -= (x >> 1) & m1
		x = (x & m2) + ((x >> 2) & m2)
		x = (x + (x >> 4)) & m4
		// Each byte now holds the popcount of its 8 bits (≤ 8); adding each lane's low
		// byte to its high byte leaves the lane's popcount (≤ 16) in the high byte.
		x += x << 8
		// A lane fails when its popcount ≥ lim+1. The low byte (≤ 16) never carries
		// into bit 15.
		if pass := ^(x + add) & lanes; pass != 0 {
			return pos, pass
		}
	}
	return pos, 0
}

// scanNaive is the reference the kernels are tested against: one slot at a time.
func scanNaive(sib []uint16, pos, hi uint32, q uint16, lim uint8) []uint32 {
	var out []uint32
	for ; pos < hi; pos++ {
		if bits.OnesCount16(sib[pos]^q) <= int(lim) {
			out = append(out, pos)
		}
	}
	return out
}

// namedKernel is one kernel for tests and benchmarks; id selects it in scan.
type namedKernel struct {
	name string
	id   kernelID
	fn   scanFunc
}

type kernelID uint8

const (
	kernelGo kernelID = iota
	kernelAVX2
	kernelAVX512
)
