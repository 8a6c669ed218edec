//go:build !linux

package lexicon

import "testing"

// cpuClock is a no-op where per-thread CPU time is not available.
type cpuClock struct{}

func startCPU() *cpuClock { return &cpuClock{} }

func (c *cpuClock) report(*testing.B, int64) {}

func threadCPUSeconds() float64 { return 0 }
