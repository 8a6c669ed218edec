//go:build !linux

package label_test

// threadCPU is not available here; the cpu-ns/op metric is then not reported.
func threadCPU() int64 { return -1 }
