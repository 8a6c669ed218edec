package lexicon

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/aigcwatch/aigcwatch/detectors"
	"github.com/aigcwatch/aigcwatch/record"
)

func TestLoadTSV(t *testing.T) {
	t.Parallel()
	lexs, err := Load("testdata/good.tsv")
	if err != nil {
		t.Fatal(err)
	}
	lx := lexs[0]
	byTerm := map[string]Entry{}
	for _, e := range lx.Entries {
		byTerm[e.Term] = e
	}
	check := func(term, cat string, sev detectors.Severity, layer detectors.Layer) {
		t.Helper()
		e, ok := byTerm[term]
		if !ok {
			t.Fatalf("term %q missing", term)
		}
		if e.Category != cat || e.Severity != sev || e.Layer != layer {
			t.Errorf("%q: got %s/%s/%s, want %s/%s/%s", term, e.Category, e.Severity, e.Layer, cat, sev, layer)
		}
	}
	check("敏感词", "politics", detectors.High, detectors.Content)
	check("身份证号", "pii", detectors.Critical, detectors.Element)
	check("刷单", "scam", detectors.Medium, detectors.Industry)
	check("人民", DefaultCategory, detectors.Medium, detectors.Content)
	check("x", "abuse", detectors.Low, detectors.Content)
	if !byTerm["中华人民共和国"].Allow {
		t.Error("allow entry not marked")
	}
	if j := byTerm["bad word"].Jurisdictions; len(j) != 2 || j[0] != "EU" {
		t.Errorf("jurisdictions = %v", j)
	}
	if _, ok := byTerm["y"]; ok {
		t.Error("one-character term y kept without the single flag")
	}
	if len(lx.Warnings) != 1 || !strings.HasPrefix(lx.Warnings[0], "testdata/good.tsv:11: one-character") {
		t.Errorf("warnings = %q", lx.Warnings)
	}
}

func TestLoadBadReportsEveryLine(t *testing.T) {
	t.Parallel()
	_, err := Load("testdata/bad.tsv")
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want *ParseError", err)
	}
	want := []string{
		"testdata/bad.tsv:2: column 3 (severity)",
		"testdata/bad.tsv:5: column 4 (layer)",
		"testdata/bad.tsv:6: column 6 (flags)",
		"testdata/bad.tsv:7: unknown directive",
		"testdata/bad.tsv:8: 7 columns",
	}
	if len(pe.Lines) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(pe.Lines), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(pe.Lines[i].Error(), w) {
			t.Errorf("error %d = %q, want prefix %q", i, pe.Lines[i].Error(), w)
		}
	}
}

func TestParseFormats(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"en.json":   {Data: []byte("[\n  \"bad\",\n  \"worse one\"\n]\n")},
		"zh.dict":   {Data: []byte("中国 100 ns\n人民 50 n\n")},
		"bad.json":  {Data: []byte("[\n  \"ok\",\n  3\n]\n")},
		"empty.tsv": {Data: []byte("ok\n\t abuse\n")},
	}
	lexs, err := LoadFS(fsys, "en.json", "zh.dict")
	if err != nil {
		t.Fatal(err)
	}
	if got := len(lexs[0].Entries); got != 2 || lexs[0].Entries[1].Source != "en.json:3" {
		t.Errorf("json: %d entries, %+v", got, lexs[0].Entries)
	}
	if got := len(lexs[1].Entries); got != 2 || lexs[1].Entries[0].Term != "中国" {
		t.Errorf("jieba: %+v", lexs[1].Entries)
	}
	for name, want := range map[string]string{"bad.json": "bad.json:3: ", "empty.tsv": "empty.tsv:2: empty term"} {
		_, err := LoadFS(fsys, name)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", name, err, want)
		}
	}
}

func newTestDetector(t testing.TB, files ...string) *Detector {
	t.Helper()
	lexs, err := Load(files...)
	if err != nil {
		t.Fatal(err)
	}
	set, err := Compile(lexs...)
	if err != nil {
		t.Fatal(err)
	}
	return New(set)
}

func TestDetector(t *testing.T) {
	t.Parallel()
	d := newTestDetector(t, "testdata/good.tsv")
	cases := []struct {
		name, text, jur string
		want            []string // "term@original text"
	}{
		{"plain", "这是敏感词。", "", []string{"敏感词@敏感词"}},
		{"evasion", "这是敏*感\u200b词, ＢＡＤ  ＷＯＲＤ", "", []string{"敏感词@敏*感\u200b词", "bad word@ＢＡＤ  ＷＯＲＤ"}},
		{"allow covers", "中华人民共和国", "", nil},
		{"allow does not cover elsewhere", "中华人民共和国的人民", "", []string{"人民@人民"}},
		{"element layer", "身份证号", "", []string{"身份证号@身份证号"}},
		{"jurisdiction filtered", "bad word", "CN", nil},
		{"jurisdiction kept", "bad word", "eu", []string{"bad word@bad word"}},
		{"single allowed", "x", "", []string{"x@x"}},
		{"traditional", "這是敏感詞", "", []string{"敏感词@敏感詞"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var res detectors.Result
			rec := &record.Record{Text: tc.text, Jurisdiction: tc.jur}
			if err := d.Detect(context.Background(), rec, &res); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range res.Findings {
				if f.Detector != Name {
					t.Errorf("detector = %q", f.Detector)
				}
				if f.Evidence.Term == "身份证号" && f.Layer != detectors.Element {
					t.Errorf("pii layer = %v", f.Layer)
				}
				got = append(got, f.Evidence.Term+"@"+tc.text[f.Evidence.Start:f.Evidence.End])
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDetectorSwap(t *testing.T) {
	t.Parallel()
	d := New(nil)
	var res detectors.Result
	rec := &record.Record{Text: "敏感词"}
	if err := d.Detect(context.Background(), rec, &res); err != nil || len(res.Findings) != 0 {
		t.Fatalf("empty detector: %v %v", res.Findings, err)
	}
	if _, err := d.Reload("testdata/good.tsv"); err != nil {
		t.Fatal(err)
	}
	old := d.Set()
	if _, err := d.Reload("testdata/bad.tsv"); err == nil {
		t.Fatal("bad reload succeeded")
	}
	if d.Set() != old {
		t.Fatal("failed reload replaced the set")
	}
	if err := d.Detect(context.Background(), rec, &res); err != nil || len(res.Findings) != 1 {
		t.Fatalf("after reload: %v %v", res.Findings, err)
	}
}

func TestDetectorNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	d := newTestDetector(t, "testdata/good.tsv")
	rec := &record.Record{Text: strings.Repeat("这是敏*感词，也是 bad word 和 中华人民共和国。", 20)}
	var res detectors.Result
	ctx := context.Background()
	_ = d.Detect(ctx, rec, &res)
	allocs := testing.AllocsPerRun(200, func() {
		res.Reset()
		_ = d.Detect(ctx, rec, &res)
	})
	if allocs != 0 {
		t.Errorf("allocs per Detect = %v, want 0", allocs)
	}
	if len(res.Findings) == 0 {
		t.Error("no findings")
	}
}
