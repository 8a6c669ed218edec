package metrics

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// jurisdictions maps a verdict's jurisdiction to a label value from a closed set.
type jurisdictions struct {
	names []string       // named ones, then Other last
	index map[string]int // name → position in names
}

// euMembers are the EU member states (and EL, Greece's EU code): they map to EU.
var euMembers = map[string]bool{
	"AT": true, "BE": true, "BG": true, "HR": true, "CY": true, "CZ": true, "DK": true, "EE": true, "FI": true,
	"FR": true, "DE": true, "GR": true, "EL": true, "HU": true, "IE": true, "IT": true, "LV": true, "LT": true,
	"LU": true, "MT": true, "NL": true, "PL": true, "PT": true, "RO": true, "SK": true, "SI": true, "ES": true, "SE": true,
}

func newJurisdictions(named []string) jurisdictions {
	j := jurisdictions{index: map[string]int{}}
	for _, n := range named {
		n = strings.ToUpper(strings.TrimSpace(n))
		if _, dup := j.index[n]; dup || n == "" || n == strings.ToUpper(Other) {
			continue
		}
		j.index[n] = len(j.names)
		j.names = append(j.names, n)
	}
	j.index[Other] = len(j.names)
	j.names = append(j.names, Other)
	return j
}

// of returns the label index of jurisdiction code c: itself when named, else its country
// (US-NY → US), else EU for a member state, UK for GB, else other. It allocates nothing.
func (j *jurisdictions) of(c string) int {
	if i, ok := j.index[c]; ok {
		return i
	}
	country, _, sub := strings.Cut(c, "-")
	if sub {
		if i, ok := j.index[country]; ok {
			return i
		}
	}
	if euMembers[country] {
		if i, ok := j.index["EU"]; ok {
			return i
		}
	}
	if country == "GB" {
		if i, ok := j.index["UK"]; ok {
			return i
		}
	}
	return len(j.names) - 1
}

// providerChildren are the series of one provider label value, per jurisdiction.
type providerChildren struct {
	name      string
	records   []prometheus.Counter // by jurisdiction index
	unlabeled []prometheus.Counter
	deepfake  []prometheus.Counter
	incidents []prometheus.Counter
	rules     atomic.Pointer[[]prometheus.Counter] // by rule index (ruleChildren.idx): provider_rules_fired, nil until first use
}

// providerTable bounds the provider label: at most slots providers have a name. A
// provider takes a free slot once it has sent AdmitAfter records, counted in a bounded
// candidate table (when it is full the least-seen candidate is forgotten), so that the
// slots go to providers with volume rather than to the first names seen. Slots are never
// given back: a counter cannot move from one series to another.
type providerTable struct {
	m          *Metrics
	idx        atomic.Pointer[map[string]*providerChildren]
	full       atomic.Bool
	other      *providerChildren
	slots      int
	admitAfter int

	mu      sync.Mutex
	cand    map[string]int // candidates: records seen while under the threshold
	candCap int
}

func (t *providerTable) init(m *Metrics, opt Options) {
	t.m, t.slots, t.admitAfter = m, opt.TopProviders, opt.AdmitAfter
	t.candCap = max(8*opt.TopProviders, 256)
	t.cand = map[string]int{}
	t.other = m.newProviderChildren(Other)
	idx := map[string]*providerChildren{}
	for _, p := range opt.Providers {
		if _, dup := idx[p]; !dup && len(idx) < t.slots && p != Other {
			idx[p] = m.newProviderChildren(p)
		}
	}
	t.idx.Store(&idx)
	t.full.Store(len(idx) >= t.slots)
	m.providerSlots.Set(float64(t.slots))
	m.providersNamed.Set(float64(len(idx)))
}

func (m *Metrics) newProviderChildren(name string) *providerChildren {
	pc := &providerChildren{name: name}
	for _, j := range m.jur.names {
		pc.records = append(pc.records, m.provRecords.WithLabelValues(name, j))
		pc.unlabeled = append(pc.unlabeled, m.provUnlabeled.WithLabelValues(name, j))
		pc.deepfake = append(pc.deepfake, m.provDeepfake.WithLabelValues(name, j))
		pc.incidents = append(pc.incidents, m.provIncidents.WithLabelValues(name, j))
	}
	pc.rules.Store(&[]prometheus.Counter{})
	return pc
}

// lookup returns the series of provider p ("" is UnknownProvider).
func (t *providerTable) lookup(p string) *providerChildren {
	if p == "" {
		p = UnknownProvider
	}
	if c, ok := (*t.idx.Load())[p]; ok {
		return c
	}
	if t.full.Load() {
		return t.other
	}
	return t.slow(p)
}

func (t *providerTable) slow(p string) *providerChildren {
	t.mu.Lock()
	defer t.mu.Unlock()
	cur := *t.idx.Load()
	if c, ok := cur[p]; ok {
		return c
	}
	if len(cur) >= t.slots {
		return t.other
	}
	n, ok := t.cand[p]
	if !ok {
		if len(t.cand) >= t.candCap {
			t.forgetLeast()
		}
		p = strings.Clone(p) // the record's strings alias its bytes
	}
	n++
	if n < t.admitAfter {
		t.cand[p] = n
		return t.other
	}
	delete(t.cand, p)
	c := t.m.newProviderChildren(strings.Clone(p))
	next := make(map[string]*providerChildren, len(cur)+1)
	for k, v := range cur {
		next[k] = v
	}
	next[c.name] = c
	t.idx.Store(&next)
	t.m.providersNamed.Set(float64(len(next)))
	if len(next) >= t.slots {
		t.full.Store(true)
		t.cand = nil // no slot left: nothing more to rank
	}
	return c
}

// forgetLeast drops a candidate with the fewest records.
func (t *providerTable) forgetLeast() {
	least, ln := "", int(^uint(0)>>1)
	for k, n := range t.cand {
		if n < ln {
			least, ln = k, n
			if n == 1 {
				break
			}
		}
	}
	delete(t.cand, least)
}

// rule returns the provider_rules_fired child of this provider and rule.
func (pc *providerChildren) rule(m *Metrics, rc *ruleChildren) prometheus.Counter {
	if cur := *pc.rules.Load(); rc.idx < len(cur) && cur[rc.idx] != nil {
		return cur[rc.idx]
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := *pc.rules.Load()
	if rc.idx < len(cur) && cur[rc.idx] != nil {
		return cur[rc.idx]
	}
	next := make([]prometheus.Counter, max(len(cur), rc.idx+1))
	copy(next, cur)
	c := m.provRules.WithLabelValues(pc.name, rc.id)
	next[rc.idx] = c
	pc.rules.Store(&next)
	return c
}
