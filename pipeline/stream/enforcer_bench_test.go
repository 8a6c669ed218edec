package stream

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/enforce"
	"github.com/aigcwatch/aigcwatch/pipeline"
)

// BenchmarkEnforcementWire is the CPU the Kafka path of enforcement adds per judged
// record, without the broker: the judge encodes the observation, the owner decodes it
// and applies it to the state (among 10,000 providers), and encodes the provider's
// changelog record (at most one per provider and batch: an upper bound per record).
// "clean" is a record without incident, "incident" one with a reported incident.
// go test -run '^$' -bench EnforcementWire -benchtime 200000x -cpu 1 -count 6 ./pipeline/stream
func BenchmarkEnforcementWire(b *testing.B) {
	p, err := pipeline.Build(pipeline.DefaultConfig)
	if err != nil {
		b.Fatal(err)
	}
	pols, err := pipeline.DefaultConfig.Policies()
	if err != nil {
		b.Fatal(err)
	}
	texts := map[string]string{"clean": "今天天气不错，我们去公园散步吧。", "incident": "加我微信，刷单返利，日赚500"}
	for _, kind := range []string{"clean", "incident"} {
		b.Run(kind, func(b *testing.B) {
			const providers = 10_000
			w := p.NewWorker()
			js := make([]pipeline.Judgement, providers)
			t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
			for i := range js {
				raw := fmt.Appendf(nil, `{"id":"w-%d","time":%q,"provider":"p-%05d","jurisdiction":"CN","role":"provider","modality":"text","labels":{"interface":true},"text":%q}`,
					i, t0.Add(time.Duration(i)*time.Second).Format(time.RFC3339), i, texts[kind])
				j, err := w.Judge(context.Background(), raw)
				if err != nil || j.Reject != nil {
					b.Fatal(err, j.Reject)
				}
				j.Record = clone(j.Record) // the worker reuses its scratch
				js[i] = j
			}
			st := enforce.NewState(pols, enforce.Options{})
			ladder := st.LadderFor(&enforce.Observation{Ruleset: js[0].Verdict.Ruleset, Jurisdiction: "CN"})
			for i := range js { // every provider known
				st.ApplyObservation(enforce.Observe(js[i].Record, js[i].Verdict, js[i].Incidents))
			}
			included := map[string]int64{"in/0": 1, "in/1": 1, "in/2": 1}
			buf := make([]byte, 0, 4096)
			var bytesObs, bytesChg int
			b.ReportAllocs()
			b.ResetTimer()
			for n := range b.N {
				j := &js[n%providers]
				buf = appendObservation(buf[:0], "in", n%3, int64(n), j, ladder)
				_, o, err := decodeObservation(buf)
				if err != nil {
					b.Fatal(err)
				}
				out := st.ApplyObservation(o)
				_ = st.OutcomeEvents(out)
				k := enforce.Key{Provider: o.Provider, Jurisdiction: o.Jurisdiction}
				es, _ := st.Entry(k)
				v, err := json.Marshal(changelogValue{Format: ChangelogFormat, Offset: int64(n), Included: included, Entry: es})
				if err != nil {
					b.Fatal(err)
				}
				bytesObs, bytesChg = len(buf), len(v)
			}
			b.ReportMetric(float64(bytesObs), "observation-B")
			b.ReportMetric(float64(bytesChg), "changelog-B")
		})
	}
}

func clone[T any](p *T) *T {
	c := *p
	return &c
}
