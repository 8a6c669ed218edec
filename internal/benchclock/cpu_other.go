//go:build !linux

package benchclock

// ThreadCPU is 0 where per-thread CPU time is not available: cpu-ns/op then reads 0.
func ThreadCPU() int64 { return 0 }

// ProcessCPU is 0 where it is not implemented.
func ProcessCPU() int64 { return 0 }
