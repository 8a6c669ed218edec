package mih

import (
	"math/bits"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// runKernel collects every passing position of [lo, hi) the way flushProbes does, and
// checks the parts of the contract the collection alone would not show.
func runKernel(t *testing.T, k namedKernel, sib []uint16, lo, hi uint32, q uint16, lim uint8) []uint32 {
	t.Helper()
	var out []uint32
	base := unsafe.Pointer(unsafe.SliceData(sib))
	for pos := lo; pos < hi; {
		at, mask := k.fn(base, pos, hi, q, lim)
		if mask == 0 {
			break
		}
		if at < pos || at >= hi {
			t.Fatalf("%s: block start %d outside [%d, %d)", k.name, at, pos, hi)
		}
		if n := hi - at; n < 64 && mask>>n != 0 {
			t.Fatalf("%s: mask %#x has lanes at or past hi (%d slots left)", k.name, mask, n)
		}
		pos = at + uint32(bits.Len64(mask))
		for ; mask != 0; mask &= mask - 1 {
			out = append(out, at+uint32(bits.TrailingZeros64(mask)))
		}
	}
	return out
}

// padded returns sib in an array padded as New pads it, the padding filled with slots
// that would pass any bound: a kernel that reports them is caught.
func padded(sib []uint16, q uint16) []uint16 {
	out := make([]uint16, len(sib)+scanPad)
	copy(out, sib)
	for i := len(sib); i < len(out); i++ {
		out[i] = q
	}
	return out
}

func TestScanKernels(t *testing.T) {
	t.Parallel()
	t.Logf("kernels on this CPU: %v (Search uses the first)", kernelNames())
	r := rand.New(rand.NewPCG(1, 2))
	const n = 300
	for _, k := range kernels {
		t.Run(k.name, func(t *testing.T) {
			checked, found := 0, 0
			for trial := 0; trial < 40; trial++ {
				q := uint16(r.Uint32())
				sib := make([]uint16, n)
				// Every slot distance 0..16 from q in every lane, plus random slots.
				for i := range sib {
					if trial%2 == 0 {
						sib[i] = q ^ uint16(lowBits(r, i%17))
					} else {
						sib[i] = uint16(r.Uint32())
					}
				}
				sib = padded(sib, q)
				for lim := uint8(0); lim <= 18; lim++ {
					for lo := uint32(0); lo < 70; lo += 1 + uint32(r.IntN(3)) {
						hi := lo + uint32(r.IntN(n-int(lo)+1))
						want := scanNaive(sib, lo, hi, q, lim)
						got := runKernel(t, k, sib, lo, hi, q, lim)
						if !slices.Equal(got, want) {
							t.Fatalf("q %#x lim %d [%d, %d): got %v, want %v", q, lim, lo, hi, got, want)
						}
						checked++
						found += len(want)
					}
				}
			}
			if found == 0 || checked < 1000 {
				t.Fatalf("vacuous: %d ranges, %d passing slots", checked, found)
			}
		})
	}
}

// lowBits returns a random 16-bit value with w bits set.
func lowBits(r *rand.Rand, w int) uint32 {
	var v uint32
	for _, b := range r.Perm(16)[:w] {
		v |= 1 << b
	}
	return v
}

func kernelNames() []string {
	var out []string
	for _, k := range kernels {
		out = append(out, k.name)
	}
	return out
}

// FuzzScan: every kernel finds exactly the slots the naive check finds.
func FuzzScan(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9}, uint16(0x0102), uint8(3), uint8(1), uint8(4))
	f.Add(make([]byte, 300), uint16(0xffff), uint8(15), uint8(0), uint8(150))
	f.Fuzz(func(t *testing.T, data []byte, q uint16, lim, lo, hi uint8) {
		sib := make([]uint16, len(data)/2)
		for i := range sib {
			sib[i] = uint16(data[2*i]) | uint16(data[2*i+1])<<8
		}
		l, h := uint32(lo), uint32(hi)
		if h > uint32(len(sib)) {
			h = uint32(len(sib))
		}
		if l > h {
			l = h
		}
		sib = padded(sib, q)
		want := scanNaive(sib, l, h, q, lim)
		for _, k := range kernels {
			if got := runKernel(t, k, sib, l, h, q, lim); !slices.Equal(got, want) {
				t.Fatalf("%s: q %#x lim %d [%d, %d): got %v, want %v", k.name, q, lim, l, h, got, want)
			}
		}
	})
}
