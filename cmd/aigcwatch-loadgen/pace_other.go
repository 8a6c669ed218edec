//go:build !linux

package main

import (
	"context"
	"time"
)

func lockPacer() {}

// sleepUntil returns at t, or when ctx ends (reporting false). Outside Linux it is the
// runtime's timer, which may wake up to a millisecond late on an idle process.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	select {
	case <-time.After(d):
		return true
	case <-ctx.Done():
		return false
	}
}
