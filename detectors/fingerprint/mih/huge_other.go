//go:build !linux

package mih

func makeHuge[T any](n int) []T { return make([]T, n) }

func adviseHuge[T any](s []T) {}
