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
	"encoding/binary"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
	"unsafe"

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
	if o.NFKC {
		bmp.build()
	}
	buildClasses()
	return &Normalizer{o: o}
}

// Options returns the options in effect.
func (n *Normalizer) Options() Options { return n.o }

// Buffer holds a normalised text and its map back to the original. Reuse one per
// goroutine (it is not safe for concurrent use, Span included): Normalize and Runes
// allocate only when the buffer must grow.
type Buffer struct {
	// Out is the normalised text (written by Normalize, not by Runes).
	Out []byte
	// segs maps Out back to the original text, one entry per run of output: a
	// linear run (end < 0) copies characters of the same byte length one to one,
	// byte out+k coming from byte start+k; any other character gets its own entry
	// (all its bytes come from [start, end)).
	segs   []seg
	linEnd int32  // original offset that extends the last linear run; -1 when none
	hint   int    // segs index of the last Span look-up
	runes  []Rune // characters before the context-dependent steps
	fin    []Rune // the normalised characters (Runes)
	seg    []rune // one NFKC segment's output
	it     unorm.Iter
	sep    sepState
	// asciiEnd is the end of the ASCII stretch asciiRun last looked at; asciiLim
	// where its fast path stops in it.
	asciiEnd, asciiLim int
	// src is the text being normalised (write checks a character against it).
	src string
}

type seg struct {
	out, start, end int32
}

// Rune is one character of normalised text and the original bytes
// text[Start:End] it came from.
type Rune struct {
	R          rune
	Start, End int32
}

// Span maps the byte range [s, e) of b.Out to the range of the original text it
// came from. It requires 0 <= s < e <= len(b.Out). A range on character
// boundaries of Out maps to whole characters of the original; a byte inside a
// character that was copied unchanged maps to the same byte of the original.
// Look-ups in increasing order of e are fastest.
func (b *Buffer) Span(s, e int) (int, int) {
	j := b.seek(int32(e - 1))
	g := b.segs[j]
	end := g.end
	if end < 0 {
		end = g.start + int32(e) - g.out
	}
	i := b.seek(int32(s))
	g = b.segs[i]
	start := g.start
	if g.end < 0 {
		start += int32(s) - g.out
	}
	b.hint = j
	return int(start), int(end)
}

// seek returns the index of the last seg starting at or before output byte p.
func (b *Buffer) seek(p int32) int {
	segs := b.segs
	h := min(b.hint, len(segs)-1)
	if segs[h].out > p {
		if h > 0 && segs[h-1].out <= p {
			return h - 1
		}
		lo, hi := 0, h // segs[lo].out <= p < segs[hi].out
		for hi-lo > 1 {
			m := int(uint(lo+hi) >> 1)
			if segs[m].out <= p {
				lo = m
			} else {
				hi = m
			}
		}
		return lo
	}
	for k := 0; k < 4; k++ {
		if h+1 >= len(segs) || segs[h+1].out > p {
			return h
		}
		h++
	}
	lo, hi := h, len(segs) // segs[lo].out <= p, segs[hi].out > p or hi == len
	for hi-lo > 1 {
		m := int(uint(lo+hi) >> 1)
		if segs[m].out <= p {
			lo = m
		} else {
			hi = m
		}
	}
	return lo
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
	b.Out = b.Out[:0]
	b.segs = b.segs[:0]
	b.linEnd = -1
	b.hint = 0
	if n.o.Squash {
		// Squashing looks back across separators; use the two-stage path.
		for _, r := range n.Runes(b, text) {
			b.write(r.R, r.Start, r.End)
		}
		return
	}
	b.sep = sepState{}
	b.asciiEnd = -1
	n.collect(b, text, true)
	if n.o.Separators {
		n.sepFlush(b)
	}
}

// write appends r, from the original text[start:end], to Out and its map.
func (b *Buffer) write(r rune, start, end int32) {
	if r < utf8.RuneSelf && end-start == 1 && start == b.linEnd {
		b.Out = append(b.Out, byte(r))
		b.linEnd = end
		return
	}
	// Linear only for a character that is exactly its original bytes: one character of
	// the same length written in place of another may be one of several from the same
	// NFKC segment (an invalid byte's U+FFFD before a combining mark, क़ → क + ़), and
	// the next would map back to before it.
	if utf8.RuneLen(r) == int(end-start) && b.isSource(r, start, end) {
		if start != b.linEnd {
			b.segs = append(b.segs, seg{int32(len(b.Out)), start, -1})
		}
		b.linEnd = end
	} else {
		b.segs = append(b.segs, seg{int32(len(b.Out)), start, end})
		b.linEnd = -1
	}
	b.Out = utf8.AppendRune(b.Out, r)
}

// isSource reports whether r encodes to text[start:end] of the text being normalised.
func (b *Buffer) isSource(r rune, start, end int32) bool {
	if int(end) > len(b.src) {
		return false
	}
	var e [utf8.UTFMax]byte
	n := utf8.EncodeRune(e[:], r)
	return string(e[:n]) == b.src[start:end]
}

// sepState is the separators step run as a stream: a run of non-word characters
// is held back until the word characters after it (up to MaxRun+1) show whether it
// is glued away, collapsed to one space or kept.
type sepState struct {
	left     int  // word characters written since the last run (0: none before it)
	lastWord rune // the last word character written
	pending  bool // a run of separators is held in b.runes
	right    int  // word characters after the run, held in b.fin
	punct    bool // the run holds clause punctuation
	space    bool // the run is all white space
}

// emit feeds one character, after the per-character steps, to the separators
// step (or straight to Out when it is off).
func (n *Normalizer) emit(b *Buffer, r rune, start, end int32) {
	if !n.o.Separators {
		b.write(r, start, end)
		return
	}
	st := &b.sep
	if isWord(r) {
		switch {
		case !st.pending:
			b.write(r, start, end)
			st.left++
			st.lastWord = r
		default:
			b.fin = append(b.fin, Rune{r, start, end})
			st.right++
			// sepFlush's glue needs the count of word characters after the run only
			// when the word before it is short and the Han rule does not decide; in
			// every other case (the usual one in Chinese prose: a clause, a comma, a
			// clause) the first character after the run settles it, and the ones
			// after it take the fast paths instead of being held.
			if st.right > n.o.MaxRun || st.right == 1 && n.settled(b, r) {
				n.sepFlush(b)
			}
		}
		return
	}
	if st.pending && st.right > 0 {
		n.sepFlush(b)
	}
	if !st.pending {
		st.pending = true
		st.right = 0
		st.punct = false
		st.space = true
		b.runes = b.runes[:0]
		b.fin = b.fin[:0]
	}
	b.runes = append(b.runes, Rune{r, start, end})
	if st.space && !isSpace(r) {
		st.space = false
	}
	if !st.punct && isClausePunct(r) {
		st.punct = true
	}
}

// settled reports whether the pending run's fate is known from the first word
// character after it, r, whatever follows: see sepFlush's glue.
func (n *Normalizer) settled(b *Buffer, r rune) bool {
	st := &b.sep
	return st.left == 0 || len(b.runes) > n.o.MaxSeparators || st.left > n.o.MaxRun ||
		!st.punct && hanLike(st.lastWord) && hanLike(r)
}

// sepFlush decides the pending run of separators (when there is one) and writes
// it and the word characters held after it.
func (n *Normalizer) sepFlush(b *Buffer) {
	st := &b.sep
	if !st.pending {
		return
	}
	run := b.runes
	maxRun := n.o.MaxRun
	glue := st.left > 0 && st.right > 0 && len(run) <= n.o.MaxSeparators &&
		(st.left <= maxRun && st.right <= maxRun ||
			!st.punct && hanLike(st.lastWord) && hanLike(b.fin[0].R))
	switch {
	case glue:
	case st.space:
		b.write(' ', run[0].Start, run[len(run)-1].End)
	default:
		for _, r := range run {
			b.write(r.R, r.Start, r.End)
		}
	}
	for _, r := range b.fin {
		b.write(r.R, r.Start, r.End)
		st.lastWord = r.R
	}
	st.left = st.right
	st.pending = false
	st.right = 0
	b.runes = b.runes[:0]
	b.fin = b.fin[:0]
}

// Runes normalises text and returns its characters, each with its original span;
// utf8 encoding them gives Normalize's Out. The slice lives in b until b's next
// use. Matching on runes this way skips encoding the text and the per-byte map.
func (n *Normalizer) Runes(b *Buffer, text string) []Rune {
	n.collect(b, text, false)
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
			return bmp.boundaryAt(rune(c&0x1F)<<6 | rune(text[i+1]&0x3F))
		}
		return false
	}
	c1, c2 := text[i+1], text[i+2]
	r := rune(c&0x0F)<<12 | rune(c1&0x3F)<<6 | rune(c2&0x3F)
	return c1&0xC0 == 0x80 && c2&0xC0 == 0x80 && bmp.boundaryAt(r)
}

// bmpTable holds, for every character below U+10000, whether it has an NFKC
// boundary before it (bmpBoundary) and, when its NFKC form is a single character
// that can stand alone, that character (bmpSimple + the low 16 bits). Built once,
// at the first New with NFKC on (about 0.1 s).
type bmpTable struct {
	once sync.Once
	info []uint32
	// boundary is info's bmpBoundary bit alone, one bit per character (8 KiB instead of
	// 256: safeAt, called for nearly every character of CJK text, stays in the L1 cache).
	boundary []uint64
}

// boundaryAt reports whether r (below U+10000) has bmpBoundary.
func (t *bmpTable) boundaryAt(r rune) bool { return t.boundary[r>>6]&(1<<(r&63)) != 0 }

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
			if r < utf8.RuneSelf || isHan(r) {
				info[r] = bmpBoundary | bmpSimple | uint32(r) // the fast paths' own cases
				continue
			}
			s := buf[:utf8.EncodeRune(buf[:], r)]
			if !unorm.NFKC.Properties(s).BoundaryBefore() || !segmentStartsAt(s) {
				continue
			}
			info[r] = bmpBoundary
			out := unorm.NFKC.Bytes(s)
			if to, w := utf8.DecodeRune(out); w == len(out) && to != utf8.RuneError && to < 0x10000 {
				info[r] |= bmpSimple | uint32(to)
			}
		}
		boundary := make([]uint64, 0x10000/64)
		for r, v := range info {
			if v&bmpBoundary != 0 {
				boundary[r>>6] |= 1 << (r & 63)
			}
		}
		t.info, t.boundary = info, boundary
	})
}

// boundaryLefts are characters put before a candidate for bmpBoundary: plain
// letters, a digit, an ideograph, Hangul jamo and syllables (which compose
// algorithmically), and characters that compose with a following vowel sign.
var boundaryLefts = []string{"a", "0", "e", "中", "\u1100", "\u1161", "\uAC00", "\uAC01", "\u0B47", "\u0CBF", "\u0DD9", "\u3046", "\u0301"}

// segmentStartsAt reports whether the NFKC iterator, as Normalize runs it, starts
// a new segment at s whatever comes before it (of boundaryLefts): the property
// x/text's own tables do not always give (a half-width Hangul letter reports a
// boundary before it, yet the iterator joins it to what precedes it).
func segmentStartsAt(s []byte) bool {
	var it unorm.Iter
	for _, left := range boundaryLefts {
		t := left + string(s) + "a"
		if unorm.NFKC.QuickSpanString(t) >= len(left) {
			continue
		}
		it.InitString(unorm.NFKC, t)
		for !it.Done() {
			it.Next()
			if it.Pos() > 0 {
				break
			}
		}
		if it.Pos() != len(left) {
			return false
		}
	}
	return true
}

// collect runs the per-character steps (NFKC, case folding, format removal,
// homoglyphs, traditional → simplified): into b.runes, or when stream is set
// through emit (the separators step) into Out.
func (n *Normalizer) collect(b *Buffer, text string, stream bool) {
	b.runes = b.runes[:0]
	b.src = text
	o := &n.o
	if o.NFKC {
		bmp.build() // for a Normalizer not made by New
	}
	buildClasses()
	if o.NFKC {
		buildProseMarks()
	}
	lower := &asciiIdentity
	if o.CaseFold {
		lower = &asciiLower
	}
	sep := o.Separators
	st := &b.sep
	i := 0
	spanEnd := 0 // text[i:spanEnd] is known to be NFKC already
	for i < len(text) {
		c := text[i]
		if c < utf8.RuneSelf {
			if stream && (!sep || !st.pending) {
				if k := n.asciiRun(b, text, i, lower); k > i {
					i = k
					continue
				}
			}
			// ASCII before a safe character is NFKC-stable; only case folding applies.
			if !o.NFKC || safeAt(text, i+1) {
				if stream {
					n.emit(b, rune(lower[c]), int32(i), int32(i+1))
				} else {
					b.runes = append(b.runes, Rune{rune(lower[c]), int32(i), int32(i + 1)})
				}
				i++
				continue
			}
		} else if c >= 0xE4 && c <= 0xE9 && i+2 < len(text) {
			if stream && (!sep || !st.pending) {
				if k := n.proseRun(b, text, i, spanEnd); k > i {
					i = k
					continue
				}
			}
			// CJK Unified Ideographs: NFKC-stable, no case, format or homoglyph
			// step applies; only traditional → simplified.
			c1, c2 := text[i+1], text[i+2]
			r := rune(c&0x0F)<<12 | rune(c1&0x3F)<<6 | rune(c2&0x3F)
			if c1&0xC0 == 0x80 && c2&0xC0 == 0x80 && r >= 0x4E00 && r <= 0x9FFF && (!o.NFKC || safeAt(text, i+3)) {
				if o.Traditional {
					r = t2s(r)
				}
				if stream {
					n.emit(b, r, int32(i), int32(i+3))
				} else {
					b.runes = append(b.runes, Rune{r, int32(i), int32(i + 3)})
				}
				i += 3
				continue
			}
		}
		if c >= 0xE2 && c <= 0xEF && o.NFKC && stream && sep && !st.pending && st.left > o.MaxRun && i >= spanEnd {
			// The comma (or full stop, colon...) of Chinese prose between a clause and
			// the next ideograph: what the general path below does for it, without the
			// decoding, the tables and the calls (see proseMark).
			if to, ok := proseMark(text, i); ok {
				b.writeMark(text, i, to)
				st.left = 0
				i += 3
				continue
			}
		}
		if !o.NFKC {
			r, w := utf8.DecodeRuneInString(text[i:])
			n.add(b, r, i, i+w, stream)
			i += w
			continue
		}
		if c >= 0xC2 && c <= 0xEF && i >= spanEnd {
			// Another BMP character: when it starts a segment, has a one-character
			// NFKC form and the next character starts a segment too, that form is
			// its normalisation. Not inside a span x/text's quick check passed:
			// there x/text copies characters as they are (it differs only after
			// an invalid byte: "\xf6º" keeps its º), and so does the reference.
			r, w := utf8.DecodeRuneInString(text[i:])
			if w > 1 {
				if v := bmp.info[r]; v&bmpSimple != 0 && safeAt(text, i+w) {
					n.add(b, rune(v&0xFFFF), i, i+w, stream)
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
			n.add(b, r, i, i+w, stream)
			i += w
			continue
		}
		// One normalisation segment; all its output maps to its whole input. The
		// iterator may hand out a long decomposition in pieces before it advances.
		it := &b.it
		it.InitString(unorm.NFKC, text[i:])
		b.seg = b.seg[:0]
		for !it.Done() {
			for _, r := range string(it.Next()) {
				b.seg = append(b.seg, r)
			}
			if it.Pos() > 0 {
				break
			}
		}
		w := max(it.Pos(), 1)
		for _, r := range b.seg {
			n.add(b, r, i, i+w, stream)
		}
		i += w
	}
}

// proseMarks holds the 3-byte clause punctuation marks (clausePunct) whose NFKC form is
// one character that is clause punctuation too and that no other per-character step
// changes, by proseSlot: the comma, full stop, enumeration comma, colon, semicolon,
// question and exclamation marks, brackets and quotes of CJK text. After a word longer
// than MaxRun, a run of one such mark is kept whatever follows (sepFlush's glue needs
// both sides short, or no punctuation), so collect writes it at once when an ideograph
// follows instead of holding it for the separators step. A mark whose slot is taken
// goes that general way (TestProseMarksAllSlotted: none is).
var (
	proseMarksOnce sync.Once
	proseMarks     [64]struct{ from, to rune }
)

func proseSlot(r rune) int { return int(r^r>>6) & 63 }

func buildProseMarks() {
	proseMarksOnce.Do(func() {
		bmp.build()
		buildClasses()
		for _, r := range clausePunct {
			if utf8.RuneLen(r) != 3 {
				continue
			}
			v := bmp.info[r]
			if v&bmpSimple == 0 {
				continue
			}
			to := rune(v & 0xFFFF)
			if c, ok := class(to); !ok || c&(clsPlain|clsPunct|clsWord|clsSpace) != clsPlain|clsPunct {
				continue
			}
			if e := &proseMarks[proseSlot(r)]; e.from == 0 {
				e.from, e.to = r, to
			}
		}
	})
}

// proseMark reports whether text[i:] starts with one of proseMarks followed by a CJK
// Unified Ideograph, and returns the mark's normalised form.
func proseMark(text string, i int) (rune, bool) {
	if i+5 >= len(text) {
		return 0, false
	}
	w := text[i : i+6]
	if w[1]&0xC0 != 0x80 || w[2]&0xC0 != 0x80 {
		return 0, false
	}
	r := rune(w[0]&0x0F)<<12 | rune(w[1]&0x3F)<<6 | rune(w[2]&0x3F)
	e := proseMarks[proseSlot(r)]
	if e.from != r {
		return 0, false
	}
	if w[3] < 0xE4 || w[3] > 0xE9 || w[4]&0xC0 != 0x80 || w[5]&0xC0 != 0x80 {
		return 0, false
	}
	if u := rune(w[3]&0x0F)<<12 | rune(w[4]&0x3F)<<6 | rune(w[5]&0x3F); u < 0x4E00 {
		return 0, false
	}
	return e.to, true
}

// proseRun writes the run of CJK Unified Ideographs at text[i] to Out, and then, while
// a mark of proseMarks follows the run (with the separators step and NFKC on, after a
// word longer than MaxRun, outside a span x/text's quick check passed: collect's
// conditions) and an ideograph the mark, the mark and the next run: Chinese prose, clause
// after clause, without going back through collect's loop for each character that
// starts one. It returns where it stopped (i when it wrote nothing: the ideograph at i
// is followed by a character it may combine with, and goes the general way). Requires
// stream mode with no separator run pending.
func (n *Normalizer) proseRun(b *Buffer, text string, i, spanEnd int) int {
	o := &n.o
	st := &b.sep
	marks := o.NFKC && o.Separators
	for {
		// A run of ideographs goes to Out in one copy (simplified and traditional ones
		// are both 3 bytes, so traditional → simplified rewrites the copy in place):
		// each is NFKC-safe, so only the character after the run needs safeAt.
		k := len(b.Out)
		var j int
		b.Out, j = appendCJKRun(b.Out, text, i, o.NFKC, o.Traditional)
		if j == i {
			return i
		}
		if int32(i) != b.linEnd {
			b.segs = append(b.segs, seg{int32(k), int32(i), -1})
		}
		last := b.Out[len(b.Out)-3:]
		b.linEnd = int32(j)
		st.left += (j - i) / 3
		st.lastWord = rune(last[0]&0x0F)<<12 | rune(last[1]&0x3F)<<6 | rune(last[2]&0x3F)
		i = j
		if !marks || st.left <= o.MaxRun || i < spanEnd {
			return i
		}
		to, ok := proseMark(text, i)
		if !ok {
			return i
		}
		b.writeMark(text, i, to)
		st.left = 0
		i += 3
	}
}

// writeMark writes the clause mark text[i:i+3] of proseMarks, whose normalised form is
// to, to Out.
func (b *Buffer) writeMark(text string, i int, to rune) {
	if to < utf8.RuneSelf {
		b.segs = append(b.segs, seg{int32(len(b.Out)), int32(i), int32(i + 3)})
		b.Out = append(b.Out, byte(to))
		b.linEnd = -1
		return
	}
	// The mark itself: it extends a linear run.
	if int32(i) != b.linEnd {
		b.segs = append(b.segs, seg{int32(len(b.Out)), int32(i), -1})
	}
	b.Out = append(b.Out, text[i:i+3]...)
	b.linEnd = int32(i + 3)
}

// appendCJKRun appends to out the run of CJK Unified Ideographs (U+4E00–U+9FFF) that
// starts at text[i], each converted to simplified when trad is set (simplified and
// traditional forms are both 3 bytes), and returns out and the end of the run in text.
// With NFKC on, the run's last ideograph must be followed by an NFKC-safe character
// (safeAt), the condition collect checks for a single ideograph, or it is left out; an
// ideograph is itself safe, so only the character after the run is looked up. The run
// may be empty.
func appendCJKRun(out []byte, text string, i int, nfkc, trad bool) ([]byte, int) {
	// Find the end first, then copy the run at once: in simplified text nearly no
	// character is in the table, and only a run with one is rewritten after the copy.
	n, hit := cjkRun(text[i:])
	j := i + n
	if nfkc && j > i && !safeAt(text, j) {
		j -= 3 // the last one goes the general way
	}
	k := len(out)
	out = append(out, text[i:j]...)
	if trad && hit&1 != 0 {
		toSimplified(out[k:])
	}
	return out, j
}

// cjkRun returns the length of the run of 3-byte CJK Unified Ideographs (U+4E00 to
// U+9FFF) at the start of p, and 1 when one of them has a simplified form (t2sHas), else
// 0. A loop of its own, so that the compiler keeps its variables in registers (inside
// appendCJKRun they were spilled around each character).
func cjkRun(p string) (int, uint64) {
	var hit uint64
	base := unsafe.Pointer(unsafe.StringData(p))
	k := 0
	// Two characters a step while 8 bytes are left: one load, one test of both
	// characters' UTF-8 shape (the last two bytes are ignored), their two bit tests. (Two
	// calls of ideographBit instead, each testing and branching on its own, cost 540
	// more instructions a record of the realistic mix.) The bit tests branch: a
	// traditional character is rare in the text this loop sees most, and a test and a
	// jump cost fewer instructions than shifting each bit down to OR it in.
	for ; k+8 <= len(p); k += 6 {
		x := binary.LittleEndian.Uint64((*[8]byte)(unsafe.Add(base, k))[:])
		h0 := (x&0x0F)<<6 | (x>>8)&0x3F - 0x4E00>>6
		h1 := (x>>24&0x0F)<<6 | (x>>32)&0x3F - 0x4E00>>6
		if x&0xC0C0F0C0C0F0 != 0x8080E08080E0 || h0 > lastIdeographWord || h1 > lastIdeographWord {
			break
		}
		if t2sHas[h0]&(1<<(x>>16&63)) != 0 || t2sHas[h1]&(1<<(x>>40&63)) != 0 {
			hit = 1
		}
	}
	b := unsafe.Slice((*byte)(base), len(p))
	for ; k+4 <= len(b); k += 3 {
		bit, ok := ideographBit(binary.LittleEndian.Uint32(b[k : k+4])) // the fourth byte is ignored
		if !ok {
			return k, hit
		}
		hit |= bit
	}
	if k+3 == len(b) { // the text's last character
		if bit, ok := ideographBit(uint32(b[k]) | uint32(b[k+1])<<8 | uint32(b[k+2])<<16); ok {
			hit |= bit
			k += 3
		}
	}
	return k, hit & 1
}

// lastIdeographWord is the index in t2sHas of the word holding U+9FFF's bit.
const lastIdeographWord = (0x9FFF - 0x4E00) >> 6

// ideographBit reports whether the low three bytes of x (little-endian) encode a CJK
// Unified Ideograph, and its t2sHas bit at bit 0.
func ideographBit(x uint32) (uint64, bool) {
	// The code point's top 10 bits, from U+4E00: the bitmap's word (2.6 KiB, in the L1
	// cache, answering for the 84 KiB table); the last byte's 6 are its bit.
	hi := (x&0x0F)<<6 | (x>>8)&0x3F - 0x4E00>>6
	if x&0xC0C0F0 != 0x8080E0 || hi > lastIdeographWord { // 1110xxxx 10xxxxxx 10xxxxxx
		return 0, false
	}
	return t2sHas[hi] >> ((x >> 16) & 63), true
}

// toSimplified rewrites, in place, the 3-byte CJK Unified Ideographs in p that have a
// simplified form (also a CJK Unified Ideograph, also 3 bytes).
func toSimplified(p []byte) {
	for k := 0; k+2 < len(p); k += 3 {
		u := rune(p[k]&0x0F)<<12 | rune(p[k+1]&0x3F)<<6 | rune(p[k+2]&0x3F) - 0x4E00
		if t2sHas[u>>6]&(1<<(u&63)) == 0 {
			continue
		}
		if to := t2sDense[u]; to != 0 {
			p[k], p[k+1], p[k+2] = byte(0xE0|to>>12), byte(0x80|(to>>6)&0x3F), byte(0x80|to&0x3F)
		}
	}
}

// asciiRun writes the ASCII text from text[i] on straight to Out, as far as no
// step needs more than case folding: word characters, and (with separators on)
// runs of ASCII separators that cannot be glued, since the word before them is
// longer than MaxRun and not Han, and are followed by an ASCII word character:
// collapsed to one space when they are white space, else kept. It returns where it
// stopped. Requires stream mode with no separator run pending.
func (n *Normalizer) asciiRun(b *Buffer, text string, i int, lower *[utf8.RuneSelf]byte) int {
	o := &n.o
	sep := o.Separators
	nfkc := o.NFKC
	st := &b.sep
	word := &asciiWord256
	tables := &wordLower
	if !sep {
		word = &ascii256
		tables = &anyLower
	}
	fast := &tables[0]
	if o.CaseFold {
		fast = &tables[1]
	}
	// The ASCII stretch ends at the next non-ASCII byte; with NFKC, the byte before
	// it stays out when that character may combine with it.
	if b.asciiEnd < i {
		e := i
		for e+8 <= len(text) {
			// Eight bytes at a time (the compiler merges the loads).
			t := text[e : e+8]
			x := uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
				uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56
			if x&0x8080808080808080 != 0 {
				break
			}
			e += 8
		}
		for e < len(text) && text[e] < utf8.RuneSelf {
			e++
		}
		b.asciiEnd, b.asciiLim = e, e
		if nfkc && e < len(text) && !safeAt(text, e) {
			b.asciiLim = e - 1
		}
	}
	lim := b.asciiLim
	// Out grows by at most one byte per byte here.
	out := slices.Grow(b.Out, len(text)-i)
	w := len(out)
	out = out[:cap(out)]
	k := i
	lin := b.linEnd // original offset continuing the current linear seg; -1 none
	left := st.left
	chunks := !sep || o.MaxRun == 1
	for k < lim {
		// A run of word characters (of any ASCII without the separators step).
		start := k
		if chunks && k+24 <= lim && (!sep || asciiWord[text[k]]) {
			if sep {
				b.segs, k, w, left, lin = asciiChunks(b.segs, text, k, lim, out, w, left, lin, o.CaseFold, o.MaxSeparators)
			} else {
				w0 := w
				k, w = asciiCopy(text, k, lim, out, w, o.CaseFold)
				if k > start {
					if int32(start) != lin {
						b.segs = append(b.segs, seg{int32(w0), int32(start), -1})
					}
					lin = int32(k)
				}
			}
			start = k
		}
		for k < lim {
			v := fast[text[k]]
			if v == 0 {
				break
			}
			out[w] = v
			w++
			k++
		}
		if k > start {
			if int32(start) != lin {
				b.segs = append(b.segs, seg{int32(w - (k - start)), int32(start), -1})
			}
			lin = int32(k)
			left += k - start
		}
		if !sep || k == len(text) || text[k] >= utf8.RuneSelf || word[text[k]] {
			break
		}
		// A run of ASCII separators after a word: decided here when it cannot
		// be glued and an ASCII word character follows.
		if left <= o.MaxRun || st.lastWord >= 0x2E80 && k == i {
			break // gluable, or the word before may be Han (not written here)
		}
		c := text[k]
		m := k
		space := true
		for m < len(text) && text[m] < utf8.RuneSelf && !word[text[m]] {
			space = space && asciiSpace[text[m]]
			m++
		}
		if m >= lim {
			break
		}
		switch {
		case space && (m > k+1 || c != ' '):
			b.segs = append(b.segs, seg{int32(w), int32(k), int32(m)})
			out[w] = ' '
			w++
			lin = -1
		default:
			if int32(k) != lin {
				b.segs = append(b.segs, seg{int32(w), int32(k), -1})
			}
			w += copy(out[w:], text[k:m])
			lin = int32(m)
		}
		left = 0
		k = m
	}
	b.Out = out[:w]
	if k > i {
		b.linEnd = lin
		if sep {
			st.left = left
			if left > 0 {
				st.lastWord = rune(lower[text[k-1]])
			}
		}
	}
	return k
}

// wordLower and anyLower map a byte to what the ASCII fast path writes (without
// case folding, then with): ASCII word bytes, or any ASCII byte but NUL; 0 where
// the slow path takes over.
var wordLower, anyLower = func() (wl, al [2][256]byte) {
	for c := 1; c < utf8.RuneSelf; c++ {
		lc := byte(c)
		if 'A' <= c && c <= 'Z' {
			lc += 'a' - 'A'
		}
		al[0][c], al[1][c] = byte(c), lc
		if asciiWord256[c] {
			wl[0][c], wl[1][c] = byte(c), lc
		}
	}
	return wl, al
}()

// ascii256 and asciiWord256 flag ASCII bytes and ASCII word bytes.
var ascii256, asciiWord256 = func() (a, w [256]bool) {
	for c := range utf8.RuneSelf {
		a[c] = true
		w[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
	}
	return a, w
}()

var asciiSpace = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = unicode.IsSpace(rune(c))
	}
	return t
}()

var asciiPunct = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = strings.ContainsRune(clausePunct, rune(c))
	}
	return t
}()

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

// add runs the per-character steps on r, from text[start:end], and passes it on.
func (n *Normalizer) add(b *Buffer, r rune, start, end int, stream bool) {
	o := &n.o
	if isHan(r) {
		if o.Traditional {
			r = t2s(r)
		}
	} else if c, ok := class(r); ok && c&clsPlain != 0 {
		// No per-character step changes r (most punctuation and letters of
		// caseless scripts): straight on.
	} else {
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
	}
	if stream {
		n.emit(b, r, int32(start), int32(end))
	} else {
		b.runes = append(b.runes, Rune{r, int32(start), int32(end)})
	}
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
		if isClausePunct(r.R) {
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
		if !isSpace(r.R) {
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
	if c, ok := class(r); ok {
		return c&clsWord != 0
	}
	return isWordSlow(r)
}

func isWordSlow(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiWord[r&0x7F]
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

// IsFormat reports whether r is an invisible format character that StripFormat
// removes (category Cf, variation selectors, the combining grapheme joiner, Hangul
// fillers).
func IsFormat(r rune) bool { return isFormat(r) }

// IsWordRune reports whether r is a word character for the Separators step: a letter,
// digit, number or combining mark. Everything else is a separator.
func IsWordRune(r rune) bool { return isWordSlow(r) }
