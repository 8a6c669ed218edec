package lexicon

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/aigcwatch/aigcwatch/detectors/lexicon/norm"
)

// scanTerms parses lexicon (TSV) and returns the original text of every hit in text.
func scanTerms(t *testing.T, lexicon, text string) []string {
	t.Helper()
	lx, err := Parse("test.tsv", []byte(lexicon), TSV)
	if err != nil {
		t.Fatal(err)
	}
	set, err := Compile(lx)
	if err != nil {
		t.Fatal(err)
	}
	var sc Scratch
	var got []string
	for _, h := range set.Scan(text, "", &sc) {
		got = append(got, text[h.Start:h.End])
	}
	slices.Sort(got)
	return got
}

func TestWordBoundaries(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, lexicon, text string
		want                []string
	}{
		// The Scunthorpe problem: terms inside longer words are not found.
		{"inside words", "ass\ntit\ncum\nmong\n", "the class assisted with the title of the documents among others", nil},
		{"whole words", "ass\ntit\n", "kiss my ass. Tit for tat; the ass's tail", []string{"Tit", "ass", "ass"}},
		{"digits are word characters", "ass\n", "ass2 2ass", nil},
		{"opt in with stars", "*fuck*\n", "motherfuckers", []string{"fuck"}},
		{"opt in at one end", "fuck*\n*shit\n", "fuckers bullshit shitty afuck", []string{"fuck", "shit"}},
		{"substring directive", "#!match substring\nass\n", "class", []string{"ass"}},
		{"word flag under the directive", "#!match substring\nass\t\t\t\t\tword\n", "class ass", []string{"ass"}},
		// Han is a boundary for a Latin term; Chinese terms keep substring matching.
		{"Latin term in Chinese text", "app\n", "这个app很好，apple不算", []string{"app"}},
		{"Chinese term", "敏感词\n", "这是敏感词汇", []string{"敏感词"}},
		{"mixed term", "ai脱衣\n", "用AI脱衣软件，mailAI脱衣", []string{"AI脱衣"}},
		{"Cyrillic", "блин\n", "блин! Блинчики", []string{"блин"}},
		{"Greek", "μαλάκα\n", "ρε μαλάκα, μαλάκας", []string{"μαλάκα"}},
		// Evasions stay caught.
		{"dotted", "bad\n", "you are a b.a.d person", []string{"b.a.d"}},
		{"spaced", "bad\n", "so b a d.", []string{"b a d"}},
		{"zero width inside", "bad\n", "b\u200ba\u200bd!", []string{"b\u200ba\u200bd"}},
		{"zero width does not split a word", "ass\n", "cl\u200bass", nil},
		{"full width and case", "bad\n", "ＢＡＤ ｂａｄ Bad", []string{"Bad", "ＢＡＤ", "ｂａｄ"}},
		{"full width letters are letters", "bad\n", "ｘbad", nil},
		{"circled letters fold to letters", "bad\n", "ⓧbad", nil},
		{"combining mark continues a word", "bad\n", "bade\u0301", nil},
		{"phrase", "kill yourself\n", "Kill Yourself! skill yourselves", []string{"Kill Yourself"}},
	}
	for _, c := range cases {
		got := scanTerms(t, c.lexicon, c.text)
		want := slices.Clone(c.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: %q in %q: got %q, want %q", c.name, strings.TrimSpace(c.lexicon), c.text, got, want)
		}
	}
}

// A term whose one-letter words are joined by a symbol changes meaning when the
// separators step glues it ("s&m" → "sm"): it is matched only where the text has a
// separator inside the occurrence.
func TestGluedTerms(t *testing.T) {
	t.Parallel()
	got := scanTerms(t, "s&m\n", "organisms, smoking, SM city, S&M, s & m, s.m.")
	want := []string{"S&M", "s & m", "s.m"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	// The same term without the separators step is matched as written.
	got = scanTerms(t, "#!normalize full,-separators\ns&m\n", "sm, S&M")
	if !slices.Equal(got, []string{"S&M"}) {
		t.Errorf("without separators: got %q", got)
	}
	// Spaced-out terms and Chinese terms keep their meaning: not affected.
	for _, term := range []string{"f u c k", "敏 感", "bad", "x-ray"} {
		if gluedByTerm(term, norm.Full()) {
			t.Errorf("gluedByTerm(%q) = true", term)
		}
	}
	for _, term := range []string{"s&m", "b&d", "s+m"} {
		if !gluedByTerm(term, norm.Full()) {
			t.Errorf("gluedByTerm(%q) = false", term)
		}
	}
}

func TestBadMatchDirective(t *testing.T) {
	_, err := Parse("x.tsv", []byte("#!match sometimes\nbad\n"), TSV)
	if err == nil || !strings.Contains(err.Error(), "x.tsv:1:") {
		t.Fatalf("got %v, want an error naming x.tsv:1", err)
	}
	_, err = Parse("x.tsv", []byte("bad\t\t\t\t\tfuzzy\n"), TSV)
	if err == nil || !strings.Contains(err.Error(), "x.tsv:1:") {
		t.Fatalf("got %v, want an error naming x.tsv:1", err)
	}
}

// oneWord reports whether term is one word of letters and digits.
func oneWord(term string) bool {
	for _, r := range term {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// TestEvasionSuite inserts every LDNOOBW English and Chinese term, disguised each usual
// way, into ordinary sentences and requires each occurrence to be found: word boundaries
// must not cost the evasion resistance.
func TestEvasionSuite(t *testing.T) {
	t.Parallel()
	ldnoobw := filepath.Join(sharedData(t), "lexicons", "ldnoobw")
	fullWidth := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			if r > ' ' && r < 0x7F {
				r += 0xFEE0
			}
			b.WriteRune(r)
		}
		return b.String()
	}
	mathBold := func(s string) string { // 𝐚 (U+1D41A) … NFKC folds them to ASCII
		var b strings.Builder
		for _, r := range s {
			switch {
			case 'a' <= r && r <= 'z':
				r = 0x1D41A + r - 'a'
			case 'A' <= r && r <= 'Z':
				r = 0x1D400 + r - 'A'
			}
			b.WriteRune(r)
		}
		return b.String()
	}
	joinRunes := func(s, sep string) string {
		rs := strings.Split(s, "")
		return strings.Join(rs, sep)
	}
	evasions := []struct {
		name string
		f    func(string) string
		ok   func(term string) bool // which terms the evasion applies to
	}{
		{"plain", func(s string) string { return s }, nil},
		{"upper case", strings.ToUpper, nil},
		{"title case", func(s string) string { return strings.ToUpper(s[:1]) + s[1:] }, nil},
		{"full width", fullWidth, nil},
		{"mathematical bold", mathBold, nil},
		{"zero-width spaces", func(s string) string { return joinRunes(s, "\u200b") }, nil},
		{"zero-width joiners", func(s string) string { return joinRunes(s, "\u200d") }, nil},
		// Spaced or dotted letters glue back only for single words (the separators step
		// glues one-letter words).
		{"spaced letters", func(s string) string { return joinRunes(s, " ") }, oneWord},
		{"dotted letters", func(s string) string { return joinRunes(s, ".") }, oneWord},
	}
	frames := []string{"you are %s!", "what a %s.", "I %s", "%s, he said.", "(%s)", "they called it \"%s\" yesterday", "%s"}
	for _, lang := range []string{"en", "zh"} {
		data, err := os.ReadFile(filepath.Join(ldnoobw, lang+".json"))
		if err != nil {
			t.Skipf("LDNOOBW %s absent: %v", lang, err)
		}
		lx, err := Parse(lang+".json", data, JSONArray)
		if err != nil {
			t.Fatal(err)
		}
		set, err := Compile(lx)
		if err != nil {
			t.Fatal(err)
		}
		var sc Scratch
		tried, missed := 0, 0
		for _, e := range lx.Entries {
			for _, ev := range evasions {
				if ev.ok != nil && !ev.ok(e.Term) {
					continue
				}
				if lang == "zh" && ev.name != "plain" && ev.name != "zero-width spaces" && ev.name != "zero-width joiners" && ev.name != "spaced letters" {
					continue
				}
				disguised := ev.f(e.Term)
				for _, fr := range frames {
					text := strings.Replace(fr, "%s", disguised, 1)
					at := strings.Index(text, disguised)
					found := false
					for _, h := range set.Scan(text, "", &sc) {
						if set.entries[h.Entry].Term == e.Term && h.Start == at && h.End == at+len(disguised) {
							found = true
						}
					}
					tried++
					if !found {
						missed++
						if missed <= 20 {
							t.Errorf("%s %q disguised as %s: not found in %q", lang, e.Term, ev.name, text)
						}
					}
				}
			}
		}
		t.Logf("%s: %d disguised occurrences, %d missed", lang, tried, missed)
	}
}
