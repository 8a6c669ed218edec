// Package exprlang benchmarks the two candidate rule-condition languages for the rules
// engine, cel-go (cel.dev/cel-go) and expr (github.com/expr-lang/expr), on a small copy of
// the content record. It is its own module so that CEL's dependencies (protobuf, antlr,
// genproto) never enter the main module; nothing in aigcwatch imports it.
//
// It leaves out everything but the measurement: the types here mirror record.Record only as
// far as the benchmarked conditions need. docs/benchmarks/exprlang.md holds the results.
package exprlang

import (
	"time"
)

// Env is the environment a rule condition sees: the record and the detector findings.
// The expr tags name the fields for both languages (CEL reads them through
// ext.ParseStructTag("expr")), as record.Record already carries expr tags.
//
// Record is a pointer on purpose: with a value field, expr copies the whole Record into an
// interface on every `record.x` access (an early run measured 576 B and 3 allocs/op for
// condition a, one Record copy per field read).
type Env struct {
	Record   *Record   `expr:"record"`
	Findings []Finding `expr:"findings"`
}

// Record mirrors the part of record.Record the conditions use.
type Record struct {
	ID           string    `expr:"id"`
	Time         time.Time `expr:"time"`
	Jurisdiction string    `expr:"jurisdiction"`
	Modality     string    `expr:"modality"`
	Role         string    `expr:"role"`
	Text         string    `expr:"text"`
	DeclaredAI   *bool     `expr:"declared_ai"`
	Labels       Labels    `expr:"labels"`
	C2PA         C2PA      `expr:"c2pa"`
	Signals      Signals   `expr:"signals"`
}

// Labels holds the implicit-label carriers found in the file.
type Labels struct {
	Implicit []ImplicitLabel `expr:"implicit"`
}

// ImplicitLabel is one metadata carrier and its raw value.
type ImplicitLabel struct {
	Carrier string `expr:"carrier"`
	Raw     string `expr:"raw"`
}

// C2PA is the content-credentials summary.
type C2PA struct {
	Present         bool   `expr:"present"`
	ValidationState string `expr:"validation_state"`
}

// Signals are upstream classifier scores.
type Signals struct {
	AIScore       float64 `expr:"ai_score"`
	DeepfakeScore float64 `expr:"deepfake_score"`
	Intimate      bool    `expr:"intimate"`
}

// Finding is one detector result.
type Finding struct {
	Detector string `expr:"detector"`
	Category string `expr:"category"`
	Severity int    `expr:"severity"`
}

// HasCategory reports whether any finding has the category. expr exposes methods of the
// environment struct as functions, so a rule can write HasCategory("x") and the helper
// sees the current environment; CEL has no such access (see HelperCEL).
func (e Env) HasCategory(category string) bool {
	for _, f := range e.Findings {
		if f.Category == category {
			return true
		}
	}
	return false
}

// Timestamp parses an RFC 3339 time. CompileExpr registers it with expr.ConstExpr, so a
// call with a literal argument is folded at compile time; expr's builtin date() is not,
// and re-parses its argument on every evaluation.
func (*Env) Timestamp(s string) (time.Time, error) { return time.Parse(time.RFC3339, s) }

// AsMap converts the environment to nested map[string]any, the shape a schema-less
// engine would evaluate (for the map-environment variants of the benchmark).
func (e *Env) AsMap() map[string]any {
	implicit := make([]any, len(e.Record.Labels.Implicit))
	for i, l := range e.Record.Labels.Implicit {
		implicit[i] = map[string]any{"carrier": l.Carrier, "raw": l.Raw}
	}
	findings := make([]any, len(e.Findings))
	for i, f := range e.Findings {
		findings[i] = map[string]any{"detector": f.Detector, "category": f.Category, "severity": f.Severity}
	}
	r := *e.Record
	var declared any
	if r.DeclaredAI != nil {
		declared = *r.DeclaredAI
	}
	return map[string]any{
		"record": map[string]any{
			"id":           r.ID,
			"time":         r.Time,
			"jurisdiction": r.Jurisdiction,
			"modality":     r.Modality,
			"role":         r.Role,
			"text":         r.Text,
			"declared_ai":  declared,
			"labels":       map[string]any{"implicit": implicit},
			"c2pa":         map[string]any{"present": r.C2PA.Present, "validation_state": r.C2PA.ValidationState},
			"signals": map[string]any{
				"ai_score": r.Signals.AIScore, "deepfake_score": r.Signals.DeepfakeScore, "intimate": r.Signals.Intimate,
			},
		},
		"findings": findings,
	}
}
