package enforce

import (
	"testing"

	"github.com/aigcwatch/aigcwatch/defaults"
	"github.com/aigcwatch/aigcwatch/rules"
)

// TestEmbeddedLadders holds the embedded packs' ladders and their selection through the
// engine's own jurisdiction resolution (countries, EU members, aliases).
func TestEmbeddedLadders(t *testing.T) {
	packs, err := rules.LoadFS(defaults.Packs(), ".")
	if err != nil {
		t.Fatal(err)
	}
	ps, err := NewPolicies(packs)
	if err != nil {
		t.Fatal(err)
	}
	if d := DefaultPolicy(); d.Ladder != "default" || ps.Default().Ladder != "default" || d.Top() != 5 || d.Levels[5].Name != "licence_revocation" {
		t.Errorf("default ladder %+v", d)
	}
	e, err := rules.Compile(packs, rules.Options{DefaultJurisdiction: "CN"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ j, want string }{
		{"CN", "CN"}, {"", "CN"}, {"EU", "EU"}, {"DE", "EU"}, {"FR", "EU"}, {"US-CA", "default"}, {"UK", "default"}, {"XX", "default"},
	} {
		if got := ps.For(e.RulesetFor(c.j), c.j).Ladder; got != c.want {
			t.Errorf("jurisdiction %q: ladder %s, want %s", c.j, got, c.want)
		}
	}
	// A verdict ruleset naming every pack (AllPacksInVerdicts) is ambiguous: the
	// jurisdiction decides.
	all, _ := rules.Compile(packs, rules.Options{DefaultJurisdiction: "CN", AllPacksInVerdicts: true})
	if got := ps.For(all.RulesetFor("EU"), "EU").Ladder; got != "EU" {
		t.Errorf("all packs, EU: %s", got)
	}
	// Two packs giving the same jurisdiction's ladder are an error naming both.
	dup := *packs[0]
	for _, p := range packs {
		if p.Name == "enforcement-cn" {
			dup = *p
		}
	}
	dup.Name = "enforcement-cn-2"
	if _, err := NewPolicies(append(packs, &dup)); err == nil {
		t.Error("two CN ladders accepted")
	}
}

func TestCompliantMinRecordsAndReload(t *testing.T) {
	pack := `
pack: quiet
version: "1"
jurisdictions: [XX]
enforcement:
  window: 10h
  buckets: 10
  compliant_period: 24h
  compliant_min_records: 3
  levels:
    - {name: base, action: watch}
    - {name: one, action: act, escalate_at: 10}
`
	p, probs := rules.ParsePack("quiet.yaml", []byte(pack))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	ps, err := NewPolicies([]*rules.Pack{p})
	if err != nil {
		t.Fatal(err)
	}
	s := NewState(ps, Options{})
	s.ApplyObservation(obs("acme", at(0), crit)) // → 1
	// Silence is not compliance: a sweep long after changes nothing without records.
	if ch := s.Sweep(at(100)); len(ch) != 0 {
		t.Fatalf("de-escalated without records: %+v", ch)
	}
	s.ApplyObservation(obs("acme", at(101)))
	s.ApplyObservation(obs("acme", at(102)))
	if l, _ := s.LevelOf("acme", "XX"); l != 1 {
		t.Fatal("de-escalated after 2 records")
	}
	if out := s.ApplyObservation(obs("acme", at(103))); len(out.Changes) != 0 {
		t.Fatalf("the third record is counted after the check: %+v", out.Changes)
	}
	if out := s.ApplyObservation(obs("acme", at(104))); len(out.Changes) != 1 || out.Changes[0].To.Level != 0 {
		t.Fatalf("no de-escalation after 3 records: %+v", out.Changes)
	}

	// A reload with another ladder keeps the level (capped at the new top) and restarts
	// the windows when their shape changed.
	s2 := newTestState(t)
	s2.ApplyObservation(obs("acme", at(0), crit))
	s2.ApplyObservation(obs("acme", at(3), crit))
	if l, _ := s2.LevelOf("acme", "XX"); l != 2 {
		t.Fatalf("level %d", l)
	}
	s2.SetPolicies(ps)
	out := s2.ApplyObservation(obs("acme", at(4), high))
	if out.Level != 1 || len(out.Changes) != 0 {
		t.Errorf("after reload: level %d (want capped at 1), changes %+v", out.Level, out.Changes)
	}
	if v := s2.Provider("acme")[0]; v.Ladder != "quiet" || v.Points != 5 || v.FirstSeen != at(0).UTC() {
		t.Errorf("after reload: %+v", v)
	}
}
