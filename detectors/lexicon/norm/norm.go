// Package norm normalises text before lexicon matching so that the usual ways of
// dodging a keyword (full-width or styled letters, zero-width characters, symbols
// or spaces inserted between the characters of a word, Cyrillic or Greek
// look-alikes, traditional characters, repeated characters) do not hide it.
//
// The same Normalizer is applied to the lexicon's terms and to the scanned text, and
// every normalised byte keeps the span of original bytes it came from, so matches in
// normalised text map back to byte offsets in the original. It does not segment
// words, transliterate between scripts, undo leetspeak (0→o, 1→l) or convert
// traditional to simplified Chinese beyond a small table of single characters.
package norm

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	unorm "golang.org/x/text/unicode/norm"
)

// Options switch the normalisation steps on and off. The zero value does nothing.
type Options struct {
	// NFKC applies Unicode compatibility normalisation: full-width forms, circled,
	// mathematical and other styled letters become plain ones.
	NFKC bool
	// CaseFold maps every letter to lower case (simple, one rune to one rune).
	CaseFold bool
	// StripFormat removes zero-width and other invisible format characters
	// (Unicode category Cf, variation selectors, the combining grapheme joiner,
	// Hangul fillers).
	StripFormat bool
	// Separators removes runs of at most MaxSeparators separator characters
	// (spaces, punctuation, symbols) between two word characters when the word
	// runs on both sides are at most MaxRun characters long ("b.a.d", "b a d"), or
	// between two Han characters unless the run holds clause punctuation (，。、；
	// and the like): "敏*感*词", "敏感 词" are glued, "中国，人民" is not. Longer
	// words on both sides are left apart, so "is bad" does not become "isbad". The
	// remaining runs of white space become one space.
	Separators bool
	// MaxSeparators bounds the separator run that Separators removes (default 3).
	MaxSeparators int
	// MaxRun is the word length up to which Separators glues (default 1).
	MaxRun int
	// Squash collapses a run of the same character into one ("baaad" → "bad").
	// Off by default: it also turns "good" into "god" (in terms too, so it stays
	// consistent, but it can create false matches).
	Squash bool
	// Traditional maps traditional Chinese characters to simplified ones using a
	// small built-in table (see T2SCoverage).
	Traditional bool
	// Homoglyph folds Cyrillic and Greek letters that look like Latin ones to the
	// Latin letter ("раураl" → "paypal").
	Homoglyph bool
}

// Full returns every step on except Squash, with default bounds: what the
// benchmarks call "full normalisation".
func Full() Options {
	return Options{NFKC: true, CaseFold: true, StripFormat: true, Separators: true,
		Traditional: true, Homoglyph: true}
}

// Identity reports whether o changes nothing.
func (o Options) Identity() bool {
	return !o.NFKC && !o.CaseFold && !o.StripFormat && !o.Separators && !o.Squash &&
		!o.Traditional && !o.Homoglyph
}

// String lists the steps that are on, comma-separated, in the syntax of ParseSteps.
func (o Options) String() string {
	var s []string
	for _, st := range steps {
		if *st.flag(&o) {
			s = append(s, st.name)
		}
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ",")
}

var steps = []struct {
	name string
	flag func(*Options) *bool
}{
	{"nfkc", func(o *Options) *bool { return &o.NFKC }},
	{"casefold", func(o *Options) *bool { return &o.CaseFold }},
	{"format", func(o *Options) *bool { return &o.StripFormat }},
	{"separators", func(o *Options) *bool { return &o.Separators }},
	{"squash", func(o *Options) *bool { return &o.Squash }},
	{"t2s", func(o *Options) *bool { return &o.Traditional }},
	{"homoglyph", func(o *Options) *bool { return &o.Homoglyph }},
}

// ParseSteps parses a comma-separated list of step names (nfkc, casefold, format,
// separators, squash, t2s, homoglyph), or "none", or "full" (Full()). A name
// prefixed with "-" switches that step off, e.g. "full,-t2s".
func ParseSteps(s string) (Options, error) {
	var o Options
	for _, f := range strings.Split(s, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		switch f {
		case "", "none":
			continue
		case "full":
			o = Full()
			continue
		}
		on := true
		if strings.HasPrefix(f, "-") {
			on, f = false, f[1:]
		}
		found := false
		for _, st := range steps {
			if st.name == f {
				*st.flag(&o) = on
				found = true
			}
		}
		if !found {
			return o, &UnknownStepError{Step: f}
		}
	}
	return o, nil
}

// UnknownStepError is returned by ParseSteps for a name it does not know.
type UnknownStepError struct{ Step string }

func (e *UnknownStepError) Error() string {
	return "norm: unknown step " + `"` + e.Step + `"` + " (want nfkc, casefold, format, separators, squash, t2s, homoglyph, full or none)"
}

// Normalizer applies Options. It is immutable and safe for concurrent use.
type Normalizer struct {
	o Options
}

// New returns a Normalizer for o, filling in default bounds.
func New(o Options) *Normalizer {
	if o.MaxSeparators <= 0 {
		o.MaxSeparators = 3
	}
	if o.MaxRun <= 0 {
		o.MaxRun = 1
	}
	bmp.build()
	return &Normalizer{o: o}
}

// Options returns the options in effect.
func (n *Normalizer) Options() Options { return n.o }

// Buffer holds a normalised text and its map back to the original. Reuse one per
// goroutine: Normalize and Runes allocate only when the buffer must grow.
type Buffer struct {
	// Out is the normalised text (written by Normalize, not by Runes).
	Out []byte
	// start[i] and end[i] are the original span of the character that produced
	// output byte i.
	start, end []int32
	runes      []Rune // characters before the context-dependent steps
	fin        []Rune // the normalised characters
	it         unorm.Iter
}

// Rune is one character of normalised text and the original bytes
// text[Start:End] it came from.
type Rune struct {
	R          rune
	Start, End int32
}

// Span maps the byte range [s, e) of b.Out to the range of the original text it
// came from. It requires 0 <= s < e <= len(b.Out).
func (b *Buffer) Span(s, e int) (int, int) {
	return int(b.start[s]), int(b.end[e-1])
}

// String returns the normalised form of s (for terms; not for the hot path).
func (n *Normalizer) String(s string) string {
	var b Buffer
	n.Normalize(&b, s)
	return string(b.Out)
}

// Normalize writes the normalised form of text into b.Out, replacing its contents,
// with the map back to the original that Span reads.
func (n *Normalizer) Normalize(b *Buffer, text string) {
	rs := n.Runes(b, text)
	b.Out = b.Out[:0]
	b.start = b.start[:0]
	b.end = b.end[:0]
	for _, r := range rs {
		if r.R < utf8.RuneSelf {
			b.Out = append(b.Out, byte(r.R))
			b.start = append(b.start, r.Start)
			b.end = append(b.end, r.End)
			continue
		}
		b.Out = utf8.AppendRune(b.Out, r.R)
		for len(b.start) < len(b.Out) {
			b.start = append(b.start, r.Start)
			b.end = append(b.end, r.End)
		}
	}
}

// Runes normalises text and returns its characters, each with its original span;
// utf8 encoding them gives Normalize's Out. The slice lives in b until b's next
// use. Matching on runes this way skips encoding the text and the per-byte map.
func (n *Normalizer) Runes(b *Buffer, text string) []Rune {
	n.collect(b, text)
	n.finish(b)
	return b.fin
}

// safeAt reports whether the character at text[i] (or the end of text) starts a
// new NFKC segment and cannot combine with anything on its left: ASCII, a CJK
// Unified Ideograph (U+4E00–U+9FFF) or a BMP character whose NFKC properties say
// so (bmpTable). A character followed by a safe one normalises on its own, without
// the NFKC machinery.
func safeAt(text string, i int) bool {
	if i >= len(text) {
		return true
	}
	c := text[i]
	if c < utf8.RuneSelf {
		return true
	}
	if c < 0xE0 || c > 0xEF || i+2 >= len(text) {
		if c >= 0xC2 && c < 0xE0 && i+1 < len(text) && text[i+1]&0xC0 == 0x80 {
			return bmp.info[rune(c&0x1F)<<6|rune(text[i+1]&0x3F)]&bmpBoundary != 0
		}
		return false
	}
	c1, c2 := text[i+1], text[i+2]
	r := rune(c&0x0F)<<12 | rune(c1&0x3F)<<6 | rune(c2&0x3F)
	return c1&0xC0 == 0x80 && c2&0xC0 == 0x80 && bmp.info[r]&bmpBoundary != 0
}

// bmpTable holds, for every character below U+10000, whether it has an NFKC
// boundary before it (bmpBoundary) and, when its NFKC form is a single character
// that can stand alone, that character (bmpSimple + the low 16 bits). Built once,
// at the first New with NFKC on (about 20 ms).
type bmpTable struct {
	once sync.Once
	info []uint32
}

const (
	bmpBoundary = 1 << 31
	bmpSimple   = 1 << 30
)

var bmp bmpTable

func (t *bmpTable) build() {
	t.once.Do(func() {
		info := make([]uint32, 0x10000)
		var buf [utf8.UTFMax]byte
		for r := rune(0); r < 0x10000; r++ {
			if r >= 0xD800 && r <= 0xDFFF {
				continue
			}
			s := buf[:utf8.EncodeRune(buf[:], r)]
			if !unorm.NFKC.Properties(s).BoundaryBefore() {
				continue
			}
			info[r] = bmpBoundary
			out := unorm.NFKC.Bytes(s)
			if to, w := utf8.DecodeRune(out); w == len(out) && to != utf8.RuneError && to < 0x10000 {
				info[r] |= bmpSimple | uint32(to)
			}
		}
		t.info = info
	})
}

// collect runs the per-character steps (NFKC, case folding, format removal,
// homoglyphs, traditional → simplified) into b.runes.
func (n *Normalizer) collect(b *Buffer, text string) {
	b.runes = b.runes[:0]
	o := &n.o
	if o.NFKC {
		bmp.build() // for a Normalizer not made by New
	}
	lower := &asciiIdentity
	if o.CaseFold {
		lower = &asciiLower
	}
	i := 0
	spanEnd := 0 // text[i:spanEnd] is known to be NFKC already
	for i < len(text) {
		c := text[i]
		if c < utf8.RuneSelf {
			// ASCII before a safe character is NFKC-stable; only case folding applies.
			if !o.NFKC || safeAt(text, i+1) {
				b.runes = append(b.runes, Rune{rune(lower[c]), int32(i), int32(i + 1)})
				i++
				continue
			}
		} else if c >= 0xE4 && c <= 0xE9 && i+2 < len(text) {
			// CJK Unified Ideographs: NFKC-stable, no case, format or homoglyph
			// step applies; only traditional → simplified.
			c1, c2 := text[i+1], text[i+2]
			r := rune(c&0x0F)<<12 | rune(c1&0x3F)<<6 | rune(c2&0x3F)
			if c1&0xC0 == 0x80 && c2&0xC0 == 0x80 && r >= 0x4E00 && r <= 0x9FFF && (!o.NFKC || safeAt(text, i+3)) {
				if o.Traditional {
					if to := t2sDense[r-0x4E00]; to != 0 {
						r = to
					}
				}
				b.runes = append(b.runes, Rune{r, int32(i), int32(i + 3)})
				i += 3
				continue
			}
		}
		if !o.NFKC {
			r, w := utf8.DecodeRuneInString(text[i:])
			n.add(b, r, i, i+w)
			i += w
			continue
		}
		if c >= 0xC2 && c <= 0xEF {
			// Another BMP character: when it starts a segment, has a one-character
			// NFKC form and the next character starts a segment too, that form is
			// its normalisation.
			r, w := utf8.DecodeRuneInString(text[i:])
			if w > 1 {
				if v := bmp.info[r]; v&bmpSimple != 0 && safeAt(text, i+w) {
					n.add(b, rune(v&0xFFFF), i, i+w)
					i += w
					continue
				}
			}
		}
		if i >= spanEnd {
			spanEnd = i + unorm.NFKC.QuickSpanString(text[i:])
		}
		if i < spanEnd {
			r, w := utf8.DecodeRuneInString(text[i:])
			n.add(b, r, i, i+w)
			i += w
			continue
		}
		// One normalisation segment; all its output maps to its whole input. The
		// iterator may hand out a long decomposition in pieces before it advances.
		it := &b.it
		it.InitString(unorm.NFKC, text[i:])
		first := len(b.runes)
		for !it.Done() {
			for _, r := range string(it.Next()) {
				n.add(b, r, i, i)
			}
			if it.Pos() > 0 {
				break
			}
		}
		w := max(it.Pos(), 1)
		for k := first; k < len(b.runes); k++ {
			b.runes[k].End = int32(i + w)
		}
		i += w
	}
}

var asciiWord = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
	}
	return t
}()

var asciiIdentity, asciiLower = func() (id, lo [utf8.RuneSelf]byte) {
	for c := range id {
		id[c], lo[c] = byte(c), byte(c)
		if 'A' <= c && c <= 'Z' {
			lo[c] = byte(c + 'a' - 'A')
		}
	}
	return id, lo
}()

// add runs the per-character steps on r, from text[start:end].
func (n *Normalizer) add(b *Buffer, r rune, start, end int) {
	o := &n.o
	if isHan(r) {
		if o.Traditional {
			r = t2s(r)
		}
		b.runes = append(b.runes, Rune{r, int32(start), int32(end)})
		return
	}
	if r >= utf8.RuneSelf {
		if o.StripFormat && isFormat(r) {
			return
		}
		if o.Homoglyph {
			r = homoglyph(r)
		}
		if o.Traditional {
			r = t2s(r)
		}
	}
	if o.CaseFold {
		if r < utf8.RuneSelf {
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
		} else {
			r = unicode.ToLower(r)
		}
	}
	b.runes = append(b.runes, Rune{r, int32(start), int32(end)})
}

// finish runs the context-dependent steps (separators, squash) from b.runes into
// b.fin.
func (n *Normalizer) finish(b *Buffer) {
	o := &n.o
	rs := b.runes
	out := b.fin[:0]
	if !o.Separators && !o.Squash {
		b.fin = append(out, rs...)
		return
	}
	maxRun := n.o.MaxRun
	last := rune(-1)
	put := func(r Rune) {
		if o.Squash && r.R == last {
			out[len(out)-1].End = r.End
			return
		}
		out = append(out, r)
		last = r.R
	}
	left := 0 // word characters just before j, counted up to maxRun+1
	for j := 0; j < len(rs); j++ {
		if !o.Separators || isWord(rs[j].R) {
			left = min(left+1, maxRun+1)
			if !o.Squash {
				out = append(out, rs[j])
				continue
			}
			put(rs[j])
			continue
		}
		k := j + 1
		for k < len(rs) && !isWord(rs[k].R) {
			k++
		}
		switch {
		case j > 0 && k < len(rs) && k-j <= o.MaxSeparators && n.glue(rs, j, k, left):
			// dropped
		case k == j+1 && rs[j].R == ' ' || allSpace(rs[j:k]):
			put(Rune{' ', rs[j].Start, rs[k-1].End})
		default:
			for _, r := range rs[j:k] {
				put(r)
			}
		}
		left = 0
		j = k - 1
	}
	b.fin = out
}

// glue decides whether the separators rs[j:k], between word characters rs[j-1] and
// rs[k], are removed; left counts the word characters before j up to MaxRun+1.
func (n *Normalizer) glue(rs []Rune, j, k, left int) bool {
	maxRun := n.o.MaxRun
	if left <= maxRun {
		right := 0
		for p := k; p < len(rs) && isWord(rs[p].R) && right <= maxRun; p++ {
			right++
		}
		if right <= maxRun {
			return true
		}
	}
	// Chinese has no spaces between words, so word runs say nothing there: between
	// two Han characters, glue unless the run holds clause punctuation.
	if !hanLike(rs[j-1].R) || !hanLike(rs[k].R) {
		return false
	}
	for _, r := range rs[j:k] {
		if strings.ContainsRune(clausePunct, r.R) {
			return false
		}
	}
	return true
}

// hanLike reports whether r is a Han character (script Han).
func hanLike(r rune) bool {
	return isHan(r) || r >= 0x2E80 && unicode.Is(unicode.Han, r)
}

// clausePunct separates clauses and sentences; separator removal never glues Han
// characters across it.
const clausePunct = ",;:?!()[]{}<>\"'，。、；：？！…（）【】《》〈〉「」『』“”‘’\n"

func allSpace(rs []Rune) bool {
	for _, r := range rs {
		if !unicode.IsSpace(r.R) {
			return false
		}
	}
	return true
}

// isWord reports whether r is part of a word: a letter, digit or combining mark.
func isWord(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiWord[r&0x7F]
	}
	if r >= 0x4E00 && r <= 0x9FFF {
		return true
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || unicode.IsNumber(r)
}

// isFormat reports whether r is an invisible format character.
func isFormat(r rune) bool {
	switch {
	case r == 0x034F, // combining grapheme joiner
		r >= 0xFE00 && r <= 0xFE0F, r >= 0xE0100 && r <= 0xE01EF, // variation selectors
		r == 0x115F, r == 0x1160, r == 0x3164, r == 0xFFA0: // Hangul fillers
		return true
	}
	return unicode.Is(unicode.Cf, r)
}

// isHan is a fast test for the CJK Unified Ideographs block, the common case.
func isHan(r rune) bool { return r >= 0x4E00 && r <= 0x9FFF }
