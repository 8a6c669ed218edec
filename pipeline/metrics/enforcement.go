package metrics

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aigcwatch/aigcwatch/enforce"
)

// EnforcementSource is what the enforcement gauges read at each scrape; *enforce.State
// is one.
type EnforcementSource interface {
	Levels() []enforce.ProviderLevel
	Ladders() []enforce.LadderInfo
}

// enforcementCollector reads the providers' enforcement levels at each scrape and
// exports them with bounded labels.
type enforcementCollector struct {
	m     *Metrics
	src   EnforcementSource
	level *prometheus.Desc
	count *prometheus.Desc
}

// RegisterEnforcement registers on reg two gauges read from src at each scrape:
//
//   - aigcwatch_provider_enforcement_level{jurisdiction,provider}: the level of each
//     provider above the base level, for the TopProviders highest (ties by name); the rest
//     are one series per jurisdiction, provider "other", with the highest level among them.
//     Providers at level 0 have no series (they are counted below).
//   - aigcwatch_enforcement_providers{jurisdiction,level}: how many providers are at each
//     level; every level of every ladder in force is there, at 0 when no provider is at it
//     (a "*" ladder's levels under jurisdiction "other").
//
// Jurisdictions are labelled as in the other metrics (named set, countries, EU members,
// else other); a provider in two jurisdictions that share a label shows its higher level.
func (m *Metrics) RegisterEnforcement(reg prometheus.Registerer, src EnforcementSource) error {
	c := &enforcementCollector{m: m, src: src,
		level: prometheus.NewDesc(Namespace+"_provider_enforcement_level",
			"A provider's level on its jurisdiction's enforcement ladder (0 = the base), for the providers above the base with the highest levels (top N, else other).",
			[]string{"jurisdiction", "provider"}, nil),
		count: prometheus.NewDesc(Namespace+"_enforcement_providers",
			"Providers at each level of their jurisdiction's enforcement ladder.",
			[]string{"jurisdiction", "level"}, nil),
	}
	return reg.Register(c)
}

func (c *enforcementCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.level
	ch <- c.count
}

func (c *enforcementCollector) Collect(ch chan<- prometheus.Metric) {
	type key struct {
		jur      int
		provider string
	}
	top := map[key]int{}
	counts := map[[2]int]int{} // (jurisdiction index, level) → providers
	for _, l := range c.src.Ladders() {
		for _, jn := range l.Jurisdictions {
			j := len(c.m.jur.names) - 1 // "*": other
			if jn != "*" {
				j = c.m.jur.of(jn)
			}
			for lv := range l.Levels {
				counts[[2]int{j, lv}] += 0
			}
		}
	}
	for _, pl := range c.src.Levels() {
		j := c.m.jur.of(pl.Jurisdiction)
		counts[[2]int{j, pl.Level}]++
		if pl.Level > 0 {
			k := key{j, pl.Provider}
			top[k] = max(top[k], pl.Level)
		}
	}
	keys := make([]key, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(top[b], top[a]), cmp.Compare(a.provider, b.provider), cmp.Compare(a.jur, b.jur))
	})
	others := map[int]int{}
	for i, k := range keys {
		if i < c.m.opt.TopProviders {
			ch <- prometheus.MustNewConstMetric(c.level, prometheus.GaugeValue, float64(top[k]), c.m.jur.names[k.jur], k.provider)
			continue
		}
		others[k.jur] = max(others[k.jur], top[k])
	}
	for j, l := range others {
		ch <- prometheus.MustNewConstMetric(c.level, prometheus.GaugeValue, float64(l), c.m.jur.names[j], Other)
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.count, prometheus.GaugeValue, float64(n), c.m.jur.names[k[0]], strconv.Itoa(k[1]))
	}
}
