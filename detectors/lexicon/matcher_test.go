package lexicon

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// bruteForce finds every occurrence of every pattern by trying each position.
func bruteForce(text string, patterns []string) []Match {
	var ms []Match
	for id, p := range patterns {
		for i := 0; i+len(p) <= len(text); i++ {
			if text[i:i+len(p)] == p {
				ms = append(ms, Match{Start: i, End: i + len(p), ID: int32(id)})
			}
		}
	}
	return ms
}

func sortMatches(ms []Match) []Match {
	ms = slices.Clone(ms)
	slices.SortFunc(ms, func(a, b Match) int {
		if c := cmp.Compare(a.Start, b.Start); c != 0 {
			return c
		}
		if c := cmp.Compare(a.End, b.End); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return ms
}

// bruteLeftmostLongest is the reference for LeftmostLongest: at each position, the
// longest pattern starting there (lowest ID on ties), then continue after it.
func bruteLeftmostLongest(text string, patterns []string) []Match {
	var ms []Match
	for i := 0; i < len(text); {
		best := -1
		for id, p := range patterns {
			if strings.HasPrefix(text[i:], p) && (best < 0 || len(p) > len(patterns[best])) {
				best = id
			}
		}
		if best < 0 {
			i++
			continue
		}
		ms = append(ms, Match{Start: i, End: i + len(patterns[best]), ID: int32(best)})
		i += len(patterns[best])
	}
	return ms
}

func checkMatcher(t *testing.T, text string, patterns []string) {
	t.Helper()
	for _, kind := range []buildKind{buildAuto, buildRuneDFA, buildHashed} {
		m, err := newMatcher(patterns, kind)
		if err != nil {
			t.Fatalf("NewMatcher(%q): %v", patterns, err)
		}
		if m.bytes != (kind == buildAuto) || (m.dfa != nil) != (kind != buildHashed) {
			t.Fatalf("kind %d: bytes = %v, dfa = %v", kind, m.bytes, m.dfa != nil)
		}
		checkMatcherWith(t, m, text, patterns)
	}
}

func checkMatcherWith(t *testing.T, m *Matcher, text string, patterns []string) {
	t.Helper()
	got := sortMatches(m.FindAll(text, Overlapping, nil))
	want := sortMatches(bruteForce(text, patterns))
	if !slices.Equal(got, want) {
		t.Fatalf("overlapping: text %q patterns %q:\n got %v\nwant %v", text, patterns, got, want)
	}
	gotLL := m.FindAll(text, LeftmostLongest, nil)
	wantLL := bruteLeftmostLongest(text, patterns)
	if !slices.Equal(gotLL, wantLL) {
		t.Fatalf("leftmost-longest: text %q patterns %q:\n got %v\nwant %v", text, patterns, gotLL, wantLL)
	}
	if c := m.Contains(text); c != (len(want) > 0) {
		t.Fatalf("Contains(%q) = %v, want %v", text, c, len(want) > 0)
	}
}

func TestMatcherTable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		text     string
		patterns []string
	}{
		{"classic", "ushers", []string{"he", "she", "his", "hers"}},
		{"chinese", "中华人民共和国成立了", []string{"中华", "人民", "中华人民共和国", "共和", "和国", "成立"}},
		{"nested", "aaaa", []string{"a", "aa", "aaa"}},
		{"duplicates", "abab", []string{"ab", "ab", "b"}},
		{"no match", "hello world", []string{"xyz", "敏感"}},
		{"invalid utf8", "a\xffb\xe4\xb8c中", []string{"b", "中", "\ufffd"}},
		{"astral", "x😀y😀", []string{"😀y", "😀"}},
		{"mixed", "敏感词 bad word", []string{"敏感", "感词", "bad", "d w"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkMatcher(t, tc.text, tc.patterns)
		})
	}
}

func TestMatcherRejectsEmpty(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"", "a\xff"} {
		if _, err := NewMatcher([]string{"ok", p}); err == nil {
			t.Errorf("NewMatcher accepted %q", p)
		}
	}
}

var fuzzAlphabet = []string{"a", "b", "c", "中", "国", "人", "😀", " ", "\xff", "é"}

func randString(r *rand.Rand, maxRunes int) string {
	var sb strings.Builder
	n := r.IntN(maxRunes + 1)
	for range n {
		sb.WriteString(fuzzAlphabet[r.IntN(len(fuzzAlphabet))])
	}
	return sb.String()
}

func randPatterns(r *rand.Rand) []string {
	var ps []string
	for range 1 + r.IntN(12) {
		p := randString(r, 4)
		if p == "" || !utf8.ValidString(p) {
			continue
		}
		ps = append(ps, p)
	}
	if len(ps) == 0 {
		ps = []string{"a"}
	}
	return ps
}

func TestMatcherRandom(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		checkMatcher(t, randString(r, 40), randPatterns(r))
	}
}

// checkStreams holds the interleaved scan of the byte automaton, with streams of
// any length, to the one-stream scan, match for match and in the same order.
func checkStreams(t *testing.T, text string, patterns []string) {
	t.Helper()
	m, err := newMatcher(patterns, buildAuto)
	if err != nil {
		t.Fatal(err)
	}
	want, _, _ := m.runBytes(&m.raw, text, 0, len(text), 0, 0, nil, false)
	if !slices.Equal(sortMatches(want), sortMatches(bruteForce(text, patterns))) {
		t.Fatalf("one stream: text %q patterns %q: got %v", text, patterns, want)
	}
	for _, l := range [][2]int{{1, 1}, {1, 3}, {4, 16}, {16, 1 << 20}} {
		if got := m.scanStreams(&m.raw, text, nil, l[0], l[1]); !slices.Equal(got, want) {
			t.Fatalf("streams of %d to %d bytes: text %q patterns %q:\n got %v\nwant %v", l[0], l[1], text, patterns, got, want)
		}
	}
}

func TestStreamsRandom(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 8))
	for range 2000 {
		checkStreams(t, randString(r, 200), randPatterns(r))
	}
	// Dense matches fill the held-back buffers of the later streams.
	checkStreams(t, strings.Repeat("ab", 300), []string{"a", "ab", "b", "bab", "abababababab"})
	checkStreams(t, strings.Repeat("中a", 100), []string{"中", "a中", "中a中a中"})
	// A pattern longer than a stretch: the stream before goes on past several
	// stretches before it joins one (resync), and a match spans them.
	checkStreams(t, strings.Repeat("中文", 60), []string{strings.Repeat("中文", 20), "文中", "中文中文中文中文中文中文中文中文x"})
	checkStreams(t, strings.Repeat("中文", 30)+"x"+strings.Repeat("中文", 30), []string{"中文中文中文中文中文中文中文中文x", "x中"})
}

func FuzzMatcher(f *testing.F) {
	f.Add("ushers", "he\nshe\nhis\nhers")
	f.Add("中华人民共和国", "中华\n人民共和国\n共和")
	f.Add("a\xffb", "b\nab")
	f.Fuzz(func(t *testing.T, text, lex string) {
		var ps []string
		for _, p := range strings.Split(lex, "\n") {
			if p != "" && utf8.ValidString(p) && len(ps) < 64 {
				ps = append(ps, p)
			}
		}
		if len(ps) == 0 {
			return
		}
		checkMatcher(t, text, ps)
		checkStreams(t, text, ps)
		checkHashed(t, text, ps)
	})
}

// checkHashed holds the hashed automaton to the one with a full table (whose
// scan is plain: one table look-up per character), match for match and in the
// same order, and both to brute force.
func checkHashed(t *testing.T, text string, patterns []string) {
	t.Helper()
	h, err := newMatcher(patterns, buildHashed)
	if err != nil {
		t.Fatal(err)
	}
	d, err := newMatcher(patterns, buildRuneDFA)
	if err != nil {
		t.Fatal(err)
	}
	want := d.FindAll(text, Overlapping, nil)
	if !slices.Equal(sortMatches(want), sortMatches(bruteForce(text, patterns))) {
		t.Fatalf("full table: text %q patterns %q: got %v", text, patterns, want)
	}
	if got := h.FindAll(text, Overlapping, nil); !slices.Equal(got, want) {
		t.Fatalf("hashed: text %q patterns %q:\n got %v\nwant %v", text, patterns, got, want)
	}
}

// TestHashedRandom: long texts, deep states and failure chains, characters
// outside the alphabet (code 0) in every state.
func TestHashedRandom(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(9, 10))
	for range 1000 {
		checkHashed(t, randString(r, 1000), randPatterns(r))
	}
	checkHashed(t, strings.Repeat("ab", 300), []string{"a", "ab", "b", "bab", "abababababab"})
	checkHashed(t, strings.Repeat("中a", 200), []string{"中", "a中", "中a中a中", "a中a中a中a中a中a中a中b"})
	checkHashed(t, strings.Repeat("\x80\xb8中\xe4\xb8国", 60), []string{"中", "\u0e38", "中\u0e38", "中中"})
	checkHashed(t, strings.Repeat("aab", 200), []string{"aab", "ab", "aabaab", "abaa", "baa"})
}

// TestSkipInert: long ASCII stretches (skipped eight bytes at a time when no ASCII
// byte is in the alphabet, one at a time otherwise) between and inside matches, at
// every alignment, for both automata over runes.
func TestSkipInert(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(11, 12))
	ascii := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(' ' + r.IntN(95))
		}
		return string(b)
	}
	zh := []string{"中", "华", "人", "民", "共", "和", "国"}
	for i := range 400 {
		var sb strings.Builder
		for range 1 + r.IntN(6) {
			sb.WriteString(ascii(r.IntN(40)))
			for range r.IntN(4) {
				sb.WriteString(zh[r.IntN(len(zh))])
			}
		}
		pats := []string{"中华", "人民", "共和国", "国", "华人民"}
		if i%2 == 1 {
			pats = append(pats, "a中", "中b", "xyz", "人 民") // ASCII in the alphabet
		}
		checkHashed(t, sb.String(), pats)
	}
	for _, asciiPats := range []bool{false, true} {
		pats := []string{"中华", "人民"}
		if asciiPats {
			pats = append(pats, "q中")
		}
		m, err := newMatcher(pats, buildHashed)
		if err != nil {
			t.Fatal(err)
		}
		if m.asciiAlpha != asciiPats {
			t.Errorf("asciiAlpha = %v, want %v", m.asciiAlpha, asciiPats)
		}
	}
}
