package label

import (
	"strings"
	"unicode/utf8"
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

// head and tail return the first and last n characters (runes) of s.
func head(s string, n int) string {
	i := 0
	for k := 0; k < n && i < len(s); k++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i]
}

func tail(s string, n int) string {
	i := len(s)
	for k := 0; k < n && i > 0; k++ {
		_, size := utf8.DecodeLastRuneInString(s[:i])
		i -= size
	}
	return s[i:]
}

// TextLabel reports whether the first or last n characters of text hold both elements
// (CN-EXP-01, GB 45438 §5.1).
func TextLabel(text string, n int) bool {
	return Elements(head(text, n)) || Elements(tail(text, n))
}
