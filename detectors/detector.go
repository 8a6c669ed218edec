// Package detectors defines the contract between the hot-path detectors and the rules
// engine: a Detector inspects one record and appends Findings (and, for detectors that
// derive structured facts, fills its part of Result). Implementations live in
// subpackages (lexicon, label, fingerprint); this package holds only the shared
// vocabulary and composites, and imports nothing but the record package.
package detectors

import (
	"context"
	"errors"

	"github.com/aigcwatch/aigcwatch/record"
)

// Detector inspects one record.
//
// Detect must be safe for concurrent use by many goroutines, must not retain r or res
// after it returns, and should append to res.Findings without allocating in steady
// state (res is reused across records). A returned error means the detector itself
// failed (not that the record is bad): the pipeline records it as a problem and goes on.
// Detect should return promptly when ctx is done.
type Detector interface {
	Name() string
	Detect(ctx context.Context, r *record.Record, res *Result) error
}

// Result collects what all detectors found for one record. It is reused: call Reset
// before each record.
type Result struct {
	Findings []Finding
	Problems []Problem
	// Arena is per-record scratch memory: a detector may append bytes it derives from the
	// record (an unescaped payload) and make strings that point into them, valid until
	// Reset. Nothing may keep such strings past the record.
	Arena []byte
	// Label holds the facts derived by the label detector; zero when it did not run.
	Label LabelFacts
}

// Reset empties r for reuse, keeping its capacity.
func (r *Result) Reset() {
	r.Findings = r.Findings[:0]
	r.Problems = r.Problems[:0]
	r.Arena = r.Arena[:0]
	r.Label = LabelFacts{}
}

// Func adapts a function to a Detector.
type Func struct {
	N string
	F func(ctx context.Context, r *record.Record, res *Result) error
}

// Name implements Detector.
func (f Func) Name() string { return f.N }

// Detect implements Detector.
func (f Func) Detect(ctx context.Context, r *record.Record, res *Result) error {
	return f.F(ctx, r, res)
}

// Chain runs detectors in order; it is itself a Detector. Every detector runs even if
// an earlier one failed; their errors are joined.
type Chain []Detector

// ReasonDetectorError is the Problem reason Chain records for a member whose Detect
// failed.
const ReasonDetectorError = "detector_error"

// Name implements Detector.
func (c Chain) Name() string { return "chain" }

// Detect implements Detector.
func (c Chain) Detect(ctx context.Context, r *record.Record, res *Result) error {
	var errs []error
	for _, d := range c {
		if err := d.Detect(ctx, r, res); err != nil {
			errs = append(errs, err)
			res.Problems = append(res.Problems, Problem{Detector: d.Name(), Reason: ReasonDetectorError})
		}
	}
	return errors.Join(errs...)
}
