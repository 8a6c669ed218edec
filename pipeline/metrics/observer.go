package metrics

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/incident"
	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/record"
	"github.com/aigcwatch/aigcwatch/rules"
)

// observer is Metrics seen as a pipeline.Observer and pipeline.DetectorWrapper.
type observer Metrics

var (
	_ pipeline.Observer        = (*observer)(nil)
	_ pipeline.DetectorWrapper = (*observer)(nil)
)

// NewWorkerObserver implements pipeline.Observer.
func (o *observer) NewWorkerObserver() pipeline.WorkerObserver {
	m := (*Metrics)(o)
	return &workerObserver{m: m, lastJur: "\x00", lastProv: "\x00"}
}

// workerObserver is one worker's view: it caches the last jurisdiction and provider seen
// (streams come in runs of both), so most records resolve them with a string comparison.
type workerObserver struct {
	m        *Metrics
	lastJur  string
	jurIdx   int
	lastProv string
	prov     *providerChildren
	// findings is a small cache of the finding label sets seen last, compared by value
	// with the table's own copies (detectors' categories are usually the same few strings,
	// so this saves hashing them).
	findings [8]*findingChildren
	next     int
}

func (w *workerObserver) finding(f *detectors.Finding) *findingChildren {
	for _, fc := range w.findings {
		if fc != nil && fc.key.layer == f.Layer && fc.key.severity == f.Severity && fc.key.category == f.Category && fc.key.detector == f.Detector {
			return fc
		}
	}
	fc := w.m.finding(f)
	w.findings[w.next] = fc
	w.next = (w.next + 1) % len(w.findings)
	return fc
}

// Judged implements pipeline.WorkerObserver.
func (w *workerObserver) Judged(r *record.Record, v *rules.Verdict, incidents []incident.Event, d time.Duration) {
	m := w.m
	if v.Jurisdiction != w.lastJur {
		// The strings are kept only for the comparison with the next record's; as they
		// may alias the record's bytes, keep the label's own copy when it is named.
		j := m.jur.of(v.Jurisdiction)
		w.jurIdx, w.lastJur = j, m.jur.names[j]
		if w.lastJur != v.Jurisdiction {
			w.lastJur = "\x00" // not named: resolved again next time (no copy kept)
		}
	}
	j := w.jurIdx
	if r.Provider != w.lastProv || w.prov == nil {
		w.prov = m.providers.lookup(r.Provider)
		w.lastProv = w.prov.name
		if w.lastProv != r.Provider {
			w.lastProv = "\x00"
		}
	}
	pc := w.prov
	dec := int(v.Decision)
	if dec >= len(m.judgedC) {
		dec = len(m.judgedC) - 1
	}
	m.judgedC[dec][j].Inc()
	pc.records[j].Inc()
	m.latency.Observe(d.Seconds())

	var unlabeled, deepfake bool
	for i := range v.Findings {
		f := &v.Findings[i]
		fc := w.finding(f)
		fc.count.Inc()
		unlabeled = unlabeled || fc.unlabeled
		deepfake = deepfake || fc.deepfake
		if f.Severity > detectors.Info && !v.Acted(i) { // cues (info) are evidence, not risks
			fc.unhandled.Inc()
		}
	}
	for _, p := range v.Problems { // rare: the label look-up is paid only then
		m.problems.WithLabelValues(p.Detector, p.Reason).Inc()
	}
	if unlabeled {
		pc.unlabeled[j].Inc()
	}
	if deepfake {
		pc.deepfake[j].Inc()
	}
	// One incident per reportable fired rule, in order (incident.Builder.Build).
	n := 0
	for _, r := range v.Rules {
		rc := m.rule(r)
		rc.fired.Inc()
		pc.rule(m, rc).Inc()
		if r.Report && n < len(incidents) {
			if rc.incident != nil {
				rc.incident.Inc()
			}
			n++
		}
	}
	if len(incidents) > 0 {
		pc.incidents[j].Add(float64(len(incidents)))
	}
}

// Rejected implements pipeline.WorkerObserver.
func (w *workerObserver) Rejected(reason string) { w.m.deadLetter(reason).Inc() }

// WrapDetector implements pipeline.DetectorWrapper: the detector's calls are timed, 1
// in DetectorSample, and its failures counted.
func (o *observer) WrapDetector(d detectors.Detector) detectors.Detector {
	m := (*Metrics)(o)
	return &timed{Detector: d, mask: uint32(m.opt.DetectorSample - 1), scale: float64(m.opt.DetectorSample),
		seconds: m.detSeconds.WithLabelValues(d.Name()), errors: m.detErrors.WithLabelValues(d.Name())}
}

// timed wraps a detector with its time and failure metrics.
type timed struct {
	detectors.Detector
	mask    uint32 // DetectorSample-1, a power of two less one: a call is timed when rand&mask == 0
	scale   float64
	seconds prometheus.Counter
	errors  prometheus.Counter
}

// Detect implements detectors.Detector.
func (t *timed) Detect(ctx context.Context, r *record.Record, res *detectors.Result) error {
	var err error
	if t.mask == 0 || rand.Uint32()&t.mask == 0 {
		start := time.Now()
		err = t.Detector.Detect(ctx, r, res)
		t.seconds.Add(time.Since(start).Seconds() * t.scale)
	} else {
		err = t.Detector.Detect(ctx, r, res)
	}
	if err != nil {
		t.errors.Inc()
	}
	return err
}

// Unwrap returns the wrapped detector.
func (t *timed) Unwrap() detectors.Detector { return t.Detector }
