package lexicon

import (
	"runtime"
	"syscall"
	"testing"
)

// rusageThread is RUSAGE_THREAD (Linux): the CPU time of the calling thread only.
const rusageThread = 1

// cpuClock measures the CPU time the benchmark's own thread spends in its timed
// loop, so that figures stay comparable on a shared, loaded machine where wall
// clock MB/s mostly measure the wait for a core. Start it right before b.Loop and
// call report after it.
type cpuClock struct {
	start syscall.Timeval
	ok    bool
}

func threadCPU() (syscall.Timeval, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return syscall.Timeval{}, false
	}
	return syscall.Timeval{Sec: ru.Utime.Sec + ru.Stime.Sec, Usec: ru.Utime.Usec + ru.Stime.Usec}, true
}

// startCPU locks the goroutine to its thread (so the thread's CPU time is the
// loop's) and reads the clock.
func startCPU() *cpuClock {
	runtime.LockOSThread()
	c := &cpuClock{}
	c.start, c.ok = threadCPU()
	return c
}

// report adds cpu-ns/op and, when bytesPerOp > 0, cpu-MB/s, then unlocks the thread.
func (c *cpuClock) report(b *testing.B, bytesPerOp int64) {
	end, ok := threadCPU()
	runtime.UnlockOSThread()
	if !c.ok || !ok || b.N == 0 {
		return
	}
	ns := float64(end.Sec-c.start.Sec)*1e9 + float64(end.Usec-c.start.Usec)*1e3
	if ns <= 0 {
		return
	}
	b.ReportMetric(ns/float64(b.N), "cpu-ns/op")
	if bytesPerOp > 0 {
		b.ReportMetric(float64(bytesPerOp)*float64(b.N)/ns*1e3, "cpu-MB/s")
	}
}

// threadCPUSeconds is the calling thread's CPU time in seconds (0 when unknown).
func threadCPUSeconds() float64 {
	t, ok := threadCPU()
	if !ok {
		return 0
	}
	return float64(t.Sec) + float64(t.Usec)/1e6
}
