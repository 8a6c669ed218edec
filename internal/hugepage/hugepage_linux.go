// Package hugepage allocates large arrays whose memory the kernel is asked to back with
// transparent huge pages: the fingerprint index and exact-key tables are read at a few
// hundred random places per lookup in hundreds of megabytes, where 4 KiB pages make nearly
// every read also a TLB miss.
package hugepage

import (
	"syscall"
	"unsafe"
)

// hugePage is the size of a transparent huge page on amd64 and arm64 Linux.
const hugePage = 2 << 20

// Make returns a zeroed slice of n elements whose memory the kernel is asked to back
// with transparent huge pages (madvise MADV_HUGEPAGE, effective when
// /sys/kernel/mm/transparent_hugepage/enabled is "madvise" or "always"). A lookup touches
// a few hundred random places in hundreds of megabytes: with 4 KiB pages nearly each one
// is also a TLB miss and a page walk, which costs as much as the cache miss itself. The
// advice is a hint; when it is refused the slice is an ordinary one.
func Make[T any](n int) []T {
	s := make([]T, n)
	// Large Go allocations start on a page boundary but not on a huge-page one; only the
	// aligned interior is advised, which for the arrays that matter (tens of MiB and up)
	// is nearly all of it, without over-allocating to align.
	Advise(s)
	return s
}

// Advise asks the kernel to back the huge-page-aligned part of s with huge pages.
func Advise[T any](s []T) {
	if len(s) == 0 {
		return
	}
	var zero T
	start := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	end := start + uintptr(len(s))*unsafe.Sizeof(zero)
	lo, hi := (start+hugePage-1)&^(hugePage-1), end&^(hugePage-1)
	if hi <= lo {
		return
	}
	b := unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(s)), lo-start)), hi-lo)
	_ = syscall.Madvise(b, 14 /* MADV_HUGEPAGE */)
}
