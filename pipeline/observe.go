package pipeline

import (
	"time"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/incident"
	"github.com/aigcwatch/aigcwatch/record"
	"github.com/aigcwatch/aigcwatch/rules"
)

// Observer is told what a Processor's workers do, so that every way in (scan, run, serve)
// is instrumented once, here, and not by each transport. Package pipeline/metrics
// implements it with Prometheus metrics.
//
// NewWorkerObserver is called once per Worker (NewWorker), possibly concurrently; the
// WorkerObserver it returns is used by that worker's goroutine only, so it may keep
// unsynchronised per-worker state (resolved metric children, caches).
type Observer interface {
	NewWorkerObserver() WorkerObserver
}

// WorkerObserver receives one worker's outcomes, on the worker's goroutine, on the hot
// path: its methods must be quick and should not allocate.
type WorkerObserver interface {
	// Judged is called for each judged record with its verdict (v.Findings are the
	// detectors' findings), the incidents built from it and the judging time (decode to
	// encoded verdict). r, v and incidents are valid only during the call.
	Judged(r *record.Record, v *rules.Verdict, incidents []incident.Event, d time.Duration)
	// Rejected is called for each record that becomes a dead letter, with its closed-set
	// reason (record.Reason*, or a transport's own such as "output_too_large").
	Rejected(reason string)
}

// DetectorWrapper is an optional ability of an Observer: the detector the Processor runs
// (usually a detectors.Chain, passed whole so that a wrapper can decide once per record
// what to do for its members) is wrapped by WrapDetector at every Swap, so that timing is
// added once by a wrapper and detectors hold only their own logic.
type DetectorWrapper interface {
	WrapDetector(d detectors.Detector) detectors.Detector
}

// SetObserver instruments p: workers created afterwards report to o (nil: none, the
// default, at no cost), and the detectors are wrapped when o is a DetectorWrapper. Call it
// before creating workers.
func (p *Processor) SetObserver(o Observer) {
	p.obs = o
	cur := p.current.Load()
	p.Swap(cur.engine, cur.raw)
}

// wrap applies the observer's detector wrapper to d.
func (p *Processor) wrap(d detectors.Detector) detectors.Detector {
	if dw, ok := p.obs.(DetectorWrapper); ok {
		return dw.WrapDetector(d)
	}
	return d
}

// Rejected tells the worker's observer that a record it did not judge (a line too long
// to read, an output too large to write) became a dead letter with the given reason.
// Rejections found by the decoder (Judge, JudgeAt) are reported by the worker itself.
func (w *Worker) Rejected(reason string) {
	if w.obs != nil {
		w.obs.Rejected(reason)
	}
}
