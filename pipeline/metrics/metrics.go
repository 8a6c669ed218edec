// Package metrics is the Prometheus instrumentation of aigcwatch's judging, shared by every
// way in (scan, run, serve): what was judged and decided, per jurisdiction and (bounded)
// provider, findings and the findings no rule acted on, rules fired, incidents, dead
// letters, judging latency and per-detector time, the loaded rule set and reloads.
//
// Use:
//
//	reg := prometheus.NewRegistry()
//	m, err := metrics.New(reg, metrics.Options{Version: version, Runtime: true})
//	p.SetObserver(m.Observer())           // before creating workers
//	m.SetRuleset(p.Engine())              // and again after each successful reload
//	reloader.OnReload = m.ObserveReload   // reload success, time, failures
//	http.Handle("/", metrics.OpsHandler(reg, ready))  // /metrics, /healthz, /readyz
//
// Every metric is registered on the injected Registerer; nothing here touches the global
// registry. Label values come from closed sets or are bounded: jurisdictions to a named
// set plus "other", providers to Options.TopProviders plus "other", finding label sets to
// Options.MaxFindingSeries plus one overflow series (docs/observability.md gives the bounds).
//
// The hot path (WorkerObserver) resolves no metric by label values: the children are
// resolved once, kept in read-only tables swapped copy-on-write when a new label value is
// admitted, and each record costs a few atomic adds and read-only map lookups, with no
// allocation. Transport metrics (Kafka lag, commits) are in their own packages.
package metrics

import (
	"errors"
	"fmt"
	"math/bits"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/detectors/signals"
	"github.com/aigcwatch/aigcwatch/pipeline"
	"github.com/aigcwatch/aigcwatch/record"
	"github.com/aigcwatch/aigcwatch/rules"
)

// Namespace prefixes every metric name.
const Namespace = "aigcwatch"

// Other is the label value of everything past a bound (providers, jurisdictions, finding
// label sets).
const Other = "other"

// UnknownProvider is the provider label of records that name none.
const UnknownProvider = "unknown"

// Defaults of Options.
const (
	DefaultTopProviders     = 50
	DefaultAdmitAfter       = 10
	DefaultMaxFindingSeries = 2000
	DefaultDetectorSample   = 16
)

// DefaultJurisdictions are the jurisdictions named in labels by default: those the
// embedded packs are written for. Others map to their parent (US-NY → US, an EU member
// state → EU, GB → UK) when it is named, else to "other".
var DefaultJurisdictions = []string{"CN", "EU", "UK", "US", "US-CA"}

// DefaultUnlabeledCategories are the finding categories that mean "AI-generated content
// went out without the label it needs": failed presence checks of implicit and explicit
// labels and disclosures (docs/labels.md). A record with at least one counts once.
var DefaultUnlabeledCategories = []string{
	"label.cn_imp_01", "label.cn_exp_01", "label.cn_exp_02", "label.cn_exp_03", "label.cn_exp_04", "label.cn_exp_05",
	"label.cn_plat_01", "label.eu_50_2", "label.eu_50_4a", "label.eu_50_4b", "label.us_ca_2355",
}

// DefaultDeepfakeCategories are the finding categories that mean a deepfake: a match
// against a bank of known deepfakes, or an upstream deepfake score at or above threshold.
var DefaultDeepfakeCategories = []string{"hash.known_deepfake", signals.Deepfake}

// DefaultLatencyBuckets of the judging-time histogram, in seconds: 5 µs to 0.5 s.
var DefaultLatencyBuckets = []float64{5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.05, 0.1, 0.5}

// Options configure New. The zero value takes every default.
type Options struct {
	// TopProviders bounds the provider label: at most this many providers keep their
	// name, the rest are "other" (default 50).
	TopProviders int
	// Providers are named from the start (they take slots of TopProviders).
	Providers []string
	// AdmitAfter is how many records a provider must send before it takes a free slot
	// (default 10): one-off names do not use up the slots. Its earlier records count as
	// "other". Slots are kept until the process ends (a series cannot change its name).
	AdmitAfter int
	// Jurisdictions named in labels (default DefaultJurisdictions).
	Jurisdictions []string
	// UnlabeledCategories and DeepfakeCategories define the per-provider unlabeled-AIGC
	// and deepfake counts (defaults above).
	UnlabeledCategories []string
	DeepfakeCategories  []string
	// MaxFindingSeries bounds the distinct (detector, category, layer, severity) label
	// sets of aigcwatch_findings_total (default 2000); past it findings count in one
	// overflow series with every label "other".
	MaxFindingSeries int
	// DetectorSample: 1 in DetectorSample detector calls is timed (default 16; 1 times
	// every call; rounded up to a power of two); aigcwatch_detector_seconds_total is the
	// estimate scaled up.
	DetectorSample int
	// LatencyBuckets of aigcwatch_judge_duration_seconds (default DefaultLatencyBuckets).
	LatencyBuckets []float64
	// Version for aigcwatch_build_info.
	Version string
	// Runtime registers the Go and process collectors (long-running processes; a batch
	// job writing a textfile leaves them out: node_exporter has its own).
	Runtime bool
}

func (o *Options) defaults() {
	if o.TopProviders <= 0 {
		o.TopProviders = DefaultTopProviders
	}
	if o.AdmitAfter <= 0 {
		o.AdmitAfter = DefaultAdmitAfter
	}
	if o.Jurisdictions == nil {
		o.Jurisdictions = DefaultJurisdictions
	}
	if o.UnlabeledCategories == nil {
		o.UnlabeledCategories = DefaultUnlabeledCategories
	}
	if o.DeepfakeCategories == nil {
		o.DeepfakeCategories = DefaultDeepfakeCategories
	}
	if o.MaxFindingSeries <= 0 {
		o.MaxFindingSeries = DefaultMaxFindingSeries
	}
	if o.DetectorSample <= 0 {
		o.DetectorSample = DefaultDetectorSample
	}
	// A power of two, so that choosing the calls to time is a mask, not a division.
	o.DetectorSample = 1 << bits.Len(uint(o.DetectorSample-1))
	if o.LatencyBuckets == nil {
		o.LatencyBuckets = DefaultLatencyBuckets
	}
	if o.Version == "" {
		o.Version = "dev"
	}
}

// Metrics holds the judging metrics. Build it with New; it is safe for concurrent use.
type Metrics struct {
	opt Options

	judged         *prometheus.CounterVec // decision, jurisdiction
	deadLetters    *prometheus.CounterVec // reason
	findings       *prometheus.CounterVec // detector, category, layer, severity
	unhandled      *prometheus.CounterVec // category
	problems       *prometheus.CounterVec // detector, reason
	rulesFired     *prometheus.CounterVec // rule, pack
	incidents      *prometheus.CounterVec // rule, authority, layer, severity
	provRecords    *prometheus.CounterVec // provider, jurisdiction
	provUnlabeled  *prometheus.CounterVec // provider, jurisdiction
	provDeepfake   *prometheus.CounterVec // provider, jurisdiction
	provIncidents  *prometheus.CounterVec // provider, jurisdiction
	provRules      *prometheus.CounterVec // provider, rule
	latency        prometheus.Histogram
	detSeconds     *prometheus.CounterVec // detector
	detErrors      *prometheus.CounterVec // detector
	rulesetInfo    *prometheus.GaugeVec   // checksum
	packInfo       *prometheus.GaugeVec   // pack, version
	inputInfo      *prometheus.GaugeVec   // name, sha256
	reloadOK       prometheus.Gauge
	reloadTime     prometheus.Gauge
	reloads        *prometheus.CounterVec // result
	providerSlots  prometheus.Gauge
	providersNamed prometheus.Gauge

	jur     jurisdictions
	judgedC [len(decisionNames)][]prometheus.Counter // by decision, jurisdiction index
	dlC     atomic.Pointer[map[string]prometheus.Counter]

	unlabeled, deepfake map[string]bool

	findingsT table[findingKey, *findingChildren]
	rulesT    atomic.Pointer[map[*rules.Rule]*ruleChildren]
	ruleIdx   map[string]int // rule id → dense index, never shrinks (bounded by the rule ids ever loaded)
	providers providerTable

	mu sync.Mutex // serialises admissions to the tables and ruleset changes
}

var decisionNames = [...]string{"allow", "label", "review", "block"}

// New registers the judging metrics on reg.
func New(reg prometheus.Registerer, opt Options) (*Metrics, error) {
	if reg == nil {
		return nil, errors.New("metrics: nil registerer")
	}
	opt.defaults()
	for i, d := range rules.Decisions {
		if d.String() != decisionNames[i] {
			return nil, fmt.Errorf("metrics: decision %d is %q, want %q", i, d, decisionNames[i])
		}
	}
	m := &Metrics{opt: opt, unlabeled: set(opt.UnlabeledCategories), deepfake: set(opt.DeepfakeCategories)}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, labels)
	}
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help}, labels)
	}
	m.judged = counter("records_judged_total", "Records judged, by the verdict's decision and the record's jurisdiction (named set, else other).", "decision", "jurisdiction")
	m.deadLetters = counter("dead_letters_total", "Records sent to the dead-letter output, by reason.", "reason")
	m.findings = counter("findings_total", "Findings, by detector, category, risk layer and severity.", "detector", "category", "layer", "severity")
	m.unhandled = counter("findings_unhandled_total", "Findings above info severity that no fired rule acted on and no label check took as its input (fell between the rules), by category.", "category")
	m.problems = counter("verdict_problems_total", "Problems named in verdicts (input a detector could not use, a rule that failed, an unknown jurisdiction), by detector and reason (closed sets).", "detector", "reason")
	m.rulesFired = counter("rules_fired_total", "Rules fired, by rule id and pack.", "rule", "pack")
	m.incidents = counter("incidents_total", "Incidents raised, by rule, authority to report to, risk layer and severity.", "rule", "authority", "layer", "severity")
	m.provRecords = counter("provider_records_total", "Records judged, by provider (top N, else other) and jurisdiction.", "provider", "jurisdiction")
	m.provUnlabeled = counter("provider_unlabeled_records_total", "Records with at least one unlabeled-AIGC finding, by provider and jurisdiction.", "provider", "jurisdiction")
	m.provDeepfake = counter("provider_deepfake_records_total", "Records with at least one deepfake finding (known-deepfake bank match or deepfake score), by provider and jurisdiction.", "provider", "jurisdiction")
	m.provIncidents = counter("provider_incidents_total", "Incidents raised, by provider and jurisdiction.", "provider", "jurisdiction")
	m.provRules = counter("provider_rules_fired_total", "Rules fired, by provider and rule (created on first use).", "provider", "rule")
	m.latency = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Name: "judge_duration_seconds",
		Help: "Time to judge one record: decode, detect, evaluate, build incidents, encode the verdict.", Buckets: opt.LatencyBuckets})
	m.detSeconds = counter("detector_seconds_total", fmt.Sprintf("Time spent in each detector, estimated from 1 in %d calls timed.", opt.DetectorSample), "detector")
	m.detErrors = counter("detector_errors_total", "Detector failures (the record is still judged, with a problem named in its verdict).", "detector")
	m.rulesetInfo = gauge("ruleset_info", "The rule set in use: checksum over the packs and detector inputs (1 for the current one).", "checksum")
	m.packInfo = gauge("rule_pack_info", "Rule packs loaded (1 each).", "pack", "version")
	m.inputInfo = gauge("detector_input_info", "Detector input files loaded (lexicons, banks) with their sha256 (1 each).", "name", "sha256")
	m.reloadOK = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "config_last_reload_successful", Help: "Whether the last reload of rules and detectors succeeded (1) or failed (0)."})
	m.reloadTime = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "config_last_reload_success_timestamp_seconds", Help: "Time of the last successful load of rules and detectors."})
	m.reloads = counter("config_reloads_total", "Reload attempts, by result (success, failure).", "result")
	m.providerSlots = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "provider_label_slots", Help: "Providers that may keep their name in labels (TopProviders)."})
	m.providersNamed = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "provider_label_slots_used", Help: "Providers holding a named slot; the rest count as other."})
	build := gauge("build_info", "Build information (1).", "version", "goversion")

	cs := []prometheus.Collector{m.judged, m.deadLetters, m.findings, m.unhandled, m.problems, m.rulesFired, m.incidents,
		m.provRecords, m.provUnlabeled, m.provDeepfake, m.provIncidents, m.provRules, m.latency, m.detSeconds, m.detErrors,
		m.rulesetInfo, m.packInfo, m.inputInfo, m.reloadOK, m.reloadTime, m.reloads, m.providerSlots, m.providersNamed, build}
	if opt.Runtime {
		cs = append(cs, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: register: %w", err)
		}
	}
	build.WithLabelValues(opt.Version, runtime.Version()).Set(1)

	// Known label sets at zero, so dashboards show 0 rather than no data.
	m.jur = newJurisdictions(opt.Jurisdictions)
	for i := range decisionNames {
		m.judgedC[i] = make([]prometheus.Counter, len(m.jur.names))
		for j, jn := range m.jur.names {
			m.judgedC[i][j] = m.judged.WithLabelValues(decisionNames[i], jn)
		}
	}
	dl := map[string]prometheus.Counter{}
	for _, r := range append(slices.Clone(record.Reasons), "output_too_large") {
		dl[r] = m.deadLetters.WithLabelValues(r)
	}
	m.dlC.Store(&dl)
	for _, r := range []string{"success", "failure"} {
		m.reloads.WithLabelValues(r)
	}
	m.findingsT.init(opt.MaxFindingSeries, m.newFindingChildren(findingKey{detector: Other, category: Other}, Other, Other))
	m.rulesT.Store(&map[*rules.Rule]*ruleChildren{})
	m.ruleIdx = map[string]int{}
	m.providers.init(m, opt)
	return m, nil
}

func set(l []string) map[string]bool {
	m := make(map[string]bool, len(l))
	for _, s := range l {
		m[s] = true
	}
	return m
}

// SetRuleset records the rule set in use (ruleset, pack and input info) and creates the
// per-rule series at zero. Call it at start and after each successful reload.
func (m *Metrics) SetRuleset(e *rules.Engine) {
	if e == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	info := e.Info()
	m.rulesetInfo.Reset()
	m.rulesetInfo.WithLabelValues(info.Checksum).Set(1)
	m.packInfo.Reset()
	for _, p := range info.Packs {
		m.packInfo.WithLabelValues(p.Name, p.Version).Set(1)
	}
	m.inputInfo.Reset()
	for _, in := range info.Inputs {
		m.inputInfo.WithLabelValues(in.Name, in.SHA256).Set(1)
	}
	rs := map[*rules.Rule]*ruleChildren{}
	for _, r := range e.Rules() {
		rs[r] = m.newRuleChildren(r)
	}
	m.rulesT.Store(&rs)
	m.reloadOK.Set(1)
	m.reloadTime.Set(float64(time.Now().UnixNano()) / 1e9)
}

// ObserveReload records a reload attempt; it has pipeline.Reloader.OnReload's signature.
// A successful one must be followed by SetRuleset with the new engine (ObserveReloadOf
// does both).
func (m *Metrics) ObserveReload(ok bool, _ string) {
	if ok {
		m.reloads.WithLabelValues("success").Inc()
		m.reloadOK.Set(1)
		m.reloadTime.Set(float64(time.Now().UnixNano()) / 1e9)
		return
	}
	m.reloads.WithLabelValues("failure").Inc()
	m.reloadOK.Set(0)
}

// ReloadHook returns a pipeline.Reloader.OnReload function that records the attempt and,
// on success, the new rule set of p.
func (m *Metrics) ReloadHook(p *pipeline.Processor) func(ok bool, checksum string) {
	return func(ok bool, checksum string) {
		if ok {
			m.SetRuleset(p.Engine())
		}
		m.ObserveReload(ok, checksum)
	}
}

// Observer returns the pipeline.Observer to install with Processor.SetObserver. It also
// wraps detectors (pipeline.DetectorWrapper) to time them.
func (m *Metrics) Observer() pipeline.Observer { return (*observer)(m) }

// DeadLetter counts a record dead-lettered outside a worker.
func (m *Metrics) DeadLetter(reason string) { m.deadLetter(reason).Inc() }

func (m *Metrics) deadLetter(reason string) prometheus.Counter {
	if c, ok := (*m.dlC.Load())[reason]; ok {
		return c
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := *m.dlC.Load()
	if c, ok := cur[reason]; ok {
		return c
	}
	if len(cur) >= 64 { // reasons are a closed set; bound them all the same
		reason = Other
		if c, ok := cur[reason]; ok {
			return c
		}
	}
	next := make(map[string]prometheus.Counter, len(cur)+1)
	for k, v := range cur {
		next[k] = v
	}
	c := m.deadLetters.WithLabelValues(reason)
	next[strings.Clone(reason)] = c
	m.dlC.Store(&next)
	return c
}

// ruleChildren are the series of one rule.
type ruleChildren struct {
	fired    prometheus.Counter
	incident prometheus.Counter // nil unless the rule reports
	id       string
	idx      int // dense index of the rule id (ruleIdx), for per-provider series
}

// newRuleChildren is called with m.mu held.
func (m *Metrics) newRuleChildren(r *rules.Rule) *ruleChildren {
	idx, ok := m.ruleIdx[r.ID]
	if !ok {
		idx = len(m.ruleIdx)
		m.ruleIdx[strings.Clone(r.ID)] = idx
	}
	rc := &ruleChildren{fired: m.rulesFired.WithLabelValues(r.ID, r.Pack), id: r.ID, idx: idx}
	if r.Report {
		rc.incident = m.incidents.WithLabelValues(r.ID, r.Authority, r.Layer.String(), r.Severity.String())
	}
	return rc
}

// rule returns the series of r; a rule of an engine not (or no longer) recorded by
// SetRuleset is resolved once and added.
func (m *Metrics) rule(r *rules.Rule) *ruleChildren {
	if rc, ok := (*m.rulesT.Load())[r]; ok {
		return rc
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := *m.rulesT.Load()
	if rc, ok := cur[r]; ok {
		return rc
	}
	next := make(map[*rules.Rule]*ruleChildren, len(cur)+1)
	for k, v := range cur {
		next[k] = v
	}
	rc := m.newRuleChildren(r)
	next[r] = rc
	m.rulesT.Store(&next)
	return rc
}

// findingKey is the label set of aigcwatch_findings_total.
type findingKey struct {
	detector, category string
	layer              detectors.Layer
	severity           detectors.Severity
}

type findingChildren struct {
	key       findingKey // its own copy of the strings
	count     prometheus.Counter
	unhandled prometheus.Counter
	unlabeled bool // the category is an unlabeled-AIGC one
	deepfake  bool
}

func (m *Metrics) newFindingChildren(k findingKey, layer, severity string) *findingChildren {
	return &findingChildren{
		key:       k,
		count:     m.findings.WithLabelValues(k.detector, k.category, layer, severity),
		unhandled: m.unhandled.WithLabelValues(k.category),
		unlabeled: m.unlabeled[k.category],
		deepfake:  m.deepfake[k.category],
	}
}

func (m *Metrics) finding(f *detectors.Finding) *findingChildren {
	// The key's strings are the finding's (they may alias the record): they are cloned
	// only when a new key is admitted.
	k := findingKey{f.Detector, f.Category, f.Layer, f.Severity}
	if c, ok := m.findingsT.get(k); ok {
		return c
	}
	return m.findingsT.admit(&m.mu, k, func() (findingKey, *findingChildren) {
		k := findingKey{strings.Clone(k.detector), strings.Clone(k.category), k.layer, k.severity}
		return k, m.newFindingChildren(k, k.layer.String(), k.severity.String())
	})
}

// table is a read-mostly map from a label set to its resolved children, replaced
// copy-on-write when a key is admitted, with a bound past which every new key gets the
// overflow children.
type table[K comparable, V any] struct {
	m     atomic.Pointer[map[K]V]
	max   int
	other V
}

func (t *table[K, V]) init(max int, other V) {
	t.max, t.other = max, other
	t.m.Store(&map[K]V{})
}

func (t *table[K, V]) get(k K) (V, bool) {
	v, ok := (*t.m.Load())[k]
	return v, ok
}

func (t *table[K, V]) admit(mu *sync.Mutex, k K, build func() (K, V)) V {
	mu.Lock()
	defer mu.Unlock()
	cur := *t.m.Load()
	if v, ok := cur[k]; ok {
		return v
	}
	if len(cur) >= t.max {
		return t.other
	}
	nk, v := build()
	next := make(map[K]V, len(cur)+1)
	for kk, vv := range cur {
		next[kk] = vv
	}
	next[nk] = v
	t.m.Store(&next)
	return v
}
