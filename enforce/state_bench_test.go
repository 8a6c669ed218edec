package enforce

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/defaults"
	"github.com/aigcwatch/aigcwatch/internal/benchclock"
	"github.com/aigcwatch/aigcwatch/record"
	"github.com/aigcwatch/aigcwatch/rules"
)

const benchProviders = 100_000

// embeddedPolicies are the ladders of the embedded packs (CN: 24 buckets, 2 appetite
// categories).
func embeddedPolicies(b *testing.B) *Policies {
	packs, err := rules.LoadFS(defaults.Packs(), ".")
	if err != nil {
		b.Fatal(err)
	}
	ps, err := NewPolicies(packs)
	if err != nil {
		b.Fatal(err)
	}
	return ps
}

// BenchmarkApplyKnownProvider is the cost per judged record of the state update for a
// provider already tracked, with no incident (most records), among 100,000 providers
// on the CN ladder; time moves 10 s per record so buckets expire as in production.
func BenchmarkApplyKnownProvider(b *testing.B) {
	s := NewState(embeddedPolicies(b), Options{})
	names := make([]string, benchProviders)
	t := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	rs := make([]record.Record, benchProviders)
	v := &rules.Verdict{Jurisdiction: "CN"}
	for i := range names {
		rs[i] = record.Record{ID: "r", Provider: fmt.Sprintf("provider-%06d", i), Time: t}
		s.Apply(&rs[i], v, nil)
	}
	b.ReportAllocs()
	b.ResetTimer()
	clk := benchclock.Start()
	for i := range b.N {
		r := &rs[i%benchProviders]
		r.Time = t.Add(time.Duration(i) * 10 * time.Millisecond)
		s.Apply(r, v, nil)
	}
	clk.Report(b, "records/cpu-s")
}

// BenchmarkApplyIncident is a record with one incident (CN-IMP-01-like, in an appetite
// category): the rate test, the points, and the stamped incident event.
func BenchmarkApplyIncident(b *testing.B) {
	s := NewState(embeddedPolicies(b), Options{})
	rule := &rules.Rule{ID: "CN-IMP-01", Pack: "cn-labeling", Title: "t", Severity: 3, Report: true}
	t := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	ob := obs("acme", t, rule)
	ob.Jurisdiction = "CN"
	b.ReportAllocs()
	b.ResetTimer()
	clk := benchclock.Start()
	for i := range b.N {
		ob.Time = t.Add(time.Duration(i) * time.Second)
		s.ApplyObservation(ob)
	}
	clk.Report(b, "incidents/cpu-s")
}

// BenchmarkMemoryPerProvider reports the heap a State holds per tracked provider on the
// CN ladder, for 100,000 providers: "clean" ones have records but never an incident
// (most providers); "incident" ones have had one (points and category rings
// allocated, one cause kept). It builds the state once whatever b.N (-benchtime 1x).
func BenchmarkMemoryPerProvider(b *testing.B) {
	pols := embeddedPolicies(b)
	t := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	rule := &rules.Rule{ID: "CN-IMP-01", Pack: "cn-labeling", Title: "t", Severity: 3, Report: true}
	for _, withIncident := range []bool{false, true} {
		name := "clean"
		if withIncident {
			name = "incident"
		}
		b.Run(name, func(b *testing.B) {
			names := make([]string, benchProviders)
			for i := range names {
				names[i] = fmt.Sprintf("provider-%06d", i)
			}
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			s := NewState(pols, Options{})
			for i := range names {
				o := Observation{Provider: names[i], Time: t}
				if withIncident {
					o = obs(names[i], t, rule) // the event is garbage once applied
				}
				o.Jurisdiction = "CN"
				s.ApplyObservation(o)
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			if s.Len() != benchProviders {
				b.Fatal("providers not tracked")
			}
			b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/benchProviders, "B/provider")
			runtime.KeepAlive(s)
		})
	}
}
