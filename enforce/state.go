package enforce

import (
	"sync"
	"time"

	"github.com/aigcwatch/aigcwatch/incident"
	"github.com/aigcwatch/aigcwatch/record"
	"github.com/aigcwatch/aigcwatch/rules"
)

// Limits of what a State keeps per provider.
const (
	// MaxCauses bounds the incident ids kept as the cause of the next level change;
	// more are counted (Change.IncidentsOmitted).
	MaxCauses = 16
	// MaxHistory bounds the level changes kept per provider (the newest).
	MaxHistory = 32
	// DefaultMaxProviders bounds the (provider, jurisdiction) pairs a State tracks.
	DefaultMaxProviders = 1 << 20
)

// Ways an incident was counted (incident.Enforcement.Counted).
const (
	CountedEscalating   = "escalating"    // added its points towards the next level
	CountedSelfReported = "self_reported" // added reduced points (self-reported)
	CountedTolerated    = "tolerated"     // within the risk appetite: counted, no points
	CountedGrace        = "grace"         // after an escalation, in the provider's time to respond
	CountedReplayed     = "replayed"      // its record is older than the restored history: not counted again
)

// Directions of a Change.
const (
	Escalate   = "escalate"
	Deescalate = "de-escalate"
)

// Incident is one incident of an observation: its event and the rule that made it.
type Incident struct {
	Event incident.Event
	Rule  *rules.Rule
}

// Observation is what enforcement needs of one judged record. Its strings may alias the
// record (they are copied when a new provider is first seen).
type Observation struct {
	RecordID     string
	Provider     string
	Jurisdiction string
	Time         time.Time // zero: the State's clock
	SelfReported bool
	Ruleset      *rules.Ruleset // the verdict's: selects the ladder
	// Ladder names the ladder when Ruleset is nil (an observation that travelled without
	// its ruleset: State.LadderFor gives it); "" is the jurisdiction's ladder.
	Ladder    string
	Incidents []Incident
}

// Observe pairs a verdict's reportable rules with the incidents incident.Builder.Build
// made from them (one per reportable rule, in the verdict's rule order). It allocates
// only when there are incidents.
func Observe(r *record.Record, v *rules.Verdict, evs []incident.Event) Observation {
	o := Observation{RecordID: r.ID, Provider: r.Provider, Jurisdiction: v.Jurisdiction, Time: r.Time, SelfReported: r.SelfReported, Ruleset: v.Ruleset}
	if len(evs) == 0 {
		return o
	}
	o.Incidents = make([]Incident, 0, len(evs))
	i := 0
	for _, rule := range v.Rules {
		if !rule.Report || i >= len(evs) {
			continue
		}
		o.Incidents = append(o.Incidents, Incident{Event: evs[i], Rule: rule})
		i++
	}
	return o
}

// Outcome is what one observation did.
type Outcome struct {
	Level     int      // the provider's level after the record (0 when untracked)
	Changes   []Change // level changes it caused, oldest first (usually none)
	Untracked bool     // the provider was not tracked: no provider, or the State is full
	// Incidents are the observation's incident events with data.enforcement added, in
	// order (nil when there were none).
	Incidents []incident.Event
}

// Key identifies a provider's place on one jurisdiction's ladder.
type Key struct {
	Provider     string `json:"provider"`
	Jurisdiction string `json:"jurisdiction"`
}

// Options configure a State.
type Options struct {
	// Now is the clock for records without a time and for Sweep; nil is time.Now.
	Now func() time.Time
	// MaxProviders bounds the tracked (provider, jurisdiction) pairs; 0 is
	// DefaultMaxProviders. When full, idle pairs at level 0 are evicted; if none can
	// be, new providers are counted as untracked (Stats.Untracked), never dropped silently.
	MaxProviders int
	// Source is the CloudEvents source of level-change events; "" is "urn:aigcwatch".
	Source string
}

// State is the enforcement state of every tracked provider. It is safe for concurrent
// use; Apply is cheap and, for a provider already known, does not allocate unless the
// record has incidents or changes a level.
type State struct {
	mu      sync.Mutex
	pols    *Policies
	opt     Options
	entries map[Key]*entry
	rsCache map[*rules.Ruleset]*Policy
	stats   Stats
	// lastEvict is the record time of the last eviction walk.
	lastEvict int64
}

// Stats count what a State has seen.
type Stats struct {
	Records      uint64 `json:"records"`       // observations applied
	Unattributed uint64 `json:"unattributed"`  // records without a provider (not tracked)
	Untracked    uint64 `json:"untracked"`     // records of providers not tracked because the State was full
	Evicted      uint64 `json:"evicted"`       // idle level-0 providers forgotten to make room
	Changes      uint64 `json:"level_changes"` // level changes emitted
	// Replayed counts records not applied because they are no newer than the history
	// restored from a snapshot for their provider (a file scanned twice), or because they
	// were applied moments before (a client's retry through the engine: Stamp).
	Replayed uint64 `json:"replayed"`
}

// NewState returns an empty state applying pols.
func NewState(pols *Policies, opt Options) *State {
	if opt.MaxProviders <= 0 {
		opt.MaxProviders = DefaultMaxProviders
	}
	return &State{pols: pols, opt: opt, entries: map[Key]*entry{}, rsCache: map[*rules.Ruleset]*Policy{}}
}

// SetPolicies installs new policies (a reload). Providers keep their level (capped at
// the new ladder's top); their windows restart if the ladder's shape changed.
func (s *State) SetPolicies(pols *Policies) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pols = pols
	clear(s.rsCache)
}

// Policies returns the policies in force.
func (s *State) Policies() *Policies {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pols
}

func (s *State) now() time.Time {
	if s.opt.Now != nil {
		return s.opt.Now()
	}
	return time.Now()
}

// Apply applies one judged record: r and v as judged, evs the incidents built from v.
// evs is not modified; Outcome.Incidents holds them with their enforcement level.
func (s *State) Apply(r *record.Record, v *rules.Verdict, evs []incident.Event) Outcome {
	return s.ApplyObservation(Observe(r, v, evs))
}

// Stamp is Apply for a record that was applied already (a client's retry of the same
// record): nothing is counted again; its incidents get the provider's current level and
// counted "replayed", and stats.replayed counts it.
func (s *State) Stamp(r *record.Record, v *rules.Verdict, evs []incident.Event) Outcome {
	o := Observe(r, v, evs)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Records++
	s.stats.Replayed++
	e := s.entries[Key{o.Provider, o.Jurisdiction}]
	if o.Provider == "" || e == nil {
		return Outcome{Untracked: true, Incidents: plain(o.Incidents)}
	}
	return Outcome{Level: int(e.level), Incidents: e.stampReplayed(o.Incidents)}
}

// ApplyObservation applies one observation. Observations of one provider must come in
// the order of their records (the scan's input order, a partition's order).
func (s *State) ApplyObservation(o Observation) Outcome {
	t := o.Time
	if t.IsZero() {
		t = s.now()
	}
	ts := t.UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Records++
	if o.Provider == "" {
		s.stats.Unattributed++
		return Outcome{Untracked: true, Incidents: plain(o.Incidents)}
	}
	pol := s.policyForObservation(&o)
	e := s.entries[Key{o.Provider, o.Jurisdiction}]
	if e == nil {
		e = s.newEntry(Key{o.Provider, o.Jurisdiction}, pol, ts)
		if e == nil {
			s.stats.Untracked++
			return Outcome{Untracked: true, Incidents: plain(o.Incidents)}
		}
	}
	if e.pol != pol {
		e.setPolicy(pol)
	}
	if e.replayed(ts, o.RecordID) {
		s.stats.Replayed++
		return Outcome{Level: int(e.level), Incidents: e.stampReplayed(o.Incidents)}
	}
	var out Outcome
	out.Changes = e.deescalate(s, ts, out.Changes)
	e.advance(ts)
	e.countRecord(ts, o.RecordID)
	if len(o.Incidents) > 0 {
		out.Incidents = make([]incident.Event, len(o.Incidents))
		out.Changes = e.incidents(s, o, ts, out.Incidents, out.Changes)
	}
	out.Level = int(e.level)
	return out
}

// plain returns the incidents' events without enforcement.
func plain(incs []Incident) []incident.Event {
	if len(incs) == 0 {
		return nil
	}
	out := make([]incident.Event, len(incs))
	for i := range incs {
		out[i] = incs[i].Event
	}
	return out
}

func (s *State) policyFor(rs *rules.Ruleset, j string) *Policy {
	if rs != nil {
		if p, ok := s.rsCache[rs]; ok {
			if p != nil {
				return p
			}
			return s.pols.forJurisdiction(j)
		}
		p := s.pols.forRuleset(rs)
		if len(s.rsCache) >= maxRulesetCache {
			clear(s.rsCache) // engines were reloaded many times: forget the old rulesets
		}
		s.rsCache[rs] = p
		if p != nil {
			return p
		}
	}
	return s.pols.forJurisdiction(j)
}

// maxRulesetCache bounds the ruleset → policy cache (a few rulesets per engine).
const maxRulesetCache = 1024

// evictEvery is the least record time between two eviction walks when the state is
// full, so a flood of new provider names cannot make every record walk every provider.
const evictEvery = int64(time.Minute)

func (s *State) newEntry(k Key, pol *Policy, ts int64) *entry {
	if len(s.entries) >= s.opt.MaxProviders {
		if ts-s.lastEvict >= evictEvery || ts < s.lastEvict {
			s.lastEvict = ts
			s.evict(ts)
		}
		if len(s.entries) >= s.opt.MaxProviders {
			return nil
		}
	}
	k = Key{cloneString(k.Provider), cloneString(k.Jurisdiction)}
	e := &entry{key: k}
	e.setPolicy(pol)
	s.entries[k] = e
	return e
}

// cloneString copies s (it may alias a record's input buffer).
func cloneString(s string) string { return string([]byte(s)) }

// evict forgets providers at level 0 that never changed level, with nothing in their
// windows and no record for a whole window: they carry nothing a new entry would not
// have but their totals. Providers with a history are kept.
func (s *State) evict(ts int64) {
	for k, e := range s.entries {
		if e.level == 0 && len(e.history) == 0 && e.ptsSum == 0 && ts-e.lastSeen > int64(e.pol.Window) && ts-e.lastSeen > int64(e.pol.AppetiteWindow) {
			delete(s.entries, k)
			s.stats.Evicted++
		}
	}
}

// Sweep de-escalates every provider whose compliant period has passed at now (the
// State's clock when zero), for providers that send no more records. It returns the
// changes. It walks every provider: call it periodically, not per record.
func (s *State) Sweep(now time.Time) []Change {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sweepLocked(now, s.sortedKeysLocked())
}

// Stats returns the counters.
func (s *State) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Len is the number of tracked (provider, jurisdiction) pairs.
func (s *State) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}

// LevelOf returns a provider's level in a jurisdiction and its name (0 and the base
// level's name for a provider never seen).
func (s *State) LevelOf(provider, jurisdiction string) (int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.entries[Key{provider, jurisdiction}]; e != nil {
		return int(e.level), e.pol.Levels[e.level].Name
	}
	p := s.pols.forJurisdiction(jurisdiction)
	return 0, p.Levels[0].Name
}

// ProviderLevel is one provider's level, for a gauge.
type ProviderLevel struct {
	Key
	Ladder string
	Level  int
}

// Levels lists every tracked provider's level, sorted by provider then jurisdiction:
// what a metrics collector needs for an enforcement-level gauge.
func (s *State) Levels() []ProviderLevel {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ProviderLevel, 0, len(s.entries))
	for _, k := range s.sortedKeysLocked() {
		e := s.entries[k]
		out = append(out, ProviderLevel{Key: k, Ladder: e.pol.Ladder, Level: int(e.level)})
	}
	return out
}

func (s *State) sortedKeysLocked() []Key {
	keys := make([]Key, 0, len(s.entries))
	for k := range s.entries {
		keys = append(keys, k)
	}
	sortKeys(keys)
	return keys
}
