package norm

import (
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
)

// Character classes of the Basic Multilingual Plane, looked up instead of asking the
// unicode package several questions per character (a binary search each): in Chinese
// text every punctuation mark went through IsLetter, IsDigit, IsMark, IsNumber,
// IsSpace, ToLower and the format, homoglyph and traditional tables.
const (
	// clsPlain: no per-character step changes the character (not a format character;
	// its own homoglyph, simplified and lower-case form), so add can skip them all.
	clsPlain = 1 << iota
	clsWord  // isWord
	clsSpace // unicode.IsSpace
	clsPunct // clause punctuation (clausePunct)
)

var (
	classOnce sync.Once
	classTab  atomic.Pointer[[0x10000]uint8]
)

// buildClasses fills classTab once (about 5 ms); New and collect call it.
func buildClasses() {
	classOnce.Do(func() {
		t := new([0x10000]uint8)
		for r := rune(0); r < 0x10000; r++ {
			if r >= 0xD800 && r <= 0xDFFF {
				continue
			}
			var c uint8
			if !isFormat(r) && homoglyph(r) == r && t2s(r) == r && unicode.ToLower(r) == r {
				c |= clsPlain
			}
			if isWordSlow(r) {
				c |= clsWord
			}
			if unicode.IsSpace(r) {
				c |= clsSpace
			}
			if strings.ContainsRune(clausePunct, r) {
				c |= clsPunct
			}
			t[r] = c
		}
		classTab.Store(t)
	})
}

// class returns r's class bits and true, or false when r is outside the BMP or the
// table is not built.
func class(r rune) (uint8, bool) {
	if r >= 0x10000 || r < 0 {
		return 0, false
	}
	t := classTab.Load()
	if t == nil {
		return 0, false
	}
	return t[r], true
}

// isSpace is unicode.IsSpace through the table.
func isSpace(r rune) bool {
	if c, ok := class(r); ok {
		return c&clsSpace != 0
	}
	return unicode.IsSpace(r)
}

// isClausePunct reports whether r is clause punctuation (clausePunct).
func isClausePunct(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiPunct[r]
	}
	if c, ok := class(r); ok {
		return c&clsPunct != 0
	}
	return strings.ContainsRune(clausePunct, r)
}
