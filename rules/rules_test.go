package rules

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/aigcwatch/aigcwatch/defaults"
	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/record"
)

func embedded(t testing.TB) (*Engine, []*Pack) {
	t.Helper()
	packs, err := LoadFS(defaults.Packs(), ".")
	if err != nil {
		t.Fatalf("embedded packs: %v", err)
	}
	e, err := Compile(packs, Options{DefaultJurisdiction: "CN"})
	if err != nil {
		t.Fatalf("compile embedded packs: %v", err)
	}
	return e, packs
}

func TestExampleFailureIsReported(t *testing.T) {
	e, packs := embedded(t)
	bad := &Pack{Name: "t", File: "t.yaml", Examples: []Example{{
		Name:     "wrong expectation",
		Record:   map[string]any{"id": "x", "jurisdiction": "CN", "modality": "text"},
		Findings: []FindingSpec{{Category: "fraud"}},
		Expect:   Expectation{Decision: "allow", Rules: []string{}},
	}}}
	_ = packs
	res := RunExamples(context.Background(), e, []*Pack{bad}, nil, time.Now())
	if len(res) != 1 || len(res[0].Failures) != 2 {
		t.Fatalf("want 2 failures (decision and rules), got %+v", res)
	}
}

const goodPack = `
pack: t
version: "1"
jurisdictions: [CN]
rules:
  - id: T-1
    title: t
    layer: content
    severity: high
    decision: block
    basis: b
    authority: a
    when: has("x")
`

func TestBadPackListsEveryProblem(t *testing.T) {
	fsys := fstest.MapFS{
		"a.yaml": {Data: []byte(`
pack: a
version: "1"
jurisdictions: [CN]
rules:
  - id: A-1
    title: misspelt field
    layer: content
    severity: high
    decision: block
    basis: b
    authority: a
    when: record.jurisdicton == "CN"
  - id: A-2
    title: bad enums
    layer: contnet
    severity: huge
    decision: ban
    tier: extreme
    basis: b
    authority: a
    when: "true"
  - id: A-3
    title: not bool
    layer: content
    severity: low
    decision: allow
    basis: b
    authority: a
    when: record.text
  - id: A-4
    title: dynamic category
    layer: content
    severity: low
    decision: review
    basis: b
    authority: a
    when: has(record.text)
  - id: A-5
    layer: content
    severity: low
    decision: allow
    label_notice: is_ai
    when: "true"
`)},
		"b.yaml": {Data: []byte("pack: b\nversion: 1\njurisdictions: [CN]\nunknown_key: 1\nrules: []\n")},
		"c.yaml": {Data: []byte(goodPack)},
		"d.yaml": {Data: []byte(strings.Replace(goodPack, "pack: t", "pack: d", 1))},
	}
	packs, err := LoadFS(fsys, ".")
	var le *LoadError
	if !errors.As(err, &le) {
		// Problems in metadata are found at load; conditions at compile.
		_, err = Compile(packs, Options{})
		if !errors.As(err, &le) {
			t.Fatalf("want *LoadError, got %v", err)
		}
	}
	msg := err.Error()
	for _, want := range []string{
		`b.yaml: yaml: line 4: field unknown_key not found`,
		`a.yaml: rule "A-2": layer: unknown layer "contnet"`,
		`a.yaml: rule "A-2": severity: unknown severity "huge"`,
		`a.yaml: rule "A-2": decision: unknown decision "ban"`,
		`a.yaml: rule "A-2": tier: unknown tier "extreme"`,
		`a.yaml: rule "A-5": title is required`,
		`a.yaml: rule "A-5": basis (the legal basis) is required`,
		`a.yaml: rule "A-5": label_notice is set but decision is allow`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not contain %q:\n%s", want, msg)
		}
	}
	// Compile errors: fix the metadata problems and check conditions are reported too.
	delete(fsys, "b.yaml")
	fsys["a.yaml"] = &fstest.MapFile{Data: []byte(strings.NewReplacer("contnet", "content", "huge", "high", "ban", "block", "extreme", "high",
		"    layer: content\n    severity: low\n    decision: allow\n    label_notice: is_ai\n", "    title: x\n    basis: b\n    authority: a\n    layer: content\n    severity: low\n    decision: allow\n").Replace(string(fsys["a.yaml"].Data)))}
	packs, err = LoadFS(fsys, ".")
	if err != nil {
		t.Fatalf("metadata should now be clean: %v", err)
	}
	_, err = Compile(packs, Options{})
	if !errors.As(err, &le) {
		t.Fatalf("want *LoadError from Compile, got %v", err)
	}
	msg = err.Error()
	for _, want := range []string{
		`a.yaml: rule "A-1": when: type record.Record has no field jurisdicton`,
		`a.yaml: rule "A-3": when: expected bool`,
		`a.yaml: rule "A-4": when: has: argument 1 must be a string literal`,
		`d.yaml: rule "T-1": rule id also defined in c.yaml`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not contain %q:\n%s", want, msg)
		}
	}
}

func TestTriggerIndexSkipsUntriggeredRules(t *testing.T) {
	cases := []struct {
		when   string
		always bool
		cats   []string
	}{
		{`has("a")`, false, []string{"a"}},
		{`has("a") && record.text != ""`, false, []string{"a"}},
		{`record.text != "" && atLeast("a", "high")`, false, []string{"a"}},
		{`has("a") || has("b")`, false, []string{"a", "b"}},
		{`has("a") || record.text != ""`, true, nil},
		{`!has("a")`, true, nil},
		{`countOf("a") >= 2`, false, []string{"a"}},
		{`countOf("a") >= 0`, true, nil},
		{`record.text != ""`, true, nil},
	}
	for _, c := range cases {
		r := &Rule{ID: "x", When: c.when}
		comp, err := compileCondition(r)
		if err != nil {
			t.Fatalf("%s: %v", c.when, err)
		}
		if comp.trig.always() != c.always || strings.Join(comp.trig.cats, ",") != strings.Join(c.cats, ",") {
			t.Errorf("%s: trigger %+v, want always=%v cats=%v", c.when, comp.trig, c.always, c.cats)
		}
	}
}

func TestByTrigger(t *testing.T) {
	for when, want := range map[string]bool{
		`has("a")`:                    true,
		`has("a") && has("b")`:        false,
		`has("a") || has("b")`:        false,
		`!has("a")`:                   false,
		`atLeast("a", "high")`:        false,
		`countOf("a") > 0`:            false,
		`has("a") && record.id != ""`: false,
	} {
		c, err := compileCondition(&Rule{ID: "x", When: when})
		if err != nil {
			t.Fatal(err)
		}
		if c.byTrigger != want {
			t.Errorf("%s: byTrigger %v, want %v", when, c.byTrigger, want)
		}
	}
}

func TestFoldHas(t *testing.T) {
	c, err := compileCondition(&Rule{ID: "x", When: `has("a") && record.text != "" && !has("b")`})
	if err != nil {
		t.Fatal(err)
	}
	fast, orig := c.fast.Disassemble(), c.program.Disassemble()
	if c.fast == c.program || strings.Count(fast, "_has") != 1 || strings.Count(orig, "_has") != 2 {
		t.Errorf("has(\"a\") not folded in the specialised program:\n%s", fast)
	}
	env := &Env{Record: &record.Record{Text: "t"}, Findings: []detectors.Finding{{Category: "a"}}}
	var m vm.VM
	for _, p := range []*vm.Program{c.fast, c.program} {
		if out, err := m.Run(p, env); err != nil || out != true {
			t.Errorf("got %v %v", out, err)
		}
	}
}

func TestGuards(t *testing.T) {
	cases := []struct {
		when  string
		rec   record.Record
		admit bool
	}{
		{`record.modality == "image" && true`, record.Record{Modality: "image"}, true},
		{`record.modality == "image" && true`, record.Record{Modality: "text"}, false},
		{`record.modality in ["image", "video"] && record.role == "provider"`, record.Record{Modality: "video", Role: "platform"}, false},
		{`record.modality in ["image", "video"] && record.role == "provider"`, record.Record{Modality: "video", Role: "provider"}, true},
		{`record.modality == "image" || record.text != ""`, record.Record{Modality: "text"}, true},
		{`record.modality == "image" || record.modality == "audio"`, record.Record{Modality: "audio"}, true},
		{`record.modality == "image" && record.modality == "audio"`, record.Record{Modality: "audio"}, false},
	}
	for _, c := range cases {
		comp, err := compileCondition(&Rule{ID: "x", When: c.when})
		if err != nil {
			t.Fatal(err)
		}
		if got := comp.guard.admits(&c.rec); got != c.admit {
			t.Errorf("%s on %+v: admits=%v, want %v", c.when, c.rec, got, c.admit)
		}
	}
}

// TestIndexAgreesWithFullEvaluation: evaluating only the indexed candidates gives the
// same fired rules as evaluating every rule, on records with and without findings.
func TestIndexAgreesWithFullEvaluation(t *testing.T) {
	e, _ := embedded(t)
	cats := []string{"", "fraud", "csam", "hate", "gambling", "weapons", "drugs", "self_harm", "violent_extremism",
		"label.cn_imp_01", "label.cn_imp_02", "label.cn_imp_08", "label.cn_plat_01", "label.eu_50_2", "hash.labeled_ai",
		"hash.protected_original", "signal.synthesis_tool", "signal.minor_intimate"}
	mods := []string{"", "text", "image", "video", "audio"}
	roles := []string{"", "provider", "platform"}
	jurs := []string{"", "CN", "EU", "DE", "US", "US-CA", "UK", "BR"}
	var s Scratch
	s.Now = func() time.Time { return time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC) }
	yes := true
	n := 0
	for _, c := range cats {
		for _, m := range mods {
			for _, ro := range roles {
				for _, j := range jurs {
					r := &record.Record{ID: "x", Jurisdiction: j, Modality: m, Role: ro, DeclaredAI: &yes}
					r.Signals.Intimate, r.Signals.DepictsRealPerson = &yes, &yes
					res := &detectors.Result{}
					if c != "" {
						res.Findings = []detectors.Finding{{Detector: "lexicon", Category: c}}
					}
					var v Verdict
					e.Evaluate(&s, r, res, &v)
					want := fullEvaluate(t, e, r, res, s.Now())
					if got := strings.Join(v.RuleIDs(), ","); got != want {
						t.Errorf("%+v %s: indexed %q, full %q", r, c, got, want)
					}
					n++
				}
			}
		}
	}
	t.Logf("%d combinations agree", n)
}

func fullEvaluate(t *testing.T, e *Engine, r *record.Record, res *detectors.Result, now time.Time) string {
	set := e.setFor(r.Jurisdiction)
	env := &Env{Record: r, Findings: res.Findings, Label: &res.Label, Now: now}
	var ids []string
	for _, c := range set.rules {
		if !c.appliesAt(now) {
			continue
		}
		out, err := runProgram(c, env)
		if err != nil {
			t.Fatalf("%s: %v", c.ID, err)
		}
		if out {
			ids = append(ids, c.ID)
		}
	}
	return strings.Join(ids, ",")
}

func TestVerdictCombination(t *testing.T) {
	e, _ := embedded(t)
	var s Scratch
	r := &record.Record{ID: "v", Jurisdiction: "CN", Modality: "text"}
	res := &detectors.Result{Findings: []detectors.Finding{{Category: "fraud"}, {Category: "gambling"}, {Category: "self_harm"},
		{Category: "solicitation"}}} // a cue near (here: on) the terms: the solicitation rules fire
	var v Verdict
	e.Evaluate(&s, r, res, &v)
	if v.Decision != Block || v.Tier != High || strings.Join(v.RuleIDs(), ",") != "CN-CONTENT-04,CN-CONTENT-05,CN-CONTENT-06" {
		t.Fatalf("got %s %s %v", v.Decision, v.Tier, v.RuleIDs())
	}
	if got := len(v.Reportable()); got != 2 {
		t.Errorf("reportable %d, want 2", got)
	}
	if v.Ruleset == nil || len(v.Ruleset.Checksum) != 64 {
		t.Errorf("ruleset missing: %+v", v.Ruleset)
	}
}

func FuzzParsePack(f *testing.F) {
	f.Add([]byte(goodPack))
	f.Add([]byte("pack: x\nrules:\n  - id: 1\n    when: 'has(\"a\") &&'\n"))
	f.Add([]byte("examples: [{record: {id: 1}}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, probs := ParsePack("f.yaml", data)
		if p == nil && len(probs) == 0 {
			t.Fatal("no pack and no problem")
		}
		if len(probs) > 0 {
			return
		}
		if _, err := Compile([]*Pack{p}, Options{}); err != nil {
			var le *LoadError
			if !errors.As(err, &le) || len(le.Problems) == 0 {
				t.Fatalf("compile error without problems: %v", err)
			}
		}
	})
}

func TestLabelNoticeFromStrongestRule(t *testing.T) {
	a := &Rule{ID: "A", Decision: Label, LabelNotice: "is_ai"}
	b := &Rule{ID: "B", Decision: Review, LabelNotice: "is_ai"}
	c := &Rule{ID: "C", Decision: Review, LabelNotice: "possibly_ai"}
	d := &Rule{ID: "D", Decision: Block}
	var v Verdict
	for _, r := range []*Rule{a, b, c, d} {
		v.fire(r)
	}
	if v.LabelNotice != "is_ai" || v.Decision != Block {
		t.Errorf("notice %q decision %s: want is_ai (first rule of the strongest decision with a notice), block", v.LabelNotice, v.Decision)
	}
}

func TestJurisdictionSelection(t *testing.T) {
	e, _ := embedded(t) // default CN
	cases := map[string]string{"": "CN", "CN": "CN", "GB": "UK", "UK": "UK", "FR": "EU", "EL": "EU", "US-CA": "US-CA", "US-TX": "US", "BR": "*", "JP": "*"}
	for j, want := range cases {
		got := e.setFor(j)
		var wantSet *ruleSet
		if want == "*" {
			wantSet = e.global
		} else {
			wantSet = e.sets[want]
		}
		if got != wantSet {
			t.Errorf("jurisdiction %q: wrong rule set, want %s's", j, want)
		}
	}
	_, packs := embedded(t)
	everywhere := map[string]bool{}
	for _, p := range packs {
		everywhere[p.Name] = slices.Contains(p.Jurisdictions, "*")
	}
	if len(e.global.rules) == 0 {
		t.Fatal("no rules apply everywhere")
	}
	for _, c := range e.global.rules {
		if !everywhere[c.Pack] {
			t.Errorf("the set for unknown jurisdictions holds %s from pack %s, which is not for every jurisdiction", c.ID, c.Pack)
		}
	}
}

func TestDateLiteralIsFolded(t *testing.T) {
	c, err := compileCondition(&Rule{ID: "d", When: `now >= date("2026-08-02") && record.time < date("2027-01-01T00:00:00Z")`})
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{Record: &record.Record{Time: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)}, Now: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)}
	if ok, err := runProgram(c, env); err != nil || !ok {
		t.Fatalf("got %v %v", ok, err)
	}
	env.Now = time.Date(2026, 8, 1, 23, 0, 0, 0, time.UTC)
	if ok, _ := runProgram(c, env); ok {
		t.Fatal("before the date must be false")
	}
	if strings.Contains(c.program.Disassemble(), "date") {
		t.Errorf("date() still called at run time:\n%s", c.program.Disassemble())
	}
}

// TestVerdictRulesetIsTheApplicablePacks: a verdict names the packs that apply to its
// record's jurisdiction, in load order, with the checksum over exactly those packs and the
// inputs; the engine's Info names them all.
func TestVerdictRulesetIsTheApplicablePacks(t *testing.T) {
	packs, err := LoadFS(defaults.Packs(), ".")
	if err != nil {
		t.Fatal(err)
	}
	inputs := []InputRef{{Name: "embedded:lexicon.tsv", SHA256: strings.Repeat("ab", 32)}}
	e, err := Compile(packs, Options{DefaultJurisdiction: "CN", Inputs: inputs})
	if err != nil {
		t.Fatal(err)
	}
	want := func(j string) (names []string, sum string) {
		h := sha256.New()
		for _, p := range packs {
			for _, pj := range p.Jurisdictions {
				if pj == "*" || pj == j || (j == "US-CA" && pj == "US") {
					names = append(names, p.Name+"@"+p.Version)
					h.Write(p.checksum[:])
					break
				}
			}
		}
		for _, in := range inputs {
			h.Write([]byte(in.Name + "\x00" + in.SHA256))
		}
		return names, hex.EncodeToString(h.Sum(nil))
	}
	seen := map[string]string{}
	for _, j := range []string{"CN", "EU", "US-CA", "UK"} {
		var s Scratch
		var v Verdict
		e.Evaluate(&s, &record.Record{ID: "r", Jurisdiction: j, Modality: "text"}, &detectors.Result{}, &v)
		var got []string
		for _, p := range v.Ruleset.Packs {
			got = append(got, p.Name+"@"+p.Version)
		}
		names, sum := want(j)
		if strings.Join(got, ",") != strings.Join(names, ",") || v.Ruleset.Checksum != sum || !slices.Equal(v.Ruleset.Inputs, inputs) {
			t.Errorf("%s: verdict ruleset %v %s; want %v %s", j, got, v.Ruleset.Checksum, names, sum)
		}
		if len(got) >= len(packs) || e.RulesetFor(j) != v.Ruleset {
			t.Errorf("%s: %d of %d packs, RulesetFor agrees: %v", j, len(got), len(packs), e.RulesetFor(j) == v.Ruleset)
		}
		if other, dup := seen[sum]; dup {
			t.Errorf("%s and %s verdicts have the same checksum", j, other)
		}
		seen[sum] = j
	}
	if len(e.Info().Packs) != len(packs) {
		t.Errorf("Info names %d packs, want all %d", len(e.Info().Packs), len(packs))
	}
}

// TestFastProgramsAgree: every rule's fast program (has(trigger) and the guard's
// conjuncts folded to true) gives the same answer as the condition as written, on every
// record the index would run it for: findings holding its triggers, every modality and
// role the guard admits, and random values in the record's flags and the label facts.
func TestFastProgramsAgree(t *testing.T) {
	e, _ := embedded(t)
	rng := rand.New(rand.NewPCG(1, 2))
	mods := []string{"", "text", "image", "video", "audio", "virtual", "other"}
	roles := []string{"", "provider", "platform"}
	strs := []string{"", "is_ai", "possibly_ai", "suspected_ai", "1", "2", "x"}
	var randomise func(v reflect.Value)
	randomise = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Bool:
			v.SetBool(rng.IntN(2) == 0)
		case reflect.Int, reflect.Int64:
			v.SetInt(int64(rng.IntN(3)))
		case reflect.Float64:
			v.SetFloat(rng.Float64())
		case reflect.String:
			v.SetString(strs[rng.IntN(len(strs))])
		case reflect.Pointer:
			if k := v.Type().Elem().Kind(); k == reflect.Bool || k == reflect.Float64 {
				if rng.IntN(3) == 0 {
					v.SetZero()
					return
				}
				p := reflect.New(v.Type().Elem())
				randomise(p.Elem())
				v.Set(p)
			}
		case reflect.Struct:
			if v.Type() == reflect.TypeFor[time.Time]() {
				return
			}
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					randomise(v.Field(i))
				}
			}
		}
	}
	folded, checked := 0, 0
	for _, c := range e.rules {
		if c.fast == c.program || c.byTrigger {
			continue
		}
		folded++
		var fs []detectors.Finding
		for _, cat := range c.trig.cats {
			fs = append(fs, detectors.Finding{Detector: "label", Category: cat, Severity: detectors.High})
		}
		for i := range 300 {
			r := &record.Record{ID: "x", Jurisdiction: "CN", Modality: mods[i%len(mods)], Role: roles[(i/len(mods))%len(roles)]}
			randomise(reflect.ValueOf(&r.Context).Elem())
			randomise(reflect.ValueOf(&r.Signals).Elem())
			if rng.IntN(2) == 0 {
				r.DeclaredAI = new(rng.IntN(2) == 0)
			}
			res := &detectors.Result{Findings: fs}
			randomise(reflect.ValueOf(&res.Label).Elem())
			if !c.guard.admits(r) {
				continue
			}
			env := &Env{Record: r, Findings: res.Findings, Label: &res.Label, Now: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)}
			want, err1 := expr.Run(c.program, env)
			got, err2 := expr.Run(c.fast, env)
			if (err1 == nil) != (err2 == nil) || want != got {
				t.Fatalf("%s on %+v: fast %v %v, as written %v %v", c.ID, r, got, err2, want, err1)
			}
			checked++
		}
	}
	if folded == 0 || checked == 0 {
		t.Fatalf("no folded rule was checked (%d folded, %d checks)", folded, checked)
	}
	t.Logf("%d rules with fast programs, %d evaluations agree", folded, checked)
}
