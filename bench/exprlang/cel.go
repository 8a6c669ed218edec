package exprlang

import (
	"fmt"
	"reflect"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/ext"
	"cel.dev/cel-go/interpreter"
)

// NewCELEnv returns a CEL environment over the Go structs (ext.NativeTypes, no protobuf
// messages), with field names taken from the expr tags, and the variables record and
// findings. It also declares hasCategory(findings, category): a CEL function sees only its
// arguments, never the activation, so the list must be passed in explicitly. The
// one-argument form hasCategory(category) is a parse-time macro that rewrites the call to
// hasCategory(findings, category): the only CEL way to give a helper the environment.
func NewCELEnv() (*cel.Env, error) {
	findingList := cel.ListType(cel.ObjectType("exprlang.Finding"))
	return cel.NewEnv(
		ext.NativeTypes(reflect.TypeFor[Record](), reflect.TypeFor[Finding](), ext.ParseStructTag("expr")),
		cel.Variable("record", cel.ObjectType("exprlang.Record")),
		cel.Variable("findings", findingList),
		cel.Function("hasCategory",
			cel.Overload("hasCategory_list_string", []*cel.Type{findingList, cel.StringType}, cel.BoolType,
				cel.BinaryBinding(celHasCategory))),
		cel.Macros(cel.GlobalMacro("hasCategory", 1,
			func(eh cel.MacroExprFactory, _ ast.Expr, args []ast.Expr) (ast.Expr, *common.Error) {
				return eh.NewCall("hasCategory", eh.NewIdent("findings"), args[0]), nil
			})),
	)
}

func celHasCategory(list, category ref.Val) ref.Val {
	fs, err := list.ConvertToNative(reflect.TypeFor[[]Finding]())
	if err != nil {
		return types.WrapErr(err)
	}
	c := category.(types.String)
	for _, f := range fs.([]Finding) {
		if f.Category == string(c) {
			return types.True
		}
	}
	return types.False
}

// NewCELMapEnv returns a CEL environment where record is a map(string, dyn) and findings a
// list(dyn): no schema, so a misspelt field is found only at evaluation time.
func NewCELMapEnv() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable("record", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("findings", cel.ListType(cel.DynType)),
	)
}

// CompileCEL parses, checks and plans one condition. OptOptimize folds constant calls such
// as timestamp("...") and turns `x in [list]` into a set lookup once, at plan time.
func CompileCEL(env *cel.Env, src string) (cel.Program, error) {
	ast, iss := env.Compile(src)
	if iss.Err() != nil {
		return nil, iss.Err()
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		return nil, fmt.Errorf("exprlang: condition has type %s, want bool", ast.OutputType())
	}
	return env.Program(ast, cel.EvalOptions(cel.OptOptimize))
}

// CELActivation resolves record and findings from an Env. It is built once per record
// (the values are boxed once) and shared by every rule evaluated on that record.
type CELActivation struct {
	record   any
	findings any
}

// NewCELActivation boxes e's fields once.
func NewCELActivation(e *Env) *CELActivation {
	return &CELActivation{record: e.Record, findings: e.Findings}
}

// ResolveName implements interpreter.Activation.
func (a *CELActivation) ResolveName(name string) (any, bool) {
	switch name {
	case "record":
		return a.record, true
	case "findings":
		return a.findings, true
	}
	return nil, false
}

// Parent implements interpreter.Activation.
func (a *CELActivation) Parent() interpreter.Activation { return nil }

// EvalCEL runs a compiled condition and returns its boolean result.
func EvalCEL(p cel.Program, act any) (bool, error) {
	out, _, err := p.Eval(act)
	if err != nil {
		return false, err
	}
	b, ok := out.(types.Bool)
	if !ok {
		return false, fmt.Errorf("exprlang: condition returned %s, want bool", out.Type())
	}
	return bool(b), nil
}
