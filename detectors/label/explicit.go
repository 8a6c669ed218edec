package label

import (
	"encoding/binary"
	"math/bits"
	"strings"
	"unsafe"
)

// Elements reports whether s holds GB 45438's two elements of a text-type label: an AI
// element ("人工智能", or "AI" in any case, not preceded by a Latin letter, so "said"
// and "email" do not count) and a generation element ("生成" or "合成").
func Elements(s string) bool { return readWindow(s).elements }

// window is what one stretch of text says about AI: both GB 45438 elements, and an AI
// disclosure in Chinese or English (the elements, or "AI" with "generat", "synthe",
// "manipulat", "created" or "made").
type window struct{ elements, disclosure bool }

// readWindow reads s once for both answers. The AI element is looked for first: most
// text has none, and then neither answer needs anything else.
func readWindow(s string) window {
	if !hasAI(s) {
		return window{}
	}
	el := strings.Contains(s, "生成") || strings.Contains(s, "合成")
	return window{elements: el, disclosure: el || hasVerb(s)}
}

func hasAI(s string) bool {
	return hasRengongZhineng(s) || latinAI(s, 'A') || latinAI(s, 'a')
}

// hasRengongZhineng reports whether s contains 人工智能. strings.Contains looks for its
// first byte, 0xE4, which starts every character from U+4000 to U+4FFF, a fifth of a
// Chinese text: on 370-byte HC3 answers it took 153–167 ns. This looks for the middle byte
// of 智 (E6 99 BA), a continuation byte that is rare, and compares around it: 26–28 ns
// (BenchmarkHasRengongZhineng). A text
// dense in that byte falls back to strings.Contains, which bounds its work.
func hasRengongZhineng(s string) bool {
	const needle, at = "人工智能", 7 // needle[at] == 0x99
	const after = len(needle) - at - 1
	fails := 0
	for i := at; i+after < len(s); {
		j := strings.IndexByte(s[i:len(s)-after], needle[at])
		if j < 0 {
			return false
		}
		i += j
		if s[i-at:i+after+1] == needle {
			return true
		}
		if fails++; fails > 16 {
			return strings.Contains(s[i-at+1:], needle)
		}
		i++
	}
	return false
}

// latinAI reports whether s has c ('A' or 'a') followed by 'I' or 'i' and not preceded
// by a Latin letter. It jumps between the c bytes with IndexByte, which is vectorised:
// most of a Chinese text is passed over without a per-byte loop.
func latinAI(s string, c byte) bool {
	for i := 0; i+1 < len(s); i++ {
		j := strings.IndexByte(s[i:len(s)-1], c)
		if j < 0 {
			return false
		}
		i += j
		if s[i+1]|0x20 == 'i' && (i == 0 || !isLetter(s[i-1])) {
			return true
		}
	}
	return false
}

func hasVerb(s string) bool {
	for _, w := range [...]string{"generat", "synthe", "manipulat", "created", "made", "Generat", "Synthe", "Manipulat", "Created", "Made", "GENERAT"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// textWindows reads the first and the last n characters of text; when the text is
// no longer than n characters they are the same stretch, read once.
func textWindows(text string, n int) (h, t window) {
	hs := head(text, n)
	h = readWindow(hs)
	if len(hs) == len(text) {
		return h, h
	}
	return h, readWindow(tail(text, n))
}

// head and tail return the first and last n characters (runes) of s. They count rune
// starts (bytes that are not UTF-8 continuation bytes) instead of decoding, eight bytes at
// a time: the text is valid UTF-8 (the decoder checked), and this is on every text
// record's path.
func head(s string, n int) string {
	if len(s) <= n {
		return s
	}
	k, i := 0, 0
	for ; i+8 <= len(s); i += 8 {
		c := runeStarts(binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s[i:]), 8)))
		if k+c > n { // the (n+1)-th character starts in this word
			break
		}
		k += c
	}
	for ; i < len(s); i++ {
		if s[i]&0xC0 != 0x80 {
			if k == n {
				return s[:i]
			}
			k++
		}
	}
	return s
}

func tail(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	k, i := 0, len(s)
	for ; i >= 8; i -= 8 {
		c := runeStarts(binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s[i-8:]), 8)))
		if k+c >= n { // the n-th character from the end starts in this word
			break
		}
		k += c
	}
	for i--; i >= 0; i-- {
		if s[i]&0xC0 != 0x80 {
			k++
			if k == n {
				return s[i:]
			}
		}
	}
	return s
}

// runeStarts counts the bytes of x that are not UTF-8 continuation bytes (10xxxxxx).
func runeStarts(x uint64) int {
	const highs = 0x8080808080808080
	return 8 - bits.OnesCount64(x&^(x<<1)&highs)
}

// TextLabel reports whether the first or last n characters of text hold both elements
// (CN-EXP-01, GB 45438 §5.1).
func TextLabel(text string, n int) bool {
	h, t := textWindows(text, n)
	return h.elements || t.elements
}
