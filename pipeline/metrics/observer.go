package metrics

import (
	"context"
	"errors"
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
	// rules caches the children of the rules fired last, by rule (a stream fires the
	// same few rules), saving the shared table's map lookup.
	rules    [4]ruleCache
	nextRule int
}

type ruleCache struct {
	rule *rules.Rule
	rc   *ruleChildren
}

func (w *workerObserver) rule(r *rules.Rule) *ruleChildren {
	for _, c := range w.rules {
		if c.rule == r {
			return c.rc
		}
	}
	rc := w.m.rule(r)
	w.rules[w.nextRule] = ruleCache{r, rc}
	w.nextRule = (w.nextRule + 1) % len(w.rules)
	return rc
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
		rc := w.rule(r)
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
// in DetectorSample records, and its failures counted. A chain is timed member by member
// (timedChain).
func (o *observer) WrapDetector(d detectors.Detector) detectors.Detector {
	m := (*Metrics)(o)
	mask, scale := uint32(m.opt.DetectorSample-1), float64(m.opt.DetectorSample)
	if c, ok := d.(detectors.Chain); ok {
		t := &timedChain{chain: c, mask: mask, scale: scale, byName: map[string]prometheus.Counter{}}
		for _, d := range c {
			t.seconds = append(t.seconds, m.detSeconds.WithLabelValues(d.Name()))
			t.byName[d.Name()] = m.detErrors.WithLabelValues(d.Name())
		}
		return t
	}
	return &timed{Detector: d, mask: mask, scale: scale,
		seconds: m.detSeconds.WithLabelValues(d.Name()), errors: m.detErrors.WithLabelValues(d.Name())}
}

// timedChain times a chain's members: a record is sampled (1 in DetectorSample, one
// random number per record), and then each member's time is read between the clock
// readings around it; an unsampled record runs the chain itself, at the cost of one call.
// The members' failures are counted from the problems the chain records (Chain.Detect
// names each failed member with detectors.ReasonDetectorError).
type timedChain struct {
	chain   detectors.Chain
	mask    uint32
	scale   float64
	seconds []prometheus.Counter          // by member
	byName  map[string]prometheus.Counter // errors by member name
}

// Name implements detectors.Detector.
func (t *timedChain) Name() string { return t.chain.Name() }

// Detect implements detectors.Detector, with detectors.Chain's semantics.
func (t *timedChain) Detect(ctx context.Context, r *record.Record, res *detectors.Result) error {
	from := len(res.Problems)
	var err error
	if t.mask == 0 || rand.Uint32()&t.mask == 0 {
		var errs []error
		start := time.Now()
		for i, d := range t.chain {
			if e := d.Detect(ctx, r, res); e != nil {
				errs = append(errs, e)
				res.Problems = append(res.Problems, detectors.Problem{Detector: d.Name(), Reason: detectors.ReasonDetectorError})
			}
			end := time.Now()
			t.seconds[i].Add(end.Sub(start).Seconds() * t.scale)
			start = end
		}
		err = errors.Join(errs...)
	} else {
		err = t.chain.Detect(ctx, r, res)
	}
	if err != nil {
		for _, p := range res.Problems[from:] {
			if c := t.byName[p.Detector]; c != nil && p.Reason == detectors.ReasonDetectorError {
				c.Inc()
			}
		}
	}
	return err
}

// Unwrap returns the wrapped chain.
func (t *timedChain) Unwrap() detectors.Detector { return t.chain }

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
