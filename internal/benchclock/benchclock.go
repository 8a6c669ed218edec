// Package benchclock measures the CPU time a benchmark's timed loop uses, so figures
// survive a loaded machine where wall-clock ns/op do not (the CI and development machines
// have two cores shared with a Kafka broker and other work). Run such benchmarks with -cpu 1.
package benchclock

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// Clock is started before a timed loop and reported after it.
type Clock struct{ start int64 }

// Start locks the goroutine to its thread and reads the thread's CPU time.
func Start() Clock {
	runtime.LockOSThread()
	return Clock{start: ThreadCPU()}
}

// Report adds cpu-ns/op to b's results and, when unit is not empty, the rate per
// CPU-second under that unit (e.g. "lookups/cpu-s"). It unlocks the thread.
func (c Clock) Report(b *testing.B, unit string) {
	ns := float64(ThreadCPU()-c.start) / float64(b.N)
	runtime.UnlockOSThread()
	b.ReportMetric(ns, "cpu-ns/op")
	if unit != "" && ns > 0 {
		b.ReportMetric(1e9/ns, unit)
	}
}

// ReportBytes adds cpu-ns/op and the throughput per CPU-second in MB ("cpu-MB/s") for
// loops that process bytesPerOp each.
func (c Clock) ReportBytes(b *testing.B, bytesPerOp int64) {
	ns := float64(ThreadCPU()-c.start) / float64(b.N)
	runtime.UnlockOSThread()
	b.ReportMetric(ns, "cpu-ns/op")
	if ns > 0 {
		b.ReportMetric(float64(bytesPerOp)/ns*1e3, "cpu-MB/s")
	}
}

// AnonHugeMB returns the process's memory backed by transparent huge pages, in MB (0 when
// unknown), from /proc/self/smaps_rollup.
func AnonHugeMB() float64 {
	b, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "AnonHugePages:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
