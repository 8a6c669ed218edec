// Command simulate runs simulated AIGC providers with different behaviours through the
// real engine (pipeline.Build(DefaultConfig): decoder, detectors, rule packs, incidents)
// and the enforcement state (package enforce, the embedded CN ladder), over 30
// simulated days, twice: with the regulator's risk appetite off and on. It writes a PNG
// chart of each provider's level over time and a Markdown table of incidents,
// escalations and the regulator's workload (make simulate; docs/enforcement.md).
//
// Everything is deterministic: a seeded random source, record times from a simulated
// clock, no wall-clock time.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/aigcwatch/aigcwatch/enforce"
	"github.com/aigcwatch/aigcwatch/pipeline"
)

// mix is what a provider sends on a day: the share of its records that are unlabeled
// (CN-IMP-01), stripped of their label (CN-TAMPER-01, an empty label shell left), or
// harmful (CN-CONTENT-05); the rest are properly labeled.
type mix struct {
	unlabeled, stripped, harmful float64
}

// provider is one simulated provider.
type provider struct {
	name, behaviour string
	perDay          int
	selfReports     bool // marks its own failures self_reported
	// mix returns the day's behaviour given the provider's current level: providers
	// that respond to enforcement look at it.
	mix func(day, level int) mix
}

func constant(m mix) func(int, int) mix { return func(int, int) mix { return m } }

func providers() []provider {
	improved := false // shenlan fixes its pipeline for good once warned
	return []provider{
		{"mingjing", "compliant (0.05 % unlabeled)", 600, false, constant(mix{unlabeled: 0.0005})},
		{"baiyun", "compliant (0.1 % unlabeled)", 500, false, constant(mix{unlabeled: 0.001})},
		{"lanhai", "compliant (0.2 % unlabeled)", 400, false, constant(mix{unlabeled: 0.002})},
		{"qingshan", "compliant, near the appetite (0.4 % unlabeled)", 400, false, constant(mix{unlabeled: 0.004})},
		{"xinghe", "sloppy (1.5 % unlabeled)", 500, false, constant(mix{unlabeled: 0.015})},
		{"yunque", "sloppy (3 % unlabeled, 0.2 % fraud scripts)", 300, false, constant(mix{unlabeled: 0.03, harmful: 0.002})},
		{"tianji", "sloppy like xinghe, but self-reports every failure", 500, true, constant(mix{unlabeled: 0.015})},
		{"shenlan", "improves when warned (4 %, 1.5 %, then 0.1 % unlabeled)", 500, false, func(_, level int) mix {
			improved = improved || level >= 2
			switch {
			case improved:
				return mix{unlabeled: 0.001}
			case level == 1:
				return mix{unlabeled: 0.015}
			}
			return mix{unlabeled: 0.04}
		}},
		{"heiying", "adversarial label-stripper (1.5 % stripped, 2 % unlabeled)", 400, false, constant(mix{stripped: 0.015, unlabeled: 0.02})},
		{"yeguang", "compliant, turns label-stripper on day 12 (2 % stripped)", 400, false, func(day, _ int) mix {
			if day >= 12 {
				return mix{stripped: 0.02, unlabeled: 0.001}
			}
			return mix{unlabeled: 0.001}
		}},
	}
}

const labeled = `"labels":{"implicit":[{"carrier":"xmp:TC260:AIGC","raw":"{\"Label\":\"1\",\"ContentProducer\":\"001191110108MA01XXXXXX00000\",\"ProduceID\":\"%s\",\"ReservedCode1\":\"\",\"ContentPropagator\":\"\",\"PropagateID\":\"\",\"ReservedCode2\":\"\"}"}],"explicit":{"present":true,"text":"AI生成","position":"corner","size_ratio":0.06}}`

// recordJSON builds one record of kind k.
func recordJSON(id, prov string, t time.Time, kind string, self bool) []byte {
	head := fmt.Sprintf(`{"id":%q,"time":%q,"jurisdiction":"CN","provider":%q,"role":"provider"`, id, t.Format(time.RFC3339Nano), prov)
	if self {
		head += `,"self_reported":true`
	}
	switch kind {
	case "unlabeled":
		return []byte(head + `,"modality":"image","media":{"mime":"image/png"}}`)
	case "stripped":
		return []byte(head + `,"modality":"image","media":{"mime":"image/png"},"labels":{"implicit":[{"carrier":"xmp:TC260:AIGC","raw":"{}"}]}}`)
	case "harmful":
		return []byte(head + `,"modality":"text","text":"兼职刷单返利，日赚五百，加微信"}`)
	}
	return []byte(head + `,"modality":"image","media":{"mime":"image/png"},` + fmt.Sprintf(labeled, id) + `}`)
}

// result is one run's outcome.
type result struct {
	name    string
	levels  [][]float64 // per provider, the level at each hour
	changes []enforce.Change
	stats   map[string]*provStats
	ladder  *enforce.Policy
}

type provStats struct {
	records, incidents, tolerated, selfReported, escalations, deescalations, maxLevel, finalLevel, caseHours int
}

func run(ctx context.Context, name string, appetite bool, days int, seed uint64) (*result, error) {
	p, err := pipeline.Build(pipeline.DefaultConfig)
	if err != nil {
		return nil, err
	}
	pols, err := pipeline.DefaultConfig.Policies()
	if err != nil {
		return nil, err
	}
	if !appetite {
		pols = pols.WithoutAppetite()
	}
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	st := enforce.NewState(pols, enforce.Options{Now: func() time.Time { return start }})
	w := p.NewWorker()
	provs := providers() // fresh: behaviours may keep state
	res := &result{name: name, levels: make([][]float64, len(provs)), stats: map[string]*provStats{}, ladder: pols.For(nil, "CN")}
	for _, pr := range provs {
		res.stats[pr.name] = &provStats{}
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	type rec struct {
		t    time.Time
		prov int
	}
	n := 0
	hour := start // the next hourly sample of every provider's level
	for day := range days {
		// The day's records of every provider, in time order.
		var recs []rec
		for i, pr := range provs {
			for range pr.perDay {
				recs = append(recs, rec{start.Add(time.Duration(day)*24*time.Hour + time.Duration(rng.Int64N(int64(24*time.Hour)))), i})
			}
		}
		slices.SortFunc(recs, func(a, b rec) int { return a.t.Compare(b.t) })
		dayEnd := start.Add(time.Duration(day+1) * 24 * time.Hour)
		for _, r := range append(recs, rec{t: dayEnd, prov: -1}) {
			for hour.Before(r.t) {
				res.changes = append(res.changes, st.Sweep(hour)...)
				for i, pr := range provs {
					l, _ := st.LevelOf(pr.name, "CN")
					res.levels[i] = append(res.levels[i], float64(l))
					if l > 0 {
						res.stats[pr.name].caseHours++
					}
				}
				hour = hour.Add(time.Hour)
			}
			if r.prov < 0 {
				break
			}
			pr := provs[r.prov]
			level, _ := st.LevelOf(pr.name, "CN")
			m := pr.mix(day, level)
			kind := "labeled"
			switch x := rng.Float64(); {
			case x < m.stripped:
				kind = "stripped"
			case x < m.stripped+m.unlabeled:
				kind = "unlabeled"
			case x < m.stripped+m.unlabeled+m.harmful:
				kind = "harmful"
			}
			n++
			raw := recordJSON(fmt.Sprintf("sim-%d", n), pr.name, r.t, kind, pr.selfReports && kind != "labeled")
			j, err := w.Judge(ctx, raw)
			if err != nil {
				return nil, err
			}
			if j.Reject != nil {
				return nil, fmt.Errorf("simulated record rejected: %v\n%s", j.Reject, raw)
			}
			out := st.Apply(j.Record, j.Verdict, j.Incidents)
			res.changes = append(res.changes, out.Changes...)
		}
	}
	for _, v := range st.Export() {
		s := res.stats[v.Provider]
		s.records, s.incidents, s.tolerated, s.selfReported = int(v.Totals.Records), int(v.Totals.Incidents), int(v.Totals.Tolerated), int(v.Totals.SelfReported)
		s.escalations, s.deescalations, s.finalLevel = int(v.Totals.Escalations), int(v.Totals.Deescalations), v.Level
	}
	for i, pr := range provs {
		for _, l := range res.levels[i] {
			res.stats[pr.name].maxLevel = max(res.stats[pr.name].maxLevel, int(l))
		}
	}
	return res, nil
}

func main() {
	out := flag.String("out", "docs", "directory for enforcement-simulation.png and enforcement-simulation.md")
	days := flag.Int("days", 30, "simulated days")
	seed := flag.Uint64("seed", 14, "random seed")
	flag.Parse()
	ctx := context.Background()
	off, err := run(ctx, "Risk appetite off (every incident counts)", false, *days, *seed)
	if err != nil {
		fmt.Fprintln(os.Stderr, "simulate:", err)
		os.Exit(1)
	}
	on, err := run(ctx, "Risk appetite on", true, *days, *seed)
	if err != nil {
		fmt.Fprintln(os.Stderr, "simulate:", err)
		os.Exit(1)
	}
	png := filepath.Join(*out, "enforcement-simulation.png")
	if err := chart(png, providers(), *days, off, on); err != nil {
		fmt.Fprintln(os.Stderr, "simulate:", err)
		os.Exit(1)
	}
	md := filepath.Join(*out, "enforcement-simulation.md")
	if err := os.WriteFile(md, table(providers(), *days, *seed, off, on), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "simulate:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %s and %s\n", png, md)
}
