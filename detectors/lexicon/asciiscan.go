package lexicon

import (
	"encoding/binary"
	"math/bits"
	"slices"
	"unsafe"

	"github.com/aigcwatch/aigcwatch/detectors/lexicon/norm"
)

// Normalised scans of ASCII text without writing the normalised text.
//
// For ASCII text, the normalisations this applies to (separators on with MaxRun
// 1, no squashing; see newASCIITable) change the bytes only by lower-casing
// (CaseFold), by turning a run of white space between words into one space
// (a run that holds something else is kept as it is), and by removing
// (gluing) a run of at most MaxSeparators bytes between two one-character words
// ("b.a.d", "x, y"); NFKC, format stripping, homoglyphs and traditional →
// simplified leave ASCII alone. TestASCIIModel holds this to the normaliser.
//
// So the byte automaton can read the original bytes through a second table:
// upper-case letters get the codes of the lower-case ones, every white-space
// byte the code of ' ', and each state entered by ' ' stays where it is on
// another ' ', so that a run of white space reads as one space. The text is
// copied once (a memory copy) so that the separators of each glue site can be
// overwritten with 0xFF, a byte no state moves on; the copy then maps byte for
// byte to the original. Where the text is not ASCII, a stretch around it,
// cut where the normaliser's output can be cut (see safeBoundary), is
// normalised as before and its output takes its place in the copy.
//
// This reads "a\tb" or "a,  b" with one space where the normaliser kept the
// run as it was (a run that holds something else than white space). That is
// harmless when the terms' white space is single spaces between two ASCII word
// bytes, which newASCIITable requires: no term can then match across such a
// run, nor start or end in white space.

// asciiTable is the byte automaton's table for reading prepared text (above).
type asciiTable struct {
	t      byteTable
	maxSep int
}

// skipByte marks a removed byte in prepared text; no state moves on it. Bytes
// that a normalised stretch writes as 0xFF are written as 0xFE, which no term
// holds either (neither is in valid UTF-8).
const (
	skipByte = 0xFF
	anyByte  = 0xFE
)

// newASCIITable returns the table for scanning ASCII text normalised with o
// without writing it, or nil when o or the terms do not allow it.
func newASCIITable(m *Matcher, o norm.Options, terms []string) *asciiTable {
	o = norm.New(o).Options() // defaults filled in
	if !m.bytes || !o.Separators || o.Squash || o.MaxRun != 1 || o.MaxSeparators > 6 {
		return nil
	}
	for _, t := range terms {
		for i := 0; i < len(t); i++ {
			if !isSpaceASCII(t[i]) {
				continue
			}
			if t[i] != ' ' || i == 0 || i == len(t)-1 || !isWordASCII(t[i-1]) || !isWordASCII(t[i+1]) {
				return nil
			}
		}
	}
	stride := int(m.stride)
	stride2 := stride + 1
	skip := stride
	dfa := make([]int32, m.nStates*stride2)
	for s := 0; s < m.nStates; s++ {
		for c := 0; c < stride; c++ {
			dfa[s*stride2+c] = restride(m.dfa[s*stride+c], m.stride, int32(stride2))
		}
		dfa[s*stride2+skip] = int32(s * stride2)
	}
	if sp := int(m.bmp[' ']); sp != 0 {
		// A state entered by ' ' stays put on ' ': it has no outputs (no term
		// ends in a space).
		for s := 0; s < m.nStates; s++ {
			if v := dfa[s*stride2+sp]; v > 0 {
				dfa[int(v)+sp] = v
			}
		}
	}
	cls := new([256]uint32)
	for b := range 256 {
		c := b
		switch {
		case isSpaceASCII(byte(b)):
			c = ' '
		case o.CaseFold && 'A' <= b && b <= 'Z':
			c = b + 'a' - 'A'
		}
		cls[b] = m.bmp[c]
	}
	cls[skipByte] = uint32(skip)
	return &asciiTable{
		t:      byteTable{cls: cls[:], dfa: dfa, stride: int32(stride2), units: true},
		maxSep: o.MaxSeparators,
	}
}

// restride re-encodes a table entry (a row offset, complemented when the state
// has outputs) for rows of stride2 entries instead of stride.
func restride(v, stride, stride2 int32) int32 {
	if v < 0 {
		return ^(^v / stride * stride2)
	}
	return v / stride * stride2
}

func isSpaceASCII(c byte) bool { return c == ' ' || '\t' <= c && c <= '\r' }

func isWordASCII(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// warmStart returns where a stream must start, from the root, to be in the
// right state at byte b of prepared text: warm units before it (a run of white
// space is one unit, skipByte none), or 0.
func warmStart(text string, b, warm int) int {
	p := b
	for n := 0; n < warm && p > 0; {
		p--
		c := text[p]
		if c == skipByte {
			continue
		}
		n++
		if isSpaceASCII(c) {
			for p > 0 && isSpaceASCII(text[p-1]) {
				p--
			}
		}
	}
	return p
}

// prepSeg is a stretch of prepared text, Scratch.prep[scr:], from the original
// text[raw:rawEnd]: a copy (glue sites overwritten) or, when mixed, the
// normaliser's output.
type prepSeg struct {
	scr, raw, rawEnd int
	mixed            bool
}

// scan finds the matches of m in the normalised text and appends them to
// sc.matches with offsets in text, as Set.Scan would find them in n's output
// mapped back by its Span. It reports false, having done nothing, when too
// much of text is not ASCII for this to pay.
func (a *asciiTable) scan(m *Matcher, n *norm.Normalizer, text string, sc *Scratch) bool {
	segs := sc.psegs[:0]
	mixed, budget := 0, len(text)/4 // normalised stretches beyond budget bytes do not pay
	for i := 0; i < len(text); {
		j := nonASCII(text, i)
		if j == len(text) {
			segs = append(segs, prepSeg{raw: i, rawEnd: j})
			break
		}
		p := j - 2
		for p > i && !safeBoundary(text, p) {
			p--
		}
		p = max(p, i)
		r := j + 1
		for r < len(text) && !safeBoundary(text, r) {
			r++
			if mixed+r-p > budget {
				sc.psegs = segs
				return false
			}
		}
		r = min(r, len(text))
		if p > i {
			segs = append(segs, prepSeg{raw: i, rawEnd: p})
		}
		segs = append(segs, prepSeg{raw: p, rawEnd: r, mixed: true})
		mixed += r - p
		i = r
	}
	sc.psegs = segs
	if mixed > budget {
		return false
	}
	prep := sc.prep[:0]
	for k := range segs {
		g := &segs[k]
		g.scr = len(prep)
		if !g.mixed {
			prep = append(prep, text[g.raw:g.rawEnd]...)
			a.glue(prep[g.scr:], text[g.raw:g.rawEnd])
			continue
		}
		n.Normalize(&sc.buf, text[g.raw:g.rawEnd])
		prep = append(prep, sc.buf.Out...)
		for q := g.scr; q < len(prep); q++ {
			if prep[q] == skipByte {
				prep[q] = anyByte
			}
		}
	}
	sc.prep = prep
	sc.bufSeg = -1
	first := len(sc.matches)
	sc.matches = m.scanStreams(&a.t, unsafeString(prep), sc.matches, minStream, maxStream)
	for i := first; i < len(sc.matches); i++ {
		mt := &sc.matches[i]
		mt.Start, mt.End = sc.origin(n, text, mt.End-mt.Start, mt.End)
	}
	return true
}

// origin maps a match of units normalised bytes ending at prepared byte end
// back to the original text.
func (sc *Scratch) origin(n *norm.Normalizer, text string, units, end int) (int, int) {
	segs, prep := sc.psegs, sc.prep
	k, _ := slices.BinarySearchFunc(segs, end, func(g prepSeg, p int) int {
		if g.scr < p {
			return -1
		}
		return 1
	})
	k-- // the last segment starting before end
	g := segs[k]
	var rawEnd int
	if g.mixed {
		_, e := sc.span(n, text, k, end-1-g.scr)
		rawEnd = e
	} else {
		rawEnd = g.raw + end - g.scr
	}
	p := end
	for {
		g = segs[k]
		if g.mixed {
			if units <= p-g.scr {
				s, _ := sc.span(n, text, k, p-units-g.scr)
				return s, rawEnd
			}
			units -= p - g.scr
		} else {
			for p > g.scr && units > 0 {
				p--
				c := prep[p]
				if c == skipByte {
					continue
				}
				units--
				if isSpaceASCII(c) {
					for p > g.scr && isSpaceASCII(prep[p-1]) {
						p--
					}
				}
			}
			if units == 0 {
				return g.raw + p - g.scr, rawEnd
			}
		}
		p = g.scr // the end of segment k-1
		k--
	}
}

// span returns the original span of normalised byte q of mixed segment k,
// normalising the segment again unless sc.buf holds it.
func (sc *Scratch) span(n *norm.Normalizer, text string, k, q int) (int, int) {
	g := sc.psegs[k]
	if sc.bufSeg != k {
		n.Normalize(&sc.buf, text[g.raw:g.rawEnd])
		sc.bufSeg = k
	}
	s, e := sc.buf.Span(q, q+1)
	return g.raw + s, g.raw + e
}

// nonASCII returns the index of the first byte of text from i that is not
// ASCII, or len(text).
func nonASCII(text string, i int) int {
	for ; i+32 <= len(text); i += 32 {
		p := (*[32]byte)(unsafe.Pointer(unsafe.StringData(text[i:])))
		x := binary.LittleEndian.Uint64(p[0:]) | binary.LittleEndian.Uint64(p[8:]) |
			binary.LittleEndian.Uint64(p[16:]) | binary.LittleEndian.Uint64(p[24:])
		if x&0x8080808080808080 != 0 {
			break
		}
	}
	for ; i+8 <= len(text); i += 8 {
		if binary.LittleEndian.Uint64([]byte(text[i:i+8]))&0x8080808080808080 != 0 {
			break
		}
	}
	for ; i < len(text) && text[i] < 0x80; i++ {
	}
	return i
}

// safeBoundary reports whether the normalised text is the normalised
// text[:p] followed by the normalised text[p:]: text[p-1] is ASCII white space
// and text[p:] starts with an ASCII word of two bytes or more. The run of white
// space before p is then never glued (the word after it is too long), nothing
// combines across it, and the word at p starts with no word before it either
// way.
func safeBoundary(text string, p int) bool {
	return p >= 1 && p+1 < len(text) && isSpaceASCII(text[p-1]) && isWordASCII(text[p]) && isWordASCII(text[p+1])
}

// glue overwrites with skipByte, in prep (a copy of the ASCII text src), each
// run of at most a.maxSep (<= 6) bytes between two one-character words. Bytes
// outside src count as separators. It works on masks of 64 bytes, a bit per
// byte, one group ahead, and looks closer only where a one-character word has
// another within maxSep+1 bytes after it.
func (a *asciiTable) glue(prep []byte, src string) {
	// far[j] keeps the distance 4+j (from a word to the next) when it is at
	// most maxSep+1.
	var far [4]uint64
	for j := range far {
		if 4+j <= a.maxSep+1 {
			far[j] = ^uint64(0)
		}
	}
	f0, f1, f2, f3 := far[0], far[1], far[2], far[3]
	var w0 uint64 // word bytes of the group before
	w1 := wordBits64(src, 0)
	for i := 0; i < len(src); i += 64 {
		w2 := wordBits64(src, i+64)
		// One-character words of this group and (but for bit 63) the next.
		o1 := w1 &^ (w1<<1 | w0>>63) &^ (w1>>1 | w2<<63)
		o2 := w2 &^ (w2<<1 | w1>>63) &^ (w2 >> 1)
		near := o1>>2 | o2<<62 | o1>>3 | o2<<61 | (o1>>4|o2<<60)&f0 | (o1>>5|o2<<59)&f1 |
			(o1>>6|o2<<58)&f2 | (o1>>7|o2<<57)&f3
		if cand := o1 & near; cand != 0 {
			a.glueAt(prep, i, cand, w1, w2)
		}
		w0, w1 = w1, w2
	}
}

// glueAt glues after each one-character word marked in cand (bytes i..i+63,
// word bytes in w, the next 64 in next) whose next word, a one-character one,
// starts at most maxSep bytes after it.
func (a *asciiTable) glueAt(prep []byte, i int, cand, w, next uint64) {
	for ; cand != 0; cand &= cand - 1 {
		k := bits.TrailingZeros64(cand)
		win := w>>(k+1) | next<<(63-k) // the bytes after byte k
		d := bits.TrailingZeros64(win) // separators after the word at k
		if d <= a.maxSep && win>>(d+1)&1 == 0 {
			p := i + k + 1
			for q := p; q < p+d; q++ {
				prep[q] = skipByte
			}
		}
	}
}

// wordBits64 returns a mask of the word bytes among src[i:i+64], byte i+k to
// bit k; bytes past the end count as separators.
func wordBits64(src string, i int) uint64 {
	if i+64 > len(src) {
		var buf [64]byte
		if i < len(src) {
			copy(buf[:], src[i:])
		}
		return wordBits(&buf)
	}
	return wordBits((*[64]byte)(unsafe.Pointer(unsafe.StringData(src[i:]))))
}

func wordBits(p *[64]byte) uint64 {
	return uint64(wordBits8(binary.LittleEndian.Uint64(p[0:]))) |
		uint64(wordBits8(binary.LittleEndian.Uint64(p[8:])))<<8 |
		uint64(wordBits8(binary.LittleEndian.Uint64(p[16:])))<<16 |
		uint64(wordBits8(binary.LittleEndian.Uint64(p[24:])))<<24 |
		uint64(wordBits8(binary.LittleEndian.Uint64(p[32:])))<<32 |
		uint64(wordBits8(binary.LittleEndian.Uint64(p[40:])))<<40 |
		uint64(wordBits8(binary.LittleEndian.Uint64(p[48:])))<<48 |
		uint64(wordBits8(binary.LittleEndian.Uint64(p[56:])))<<56
}

// wordBits8 returns the word bytes of the eight ASCII bytes x, byte k to bit k.
func wordBits8(x uint64) uint8 {
	const lsb = 0x0101010101010101
	// Adding 0x80-c to a byte below 0x80 sets its top bit when it is >= c,
	// without a carry into the next byte. Setting bit 5 lower-cases the letters
	// and moves no other byte into a..z.
	lower := x | 0x2020202020202020
	letter := (lower + lsb*uint64(0x80-'a')) &^ (lower + lsb*uint64(0x80-'z'-1))
	digit := (x + lsb*uint64(0x80-'0')) &^ (x + lsb*uint64(0x80-'9'-1))
	return uint8(((letter | digit) & 0x8080808080808080 >> 7 * 0x0102040810204080) >> 56)
}
