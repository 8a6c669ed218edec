package lexicon

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aigcwatch/aigcwatch/detectors/lexicon/norm"
)

// asciiModel is what asciiscan.go assumes the normaliser does to ASCII text
// (separators with MaxRun 1, no squashing): lower-case (when fold is set); a
// run of separators between two one-character words of at most maxSep bytes is
// removed; any other run of white space only becomes one space; any other run
// is kept.
func asciiModel(s string, fold bool, maxSep int) string {
	var out []byte
	wordLen := func(i int) int { // length of the word starting at i
		j := i
		for j < len(s) && isWordASCII(s[j]) {
			j++
		}
		return j - i
	}
	left := 0 // length of the word before the current run; 0 at the start
	for i := 0; i < len(s); {
		if isWordASCII(s[i]) {
			n := wordLen(i)
			for _, c := range []byte(s[i : i+n]) {
				if fold && 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				out = append(out, c)
			}
			i += n
			left = n
			continue
		}
		j := i
		for j < len(s) && !isWordASCII(s[j]) {
			j++
		}
		run := s[i:j]
		right := 0
		if j < len(s) {
			right = wordLen(j)
		}
		switch {
		case left == 1 && right == 1 && len(run) <= maxSep:
		case strings.Trim(run, " \t\n\v\f\r") == "":
			out = append(out, ' ')
		default:
			out = append(out, run...)
		}
		i = j
	}
	return string(out)
}

// englishLike returns ASCII text with mixed case, tabs, newlines, runs of white
// space, punctuation, one-character words (glue sites) and, when other is set,
// now and then a character that is not ASCII.
func englishLike(r *rand.Rand, words int, other bool) string {
	pieces := []string{"Bad", "bad", "BAD", "word", "a", "b", "x", "I", "0", "go", "Hello", "func", "ab", "the", "b.a.d"}
	seps := []string{" ", " ", " ", "  ", "\t", "\n", "\n\t\t", ", ", ".", " = ", "(", ")", "; ", " ,\t", "-", "...", "\r\n", "\x00", "    "}
	odd := []string{"é", "“", "”", "中", "\u200b", "Ａ", "а", "\xff", "e\u0301", "—", "ﬁ"}
	var sb strings.Builder
	for range words {
		if other && r.IntN(40) == 0 {
			sb.WriteString(odd[r.IntN(len(odd))])
		}
		sb.WriteString(pieces[r.IntN(len(pieces))])
		sb.WriteString(seps[r.IntN(len(seps))])
	}
	return sb.String()
}

func TestASCIIModel(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(11, 12))
	opts := []norm.Options{norm.Full(), {Separators: true}, {Separators: true, CaseFold: true, MaxSeparators: 2},
		{NFKC: true, Separators: true, Homoglyph: true, Traditional: true, StripFormat: true, MaxSeparators: 5}}
	for i := range 3000 {
		o := opts[i%len(opts)]
		n := norm.New(o)
		text := englishLike(r, r.IntN(30), false)
		if i%3 == 0 { // bytes of every kind
			b := make([]byte, r.IntN(40))
			for k := range b {
				b[k] = byte(r.IntN(0x80))
			}
			text = string(b)
		}
		want := n.String(text)
		if got := asciiModel(text, o.CaseFold, n.Options().MaxSeparators); got != want {
			t.Fatalf("norm %v text %q: model %q, normaliser %q", o, text, got, want)
		}
	}
}

// slowSet returns s without its ASCII tables: every scan normalises the text.
func slowSet(s *Set) *Set {
	c := *s
	c.groups = slices.Clone(s.groups)
	for i := range c.groups {
		c.groups[i].ascii = nil
	}
	return &c
}

// checkASCIIScan holds Set.Scan to the normalise-then-scan path (hits and
// their order) and to the brute-force reference, and reports whether the
// ASCII path was taken.
func checkASCIIScan(t *testing.T, text string, terms []string, o norm.Options) bool {
	t.Helper()
	set := compileTerms(t, terms, o)
	var sc, sc2 Scratch
	got := slices.Clone(set.Scan(text, "", &sc))
	want := slowSet(set).Scan(text, "", &sc2)
	if !slices.Equal(got, want) {
		t.Fatalf("norm %v text %q terms %q:\n got %v\nwant %v", o, text, terms, got, want)
	}
	if ref := sortHits(referenceScan(text, set.Entries(), o)); !slices.Equal(sortHits(got), ref) {
		t.Fatalf("norm %v text %q terms %q:\n got %v\n ref %v", o, text, terms, got, ref)
	}
	taken := false
	for _, g := range set.groups {
		if g.ascii != nil {
			sc.matches = sc.matches[:0]
			taken = taken || g.ascii.scan(g.m, g.norm, text, &sc)
		}
	}
	return taken
}

func TestASCIIScanMatchesNormalized(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(13, 14))
	termSets := [][]string{
		{"bad", "bad word", "ab", "a", "go", "hello bad", "word a", "ba", "bad bad"},
		{"bad", "x y", "ab", "bb", "i0", "the bad word", "ad", "b"},
		{"é", "bad", "中国", "word", "fi"}, // non-ASCII terms
		{"bad", "word, x", "a, b"},       // a space after punctuation: no ASCII table
	}
	opts := []norm.Options{norm.Full(), {Separators: true}, {Separators: true, CaseFold: true, MaxSeparators: 1}}
	taken := 0
	for i := range 1500 {
		terms := termSets[i%len(termSets)]
		o := opts[i/len(termSets)%len(opts)]
		words := 1 + r.IntN(40)
		if i%5 == 0 {
			words = 300 + r.IntN(1500) // long enough for the interleaved streams
		}
		if checkASCIIScan(t, englishLike(r, words, i%2 == 0), terms, o) {
			taken++
		}
	}
	if taken < 600 {
		t.Fatalf("the ASCII path was taken %d times of 1500", taken)
	}
	t.Logf("the ASCII path was taken %d times of 1500", taken)
}

func TestASCIITableEligibility(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		terms []string
		o     norm.Options
		want  bool
	}{
		{[]string{"bad", "bad word"}, norm.Full(), true},
		{[]string{"bad"}, norm.Options{CaseFold: true}, false},                 // no separators step
		{[]string{"bad"}, norm.Options{Separators: true, Squash: true}, false}, // squashing
		{[]string{"bad"}, norm.Options{Separators: true, MaxRun: 2}, false},    // longer glued words
		{[]string{"bad", "word, x"}, norm.Full(), false},                       // space after punctuation
		{[]string{"bad", "2 girls 1 cup", "a$$"}, norm.Full(), true},
	} {
		set := compileTerms(t, c.terms, c.o)
		if got := set.groups[0].ascii != nil; got != c.want {
			t.Errorf("terms %q norm %v: ASCII table %v, want %v", c.terms, c.o, got, c.want)
		}
	}
}

func TestASCIIScanNoAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	text := englishLike(r, 2000, true)
	set := compileTerms(t, []string{"bad", "bad word", "hello"}, norm.Full())
	var sc Scratch
	set.Scan(text, "", &sc)
	if n := testing.AllocsPerRun(20, func() { set.Scan(text, "", &sc) }); n != 0 {
		t.Fatalf("%v allocations per scan", n)
	}
}

// FuzzASCIIScan compares the ASCII path with the normalise-then-scan path on
// English-like texts built from the fuzzer's choices, with the fuzzer's bytes
// (any bytes) inserted in the middle.
func FuzzASCIIScan(f *testing.F) {
	f.Add(uint64(1), uint16(100), "bad\nbad word\nab", "")
	f.Add(uint64(2), uint16(1500), "x y\nhello bad\né", "a.b\t\tc")
	f.Add(uint64(3), uint16(40), "bad", "B\u200bA D \xff")
	f.Fuzz(func(t *testing.T, seed uint64, words uint16, lex, extra string) {
		var terms []string
		for _, p := range strings.Split(lex, "\n") {
			if p != "" && len(terms) < 16 && utf8.ValidString(p) {
				terms = append(terms, p)
			}
		}
		if len(terms) == 0 {
			return
		}
		r := rand.New(rand.NewPCG(seed, seed>>1))
		text := englishLike(r, int(words%4000), seed&1 == 0)
		at := r.IntN(len(text) + 1)
		checkASCIIScan(t, text[:at]+extra+text[at:], terms, norm.Full())
	})
}

// TestASCIIScanCorpus holds the ASCII path to normalise-then-scan on the
// English benchmark text with LDNOOBW en (the benchmark's case), and checks
// that the path is taken there.
func TestASCIIScanCorpus(t *testing.T) {
	t.Parallel()
	text := englishText(t)
	set := compileTerms(t, ldnoobw(t, "en"), norm.Full())
	g := &set.groups[0]
	if g.ascii == nil {
		t.Fatal("LDNOOBW en with full normalisation has no ASCII table")
	}
	var sc, sc2 Scratch
	got := slices.Clone(set.Scan(text, "", &sc))
	want := slowSet(set).Scan(text, "", &sc2)
	if !slices.Equal(got, want) {
		t.Fatalf("%d hits, normalise-then-scan %d", len(got), len(want))
	}
	if len(got) == 0 {
		t.Fatal("no hits: the test compares nothing")
	}
	sc.matches = sc.matches[:0]
	if !g.ascii.scan(g.m, g.norm, text, &sc) {
		t.Fatal("the ASCII path was not taken on the English corpus")
	}
}
