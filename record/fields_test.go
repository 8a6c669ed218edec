package record

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// leaf is one JSON leaf field of the record: its dotted path (arrays as index 0) and Go type.
type leaf struct {
	path []string
	typ  reflect.Type
}

func leaves(t reflect.Type, prefix []string, out *[]leaf) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		p := append(append([]string{}, prefix...), name)
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft == reflect.TypeFor[time.Time]():
			*out = append(*out, leaf{p, ft})
		case ft.Kind() == reflect.Struct:
			leaves(ft, p, out)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			leaves(ft.Elem(), append(p, "0"), out)
		default:
			*out = append(*out, leaf{p, ft})
		}
	}
}

// nest builds {"a":{"b":[{"c":v}]}} for path a.b.0.c, inside a record with an id.
func nest(path []string, v any) map[string]any {
	var cur any = v
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == "0" {
			cur = []any{cur}
			continue
		}
		cur = map[string]any{path[i]: cur}
	}
	m := cur.(map[string]any)
	if _, ok := m["id"]; !ok {
		m["id"] = "field-test"
	}
	return m
}

// goodValue returns a valid value for a leaf, chosen to pass validation.
func goodValue(l leaf) any {
	name := l.path[len(l.path)-1]
	switch {
	case l.typ == reflect.TypeFor[time.Time]():
		return "2026-09-01T08:00:00+08:00"
	case l.typ.Kind() == reflect.Slice && l.typ.Elem().Kind() == reflect.Uint8:
		return "aGVsbG8=" // base64 "hello"
	case l.typ.Kind() == reflect.Slice:
		return []any{"a"}
	case l.typ.Kind() == reflect.Bool:
		return true
	case l.typ.Kind() == reflect.Float64:
		return 0.5
	case l.typ.Kind() == reflect.Int || l.typ.Kind() == reflect.Int64:
		return 7
	}
	enums := map[string]string{"jurisdiction": "CN", "role": "platform", "modality": "image", "type": "text", "position": "corner",
		"validation_state": "Valid", "notice": "suspected", "hard_binding": "match"}
	if v, ok := enums[name]; ok && (name != "type" || l.path[len(l.path)-2] == "explicit") {
		return v
	}
	return "v-" + name
}

// badValue returns a value of the wrong JSON type for a leaf.
func badValue(l leaf) any {
	switch l.typ.Kind() {
	case reflect.String:
		return 12
	case reflect.Bool:
		return "yes"
	case reflect.Slice:
		if l.typ.Elem().Kind() == reflect.Uint8 {
			return 5
		}
		return map[string]any{"not": "an array"}
	}
	if l.typ == reflect.TypeFor[time.Time]() {
		return false
	}
	return "12"
}

func TestEveryFieldGoodAndBad(t *testing.T) {
	var ls []leaf
	leaves(reflect.TypeFor[Record](), nil, &ls)
	if len(ls) < 60 {
		t.Fatalf("only %d leaf fields found", len(ls))
	}
	for _, l := range ls {
		path := strings.Join(l.path, ".")
		t.Run(path, func(t *testing.T) {
			good, _ := json.Marshal(nest(l.path, goodValue(l)))
			var r Record
			if err := Decode(good, Limits{}, &r); err != nil {
				t.Fatalf("good value rejected: %v\n%s", err, good)
			}
			if !fieldSet(reflect.ValueOf(r), l.path) {
				t.Errorf("good value not decoded into the field: %s", good)
			}
			if path == "id" {
				return
			}
			bad, _ := json.Marshal(nest(l.path, badValue(l)))
			err := Decode(bad, Limits{}, &r)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("wrong type accepted: %s", bad)
			}
			if de.Field != path {
				t.Errorf("wrong type reported for field %q (%v), want %q", de.Field, err, path)
			}
		})
	}
}

// fieldSet reports whether the value at path is non-zero.
func fieldSet(v reflect.Value, path []string) bool {
	for _, p := range path {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return false
			}
			v = v.Elem()
		}
		if p == "0" {
			if v.Len() == 0 {
				return false
			}
			v = v.Index(0)
			continue
		}
		found := false
		for i := 0; i < v.NumField(); i++ {
			name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
			if name == p {
				v, found = v.Field(i), true
				break
			}
		}
		if !found {
			return false
		}
	}
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return false
		}
		v = v.Elem()
	}
	return !v.IsZero()
}
