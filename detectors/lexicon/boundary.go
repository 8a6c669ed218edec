package lexicon

import (
	"unicode"
	"unicode/utf8"

	unorm "golang.org/x/text/unicode/norm"

	"github.com/aigcwatch/aigcwatch/detectors/lexicon/norm"
)

// Word boundaries.
//
// A term whose first (last) character is a letter or digit of a script written with
// spaces between words (Latin, Cyrillic, Greek, Arabic, Hebrew, Hangul, Devanagari, …)
// matches only where the character before (after) the occurrence is not a letter or
// digit of such a script: "ass" is found in "kiss my ass" and "ass's", not in "class"
// or "assisted". Scripts written without spaces (Han, Kana, Thai, Lao, Khmer, Myanmar,
// Tibetan, Yi, Bopomofo) carry no boundary information, so their terms keep
// substring matching, and a character of theirs next to a Latin term is a boundary
// ("这个app很好"). A term with mixed edges follows each edge's character.
//
// The test is made on the original text around the occurrence, after the matcher
// found it (only candidates pay for it): format characters that the normalisation
// strips (zero-width spaces and joiners) are looked through, so "cl\u200bass" is one
// word; a separator that the normalisation glued away ("b.a.d", "a b a d") is a
// boundary, so spaced-out evasions are still found: every glue site of a spaced run
// may start or end a term. Compatibility forms count as what they fold to under
// NFKC (a full-width letter is a letter).

// Edge flags of a pattern (the normalised term): which ends need a boundary.
const (
	edgeStart uint8 = 1 << iota // the term starts with a word character of a spaced script
	edgeEnd                     // the term ends with one
)

// edgesOf returns the edge flags of a normalised term.
func edgesOf(key string) uint8 {
	var f uint8
	if r, _ := utf8.DecodeRuneInString(key); spacedWord(r) {
		f |= edgeStart
	}
	if r, _ := utf8.DecodeLastRuneInString(key); spacedWord(r) {
		f |= edgeEnd
	}
	return f
}

// spacedWord reports whether r is a letter, digit or combining mark of a script
// written with spaces between words.
func spacedWord(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	if r >= 0x4E00 && r <= 0x9FFF || r == utf8.RuneError {
		return false
	}
	if !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.IsMark(r) {
		return false
	}
	return !unicode.In(r, unspaced...) && r != 0x30FC // ー, the Katakana prolonged sound mark (script Common)
}

// unspaced are the scripts written without spaces between words.
var unspaced = []*unicode.RangeTable{
	unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Bopomofo, unicode.Yi,
	unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar, unicode.Tibetan,
}

// foldedWord reports whether the character that starts s (last is false) or ends it
// (last is true) is a word character of a spaced script once folded as NFKC would
// fold it when nfkc is set. It allocates nothing.
func foldedWord(s string, last, nfkc bool) bool {
	var r rune
	if last {
		r, _ = utf8.DecodeLastRuneInString(s)
	} else {
		r, _ = utf8.DecodeRuneInString(s)
	}
	if r < utf8.RuneSelf || !nfkc || spacedWord(r) {
		return spacedWord(r)
	}
	// Circled, parenthesised and other styled forms: judge the character NFKC makes of it.
	var p unorm.Properties
	if last {
		_, size := utf8.DecodeLastRuneInString(s)
		p = unorm.NFKC.PropertiesString(s[len(s)-size:])
	} else {
		p = unorm.NFKC.PropertiesString(s)
	}
	d := p.Decomposition()
	if len(d) == 0 {
		return false
	}
	if last {
		r, _ = utf8.DecodeLastRune(d)
	} else {
		r, _ = utf8.DecodeRune(d)
	}
	return spacedWord(r)
}

// wordBefore reports whether a spaced-script word character comes right before
// text[i] once the characters o strips are looked through. A separator that o glues
// is not looked through: it is a boundary.
func wordBefore(text string, i int, o *norm.Options) bool {
	for i > 0 {
		c := text[i-1]
		if c < utf8.RuneSelf {
			return spacedWord(rune(c))
		}
		r, size := utf8.DecodeLastRuneInString(text[:i])
		if o.StripFormat && norm.IsFormat(r) {
			i -= size
			continue
		}
		return foldedWord(text[:i], true, o.NFKC)
	}
	return false
}

// wordAfter is wordBefore for the character at text[i].
func wordAfter(text string, i int, o *norm.Options) bool {
	for i < len(text) {
		c := text[i]
		if c < utf8.RuneSelf {
			return spacedWord(rune(c))
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		if o.StripFormat && norm.IsFormat(r) {
			i += size
			continue
		}
		return foldedWord(text[i:], false, o.NFKC)
	}
	return false
}

// hasSeparator reports whether s holds a character that is neither a word character
// nor an invisible format character: the text was written with a separator there.
func hasSeparator(s string) bool {
	for _, r := range s {
		if r < utf8.RuneSelf {
			if !spacedWord(r) {
				return true
			}
			continue
		}
		if !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.IsMark(r) && !norm.IsFormat(r) {
			return true
		}
	}
	return false
}

// gluedByTerm reports whether normalisation with o changes term by gluing one-letter
// words across a separator that is not white space ("s&m" becomes "sm"), which changes
// its meaning: such a term is matched only where the text has a separator inside the
// occurrence too (see Set.Scan). Terms spaced out with white space ("f u c k") and
// Chinese terms glued across a space keep their meaning and are not affected.
func gluedByTerm(term string, o norm.Options) bool {
	if !o.Separators {
		return false
	}
	noSep := o
	noSep.Separators = false
	plain := norm.New(noSep).String(term)
	rs := []rune(plain)
	for i := 1; i < len(rs); i++ {
		if !spacedWord(rs[i-1]) {
			continue
		}
		j, symbol := i, false
		for j < len(rs) && !norm.IsWordRune(rs[j]) {
			if !unicode.IsSpace(rs[j]) {
				symbol = true
			}
			j++
		}
		if j > i && j < len(rs) && symbol && spacedWord(rs[j]) && j-i <= 3 {
			glued := norm.New(o).String(term)
			return glued != plain
		}
	}
	return false
}

// normWordBefore reports whether a spaced-script word character comes right before
// offset i of b's normalised text and is joined to it: a separator that the
// normalisation glued away between the two (its original text between their spans)
// is a boundary.
func normWordBefore(text string, b *norm.Buffer, i int) bool {
	if i == 0 {
		return false
	}
	r, size := utf8.DecodeLastRune(b.Out[:i])
	if !spacedWord(r) {
		return false
	}
	_, pe := b.Span(i-size, i)
	_, n := utf8.DecodeRune(b.Out[i:])
	ms, _ := b.Span(i, i+n)
	return !(pe < ms && hasSeparator(text[pe:ms]))
}

// normWordAfter is normWordBefore for the character at offset i.
func normWordAfter(text string, b *norm.Buffer, i int) bool {
	if i >= len(b.Out) {
		return false
	}
	r, size := utf8.DecodeRune(b.Out[i:])
	if !spacedWord(r) {
		return false
	}
	ns, _ := b.Span(i, i+size)
	_, n := utf8.DecodeLastRune(b.Out[:i])
	_, me := b.Span(i-n, i)
	return !(me < ns && hasSeparator(text[me:ns]))
}
