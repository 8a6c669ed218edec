package exprlang

import (
	"strings"
	"testing"
	"time"

	"cel.dev/cel-go/interpreter"
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

func ptr[T any](v T) *T { return &v }

// hotRecord matches every condition a–d; the matching finding comes last so that c scans
// the whole list.
func hotRecord() *Env {
	return &Env{
		Record: &Record{
			ID: "r-hot", Time: time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC),
			Jurisdiction: "CN", Modality: "image", Role: "platform", Text: "caption",
			DeclaredAI: ptr(false),
			C2PA:       C2PA{Present: true, ValidationState: "invalid"},
			Signals:    Signals{AIScore: 0.97, DeepfakeScore: 0.91, Intimate: true},
		},
		Findings: []Finding{
			{Detector: "lexicon", Category: "fraud", Severity: 2},
			{Detector: "lexicon", Category: "violent_extremism", Severity: 1},
			{Detector: "classifier", Category: "violent_extremism", Severity: 4},
		},
	}
}

// cleanRecord is the common case: labelled, no signals, no findings.
func cleanRecord() *Env {
	return &Env{
		Record: &Record{
			ID: "r-clean", Time: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
			Jurisdiction: "CN", Modality: "video", Role: "provider",
			Labels:  Labels{Implicit: []ImplicitLabel{{Carrier: "XMP", Raw: `{"AIGC":{"Label":"1"}}`}}},
			Signals: Signals{AIScore: 0.2},
		},
	}
}

// testRecords are the records on which both languages must agree, with the expected
// result of each condition in Conditions order.
var testRecords = []struct {
	name string
	env  func() *Env
	want []bool
}{
	{"hot", hotRecord, []bool{true, true, true, true, true}},
	{"clean", cleanRecord, []bool{false, false, false, false, false}},
	{"eu_text_low_severity", func() *Env {
		return &Env{
			Record: &Record{
				ID: "r-eu", Time: time.Date(2026, 8, 2, 0, 0, 0, 0, time.UTC), // equal is not after
				Jurisdiction: "EU", Modality: "image",
				Signals: Signals{DeepfakeScore: 0.8, Intimate: false},
			},
			Findings: []Finding{{Detector: "lexicon", Category: "violent_extremism", Severity: 2}},
		}
	}, []bool{false, false, false, false, false}},
	{"cn_text_boundary_score", func() *Env {
		return &Env{
			Record: &Record{
				ID: "r-cn-text", Time: time.Date(2026, 8, 2, 0, 0, 1, 0, time.UTC),
				Jurisdiction: "CN", Modality: "text",
				Signals: Signals{DeepfakeScore: 0.8, Intimate: true},
			},
			Findings: []Finding{{Detector: "lexicon", Category: "violent_extremism", Severity: 3}},
		}
	}, []bool{false, true, true, true, true}},
	{"cn_video_labelled_other_category", func() *Env {
		e := hotRecord()
		e.Record.Modality = "video"
		e.Findings = []Finding{{Detector: "x", Category: "self_harm", Severity: 5}}
		e.Record.Signals.DeepfakeScore = 0.79
		return e
	}, []bool{true, false, false, true, true}},
}

func TestLanguagesAgree(t *testing.T) {
	t.Parallel()
	celEnv, err := NewCELEnv()
	if err != nil {
		t.Fatal(err)
	}
	celMapEnv, err := NewCELMapEnv()
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range Conditions {
		celProg, err := CompileCEL(celEnv, c.CEL)
		if err != nil {
			t.Fatalf("%s: cel: %v", c.Name, err)
		}
		celMapProg, err := CompileCEL(celMapEnv, c.CEL)
		if err != nil {
			t.Fatalf("%s: cel map: %v", c.Name, err)
		}
		exprProg, err := CompileExpr(c.Expr)
		if err != nil {
			t.Fatalf("%s: expr: %v", c.Name, err)
		}
		exprMapProg, err := CompileExprMap(c.Expr)
		if err != nil {
			t.Fatalf("%s: expr map: %v", c.Name, err)
		}
		for _, r := range testRecords {
			t.Run(c.Name+"/"+r.name, func(t *testing.T) {
				env := r.env()
				want := r.want[i]
				got := map[string]bool{}
				var err error
				if got["cel"], err = EvalCEL(celProg, NewCELActivation(env)); err != nil {
					t.Fatalf("cel: %v", err)
				}
				if got["cel-map"], err = EvalCEL(celMapProg, env.AsMap()); err != nil {
					t.Fatalf("cel-map: %v", err)
				}
				if got["expr"], err = RunExpr(nil, exprProg, env); err != nil {
					t.Fatalf("expr: %v", err)
				}
				if got["expr-vm"], err = RunExpr(&vm.VM{}, exprProg, env); err != nil {
					t.Fatalf("expr-vm: %v", err)
				}
				if got["expr-map"], err = RunExpr(nil, exprMapProg, env.AsMap()); err != nil {
					t.Fatalf("expr-map: %v", err)
				}
				for variant, g := range got {
					if g != want {
						t.Errorf("%s = %v, want %v", variant, g, want)
					}
				}
			})
		}
	}
}

// TestMisspeltField records how each language names an unknown field at compile time.
func TestMisspeltField(t *testing.T) {
	t.Parallel()
	celEnv, err := NewCELEnv()
	if err != nil {
		t.Fatal(err)
	}
	const cSrc = `record.jurisdiction == "CN" && record.signals.deepfake_scor >= 0.8`
	_, celErr := CompileCEL(celEnv, cSrc)
	_, exprErr := CompileExpr(cSrc)
	for name, err := range map[string]error{"cel": celErr, "expr": exprErr} {
		if err == nil {
			t.Errorf("%s: misspelt field compiled", name)
			continue
		}
		if !strings.Contains(err.Error(), "deepfake_scor") {
			t.Errorf("%s: error does not name the field: %v", name, err)
		}
		t.Logf("%s:\n%v", name, err)
	}

	// Type mismatch: comparing a score with a string.
	const tSrc = `record.signals.deepfake_score >= "high"`
	_, celErr = CompileCEL(celEnv, tSrc)
	_, exprErr = CompileExpr(tSrc)
	for name, err := range map[string]error{"cel": celErr, "expr": exprErr} {
		if err == nil {
			t.Errorf("%s: type mismatch compiled", name)
			continue
		}
		t.Logf("%s (type mismatch):\n%v", name, err)
	}

	// With a map environment neither language knows the fields: the typo compiles, and the
	// condition fails (CEL: no such key) or silently reads nil (expr) at evaluation time.
	celMapEnv, err := NewCELMapEnv()
	if err != nil {
		t.Fatal(err)
	}
	const mSrc = `record.signals.deepfake_scor >= 0.8`
	celMapProg, err := CompileCEL(celMapEnv, mSrc)
	if err != nil {
		t.Fatalf("cel map: typo did not compile: %v", err)
	}
	_, celRunErr := EvalCEL(celMapProg, hotRecord().AsMap())
	if celRunErr == nil || !strings.Contains(celRunErr.Error(), "deepfake_scor") {
		t.Errorf("cel map: eval error = %v, want one naming deepfake_scor", celRunErr)
	}
	t.Logf("cel-map eval: %v", celRunErr)
	exprMapProg, err := CompileExprMap(mSrc)
	if err != nil {
		t.Logf("expr-map compile: %v", err)
	} else {
		_, exprRunErr := RunExpr(nil, exprMapProg, hotRecord().AsMap())
		t.Logf("expr-map eval: %v", exprRunErr)
		if exprRunErr == nil {
			t.Errorf("expr-map: typo neither failed to compile nor to run")
		}
	}
}

// TestHelperSeesEnvironment shows the helper-function difference: an expr method on Env is
// called with the current environment as receiver; a CEL function receives only its
// arguments, so findings must be passed explicitly.
func TestHelperSeesEnvironment(t *testing.T) {
	t.Parallel()
	exprProg, err := CompileExpr(`HasCategory("violent_extremism") && record.jurisdiction == "CN"`)
	if err != nil {
		t.Fatalf("expr: %v", err)
	}
	celEnv, err := NewCELEnv()
	if err != nil {
		t.Fatal(err)
	}
	celProg, err := CompileCEL(celEnv, `hasCategory(findings, "violent_extremism") && record.jurisdiction == "CN"`)
	if err != nil {
		t.Fatalf("cel: %v", err)
	}
	for _, tc := range []struct {
		env  *Env
		want bool
	}{{hotRecord(), true}, {cleanRecord(), false}} {
		gotExpr, err := RunExpr(nil, exprProg, tc.env)
		if err != nil {
			t.Fatal(err)
		}
		gotCEL, err := EvalCEL(celProg, NewCELActivation(tc.env))
		if err != nil {
			t.Fatal(err)
		}
		if gotExpr != tc.want || gotCEL != tc.want {
			t.Errorf("%s: expr=%v cel=%v, want %v", tc.env.Record.ID, gotExpr, gotCEL, tc.want)
		}
	}
	// The one-argument form is the parse-time macro that inserts findings.
	celMacroProg, err := CompileCEL(celEnv, `hasCategory("violent_extremism") && record.jurisdiction == "CN"`)
	if err != nil {
		t.Fatalf("cel macro: %v", err)
	}
	for _, tc := range []struct {
		env  *Env
		want bool
	}{{hotRecord(), true}, {cleanRecord(), false}} {
		got, err := EvalCEL(celMacroProg, NewCELActivation(tc.env))
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s: cel macro=%v, want %v", tc.env.Record.ID, got, tc.want)
		}
	}
}

// TestExprMethodSetMismatch pins the expr pitfall found while writing this benchmark: a
// program compiled with Env{} and run with *Env calls the method with the same index in
// *Env's method set, which is a different method. The engine must compile and run with the
// same type.
func TestExprMethodSetMismatch(t *testing.T) {
	t.Parallel()
	p, err := expr.Compile(`HasCategory("violent_extremism")`, expr.Env(Env{}), expr.AsBool())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := RunExpr(nil, p, hotRecord()); err == nil {
		t.Error("run with *Env after compiling with Env{}: no error; the pitfall is gone, update CompileExpr's comment")
	} else {
		t.Logf("expr: %v", err)
	}
	if got, err := RunExpr(nil, p, *hotRecord()); err != nil || !got {
		t.Errorf("run with Env after compiling with Env{} = %v, %v; want true, nil", got, err)
	}
}

var _ interpreter.Activation = (*CELActivation)(nil)

// TestAbsentPointer pins how each language reads a nil *bool (declared_ai absent), which
// record.Record treats as a different fact from false. With ext.NativeTypes, CEL reads a
// nil *bool as false (proto3-style default) and only has() tells absent from false; expr
// reads nil, so `== false` is false for an absent value and `== nil` tests absence.
func TestAbsentPointer(t *testing.T) {
	t.Parallel()
	celEnv, err := NewCELEnv()
	if err != nil {
		t.Fatal(err)
	}
	absent := cleanRecord() // DeclaredAI nil
	said := hotRecord()     // DeclaredAI false
	for _, tc := range []struct {
		lang, src           string
		wantAbsent, wantSet bool
	}{
		{"cel", `record.declared_ai == false`, true, true},
		{"cel", `has(record.declared_ai) && record.declared_ai == false`, false, true},
		{"cel", `!has(record.declared_ai)`, true, false},
		{"expr", `record.declared_ai == false`, false, true},
		{"expr", `record.declared_ai == nil`, true, false},
	} {
		var eval func(*Env) (bool, error)
		if tc.lang == "cel" {
			p, err := CompileCEL(celEnv, tc.src)
			if err != nil {
				t.Fatalf("%s %s: %v", tc.lang, tc.src, err)
			}
			eval = func(e *Env) (bool, error) { return EvalCEL(p, NewCELActivation(e)) }
		} else {
			p, err := CompileExpr(tc.src)
			if err != nil {
				t.Fatalf("%s %s: %v", tc.lang, tc.src, err)
			}
			eval = func(e *Env) (bool, error) { return RunExpr(nil, p, e) }
		}
		for _, c := range []struct {
			env  *Env
			want bool
		}{{absent, tc.wantAbsent}, {said, tc.wantSet}} {
			got, err := eval(c.env)
			if err != nil || got != c.want {
				t.Errorf("%s `%s` on %s = %v, %v; want %v", tc.lang, tc.src, c.env.Record.ID, got, err, c.want)
			}
		}
	}
	// CEL rejects comparing the field with null at compile time: its type is bool.
	if _, err := CompileCEL(celEnv, `record.declared_ai == null`); err == nil {
		t.Error("cel: declared_ai == null compiled")
	}
}
