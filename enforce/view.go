package enforce

import (
	"cmp"
	"slices"
	"time"
)

// View is what a regulator (or the provider) sees of one provider in one jurisdiction:
// where it stands, why, and what would move it.
type View struct {
	Provider     string    `json:"provider"`
	Jurisdiction string    `json:"jurisdiction"`
	Ladder       string    `json:"ladder"`
	Level        LevelRef  `json:"level"`
	Since        time.Time `json:"since"` // when it reached the level (or was first seen)
	// Points are counted since it reached its level; NextLevel is the level they
	// escalate to at NextLevelAt points (absent at the top).
	Points      float64   `json:"points"`
	NextLevel   *LevelRef `json:"next_level,omitempty"`
	NextLevelAt float64   `json:"next_level_at,omitempty"`
	Window      string    `json:"window"`
	// GraceUntil is the end of the time to respond after an escalation, if not over.
	GraceUntil *time.Time `json:"grace_until,omitempty"`
	// DeescalatesAt is when it steps down one level if no escalating incident comes.
	DeescalatesAt *time.Time `json:"deescalates_at,omitempty"`
	Rates         []Rate     `json:"rates,omitempty"`
	// OpenIncidents are the incidents counted towards the next level (the newest
	// MaxCauses; OpenIncidentsOmitted counts the rest).
	OpenIncidents        []string  `json:"open_incidents"`
	OpenIncidentsOmitted int       `json:"open_incidents_omitted,omitempty"`
	FirstSeen            time.Time `json:"first_seen"`
	LastSeen             time.Time `json:"last_seen"`
	Totals               Totals    `json:"totals"`
	History              []Change  `json:"history,omitempty"` // oldest first, the newest MaxHistory
}

func (e *entry) view(history bool) View {
	p := e.pol
	lv := p.Levels[e.level]
	v := View{
		Provider: e.key.Provider, Jurisdiction: e.key.Jurisdiction, Ladder: p.Ladder,
		Level: LevelRef{int(e.level), lv.Name, lv.Action, lv.Basis}, Since: time.Unix(0, e.changedAt).UTC(),
		Points: fromMilli(e.ptsSum), Window: p.Window.String(), Rates: e.rates(),
		OpenIncidents: slices.Clone(e.causes), OpenIncidentsOmitted: e.causesOmitted,
		FirstSeen: time.Unix(0, e.firstSeen).UTC(), LastSeen: time.Unix(0, e.lastSeen).UTC(), Totals: e.totals,
	}
	if v.OpenIncidents == nil {
		v.OpenIncidents = []string{}
	}
	if int(e.level) < p.Top() {
		n := p.Levels[e.level+1]
		v.NextLevel = &LevelRef{n.Index, n.Name, n.Action, n.Basis}
		v.NextLevelAt = n.EscalateAt
	}
	if e.lastUp && e.level > 0 && e.lastSeen < e.changedAt+int64(p.Grace) {
		t := time.Unix(0, e.changedAt+int64(p.Grace)).UTC()
		v.GraceUntil = &t
	}
	if e.level > 0 {
		t := time.Unix(0, max(e.changedAt, e.lastBad)+int64(p.CompliantPeriod)).UTC()
		v.DeescalatesAt = &t
	}
	if history {
		v.History = slices.Clone(e.history)
	}
	return v
}

// Query selects providers for Views.
type Query struct {
	Jurisdiction string // "" = every jurisdiction
	MinLevel     int
	Offset       int
	Limit        int // 0 = no limit
}

// Views returns the providers matching q, highest level first (then most points, then
// provider and jurisdiction), without their history, and how many matched in all.
func (s *State) Views(q Query) ([]View, int) {
	s.mu.Lock()
	var sel []*entry
	for k, e := range s.entries {
		if (q.Jurisdiction == "" || k.Jurisdiction == q.Jurisdiction) && int(e.level) >= q.MinLevel {
			sel = append(sel, e)
		}
	}
	slices.SortFunc(sel, func(a, b *entry) int {
		return cmp.Or(cmp.Compare(b.level, a.level), cmp.Compare(b.ptsSum, a.ptsSum),
			cmp.Compare(a.key.Provider, b.key.Provider), cmp.Compare(a.key.Jurisdiction, b.key.Jurisdiction))
	})
	total := len(sel)
	sel = sel[min(q.Offset, len(sel)):]
	if q.Limit > 0 && len(sel) > q.Limit {
		sel = sel[:q.Limit]
	}
	out := make([]View, len(sel))
	for i, e := range sel {
		out[i] = e.view(false)
	}
	s.mu.Unlock()
	return out, total
}

// Provider returns a provider's views in every jurisdiction it was seen in, with their
// history, sorted by jurisdiction; none if it was never seen.
func (s *State) Provider(provider string) []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []View
	for k, e := range s.entries {
		if k.Provider == provider {
			out = append(out, e.view(true))
		}
	}
	slices.SortFunc(out, func(a, b View) int { return cmp.Compare(a.Jurisdiction, b.Jurisdiction) })
	return out
}
