package enforce

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/incident"
	"github.com/aigcwatch/aigcwatch/record"
	"github.com/aigcwatch/aigcwatch/rules"
)

// testPack is a pack with its own ladder: 1-hour buckets over a 10-hour window.
const testPack = `
pack: test-ladder
version: "1"
jurisdictions: [XX]
enforcement:
  ladder: test
  window: 10h
  buckets: 10
  grace: 2h
  compliant_period: 24h
  self_report_factor: 0.5
  weights:
    severity: {high: 5, critical: 20}
    layer: {global: 2}
    rules: {R-SPECIAL: 7}
  appetite:
    window: 10h
    categories:
      - name: unlabeled
        rules: [R-UNL*]
        tolerated_rate: 0.1
  levels:
    - {name: base, action: watch}
    - {name: one, action: act one, escalate_at: 10}
    - {name: two, action: act two, escalate_at: 10}
    - {name: three, action: act three, escalate_at: 30}
`

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func testPolicies(t testing.TB) *Policies {
	t.Helper()
	p, probs := rules.ParsePack("test.yaml", []byte(testPack))
	if len(probs) > 0 {
		t.Fatalf("test pack: %v", probs)
	}
	ps, err := NewPolicies([]*rules.Pack{p})
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func newTestState(t testing.TB) *State {
	return NewState(testPolicies(t), Options{Now: func() time.Time { return t0 }})
}

var (
	high    = &rules.Rule{ID: "R-HIGH", Pack: "p", Title: "high", Severity: detectors.High, Layer: detectors.Content, Report: true, Decision: rules.Review}
	crit    = &rules.Rule{ID: "R-CRIT", Pack: "p", Title: "critical", Severity: detectors.Critical, Layer: detectors.Content, Report: true, Decision: rules.Block}
	global  = &rules.Rule{ID: "R-GLOBAL", Pack: "p", Title: "campaign", Severity: detectors.High, Layer: detectors.Global, Report: true}
	special = &rules.Rule{ID: "R-SPECIAL", Pack: "p", Title: "special", Severity: detectors.Critical, Layer: detectors.Content, Report: true}
	unl     = &rules.Rule{ID: "R-UNL-1", Pack: "p", Title: "unlabeled", Severity: detectors.High, Layer: detectors.Content, Report: true}
)

var seq int

// obs builds an observation of provider p at t with one incident per rule, each a real
// incident event.
func obs(p string, t time.Time, rs ...*rules.Rule) Observation {
	seq++
	r := &record.Record{ID: fmt.Sprintf("rec-%d", seq), Provider: p, Time: t}
	v := &rules.Verdict{ID: r.ID, Jurisdiction: "XX", Rules: rs}
	evs, err := (&incident.Builder{}).Build(r, v)
	if err != nil {
		panic(err)
	}
	return Observe(r, v, evs)
}

func at(h float64) time.Time { return t0.Add(time.Duration(h * float64(time.Hour))) }

func stamp(t *testing.T, ev incident.Event) incident.Enforcement {
	t.Helper()
	var e struct {
		Data incident.Data `json:"data"`
	}
	if err := json.Unmarshal(ev.JSON, &e); err != nil {
		t.Fatalf("%v: %s", err, ev.JSON)
	}
	if e.Data.Enforcement == nil {
		t.Fatalf("incident without enforcement: %s", ev.JSON)
	}
	return *e.Data.Enforcement
}

func TestEscalatesOneLevelAtATimeWithIncidentsToShow(t *testing.T) {
	s := newTestState(t)
	// Volume alone never escalates.
	for i := range 50 {
		if out := s.ApplyObservation(obs("acme", at(float64(i)/10))); out.Level != 0 || len(out.Changes) != 0 {
			t.Fatalf("record without incidents changed the level: %+v", out)
		}
	}
	// 5 points: below the first threshold (10).
	if out := s.ApplyObservation(obs("acme", at(5), high)); len(out.Changes) != 0 {
		t.Fatalf("5 points escalated: %+v", out.Changes)
	}
	// One record with a critical incident (20 points) and two high ones: enough points
	// for three levels, but it climbs one.
	o := obs("acme", at(5.5), crit, high, high)
	out := s.ApplyObservation(o)
	if out.Level != 1 || len(out.Changes) != 1 {
		t.Fatalf("level %d, %d changes; want 1, 1", out.Level, len(out.Changes))
	}
	c := out.Changes[0]
	if c.From.Level != 0 || c.To.Level != 1 || c.Direction != Escalate || c.To.Action != "act one" || c.Threshold != 10 || c.Points != 25 {
		t.Errorf("change %+v", c)
	}
	if len(c.Incidents) != 2 || c.Incidents[1] != o.Incidents[0].Event.ID {
		t.Errorf("causes %v, want the earlier high incident and the critical one", c.Incidents)
	}
	st := stamp(t, out.Incidents[0])
	if st.Level != 1 || !st.Escalated || st.Counted != CountedEscalating || st.Points != 20 || st.LevelName != "one" {
		t.Errorf("escalating incident stamped %+v", st)
	}
	if st2 := stamp(t, out.Incidents[1]); st2.Escalated || st2.Counted != CountedGrace || st2.Level != 1 || st2.Points != 0 {
		t.Errorf("incident after the escalation in the same record stamped %+v", st2)
	}
	// Within the 2-hour grace period new incidents are counted but do not escalate.
	out = s.ApplyObservation(obs("acme", at(7.4), crit))
	if out.Level != 1 || stamp(t, out.Incidents[0]).Counted != CountedGrace {
		t.Errorf("grace: level %d, stamp %+v", out.Level, stamp(t, out.Incidents[0]))
	}
	// After it, fresh incidents are needed: 5 points do not reach 10, 10 do.
	if out = s.ApplyObservation(obs("acme", at(7.6), high)); out.Level != 1 {
		t.Fatalf("level %d after 5 fresh points", out.Level)
	}
	out = s.ApplyObservation(obs("acme", at(7.7), high))
	if out.Level != 2 || len(out.Changes) != 1 || out.Changes[0].Seq != 2 {
		t.Fatalf("level %d changes %+v", out.Level, out.Changes)
	}
	v := s.Provider("acme")
	if len(v) != 1 || len(v[0].History) != 2 || v[0].Totals.Escalations != 2 || v[0].Totals.Grace != 3 || v[0].Level.Name != "two" {
		t.Errorf("view %+v", v)
	}
}

func TestDeescalatesAfterCompliantPeriod(t *testing.T) {
	s := newTestState(t)
	s.ApplyObservation(obs("acme", at(0), crit)) // → 1 at t0
	s.ApplyObservation(obs("acme", at(3), crit)) // → 2 at 3h (grace over)
	if l, _ := s.LevelOf("acme", "XX"); l != 2 {
		t.Fatalf("level %d", l)
	}
	// A tolerated incident (appetite) does not interrupt compliance; a record just
	// before the period ends changes nothing.
	for i := range 20 {
		s.ApplyObservation(obs("acme", at(4+float64(i)*0.1)))
	}
	if out := s.ApplyObservation(obs("acme", at(6), unl)); stamp(t, out.Incidents[0]).Counted != CountedTolerated {
		t.Fatalf("want a tolerated incident: %+v", stamp(t, out.Incidents[0]))
	}
	if out := s.ApplyObservation(obs("acme", at(26.99))); len(out.Changes) != 0 {
		t.Fatalf("de-escalated before 24h: %+v", out.Changes)
	}
	// 75 hours after the last escalating incident: two compliant periods have passed;
	// it steps down one level per period, each change at the end of its period.
	out := s.ApplyObservation(obs("acme", at(78)))
	if len(out.Changes) != 2 || out.Level != 0 {
		t.Fatalf("level %d, changes %+v", out.Level, out.Changes)
	}
	for i, want := range []struct {
		from, to int
		at       time.Time
	}{{2, 1, at(27)}, {1, 0, at(51)}} {
		c := out.Changes[i]
		if c.From.Level != want.from || c.To.Level != want.to || !c.Time.Equal(want.at) || c.Direction != Deescalate || len(c.Incidents) != 0 {
			t.Errorf("change %d: %d→%d at %v (%s), want %d→%d at %v", i, c.From.Level, c.To.Level, c.Time, c.Direction, want.from, want.to, want.at)
		}
	}
}

func TestEscalatingIncidentRestartsCompliantPeriod(t *testing.T) {
	s := newTestState(t)
	s.ApplyObservation(obs("acme", at(0), crit)) // → 1
	s.ApplyObservation(obs("acme", at(20), high))
	if out := s.ApplyObservation(obs("acme", at(30))); len(out.Changes) != 0 {
		t.Fatalf("an incident at 20h should push de-escalation to 44h: %+v", out.Changes)
	}
	if ch := s.Sweep(at(44)); len(ch) != 1 || !ch[0].Time.Equal(at(44)) || ch[0].To.Level != 0 {
		t.Fatalf("sweep: %+v", ch)
	}
}

func TestAppetiteThreshold(t *testing.T) {
	for _, tc := range []struct {
		name      string
		appetite  bool
		records   int // records without incidents before the unlabeled ones
		incidents int
		wantLevel int
		tolerated int
	}{
		// 100 + k records, k unlabeled: rate k/(100+k) ≤ 0.1 while k ≤ 11.
		{"within", true, 100, 11, 0, 11},
		{"above", true, 100, 13, 0, 11}, // 12th and 13th count: 10 points → level 1? see below
		{"off", false, 100, 2, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := testPolicies(t)
			if !tc.appetite {
				ps = ps.WithoutAppetite()
			}
			s := NewState(ps, Options{})
			for i := range tc.records {
				s.ApplyObservation(obs("acme", at(float64(i)*0.01)))
			}
			var last Outcome
			tolerated := 0
			for i := range tc.incidents {
				last = s.ApplyObservation(obs("acme", at(2+float64(i)*0.01), unl))
				st := stamp(t, last.Incidents[0])
				if st.Category != "unlabeled" || st.Rate == nil || *st.ToleratedRate != 0.1 {
					t.Fatalf("stamp %+v", st)
				}
				if st.Counted == CountedTolerated {
					tolerated++
					if *st.Rate > 0.1 {
						t.Errorf("tolerated at rate %v", *st.Rate)
					}
				} else if tc.appetite && *st.Rate <= 0.1 {
					t.Errorf("escalating at rate %v ≤ tolerated", *st.Rate)
				}
			}
			if tolerated != tc.tolerated {
				t.Errorf("%d tolerated, want %d", tolerated, tc.tolerated)
			}
			want := tc.wantLevel
			if tc.name == "above" {
				want = 1 // two incidents above the appetite: 10 points
			}
			if last.Level != want {
				t.Errorf("level %d, want %d", last.Level, want)
			}
			v := s.Provider("acme")[0]
			if len(v.Rates) != 1 || v.Rates[0].Volume != uint64(tc.records+tc.incidents) || v.Rates[0].Records != uint64(tc.incidents) {
				t.Errorf("rates %+v", v.Rates)
			}
		})
	}
}

func TestWindowEdges(t *testing.T) {
	// Two high incidents (5 + 5 = the threshold of 10). The window is 10 one-hour
	// buckets: an incident counts until the 10th bucket after its own begins.
	for _, tc := range []struct {
		second float64
		want   int
	}{
		{9.99, 1}, // bucket 9: the first (bucket 0) is still in the window
		{10.0, 0}, // bucket 10: the first has left
		{10.5, 0},
	} {
		s := newTestState(t)
		s.ApplyObservation(obs("acme", at(0.5), high))
		if out := s.ApplyObservation(obs("acme", at(tc.second), high)); out.Level != tc.want {
			t.Errorf("second incident at %vh: level %d, want %d", tc.second, out.Level, tc.want)
		}
	}
	// Appetite window: 10 clean records at 0h, then unlabeled incidents; the rate
	// drops back once the clean records' bucket leaves.
	s := newTestState(t)
	for range 9 {
		s.ApplyObservation(obs("acme", at(0)))
	}
	if st := stamp(t, s.ApplyObservation(obs("acme", at(9.9), unl)).Incidents[0]); *st.Rate != 0.1 || st.Counted != CountedTolerated {
		t.Errorf("at 9.9h: %+v rate %v", st, *st.Rate)
	}
	if st := stamp(t, s.ApplyObservation(obs("acme", at(10.1), unl)).Incidents[0]); *st.Rate != 1 || st.Counted != CountedEscalating {
		t.Errorf("at 10.1h: %+v rate %v", st, *st.Rate)
	}
}

func TestSelfReportWeighsLess(t *testing.T) {
	s := newTestState(t)
	// Self-reported high incidents are worth 2.5 points (factor 0.5): 3 of them stay
	// below 10, the 4th escalates.
	for i := range 3 {
		o := obs("acme", at(float64(i)), high)
		o.SelfReported = true
		out := s.ApplyObservation(o)
		if st := stamp(t, out.Incidents[0]); st.Points != 2.5 || st.Counted != CountedSelfReported || !st.SelfReported || out.Level != 0 {
			t.Fatalf("self-reported %d: %+v level %d", i, st, out.Level)
		}
	}
	o := obs("acme", at(3), high)
	o.SelfReported = true
	if out := s.ApplyObservation(o); out.Level != 1 {
		t.Errorf("level %d after 10 self-reported points", out.Level)
	}
	// The same through a decoded record's self_reported field.
	var r record.Record
	if err := record.Decode([]byte(`{"id":"x","provider":"p2","self_reported":true}`), record.Limits{}, &r); err != nil {
		t.Fatal(err)
	}
	v := &rules.Verdict{ID: "x", Jurisdiction: "XX", Rules: []*rules.Rule{high}}
	evs, _ := (&incident.Builder{}).Build(&r, v)
	if st := stamp(t, s.Apply(&r, v, evs).Incidents[0]); st.Points != 2.5 {
		t.Errorf("decoded self-reported record: %+v", st)
	}
	if tot := s.Provider("acme")[0].Totals; tot.SelfReported != 4 || tot.Incidents != 4 {
		t.Errorf("totals %+v", tot)
	}
}

func TestWeights(t *testing.T) {
	ps := testPolicies(t)
	p := ps.For(nil, "XX")
	for _, c := range []struct {
		r    *rules.Rule
		want float64
	}{{high, 5}, {crit, 20}, {global, 10}, {special, 7}, {&rules.Rule{ID: "x", Severity: detectors.Low}, 1}, {&rules.Rule{ID: "y", Severity: detectors.Info}, 0}} {
		if got := p.Points(c.r); got != c.want {
			t.Errorf("%s: %v points, want %v", c.r.ID, got, c.want)
		}
	}
	if p.Ladder != "test" || ps.For(nil, "CN") == p || ps.For(nil, "CN").Ladder != "default" {
		t.Errorf("ladders: XX %s, CN %s", p.Ladder, ps.For(nil, "CN").Ladder)
	}
	rs := &rules.Ruleset{Packs: []rules.PackRef{{Name: "00-global"}, {Name: "test-ladder"}}}
	if ps.For(rs, "XX-1") != p {
		t.Error("the ruleset's pack should select the ladder")
	}
}

func TestUntrackedAndEviction(t *testing.T) {
	s := NewState(testPolicies(t), Options{MaxProviders: 2})
	s.ApplyObservation(obs("a", at(0), crit)) // level 1: never evicted
	s.ApplyObservation(obs("b", at(0)))
	if out := s.ApplyObservation(obs("c", at(1), high)); !out.Untracked || len(out.Incidents) != 1 {
		t.Fatalf("third provider: %+v", out)
	}
	if st := s.Stats(); st.Untracked != 1 {
		t.Errorf("stats %+v", st)
	}
	// b has been idle for more than both windows: it makes room for c.
	if out := s.ApplyObservation(obs("c", at(11), high)); out.Untracked {
		t.Fatal("idle provider not evicted")
	}
	if st := s.Stats(); st.Evicted != 1 || s.Len() != 2 {
		t.Errorf("stats %+v, len %d", st, s.Len())
	}
	if out := s.ApplyObservation(obs("", at(12), high)); !out.Untracked || s.Stats().Unattributed != 1 {
		t.Errorf("record without provider: %+v", out)
	}
}

func TestSnapshotContinuesHistory(t *testing.T) {
	run := func(s *State, from, to int) []Change {
		var all []Change
		for i := from; i < to; i++ {
			h := float64(i) * 0.5
			var rs []*rules.Rule
			switch i % 7 {
			case 0:
				rs = []*rules.Rule{high}
			case 3:
				rs = []*rules.Rule{unl}
			}
			all = append(all, s.ApplyObservation(obs(fmt.Sprintf("p%d", i%3), at(h), rs...)).Changes...)
		}
		return all
	}
	seqSave := seq
	one := newTestState(t)
	want := run(one, 0, 400)
	seq = seqSave
	two := newTestState(t)
	got := run(two, 0, 150)
	var buf bytes.Buffer
	if _, err := two.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	three := newTestState(t)
	if err := three.Restore(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	got = append(got, run(three, 150, 400)...)
	if len(want) == 0 {
		t.Fatal("no changes at all: the test proves nothing")
	}
	wj, _ := json.Marshal(want)
	gj, _ := json.Marshal(got)
	if !bytes.Equal(wj, gj) {
		t.Errorf("changes differ across a snapshot:\n%s\n%s", wj, gj)
	}
	a, _ := json.Marshal(one.Export())
	b, _ := json.Marshal(three.Export())
	if !bytes.Equal(a, b) {
		t.Errorf("state differs across a snapshot")
	}
	// A bad snapshot leaves the state as it was.
	if err := three.Restore(strings.NewReader(`{"format":"other"}`)); err == nil {
		t.Error("foreign format accepted")
	}
	if three.Len() != 3 {
		t.Errorf("state changed by a failed restore: %d providers", three.Len())
	}
}

func TestSaveFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/state.json"
	s := newTestState(t)
	if err := s.LoadFile(path); err != nil || s.Len() != 0 {
		t.Fatalf("missing file: %v", err)
	}
	s.ApplyObservation(obs("acme", at(0), crit))
	s.ApplyObservation(obs("calm", at(0)))
	s.ApplyObservation(obs("calm", at(1)))
	if err := s.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	s2 := newTestState(t)
	if err := s2.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	if l, _ := s2.LevelOf("acme", "XX"); l != 1 {
		t.Errorf("level %d after reload", l)
	}
	if v := s2.Provider("calm"); len(v) != 1 || v[0].Rates[0].Volume != 2 || v[0].Totals.Records != 2 {
		t.Errorf("provider without incidents after reload: %+v", v)
	}
	if err := writeFile(path, []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	if err := s2.LoadFile(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("corrupt file: %v", err)
	}
}

func TestLevelChangedEvent(t *testing.T) {
	s := newTestState(t)
	out := s.ApplyObservation(obs("acme", at(0), crit))
	evs := s.Events(out.Changes)
	if len(evs) != 1 || evs[0].Key != "acme" || evs[0].ID != out.Changes[0].ID {
		t.Fatalf("events %+v", evs)
	}
	var m map[string]any
	if err := json.Unmarshal(evs[0].JSON, &m); err != nil {
		t.Fatal(err)
	}
	if m["type"] != LevelChangedType || m["subject"] != "acme" || m["jurisdiction"] != "XX" || m["level"] != "one" {
		t.Errorf("event %s", evs[0].JSON)
	}
	// They travel with the incidents: the incident package's Summarize (store, routes,
	// delivery) accepts them, with their provider and jurisdiction.
	if sum, err := incident.Summarize(evs[0].JSON); err != nil || sum.Provider != "acme" || sum.Jurisdiction != "XX" || sum.Decision != Escalate || sum.ID != evs[0].ID || !sum.Time.Equal(at(0)) {
		t.Errorf("Summarize: %+v %v", sum, err)
	}
	// Same records, same ids.
	s2 := newTestState(t)
	if out2 := s2.ApplyObservation(obs("acme", at(0), crit)); out2.Changes[0].ID != out.Changes[0].ID {
		t.Error("change ids are not deterministic")
	}
}

func TestApplyKnownProviderDoesNotAllocate(t *testing.T) {
	s := newTestState(t)
	r := &record.Record{ID: "r", Provider: "acme", Time: t0}
	v := &rules.Verdict{ID: "r", Jurisdiction: "XX"}
	s.Apply(r, v, nil)
	i := 0
	if n := testing.AllocsPerRun(1000, func() {
		i++
		r.Time = t0.Add(time.Duration(i) * time.Second)
		s.Apply(r, v, nil)
	}); n != 0 {
		t.Errorf("%v allocations per record", n)
	}
}

func TestPoissonQuantile(t *testing.T) {
	for _, c := range []struct {
		lambda, q, want float64
	}{
		{2, 0.95, 5},       // P(X≤4) = 0.947, P(X≤5) = 0.983
		{2.5, 0.95, 5},     // P(X≤5) = 0.958
		{0.5, 0.99, 3},     // P(X≤2) = 0.986, P(X≤3) = 0.998
		{10, 0.5, 10},      // the median of Poisson(10)
		{1000, 0.95, 1052}, // normal approximation: 1000 + 1.645·31.6
	} {
		got := poissonQuantile(c.lambda, c.q)
		if math.Abs(got-c.want) > 1e-9 && !(c.lambda > 200 && math.Abs(got-c.want) <= 1) {
			t.Errorf("poissonQuantile(%v, %v) = %v, want %v", c.lambda, c.q, got, c.want)
		}
	}
}

func TestAppetiteConfidence(t *testing.T) {
	// With confidence 0.95 and 1000 records at a tolerated rate of 0.2 % (λ = 2), up
	// to 5 incidents are within the appetite (noise); the plain rate allows 2.
	pack := strings.Replace(testPack, "    window: 10h\n    categories:", "    window: 10h\n    confidence: 0.95\n    categories:", 1)
	pack = strings.Replace(pack, "tolerated_rate: 0.1", "tolerated_rate: 0.002", 1)
	p, probs := rules.ParsePack("conf.yaml", []byte(pack))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	ps, err := NewPolicies([]*rules.Pack{p})
	if err != nil {
		t.Fatal(err)
	}
	s := NewState(ps, Options{})
	for i := range 994 {
		s.ApplyObservation(obs("acme", at(float64(i)*0.001)))
	}
	var counted []string
	for i := range 6 {
		out := s.ApplyObservation(obs("acme", at(1+float64(i)*0.001), unl))
		counted = append(counted, stamp(t, out.Incidents[0]).Counted)
	}
	want := []string{CountedTolerated, CountedTolerated, CountedTolerated, CountedTolerated, CountedTolerated, CountedEscalating}
	if strings.Join(counted, ",") != strings.Join(want, ",") {
		t.Errorf("counted %v, want %v", counted, want)
	}
	if r := s.Provider("acme")[0].Rates[0]; r.ToleratedRecords != 5 || !r.Above || r.Volume != 1000 {
		t.Errorf("rate %+v", r)
	}
}

func TestReplayGuardAtTheBoundary(t *testing.T) {
	s := newTestState(t)
	a := obs("acme", at(5), high)
	b := obs("acme", at(5), high) // same time, another record
	s.ApplyObservation(obs("acme", at(1)))
	s.ApplyObservation(a)
	var buf bytes.Buffer
	if _, err := s.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	r := newTestState(t)
	if err := r.Restore(&buf); err != nil {
		t.Fatal(err)
	}
	// The records already counted are skipped, stamped "replayed"...
	for _, o := range []Observation{obs("acme", at(1), high), a} {
		if o.RecordID != a.RecordID {
			o.RecordID = "rec-old"
		}
		out := r.ApplyObservation(o)
		if st := stamp(t, out.Incidents[0]); st.Counted != CountedReplayed || st.Points != 0 || st.WindowPoints != 5 {
			t.Errorf("%s at %v: %+v", o.RecordID, o.Time, st)
		}
	}
	// ...a new record with the boundary's time is counted: 5 + 5 = 10 → level 1.
	if out := r.ApplyObservation(b); out.Level != 1 || stamp(t, out.Incidents[0]).Counted != CountedEscalating {
		t.Errorf("new record at the boundary time: level %d, %+v", out.Level, stamp(t, out.Incidents[0]))
	}
	if st := r.Stats(); st.Replayed != 2 {
		t.Errorf("replayed %d, want 2", st.Replayed)
	}
}
