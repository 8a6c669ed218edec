package metrics_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/pipeline/metrics"
	"github.com/aigcwatch/aigcwatch/record"
)

// stub is a detector that takes about cost and fails when fail is set.
type stub struct {
	name string
	cost time.Duration
	fail bool
}

func (s stub) Name() string { return s.name }

func (s stub) Detect(context.Context, *record.Record, *detectors.Result) error {
	for start := time.Now(); time.Since(start) < s.cost; {
	}
	if s.fail {
		return errors.New("broken")
	}
	return nil
}

// TestChainTiming wraps a chain as the Processor does: each member's time goes to its own
// series (the slow member dominates), failures are counted per member on sampled and
// unsampled records alike, and the chain's own semantics (every member runs, a failure is
// a problem naming the member) are kept.
func TestChainTiming(t *testing.T) {
	for _, sample := range []int{1, 4} {
		reg := prometheus.NewRegistry()
		m, err := metrics.New(reg, metrics.Options{DetectorSample: sample})
		if err != nil {
			t.Fatal(err)
		}
		w, ok := m.Observer().(pipeline.DetectorWrapper)
		if !ok {
			t.Fatal("the observer does not wrap detectors")
		}
		d := w.WrapDetector(detectors.Chain{stub{name: "fast"}, stub{name: "slow", cost: 200 * time.Microsecond}, stub{name: "bad", fail: true}})
		const n = 200
		for range n {
			var res detectors.Result
			if err := d.Detect(context.Background(), &record.Record{ID: "x"}, &res); err == nil {
				t.Fatal("the failing member's error was lost")
			}
			if len(res.Problems) != 1 || res.Problems[0].Detector != "bad" || res.Problems[0].Reason != detectors.ReasonDetectorError {
				t.Fatalf("problems %+v", res.Problems)
			}
		}
		errs := sums(t, reg, "aigcwatch_detector_errors_total", "detector")
		if errs["bad"] != n || errs["fast"] != 0 || errs["slow"] != 0 {
			t.Errorf("sample 1 in %d: errors %v, want %d for bad only", sample, errs, n)
		}
		secs := sums(t, reg, "aigcwatch_detector_seconds_total", "detector")
		// The estimate: n calls of at least 200 µs; sampling 1 in 4 scales up by 4, so it
		// stays within wide bounds of the truth (0.04 s) unless the sampling is broken.
		if secs["slow"] < 0.01 || secs["slow"] > 1 || secs["slow"] < 10*secs["fast"] {
			t.Errorf("sample 1 in %d: seconds %v (slow should be about %v s and dominate)", sample, secs, n*200e-6)
		}
	}
}
