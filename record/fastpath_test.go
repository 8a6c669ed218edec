package record

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// fastSeeds are records of the shapes decodeFast takes and of those it must give up on.
var fastSeeds = []string{
	`{"id":"a","text":"hello","labels":{"implicit":[{"raw":"x"}]}}`,
	`{"id":"a","time":"2026-01-01T00:00:00Z","signals":{"ai_score":0.5}}`,
	`{"id":"mix-1","provider":"provider-1","service":"chat","role":"provider","modality":"text","jurisdiction":"CN","labels":{"interface":true},"text":"这款折叠婴儿车单手就能收起，周末带孩子去公园非常方便。"}`,
	` { "id" : "a" , "text" : "中文 \u4e2d\ud83d\ude00 \"quoted\" \\ \/ \n" , "declared_ai" : false } `,
	`{"id":"a","text":"a\n\u4e2d\ud83d\ude00\ud800x\udc00\\\"\/\b\f\r\t"}`,
	`{"id":"a","text":null}`,
	`{"id":"a","text":"x","Text":"y","text":"z"}`,
	`{"id":"a","unknown":{"deep":[1,2,{"x":"\u0041"}]},"text":"t"}`,
	`{"id":"a\u0062","text":"t"}`,
	`{"id":"a","text":"raw` + "\t" + `tab"}`,
	`{"id":"a","text":"x"} trailing`,
	`{"id":"a","text":"x",}`,
	`{"id":"a","time":"not a time"}`,
	`{"id":"a","text":5}`,
	`{"id":"a","modality":"text","media":{"mime":"image/png","sha256":"00"}}`,
	`{"i\u0064":"a"}`,
	`{}`,
	`{"id":"a","text":"unterminated`,
	`{"id":"a","text":"bad escape \q"}`,
	`{"id":"a","self_reported":true,"distribution":{"notice":"is"},"context":{"deep_synthesis":true}}`,
	`{"id":"a","text":"ends in a backslash \\\\","role":"provider"}`,
	`{"id":"a","text":"a \\\" quote, \\\\\\\" and more","role":"provider"}`,
	`{"id":"a","labels":{ "interface" : false , "explicit":{"present":true,"text":"AI生成"},"implicit":[]}}`,
	`{"id":"a","labels":{"interface":null}}`,
	`{"id":"a","labels":{"interface":truex}}`,
	`{"id":"a","labels":{"interface":true,"interface":false}}`,
	`{"id":"a","labels":{"Interface":true}}`,
	`{"id":"a","labels":{}}`,
	`{"id":"a","labels":null}`,
	`{"id":"a","labels":{"interface":1}}`,
}

// FuzzDecodeFast: whenever decodeFast takes a record, the general decoder takes it too
// and makes the same Record of it.
func FuzzDecodeFast(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !utf8.Valid(data) {
			return // Decode refuses these before either path
		}
		if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' {
			return
		}
		var fast, general Record
		if !decodeFast(data, &fast) {
			return
		}
		if err := decodeGeneral(data, &general); err != nil {
			t.Fatalf("decodeFast took %q, the general decoder refuses it: %v", data, err)
		}
		if !reflect.DeepEqual(fast, general) {
			t.Fatalf("input %q:\nfast    %+v\ngeneral %+v", data, fast, general)
		}
	})
}

// TestDecodeFastTakesTheCommonShapes: the records a platform sends (flat, known
// members, escapes in the text, white space, unknown members) take the fast path, the
// unusual ones do not, and Decode's answer is the same either way.
func TestDecodeFastTakesTheCommonShapes(t *testing.T) {
	takes := map[string]bool{
		fastSeeds[0]: true, fastSeeds[1]: true, fastSeeds[2]: true, fastSeeds[3]: true, fastSeeds[4]: true,
		fastSeeds[7]: true, fastSeeds[14]: true, fastSeeds[16]: true, fastSeeds[19]: true,
		fastSeeds[20]: true, fastSeeds[21]: true,
		fastSeeds[22]: true, fastSeeds[23]: true, fastSeeds[27]: true, // labels: every member, a null flag, empty
	}
	for _, s := range fastSeeds {
		var r Record
		if got := decodeFast([]byte(s), &r); got != takes[s] {
			t.Errorf("decodeFast(%s) = %v, want %v", s, got, takes[s])
		}
		var viaDecode, general Record
		errD := Decode([]byte(s), Limits{}, &viaDecode)
		var errG error
		if err := decodeGeneral([]byte(s), &general); err != nil {
			errG = err
		} else {
			errG = general.validate(DefaultLimits)
		}
		if (errD == nil) != (errG == nil) || errD != nil && errD.Error() != errG.Error() || errD == nil && !reflect.DeepEqual(viaDecode, general) {
			t.Errorf("%s: Decode %v %+v, general path %v %+v", s, errD, viaDecode, errG, general)
		}
	}
	if strings.Count(fastSeeds[3], `\`) == 0 {
		t.Fatal("seed 3 lost its escapes")
	}
}

// TestMemberIndex: memberIndex names every field of Record by its JSON name, and nothing
// else.
func TestMemberIndex(t *testing.T) {
	rt := reflect.TypeFor[Record]()
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		if got := memberIndex([]byte(name)); got != i {
			t.Errorf("memberIndex(%q) = %d, want %d (field %s)", name, got, i, rt.Field(i).Name)
		}
	}
	for _, name := range []string{"", "ID", "Text", "texts", "labels ", "unknown"} {
		if got := memberIndex([]byte(name)); got != -1 {
			t.Errorf("memberIndex(%q) = %d, want -1", name, got)
		}
	}
}

// TestHasControl against the byte loop, at every position and length around the word
// and block sizes.
func TestHasControl(t *testing.T) {
	for n := 0; n <= 70; n++ {
		base := bytes.Repeat([]byte("中a"), n)[:n]
		if hasControl(base) {
			t.Fatalf("len %d: no control byte, hasControl true", n)
		}
		for pos := 0; pos < n; pos++ {
			for _, c := range []byte{0x00, 0x1f, '\t', '\n'} {
				b := bytes.Clone(base)
				b[pos] = c
				if !hasControl(b) {
					t.Fatalf("len %d: %#x at %d not found", n, c, pos)
				}
			}
			b := bytes.Clone(base)
			b[pos] = 0x20 // the first byte that is allowed
			if hasControl(b) {
				t.Fatalf("len %d: space at %d taken for a control byte", n, pos)
			}
		}
	}
}
