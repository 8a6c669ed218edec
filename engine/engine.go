// Package engine embeds aigcwatch's judging in a Go service: build an Engine from the
// same configuration as `aigcwatch scan`, `run` and `serve` (the embedded rule packs and
// lexicon when it is empty), then ask it about records from any number of goroutines.
//
//	eng, err := engine.New(ctx, engine.Config{})
//	...
//	v, err := eng.CheckJSON(ctx, body) // or eng.Check(ctx, &rec)
//	if v.Decision >= rules.Block { ... }
//
// Every way in (scan, run, serve and this package) judges with the same
// pipeline.Worker.Judge, so a record gets the same verdict, byte for byte bar latency_us,
// whichever way it came. The Engine keeps a pool of workers, so callers manage none;
// rules and detectors are rebuilt off the hot path by Reload (or on file changes with
// Config.Watch) and swapped atomically.
//
// Left out: transports (files, Kafka, HTTP) and where incidents go. A verdict carries its
// incidents; writing them somewhere durable is the caller's job (package serve writes
// them to the same sinks as `aigcwatch run`).
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aigcwatch/aigcwatch/detectors/fingerprint"
	"github.com/aigcwatch/aigcwatch/enforce"
	"github.com/aigcwatch/aigcwatch/incident"
	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/record"
	"github.com/aigcwatch/aigcwatch/rules"
)

// ErrClosed is returned by Check, CheckJSON and Reload after Close. The caller should stop
// sending records to this Engine.
var ErrClosed = errors.New("engine: closed")

// ErrNilRecord is returned by Check for a nil record.
var ErrNilRecord = errors.New("engine: nil record")

// Config configures an Engine. Its zero value is the embedded defaults: the embedded
// rule packs and lexicon, no fingerprint banks, and pipeline.DefaultConfig's
// jurisdiction (CN) for records that carry none.
type Config struct {
	// Pipeline is the judging configuration shared with scan, run and serve (rules,
	// lexicons, banks, jurisdiction, limits, pseudonym key); its keys sit at the top level
	// of a YAML file.
	Pipeline pipeline.Config `yaml:",inline"`
	// Watch reloads rules, lexicons and banks when their files change (debounced).
	// Embedded defaults are never watched.
	Watch bool `yaml:"watch"`
	// Logger receives reload outcomes; nil means slog.Default(). The Engine never logs
	// record content.
	Logger *slog.Logger `yaml:"-"`
	// Observer, if set, instruments judging: it is installed on the processor before any
	// record is judged (pipeline/metrics: Metrics.Observer()).
	Observer pipeline.Observer `yaml:"-"`
	// OnReload, if set, is called after every reload attempt, from Reload or the file
	// watch, with its outcome and the ruleset checksum then in use
	// (pipeline.Reloader.OnReload; pipeline/metrics: Metrics.ReloadHook).
	OnReload func(ok bool, checksum string) `yaml:"-"`
	// Enforcement, if set, places every judged record's provider on its enforcement
	// ladder (package enforce, docs/enforcement.md) in the order the checks arrive: the
	// Verdict's incidents then carry data.enforcement, and the level changes they caused
	// come with them as events (de-escalations first, escalations last). After each
	// successful reload the ladders are rebuilt from the packs.
	Enforcement *enforce.State `yaml:"-"`
}

// Verdict is the outcome for one record. Everything in it belongs to the caller and
// stays valid after later calls.
type Verdict struct {
	ID          string         // the record's id
	Decision    rules.Decision // allow, label, review or block
	LabelNotice string         // the notice to show when Decision is label, if a rule set one
	Tier        rules.Tier
	Rules       []string // ids of the rules that fired, in pack and rule order
	// Incidents are the CloudEvents for the reportable rules that fired; the caller
	// writes them to its incident sink.
	Incidents []incident.Event
	LatencyUS int64 // time spent judging, in microseconds
	// JSON is the verdict document, exactly as `aigcwatch scan --out` writes it
	// (docs/outputs.md), without a trailing newline.
	JSON []byte
}

// Engine judges records. It is safe for concurrent use; Close ends it.
type Engine struct {
	p        *pipeline.Processor
	reloader *pipeline.Reloader
	log      *slog.Logger

	workers sync.Pool // of *pipeline.Worker
	enf     *enforce.State
	retries *retries // with enf: a client's retry of a record counts once

	closed atomic.Bool
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once
}

// New builds an Engine: it loads and compiles the rule packs, builds the detectors and
// starts watching their files if c.Watch is set (until ctx ends or Close). An error
// names what failed to load.
func New(ctx context.Context, c Config) (*Engine, error) {
	pc := c.Pipeline
	if pc.DefaultJurisdiction == "" {
		pc.DefaultJurisdiction = pipeline.DefaultConfig.DefaultJurisdiction
	}
	if pc.Fingerprints == nil && (len(pc.Banks) > 0 || pc.AutoBankLabeled) {
		// One matcher for the life of the Engine, shared by every rebuild, so live
		// additions (auto-banking) survive reloads, as in `aigcwatch run`. Without banks
		// there is nothing to match and no matcher, so the fingerprint detector stays out
		// of the chain instead of hashing every record for nothing.
		pc.Fingerprints = fingerprint.NewMatcher(nil)
	}
	p, err := pipeline.Build(pc)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	log := c.Logger
	if log == nil {
		log = slog.Default()
	}
	if c.Observer != nil {
		p.SetObserver(c.Observer) // before the pool makes any worker
	}
	onReload := c.OnReload
	if st := c.Enforcement; st != nil {
		onReload = func(ok bool, checksum string) {
			if ok {
				if err := reloadLadders(st, pc); err != nil {
					log.Error("enforcement ladders not reloaded: the running ones stay", "component", "engine", "err", err)
				}
			}
			if c.OnReload != nil {
				c.OnReload(ok, checksum)
			}
		}
	}
	e := &Engine{p: p, log: log, enf: c.Enforcement, reloader: &pipeline.Reloader{P: p, Cfg: pc, Log: log, OnReload: onReload}}
	if e.enf != nil {
		e.retries = newRetries()
	}
	e.workers.New = func() any { return p.NewWorker() }
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e.cancel = cancel
	if c.Watch {
		e.wg.Go(func() {
			select { // ctx ending stops the watch as Close does
			case <-ctx.Done():
				cancel()
			case <-wctx.Done():
			}
		})
		e.wg.Go(func() {
			if err := e.reloader.Watch(wctx, 500*time.Millisecond); err != nil {
				log.Warn("not watching rule, lexicon and bank files; Reload still works", "component", "engine", "err", err)
			}
		})
	}
	return e, nil
}

// Check judges a record built in Go. It first validates r as the JSON decoder would
// (record.Record.Validate: required fields, enums, limits), normalising it in place; a
// record that fails comes back as a *record.DecodeError naming the field. r must not be
// changed during the call and is not retained after it.
func (e *Engine) Check(ctx context.Context, r *record.Record) (Verdict, error) {
	if r == nil {
		return Verdict{}, ErrNilRecord
	}
	if err := e.ready(ctx); err != nil {
		return Verdict{}, err
	}
	if err := r.Validate(e.p.Limits); err != nil {
		return Verdict{}, err
	}
	w := e.workers.Get().(*pipeline.Worker)
	defer e.workers.Put(w)
	j, err := w.JudgeRecord(ctx, r)
	if err != nil {
		return Verdict{}, fmt.Errorf("engine: %w", err)
	}
	return e.verdictOf(j), nil
}

// CheckJSON decodes one content record v1 (docs/record.md) from raw and judges it. A
// malformed or invalid record comes back as a *record.DecodeError (errors.Is
// record.ErrRejected) naming the field and the reason; any other error is a failure of
// the engine or ctx. raw is not retained.
func (e *Engine) CheckJSON(ctx context.Context, raw []byte) (Verdict, error) {
	if err := e.ready(ctx); err != nil {
		return Verdict{}, err
	}
	w := e.workers.Get().(*pipeline.Worker)
	defer e.workers.Put(w)
	j, err := w.Judge(ctx, raw)
	if err != nil {
		return Verdict{}, fmt.Errorf("engine: %w", err)
	}
	if j.Reject != nil {
		return Verdict{}, j.Reject
	}
	return e.verdictOf(j), nil
}

func (e *Engine) ready(ctx context.Context) error {
	if e.closed.Load() {
		return ErrClosed
	}
	return ctx.Err()
}

// verdictOf copies what the caller keeps out of the worker's judgement: the record id
// may alias the caller's bytes (zero-copy decoding), the verdict is the worker's scratch.
// With enforcement, the record is applied to the state first (it copies what it keeps);
// the same record again within a few minutes is a client's retry, and only stamped.
func (e *Engine) verdictOf(j pipeline.Judgement) Verdict {
	if e.enf != nil {
		apply := e.enf.Apply
		if e.retries.again(retryKey(j.Record, j.Incidents), time.Now()) {
			apply = e.enf.Stamp
		}
		j.Incidents = e.enf.OutcomeEvents(apply(j.Record, j.Verdict, j.Incidents))
	}
	v := j.Verdict
	return Verdict{
		ID:          strings.Clone(v.ID),
		Decision:    v.Decision,
		LabelNotice: v.LabelNotice,
		Tier:        v.Tier,
		Rules:       v.RuleIDs(),
		Incidents:   j.Incidents,
		LatencyUS:   v.LatencyUS,
		JSON:        j.VerdictJSON,
	}
}

// reloadLadders rebuilds the enforcement ladders from the packs of pc.
func reloadLadders(st *enforce.State, pc pipeline.Config) error {
	pols, err := pc.Policies()
	if err != nil {
		return err
	}
	st.SetPolicies(pols)
	return nil
}

// Reload rebuilds the rules and detectors from the Engine's configuration and swaps them
// in atomically: checks running during the swap finish with the old ones, later ones use
// the new. On any error the running rules and detectors stay and the error says what
// failed to load.
func (e *Engine) Reload(ctx context.Context) error {
	if err := e.ready(ctx); err != nil {
		return err
	}
	if err := e.reloader.Reload(); err != nil {
		return fmt.Errorf("engine: reload: %w", err)
	}
	return nil
}

// Ruleset returns the checksum of the running rule engine, as verdicts name it.
func (e *Engine) Ruleset() string { return e.p.Engine().Info().Checksum }

// Limits returns the record limits in force, defaults filled in.
func (e *Engine) Limits() record.Limits {
	l, d := e.p.Limits, record.DefaultLimits
	if l.MaxRecordBytes <= 0 {
		l.MaxRecordBytes = d.MaxRecordBytes
	}
	if l.MaxTextBytes <= 0 {
		l.MaxTextBytes = d.MaxTextBytes
	}
	if l.MaxImplicit <= 0 {
		l.MaxImplicit = d.MaxImplicit
	}
	return l
}

// Processor returns the underlying processor, for transports that need more than
// Check (the Kafka runtime). Most embedders never need it.
func (e *Engine) Processor() *pipeline.Processor { return e.p }

// Close stops watching files and makes later calls fail with ErrClosed; checks already
// running finish. It is idempotent and returns nil.
func (e *Engine) Close() error {
	e.once.Do(func() {
		e.closed.Store(true)
		e.cancel()
		e.wg.Wait()
	})
	return nil
}
