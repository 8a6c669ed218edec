package pii

import "strings"

// fileExtensions are "top-level domains" that are really file names with a density
// suffix (icon@2x.png) or similar.
var fileExtensions = map[string]bool{"png": true, "jpg": true, "jpeg": true, "gif": true, "svg": true, "webp": true, "pdf": true}

func isLocalByte(c byte) bool {
	return isWordByte(c) || c == '.' || c == '%' || c == '+' || c == '-'
}

func isDomainByte(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '.'
}

// scanEmails finds e-mail addresses: a local part of letters, digits and ._%+- (not
// starting or ending with a dot, at most 64 bytes), '@', and a domain of at least two
// labels whose last (the top-level domain) is 2 to 24 letters.
func scanEmails(text string, emit func(Match)) {
	for off := 0; ; {
		k := strings.IndexByte(text[off:], '@')
		if k < 0 {
			return
		}
		at := off + k
		off = at + 1
		s := at
		for s > 0 && at-s < 64 && isLocalByte(text[s-1]) {
			s--
		}
		if at-s == 64 && s > 0 && isLocalByte(text[s-1]) {
			continue // local part longer than 64 bytes
		}
		for s < at && text[s] == '.' {
			s++
		}
		if s == at || text[at-1] == '.' {
			continue
		}
		e := at + 1
		for e < len(text) && e-at <= 253 && isDomainByte(text[e]) {
			e++
		}
		for e > at+1 && (text[e-1] == '.' || text[e-1] == '-') {
			e--
		}
		domain := text[at+1 : e]
		dot := strings.LastIndexByte(domain, '.')
		if dot <= 0 || strings.Contains(domain, "..") || domain[0] == '-' || domain[0] == '.' {
			continue
		}
		tld := domain[dot+1:]
		if len(tld) < 2 || len(tld) > 24 || !allLetters(tld) || fileExtensions[strings.ToLower(tld)] {
			continue
		}
		emit(Match{Category: Email, Start: s, End: e, Masked: maskEmail(text[s:at], domain)})
		off = e
	}
}

func allLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}
