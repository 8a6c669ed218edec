package label_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aigcwatch/aigcwatch/defaults"
	"github.com/aigcwatch/aigcwatch/detectors/label"
	"github.com/aigcwatch/aigcwatch/rules"
)

// exampleNow is when examples without a time are evaluated (as in rules' own test).
var exampleNow = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func compile(t testing.TB, packs []*rules.Pack) *rules.Engine {
	t.Helper()
	e, err := rules.Compile(packs, rules.Options{DefaultJurisdiction: "CN"})
	if err != nil {
		t.Fatalf("compile packs: %v", err)
	}
	return e
}

func embeddedPacks(t testing.TB) []*rules.Pack {
	t.Helper()
	packs, err := rules.LoadFS(defaults.Packs(), ".")
	if err != nil {
		t.Fatalf("embedded packs: %v", err)
	}
	return packs
}

func runAll(t *testing.T, e *rules.Engine, packs []*rules.Pack) int {
	t.Helper()
	det := label.New(label.Config{Now: func() time.Time { return exampleNow }})
	results := rules.RunExamples(context.Background(), e, packs, det, exampleNow)
	for _, r := range results {
		if len(r.Failures) > 0 {
			t.Errorf("%s: %s: %s", r.File, r.Name, strings.Join(r.Failures, "; "))
		}
	}
	return len(results)
}

// TestEmbeddedExamplesWithLabelDetector runs the labeling packs' examples with the label
// detector alone in front of the rules (all packs loaded, as in production). Label rules
// read label.* facts, so they only pass with the detector. The other packs' examples need
// other detectors too: pipeline.TestEmbeddedPackExamples runs every example with all of them.
func TestEmbeddedExamplesWithLabelDetector(t *testing.T) {
	packs := embeddedPacks(t)
	var labeling []*rules.Pack
	for _, p := range packs {
		if !strings.HasSuffix(p.Name, "-content") && !strings.HasSuffix(p.Name, "-element") && !strings.HasSuffix(p.Name, "-industry") &&
			p.Name != "technology" && p.Name != "global-signals" {
			labeling = append(labeling, p)
		}
	}
	if n := runAll(t, compile(t, packs), labeling); n < 100 {
		t.Errorf("only %d examples in the labeling packs", n)
	}
}

// TestStrictPackExamples runs the opt-in strict pack (defaults/strict)'s examples with the strict pack
// loaded on top of the embedded ones.
func TestStrictPackExamples(t *testing.T) {
	strict, err := rules.LoadPath(filepath.Join("..", "..", "defaults", "strict"))
	if err != nil {
		t.Fatalf("strict pack: %v", err)
	}
	all := append(embeddedPacks(t), strict...)
	if n := runAll(t, compile(t, all), strict); n < 6 {
		t.Errorf("only %d examples in the strict pack", n)
	}
}

// TestEveryCheckHasExamples holds the issue's "every check has passing, failing and edge
// examples" to the packs: each check ID of LABELING.md section 6 that has a rule must be
// named by at least three examples, one of them named "fail" and one "pass" or "edge".
func TestEveryCheckHasExamples(t *testing.T) {
	packs := embeddedPacks(t)
	names := map[string][]string{}
	for _, p := range packs {
		for _, ex := range p.Examples {
			id, _, _ := strings.Cut(ex.Name, " ")
			names[id] = append(names[id], ex.Name)
		}
	}
	for _, id := range checkIDs {
		ns := names[id]
		var fails, others int
		for _, n := range ns {
			// Names read "<check> <kind> - <what>".
			switch f := strings.Fields(n); f[1] {
			case "fail", "warn", "inconclusive":
				fails++
			case "pass", "edge":
				others++
			}
		}
		if len(ns) < 3 || fails == 0 || others == 0 {
			t.Errorf("%s: %d examples (%d failing, %d passing or edge), want at least 3 with both kinds", id, len(ns), fails, others)
		}
	}
}

// checkIDs are the checks of LABELING.md section 6 implemented as rules.
var checkIDs = []string{
	"CN-IMP-01", "CN-IMP-02", "CN-IMP-03", "CN-IMP-04", "CN-IMP-05", "CN-IMP-06", "CN-IMP-07", "CN-IMP-08", "CN-IMP-09",
	"CN-PLAT-01", "CN-PLAT-02", "CN-PLAT-03", "CN-TAMPER-01",
	"CN-EXP-01", "CN-EXP-02", "CN-EXP-03", "CN-EXP-04", "CN-EXP-05", "CN-EXP-06",
	"CN-ILLEGAL-01", "CN-DS-01",
	"EU-50-2", "EU-50-4a", "EU-50-4b", "EU-CoP-1.2", "EU-5-NCII", "UK-NCII",
	"C2PA-01", "C2PA-02", "X-CONSIST-01", "US-CA-942", "US-CA-2355",
}

// TestEveryCheckHasARule checks that each check ID is a rule id in the embedded packs.
func TestEveryCheckHasARule(t *testing.T) {
	e := compile(t, embeddedPacks(t))
	ids := map[string]bool{}
	for _, r := range e.Rules() {
		ids[r.ID] = true
	}
	for _, id := range checkIDs {
		if !ids[id] {
			t.Errorf("no rule %s", id)
		}
	}
}

func TestMain(m *testing.M) {
	// The strict pack is read from the source tree; run from the package directory.
	if _, err := os.Stat(filepath.Join("..", "..", "defaults", "packs")); err != nil {
		panic("run the label tests from detectors/label: " + err.Error())
	}
	os.Exit(m.Run())
}

// TestPackCategoriesExist catches a misspelt has("label.…") in a pack, which would
// silently never fire: every label category a rule names must be one the detector emits.
func TestPackCategoriesExist(t *testing.T) {
	emitted := map[string]bool{}
	for _, c := range label.Categories() {
		emitted[c] = true
	}
	strict, err := rules.LoadPath(filepath.Join("..", "..", "defaults", "strict"))
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, p := range append(embeddedPacks(t), strict...) {
		for _, r := range p.Rules {
			rest := r.When
			for {
				i := strings.Index(rest, `"label.`)
				if i < 0 {
					break
				}
				rest = rest[i+1:]
				cat := rest[:strings.IndexByte(rest, '"')]
				seen++
				if !emitted[cat] {
					t.Errorf("%s: rule %s names category %q, which the label detector never emits", p.File, r.ID, cat)
				}
			}
		}
	}
	if seen < 30 {
		t.Errorf("only %d label categories named by rules", seen)
	}
}
