package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/expr-lang/expr/parser"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/record"
)

// packEngine compiles one pack written in YAML.
func packEngine(t *testing.T, yaml string) *Engine {
	t.Helper()
	p, probs := ParsePack("test.yaml", []byte(yaml))
	if len(probs) > 0 {
		t.Fatalf("parse: %v", probs)
	}
	e, err := Compile([]*Pack{p}, Options{DefaultJurisdiction: "CN"})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

const scopePack = `pack: scope
version: "1"
jurisdictions: [CN]
defaults: {layer: content, severity: high, basis: b, authority: a}
rules:
  - id: ASSUME
    title: duty applies unless the record says otherwise
    decision: label
    when: has("x") && record.context.deep_synthesis != false
  - id: SILENT
    title: duty only where the record says so
    decision: review
    when: has("y") && record.context.political_ad == true
  - id: NEAR
    title: a near b
    decision: block
    when: near("a", "b", 10)
  - id: EITHER
    title: generated output, said or assumed
    decision: review
    when: has("w") && (record.role == "provider" || record.declared_ai != false)
`

func evaluate(e *Engine, r *record.Record, fs ...detectors.Finding) *Verdict {
	var s Scratch
	var v Verdict
	e.Evaluate(&s, r, &detectors.Result{Findings: fs}, &v)
	return &v
}

func TestScopeAssumedIsNoted(t *testing.T) {
	e := packEngine(t, scopePack)
	f := detectors.Finding{Detector: "d", Category: "x"}
	yes, no := true, false
	for _, c := range []struct {
		name  string
		ds    *bool
		fires bool
		note  bool
	}{
		{"absent: applies, noted", nil, true, true},
		{"true: applies, no note", &yes, true, false},
		{"false: opted out", &no, false, false},
	} {
		r := &record.Record{ID: "r", Jurisdiction: "CN", Time: time.Now(), Context: record.Context{DeepSynthesis: c.ds}}
		v := evaluate(e, r, f)
		if fired := len(v.Rules) == 1; fired != c.fires {
			t.Errorf("%s: fired %v, want %v", c.name, fired, c.fires)
		}
		if noted := len(v.Notes) == 1; noted != c.note {
			t.Fatalf("%s: notes %+v, want note %v", c.name, v.Notes, c.note)
		}
		if c.note {
			n := v.Notes[0]
			if n.Rule != "ASSUME" || n.Kind != NoteScopeAssumed || n.Field != "context.deep_synthesis" {
				t.Errorf("%s: note %+v", c.name, n)
			}
			if js := string(v.AppendJSON(nil)); !strings.Contains(js, `"notes":[{"rule":"ASSUME","kind":"scope_assumed","field":"context.deep_synthesis"`) {
				t.Errorf("%s: verdict JSON lacks the note: %s", c.name, js)
			}
		}
	}
}

// TestScopeNotedOnlyWhenNeeded: a fact is noted as assumed only when the rule would not
// have fired had the record said false; a provider's record fires EITHER whatever
// declared_ai says, so nothing is assumed there, and the record itself is not changed.
func TestScopeNotedOnlyWhenNeeded(t *testing.T) {
	e := packEngine(t, scopePack)
	f := detectors.Finding{Detector: "d", Category: "w"}
	no := false
	for _, c := range []struct {
		role     string
		declared *bool
		fires    bool
		note     bool
	}{
		{"provider", nil, true, false},
		{"platform", nil, true, true},
		{"platform", &no, false, false},
		{"provider", &no, true, false},
	} {
		r := &record.Record{ID: "r", Jurisdiction: "CN", Role: c.role, DeclaredAI: c.declared, Time: time.Now()}
		v := evaluate(e, r, f)
		if fired := len(v.Rules) == 1; fired != c.fires {
			t.Errorf("%s, declared_ai %v: fired %v, want %v", c.role, c.declared, fired, c.fires)
		}
		if noted := len(v.Notes) == 1 && v.Notes[0].Field == "declared_ai"; noted != c.note || len(v.Notes) > 1 {
			t.Errorf("%s, declared_ai %v: notes %+v, want a declared_ai note: %v", c.role, c.declared, v.Notes, c.note)
		}
		if r.DeclaredAI != c.declared {
			t.Errorf("the record was changed: declared_ai %v", r.DeclaredAI)
		}
	}
}

func TestLintWarnsAboutSilentScope(t *testing.T) {
	e := packEngine(t, scopePack)
	ws := e.Warnings()
	if len(ws) != 1 || ws[0].Rule != "SILENT" || !strings.Contains(ws[0].Msg, "record.context.political_ad == true") ||
		!strings.Contains(ws[0].Msg, "!= false") {
		t.Fatalf("warnings %v, want one about SILENT's == true", ws)
	}
	// Explicit forms do not warn.
	for _, when := range []string{`(record.context.political_ad ?? false)`, `record.context.political_ad != false`, `record.text == "x"`} {
		c, err := compileCondition(&Rule{ID: "x", When: when})
		if err != nil {
			t.Fatal(err)
		}
		if len(c.warnings) != 0 {
			t.Errorf("%s: warned %v", when, c.warnings)
		}
	}
}

func TestNear(t *testing.T) {
	e := packEngine(t, scopePack)
	r := &record.Record{ID: "r", Jurisdiction: "CN"}
	at := func(cat string, s, end int) detectors.Finding {
		return detectors.Finding{Detector: "lexicon", Category: cat, Evidence: detectors.Evidence{Start: s, End: end}}
	}
	for _, c := range []struct {
		name string
		fs   []detectors.Finding
		want bool
	}{
		{"overlapping", []detectors.Finding{at("a", 0, 10), at("b", 5, 12)}, true},
		{"b after a within 10", []detectors.Finding{at("a", 0, 10), at("b", 20, 25)}, true},
		{"b before a within 10", []detectors.Finding{at("b", 0, 5), at("a", 15, 20)}, true},
		{"too far", []detectors.Finding{at("a", 0, 10), at("b", 21, 25)}, false},
		{"only a", []detectors.Finding{at("a", 0, 10)}, false},
		{"other field", []detectors.Finding{at("a", 0, 10), {Category: "b", Evidence: detectors.Evidence{Field: "title", Start: 0, End: 1}}}, false},
	} {
		if got := len(evaluate(e, r, c.fs...).Rules) == 1; got != c.want {
			t.Errorf("%s: fired %v, want %v", c.name, got, c.want)
		}
	}
	for _, bad := range []string{`near("a", "b", -1)`, `near("a", "b", x)`, `near("a", record.text, 3)`} {
		if _, err := compileCondition(&Rule{ID: "x", When: bad}); err == nil {
			t.Errorf("%s: compiled, want an error", bad)
		}
	}
	c, _ := compileCondition(&Rule{ID: "x", When: `near("a", "b", 3)`})
	if c.trig.always() || strings.Join(c.trig.cats, ",") != "a" {
		t.Errorf("near is indexed by its first category: %+v", c.trig)
	}
}

func TestUnknownJurisdictionIsAProblem(t *testing.T) {
	e, _ := embedded(t)
	for j, unknown := range map[string]bool{"": false, "CN": false, "US-CA": false, "GB": false, "FR": false, "XX": true, "BR": true} {
		v := evaluate(e, &record.Record{ID: "r", Jurisdiction: j})
		got := false
		for _, p := range v.Problems {
			if p.Detector == "rules" && p.Field == "jurisdiction" && p.Reason == ReasonUnknownJurisdiction {
				got = true
			}
		}
		if got != unknown || e.Known(j) == unknown {
			t.Errorf("%q: problem %v, Known %v; want unknown %v", j, got, e.Known(j), unknown)
		}
	}
}

func TestActed(t *testing.T) {
	e := packEngine(t, scopePack)
	r := &record.Record{ID: "r", Jurisdiction: "CN"}
	v := evaluate(e, r, detectors.Finding{Category: "x"}, detectors.Finding{Category: "z"})
	if len(v.Rules) != 1 || !v.Acted(0) || v.Acted(1) {
		t.Fatalf("rules %v: acted(x)=%v acted(z)=%v, want true, false", v.RuleIDs(), v.Acted(0), v.Acted(1))
	}
}

// TestConjunctAssumptions: an assumption that is a top-level conjunct is needed whenever
// the rule fires (no second evaluation); one under || is not known to be.
func TestConjunctAssumptions(t *testing.T) {
	for when, want := range map[string]string{
		`has("x") && record.context.deep_synthesis != false`:                     "context.deep_synthesis",
		`has("x") and (record.declared_ai ?? true) and record.text != ""`:        "declared_ai",
		`has("x") && (record.role == "provider" || record.declared_ai != false)`: "",
		`false != record.declared_ai && (has("a") || has("b"))`:                  "declared_ai",
		`has("x") && !(record.declared_ai != false)`:                             "",
	} {
		tree, err := parser.Parse(when)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		for k := range conjunctAssumptions(tree.Node) {
			got = k
		}
		if got != want {
			t.Errorf("%s: conjunct assumption %q, want %q", when, got, want)
		}
	}
}
