package rules

import (
	"slices"

	"github.com/expr-lang/expr/ast"

	"github.com/aigcwatch/aigcwatch/record"
)

// trigger is what must be present for a rule's condition to possibly be true: a finding
// of one of cats, or a finding by one of dets. The zero trigger (unknown) means the rule
// is evaluated for every record.
type trigger struct {
	known bool
	cats  []string
	dets  []string
}

func (t trigger) always() bool { return !t.known }

func (t trigger) size() int { return len(t.cats) + len(t.dets) }

// needs derives a trigger from a condition: has/atLeast/detected(x) and count(x) > 0
// need x; a && b needs whichever side is known (the narrower); a || b needs both sides
// known. Anything else is unknown. The analysis is sound: when a rule's trigger is
// absent from a record, its condition cannot be true.
func needs(n ast.Node) trigger {
	switch n := n.(type) {
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok || len(n.Arguments) == 0 {
			return trigger{}
		}
		s, ok := n.Arguments[0].(*ast.StringNode)
		if !ok {
			return trigger{}
		}
		switch id.Value {
		case "has", "atLeast", "near":
			return trigger{known: true, cats: []string{s.Value}}
		case "detected":
			return trigger{known: true, dets: []string{s.Value}}
		}
	case *ast.BinaryNode:
		switch n.Operator {
		case "&&", "and":
			l, r := needs(n.Left), needs(n.Right)
			switch {
			case l.known && r.known:
				if r.size() < l.size() {
					return r
				}
				return l
			case l.known:
				return l
			default:
				return r
			}
		case "||", "or":
			l, r := needs(n.Left), needs(n.Right)
			if l.known && r.known {
				return trigger{known: true, cats: append(slices.Clip(l.cats), r.cats...), dets: append(slices.Clip(l.dets), r.dets...)}
			}
		case ">", ">=":
			// countOf("x") > 0, countOf("x") >= k with k ≥ 1
			c, ok := n.Left.(*ast.CallNode)
			k, kok := n.Right.(*ast.IntegerNode)
			if ok && kok && (n.Operator == ">" && k.Value >= 0 || n.Operator == ">=" && k.Value >= 1) {
				if id, ok := c.Callee.(*ast.IdentifierNode); ok && id.Value == "countOf" && len(c.Arguments) == 1 {
					if s, ok := c.Arguments[0].(*ast.StringNode); ok {
						return trigger{known: true, cats: []string{s.Value}}
					}
				}
			}
		}
	}
	return trigger{}
}

// Modality and role values, as bit positions of a guard mask. Bit 0 is "absent".
var (
	modalityBits = map[string]uint8{"": 1, record.Text: 2, record.Image: 4, record.Audio: 8, record.Video: 16, record.Virtual: 32, record.Other: 64}
	roleBits     = map[string]uint8{"": 1, record.RoleProvider: 2, record.RolePlatform: 4}
)

// guard is a cheap static pre-filter derived from a condition's conjuncts on
// record.modality and record.role. A zero mask admits everything.
type guard struct{ modality, role uint8 }

func (g guard) admits(r *record.Record) bool {
	if g.modality != 0 && g.modality&modalityBits[r.Modality] == 0 {
		return false
	}
	if g.role != 0 && g.role&roleBits[r.Role] == 0 {
		return false
	}
	return true
}

func guardOf(n ast.Node) guard {
	switch n := n.(type) {
	case *ast.BinaryNode:
		switch n.Operator {
		case "&&", "and":
			l, r := guardOf(n.Left), guardOf(n.Right)
			return guard{modality: intersect(l.modality, r.modality), role: intersect(l.role, r.role)}
		case "||", "or":
			l, r := guardOf(n.Left), guardOf(n.Right)
			return guard{modality: union(l.modality, r.modality), role: union(l.role, r.role)}
		case "==":
			return fieldGuard(n.Left, []ast.Node{n.Right})
		case "in":
			if a, ok := n.Right.(*ast.ArrayNode); ok {
				return fieldGuard(n.Left, a.Nodes)
			}
		}
	}
	return guard{}
}

// fieldGuard handles record.modality == "x" and record.role in ["a", "b"].
func fieldGuard(left ast.Node, values []ast.Node) guard {
	m, ok := left.(*ast.MemberNode)
	if !ok {
		return guard{}
	}
	if id, ok := m.Node.(*ast.IdentifierNode); !ok || id.Value != "record" {
		return guard{}
	}
	prop, ok := m.Property.(*ast.StringNode)
	if !ok {
		return guard{}
	}
	var table map[string]uint8
	switch prop.Value {
	case "modality":
		table = modalityBits
	case "role":
		table = roleBits
	default:
		return guard{}
	}
	var mask uint8
	for _, v := range values {
		s, ok := v.(*ast.StringNode)
		if !ok {
			return guard{}
		}
		mask |= table[s.Value] // an unknown value adds nothing: it can never match
	}
	if mask == 0 {
		mask = 0x80 // matches no record: an impossible value
	}
	if prop.Value == "modality" {
		return guard{modality: mask}
	}
	return guard{role: mask}
}

// intersect and union treat 0 as "everything".
func intersect(a, b uint8) uint8 {
	switch {
	case a == 0:
		return b
	case b == 0:
		return a
	}
	if a&b == 0 {
		return 0x80
	}
	return a & b
}

func union(a, b uint8) uint8 {
	if a == 0 || b == 0 {
		return 0
	}
	return a | b
}
