//go:build linux || darwin || freebsd

package main

import (
	"time"

	"golang.org/x/sys/unix"
)

// preciseSleep sleeps d with nanosleep(2), blocking this goroutine's thread (the
// runtime hands its P to another thread meanwhile).
func preciseSleep(d time.Duration) bool {
	ts := unix.NsecToTimespec(d.Nanoseconds())
	for unix.Nanosleep(&ts, &ts) == unix.EINTR {
	}
	return true
}
