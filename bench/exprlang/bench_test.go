package exprlang

import (
	"testing"

	"cel.dev/cel-go/cel"
	"github.com/expr-lang/expr/vm"
)

// benchCases are the evaluated cases: a–d on the record that matches them all (every
// conjunct runs), e is condition c on the clean record without findings.
func benchCases() []struct {
	name string
	cond Condition
	env  *Env
} {
	type bc = struct {
		name string
		cond Condition
		env  *Env
	}
	var out []bc
	for _, c := range Conditions {
		out = append(out, bc{c.Name, c, hotRecord()})
	}
	return append(out, bc{"e_clean_record", Conditions[2], cleanRecord()})
}

var sink bool

// BenchmarkCompile measures compiling one condition, once per rule at load time. The CEL
// environment is built once outside the loop (BenchmarkCELNewEnv measures it); expr builds
// its type information from expr.Env on every Compile, so that cost is inside.
func BenchmarkCompile(b *testing.B) {
	celEnv, err := NewCELEnv()
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range Conditions {
		b.Run(c.Name+"/cel", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := CompileCEL(celEnv, c.CEL); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.Name+"/expr", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := CompileExpr(c.Expr); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCELNewEnv measures building the CEL environment (native types, variables,
// helper function), once per rule-set load.
func BenchmarkCELNewEnv(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewCELEnv(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEval measures one evaluation of a compiled condition.
//
//	cel-struct: native Go structs, CELActivation built once per record (outside the loop).
//	cel-map:    map(string, dyn) variables, activation over Env.AsMap built once per record.
//	expr-struct: expr.Run on *Env (a new VM per call, as expr.Run does).
//	expr-struct-vm: one reused vm.VM on *Env (a VM is not safe for concurrent use: one per worker).
//	expr-map:   expr.Run on Env.AsMap.
//
// Converting the record to a map is left out of the map variants (done once per record and
// shared by all rules); BenchmarkAsMap measures it.
func BenchmarkEval(b *testing.B) {
	celEnv, err := NewCELEnv()
	if err != nil {
		b.Fatal(err)
	}
	celMapEnv, err := NewCELMapEnv()
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range benchCases() {
		celProg, err := CompileCEL(celEnv, bc.cond.CEL)
		if err != nil {
			b.Fatal(err)
		}
		celMapProg, err := CompileCEL(celMapEnv, bc.cond.CEL)
		if err != nil {
			b.Fatal(err)
		}
		exprProg, err := CompileExpr(bc.cond.Expr)
		if err != nil {
			b.Fatal(err)
		}
		exprMapProg, err := CompileExprMap(bc.cond.Expr)
		if err != nil {
			b.Fatal(err)
		}
		celAct := NewCELActivation(bc.env)
		m := bc.env.AsMap()
		celMapAct, err := cel.NewActivation(m)
		if err != nil {
			b.Fatal(err)
		}
		run := func(name string, f func() (bool, error)) {
			want, err := f()
			if err != nil {
				b.Fatalf("%s/%s: %v", bc.name, name, err)
			}
			b.Run(bc.name+"/"+name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					got, err := f()
					if err != nil || got != want {
						b.Fatalf("got %v, %v; want %v", got, err, want)
					}
					sink = got
				}
			})
		}
		var machine vm.VM
		run("cel-struct", func() (bool, error) { return EvalCEL(celProg, celAct) })
		run("cel-map", func() (bool, error) { return EvalCEL(celMapProg, celMapAct) })
		run("expr-struct", func() (bool, error) { return RunExpr(nil, exprProg, bc.env) })
		run("expr-struct-vm", func() (bool, error) { return RunExpr(&machine, exprProg, bc.env) })
		run("expr-map", func() (bool, error) { return RunExpr(nil, exprMapProg, m) })
	}
}

// BenchmarkAsMap measures the per-record conversion the map variants need.
func BenchmarkAsMap(b *testing.B) {
	e := hotRecord()
	b.ReportAllocs()
	for b.Loop() {
		m := e.AsMap()
		if len(m) != 2 {
			b.Fatal("bad map")
		}
	}
}
