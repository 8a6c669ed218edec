package exprlang

import (
	"fmt"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// CompileExpr compiles one condition against the typed *Env (field names from the expr
// tags, methods of Env callable as functions) and requires a bool result.
//
// The programs must then run on a *Env, never an Env: expr calls environment methods by
// their index in the method set, and the method sets of Env and *Env differ (AsMap has a
// pointer receiver), so compiling with Env{} and running with &env calls the wrong method
// (TestExprMethodSetMismatch shows it).
func CompileExpr(src string) (*vm.Program, error) {
	return expr.Compile(src, expr.Env(&Env{}), expr.AsBool(), expr.ConstExpr("Timestamp"))
}

// CompileExprMap compiles one condition against a map environment shaped like Env.AsMap:
// nested values are `any`, so field names below record are not checked. Timestamp exists
// only at compile time, for folding literal calls; the run-time map need not carry it.
func CompileExprMap(src string) (*vm.Program, error) {
	return expr.Compile(src, expr.Env(map[string]any{
		"record":    map[string]any{},
		"findings":  []any{},
		"Timestamp": (*Env)(nil).Timestamp,
	}), expr.AsBool(), expr.ConstExpr("Timestamp"))
}

// RunExpr runs a compiled condition on env (an Env, *Env or the map from Env.AsMap).
// A nil machine means a fresh one per call, as expr.Run does.
func RunExpr(m *vm.VM, p *vm.Program, env any) (bool, error) {
	var out any
	var err error
	if m == nil {
		out, err = expr.Run(p, env)
	} else {
		out, err = m.Run(p, env)
	}
	if err != nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("exprlang: condition returned %T, want bool", out)
	}
	return b, nil
}
