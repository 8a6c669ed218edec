//go:build amd64 && !purego

package mih

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

//go:noescape
func scanAVX512(base unsafe.Pointer, pos, hi uint32, q uint16, lim uint8) (p uint32, mask uint64)

//go:noescape
func scanAVX2(base unsafe.Pointer, pos, hi uint32, q uint16, lim uint8) (p uint32, mask uint64)

// prefetch asks the CPU to bring every cache line of [p, p+n) into L1 (PREFETCHT0)
// without waiting for them: unlike a load, a prefetch that misses does not hold up the
// instructions after it. n must be > 0.
//
//go:noescape
func prefetch(p unsafe.Pointer, n uintptr)

// prefetch1 is prefetch of the one cache line holding p.
//
//go:noescape
func prefetch1(p unsafe.Pointer)

// kernels lists the filter implementations this CPU can run, best first; kernel is the
// one Search uses.
var kernels = func() []namedKernel {
	var ks []namedKernel
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512BITALG {
		ks = append(ks, namedKernel{"avx512", kernelAVX512, scanAVX512})
	}
	if cpu.X86.HasAVX2 {
		ks = append(ks, namedKernel{"avx2", kernelAVX2, scanAVX2})
	}
	return append(ks, namedKernel{"go", kernelGo, scanGo})
}()

var kernel = kernels[0].id

// scan runs kernel k (see scanFunc). A switch, not a function value: a call through a
// function value would make its pointer arguments, and with them the searcher's
// callback, escape to the heap.
func scan(k kernelID, base unsafe.Pointer, pos, hi uint32, q uint16, lim uint8) (uint32, uint64) {
	switch k {
	case kernelAVX512:
		return scanAVX512(base, pos, hi, q, lim)
	case kernelAVX2:
		return scanAVX2(base, pos, hi, q, lim)
	}
	return scanGo(base, pos, hi, q, lim)
}
