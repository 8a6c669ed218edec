package label

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/record"
)

const (
	inner   = `{"Label":"1","ContentProducer":"001191110102MAD55U9H0F10002","ProduceID":"p-1","ReservedCode1":"e862483430d9","ContentPropagator":"001191110102MAD55U9H0F10002","PropagateID":"p-1","ReservedCode2":""}`
	wrapped = `{"AIGC":` + inner + `}`
)

func TestParseForms(t *testing.T) {
	t.Parallel()
	xml := strings.ReplaceAll(wrapped, `"`, "&quot;")
	xmlNum := strings.ReplaceAll(inner, `"`, "&#34;")
	bs := strings.ReplaceAll(wrapped, `"`, `\"`)
	quoted, _ := json.Marshal(inner)
	aigcString, _ := json.Marshal(map[string]string{"AIGC": inner})
	cases := []struct {
		name, raw string
		wrapped   bool
		encoding  string
	}{
		{"bare", inner, false, ""},
		{"wrapped", wrapped, true, ""},
		{"white space and BOM", "\ufeff \n" + wrapped + "\n", true, ""},
		{"xml entities", xml, true, "xml"},
		{"numeric xml references", xmlNum, false, "xml"},
		{"backslash escaped", bs, true, "backslash"},
		{"quoted JSON string", string(quoted), false, "backslash"},
		{"AIGC holds a JSON string", string(aigcString), true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := Parse(c.raw)
			if p.Status != OK {
				t.Fatalf("status %s, want ok", p.Status)
			}
			if p.Wrapped != c.wrapped || p.Encoding != c.encoding {
				t.Errorf("wrapped %v encoding %q, want %v %q", p.Wrapped, p.Encoding, c.wrapped, c.encoding)
			}
			want := [numKeys]string{"1", "001191110102MAD55U9H0F10002", "p-1", "e862483430d9", "001191110102MAD55U9H0F10002", "p-1", ""}
			if p.Values != want {
				t.Errorf("values %q, want %q", p.Values, want)
			}
			for k, h := range p.Has {
				if !h || !p.String[k] {
					t.Errorf("key %s: has %v string %v", Keys[k], h, p.String[k])
				}
			}
			if p.Unknown != 0 || p.DupKeys || p.LabelNumber {
				t.Errorf("unknown %d dup %v number %v", p.Unknown, p.DupKeys, p.LabelNumber)
			}
		})
	}
}

func TestParseStatuses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, raw string
		want      Status
	}{
		{"empty", "", Empty},
		{"spaces", "  \t\n", Empty},
		{"truncated in a value", wrapped[:60], Truncated},
		{"truncated after a comma", `{"Label":"1",`, Truncated},
		{"truncated in a literal", `{"Label":tr`, Truncated},
		{"truncated xml", strings.ReplaceAll(wrapped, `"`, "&quot;")[:90], Truncated},
		{"not JSON", "Label=1;ContentProducer=x", Syntax},
		{"an array", `["1"]`, Syntax},
		{"trailing garbage", inner + "x", Syntax},
		{"missing colon", `{"Label" "1"}`, Syntax},
		{"bad escape", `{"Label":"\q"}`, Syntax},
		{"control character in a string", "{\"Label\":\"1\x01\"}", Syntax},
		{"empty object", `{}`, OK},
		{"empty wrapper", `{"AIGC":{}}`, OK},
		{"nested values skipped", `{"Label":"1","X":{"a":[1,2,{"b":null}]},"Y":true}`, OK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := Parse(c.raw).Status; got != c.want {
				t.Errorf("Parse(%q).Status = %s, want %s", c.raw, got, c.want)
			}
		})
	}
}

func TestParseDetails(t *testing.T) {
	t.Parallel()
	p := Parse(`{"Label":1,"ContentProducer":"Minimax Agent AI","label":"x","Label":"2","ProduceID":"\u4e2d"}`)
	if p.Status != OK || !p.DupKeys || p.Unknown != 1 {
		t.Fatalf("status %s dup %v unknown %d", p.Status, p.DupKeys, p.Unknown)
	}
	if p.Values[kLabel] != "2" || !p.String[kLabel] {
		t.Errorf("the later Label wins: %q string %v", p.Values[kLabel], p.String[kLabel])
	}
	if p.Values[kProduceID] != "中" {
		t.Errorf("escape decoded: %q", p.Values[kProduceID])
	}
	n := Parse(`{"Label":3}`)
	if !n.LabelNumber || n.Values[kLabel] != "3" || n.String[kLabel] {
		t.Errorf("numeric label: %+v", n)
	}
	if q := Parse(`{"AIGC":{"Label":"1"},"Extra":1}`); q.Status != OK || !q.Wrapped || q.Unknown != 1 {
		t.Errorf("extra outer key: %+v", q)
	}
}

func TestShellEqual(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{"", `{}`, `{"AIGC":{}}`, `{"Label":"","ContentProducer":""}`} {
		if p := Parse(raw); !p.Shell() {
			t.Errorf("%q is an empty shell", raw)
		}
	}
	a, b := Parse(inner), Parse(strings.ReplaceAll(wrapped, `"`, "&quot;"))
	if !a.Equal(&b) {
		t.Error("the same label in two encodings is equal")
	}
	c := Parse(strings.Replace(inner, `"p-1"`, `"p-2"`, 1))
	if a.Equal(&c) || a.Shell() {
		t.Error("different ProduceID is not equal; a full label is not a shell")
	}
}

func TestCharsetAndCode(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]bool{
		"": true, "abc-XYZ_09": true, `a"b`: true, "a b": false, `a\b`: false, "中文": false, "a\tb": false, "~!#": true,
	} {
		if CharsetOK(v) != want {
			t.Errorf("CharsetOK(%q) = %v", v, !want)
		}
	}
	for v, want := range map[string]int{
		"001191110102MAD55U9H0F10002": CodeGen,
		"001191440300708461136T2XGW3": CodeProp,
		"001191440300708461136T00000": CodeNoExt,
		"001191440300708461136T3XGW3": CodeBad,
		"011191440300708461136T1XGW3": CodeBad,
		"001191440300708461136t1XGW3": CodeBad,
		"CorpusStudio":                CodeName,
		"":                            CodeName,
	} {
		if got := CodeShape(v); got != want {
			t.Errorf("CodeShape(%q) = %d, want %d", v, got, want)
		}
	}
}

func TestElements(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"AI生成":        true,
		"人工智能生成合成":    true,
		"本内容由AI生成":    true,
		"本内容由ai合成":    true,
		"AI":          false,
		"生成":          false,
		"他said了一些生成的": false,
		"AIGC生成":      true,
	} {
		if Elements(s) != want {
			t.Errorf("Elements(%q) = %v", s, !want)
		}
	}
	long := strings.Repeat("正文", 100)
	if !TextLabel("本回答由AI生成。"+long, 64) || !TextLabel(long+"（AI生成）", 64) {
		t.Error("label at the start or the end is found")
	}
	if TextLabel(long[:300]+"AI生成"+long[300:], 64) {
		t.Error("a label in the middle of a long text is outside the window")
	}
	if head("ab中文", 3) != "ab中" || tail("ab中文", 3) != "b中文" {
		t.Error("head/tail count characters, not bytes")
	}
}

// FuzzParse checks the parser never panics, and that whenever it accepts a bare object,
// encoding/json agrees it is valid JSON with the same string values.
func FuzzParse(f *testing.F) {
	for _, s := range []string{inner, wrapped, strings.ReplaceAll(wrapped, `"`, "&quot;"), strings.ReplaceAll(wrapped, `"`, `\"`),
		`{"Label":1}`, `{"AIGC":"{\"Label\":\"2\"}"}`, `{"a":[{"b":[]}]}`, `{"Label":"\ud83d\ude00"}`, "", "{", `"x"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		p := Parse(raw)
		// Parsing into a record's arena (already holding bytes) gives the same payload.
		arena := []byte("earlier bytes of the record")
		if q := parseArena(raw, &arena); !reflect.DeepEqual(p, q) {
			t.Fatalf("%q: parseArena %+v, Parse %+v", raw, q, p)
		}
		if p.Status != OK || p.Encoding != "" || p.Wrapped {
			return
		}
		// Parse trims Unicode white space and a BOM around the payload, as extractors leave them.
		var m map[string]any
		if err := json.Unmarshal([]byte(strings.TrimSpace(strings.TrimPrefix(raw, "\ufeff"))), &m); err != nil {
			t.Fatalf("Parse accepted %q, encoding/json says %v", raw, err)
		}
		for k, name := range Keys {
			v, ok := m[name]
			if ok != p.Has[k] {
				t.Fatalf("%q: key %s present %v, Parse says %v", raw, name, ok, p.Has[k])
			}
			if s, isStr := v.(string); isStr && !p.DupKeys && s != p.Values[k] && strings.ToValidUTF8(p.Values[k], "\ufffd") == p.Values[k] {
				t.Fatalf("%q: %s = %q, Parse says %q", raw, name, s, p.Values[k])
			}
		}
	})
}

// TestArenaStringsSurviveGrowth: several escaped carriers in one record grow the arena;
// the facts taken from the first must still be intact afterwards, and the next record
// (after Reset) must not see the previous one's bytes.
func TestArenaStringsSurviveGrowth(t *testing.T) {
	esc := func(s string) string { return strings.ReplaceAll(s, `"`, "&quot;") }
	first := `{"AIGC":{"Label":"1","ContentProducer":"001191110108MA01KP2T5U10000","ProduceID":"first-id","ReservedCode1":"","ContentPropagator":"001191110108MA01KP2T5U10000","PropagateID":"first-id","ReservedCode2":""}}`
	other := strings.ReplaceAll(first, "first-id", strings.Repeat("x", 300))
	var res detectors.Result
	res.Arena = make([]byte, 0, 8) // force growth
	d := New(Config{})
	r := &record.Record{ID: "a", Jurisdiction: "CN", Role: "provider", Modality: "image", Labels: record.Labels{Implicit: []record.ImplicitLabel{
		{Carrier: "xmp:TC260:AIGC", Raw: esc(first)}, {Carrier: "png:tEXt:AIGC", Raw: esc(other)}, {Carrier: "png:iTXt:AIGC", Raw: esc(other)}}}}
	if err := d.Detect(context.Background(), r, &res); err != nil {
		t.Fatal(err)
	}
	if res.Label.ProduceID != "first-id" || res.Label.Producer != "001191110108MA01KP2T5U10000" || !res.Label.Conflict {
		t.Fatalf("facts of the first carrier damaged: %+v", res.Label)
	}
	res.Reset()
	r2 := &record.Record{ID: "b", Jurisdiction: "CN", Role: "provider", Modality: "image", Labels: record.Labels{Implicit: []record.ImplicitLabel{
		{Carrier: "xmp:TC260:AIGC", Raw: esc(strings.ReplaceAll(first, "first-id", "second"))}}}}
	if err := d.Detect(context.Background(), r2, &res); err != nil {
		t.Fatal(err)
	}
	if res.Label.ProduceID != "second" || res.Label.Conflict {
		t.Fatalf("second record: %+v", res.Label)
	}
}
