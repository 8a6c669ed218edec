package rules

import (
	"testing"

	"github.com/aigcwatch/aigcwatch/detectors"
)

func TestVerdictHandled(t *testing.T) {
	fa := detectors.Finding{Detector: "lexicon", Category: "a"}
	fb := detectors.Finding{Detector: "lexicon", Category: "b"}
	fl := detectors.Finding{Detector: "label", Category: "label.x"}
	cases := []struct {
		name    string
		when    []string // conditions of the fired rules
		handled map[string]bool
	}{
		{"none fired", nil, map[string]bool{"a": false, "b": false, "label.x": false}},
		{"has a", []string{`has("a")`}, map[string]bool{"a": true, "b": false, "label.x": false}},
		{"both sides of and", []string{`has("a") && atLeast("b", "high")`}, map[string]bool{"a": true, "b": true, "label.x": false}},
		{"countOf", []string{`countOf("b") >= 2`}, map[string]bool{"a": false, "b": true, "label.x": false}},
		{"detected", []string{`detected("label")`}, map[string]bool{"a": false, "b": false, "label.x": true}},
		{"two rules", []string{`has("a")`, `has("label.x")`}, map[string]bool{"a": true, "b": false, "label.x": true}},
		{"opaque findings", []string{`len(findings) > 2`}, map[string]bool{"a": true, "b": true, "label.x": true}},
		{"no finding named", []string{`record.text != ""`}, map[string]bool{"a": false, "b": false, "label.x": false}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var v Verdict
			for _, w := range c.when {
				r := &Rule{ID: "r", When: w}
				if _, err := compileCondition(r); err != nil {
					t.Fatalf("%s: %v", w, err)
				}
				v.Rules = append(v.Rules, r)
			}
			for _, f := range []detectors.Finding{fa, fb, fl} {
				if got := v.Handled(&f); got != c.handled[f.Category] {
					t.Errorf("Handled(%s) = %v, want %v", f.Category, got, c.handled[f.Category])
				}
			}
		})
	}
	var v Verdict
	r := &Rule{ID: "r", When: `has("a")`}
	compileCondition(r)
	v.Rules = append(v.Rules, r)
	if n := testing.AllocsPerRun(100, func() { v.Handled(&fb) }); n != 0 {
		t.Errorf("Handled allocates %v times", n)
	}
}
