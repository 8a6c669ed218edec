package rules

import (
	"fmt"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/record"
)

// Env is what a rule's condition sees:
//
//	record    the content record (snake_case fields, as in JSON)
//	findings  every finding of every detector
//	label     the label detector's facts (see detectors.LabelFacts)
//	now       the record's time, or the processing time when it has none
//
// and these functions:
//
//	has(category)            a finding of that category exists
//	countOf(category)        how many findings of that category
//	atLeast(category, sev)   a finding of that category with severity ≥ sev ("low", … "critical")
//	detected(detector)       the detector reported any finding
//	near(a, b, n)            findings of categories a and b within n bytes of each other in one text field
//	date("2026-08-02")       a time (UTC midnight, or RFC 3339), folded to a constant at load
//
// Pointers in the record may be nil: use ?. (record.c2pa?.present) or compare with nil.
type Env struct {
	Record   *record.Record        `expr:"record"`
	Findings []detectors.Finding   `expr:"findings"`
	Label    *detectors.LabelFacts `expr:"label"`
	Now      time.Time             `expr:"now"`
}

// The env-aware helpers are rewritten at compile time from has(x) to _has($env, x), so
// they reach the current record's findings without reflection on methods.
var envFuncs = map[string]string{"has": "_has", "countOf": "_count", "atLeast": "_atLeast", "detected": "_detected", "near": "_near"}

var funcOptions = []expr.Option{
	expr.Function("_has", func(p ...any) (any, error) {
		return p[0].(*Env).count(p[1].(string), detectors.Info) > 0, nil
	}, new(func(*Env, string) bool)),
	expr.Function("_count", func(p ...any) (any, error) {
		return p[0].(*Env).count(p[1].(string), detectors.Info), nil
	}, new(func(*Env, string) int)),
	expr.Function("_atLeast", func(p ...any) (any, error) {
		sev, err := detectors.ParseSeverity(p[2].(string))
		if err != nil {
			return nil, err
		}
		return p[0].(*Env).count(p[1].(string), sev) > 0, nil
	}, new(func(*Env, string, string) bool)),
	expr.Function("_near", func(p ...any) (any, error) {
		return p[0].(*Env).near(p[1].(string), p[2].(string), p[3].(int)), nil
	}, new(func(*Env, string, string, int) bool)),
	expr.Function("_detected", func(p ...any) (any, error) {
		e, d := p[0].(*Env), p[1].(string)
		for i := range e.Findings {
			if e.Findings[i].Detector == d {
				return true, nil
			}
		}
		return false, nil
	}, new(func(*Env, string) bool)),
}

// near reports whether a finding of category a and one of category b lie within
// `within` bytes of each other in the same text field (overlapping counts as 0).
func (e *Env) near(a, b string, within int) bool {
	for i := range e.Findings {
		fa := &e.Findings[i]
		if fa.Category != a {
			continue
		}
		for j := range e.Findings {
			fb := &e.Findings[j]
			if fb.Category != b || fb.Evidence.Field != fa.Evidence.Field {
				continue
			}
			if gap := max(fb.Evidence.Start-fa.Evidence.End, fa.Evidence.Start-fb.Evidence.End, 0); gap <= within {
				return true
			}
		}
	}
	return false
}

func (e *Env) count(cat string, min detectors.Severity) int {
	n := 0
	for i := range e.Findings {
		if e.Findings[i].Category == cat && e.Findings[i].Severity >= min {
			n++
		}
	}
	return n
}

// foldHas replaces has(cat) with true, for a program run only when cat is present.
type foldHas struct{ cat string }

func (f foldHas) Visit(n *ast.Node) {
	c, ok := (*n).(*ast.CallNode)
	if !ok || len(c.Arguments) != 1 {
		return
	}
	if id, ok := c.Callee.(*ast.IdentifierNode); ok && id.Value == "has" {
		if s, ok := c.Arguments[0].(*ast.StringNode); ok && s.Value == f.cat {
			ast.Patch(n, &ast.BoolNode{Value: true})
		}
	}
}

type envPatch struct{}

func (envPatch) Visit(n *ast.Node) {
	// date("2026-08-02") with a literal is folded to a constant: expr's builtin would
	// parse the string again on every evaluation.
	if b, ok := (*n).(*ast.BuiltinNode); ok && b.Name == "date" && len(b.Arguments) == 1 {
		if s, ok := b.Arguments[0].(*ast.StringNode); ok {
			if t, err := parseDate(s.Value); err == nil {
				ast.Patch(n, &ast.ConstantNode{Value: t})
			}
		}
		return
	}
	c, ok := (*n).(*ast.CallNode)
	if !ok {
		return
	}
	id, ok := c.Callee.(*ast.IdentifierNode)
	if !ok {
		return
	}
	if name, ok := envFuncs[id.Value]; ok {
		id.Value = name
		c.Arguments = append([]ast.Node{&ast.IdentifierNode{Value: "$env"}}, c.Arguments...)
	}
}

func compileCondition(r *Rule) (*compiled, error) {
	tree, err := parser.Parse(r.When)
	if err != nil {
		return nil, fmt.Errorf("when: %v", oneLine(err))
	}
	if err := checkHelperArgs(tree.Node); err != nil {
		return nil, fmt.Errorf("when: %v", err)
	}
	opts := append([]expr.Option{expr.Env(&Env{}), expr.AsBool(), expr.Patch(envPatch{})}, funcOptions...)
	prog, err := expr.Compile(r.When, opts...)
	if err != nil {
		return nil, fmt.Errorf("when: %v", oneLine(err))
	}
	c := &compiled{Rule: r, program: prog, fast: prog, trig: needs(tree.Node), guard: guardOf(tree.Node)}
	r.refs = refsOf(tree.Node)
	assumed, warnings := scopeOf(tree.Node)
	c.warnings = warnings
	if c.assumed, err = compileAssumptions(assumed); err != nil {
		return nil, fmt.Errorf("when: %v", oneLine(err))
	}
	conj := conjunctAssumptions(tree.Node)
	for i := range c.assumed {
		c.assumed[i].conjunct = conj[c.assumed[i].field]
	}
	// The fast program is what the index runs: only for candidates, and only after the
	// guard admitted the record. Both facts make parts of the condition constant.
	fopts := []expr.Option{expr.Env(&Env{}), expr.AsBool()}
	specialise := false
	if len(c.trig.cats) == 1 && len(c.trig.dets) == 0 {
		// The rule is evaluated only when a finding of category x exists, so has("x") is
		// true wherever it appears: fold it. A condition that is exactly has("x") then needs
		// no evaluation at all; others run a program without that function call. The
		// original program stays for evaluating the rule outside the index (tests, tools).
		x := c.trig.cats[0]
		if call, ok := tree.Node.(*ast.CallNode); ok {
			if id, ok := call.Callee.(*ast.IdentifierNode); ok && id.Value == "has" {
				c.byTrigger = true
			}
		}
		fopts = append(fopts, expr.Patch(foldHas{x}))
		specialise = !c.byTrigger
	}
	// The top-level conjuncts on record.modality and record.role are what the guard
	// checked: fold them to true (a Chinese text record meets CN-EXP-01's role and modality
	// tests before its program runs; the VM need not fetch and compare them again).
	src := r.When
	if !c.byTrigger && foldGuardConjuncts(&tree.Node) {
		src, specialise = tree.Node.String(), true
	}
	if specialise {
		fopts = append(append(fopts, expr.Patch(envPatch{})), funcOptions...)
		if fast, err := expr.Compile(src, fopts...); err == nil {
			c.fast = fast
		}
	}
	return c, nil
}

// foldGuardConjuncts replaces the conjuncts of the top-level && chain that guardOf turns
// into a guard (record.modality == "x", record.role in ["a", "b"]) by true, and reports
// whether it replaced any. Sound because guard.admits(r) implies each of them: the guard
// is the intersection of their value sets, and each value has its own bit.
func foldGuardConjuncts(n *ast.Node) bool {
	b, ok := (*n).(*ast.BinaryNode)
	if !ok {
		return false
	}
	switch b.Operator {
	case "&&", "and":
		l := foldGuardConjuncts(&b.Left)
		r := foldGuardConjuncts(&b.Right)
		return l || r
	case "==", "in":
		if guardOf(b) != (guard{}) {
			*n = &ast.BoolNode{Value: true}
			return true
		}
	}
	return false
}

// checkHelperArgs requires constant arguments for has/count/atLeast/detected, so rules
// can be indexed by category and a misspelt severity is caught at load time.
func checkHelperArgs(n ast.Node) error {
	var err error
	ast.Find(n, func(n ast.Node) bool {
		c, ok := n.(*ast.CallNode)
		if !ok || err != nil {
			return false
		}
		id, ok := c.Callee.(*ast.IdentifierNode)
		if !ok {
			return false
		}
		if _, ok := envFuncs[id.Value]; !ok {
			return false
		}
		for i, a := range c.Arguments {
			if id.Value == "near" && i == 2 {
				if k, ok := a.(*ast.IntegerNode); !ok || k.Value < 0 {
					err = fmt.Errorf("near: argument 3 (distance in bytes) must be a non-negative integer literal")
					return true
				}
				continue
			}
			s, ok := a.(*ast.StringNode)
			if !ok {
				err = fmt.Errorf("%s: argument %d must be a string literal", id.Value, i+1)
				return true
			}
			if id.Value == "atLeast" && i == 1 {
				if _, perr := detectors.ParseSeverity(s.Value); perr != nil {
					err = fmt.Errorf("atLeast: %v", trimPkg(perr))
					return true
				}
			}
		}
		return false
	})
	return err
}

func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}

func oneLine(err error) string {
	s := err.Error()
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}
