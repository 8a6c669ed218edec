//go:build !(linux || darwin || freebsd)

package main

import "time"

// preciseSleep is not available here: waitFor uses a timer.
func preciseSleep(time.Duration) bool { return false }
