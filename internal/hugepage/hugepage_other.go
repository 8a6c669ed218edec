//go:build !linux

package hugepage

// Make returns an ordinary slice where huge-page advice is not implemented.
func Make[T any](n int) []T { return make([]T, n) }

// Advise does nothing where huge-page advice is not implemented.
func Advise[T any](s []T) {}
