package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"math/bits"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/record"
)

// Options configure an Engine.
type Options struct {
	// Inputs are the detectors' input files, recorded in every verdict's ruleset and
	// covered by its checksum.
	Inputs []InputRef
	// DefaultJurisdiction selects the packs for records that carry no jurisdiction.
	// Records whose jurisdiction no pack names get only the "*" packs.
	DefaultJurisdiction string
	// AllPacksInVerdicts makes every verdict name every loaded pack with the checksum
	// over them all (Info), the form verdicts had before 2026-11-28, instead of the packs
	// that apply to the record's jurisdiction (RulesetFor).
	AllPacksInVerdicts bool
}

// Engine is a compiled, immutable set of packs. It is safe for concurrent use.
type Engine struct {
	rules   []*compiled // every rule, in pack order then rule order
	sets    map[string]*ruleSet
	def     *ruleSet // for records that carry no jurisdiction
	global  *ruleSet // "*" packs only: for jurisdictions no pack names
	info    Ruleset
	options Options
	// warnings are lint findings that do not stop loading (scope.go).
	warnings []Problem
}

// Ruleset identifies the packs an engine was built from; every verdict carries it so a
// decision can be reproduced offline.
type Ruleset struct {
	Packs []PackRef `json:"packs"`
	// Inputs are the other files the verdict depends on (lexicons, fingerprint banks), so a
	// decision can be reproduced offline with the same data.
	Inputs   []InputRef `json:"inputs,omitempty"`
	Checksum string     `json:"checksum"` // sha256 over the packs' checksums, then the inputs', in order

	jsonOnce  sync.Once
	jsonBytes []byte
}

// InputRef names one input file of the detectors and its content hash.
type InputRef struct {
	Name   string `json:"name"`   // file path, or "embedded:…" for built-in data
	SHA256 string `json:"sha256"` // hex
}

// PackRef names one pack and its version.
type PackRef struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type compiled struct {
	*Rule
	program   *vm.Program // the condition as written
	fast      *vm.Program // the condition specialised for being a candidate (see compileCondition)
	trig      trigger
	guard     guard
	byTrigger bool // the condition is exactly its trigger: fire without evaluating
	assumed   []assumption
	warnings  []string
}

// ruleSet is the rules that apply to one jurisdiction, indexed by what triggers them.
type ruleSet struct {
	info   *Ruleset // the packs that apply, with their own checksum: what verdicts carry
	rules  []*compiled
	always []uint64            // bitset of rules evaluated for every record
	byCat  map[string][]uint64 // category → bitset of rules that need it
	byDet  map[string][]uint64 // detector → bitset of rules that need it
}

// Compile checks every rule's condition against the record and findings types and builds
// the engine. Problems in any pack reject the whole set, with every problem listed.
func Compile(packs []*Pack, opt Options) (*Engine, error) {
	e := &Engine{sets: map[string]*ruleSet{}, options: opt}
	var problems []Problem
	ids := map[string]string{}
	h := sha256.New()
	juris := map[string]bool{}
	for _, p := range packs {
		e.info.Packs = append(e.info.Packs, PackRef{Name: p.Name, Version: p.Version})
		h.Write(p.checksum[:])
		for _, j := range p.Jurisdictions {
			if j != "*" {
				juris[strings.ToUpper(j)] = true
			}
		}
		for i := range p.Rules {
			s := &p.Rules[i]
			if other, dup := ids[s.ID]; dup && s.ID != "" {
				problems = append(problems, Problem{File: p.File, Rule: s.ID, Msg: "rule id also defined in " + other})
			}
			ids[s.ID] = p.File
			r, err := s.compileMeta(p.Name)
			if err != nil {
				for _, m := range splitErrors(err) {
					problems = append(problems, Problem{File: p.File, Rule: s.ID, Msg: m})
				}
				continue
			}
			c, err := compileCondition(r)
			if err != nil {
				problems = append(problems, Problem{File: p.File, Rule: s.ID, Msg: err.Error()})
				continue
			}
			e.rules = append(e.rules, c)
			for _, w := range c.warnings {
				e.warnings = append(e.warnings, Problem{File: p.File, Rule: s.ID, Msg: w})
			}
		}
	}
	if len(problems) > 0 {
		return nil, &LoadError{Problems: problems}
	}
	e.info.Inputs = append(e.info.Inputs, opt.Inputs...)
	e.info.Checksum = checksum(h, opt.Inputs)
	packOf := func(c *compiled) *Pack {
		for _, p := range packs {
			if p.Name == c.Pack {
				return p
			}
		}
		return nil
	}
	build := func(j string) *ruleSet {
		var sel []*compiled
		for _, c := range e.rules {
			if p := packOf(c); p != nil && p.appliesTo(j) {
				sel = append(sel, c)
			}
		}
		rs := newRuleSet(sel)
		if opt.AllPacksInVerdicts {
			rs.info = &e.info
			return rs
		}
		rs.info = &Ruleset{Inputs: e.info.Inputs}
		h := sha256.New()
		for _, p := range packs {
			if p.appliesTo(j) {
				rs.info.Packs = append(rs.info.Packs, PackRef{Name: p.Name, Version: p.Version})
				h.Write(p.checksum[:])
			}
		}
		rs.info.Checksum = checksum(h, opt.Inputs)
		return rs
	}
	for j := range juris {
		e.sets[j] = build(j)
	}
	def := strings.ToUpper(opt.DefaultJurisdiction)
	if s, ok := e.sets[def]; ok {
		e.def = s
	} else {
		e.def = build(def)
	}
	e.global = build("")
	return e, nil
}

// checksum finishes a ruleset checksum: h has had the packs' digests written, in order;
// then each input's name, a NUL byte and its hex digest.
func checksum(h hash.Hash, inputs []InputRef) string {
	for _, in := range inputs {
		h.Write([]byte(in.Name))
		h.Write([]byte{0})
		h.Write([]byte(in.SHA256))
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (p *Pack) appliesTo(j string) bool {
	for _, pj := range p.Jurisdictions {
		// A pack for a country applies to its subdivisions: US applies to US-CA.
		if pj == "*" || (j != "" && (strings.EqualFold(pj, j) || strings.HasPrefix(j, strings.ToUpper(pj)+"-"))) {
			return true
		}
	}
	return false
}

func newRuleSet(sel []*compiled) *ruleSet {
	words := (len(sel) + 63) / 64
	s := &ruleSet{rules: sel, always: make([]uint64, words), byCat: map[string][]uint64{}, byDet: map[string][]uint64{}}
	mark := func(m map[string][]uint64, key string, i int) {
		b := m[key]
		if b == nil {
			b = make([]uint64, words)
			m[key] = b
		}
		b[i/64] |= 1 << (i % 64)
	}
	for i, c := range sel {
		if c.trig.always() {
			s.always[i/64] |= 1 << (i % 64)
			continue
		}
		for _, cat := range c.trig.cats {
			mark(s.byCat, cat, i)
		}
		for _, d := range c.trig.dets {
			mark(s.byDet, d, i)
		}
	}
	return s
}

// Info returns every pack the engine was built from, with the checksum over them all.
// A verdict carries only the packs that apply to its record's jurisdiction (RulesetFor).
func (e *Engine) Info() *Ruleset { return &e.info }

// RulesetFor returns what a verdict for a record of jurisdiction j carries: the packs
// that apply to j (as Evaluate routes it: own code, country, alias, EU member state, else
// only the "*" packs; "" is the default jurisdiction), the inputs, and the checksum over
// those packs and inputs.
func (e *Engine) RulesetFor(j string) *Ruleset { return e.setFor(j).info }

// Rules returns every compiled rule, in pack order.
func (e *Engine) Rules() []*Rule {
	out := make([]*Rule, len(e.rules))
	for i, c := range e.rules {
		out[i] = c.Rule
	}
	return out
}

// Jurisdictions lists the jurisdictions that packs name.
func (e *Engine) Jurisdictions() []string {
	out := make([]string, 0, len(e.sets))
	for j := range e.sets {
		out = append(out, j)
	}
	sort.Strings(out)
	return out
}

// Scratch is per-goroutine evaluation state (the expression VM and buffers). It is not
// safe for concurrent use; give each worker its own. The zero value is ready to use.
type Scratch struct {
	vm    vm.VM
	env   Env
	bits  []uint64
	spare record.Record // the record with one fact changed (firesWithout), reused
	// Now returns the time used for records without a time. Nil means time.Now.
	Now func() time.Time
}

// Evaluate fills v with the verdict for r given the detectors' result. It keeps v's
// slices' capacity; v.Findings aliases res.Findings.
func (e *Engine) Evaluate(s *Scratch, r *record.Record, res *detectors.Result, v *Verdict) {
	set, known := e.lookup(r.Jurisdiction)
	v.reset()
	v.ID = r.ID
	v.Jurisdiction = r.Jurisdiction
	if v.Jurisdiction == "" {
		v.Jurisdiction = strings.ToUpper(e.options.DefaultJurisdiction)
	}
	v.Findings = res.Findings
	v.Problems = append(v.Problems, res.Problems...)
	if !known {
		// Judged by the "*" packs only: say so (Engine.Known).
		v.Problems = append(v.Problems, detectors.Problem{Detector: "rules", Field: "jurisdiction", Reason: ReasonUnknownJurisdiction})
	}
	v.Ruleset = set.info

	// Candidate rules: the always-set plus those triggered by a finding's category or detector.
	s.bits = append(s.bits[:0], set.always...)
	for i := range res.Findings {
		f := &res.Findings[i]
		if b, ok := set.byCat[f.Category]; ok {
			or(s.bits, b)
		}
		if b, ok := set.byDet[f.Detector]; ok {
			or(s.bits, b)
		}
	}
	at := r.Time
	if at.IsZero() {
		if s.Now != nil {
			at = s.Now()
		} else {
			at = time.Now()
		}
	}
	s.env = Env{Record: r, Findings: res.Findings, Label: &res.Label, Now: at}
	for w, word := range s.bits {
		for word != 0 {
			i := w*64 + bits.TrailingZeros64(word)
			word &= word - 1
			c := set.rules[i]
			if !c.guard.admits(r) || !c.appliesAt(at) {
				continue
			}
			if c.byTrigger {
				v.fire(c.Rule)
				if c.assumed != nil {
					noteAssumptions(s, c, v)
				}
				continue
			}
			out, err := s.vm.Run(c.fast, &s.env)
			if err != nil {
				v.Problems = append(v.Problems, detectors.Problem{Detector: "rules", Field: c.ID, Reason: "rule_error"})
				continue
			}
			if fired, _ := out.(bool); fired {
				v.fire(c.Rule)
				if c.assumed != nil {
					noteAssumptions(s, c, v)
				}
			}
		}
	}
	s.env = Env{} // do not retain the record
}

// euMembers are the EU member states: EU packs apply to records from each of them.
var euMembers = map[string]bool{
	"AT": true, "BE": true, "BG": true, "HR": true, "CY": true, "CZ": true, "DK": true, "EE": true, "FI": true,
	"FR": true, "DE": true, "GR": true, "EL": true, "HU": true, "IE": true, "IT": true, "LV": true, "LT": true,
	"LU": true, "MT": true, "NL": true, "PL": true, "PT": true, "RO": true, "SK": true, "SI": true, "ES": true, "SE": true,
}

// aliases are codes that name the same jurisdiction as a pack's code.
var aliases = map[string]string{"GB": "UK"}

// setFor finds the rules for a jurisdiction: its own set, else its country's (US-CA →
// US), else the EU's for a member state, else only the "*" packs. Records without a
// jurisdiction get the default jurisdiction's set.
func (e *Engine) setFor(j string) *ruleSet {
	rs, _ := e.lookup(j)
	return rs
}

// ReasonUnknownJurisdiction is the verdict problem (detector "rules", field
// "jurisdiction") of a record whose jurisdiction no pack names, directly, through its
// country, an alias or EU membership: it is judged by the "*" packs only.
const ReasonUnknownJurisdiction = "unknown_jurisdiction"

// Known reports whether a jurisdiction is one the packs name (directly, through its
// country, an alias or EU membership), or empty (the default applies). A record with
// any other jurisdiction is judged by the "*" packs only, and its verdict says so.
func (e *Engine) Known(j string) bool {
	_, ok := e.lookup(j)
	return ok
}

// lookup is setFor, also reporting whether the jurisdiction was found.
func (e *Engine) lookup(j string) (*ruleSet, bool) {
	if j == "" {
		return e.def, true
	}
	if rs, ok := e.sets[j]; ok {
		return rs, true
	}
	if a, ok := aliases[j]; ok {
		j = a
		if rs, ok := e.sets[j]; ok {
			return rs, true
		}
	}
	country, _, _ := strings.Cut(j, "-")
	if rs, ok := e.sets[country]; ok {
		return rs, true
	}
	if a, ok := aliases[country]; ok {
		if rs, ok := e.sets[a]; ok {
			return rs, true
		}
	}
	if euMembers[country] {
		if rs, ok := e.sets["EU"]; ok {
			return rs, true
		}
	}
	return e.global, false
}

// Rulesets returns every distinct ruleset a verdict of this engine can name: one per
// jurisdiction the packs know, the default's and the "*" packs' (or the one of every
// pack, with AllPacksInVerdicts).
func (e *Engine) Rulesets() []*Ruleset {
	seen := map[*Ruleset]bool{}
	var out []*Ruleset
	add := func(rs *ruleSet) {
		if rs != nil && !seen[rs.info] {
			seen[rs.info] = true
			out = append(out, rs.info)
		}
	}
	for _, j := range e.Jurisdictions() {
		add(e.sets[j])
	}
	add(e.def)
	add(e.global)
	return out
}

// ID is the short id of a ruleset: the first 16 hex digits of its checksum, which
// compact verdicts carry (docs/outputs.md).
func (s *Ruleset) ID() string { return s.Checksum[:min(16, len(s.Checksum))] }

// Warnings are lint findings about the packs that do not stop loading, such as a
// condition that silently does not fire when an optional fact is absent.
func (e *Engine) Warnings() []Problem { return e.warnings }

func or(dst, src []uint64) {
	for i := range dst {
		dst[i] |= src[i]
	}
}

// runProgram evaluates one compiled condition with a fresh VM (tests and tools; the hot
// path reuses a Scratch).
func runProgram(c *compiled, env *Env) (bool, error) {
	var m vm.VM
	out, err := m.Run(c.program, env)
	if err != nil {
		return false, err
	}
	b, _ := out.(bool)
	return b, nil
}
