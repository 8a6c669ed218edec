package degenerate

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// script is a writing system, as a bit in a set.
type script uint16

const (
	latin script = 1 << iota
	han
	kana
	hangul
	cyrillic
	arabic
	hebrew
	thai
	devanagari
	greek
	otherScript
)

var scriptNames = map[script]string{latin: "Latin", han: "Han", kana: "Kana", hangul: "Hangul", cyrillic: "Cyrillic",
	arabic: "Arabic", hebrew: "Hebrew", thai: "Thai", devanagari: "Devanagari", greek: "Greek", otherScript: "other"}

// languages maps a BCP 47 primary language subtag to the scripts its text is written in.
// Languages not listed are not checked.
var languages = func() map[string]script {
	m := map[string]script{
		"zh": han, "ja": han | kana, "ko": hangul | han,
		"ru": cyrillic, "uk": cyrillic, "bg": cyrillic, "be": cyrillic, "kk": cyrillic, "mk": cyrillic, "mn": cyrillic,
		"sr": cyrillic | latin,
		"ar": arabic, "fa": arabic, "ur": arabic, "ps": arabic, "he": hebrew, "yi": hebrew, "th": thai,
		"hi": devanagari, "mr": devanagari, "ne": devanagari, "el": greek,
	}
	for _, l := range latinLanguages {
		m[l] = latin
	}
	return m
}()

// latinLanguages are checked as Latin script.
var latinLanguages = []string{"en", "de", "fr", "es", "it", "pt", "nl", "pl", "sv", "da", "no", "nb", "nn", "fi", "cs", "sk",
	"hu", "ro", "tr", "vi", "id", "ms", "ca", "hr", "sl", "et", "lv", "lt", "ga", "mt", "is", "sq", "tl", "sw", "af", "eu", "gl"}

// languageScripts returns the scripts of a declared language tag ("zh-Hant", "pt-BR": the
// primary subtag decides; zh-Hant is Han like zh).
func languageScripts(tag string) (script, bool) {
	primary, _, _ := strings.Cut(tag, "-")
	primary, _, _ = strings.Cut(primary, "_")
	s, ok := languages[strings.ToLower(primary)]
	return s, ok
}

func scriptOf(r rune) script {
	switch {
	case r < 0x80:
		if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' {
			return latin
		}
		return 0
	case r >= 0x00C0 && r <= 0x024F && r != 0xD7 && r != 0xF7, r >= 0x1E00 && r <= 0x1EFF:
		return latin
	case r >= 0x4E00 && r <= 0x9FFF, r >= 0x3400 && r <= 0x4DBF, r >= 0xF900 && r <= 0xFAFF, r >= 0x20000 && r <= 0x3FFFF:
		return han
	case r >= 0x3040 && r <= 0x30FF, r >= 0x31F0 && r <= 0x31FF:
		return kana
	case r >= 0xAC00 && r <= 0xD7AF, r >= 0x1100 && r <= 0x11FF, r >= 0x3130 && r <= 0x318F:
		return hangul
	case r >= 0x0400 && r <= 0x052F:
		return cyrillic
	case r >= 0x0600 && r <= 0x06FF, r >= 0x0750 && r <= 0x077F:
		return arabic
	case r >= 0x0590 && r <= 0x05FF:
		return hebrew
	case r >= 0x0E00 && r <= 0x0E7F:
		return thai
	case r >= 0x0900 && r <= 0x097F:
		return devanagari
	case r >= 0x0370 && r <= 0x03FF:
		return greek
	case r >= 0xFF21 && r <= 0xFF3A, r >= 0xFF41 && r <= 0xFF5A: // full-width Latin
		return latin
	}
	if unicode.IsLetter(r) {
		return otherScript
	}
	return 0
}

func isLetter(r rune) bool { return scriptOf(r) != 0 }

// alphabetic scripts write words of several letters; a word of them counts as one unit,
// like one Han, Kana or Hangul character, so that a Chinese text with English names in it
// ("系统工程系（Systems Engineering）") is not taken for English.
const alphabetic = latin | cyrillic | arabic | hebrew | devanagari | greek | otherScript

// scriptShare counts the units (characters of Han, Kana, Hangul and Thai; words of
// alphabetic scripts) of text in the scripts of want, all units, and names the script
// most units are in.
func scriptShare(text string, want script) (in, units int, top string) {
	var counts [16]int
	var prev script
	for i := 0; i < len(text); {
		s, size := scriptAt(text, i)
		i += size
		if s == 0 || s == prev && s&alphabetic != 0 {
			prev = s
			continue
		}
		prev = s
		units++
		if s&want != 0 {
			in++
		}
		for b := 0; b < 16; b++ {
			if s == 1<<b {
				counts[b]++
				break
			}
		}
	}
	best := 0
	for b := range counts {
		if counts[b] > counts[best] {
			best = b
		}
	}
	return in, units, scriptNames[script(1)<<best]
}

// asciiScript is the script of each ASCII byte: Latin for letters, none otherwise.
var asciiScript = func() (t [128]script) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = latin, latin
	}
	return t
}()

// scriptAt returns the script of the rune at text[i] and its size, reading the scripts of
// ASCII and of the common three-byte ranges (Han, Kana, Hangul, CJK punctuation) from the
// bytes without decoding.
func scriptAt(text string, i int) (script, int) {
	c := text[i]
	if c < 0x80 {
		return asciiScript[c], 1
	}
	if i+2 < len(text) {
		c1 := text[i+1]
		switch {
		case c >= 0xE5 && c <= 0xE9, c == 0xE4 && c1 >= 0xB8: // U+4E00..U+9FFF
			return han, 3
		case c == 0xE3 && c1 == 0x80: // U+3000..U+303F CJK punctuation
			return 0, 3
		case c == 0xE3 && c1 >= 0x81 && c1 <= 0x83: // U+3040..U+30FF
			return kana, 3
		case c == 0xEF && (c1 == 0xBC || c1 == 0xBD): // full-width forms
			r, size := utf8.DecodeRuneInString(text[i:])
			return scriptOf(r), size
		case c >= 0xEA && c <= 0xED && c1 >= 0x80:
			r, size := utf8.DecodeRuneInString(text[i:])
			return scriptOf(r), size
		}
	}
	r, size := utf8.DecodeRuneInString(text[i:])
	return scriptOf(r), size
}
