package mih

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// rusageThread is RUSAGE_THREAD (Linux): CPU time of the calling thread only.
const rusageThread = 1

// cpuClock measures the CPU time the benchmark goroutine's thread spends in the timed
// loop, so figures survive a loaded machine where wall-clock ns/op do not. It locks the
// goroutine to its thread; run benchmarks with -cpu 1.
type cpuClock struct{ start int64 }

func threadCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// processCPU returns the CPU time of the whole process (New builds on several goroutines).
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func startCPU() cpuClock {
	runtime.LockOSThread()
	return cpuClock{start: threadCPU()}
}

// report adds cpu-ns/op (and the per-core rate derived from it) to b's results.
func (c cpuClock) report(b *testing.B, unit string) {
	ns := float64(threadCPU()-c.start) / float64(b.N)
	runtime.UnlockOSThread()
	b.ReportMetric(ns, "cpu-ns/op")
	if unit != "" && ns > 0 {
		b.ReportMetric(1e9/ns, unit)
	}
}

// anonHugeMB returns the process's memory backed by transparent huge pages, in MB (0 when
// unknown), from /proc/self/smaps_rollup.
func anonHugeMB() float64 {
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
