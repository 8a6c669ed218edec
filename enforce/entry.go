package enforce

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/aigcwatch/aigcwatch/incident"
)

// Totals count a provider's records and incidents since it was first seen.
type Totals struct {
	Records       uint64 `json:"records"`
	Incidents     uint64 `json:"incidents"`
	Tolerated     uint64 `json:"tolerated"`     // within the risk appetite
	Grace         uint64 `json:"grace"`         // during a grace period after an escalation
	SelfReported  uint64 `json:"self_reported"` // self-reported incidents
	Escalations   uint64 `json:"escalations"`
	Deescalations uint64 `json:"deescalations"`
}

// LevelRef names a level in a Change.
type LevelRef struct {
	Level  int    `json:"level"`
	Name   string `json:"name"`
	Action string `json:"action"`
	Basis  string `json:"basis,omitempty"`
}

// Rate is a provider's share of records with an incident of one appetite category over
// the appetite window, against the share the regulator tolerates.
type Rate struct {
	Category      string  `json:"category"`
	Records       uint64  `json:"records"` // records with an incident of the category
	Volume        uint64  `json:"volume"`  // every judged record of the provider
	Rate          float64 `json:"rate"`
	ToleratedRate float64 `json:"tolerated_rate"`
	// ToleratedRecords is how many such records the appetite tolerates at this volume
	// (tolerated rate × volume, or its Poisson quantile with a confidence).
	ToleratedRecords float64 `json:"tolerated_records"`
	Above            bool    `json:"above"` // above the appetite: its incidents escalate
	Window           string  `json:"window"`
}

// Change is one level change of one provider: the content of a level-changed event.
type Change struct {
	ID           string    `json:"id"`  // the event id: deterministic (ChangeID)
	Seq          uint32    `json:"seq"` // the provider's n-th change in this jurisdiction, from 1
	Provider     string    `json:"provider"`
	Jurisdiction string    `json:"jurisdiction"`
	Ladder       string    `json:"ladder"`
	Time         time.Time `json:"time"`
	Direction    string    `json:"direction"` // escalate or de-escalate
	From         LevelRef  `json:"from"`
	To           LevelRef  `json:"to"`
	Reason       string    `json:"reason"`
	// Points are those counted at the level left; Threshold is the escalate_at that
	// they reached (escalations only).
	Points    float64 `json:"points"`
	Threshold float64 `json:"threshold,omitempty"`
	Window    string  `json:"window"`
	// CompliantPeriod is the period without escalating incidents that de-escalated.
	CompliantPeriod string `json:"compliant_period,omitempty"`
	Rates           []Rate `json:"rates,omitempty"`
	// Incidents are the ids of the incidents that caused an escalation (the newest
	// MaxCauses; IncidentsOmitted counts the rest).
	Incidents        []string `json:"incident_ids"`
	IncidentsOmitted int      `json:"incident_ids_omitted,omitempty"`
}

// entry is one provider's state in one jurisdiction.
type entry struct {
	key    Key
	pol    *Policy
	level  uint8
	lastUp bool // the last change was an escalation (its grace period applies)
	seq    uint32
	since  uint32 // records since the last change (saturating)

	changedAt, firstSeen, lastSeen, lastBad int64 // unix nanoseconds; lastBad 0 = none
	// lastIDs are hashes of the ids of the records at lastSeen (the newest time), at most
	// maxLastIDs: with the time, they tell a record already counted from a new one.
	lastIDs []uint64
	// resumeAfter and resumeIDs are lastSeen and lastIDs of a restored history: records
	// before resumeAfter, and those at it whose id is in resumeIDs, are in the history
	// already and are not counted again.
	resumeAfter int64
	resumeIDs   []uint64

	started bool
	head    int64   // index of the newest points bucket
	pts     []int64 // milli-points per bucket, counted since the last change; nil until an incident
	ptsSum  int64
	ahead   int64    // index of the newest appetite bucket
	vol     []uint32 // records per appetite bucket
	volSum  uint64
	cat     []uint32 // records with an incident per category and bucket: cat[c*B+b]; nil until an incident
	catSum  []uint64

	causes        []string
	causesOmitted int
	history       []Change
	totals        Totals
}

// setPolicy binds the entry to pol, keeping its level (capped at the top); its windows
// restart when their shape changes.
func (e *entry) setPolicy(pol *Policy) {
	old := e.pol
	e.pol = pol
	if int(e.level) > pol.Top() {
		e.level = uint8(pol.Top())
	}
	if old != nil && old.Buckets == pol.Buckets && old.width == pol.width && old.appWidth == pol.appWidth && len(old.Categories) == len(pol.Categories) {
		return
	}
	// The volume ring is needed for every provider; the points and category rings only
	// once the provider has an incident (most never do): allocated then (ensureRings).
	e.vol = make([]uint32, pol.Buckets)
	e.volSum = 0
	e.pts, e.ptsSum = nil, 0
	e.cat, e.catSum = nil, nil
	e.started = false
}

// ensureRings allocates the points and category rings.
func (e *entry) ensureRings() {
	if e.pts != nil {
		return
	}
	b := e.pol.Buckets
	e.pts = make([]int64, b)
	if n := len(e.pol.Categories); n > 0 {
		e.cat = make([]uint32, n*b)
		e.catSum = make([]uint64, n)
	}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && (a < 0) {
		q--
	}
	return q
}

func mod(a int64, b int) int { return int(((a % int64(b)) + int64(b)) % int64(b)) }

// advance moves the windows' heads to time ts, expiring the buckets that leave them.
func (e *entry) advance(ts int64) {
	p := e.pol
	b := p.Buckets
	n, a := floorDiv(ts, p.width), floorDiv(ts, p.appWidth)
	if !e.started {
		e.started, e.head, e.ahead = true, n, a
		if e.firstSeen == 0 {
			e.firstSeen = ts
		}
		if e.changedAt == 0 {
			e.changedAt = ts
		}
		return
	}
	if n > e.head && e.pts == nil {
		e.head = n
	}
	if n > e.head {
		if d := n - e.head; d >= int64(b) || d < 0 { // d < 0: overflow, a corrupt head
			clear(e.pts)
			e.ptsSum = 0
		} else {
			for i := e.head + 1; i <= n; i++ {
				j := mod(i, b)
				e.ptsSum -= e.pts[j]
				e.pts[j] = 0
			}
		}
		e.head = n
	}
	if a > e.ahead {
		if d := a - e.ahead; d >= int64(b) || d < 0 {
			clear(e.vol)
			clear(e.cat)
			e.volSum = 0
			clear(e.catSum)
		} else {
			for i := e.ahead + 1; i <= a; i++ {
				j := mod(i, b)
				e.volSum -= uint64(e.vol[j])
				e.vol[j] = 0
				for c := range e.catSum { // none until an incident
					e.catSum[c] -= uint64(e.cat[c*b+j])
					e.cat[c*b+j] = 0
				}
			}
		}
		e.ahead = a
	}
}

// appBucket returns the appetite bucket of ts, or -1 when ts is older than the window.
func (e *entry) appBucket(ts int64) int {
	a := floorDiv(ts, e.pol.appWidth)
	if e.ahead-a >= int64(e.pol.Buckets) {
		return -1
	}
	return mod(a, e.pol.Buckets)
}

// maxLastIDs bounds the ids kept of the records sharing the newest time.
const maxLastIDs = 256

// idHash is FNV-1a, 64 bits: no allocation, and collisions among the few records that
// share a provider's newest time are negligible.
func idHash(id string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(id); i++ {
		h ^= uint64(id[i])
		h *= 1099511628211
	}
	return h
}

// replayed reports whether a record is already in a restored history.
func (e *entry) replayed(ts int64, id string) bool {
	switch {
	case e.resumeIDs == nil && e.resumeAfter == 0:
		return false
	case ts < e.resumeAfter:
		return true
	case ts == e.resumeAfter:
		return slices.Contains(e.resumeIDs, idHash(id))
	}
	return false
}

func (e *entry) countRecord(ts int64, id string) {
	e.totals.Records++
	if e.since < math.MaxUint32 {
		e.since++
	}
	switch {
	case ts > e.lastSeen:
		e.lastSeen = ts
		e.lastIDs = append(e.lastIDs[:0], idHash(id))
	case ts == e.lastSeen && len(e.lastIDs) < maxLastIDs:
		e.lastIDs = append(e.lastIDs, idHash(id))
	}
	if j := e.appBucket(ts); j >= 0 {
		e.vol[j]++
		e.volSum++
	}
}

// incidents counts the observation's incidents, writing their stamped events to out.
func (e *entry) incidents(s *State, o Observation, ts int64, out []incident.Event, changes []Change) []Change {
	p := e.pol
	b := p.Buckets
	e.ensureRings()
	var seen uint64 // categories already counted for this record
	escalated := false
	for i, inc := range o.Incidents {
		pts := p.points(inc.Rule)
		counted := CountedEscalating
		if o.SelfReported {
			pts = int64(math.Round(float64(pts) * p.SelfReportFactor))
			counted = CountedSelfReported
			e.totals.SelfReported++
		}
		st := incident.Enforcement{Ladder: p.Ladder, SelfReported: o.SelfReported}
		if c := p.category(inc.Rule.ID); c >= 0 {
			if seen&(1<<c) == 0 {
				seen |= 1 << c
				if j := e.appBucket(ts); j >= 0 {
					e.cat[c*b+j]++
					e.catSum[c]++
				}
			}
			rate, tol := e.rate(c), p.Categories[c].ToleratedRate
			st.Category, st.Rate, st.ToleratedRate = p.Categories[c].Name, &rate, &tol
			if !p.appetiteOff && float64(e.catSum[c]) <= p.toleratedRecords(c, e.volSum) {
				counted, pts = CountedTolerated, 0
				e.totals.Tolerated++
			}
		}
		if counted != CountedTolerated {
			if e.lastUp && e.level > 0 && ts < e.changedAt+int64(p.Grace) {
				counted, pts = CountedGrace, 0
				e.totals.Grace++
			}
			e.lastBad = max(e.lastBad, ts)
		}
		e.totals.Incidents++
		if pts > 0 {
			if n := floorDiv(ts, p.width); e.head-n < int64(b) {
				e.pts[mod(n, b)] += pts
				e.ptsSum += pts
			}
			if len(e.causes) == MaxCauses {
				e.causes = e.causes[1:]
				e.causesOmitted++
			}
			e.causes = append(e.causes, inc.Event.ID)
		}
		st.Points, st.WindowPoints = fromMilli(pts), fromMilli(e.ptsSum)
		st.Counted = counted
		next := int(e.level) + 1
		if !escalated && next <= p.Top() && e.ptsSum >= p.thresholds[next] && len(e.causes) > 0 {
			changes = append(changes, e.change(s, ts, next, Escalate, fmt.Sprintf("%s points since reaching %s reached %s's threshold of %s",
				fmtPoints(e.ptsSum), p.Levels[next-1].Name, p.Levels[next].Name, fmtPoints(p.thresholds[next]))))
			escalated, st.Escalated = true, true
		}
		lv := p.Levels[e.level]
		st.Level, st.LevelName, st.Action = int(e.level), lv.Name, lv.Action
		if int(e.level) < p.Top() {
			st.NextLevelAt = p.Levels[e.level+1].EscalateAt
		}
		ev, err := inc.Event.WithEnforcement(&st)
		if err != nil {
			ev = inc.Event // not built by package incident: passed on as it came
		}
		out[i] = ev
	}
	return changes
}

// stampReplayed stamps the incidents of a record already in the history with the
// provider's current level, counting nothing.
func (e *entry) stampReplayed(incs []Incident) []incident.Event {
	if len(incs) == 0 {
		return nil
	}
	p := e.pol
	lv := p.Levels[e.level]
	out := make([]incident.Event, len(incs))
	for i, inc := range incs {
		st := incident.Enforcement{Ladder: p.Ladder, Level: int(e.level), LevelName: lv.Name, Action: lv.Action,
			WindowPoints: fromMilli(e.ptsSum), Counted: CountedReplayed}
		if int(e.level) < p.Top() {
			st.NextLevelAt = p.Levels[e.level+1].EscalateAt
		}
		ev, err := inc.Event.WithEnforcement(&st)
		if err != nil {
			ev = inc.Event
		}
		out[i] = ev
	}
	return out
}

func fmtPoints(m int64) string { return strconv.FormatFloat(fromMilli(m), 'f', -1, 64) }

func (e *entry) rate(c int) float64 {
	if e.volSum == 0 || e.catSum == nil {
		return 0
	}
	return float64(e.catSum[c]) / float64(e.volSum)
}

func (e *entry) rates() []Rate {
	p := e.pol
	if len(p.Categories) == 0 {
		return nil
	}
	out := make([]Rate, len(p.Categories))
	for c, cat := range p.Categories {
		lim := p.toleratedRecords(c, e.volSum)
		var n uint64
		if e.catSum != nil {
			n = e.catSum[c]
		}
		out[c] = Rate{Category: cat.Name, Records: n, Volume: e.volSum, Rate: e.rate(c), ToleratedRate: cat.ToleratedRate,
			ToleratedRecords: lim, Above: p.appetiteOff || float64(n) > lim, Window: p.AppetiteWindow.String()}
	}
	return out
}

// deescalate steps down one level per compliant period that has passed at ts.
func (e *entry) deescalate(s *State, ts int64, changes []Change) []Change {
	p := e.pol
	for e.level > 0 {
		base := max(e.changedAt, e.lastBad)
		if ts-base < int64(p.CompliantPeriod) || e.since < p.CompliantMinRecords {
			break
		}
		at := base + int64(p.CompliantPeriod)
		changes = append(changes, e.change(s, at, int(e.level)-1, Deescalate,
			fmt.Sprintf("compliant for %s: no escalating incident since %s", p.CompliantPeriod, time.Unix(0, base).UTC().Format(time.RFC3339))))
	}
	return changes
}

// change moves the entry to level `to` at ts and returns the change.
func (e *entry) change(s *State, ts int64, to int, dir, reason string) Change {
	p := e.pol
	from := int(e.level)
	e.seq++
	c := Change{
		Seq: e.seq, Provider: e.key.Provider, Jurisdiction: e.key.Jurisdiction, Ladder: p.Ladder,
		Time: time.Unix(0, ts).UTC(), Direction: dir,
		From:   LevelRef{from, p.Levels[from].Name, p.Levels[from].Action, p.Levels[from].Basis},
		To:     LevelRef{to, p.Levels[to].Name, p.Levels[to].Action, p.Levels[to].Basis},
		Reason: reason, Points: fromMilli(e.ptsSum), Window: p.Window.String(),
		Rates: e.rates(), Incidents: []string{},
	}
	if dir == Escalate {
		c.Threshold = p.Levels[to].EscalateAt
		c.Incidents = slices.Clone(e.causes)
		c.IncidentsOmitted = e.causesOmitted
		e.totals.Escalations++
	} else {
		c.CompliantPeriod = p.CompliantPeriod.String()
		e.totals.Deescalations++
	}
	c.ID = ChangeID(c.Provider, c.Jurisdiction, c.Seq, ts, to)
	e.level = uint8(to)
	e.lastUp = dir == Escalate
	e.changedAt = ts
	e.since = 0
	clear(e.pts)
	e.ptsSum = 0
	e.causes = e.causes[:0]
	e.causesOmitted = 0
	if len(e.history) == MaxHistory {
		e.history = slices.Delete(e.history, 0, 1)
	}
	e.history = append(e.history, c)
	s.stats.Changes++
	return c
}

// ChangeID is the deterministic id of a level-changed event: the first 16 bytes of
// sha256("aigcwatch/enforcement/v1", then provider, jurisdiction, the change's sequence
// number, its time in unix nanoseconds and the new level, each prefixed with its length
// as a uvarint), in hex. A replay of the same records gives the same ids.
func ChangeID(provider, jurisdiction string, seq uint32, ts int64, to int) string {
	h := sha256.New()
	h.Write([]byte("aigcwatch/enforcement/v1"))
	var n [binary.MaxVarintLen64]byte
	for _, s := range [...]string{provider, jurisdiction, strconv.FormatUint(uint64(seq), 10), strconv.FormatInt(ts, 10), strconv.Itoa(to)} {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
		h.Write([]byte(s))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func sortKeys(keys []Key) {
	slices.SortFunc(keys, func(a, b Key) int {
		return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Jurisdiction, b.Jurisdiction))
	})
}
