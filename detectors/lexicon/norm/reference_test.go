package norm

// The normaliser as it was before its fast paths (ASCII and CJK runs without the
// NFKC machinery, rune output for fused matching): the reference that
// TestFastMatchesReference and FuzzFastMatchesReference hold the fast one to, byte
// for byte and span for span.

import (
	"strings"
	"unicode"
	"unicode/utf8"

	unorm "golang.org/x/text/unicode/norm"
)

type rspan struct {
	r          rune
	start, end int32
}

type refBuffer struct {
	Out        []byte
	start, end []int32
	runes      []rspan
	it         unorm.Iter
}

func (b *refBuffer) Span(s, e int) (int, int) { return int(b.start[s]), int(b.end[e-1]) }

// Normalize writes the normalised form of text into b, replacing its contents.
func (n *Normalizer) refNormalize(b *refBuffer, text string) {
	b.runes = b.runes[:0]
	o := &n.o
	i := 0
	spanEnd := 0 // text[i:spanEnd] is known to be NFKC already
	for i < len(text) {
		c := text[i]
		if c < utf8.RuneSelf && (!o.NFKC || i+1 == len(text) || text[i+1] < utf8.RuneSelf) {
			// ASCII followed by ASCII is NFKC-stable.
			n.refAdd(b, rune(c), i, i+1)
			i++
			continue
		}
		if !o.NFKC {
			r, w := utf8.DecodeRuneInString(text[i:])
			n.refAdd(b, r, i, i+w)
			i += w
			continue
		}
		if i >= spanEnd {
			spanEnd = i + unorm.NFKC.QuickSpanString(text[i:])
		}
		if i < spanEnd {
			r, w := utf8.DecodeRuneInString(text[i:])
			n.refAdd(b, r, i, i+w)
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
				n.refAdd(b, r, i, i)
			}
			if it.Pos() > 0 {
				break
			}
		}
		w := max(it.Pos(), 1)
		for k := first; k < len(b.runes); k++ {
			b.runes[k].end = int32(i + w)
		}
		i += w
	}
	n.refFinish(b)
}

// add runs the per-character steps on r, from text[start:end].
func (n *Normalizer) refAdd(b *refBuffer, r rune, start, end int) {
	o := &n.o
	if isHan(r) {
		if o.Traditional {
			r = t2s(r)
		}
		b.runes = append(b.runes, rspan{r, int32(start), int32(end)})
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
	b.runes = append(b.runes, rspan{r, int32(start), int32(end)})
}

// finish runs the context-dependent steps (separators, squash) and writes Out.
func (n *Normalizer) refFinish(b *refBuffer) {
	o := &n.o
	b.Out = b.Out[:0]
	b.start = b.start[:0]
	b.end = b.end[:0]
	rs := b.runes
	w := refWriter{b: b, squash: o.Squash, last: -1}
	for j := 0; j < len(rs); j++ {
		if !o.Separators || isWord(rs[j].r) {
			w.put(rs[j])
			continue
		}
		k := j
		for k < len(rs) && !isWord(rs[k].r) {
			k++
		}
		switch {
		case j > 0 && k < len(rs) && k-j <= o.MaxSeparators && n.refGlue(rs, j, k):
			// dropped
		case refAllSpace(rs[j:k]):
			w.put(rspan{' ', rs[j].start, rs[k-1].end})
		default:
			for _, r := range rs[j:k] {
				w.put(r)
			}
		}
		j = k - 1
	}
}

type refWriter struct {
	b      *refBuffer
	squash bool
	last   rune
	lastAt int // index in Out of the last written character
}

func (w *refWriter) put(r rspan) {
	b := w.b
	if w.squash && r.r == w.last {
		for p := w.lastAt; p < len(b.end); p++ {
			b.end[p] = r.end
		}
		return
	}
	w.lastAt = len(b.Out)
	b.Out = utf8.AppendRune(b.Out, r.r)
	for len(b.start) < len(b.Out) {
		b.start = append(b.start, r.start)
		b.end = append(b.end, r.end)
	}
	w.last = r.r
}

// glue decides whether the separators rs[j:k], between word characters rs[j-1] and
// rs[k], are removed.
func (n *Normalizer) refGlue(rs []rspan, j, k int) bool {
	maxRun := n.o.MaxRun
	left := 0
	for p := j - 1; p >= 0 && isWord(rs[p].r) && left <= maxRun; p-- {
		left++
	}
	right := 0
	for p := k; p < len(rs) && isWord(rs[p].r) && right <= maxRun; p++ {
		right++
	}
	if left <= maxRun && right <= maxRun {
		return true
	}
	// Chinese has no spaces between words, so word runs say nothing there: between
	// two Han characters, glue unless the run holds clause punctuation.
	if !isHan(rs[j-1].r) && !unicode.Is(unicode.Han, rs[j-1].r) || !isHan(rs[k].r) && !unicode.Is(unicode.Han, rs[k].r) {
		return false
	}
	for _, r := range rs[j:k] {
		if strings.ContainsRune(clausePunct, r.r) {
			return false
		}
	}
	return true
}

func refAllSpace(rs []rspan) bool {
	for _, r := range rs {
		if !unicode.IsSpace(r.r) {
			return false
		}
	}
	return true
}
