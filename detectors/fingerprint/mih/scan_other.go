//go:build !amd64 || purego

package mih

import "unsafe"

// kernels lists the filter implementations: only the portable one here.
var kernels = []namedKernel{{"go", kernelGo, scanGo}}

var kernel = kernels[0].id

// scan runs the portable kernel (see scanFunc).
func scan(_ kernelID, base unsafe.Pointer, pos, hi uint32, q uint16, lim uint8) (uint32, uint64) {
	return scanGo(base, pos, hi, q, lim)
}

// prefetch does nothing where there is no assembly: Go has no prefetch instruction.
func prefetch(p unsafe.Pointer, n uintptr) {}

// prefetch1 does nothing where there is no assembly.
func prefetch1(p unsafe.Pointer) {}
