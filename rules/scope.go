package rules

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/record"
)

// Fail-safe scope, and what rules act on.
//
// Many duties depend on a fact the record may not carry (is this service a deep
// synthesis service? does the image depict a real person?). Such facts are optional
// fields (*bool) in the record. A condition written `record.context.deep_synthesis !=
// false` treats an absent fact as "the duty applies": when the rule fires on a record
// without the field, the verdict says so in a note (kind "scope_assumed"), so the
// assumption is visible, and a producer that sends `false` opts out. A condition
// written `== true` silently does not fire when the field is absent; `rules lint`
// warns about it (Engine.Warnings), asking for `!= false` or an explicit `?? false`.

// Note is an assumption or remark a fired rule adds to a verdict.
type Note struct {
	Rule   string `json:"rule"`
	Kind   string `json:"kind"`  // "scope_assumed"
	Field  string `json:"field"` // the record field, as in JSON (context.deep_synthesis)
	Detail string `json:"detail"`
}

// NoteScopeAssumed is the kind of note for a duty assumed to apply because the record
// does not carry the fact it depends on.
const NoteScopeAssumed = "scope_assumed"

// assumption is an optional field a rule treats as true when absent, with a program
// telling whether it is absent.
type assumption struct {
	field  string // JSON path below record
	absent *vm.Program
	detail string
	index  [][]int // the Go field indices of each step of field, below record.Record
	// conjunct: the assumption is one of the condition's top-level conjuncts (`a && x !=
	// false`), so a fired rule always needed it; otherwise (`a || x != false`) firesWithout
	// tells.
	conjunct bool
}

// conjunctAssumptions returns the fields whose assumption (`x != false`, `x ?? true`) is a
// top-level conjunct of the condition n.
func conjunctAssumptions(n ast.Node) map[string]bool {
	out := map[string]bool{}
	var walk func(n ast.Node)
	walk = func(n ast.Node) {
		b, ok := n.(*ast.BinaryNode)
		if !ok {
			return
		}
		if b.Operator == "&&" || b.Operator == "and" {
			walk(b.Left)
			walk(b.Right)
			return
		}
		if path, opt := optionalBool(b.Left); opt && (b.Operator == "!=" && isBool(b.Right, false) || b.Operator == "??" && isBool(b.Right, true)) {
			out[path] = true
		}
		if path, opt := optionalBool(b.Right); opt && b.Operator == "!=" && isBool(b.Left, false) {
			out[path] = true
		}
	}
	walk(n)
	return out
}

// refs are the categories and detectors a condition names, or all findings when it
// reads them directly: a fired rule acts on the findings it refers to.
type refs struct {
	cats, dets []string
	all        bool
}

func (f refs) covers(x *detectors.Finding) bool {
	if f.all {
		return true
	}
	for _, c := range f.cats {
		if c == x.Category {
			return true
		}
	}
	for _, d := range f.dets {
		if d == x.Detector {
			return true
		}
	}
	return false
}

// refsOf collects what a condition refers to.
func refsOf(n ast.Node) refs {
	var f refs
	ast.Find(n, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.IdentifierNode:
			if n.Value == "findings" {
				f.all = true
			}
		case *ast.CallNode:
			id, ok := n.Callee.(*ast.IdentifierNode)
			if !ok {
				return false
			}
			for i, a := range n.Arguments {
				s, ok := a.(*ast.StringNode)
				if !ok {
					continue
				}
				switch {
				case id.Value == "detected" && i == 0:
					f.dets = append(f.dets, s.Value)
				case (id.Value == "has" || id.Value == "countOf" || id.Value == "atLeast") && i == 0,
					id.Value == "near" && i < 2:
					f.cats = append(f.cats, s.Value)
				}
			}
		}
		return false
	})
	return f
}

// Acted reports whether finding i of the verdict was acted on: some fired rule's
// condition names its category or detector, or reads the findings directly, or another
// detector's checks took the finding's input as theirs (Finding.ConsumedBy: the label
// detector's findings then stand for it, and are counted themselves when no rule acts
// on them). Findings that no rule acted on fall between rules; the scan summary and the
// metrics count them by category.
func (v *Verdict) Acted(i int) bool {
	f := &v.Findings[i]
	if f.ConsumedBy != "" {
		return true
	}
	for _, r := range v.Rules {
		if r.refs.covers(f) {
			return true
		}
	}
	return false
}

// recordPath returns the JSON path below record of a member chain such as
// record.context.deep_synthesis (optional chaining included) and the Go type it has,
// or "" when n is not such a chain.
func recordPath(n ast.Node) (string, reflect.Type) {
	var names []string
	for {
		switch m := n.(type) {
		case *ast.MemberNode:
			s, ok := m.Property.(*ast.StringNode)
			if !ok {
				return "", nil
			}
			names = append(names, s.Value)
			n = m.Node
			continue
		case *ast.ChainNode:
			n = m.Node
			continue
		case *ast.IdentifierNode:
			if m.Value != "record" || len(names) == 0 {
				return "", nil
			}
		default:
			return "", nil
		}
		break
	}
	t := reflect.TypeFor[record.Record]()
	var path []string
	for i := len(names) - 1; i >= 0; i-- {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return "", nil
		}
		f, ok := fieldByExprTag(t, names[i])
		if !ok {
			return "", nil
		}
		t = f.Type
		path = append(path, names[i])
	}
	return strings.Join(path, "."), t
}

func fieldByExprTag(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if tag, _, _ := strings.Cut(f.Tag.Get("expr"), ","); tag == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// optionalBool tells whether n is a record path of type *bool, and returns the path.
func optionalBool(n ast.Node) (string, bool) {
	p, t := recordPath(n)
	return p, p != "" && t == reflect.TypeFor[*bool]()
}

func isBool(n ast.Node, v bool) bool {
	b, ok := n.(*ast.BoolNode)
	return ok && b.Value == v
}

// scopeOf finds the optional facts a condition assumes when absent (`x != false`,
// `x ?? true`) and the comparisons that silently fail when a fact is absent (`x ==
// true`, `x == false`), as lint warnings.
func scopeOf(n ast.Node) (assumed []string, warnings []string) {
	ast.Find(n, func(n ast.Node) bool {
		b, ok := n.(*ast.BinaryNode)
		if !ok {
			return false
		}
		for _, side := range [][2]ast.Node{{b.Left, b.Right}, {b.Right, b.Left}} {
			path, opt := optionalBool(side[0])
			if !opt {
				continue
			}
			switch {
			case b.Operator == "!=" && isBool(side[1], false), b.Operator == "??" && isBool(side[1], true) && side[0] == b.Left:
				assumed = append(assumed, path)
			case b.Operator == "==" && isBool(side[1], true):
				warnings = append(warnings, fmt.Sprintf("record.%s == true is false when the record does not carry %s, so the rule silently does not fire: write `!= false` if the duty applies unless the record says otherwise (the verdict then notes the assumption), or `(record.%s ?? false)` to make absence mean no", path, path, path))
			case b.Operator == "==" && isBool(side[1], false):
				warnings = append(warnings, fmt.Sprintf("record.%s == false is false when the record does not carry %s: write `!= true` to include records without it, or `(record.%s ?? true) == false` to make the choice explicit", path, path, path))
			}
		}
		return false
	})
	return assumed, warnings
}

// compileAssumptions builds the absence test of each assumed field.
func compileAssumptions(paths []string) ([]assumption, error) {
	var out []assumption
	seen := map[string]bool{}
	for _, p := range paths {
		if seen[p] {
			continue
		}
		seen[p] = true
		prog, err := expr.Compile("record."+strings.ReplaceAll(p, ".", "?.")+" == nil", expr.Env(&Env{}), expr.AsBool())
		if err != nil {
			return nil, err
		}
		a := assumption{field: p, absent: prog,
			detail: p + " is absent: the duty is assumed to apply (send " + p + ": false to opt out)"}
		t := reflect.TypeFor[record.Record]()
		for _, name := range strings.Split(p, ".") {
			for t.Kind() == reflect.Pointer {
				t = t.Elem()
			}
			f, ok := fieldByExprTag(t, name)
			if !ok {
				return nil, fmt.Errorf("rules: no record field %s", p)
			}
			a.index = append(a.index, f.Index)
			t = f.Type
		}
		out = append(out, a)
	}
	return out, nil
}

// noteAssumptions adds a note for each fact r assumed on this record: absent from the
// record, and needed for the rule to fire (with the fact set to false the condition does
// not hold). A condition such as `record.role == "provider" || record.declared_ai !=
// false` fires on a provider's record whatever declared_ai says: nothing was assumed.
func noteAssumptions(s *Scratch, c *compiled, v *Verdict) {
	for i := range c.assumed {
		a := &c.assumed[i]
		out, err := s.vm.Run(a.absent, &s.env)
		if absent, _ := out.(bool); err != nil || !absent {
			continue
		}
		if !a.conjunct && c.fast != nil && !c.byTrigger && firesWithout(s, c, a) {
			continue
		}
		v.Notes = append(v.Notes, Note{Rule: c.ID, Kind: NoteScopeAssumed, Field: a.field, Detail: a.detail})
	}
}

// firesWithout reports whether c's condition still holds on the record with a's fact set
// to false (on a copy in s: the record is not changed).
func firesWithout(s *Scratch, c *compiled, a *assumption) bool {
	s.spare = *s.env.Record
	v := reflect.ValueOf(&s.spare).Elem()
	for k, idx := range a.index {
		f := v.FieldByIndex(idx)
		if k == len(a.index)-1 {
			f.Set(falsePtr)
			break
		}
		if f.Kind() == reflect.Pointer { // copy what is pointed to before changing it
			n := reflect.New(f.Type().Elem())
			if !f.IsNil() {
				n.Elem().Set(f.Elem())
			}
			f.Set(n)
			f = n.Elem()
		}
		v = f
	}
	orig := s.env.Record
	s.env.Record = &s.spare
	out, err := s.vm.Run(c.fast, &s.env)
	s.env.Record = orig
	s.spare = record.Record{} // do not retain the record
	fired, _ := out.(bool)
	return err == nil && fired
}

// falsePtr is the *bool false that firesWithout sets (never written through).
var falsePtr = reflect.ValueOf(new(false))
