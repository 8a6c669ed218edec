package norm

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// checkAgainstReference holds Normalize (fast paths) to the reference normaliser:
// the same output and the same original span for every output byte, and Runes
// encoding to the same output with the same spans.
func checkAgainstReference(t *testing.T, o Options, text string) {
	t.Helper()
	n := New(o)
	var b Buffer
	var rb refBuffer
	n.Normalize(&b, text)
	n.refNormalize(&rb, text)
	if string(b.Out) != string(rb.Out) {
		t.Fatalf("%v %q: out %q, reference %q", o, text, b.Out, rb.Out)
	}
	// Every character, then every range of up to 4 characters ending at each
	// boundary, backwards (Span's look-up hint moves both ways).
	var bounds []int
	for i := range string(b.Out) {
		bounds = append(bounds, i)
	}
	bounds = append(bounds, len(b.Out))
	for k := 0; k+1 < len(bounds); k++ {
		s, e := b.Span(bounds[k], bounds[k+1])
		rs, re := rb.Span(bounds[k], bounds[k+1])
		if s != rs || e != re {
			t.Fatalf("%v %q: character at byte %d span [%d,%d), reference [%d,%d)", o, text, bounds[k], s, e, rs, re)
		}
	}
	for l := len(bounds) - 1; l > 0; l-- {
		for k := max(0, l-4); k < l; k++ {
			s, e := b.Span(bounds[k], bounds[l])
			rs, re := rb.Span(bounds[k], bounds[l])
			if s != rs || e != re {
				t.Fatalf("%v %q: bytes [%d,%d) span [%d,%d), reference [%d,%d)", o, text, bounds[k], bounds[l], s, e, rs, re)
			}
		}
	}
	var enc []byte
	for k, r := range n.Runes(&b, text) {
		at := len(enc)
		enc = utf8.AppendRune(enc, r.R)
		if s, e := rb.Span(at, len(enc)); int(r.Start) != s || int(r.End) != e {
			t.Fatalf("%v %q: rune %d span [%d,%d), reference [%d,%d)", o, text, k, r.Start, r.End, s, e)
		}
	}
	if string(enc) != string(rb.Out) {
		t.Fatalf("%v %q: runes encode to %q, reference %q", o, text, enc, rb.Out)
	}
}

// refAlphabet mixes the fast-path characters (ASCII, CJK ideographs, traditional
// ones) with those that need the NFKC machinery or other steps next to them:
// combining marks after ASCII and after ideographs, full-width, compatibility
// ideographs, Hangul jamo, format characters, homoglyphs, invalid bytes.
var refAlphabet = []string{"a", "B", "e", " ", ".", "*", "中", "國", "国", "人", "\u0301", "\u0308", "\u3099",
	"Ａ", "ｶ", "\uF900", "\u2F00", "\u1100", "\u1161", "\u200b", "\ufeff", "а", "Ω", "ß", "\xff", "\xe4\xb8",
	"，", "\n", "ﬁ", "①", "\U0001D41B", "一", "\u9FFF", "\uA000", "\u4DFF", "\uFF9E", "가", "\u11A8", "\u212B",
	"\u0344", "\u00A0", "²", "。", "\u0CD5", "\u0CBF", "\u0B47", "\u0B3E", "\u00AD", "\uFA6C", "\uFFC6", "\uFFA1",
	"\uFFCB", "\u3164", "\u11A8", "\uAC01", "…", "‥", "™", "㎏", "‼", "⑴"}

func randText(r *rand.Rand, n int) string {
	var sb strings.Builder
	for range r.IntN(n + 1) {
		sb.WriteString(refAlphabet[r.IntN(len(refAlphabet))])
	}
	return sb.String()
}

func allOptions() []Options {
	var os []Options
	for bits := range 128 {
		os = append(os, Options{NFKC: bits&1 != 0, CaseFold: bits&2 != 0, StripFormat: bits&4 != 0,
			Separators: bits&8 != 0, Squash: bits&16 != 0, Traditional: bits&32 != 0, Homoglyph: bits&64 != 0})
	}
	return os
}

func TestFastMatchesReference(t *testing.T) {
	t.Parallel()
	fixed := []string{"", "中国人民", "這個國家 is BAD", "e\u0301中\u0301a\u0308", "中\uF900国", "ＢＡＤ敏*感*词",
		"x\u200b中", "\xe4\xb8\xad\xff", "\xe4\xb8", "a\u3099", "国\u3099", "\u1100\u1161中", "一\u9FFF\uA000\u4DFF"}
	opts := allOptions()
	for _, o := range opts {
		for _, text := range fixed {
			checkAgainstReference(t, o, text)
		}
	}
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 20000 {
		checkAgainstReference(t, opts[i%len(opts)], randText(r, 24))
	}
	// Long ASCII words and separator runs (asciiRun), with the bytes next to the
	// letter and digit ranges ('@', '[', '`', '{', '/', ':'), NUL, DEL, and now and
	// then a character that needs NFKC next to them.
	ascii := "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@[`{/: .,\n\x00\x7f"
	for i := range 20000 {
		var sb strings.Builder
		for range r.IntN(64) {
			if r.IntN(40) == 0 {
				sb.WriteString(refAlphabet[r.IntN(len(refAlphabet))])
				continue
			}
			sb.WriteByte(ascii[r.IntN(len(ascii))])
		}
		checkAgainstReference(t, opts[i%len(opts)], sb.String())
	}
}

func FuzzFastMatchesReference(f *testing.F) {
	f.Add("這個國家 is BAD e\u0301", uint8(0x7f))
	f.Add("中\u0301ａ", uint8(1))
	f.Add("a…b ‥\u0301 ™ ㎏…", uint8(0x7f))
	// Long enough for asciiChunks (24 ASCII bytes from a word byte on).
	f.Add("The quick  brown fox,\n\njumps over a b.c d lazy\tdog x, y  and   more words here", uint8(0x0A))
	f.Fuzz(func(t *testing.T, text string, steps uint8) {
		checkAgainstReference(t, allOptions()[steps&127], text)
	})
}

func TestRunesNoAllocs(t *testing.T) {
	n := New(Full())
	var b Buffer
	text := strings.Repeat("Ｂ.a.d 敏*感*词 這個 plain text ", 50)
	n.Runes(&b, text)
	if a := testing.AllocsPerRun(100, func() { n.Runes(&b, text) }); a != 0 {
		t.Errorf("allocs per Runes = %v, want 0", a)
	}
	if !slices.ContainsFunc(b.fin, func(r Rune) bool { return r.R == '这' }) {
		t.Errorf("t2s not applied: %v", b.fin)
	}
}

// englishLike builds text of ASCII words of 1 to 12 characters (mixed case,
// digits) between separator runs of every kind asciiChunks judges: single and
// repeated white space, punctuation with white space, and now and then a
// character that needs the slow path.
func englishLike(r *rand.Rand, words int) string {
	seps := []string{" ", " ", " ", " ", "  ", "\n", "\t", ", ", ".\n", " - ", "\n \n", "(", ") ", " = ", ".", "\r\n", "\x00", "\x7f"}
	letters := "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var sb strings.Builder
	for range words {
		n := 1 + r.IntN(12)
		if r.IntN(3) == 0 {
			n = 1
		}
		for range n {
			sb.WriteByte(letters[r.IntN(len(letters))])
		}
		if r.IntN(60) == 0 {
			sb.WriteString(refAlphabet[r.IntN(len(refAlphabet))])
		}
		sb.WriteString(seps[r.IntN(len(seps))])
	}
	return sb.String()
}

func TestASCIIChunksMatchReference(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(9, 10))
	opts := allOptions()
	for i := range 6000 {
		o := opts[i%len(opts)]
		if i%3 == 0 {
			o.MaxRun = 1 + r.IntN(3)
			o.MaxSeparators = 1 + r.IntN(4)
		}
		checkAgainstReference(t, o, englishLike(r, 1+r.IntN(40)))
	}
}

// TestASCIIChunksFastPath checks that the chunked path really takes ordinary
// prose (and stops where it must), so that a regression to the byte loop shows;
// what it writes must be a prefix of the reference normalisation.
func TestASCIIChunksFastPath(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, text string
		min, max   int // bounds for how far asciiChunks gets
		segs       int // segs appended
	}{
		{"prose", strings.Repeat("The quick brown fox, jumps over a lazy dog.\n", 8), 300, 352, 1},
		{"lines", strings.Repeat("The quick brown\nfox jumps over\tthe lazy dog ", 8), 300, 352, 1},
		{"collapsed", "The quick  brown fox\n\n jumps over the lazy dog, and then some more words", 48, 64, 5},
		{"glued letters", "some words b.a.d and more words here and there", 24, 46, 3},
		{"long run between letters", "some words b....a and more words here and there", 12, 12, 1},
		{"long separator run", "word" + strings.Repeat(".", 20) + "word and more words", 0, 0, 0},
		{"long white space", "word" + strings.Repeat(" ", 20) + "word and more words", 0, 0, 0},
	}
	n := New(Options{CaseFold: true, Separators: true})
	for _, tc := range cases {
		out := make([]byte, len(tc.text))
		segs, k, w, _, _ := asciiChunks(nil, tc.text, 0, len(tc.text), out, 0, 0, -1, true, 3)
		if k < tc.min || k > tc.max || len(segs) != tc.segs {
			t.Errorf("%s: stopped at %d with %d segs, want %d..%d and %d", tc.name, k, len(segs), tc.min, tc.max, tc.segs)
		}
		if want := n.String(tc.text); !strings.HasPrefix(want, string(out[:w])) {
			t.Errorf("%s: wrote %q, not a prefix of %q", tc.name, out[:w], want)
		}
	}
}

func TestSWAR(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(11, 12))
	for range 10000 {
		var b [8]byte
		var x uint64
		for j := range b {
			b[j] = byte(r.IntN(128))
			x |= uint64(b[j]) << (8 * j)
		}
		lo, hi := byte(1+r.IntN(126)), byte(r.IntN(127))
		var want uint32
		for j, c := range b {
			if lo <= c && c <= hi {
				want |= 1 << j
			}
		}
		if got := movemask(inRange(x, lo, hi)); got != want {
			t.Fatalf("inRange(%q, %d, %d) = %08b, want %08b", b[:], lo, hi, got, want)
		}
		l := lowerASCII(x)
		for j, c := range b {
			if byte(l>>(8*j)) != asciiLower[c] {
				t.Fatalf("lowerASCII(%q) byte %d = %q", b[:], j, byte(l>>(8*j)))
			}
		}
	}
}

// TestCJKRunMatchesPerCharacter holds cjkRun (two characters a step, then one) to a loop
// over the characters one by one, on runs of ideographs, with and without traditional
// ones, ended at every position by a character outside U+4E00–U+9FFF or a broken one, then
// more text.
func TestCJKRunMatchesPerCharacter(t *testing.T) {
	ref := func(p string) (int, uint64) {
		var hit uint64
		k := 0
		for k+3 <= len(p) {
			r, w := utf8.DecodeRuneInString(p[k:])
			if w != 3 || r < 0x4E00 || r > 0x9FFF {
				break
			}
			if u := r - 0x4E00; t2sHas[u>>6]&(1<<(u&63)) != 0 {
				hit = 1
			}
			k += 3
		}
		return k, hit
	}
	rng := rand.New(rand.NewPCG(16, 16))
	enders := []string{"", "a", "，", "\xe4", "\xe4\xb8", "\xe4\xb7\xbf", "\xea\x80\x80", "\xe9\xbf\xbf", "é", "😀"}
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(12) {
			if rng.IntN(8) == 0 {
				b.WriteString("們") // traditional
			} else {
				b.WriteRune(rune(0x4E00 + rng.IntN(0x9FFF-0x4E00+1)))
			}
		}
		b.WriteString(enders[rng.IntN(len(enders))])
		b.WriteString("一二三"[:rng.IntN(10)]) // what follows the run, whole or cut
		p := b.String()
		n, hit := cjkRun(p)
		wn, whit := ref(p)
		if n != wn || hit&1 != whit {
			t.Fatalf("cjkRun(%q) = %d, %d; per character %d, %d", p, n, hit&1, wn, whit)
		}
	}
}
