package label

import (
	"strings"
)

// Elements reports whether s holds GB 45438's two elements of a text-type label: an AI
// element ("人工智能", or "AI" in any case, not preceded by a Latin letter, so "said"
// and "email" do not count) and a generation element ("生成" or "合成").
func Elements(s string) bool {
	return hasAI(s) && (strings.Contains(s, "生成") || strings.Contains(s, "合成"))
}

func hasAI(s string) bool {
	if strings.Contains(s, "人工智能") {
		return true
	}
	for i := 0; i+1 < len(s); i++ {
		if (s[i] == 'A' || s[i] == 'a') && (s[i+1] == 'I' || s[i+1] == 'i') && (i == 0 || !isLetter(s[i-1])) {
			return true
		}
	}
	return false
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// disclosure reports whether s reads as an AI disclosure in Chinese or English: the
// GB 45438 elements, or "AI" with "generat", "synthe", "manipulat", "created" or "made".
func disclosure(s string) bool {
	if Elements(s) {
		return true
	}
	if !hasAI(s) {
		return false
	}
	for _, w := range [...]string{"generat", "synthe", "manipulat", "created", "made", "Generat", "Synthe", "Manipulat", "Created", "Made", "GENERAT"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// head and tail return the first and last n characters (runes) of s. They count rune
// starts (bytes that are not UTF-8 continuation bytes) instead of decoding: the text is
// valid UTF-8 (the decoder checked), and this is on every text record's path.
func head(s string, n int) string {
	if len(s) <= n {
		return s
	}
	k := 0
	for i := 0; i < len(s); i++ {
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
	k := 0
	for i := len(s) - 1; i >= 0; i-- {
		if s[i]&0xC0 != 0x80 {
			k++
			if k == n {
				return s[i:]
			}
		}
	}
	return s
}

// TextLabel reports whether the first or last n characters of text hold both elements
// (CN-EXP-01, GB 45438 §5.1).
func TextLabel(text string, n int) bool {
	return Elements(head(text, n)) || Elements(tail(text, n))
}
