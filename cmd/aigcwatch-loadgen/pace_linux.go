//go:build linux

package main

import (
	"context"
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

// lockPacer makes the calling goroutine the pacer: it keeps its own OS thread, whose
// timer slack (how late the kernel may wake a sleeper so as to batch wake-ups, 50 µs by
// default) is set to 1 ns. The goroutine must never unlock: the thread ends with it.
func lockPacer() {
	runtime.LockOSThread()
	const prSetTimerslack = 29
	syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerslack, 1, 0) //nolint:errcheck // best effort: the default slack only costs precision
}

// sleepUntil returns at t, or when ctx ends (reporting false).
//
// Go's timers cannot do it: when the process is otherwise idle the runtime waits in
// epoll with a timeout in whole milliseconds, so time.Sleep(200µs) takes about 1.1 ms
// here, and at 5,000 requests/s every request would be sent up to 1 ms after it was due.
// Short waits are a nanosleep(2) made as a raw system call instead: the pacer's thread
// keeps its P while it sleeps (the command gives the runtime one P more than the CPUs
// for it), so it runs again the moment the kernel wakes it, about 40 µs late rather
// than 1 ms. Long waits still use the runtime's timer, up to a millisecond short.
func sleepUntil(ctx context.Context, t time.Time) bool {
	for {
		if ctx.Err() != nil {
			return false
		}
		d := time.Until(t)
		switch {
		case d <= 0:
			return true
		case d > 2*time.Millisecond:
			select {
			case <-time.After(d - time.Millisecond):
			case <-ctx.Done():
				return false
			}
		default:
			ts := syscall.NsecToTimespec(int64(d))
			syscall.RawSyscall(syscall.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&ts)), 0, 0) //nolint:errcheck // EINTR: the loop sleeps the rest
		}
	}
}
