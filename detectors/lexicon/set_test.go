package lexicon

import (
	"bufio"
	"cmp"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/aigcwatch/aigcwatch/detectors/lexicon/norm"
)

// referenceScan is the naive reference for Set.Scan: normalise the text, find every
// occurrence of every normalised term by brute force, map offsets back.
func referenceScan(text string, entries []Entry, o norm.Options) []Hit {
	n := norm.New(o)
	var b norm.Buffer
	n.Normalize(&b, text)
	out := string(b.Out)
	var hits []Hit
	for ei, e := range entries {
		key := n.String(e.Term)
		if key == "" {
			continue
		}
		first, _ := utf8.DecodeRuneInString(key)
		last, _ := utf8.DecodeLastRuneInString(key)
		glued := gluedByTerm(e.Term, o)
		for i := 0; i+len(key) <= len(out); i++ {
			if out[i:i+len(key)] != key {
				continue
			}
			j := i + len(key)
			s, en := b.Span(i, j)
			if !e.SubstringStart && refSpaced(first) && i > 0 {
				prev, size := utf8.DecodeLastRuneInString(out[:i])
				_, pe := b.Span(i-size, i)
				if refSpaced(prev) && !refSeparated(text, pe, s) {
					continue
				}
			}
			if !e.SubstringEnd && refSpaced(last) && j < len(out) {
				next, size := utf8.DecodeRuneInString(out[j:])
				ns, _ := b.Span(j, j+size)
				if refSpaced(next) && !refSeparated(text, en, ns) {
					continue
				}
			}
			if glued && !refSeparated(text, s, en) {
				continue
			}
			hits = append(hits, Hit{Entry: int32(ei), Start: s, End: en})
		}
	}
	return hits
}

// refSpaced is the reference's test for a letter or digit of a script written with
// spaces: anything that is a letter, number or mark outside the scripts written
// without spaces.
func refSpaced(r rune) bool {
	if !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.IsMark(r) {
		return false
	}
	for _, t := range []*unicode.RangeTable{unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Bopomofo,
		unicode.Yi, unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar, unicode.Tibetan} {
		if unicode.Is(t, r) {
			return false
		}
	}
	return r != 0x30FC
}

// refSeparated reports whether the original text[a:b] holds a separator (a character
// that is neither a word character nor an invisible format character).
func refSeparated(text string, a, b int) bool {
	if a >= b {
		return false
	}
	for _, r := range text[a:b] {
		if !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.IsMark(r) && !unicode.Is(unicode.Cf, r) &&
			!(r >= 0xFE00 && r <= 0xFE0F) && r != 0x034F && r != 0x115F && r != 0x1160 && r != 0x3164 && r != 0xFFA0 {
			return true
		}
	}
	return false
}

func sortHits(hs []Hit) []Hit {
	hs = slices.Clone(hs)
	slices.SortFunc(hs, func(a, b Hit) int {
		return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.End, b.End), cmp.Compare(a.Entry, b.Entry))
	})
	return hs
}

var fuzzNormAlphabet = []string{"a", "B", "c", "中", "國", "国", "人", " ", "*", ".", "\u200b", "Ａ", "а", "\xff", "é", "e\u0301"}

func checkSet(t *testing.T, text string, terms []string, o norm.Options) {
	t.Helper()
	lx := &Lexicon{Name: "fuzz", Normalize: o}
	for _, term := range terms {
		// A '*' at an end opts that end into substring matching, as in a lexicon file.
		e := Entry{Term: term, Category: "c"}
		if t := strings.Trim(term, "*"); t != "" {
			e.SubstringStart, e.SubstringEnd = strings.HasPrefix(term, "*"), strings.HasSuffix(term, "*")
			e.Term = t
		}
		lx.Entries = append(lx.Entries, e)
	}
	set, err := Compile(lx)
	if err != nil {
		t.Fatal(err)
	}
	var sc Scratch
	got := sortHits(set.Scan(text, "", &sc))
	want := sortHits(referenceScan(text, lx.Entries, o))
	if !slices.Equal(got, want) {
		t.Fatalf("norm %v text %q terms %q:\n got %v\nwant %v", o, text, terms, got, want)
	}
	for _, h := range got {
		if h.Start < 0 || h.End > len(text) || h.Start >= h.End {
			t.Fatalf("bad span %v in text of %d bytes", h, len(text))
		}
	}
}

func TestSetRandom(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	pick := func(n int) string {
		var sb strings.Builder
		for range r.IntN(n + 1) {
			sb.WriteString(fuzzNormAlphabet[r.IntN(len(fuzzNormAlphabet))])
		}
		return sb.String()
	}
	opts := []norm.Options{{}, norm.Full(), {NFKC: true, CaseFold: true}, {Squash: true, Separators: true}}
	for i := range 2000 {
		var terms []string
		for range 1 + r.IntN(8) {
			if s := pick(4); s != "" && utf8.ValidString(s) {
				terms = append(terms, s)
			}
		}
		checkSet(t, pick(30), terms, opts[i%len(opts)])
	}
}

// FuzzSet compares Set.Scan (normalisation, matcher, offset map) with the
// brute-force reference, with and without normalisation.
func FuzzSet(f *testing.F) {
	f.Add("这是敏*感\u200b词 ＢＡＤ", "敏感词\nbad", uint8(0x7f))
	f.Add("b.a.d baaad", "bad\nba", uint8(0))
	f.Fuzz(func(t *testing.T, text, lex string, steps uint8) {
		o := norm.Options{NFKC: steps&1 != 0, CaseFold: steps&2 != 0, StripFormat: steps&4 != 0,
			Separators: steps&8 != 0, Squash: steps&16 != 0, Traditional: steps&32 != 0, Homoglyph: steps&64 != 0}
		var terms []string
		for _, p := range strings.Split(lex, "\n") {
			if p != "" && utf8.ValidString(p) && len(terms) < 32 {
				terms = append(terms, p)
			}
		}
		if len(terms) == 0 {
			return
		}
		checkSet(t, text, terms, o)
	})
}

// FalseMatchRate scans every text with set and returns the share of texts with at
// least one finding and the total number of findings. Use it on human text to
// measure how often a lexicon fires where it should not.
func FalseMatchRate(set *Set, texts []string) (rate float64, findings int) {
	var sc Scratch
	flagged := 0
	for _, text := range texts {
		n := 0
		for _, h := range set.Scan(text, "", &sc) {
			if !set.entries[h.Entry].Context { // cues are no finding on their own
				n++
			}
		}
		if n > 0 {
			flagged++
		}
		findings += n
	}
	if len(texts) == 0 {
		return 0, 0
	}
	return float64(flagged) / float64(len(texts)), findings
}

func waimaiTexts(tb testing.TB) []string {
	tb.Helper()
	f, err := os.Open(filepath.Join(sharedData(tb), "corpus", "waimai_10k.csv"))
	if err != nil {
		tb.Skip("waimai corpus absent: ", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(bufio.NewReader(f)).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	var texts []string
	for _, row := range rows[1:] {
		texts = append(texts, row[1])
	}
	return texts
}

// fromModuleRoot resolves a relative path that does not exist from the package
// directory against the module root (where go.mod is), so that LEXICON_FILES can
// be written as from the repository root.
func fromModuleRoot(tb testing.TB, p string) string {
	tb.Helper()
	if filepath.IsAbs(p) {
		return p
	}
	if _, err := os.Stat(p); err == nil {
		return p
	}
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, p)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return p
		}
		dir = parent
	}
}

// TestFalseMatchRate reports the false-match rate of the lexicons named by
// LEXICON_FILES (colon-separated, relative to the package or the repository root;
// default: LDNOOBW zh and en from the shared data)
// on human reviews (waimai) and on HC3 answers, raw and with full normalisation.
// Run with -v to see the figures; it fails only if the files cannot be loaded.
func TestFalseMatchRate(t *testing.T) {
	files := filepath.SplitList(os.Getenv("LEXICON_FILES"))
	for i, f := range files {
		files[i] = fromModuleRoot(t, f)
	}
	if len(files) == 0 {
		d := sharedData(t)
		files = []string{filepath.Join(d, "lexicons", "ldnoobw", "zh.json"), filepath.Join(d, "lexicons", "ldnoobw", "en.json")}
	}
	corpora := map[string][]string{"waimai": waimaiTexts(t), "hc3": hc3Texts(t)}
	for _, steps := range []string{"none", "full"} {
		o, _ := norm.ParseSteps(steps)
		lexs, err := Load(files...)
		if err != nil {
			t.Fatal(err)
		}
		for _, lx := range lexs {
			lx.Normalize = o
		}
		set, err := Compile(lexs...)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"waimai", "hc3"} {
			texts := corpora[name]
			rate, n := FalseMatchRate(set, texts)
			t.Logf("normalize=%s corpus=%s texts=%d flagged=%.2f%% findings=%d top terms: %s", steps, name, len(texts), 100*rate, n, topTerms(set, texts, 8))
			if n > 0 && rate == 0 {
				t.Errorf("findings without flagged texts")
			}
		}
	}
}

// topTerms lists the k terms found most often in texts, with their counts.
func topTerms(set *Set, texts []string, k int) string {
	var sc Scratch
	count := map[string]int{}
	for _, text := range texts {
		for _, h := range set.Scan(text, "", &sc) {
			if e := set.Entries()[h.Entry]; !e.Context {
				count[e.Term]++
			}
		}
	}
	terms := make([]string, 0, len(count))
	for term := range count {
		terms = append(terms, term)
	}
	slices.SortFunc(terms, func(a, b string) int { return cmp.Or(cmp.Compare(count[b], count[a]), cmp.Compare(a, b)) })
	var sb strings.Builder
	for i, term := range terms[:min(k, len(terms))] {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "%s×%d", term, count[term])
	}
	return sb.String()
}
