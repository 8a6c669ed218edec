// Package pipeline is the embeddable runtime of aigcwatch: it turns raw records into
// verdicts, incidents and dead letters, the same way for every way in (file scan,
// Kafka, HTTP). A Processor holds the current detectors and rule engine (swapped
// atomically on reload); each goroutine judges records with its own Worker.
//
// Transports live in subpackages or in the command; this package knows nothing of
// files, topics or sockets.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/incident"
	"github.com/aigcwatch/aigcwatch/record"
	"github.com/aigcwatch/aigcwatch/rules"
)

// Processor judges records. It is safe for concurrent use; each goroutine needs its
// own Worker (NewWorker).
type Processor struct {
	Limits    record.Limits
	Incidents *incident.Builder
	Now       func() time.Time
	// Strict rejects records whose jurisdiction the rules do not know (Config.Strict).
	Strict bool

	// current is the engine and detectors, swapped together so a record is never judged by
	// new detectors under old rules (its verdict names the data it was judged with).
	current atomic.Pointer[judges]
	obs     Observer // set by SetObserver; nil: not instrumented
}

type judges struct {
	engine   *rules.Engine
	detector detectors.Detector // raw, wrapped by the observer
	raw      detectors.Detector
}

// NewProcessor returns a processor running det (may be nil: no detectors) and e.
func NewProcessor(e *rules.Engine, det detectors.Detector) *Processor {
	p := &Processor{Incidents: &incident.Builder{}}
	p.Swap(e, det)
	return p
}

// Engine returns the current rule engine.
func (p *Processor) Engine() *rules.Engine { return p.current.Load().engine }

// Swap installs a rule engine and detectors together; records being judged finish with
// the old pair. A nil detector means none.
func (p *Processor) Swap(e *rules.Engine, d detectors.Detector) {
	if d == nil {
		d = detectors.Chain(nil)
	}
	p.current.Store(&judges{engine: e, detector: p.wrap(d), raw: d})
}

// SetDetector swaps the detectors, keeping the engine.
func (p *Processor) SetDetector(d detectors.Detector) { p.Swap(p.Engine(), d) }

// Judgement is the outcome for one raw record. Exactly one of Verdict and Reject is set.
// VerdictJSON and Incidents are freshly allocated and may be retained; Verdict and
// Record belong to the Worker and are valid only until its next call. VerdictJSON is nil
// for an allowed verdict when the Worker's SkipAllowedJSON is set.
type Judgement struct {
	Record      *record.Record
	Verdict     *rules.Verdict
	VerdictJSON []byte
	Incidents   []incident.Event
	Reject      *record.DecodeError
}

// Worker holds the per-goroutine state for judging records. Not safe for concurrent use.
type Worker struct {
	p       *Processor
	rec     record.Record
	res     detectors.Result
	scratch rules.Scratch
	verdict rules.Verdict
	// slab is where verdicts are encoded: each verdict takes the next stretch of it (its
	// capacity cut to its length, so that appending to one cannot reach the next), and a
	// new slab is allocated when little is left. One allocation serves about a hundred
	// verdicts instead of two or three each, and the garbage collector tracks one object;
	// a slab is freed when no verdict in it is retained any more.
	slab []byte
	obs  WorkerObserver // nil when the processor has no observer

	// SkipAllowedJSON leaves the verdict of an allowed record unencoded (Judgement's
	// VerdictJSON nil): for outputs that do not write allowed verdicts in full (the
	// stream's compact and flagged modes). Encoding is a tenth of judging such a record,
	// and the encoded verdicts' slabs are most of its garbage.
	SkipAllowedJSON bool

	// epoch is a monotonic clock reading taken when the worker was made: the time a
	// record takes is read as two offsets from it, one clock reading each (time.Now
	// reads the wall clock too).
	epoch time.Time
}

const (
	slabSize    = 64 << 10
	slabReserve = 4 << 10 // a verdict is encoded into a slab only if this much is left
)

// NewWorker returns a worker bound to p.
func (p *Processor) NewWorker() *Worker {
	w := &Worker{p: p, epoch: time.Now()}
	w.scratch.Now = p.now
	if p.obs != nil {
		w.obs = p.obs.NewWorkerObserver()
	}
	return w
}

func (p *Processor) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Judge decodes raw and judges it. raw must not change until the next call (the decoded
// record's strings alias it). A malformed record is not an error: it comes back as
// Judgement.Reject, for the dead-letter output. An error means the pipeline failed
// (an incident could not be encoded) and the record must not be acknowledged.
func (w *Worker) Judge(ctx context.Context, raw []byte) (Judgement, error) {
	return w.JudgeAt(ctx, raw, time.Time{})
}

// JudgeAt is Judge for records that arrive with a time of their own, such as a Kafka
// message's timestamp: a record without a `time` field is judged (date-bound rules,
// incident times) at `at` rather than at the processing time, so a redelivered or replayed
// record is judged as it was the first time. A zero `at` is Judge.
func (w *Worker) JudgeAt(ctx context.Context, raw []byte, at time.Time) (Judgement, error) {
	start := time.Since(w.epoch)
	p := w.p
	if err := record.Decode(raw, p.Limits, &w.rec); err != nil {
		var de *record.DecodeError
		if errors.As(err, &de) {
			if w.obs != nil {
				w.obs.Rejected(de.Reason)
			}
			return Judgement{Reject: de}, nil
		}
		return Judgement{}, err
	}
	if w.rec.Time.IsZero() && !at.IsZero() {
		w.rec.Time = at
	}
	if p.Strict && !p.Engine().Known(w.rec.Jurisdiction) {
		return Judgement{Reject: unknownJurisdiction(w.rec.Jurisdiction)}, nil
	}
	return w.judge(ctx, &w.rec, start)
}

// JudgeRecord judges an already decoded record (the HTTP API decodes itself). r must
// stay unchanged until the next call.
func (w *Worker) JudgeRecord(ctx context.Context, r *record.Record) (Judgement, error) {
	if w.p.Strict && !w.p.Engine().Known(r.Jurisdiction) {
		return Judgement{Reject: unknownJurisdiction(r.Jurisdiction)}, nil
	}
	return w.judge(ctx, r, time.Since(w.epoch))
}

// unknownJurisdiction is the dead letter of a record that Strict rejects.
func unknownJurisdiction(j string) *record.DecodeError {
	return &record.DecodeError{Reason: rules.ReasonUnknownJurisdiction, Field: "jurisdiction", Offset: -1,
		Detail: fmt.Sprintf("%q is not a jurisdiction of the loaded packs, a country or EU member state of one, or an alias (--strict)", j)}
}

func (w *Worker) judge(ctx context.Context, r *record.Record, start time.Duration) (Judgement, error) {
	p := w.p
	w.res.Reset()
	cur := p.current.Load()
	if err := cur.detector.Detect(ctx, r, &w.res); err != nil && ctx.Err() != nil {
		return Judgement{}, ctx.Err()
	}
	cur.engine.Evaluate(&w.scratch, r, &w.res, &w.verdict)
	evs, err := p.Incidents.Build(r, &w.verdict)
	if err != nil {
		return Judgement{}, err
	}
	d := time.Since(w.epoch) - start
	w.verdict.LatencyUS = d.Microseconds()
	if w.obs != nil {
		w.obs.Judged(r, &w.verdict, evs, d)
	}
	j := Judgement{Record: r, Verdict: &w.verdict, Incidents: evs}
	if !w.SkipAllowedJSON || w.verdict.Decision != rules.Allow {
		j.VerdictJSON = w.encodeVerdict()
	}
	return j, nil
}

// encodeVerdict encodes w.verdict into the slab (see Worker.slab).
func (w *Worker) encodeVerdict() []byte {
	if cap(w.slab)-len(w.slab) < slabReserve {
		w.slab = make([]byte, 0, slabSize)
	}
	free := w.slab[len(w.slab):]
	js := w.verdict.AppendJSON(free)
	if len(js) > 0 && &js[0] == &free[:1][0] {
		// It fitted: the verdict now owns that stretch of the slab.
		w.slab = w.slab[:len(w.slab)+len(js)]
	}
	return js[:len(js):len(js)]
}
