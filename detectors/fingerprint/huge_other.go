//go:build !linux

package fingerprint

func makeHuge[T any](n int) []T { return make([]T, n) }

func adviseHuge[T any](s []T) {}
