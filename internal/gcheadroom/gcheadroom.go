// Package gcheadroom keeps a latency-sensitive service's garbage collector from running
// more often than its memory budget requires.
//
// Go's default (GOGC=100) starts a collection whenever the heap has grown by as much as
// was live after the last one. aigcwatch's live heap is mostly its rules, lexicons and
// banks: a few megabytes with the embedded defaults. `serve` at 5,000 requests/s then
// collected about five times a second, each cycle taking a CPU for 3-5 ms of its two,
// and those cycles made much of the p99 (docs/BENCHMARKS.md). A fixed headroom, the heap
// allowed to grow by at least that many bytes between collections, costs the same
// memory whatever the live heap is and changes nothing once the live heap is larger.
package gcheadroom

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
)

// DefaultBytes is the headroom serve asks for: 64 MiB.
const DefaultBytes = 64 << 20

// Percent is the GOGC that gives at least headroom bytes of growth over a live heap of
// live bytes, and never less than Go's default of 100.
func Percent(live, headroom uint64) int {
	if live == 0 {
		live = 1
	}
	p := (headroom*100 + live - 1) / live
	return int(max(100, min(p, 1_000_000)))
}

// Apply collects, reads the live heap and sets the GC percent for the headroom. It does
// nothing when GOGC is set in the environment: the operator's choice stands. It returns
// the percent in force and whether it set it.
func Apply(headroom uint64) (int, bool) {
	if _, set := os.LookupEnv("GOGC"); set || headroom == 0 {
		old := debug.SetGCPercent(100) // read back: SetGCPercent returns the value in force
		debug.SetGCPercent(old)
		return old, false
	}
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	var live uint64
	if s[0].Value.Kind() == metrics.KindUint64 {
		live = s[0].Value.Uint64()
	} else { // a runtime without the metric: the heap in use just after a collection
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		live = m.HeapAlloc
	}
	p := Percent(live, headroom)
	debug.SetGCPercent(p)
	return p, true
}
