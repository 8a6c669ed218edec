package rules

import (
	"strings"
	"testing"
)

func TestEnforcementSectionOnlyPack(t *testing.T) {
	p, probs := ParsePack("ladder.yaml", []byte(`
pack: ladder
version: "1"
jurisdictions: [XX]
enforcement:
  window: 48h
  appetite:
    categories: [{name: unlabeled, rules: [CN-IMP-01, "CN-EXP-*"], tolerated_rate: 0.005}]
  levels:
    - {name: base, action: watch}
    - {name: warning, action: warn, escalate_at: 10}
`))
	if len(probs) > 0 {
		t.Fatalf("problems: %v", probs)
	}
	if p.Enforcement == nil || len(p.Enforcement.Levels) != 2 || p.Enforcement.Window.Hours() != 48 || p.Enforcement.Appetite.Categories[0].ToleratedRate != 0.005 {
		t.Errorf("parsed %+v", p.Enforcement)
	}
	if _, err := Compile([]*Pack{p}, Options{}); err != nil {
		t.Errorf("a pack of only an enforcement section does not compile: %v", err)
	}
	// Without rules or enforcement a pack is still an error.
	if _, probs := ParsePack("empty.yaml", []byte("pack: e\nversion: '1'\njurisdictions: [XX]\n")); len(probs) != 1 || !strings.Contains(probs[0].Msg, "at least one rule") {
		t.Errorf("empty pack: %v", probs)
	}
}

func TestEnforcementSectionEveryProblemListed(t *testing.T) {
	_, probs := ParsePack("bad.yaml", []byte(`
pack: bad
version: "1"
jurisdictions: [XX]
enforcement:
  window: -1h
  buckets: 5000
  self_report_factor: 2
  weights:
    severity: {huge: 3, high: -1}
    layer: {space: 2}
  appetite:
    confidence: 1
    categories:
      - {name: a, rules: [], tolerated_rate: 1.5}
      - {name: a, rules: ["*"]}
  levels:
    - {name: base, action: watch, escalate_at: 3}
    - {name: "", escalate_at: 0}
`))
	want := []string{
		"enforcement.window: must not be negative",
		"enforcement.buckets: must be between 1 and 1024",
		"enforcement.self_report_factor: 2 is not in [0, 1]",
		"enforcement.weights.severity.huge: unknown severity",
		"enforcement.weights.severity.high: -1 is not a finite number",
		"enforcement.weights.layer.space: unknown layer",
		"enforcement.appetite.confidence: 1 is not in [0, 1)",
		"enforcement.appetite.categories[0].rules: at least one rule id",
		"enforcement.appetite.categories[0].tolerated_rate: 1.5 is not in [0, 1]",
		"enforcement.appetite.categories[1].name: duplicate category \"a\"",
		"enforcement.appetite.categories[1].rules[0]: empty rule id",
		"enforcement.levels[0].escalate_at: level 0 is where providers start",
		"enforcement.levels[1].name: is required",
		"enforcement.levels[1].action: is required",
		"enforcement.levels[1].escalate_at: 0: must be a finite number of points > 0",
	}
	var got []string
	for _, p := range probs {
		got = append(got, p.String())
	}
	all := strings.Join(got, "\n")
	for _, w := range want {
		if !strings.Contains(all, "bad.yaml: "+w) {
			t.Errorf("missing problem %q in:\n%s", w, all)
		}
	}
	if len(probs) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(probs), len(want), all)
	}
	// Unknown keys are errors, as everywhere in a pack.
	_, probs = ParsePack("typo.yaml", []byte("pack: t\nversion: '1'\njurisdictions: [XX]\nenforcement:\n  levles: []\n"))
	if len(probs) == 0 || !strings.Contains(probs[0].String(), "levles") {
		t.Errorf("unknown key: %v", probs)
	}
}
