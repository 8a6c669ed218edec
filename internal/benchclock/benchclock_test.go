package benchclock

import (
	"runtime"
	"testing"
)

func TestThreadCPUAdvances(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("per-thread CPU time is read on Linux only")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := ThreadCPU()
	x := 0
	for i := 0; i < 50_000_000; i++ {
		x += i ^ (x >> 3)
	}
	if ThreadCPU() <= start || x == 42 {
		t.Errorf("thread CPU time did not advance: %d → %d", start, ThreadCPU())
	}
	if ProcessCPU() < ThreadCPU()-start {
		t.Error("process CPU time below the thread's")
	}
}
