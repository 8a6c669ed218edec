package rules

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/record"
)

// Example is one of a pack's own test cases: a record in (plus, optionally, findings
// injected as if a detector had made them), the expected verdict out.
type Example struct {
	Name     string         `yaml:"name"`
	Record   map[string]any `yaml:"record"`
	Findings []FindingSpec  `yaml:"findings"`
	Expect   Expectation    `yaml:"expect"`
}

// FindingSpec is an injected finding in an example.
type FindingSpec struct {
	Detector string `yaml:"detector"`
	Category string `yaml:"category"`
	Severity string `yaml:"severity"`
	Layer    string `yaml:"layer"`
	Term     string `yaml:"term"`
}

// Expectation is what an example must produce. Rules is the exact set of fired rule ids
// (order does not matter); an empty list means none may fire.
type Expectation struct {
	Decision    string   `yaml:"decision"`
	Rules       []string `yaml:"rules"`
	LabelNotice string   `yaml:"label_notice"`
	Tier        string   `yaml:"tier"`
	// Assumed, when given, is the exact set of record fields the fired rules assumed
	// (notes of kind scope_assumed); [] means none.
	Assumed *[]string `yaml:"assumed"`
}

// ExampleResult is the outcome of one example.
type ExampleResult struct {
	Pack, File, Name string
	Failures         []string // empty when the example passed
}

// RunExamples runs every pack's examples through the engine, with det (may be nil)
// running before the injected findings are added. Examples are evaluated at their
// record's time, or at now when they have none.
func RunExamples(ctx context.Context, e *Engine, packs []*Pack, det detectors.Detector, now time.Time) []ExampleResult {
	var out []ExampleResult
	var s Scratch
	s.Now = func() time.Time { return now }
	for _, p := range packs {
		for i, ex := range p.Examples {
			name := ex.Name
			if name == "" {
				name = fmt.Sprintf("example %d", i+1)
			}
			res := ExampleResult{Pack: p.Name, File: p.File, Name: name}
			res.Failures = runExample(ctx, e, &s, det, ex)
			out = append(out, res)
		}
	}
	return out
}

func runExample(ctx context.Context, e *Engine, s *Scratch, det detectors.Detector, ex Example) []string {
	var fails []string
	raw, err := json.Marshal(ex.Record)
	if err != nil {
		return []string{"record: " + err.Error()}
	}
	var r record.Record
	if err := record.Decode(raw, record.Limits{}, &r); err != nil {
		return []string{"record rejected: " + err.Error()}
	}
	var res detectors.Result
	if det != nil {
		if err := det.Detect(ctx, &r, &res); err != nil {
			fails = append(fails, "detectors: "+err.Error())
		}
	}
	for _, f := range ex.Findings {
		sev, err := detectors.ParseSeverity(orDefault(f.Severity, "medium"))
		if err != nil {
			fails = append(fails, "findings: "+err.Error())
		}
		layer, err := detectors.ParseLayer(orDefault(f.Layer, "content"))
		if err != nil {
			fails = append(fails, "findings: "+err.Error())
		}
		res.Findings = append(res.Findings, detectors.Finding{Detector: orDefault(f.Detector, "example"), Category: f.Category,
			Severity: sev, Layer: layer, Evidence: detectors.Evidence{Term: f.Term}})
	}
	var v Verdict
	e.Evaluate(s, &r, &res, &v)
	if ex.Expect.Decision != "" && v.Decision.String() != ex.Expect.Decision {
		fails = append(fails, fmt.Sprintf("decision %s, want %s", v.Decision, ex.Expect.Decision))
	}
	got := v.RuleIDs()
	want := slices.Clone(ex.Expect.Rules)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		fails = append(fails, fmt.Sprintf("rules [%s], want [%s]", strings.Join(got, " "), strings.Join(want, " ")))
	}
	if ex.Expect.LabelNotice != "" && v.LabelNotice != ex.Expect.LabelNotice {
		fails = append(fails, fmt.Sprintf("label_notice %q, want %q", v.LabelNotice, ex.Expect.LabelNotice))
	}
	if ex.Expect.Tier != "" && v.Tier.String() != ex.Expect.Tier {
		fails = append(fails, fmt.Sprintf("tier %s, want %s", v.Tier, ex.Expect.Tier))
	}
	if ex.Expect.Assumed != nil {
		var got []string
		for _, n := range v.Notes {
			if n.Kind == NoteScopeAssumed && !slices.Contains(got, n.Field) {
				got = append(got, n.Field)
			}
		}
		want := slices.Clone(*ex.Expect.Assumed)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			fails = append(fails, fmt.Sprintf("assumed [%s], want [%s]", strings.Join(got, " "), strings.Join(want, " ")))
		}
	}
	for _, p := range v.Problems {
		if p.Reason == "rule_error" {
			fails = append(fails, "rule "+p.Field+" failed at run time (nil pointer? use ?.)")
		}
	}
	return fails
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
