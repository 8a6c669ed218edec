package rules

import (
	"slices"

	"github.com/expr-lang/expr/ast"

	"github.com/aigcwatch/aigcwatch/detectors"
)

// mentions is what a rule's condition names of the findings: categories in has, atLeast
// and countOf, detectors in detected. opaque is set when the condition reaches the
// findings some other way (the findings list itself), so that what it looks at is unknown.
type mentions struct {
	cats, dets []string
	opaque     bool
}

// mentionsOf walks a parsed condition (before any patching).
func mentionsOf(n ast.Node) mentions {
	v := &mentionVisitor{}
	ast.Walk(&n, v)
	slices.Sort(v.m.cats)
	slices.Sort(v.m.dets)
	v.m.cats = slices.Compact(v.m.cats)
	v.m.dets = slices.Compact(v.m.dets)
	return v.m
}

type mentionVisitor struct{ m mentions }

func (v *mentionVisitor) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok || len(n.Arguments) == 0 {
			return
		}
		s, ok := n.Arguments[0].(*ast.StringNode)
		switch id.Value {
		case "has", "atLeast", "countOf":
			if ok {
				v.m.cats = append(v.m.cats, s.Value)
			} else {
				v.m.opaque = true // a computed category: could be any
			}
		case "detected":
			if ok {
				v.m.dets = append(v.m.dets, s.Value)
			} else {
				v.m.opaque = true
			}
		}
	case *ast.IdentifierNode:
		if n.Value == "findings" {
			v.m.opaque = true
		}
	}
}

// Handled reports whether a rule that fired in v acted on f: its condition names f's
// category (has, atLeast, countOf) or f's detector (detected), or it reads the findings
// list directly (then it is taken to act on every finding, as what it looked at cannot be
// known). A finding no fired rule acted on fell between the rules: metrics count those by
// category, so a supervisor sees what the packs leave unjudged. It allocates nothing.
func (v *Verdict) Handled(f *detectors.Finding) bool {
	for _, r := range v.Rules {
		m := &r.mentions
		if m.opaque || slices.Contains(m.cats, f.Category) || slices.Contains(m.dets, f.Detector) {
			return true
		}
	}
	return false
}
